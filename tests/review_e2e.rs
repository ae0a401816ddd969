//! Review by the level above through a real gateway and broker: a district office
//! approves one commune unit's report and returns another's; each unit sees its status
//! and the reason; a correction after an approval is pending again; and every bad review
//! — a version that does not exist, a unit outside the reviewer's area, a unit's own
//! credential, a second decision, a reason of 1 MB — is refused with nothing recorded;
//! landed, a campaign counting approved reports counts exactly the approved versions.

mod common;

use std::time::Duration;

use baocao_proto::v1::{
    GetReportStatusRequest, ReportStatus, ReviewDecision, ReviewReportRequest, SubmitReportRequest,
};
use common::{Stack, authed, valid_report};
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::{ClientConfig, Message};
use tonic::Code;
use tonic_types::StatusExt;

/// Submits a fresh valid report of `unit` in `th-open`; returns its submission id.
async fn submit(stack: &Stack, unit: &str) -> anyhow::Result<String> {
    let report = valid_report(unit);
    let id = report.submission_id.clone();
    stack
        .client()
        .await
        .submit_report(authed(
            SubmitReportRequest {
                report: Some(report),
                validate_only: false,
            },
            &stack.token(unit),
        ))
        .await?;
    Ok(id)
}

async fn review(
    stack: &Stack,
    token: &str,
    unit: &str,
    id: &str,
    decision: ReviewDecision,
    reason: &str,
) -> Result<(), tonic::Status> {
    stack
        .client()
        .await
        .review_report(authed(
            ReviewReportRequest {
                unit_code: unit.to_string(),
                campaign_id: "th-open".to_string(),
                submission_id: id.to_string(),
                decision: decision as i32,
                reason: reason.to_string(),
            },
            token,
        ))
        .await
        .map(|_| ())
}

async fn status(stack: &Stack, token: &str, unit: &str) -> anyhow::Result<ReportStatus> {
    Ok(stack
        .client()
        .await
        .get_report_status(authed(
            GetReportStatusRequest {
                unit_code: unit.to_string(),
                campaign_id: "th-open".to_string(),
            },
            token,
        ))
        .await?
        .into_inner())
}

