//! `baocao import`: a filled form (XLSX, or CSV) sent unit by unit through a gateway —
//! the same submission core as any report — with every problem of the whole file named
//! by sheet and cell. A unit with any problem is not sent; the others are. Submission ids
//! come from each unit's content, so importing the same file again is a repeat.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use baocao_proto::v1::StatusReport;
use baocao_proto::v1::reporting_service_client::ReportingServiceClient;
use baocao_rules::{Door, Refused, said};
use baocao_sheets::{Answer, ImportResult, Parsed, send_units};
use tonic::transport::Channel;
use tonic::{Code, Status};
use tonic_types::StatusExt;

use crate::commands::submit::{GatewayArgs, submit_request};

/// Flags of `baocao import`.
#[derive(clap::Args)]
pub struct ImportArgs {
    /// The filled form (.xlsx), or CSV files (a units sheet, and a systems sheet if any):
    /// repeat the flag for each file.
    #[arg(long = "file", required = true)]
    files: Vec<PathBuf>,
    #[command(flatten)]
    gateway: GatewayArgs,
    /// Check every unit with the gateway (who may send it, every rule) and send nothing.
    #[arg(long)]
    dry_run: bool,
    /// Campaign of rows that do not name one (a CSV without the campaign column).
    #[arg(long)]
    campaign: Option<String>,
    /// Reports in flight at once (a district's file goes in one wave).
    #[arg(long, default_value_t = 128)]
    concurrency: usize,
}

/// Reads the files into the form's units (every sheet of every file together, so a CSV of
/// units and a CSV of systems make one form).
pub fn read_form(files: &[PathBuf], campaign: Option<&str>) -> anyhow::Result<Parsed> {
    let mut sheets = Vec::new();
    for file in files {
        let size = std::fs::metadata(file)
            .with_context(|| format!("--file {}", file.display()))?
            .len();
        let name = file.file_name().map_or_else(
            || file.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        if size > baocao_sheets::read::MAX_FILE_BYTES {
            anyhow::bail!(baocao_sheets::Error::TooLarge {
                file: name,
                bytes: size,
                max: baocao_sheets::read::MAX_FILE_BYTES
            });
        }
        let bytes = std::fs::read(file).with_context(|| format!("--file {}", file.display()))?;
        sheets.extend(baocao_sheets::read_file(&name, &bytes)?);
    }
    let label = files
        .iter()
        .map(|f| f.display().to_string())
        .collect::<Vec<_>>()
        .join(", ");
    Ok(baocao_sheets::parse(&label, &sheets, campaign)?)
}

/// Checks, then (unless `dry_run`) sends every unit of `parsed` over `client`.
pub async fn import(
    client: ReportingServiceClient<Channel>,
    token: &str,
    parsed: Parsed,
    dry_run: bool,
    concurrency: usize,
) -> anyhow::Result<ImportResult> {
    send_units(parsed, dry_run, concurrency, |report, check_only| {
        let client = client.clone();
        async move {
            match send(client, token, report, check_only).await {
                Ok(repeat) => Ok(Answer::Accepted { repeat }),
                Err(status) if status.code() == Code::Unauthenticated => {
                    anyhow::bail!("the gateway refused the token: {}", status.message())
                }
                Err(status) => Ok(answer_of_status(&status)),
            }
        }
    })
    .await
}

/// Sends (or checks) a report, retrying UNAVAILABLE with the same id; whether it repeats
/// an accepted one.
async fn send(
    mut client: ReportingServiceClient<Channel>,
    token: &str,
    report: StatusReport,
    validate_only: bool,
) -> Result<bool, Status> {
    let mut attempt = 0;
    loop {
        match submit_request(&mut client, token, report.clone(), validate_only).await {
            Ok(response) => return Ok(response.repeat),
            Err(status) if status.code() == Code::Unavailable && attempt < 3 => {
                attempt += 1;
                tokio::time::sleep(Duration::from_millis(500 << attempt)).await;
            }
            Err(status) => return Err(status),
        }
    }
}

/// The gateway's refusal: each field violation (in Vietnamese when the gateway gives it),
/// or the whole unit's.
fn answer_of_status(status: &Status) -> Answer {
    let violations = status
        .get_details_bad_request()
        .map(|b| b.field_violations)
        .unwrap_or_default();
    if !violations.is_empty() {
        return Answer::Fields(
            violations
                .into_iter()
                .map(|v| {
                    let message = v.localized_message.map_or(v.description, |m| m.message);
                    (v.field, message)
                })
                .collect(),
        );
    }
    let refused = match status.code() {
        Code::PermissionDenied => Refused::NotPermitted,
        Code::ResourceExhausted => Refused::RateLimited {
            wait_seconds: status
                .get_details_retry_info()
                .and_then(|r| r.retry_delay)
                .map_or(60, |wait| wait.as_secs()),
        },
        Code::Unavailable => Refused::Unavailable,
        _ => {
            let code = status.code();
            return Answer::Unit(format!("không gửi được ({code:?}: {})", status.message()));
        }
    };
    Answer::Unit(format!(
        "{} ({})",
        said(refused, Door::Import).notice,
        status.message()
    ))
}

pub async fn run(args: ImportArgs) -> anyhow::Result<ExitCode> {
    let parsed = read_form(&args.files, args.campaign.as_deref())?;
    let channel = args
        .gateway
        .endpoint()?
        .connect()
        .await
        .with_context(|| format!("cannot reach gateway {}", args.gateway.gateway))?;
    let client = ReportingServiceClient::new(channel);
    let result = import(
        client,
        &args.gateway.token,
        parsed,
        args.dry_run,
        args.concurrency,
    )
    .await?;
    Ok(print_result(&result))
}

/// Prints every problem in reading order, then the summary; the exit code says whether
/// every unit went in (0) or some did not (2).
pub fn print_result(result: &ImportResult) -> ExitCode {
    for note in &result.notes {
        println!("lưu ý: {note}");
    }
    for problem in result.problems() {
        println!("{problem}");
    }
    println!("{}", result.summary());
    if result.complete() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    }
}
