//! `baocao review --list`: a reviewer's queue through a gateway (`ListReviews`, the queue
//! of the portal's review page) as text or as a CSV file Excel opens, and with
//! `--approve-all-listed --yes` the approval of every pending version it lists — one
//! `ReviewReport` each, so each is one event on the reviews topic.

use std::process::ExitCode;

use baocao_proto::v1::reporting_service_client::ReportingServiceClient;
use baocao_proto::v1::{ListReviewsRequest, ReviewDecision, ReviewItem, ReviewReportRequest};
use tonic::transport::Channel;

use crate::commands::review::{ReviewArgs, with_token};
use crate::commands::submit::print_refusal;

/// The filters and actions of `baocao review --list`.
#[derive(clap::Args)]
pub struct QueueArgs {
    /// pending, approved, returned or all.
    #[arg(long, requires = "list", default_value = "pending")]
    state: String,
    /// Only units within this administrative code (any tier).
    #[arg(long, requires = "list", default_value = "")]
    area: String,
    /// Only units of this kind (e.g. school).
    #[arg(long, requires = "list", default_value = "")]
    kind: String,
    /// on_time, late or not_updated, for the current milestone.
    #[arg(long, requires = "list", default_value = "")]
    timing: String,
    /// Only versions sent after an approved one.
    #[arg(long, requires = "list")]
    changed: bool,
    /// Part of a unit's name or code (diacritics optional).
    #[arg(long, requires = "list", default_value = "")]
    search: String,
    /// oldest (the longest waiting first), newest or place.
    #[arg(long, requires = "list", default_value = "oldest")]
    order: String,
    /// text (tab-separated) or csv (UTF-8 with BOM, for Excel).
    #[arg(long, requires = "list", default_value = "text", value_parser = ["text", "csv"])]
    format: String,
    /// Approve every pending version listed, one decision each (needs --yes).
    #[arg(long, requires = "list")]
    approve_all_listed: bool,
    /// Confirms --approve-all-listed.
    #[arg(long, requires = "approve_all_listed")]
    yes: bool,
}

/// Every page of the queue.
async fn fetch(
    client: &mut ReportingServiceClient<Channel>,
    args: &ReviewArgs,
) -> Result<(Vec<ReviewItem>, i32, i32), tonic::Status> {
    let q = &args.queue;
    let mut items = Vec::new();
    let mut token = String::new();
    loop {
        let request = ListReviewsRequest {
            campaign_id: args.campaign.clone(),
            area_code: q.area.clone(),
            unit_kind: q.kind.clone(),
            state: q.state.clone(),
            timing: q.timing.clone(),
            changed_since_approval: q.changed,
            query: q.search.clone(),
            order: q.order.clone(),
            page_size: 1000,
            page_token: token,
        };
        let request = with_token(request, &args.gateway.token)
            .map_err(|err| tonic::Status::invalid_argument(err.to_string()))?;
        let page = client.list_reviews(request).await?.into_inner();
        items.extend(page.items);
        if page.next_page_token.is_empty() {
            return Ok((items, page.pending, page.not_reported));
        }
        token = page.next_page_token;
    }
}

fn print(items: &[ReviewItem], format: &str) {
    let received = |i: &ReviewItem| {
        i.received_at
            .and_then(|t| chrono::DateTime::from_timestamp(t.seconds, 0))
            .map(baocao_registry::vn_time)
            .unwrap_or_default()
    };
    if format == "csv" {
        use baocao_sheets::csv;
        let mut out = String::from(csv::BOM);
        out.push_str(&csv::line(&[
            "Mã đơn vị",
            "Tên đơn vị",
            "Địa bàn",
            "Loại",
            "Mã phiên bản",
            "Tiếp nhận lúc",
            "Trạng thái",
            "Thời hạn",
            "Số hệ thống",
            "Số camera",
            "Gửi lại sau phê duyệt",
            "Thay đổi so với bản đã phê duyệt",
        ]));
        for i in items {
            out.push_str(&csv::line(&[
                &i.unit_code,
                &i.unit_name,
                &i.area_name,
                &i.unit_kind,
                &i.submission_id,
                &received(i),
                &i.review_state,
                &i.timing,
                &i.systems.to_string(),
                &i.cameras.to_string(),
                if i.after_approval { "có" } else { "" },
                &i.changes.join("; "),
            ]));
        }
        print!("{out}");
        return;
    }
    for i in items {
        println!(
            "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{} hệ thống, {} camera{}",
            i.unit_code,
            i.unit_name,
            i.area_name,
            i.submission_id,
            received(i),
            i.review_state,
            i.timing,
            i.systems,
            i.cameras,
            if i.changes.is_empty() {
                String::new()
            } else {
                format!("\t{}", i.changes.join("; "))
            }
        );
    }
}

/// Approves each pending item, one `ReviewReport` each; refusals are printed, not fatal.
async fn approve_all(
    client: &mut ReportingServiceClient<Channel>,
    args: &ReviewArgs,
    items: &[ReviewItem],
) -> anyhow::Result<ExitCode> {
    let pending: Vec<&ReviewItem> = items
        .iter()
        .filter(|i| i.review_state == "pending")
        .collect();
    if !args.queue.yes {
        eprintln!(
            "{} pending version(s) listed; add --yes to approve them all (one decision each)",
            pending.len()
        );
        return Ok(ExitCode::from(2));
    }
    let mut refused = 0;
    for item in &pending {
        let request = ReviewReportRequest {
            unit_code: item.unit_code.clone(),
            campaign_id: args.campaign.clone(),
            submission_id: item.submission_id.clone(),
            decision: ReviewDecision::Approve as i32,
            reason: String::new(),
        };
        if let Err(status) = client
            .review_report(with_token(request, &args.gateway.token)?)
            .await
        {
            refused += 1;
            eprint!("{}: ", item.unit_code);
            print_refusal(&status);
        }
    }
    eprintln!("{} approved, {refused} refused", pending.len() - refused);
    Ok(if refused == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}

pub async fn run(args: ReviewArgs) -> anyhow::Result<ExitCode> {
    let channel = args.gateway.endpoint()?.connect().await?;
    let mut client = ReportingServiceClient::new(channel);
    let (items, pending, not_reported) = match fetch(&mut client, &args).await {
        Ok(found) => found,
        Err(status) => {
            print_refusal(&status);
            return Ok(ExitCode::from(2));
        }
    };
    print(&items, &args.queue.format);
    eprintln!(
        "{} listed; {pending} pending in all, {not_reported} not reported",
        items.len()
    );
    if args.queue.approve_all_listed {
        return approve_all(&mut client, &args, &items).await;
    }
    Ok(ExitCode::SUCCESS)
}
