//! `baocao review`: the level above approves or returns one version of a unit's report
//! (`ReviewReport`), looks at a unit's latest version and its review
//! (`GetReportStatus`), or lists its queue and approves what it lists (`--list`,
//! [`crate::commands::review_list`]), with a reviewer's token through a gateway.

use std::process::ExitCode;
use std::time::Duration;

use baocao_proto::v1::reporting_service_client::ReportingServiceClient;
use baocao_proto::v1::{GetReportStatusRequest, ReviewDecision, ReviewReportRequest};
use tonic::metadata::MetadataValue;

use crate::commands::submit::{GatewayArgs, print_refusal};

/// Flags of `baocao review`.
#[derive(clap::Args)]
pub struct ReviewArgs {
    /// The reviewed unit's code.
    #[arg(long, required_unless_present = "list")]
    unit: Option<String>,
    /// Campaign id.
    #[arg(long)]
    pub campaign: String,
    /// The version decided on (its submission_id; `baocao history` lists them).
    #[arg(long, required_unless_present_any = ["status", "list"])]
    submission_id: Option<String>,
    /// Approve the version: its figures are checked.
    #[arg(long, conflicts_with_all = ["return_it", "status"])]
    approve: bool,
    /// Return it to the unit, with `--reason`.
    #[arg(long = "return", conflicts_with = "status")]
    return_it: bool,
    /// Why (required to return; at most 2,000 characters).
    #[arg(long, default_value = "")]
    reason: String,
    /// Only print the unit's latest version and its review.
    #[arg(long)]
    status: bool,
    /// List the queue of versions to review (filters below) instead of deciding one.
    #[arg(long, conflicts_with_all = ["status", "approve", "return_it", "submission_id", "unit"])]
    pub list: bool,
    #[command(flatten)]
    pub queue: crate::commands::review_list::QueueArgs,
    #[command(flatten)]
    pub gateway: GatewayArgs,
}

pub fn with_token<T>(message: T, token: &str) -> anyhow::Result<tonic::Request<T>> {
    let mut request = tonic::Request::new(message);
    request.set_timeout(Duration::from_secs(30));
    let bearer: MetadataValue<_> = format!("Bearer {token}")
        .parse()
        .map_err(|_| anyhow::anyhow!("--token contains characters not allowed in metadata"))?;
    request.metadata_mut().insert("authorization", bearer);
    Ok(request)
}

pub async fn run(args: ReviewArgs) -> anyhow::Result<ExitCode> {
    if args.list {
        return crate::commands::review_list::run(args).await;
    }
    let channel = args.gateway.endpoint()?.connect().await?;
    let mut client = ReportingServiceClient::new(channel);
    if args.status {
        let request = with_token(
            GetReportStatusRequest {
                unit_code: args.unit.unwrap_or_default(),
                campaign_id: args.campaign,
            },
            &args.gateway.token,
        )?;
        return match client.get_report_status(request).await {
            Ok(status) => {
                println!("{}", serde_json::to_string_pretty(&status.into_inner())?);
                Ok(ExitCode::SUCCESS)
            }
            Err(status) => {
                print_refusal(&status);
                Ok(ExitCode::from(2))
            }
        };
    }
    anyhow::ensure!(
        args.approve || args.return_it,
        "say --approve or --return (with --reason)"
    );
    let decision = if args.approve {
        ReviewDecision::Approve
    } else {
        ReviewDecision::Return
    };
    let request = with_token(
        ReviewReportRequest {
            unit_code: args.unit.unwrap_or_default(),
            campaign_id: args.campaign,
            submission_id: args.submission_id.unwrap_or_default(),
            decision: decision as i32,
            reason: args.reason,
        },
        &args.gateway.token,
    )?;
    match client.review_report(request).await {
        Ok(answer) => {
            println!("{}", serde_json::to_string_pretty(&answer.into_inner())?);
            Ok(ExitCode::SUCCESS)
        }
        Err(status) => {
            print_refusal(&status);
            Ok(ExitCode::from(2))
        }
    }
}