/// How many records the reviews topic holds.
fn reviews_recorded(stack: &Stack) -> anyhow::Result<usize> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", &stack.kafka.brokers)
        .set("group.id", format!("count-{}", uuid::Uuid::new_v4()))
        .set("auto.offset.reset", "earliest")
        .set("enable.auto.commit", "false")
        .create()?;
    consumer.subscribe(&[&stack.kafka.reviews_topic])?;
    let mut count = 0;
    let mut idle = 0;
    while idle < 10 {
        match consumer.poll(Duration::from_millis(300)) {
            Some(Ok(message)) if message.payload().is_some() => {
                count += 1;
                idle = 0;
            }
            _ => idle += 1,
        }
    }
    Ok(count)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_district_office_approves_and_returns_and_bad_reviews_are_refused() -> anyhow::Result<()>
{
    let stack = Stack::start("commune", "38").await?;
    let office = stack.token("380.PVHTT");
    let committee = submit(&stack, "14755").await?;
    let school = submit(&stack, "14758.TH").await?;

    review(
        &stack,
        &office,
        "14755",
        &committee,
        ReviewDecision::Approve,
        "",
    )
    .await?;
    let reason =
        "Cấp độ 5 cho hệ thống camera của trường mầm non là không hợp lý; đề nghị rà soát lại.";
    review(
        &stack,
        &office,
        "14758.TH",
        &school,
        ReviewDecision::Return,
        reason,
    )
    .await?;

    let approved = status(&stack, &stack.token("14755"), "14755").await?;
    assert_eq!(approved.review_state, "approved");
    assert_eq!(approved.reviewer_unit, "380.PVHTT");
    assert_eq!(approved.submission_id, committee);
    let returned = status(&stack, &stack.token("14758.TH"), "14758.TH").await?;
    assert_eq!(returned.review_state, "returned");
    assert_eq!(returned.reason, reason);

    // Refusals, each with nothing recorded.
    let refused = |result: Result<(), tonic::Status>, code: Code, says: &str| {
        let status = result.expect_err("refused");
        assert_eq!(status.code(), code, "{status:?}");
        assert!(status.message().contains(says), "{says} not in {status:?}");
    };
    let never = uuid::Uuid::now_v7().to_string();
    let missing = review(
        &stack,
        &office,
        "14755",
        &never,
        ReviewDecision::Approve,
        "",
    )
    .await;
    let missing = missing.expect_err("a version never accepted");
    assert_eq!(missing.code(), Code::InvalidArgument);
    let fields: Vec<String> = missing
        .get_details_bad_request()
        .map(|b| b.field_violations.into_iter().map(|v| v.field).collect())
        .unwrap_or_default();
    assert_eq!(fields, ["submission_id"]);
    // A commune of another district (Huyện Lang Chánh's first).
    let elsewhere = stack
        .registry
        .units()
        .filter(|u| u.kind == "people_committee" && u.parent_code != "380")
        .find(|u| stack.registry.is_within(u, "388"))
        .map(|u| u.code.clone())
        .unwrap_or_default();
    refused(
        review(
            &stack,
            &office,
            &elsewhere,
            &never,
            ReviewDecision::Approve,
            "",
        )
        .await,
        Code::PermissionDenied,
        "does not review",
    );
    refused(
        review(
            &stack,
            &stack.token("14758.TH"),
            "14755",
            &committee,
            ReviewDecision::Return,
            "x",
        )
        .await,
        Code::PermissionDenied,
        "does not review",
    );
    refused(
        review(
            &stack,
            &stack.token("38.STTTT"),
            "14755",
            &committee,
            ReviewDecision::Return,
            "again",
        )
        .await,
        Code::AlreadyExists,
        "already approved by `380.PVHTT`",
    );
    let huge = "x".repeat(1_000_000);
    let too_long = review(
        &stack,
        &office,
        "14758.TH",
        &school,
        ReviewDecision::Return,
        &huge,
    )
    .await;
    assert!(too_long.is_err(), "a 1 MB reason is refused");
    refused(
        review(
            &stack,
            &office,
            "14758.TH",
            &school,
            ReviewDecision::Approve,
            "",
        )
        .await,
        Code::AlreadyExists,
        "already returned",
    );
    assert_eq!(
        reviews_recorded(&stack)?,
        2,
        "only the two decisions were recorded"
    );

    // A correction after the approval is pending until it is reviewed again.
    let corrected = submit(&stack, "14755").await?;
    // The status follows the reports topic: the new version shows within moments.
    let mut pending = status(&stack, &office, "14755").await?;
    for _ in 0..50 {
        if pending.submission_id == corrected {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        pending = status(&stack, &office, "14755").await?;
    }
    assert_eq!(pending.review_state, "pending");
    assert_eq!(pending.submission_id, corrected);
    // The DIC (the campaign's consolidating unit) reviews any unit of the campaign.
    review(
        &stack,
        &stack.token("38.STTTT"),
        "14755",
        &corrected,
        ReviewDecision::Approve,
        "",
    )
    .await?;
    assert_eq!(
        status(&stack, &office, "14755").await?.review_state,
        "approved"
    );
    // A unit that is neither the unit, its submitter nor its reviewer sees no status.
    let other = status(&stack, &stack.token("14758.TH"), "14755").await;
    assert!(other.is_err());

    // The same through the CLI: the school corrects, the office approves, the school
    // sees it; a second decision is refused with exit code 2 and the reason.
    let fixed = submit(&stack, "14758.TH").await?;
    let cli = |args: &[&str], token: &str| {
        std::process::Command::new(common::BIN)
            .args([
                "review",
                "--unit",
                "14758.TH",
                "--campaign",
                "th-open",
                "--gateway",
            ])
            .arg(stack.endpoint())
            .args(["--token", token])
            .args(args)
            .env("RUST_LOG", "warn")
            .output()
    };
    let mut approved = cli(&["--submission-id", &fixed, "--approve"], &office)?;
    for _ in 0..30 {
        if approved.status.success() {
            break;
        }
        // The new version reaches the desk through the topic within moments.
        tokio::time::sleep(Duration::from_millis(200)).await;
        approved = cli(&["--submission-id", &fixed, "--approve"], &office)?;
    }
    assert!(
        approved.status.success(),
        "{}",
        String::from_utf8_lossy(&approved.stderr)
    );
    let shown = cli(&["--status"], &stack.token("14758.TH"))?;
    let shown = String::from_utf8_lossy(&shown.stdout);
    assert!(
        shown.contains("\"approved\"") && shown.contains(&fixed),
        "{shown}"
    );
    let again = cli(
        &["--submission-id", &fixed, "--return", "--reason", "Sai"],
        &office,
    )?;
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("AlreadyExists"));

    // A further correction of the committee, not reviewed: received, not yet counted
    // when the campaign counts approved reports.
    let unreviewed = submit(&stack, "14755").await?;

    // Landed like reports: the history shows each version's decision, and SQL each
    // unit's latest version with its review state.
    let root = stack.root.path();
    let data = root.join("data");
    let baocao = || {
        let mut command = common::baocao_command(
            root,
            &data,
            &stack.kafka.brokers,
            &stack.kafka.reports_topic,
        );
        command.env("BAOCAO_LANDING__DIR", root.join("landing"));
        command
    };
    let landed = baocao().args(["land", "--until-caught-up"]).output()?;
    assert!(
        landed.status.success(),
        "{}",
        String::from_utf8_lossy(&landed.stderr)
    );
    assert!(
        String::from_utf8_lossy(&landed.stderr).contains("reviews: 4 decisions landed"),
        "{}",
        String::from_utf8_lossy(&landed.stderr)
    );
    let history = common::succeeded(baocao().args(["history", "--unit", "14758.TH"]))?;
    assert!(
        history.contains("RETURNED by 380.PVHTT") && history.contains(reason),
        "{history}"
    );
    assert!(history.contains("APPROVED by 380.PVHTT"), "{history}");
    let state = common::succeeded(baocao().args([
        "query",
        "--format",
        "csv",
        "SELECT unit_code, review_state FROM review_state WHERE campaign_id = 'th-open' ORDER BY unit_code",
    ]))?;
    assert!(
        state.contains("14755,pending") && state.contains("14758.TH,approve"),
        "{state}"
    );

    // Counting with review: with `count = "approved"` the rollup counts each unit's
    // latest approved version — the committee's approved correction, not the unreviewed
    // one after it — and the received summary beside it the latest of each.
    let campaign_file = data.join("campaigns/th-open.toml");
    let campaign = std::fs::read_to_string(&campaign_file)?;
    std::fs::write(
        &campaign_file,
        campaign.replacen("[[milestones]]", "count = \"approved\"\n[[milestones]]", 1),
    )?;
    let today = common::today().format("%Y-%m-%d").to_string();
    let summaries = root.join("summaries");
    common::succeeded(
        baocao()
            .args([
                "rollup",
                "--campaign",
                "th-open",
                "--milestone",
                "levels-approved",
            ])
            .args(["--as-of", &today, "--out"])
            .arg(&summaries),
    )?;
    let counted = |table: &str| -> anyhow::Result<String> {
        common::succeeded(
            baocao()
                .args(["query", "--format", "csv", "--summaries-dir"])
                .arg(&summaries)
                .arg(format!(
                    "SELECT code, submission_id, review_state, units_counted FROM {table}
                     WHERE tier = 'unit' AND code IN ('14755', '14758.TH') ORDER BY code"
                )),
        )
    };
    assert_eq!(
        counted("summaries_approved")?
            .lines()
            .skip(1)
            .collect::<Vec<_>>(),
        [
            format!("14755,{corrected},pending,1"),
            format!("14758.TH,{fixed},approve,1"),
        ],
    );
    assert_eq!(
        counted("summaries")?.lines().skip(1).collect::<Vec<_>>(),
        [
            format!("14755,{unreviewed},pending,1"),
            format!("14758.TH,{fixed},approve,1"),
        ],
    );
    let report = std::fs::read_to_string(summaries.join("th-open/levels-approved/bao-cao.md"))?;
    assert!(
        report.contains(
            "Số liệu chỉ tính báo cáo đã được cấp trên phê duyệt: tính số liệu của 2 đơn vị"
        ),
        "{report}"
    );
    Ok(())
}

/// What a careless or hostile reviewer sends to a gateway of one district: control
/// characters in a reason are refused and CR LF kept as LF; a unit outside the gateway's
/// jurisdiction is PERMISSION_DENIED at once (not a 3 s wait for a version this gateway
/// never sees); a status of an unknown unit names the request's own field.
#[tokio::test(flavor = "multi_thread")]
async fn reasons_and_jurisdictions_are_checked_at_once() -> anyhow::Result<()> {
    let stack = Stack::start("commune", "380").await?;
    let dic = stack.token("38.STTTT");
    let id = submit(&stack, "14755").await?;
    for bad in [
        "Sai số liệu\u{0}",
        "Sai \u{1b}[31mđỏ",
        "Sai\u{85}",
        "Sai\u{7f}",
    ] {
        let refused = review(&stack, &dic, "14755", &id, ReviewDecision::Return, bad)
            .await
            .expect_err("a control character is refused");
        assert_eq!(refused.code(), Code::InvalidArgument, "{refused:?}");
        let fields: Vec<String> = refused
            .get_details_bad_request()
            .map(|b| b.field_violations.into_iter().map(|v| v.field).collect())
            .unwrap_or_default();
        assert_eq!(fields, ["reason"], "{bad:?}");
    }
    let mut returned = Err(tonic::Status::unavailable("not yet"));
    for _ in 0..30 {
        returned = review(
            &stack,
            &dic,
            "14755",
            &id,
            ReviewDecision::Return,
            "Thiếu hồ sơ.\r\nĐề nghị bổ sung.\rCảm ơn.",
        )
        .await;
        if returned.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    returned?;
    let shown = status(&stack, &stack.token("14755"), "14755").await?;
    assert_eq!(shown.reason, "Thiếu hồ sơ.\nĐề nghị bổ sung.\nCảm ơn.");
    // A commune of Huyện Lang Chánh (388): the DIC reviews it, but not through this
    // gateway of Thành phố Thanh Hóa (380).
    let elsewhere = stack
        .registry
        .units()
        .find(|u| u.kind == "people_committee" && stack.registry.is_within(u, "388"))
        .map(|u| u.code.clone())
        .unwrap_or_default();
    let started = std::time::Instant::now();
    let refused = review(&stack, &dic, &elsewhere, &id, ReviewDecision::Approve, "")
        .await
        .expect_err("outside the jurisdiction");
    assert_eq!(refused.code(), Code::PermissionDenied, "{refused:?}");
    assert!(refused.message().contains("jurisdiction"), "{refused:?}");
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    let unknown = stack
        .client()
        .await
        .get_report_status(authed(
            GetReportStatusRequest {
                unit_code: "NO.SUCH.UNIT".to_string(),
                campaign_id: "th-open".to_string(),
            },
            &dic,
        ))
        .await
        .expect_err("unknown unit");
    let fields: Vec<String> = unknown
        .get_details_bad_request()
        .map(|b| b.field_violations.into_iter().map(|v| v.field).collect())
        .unwrap_or_default();
    assert_eq!(fields, ["unit_code"], "{unknown:?}");
    contrary_decisions_on_two_replicas_get_one_ok(&stack).await
}

/// Two replicas decide one version at once, one approving, one returning: both write,
/// only the writer of the first decision in the log hears OK, and the other is told what
/// came first (before: both OK, 5 races of 5).
async fn contrary_decisions_on_two_replicas_get_one_ok(stack: &Stack) -> anyhow::Result<()> {
    let config = baocao_gateway::GatewayConfig {
        listen: "127.0.0.1:0".into(),
        tier: "commune".into(),
        jurisdiction: "380".into(),
        gateway_id: "commune-380-b".into(),
        tokens_file: stack.tokens_file.clone(),
        ..baocao_gateway::GatewayConfig::default()
    };
    let replica =
        baocao_gateway::start_gateway(&config, &stack.kafka, stack.registry.clone()).await?;
    let mut other = baocao_proto::v1::reporting_service_client::ReportingServiceClient::connect(
        format!("http://{}", replica.local_addr),
    )
    .await?;
    let dic = stack.token("38.STTTT");
    let office = stack.token("380.PVHTT");
    for round in 0..5 {
        let id = submit(stack, "14755").await?;
        let request = |decision: ReviewDecision, reason: &str| ReviewReportRequest {
            unit_code: "14755".to_string(),
            campaign_id: "th-open".to_string(),
            submission_id: id.clone(),
            decision: decision as i32,
            reason: reason.to_string(),
        };
        let mut here = stack.client().await;
        let (a, b) = tokio::join!(
            here.review_report(authed(request(ReviewDecision::Approve, ""), &dic)),
            other.review_report(authed(
                request(ReviewDecision::Return, "Thiếu hồ sơ"),
                &office
            )),
        );
        let (winner, lost) = match (a, b) {
            (Ok(_), Err(lost)) => ("approved", lost),
            (Err(lost), Ok(_)) => ("returned", lost),
            (a, b) => panic!("round {round}: exactly one OK, got {a:?} and {b:?}"),
        };
        assert_eq!(lost.code(), Code::AlreadyExists, "round {round}: {lost:?}");
        assert!(lost.message().contains(winner), "round {round}: {lost:?}");
        let shown = status(stack, &dic, "14755").await?;
        assert_eq!(shown.submission_id, id);
        assert_eq!(&shown.review_state[..6], &winner[..6], "round {round}");
    }
    replica.stop().await?;
    Ok(())
}
