//! End-to-end: gRPC over TCP → gateway → the embedded broker (a real process) → read back
//! by a separate Kafka consumer. Covers durability, auth and jurisdiction, broker outage,
//! reflection, health and the read-only RPCs (bad input: `bad_input_e2e.rs`).

mod common;

use std::time::{Duration, Instant};

use baocao_proto::v1::{
    GetUnitRequest, ListCampaignsRequest, ListUnitsRequest, StatusReport, SubmitReportRequest,
};
use common::{Stack, authed, valid_report};
use tonic::Code;
use tonic_types::StatusExt;

fn submit(report: &StatusReport, token: &str) -> tonic::Request<SubmitReportRequest> {
    authed(
        SubmitReportRequest {
            report: Some(report.clone()),
            validate_only: false,
        },
        token,
    )
}

/// The fields named in the BadRequest details of a refusal.
fn violated_fields(status: &tonic::Status) -> Vec<String> {
    status
        .get_details_bad_request()
        .map(|b| b.field_violations.into_iter().map(|v| v.field).collect())
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accepted_report_is_in_kafka_exactly_as_sent_and_retries_are_repeats() -> anyhow::Result<()>
{
    let stack = Stack::start("province", "38").await?;
    let token = stack.token("38.STTTT");
    let mut client = stack.client().await;
    let report = valid_report("38.STTTT");

    let receipt = client
        .submit_report(submit(&report, &token))
        .await?
        .into_inner();
    assert_eq!(receipt.submission_id, report.submission_id);
    assert!(!receipt.repeat);
    assert_eq!(receipt.gateway_id, "province-38");

    let records = stack.read_topic(1)?;
    assert_eq!(records.len(), 1, "one accepted report, one record");
    let (key, envelope) = &records[0];
    assert_eq!(key, "38.STTTT");
    assert_eq!(
        envelope.report.as_ref(),
        Some(&report),
        "the envelope carries the report unchanged"
    );
    assert_eq!(
        envelope.schema_version,
        baocao_proto::ENVELOPE_SCHEMA_VERSION
    );
    assert_eq!(envelope.authenticated_unit, "38.STTTT");
    assert_eq!(envelope.gateway_tier, "province");
    assert_eq!(envelope.gateway_id, "province-38");
    assert_eq!(envelope.received_at, receipt.received_at);

    // The same submission again: answered as a repeat, nothing new written.
    let again = client
        .submit_report(submit(&report, &token))
        .await?
        .into_inner();
    assert!(again.repeat);
    assert_eq!(again.received_at, receipt.received_at);
    // The same id with different content is refused, naming the field.
    let mut changed = report.clone();
    changed.budget_allocated_vnd += 1;
    let status = client
        .submit_report(submit(&changed, &token))
        .await
        .expect_err("reused id");
    assert_eq!(status.code(), Code::AlreadyExists);
    assert_eq!(violated_fields(&status), ["report.submission_id"]);
    // A correction (new id) is accepted.
    changed.submission_id = uuid::Uuid::now_v7().to_string();
    client.submit_report(submit(&changed, &token)).await?;

    let records = stack.read_topic(2)?;
    let ids: Vec<_> = records
        .iter()
        .filter_map(|(_, e)| e.report.as_ref().map(|r| r.submission_id.clone()))
        .collect();
    assert_eq!(
        ids,
        [report.submission_id.clone(), changed.submission_id.clone()]
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_attempts_with_one_submission_id_write_once() -> anyhow::Result<()> {
    let stack = Stack::start("province", "38").await?;
    let token = stack.token("38.STTTT");
    let report = valid_report("38.STTTT");
    let attempts = (0..8).map(|_| {
        let endpoint = stack.endpoint();
        let request = submit(&report, &token);
        async move {
            let mut client =
                baocao_proto::v1::reporting_service_client::ReportingServiceClient::connect(
                    endpoint,
                )
                .await?;
            anyhow::Ok(client.submit_report(request).await?.into_inner())
        }
    });
    let receipts = futures::future::try_join_all(attempts).await?;
    let written = receipts.iter().filter(|r| !r.repeat).count();
    assert_eq!(
        written, 1,
        "one attempt writes, the others are answered as repeats"
    );
    assert!(
        receipts
            .iter()
            .all(|r| r.received_at == receipts[0].received_at)
    );
    assert_eq!(stack.read_topic(1)?.len(), 1, "one record in Kafka");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_unit_sending_too_fast_gets_resource_exhausted_with_a_retry_delay() -> anyhow::Result<()>
{
    let stack = Stack::start_with("province", "38", |config| {
        config.max_reports_per_unit_per_minute = 3
    })
    .await?;
    let token = stack.token("38.STTTT");
    let mut client = stack.client().await;
    for _ in 0..3 {
        client
            .submit_report(submit(&valid_report("38.STTTT"), &token))
            .await?;
    }
    let status = client
        .submit_report(submit(&valid_report("38.STTTT"), &token))
        .await
        .expect_err("fourth report within the minute");
    assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
    let retry = status
        .get_details_retry_info()
        .and_then(|r| r.retry_delay)
        .expect("retry delay");
    assert!(retry > Duration::from_secs(10), "{retry:?}");
    // Another unit is not affected.
    let police = stack.token("38.CA");
    client
        .submit_report(submit(&valid_report("38.CA"), &police))
        .await?;
    assert_eq!(
        stack.read_topic(4)?.len(),
        4,
        "the refused report was not written"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_tiers_and_jurisdictions_are_enforced() -> anyhow::Result<()> {
    let stack = Stack::start("province", "38").await?;
    let dic = stack.token("38.STTTT");
    let mut client = stack.client().await;

    let no_token = tonic::Request::new(SubmitReportRequest {
        report: Some(valid_report("38.STTTT")),
        validate_only: false,
    });
    let status = client.submit_report(no_token).await.expect_err("no token");
    assert_eq!(status.code(), Code::Unauthenticated);

    let status = client
        .submit_report(submit(&valid_report("38.STTTT"), "bcv1_0000"))
        .await
        .expect_err("unknown token");
    assert_eq!(status.code(), Code::Unauthenticated);

    // The DIC's token cannot submit for the provincial police.
    let status = client
        .submit_report(submit(&valid_report("38.CA"), &dic))
        .await
        .expect_err("other unit");
    assert_eq!(status.code(), Code::PermissionDenied);

    // A district-tier unit at the province gateway, and a unit of another province.
    for unit in ["380.CA", "44.STTTT"] {
        let token = stack.token(unit);
        let status = client
            .submit_report(submit(&valid_report(unit), &token))
            .await
            .expect_err(unit);
        assert_eq!(status.code(), Code::PermissionDenied, "{unit}: {status:?}");
    }

    // A commune gateway for Thành phố Thanh Hóa (380) on the same broker.
    let commune_gateway = baocao_gateway::start_gateway(
        &baocao_gateway::GatewayConfig {
            listen: "127.0.0.1:0".into(),
            tier: "commune".into(),
            jurisdiction: "380".into(),
            tokens_file: stack.tokens_file.clone(),
            ..Default::default()
        },
        &stack.kafka,
        stack.registry.clone(),
    )
    .await?;
    let mut commune_client =
        baocao_proto::v1::reporting_service_client::ReportingServiceClient::connect(format!(
            "http://{}",
            commune_gateway.local_addr
        ))
        .await?;
    let inside = stack.token("14755.TH");
    let receipt = commune_client
        .submit_report(submit(&valid_report("14755.TH"), &inside))
        .await?
        .into_inner();
    assert_eq!(receipt.gateway_id, "commune-380");
    // A district office submits on behalf of a commune unit of its district, recorded
    // as such; not for a commune of another district, nor for a unit of its own tier.
    let office = stack.token("380.PVHTT");
    let on_behalf = valid_report("14755.MN");
    commune_client
        .submit_report(submit(&on_behalf, &office))
        .await?;
    let records = stack.read_topic(2)?;
    let (key, envelope) = records
        .iter()
        .find(|(_, e)| {
            e.report
                .as_ref()
                .is_some_and(|r| r.submission_id == on_behalf.submission_id)
        })
        .expect("the on-behalf report is in Kafka");
    assert_eq!(
        (key.as_str(), envelope.authenticated_unit.as_str()),
        ("14755.MN", "380.PVHTT")
    );
    let status = commune_client
        .submit_report(submit(&valid_report("14809.MN"), &office))
        .await
        .expect_err("commune of another district");
    assert_eq!(status.code(), Code::PermissionDenied);
    let status = client
        .submit_report(submit(&valid_report("380.CA"), &office))
        .await
        .expect_err("a unit of the office's own tier");
    assert_eq!(status.code(), Code::PermissionDenied);
    let outside = stack.token("14809");
    let status = commune_client
        .submit_report(submit(&valid_report("14809"), &outside))
        .await
        .expect_err("commune of another district");
    assert_eq!(status.code(), Code::PermissionDenied);
    commune_gateway.stop().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broker_down_gives_unavailable_and_a_retry_with_the_same_id_succeeds_once()
-> anyhow::Result<()> {
    if common::skipped_on_apache_kafka(
        "broker_down_gives_unavailable_and_a_retry_with_the_same_id_succeeds_once",
    ) {
        return Ok(());
    }
    let mut stack = Stack::start("province", "38").await?;
    let token = stack.token("38.STTTT");
    let mut client = stack.client().await;
    // Warm up: the producer has a connection and an idempotent producer id.
    client
        .submit_report(submit(&valid_report("38.STTTT"), &token))
        .await?;

    stack.broker.kill();
    let report = valid_report("38.STTTT");
    let started = Instant::now();
    let status = client
        .submit_report(submit(&report, &token))
        .await
        .expect_err("broker down");
    assert_eq!(status.code(), Code::Unavailable, "{status:?}");
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "answered within the delivery timeout"
    );

    stack.broker.restart()?;
    let deadline = Instant::now() + Duration::from_secs(30);
    let receipt = loop {
        match client.submit_report(submit(&report, &token)).await {
            Ok(receipt) => break receipt.into_inner(),
            Err(status) if status.code() == Code::Unavailable && Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            Err(status) => anyhow::bail!("retry failed: {status:?}"),
        }
    };
    assert!(!receipt.repeat, "the first attempt was never accepted");

    let records = stack.read_topic(2)?;
    let copies = records
        .iter()
        .filter(|(_, e)| {
            e.report
                .as_ref()
                .is_some_and(|r| r.submission_id == report.submission_id)
        })
        .count();
    assert_eq!(copies, 1, "the retried report is in Kafka exactly once");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_deadline_is_honoured_and_never_answered_ok() -> anyhow::Result<()> {
    if common::skipped_on_apache_kafka("a_client_deadline_is_honoured_and_never_answered_ok") {
        return Ok(());
    }
    let mut stack = Stack::start("province", "38").await?;
    let token = stack.token("38.STTTT");
    let mut client = stack.client().await;
    client
        .submit_report(submit(&valid_report("38.STTTT"), &token))
        .await?;
    stack.broker.kill();
    let mut request = submit(&valid_report("38.STTTT"), &token);
    request.set_timeout(Duration::from_millis(300));
    let started = Instant::now();
    let status = client
        .submit_report(request)
        .await
        .expect_err("no broker, short deadline");
    assert!(
        matches!(status.code(), Code::DeadlineExceeded | Code::Cancelled),
        "{status:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reflection_health_and_read_only_rpcs() -> anyhow::Result<()> {
    use tonic_reflection::pb::v1::ServerReflectionRequest;
    use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
    use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
    use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;

    let stack = Stack::start("province", "38").await?;
    let token = stack.token("38.STTTT");

    // Reflection lists the service (what `grpcurl -plaintext HOST:PORT list` asks).
    let channel = tonic::transport::Channel::from_shared(stack.endpoint())?
        .connect()
        .await?;
    let mut reflection = ServerReflectionClient::new(channel.clone());
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut responses = reflection
        .server_reflection_info(tokio_stream::iter(vec![request]))
        .await?
        .into_inner();
    let response = responses.message().await?.expect("a reflection answer");
    let Some(MessageResponse::ListServicesResponse(list)) = response.message_response else {
        anyhow::bail!("unexpected reflection answer");
    };
    let names: Vec<_> = list.service.into_iter().map(|s| s.name).collect();
    assert!(
        names.contains(&"baocao.v1.ReportingService".to_string()),
        "{names:?}"
    );
    assert!(
        names.contains(&"grpc.health.v1.Health".to_string()),
        "{names:?}"
    );

    let mut health = tonic_health::pb::health_client::HealthClient::new(channel);
    let serving = health
        .check(tonic_health::pb::HealthCheckRequest {
            service: "baocao.v1.ReportingService".into(),
        })
        .await?
        .into_inner();
    assert_eq!(
        serving.status,
        tonic_health::pb::health_check_response::ServingStatus::Serving as i32
    );

    let mut client = stack.client().await;
    let unit = client
        .get_unit(authed(
            GetUnitRequest {
                code: "38.STTTT".into(),
            },
            &token,
        ))
        .await?
        .into_inner();
    assert_eq!(unit.name, "Sở Thông tin và Truyền thông Thanh Hóa");
    assert_eq!(
        (unit.tier.as_str(), unit.parent_code.as_str()),
        ("province", "38")
    );
    let missing = client
        .get_unit(authed(
            GetUnitRequest {
                code: "nope".into(),
            },
            &token,
        ))
        .await
        .expect_err("unknown unit");
    assert_eq!(missing.code(), Code::NotFound);
    let unauthenticated = client
        .get_unit(tonic::Request::new(GetUnitRequest { code: "38".into() }))
        .await
        .expect_err("no token");
    assert_eq!(unauthenticated.code(), Code::Unauthenticated);

    // Paging through the children of the province's People's Committee.
    let mut listed = Vec::new();
    let mut page_token = String::new();
    loop {
        let page = client
            .list_units(authed(
                ListUnitsRequest {
                    parent_code: "38".into(),
                    page_size: 7,
                    page_token: page_token.clone(),
                },
                &token,
            ))
            .await?
            .into_inner();
        assert!(page.units.len() <= 7);
        listed.extend(page.units.into_iter().map(|u| u.code));
        if page.next_page_token.is_empty() {
            break;
        }
        page_token = page.next_page_token;
    }
    assert_eq!(listed, stack.registry.children("38"));
    assert!(listed.len() > 27, "27 districts plus provincial units");

    let campaigns = client
        .list_campaigns(authed(ListCampaignsRequest {}, &token))
        .await?
        .into_inner()
        .campaigns;
    let open: Vec<_> = campaigns
        .iter()
        .filter(|c| c.open)
        .map(|c| c.id.as_str())
        .collect();
    assert_eq!(open, ["th-open"]);
    assert_eq!(campaigns.len(), 2);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_campaign_file_added_while_the_gateway_runs_is_accepted_within_seconds()
-> anyhow::Result<()> {
    let stack = Stack::start("province", "38").await?;
    let token = stack.token("38.STTTT");
    let mut client = stack.client().await;
    let mut report = valid_report("38.STTTT");
    report.campaign_id = "th-added".into();
    let status = client
        .submit_report(submit(&report, &token))
        .await
        .expect_err("not a campaign yet");
    assert_eq!(violated_fields(&status), ["report.campaign_id"]);

    // The DIC adds a campaign file; no restart.
    let today = common::today();
    let day = chrono::Duration::days(1);
    let campaign = format!(
        "id = \"th-added\"\nname = \"Bổ sung\"\nprovince = \"38\"\nconsolidating_unit = \"38.STTTT\"\n\
         opens_on = \"{}\"\ncloses_on = \"{}\"\nrequired_unit_kinds = [\"dic\"]\n\
         [[milestones]]\nid = \"m\"\nname = \"M\"\nmeasure = \"levels_approved\"\n\
         unit_deadline = \"{}\"\nreport_deadline = \"{}\"\n",
        today - day * 10,
        today + day * 10,
        today + day * 5,
        today + day * 6
    );
    std::fs::write(
        stack.root.path().join("data/campaigns/th-added.toml"),
        campaign,
    )?;
    let started = Instant::now();
    let receipt = loop {
        match client.submit_report(submit(&report, &token)).await {
            Ok(receipt) => break receipt.into_inner(),
            Err(status) if started.elapsed() < Duration::from_secs(10) => {
                assert_eq!(status.code(), Code::InvalidArgument, "{}", status.message());
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(status) => anyhow::bail!("still refused after 10 s: {}", status.message()),
        }
    };
    assert!(!receipt.repeat);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    let campaigns = client
        .list_campaigns(authed(ListCampaignsRequest {}, &token))
        .await?
        .into_inner()
        .campaigns;
    assert!(campaigns.iter().any(|c| c.id == "th-added" && c.open));
    Ok(())
}

/// `report` grown to exactly `target` encoded bytes with valid content: 500 systems with
/// long Vietnamese names and places (each field within its 500 characters).
fn report_of_size(mut report: StatusReport, target: usize) -> StatusReport {
    use prost::Message;
    let template = report.systems[0].clone();
    report.systems = (0..500)
        .map(|i| {
            let mut system = template.clone();
            system.system_code = format!("CAM-{i:03}");
            system.name = format!("Camera {}", "ệ".repeat(490));
            system.location = String::new();
            system
        })
        .collect();
    // Three-byte letters in bulk while far (slack for length prefixes that grow) ...
    for i in 0..500 {
        let room = target.saturating_sub(report.encoded_len());
        if room < 64 {
            break;
        }
        let free = 500 - report.systems[i].location.chars().count();
        let letters = free.min((room - 32) / 3);
        report.systems[i].location.push_str(&"ệ".repeat(letters));
    }
    // ... then one-byte letters to the byte.
    while report.encoded_len() < target {
        let Some(system) = report
            .systems
            .iter_mut()
            .find(|s| s.location.chars().count() < 500)
        else {
            break;
        };
        system.location.push('a');
    }
    while report.encoded_len() > target {
        let Some(system) = report
            .systems
            .iter_mut()
            .rev()
            .find(|s| s.location.ends_with('a'))
        else {
            break;
        };
        system.location.pop();
    }
    report
}

/// A valid report of exactly `max_report_bytes` (1 MiB) is accepted and on the topic, and
/// so is one of 1,000,404 bytes (before, both got UNAVAILABLE "retry" for ever: the
/// producer's record limit was librdkafka's 1,000,000).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_report_at_the_size_limit_gets_in() -> anyhow::Result<()> {
    use prost::Message;
    let stack = Stack::start("commune", "38").await?;
    let token = stack.token("14755");
    let mut client = stack.client().await;
    let limit = baocao_gateway::GatewayConfig::default().max_report_bytes;
    for size in [1_000_404, limit] {
        let report = report_of_size(valid_report("14755"), size);
        assert_eq!(report.encoded_len(), size);
        let receipt = client.submit_report(submit(&report, &token)).await;
        assert!(receipt.is_ok(), "{size} bytes: {receipt:?}");
    }
    let records = stack.read_topic(2)?;
    assert_eq!(records.len(), 2);
    // One byte over is refused as the report's fault, never as "retry".
    let over = report_of_size(valid_report("14755"), limit + 1);
    let refused = client
        .submit_report(submit(&over, &token))
        .await
        .expect_err("over the limit");
    assert_eq!(refused.code(), Code::InvalidArgument, "{refused:?}");
    Ok(())
}

/// A gateway with `[gateway.receipts]` (the certificate `baocao tls dev-certs` makes)
/// signs each accepted report's receipt: `baocao submit --receipt-out` keeps it, `baocao
/// verify` and `openssl cms -verify` accept it against the CA, the receipt names the
/// report's Kafka position, a repeat gets the same bytes, and one changed byte fails both.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_receipt_verifies_with_baocao_and_openssl() -> anyhow::Result<()> {
    let certs = tempfile::tempdir()?;
    common::succeeded(
        std::process::Command::new(common::BIN)
            .args(["tls", "dev-certs", "--out"])
            .arg(certs.path()),
    )?;
    let (cert, key) = (
        certs.path().join("receipt.pem"),
        certs.path().join("receipt.key"),
    );
    let stack = Stack::start_with("province", "38", |config| {
        config.receipts.cert_file = cert.clone();
        config.receipts.key_file = key.clone();
    })
    .await?;
    let token = stack.token("38.STTTT");
    let report = valid_report("38.STTTT");
    let file = stack.root.path().join("report.json");
    std::fs::write(&file, serde_json::to_string(&report)?)?;
    let data = stack.root.path().join("data");
    let baocao = || {
        common::baocao_command(
            stack.root.path(),
            &data,
            &stack.kafka.brokers,
            &stack.kafka.reports_topic,
        )
    };
    let submit_keeping = |name: &str| {
        let mut command = baocao();
        command.args(["submit", "--file"]).arg(&file).args([
            "--token",
            &token,
            "--gateway",
            &stack.endpoint(),
            "--receipt-out",
            name,
        ]);
        common::succeeded(&mut command)
    };
    submit_keeping("receipt.json")?;
    submit_keeping("again.json")?;
    let dir = stack.root.path();
    let receipt = std::fs::read(dir.join("receipt.json"))?;
    let signature = std::fs::read(dir.join("receipt.json.p7s"))?;
    assert_eq!(
        receipt,
        std::fs::read(dir.join("again.json"))?,
        "a repeat gets the same receipt"
    );
    assert_eq!(
        signature,
        std::fs::read(dir.join("again.json.p7s"))?,
        "and the same signature"
    );
    let said: serde_json::Value = serde_json::from_slice(&receipt)?;
    assert_eq!(said["unit_code"], "38.STTTT");
    assert_eq!(said["submission_id"], report.submission_id.as_str());
    assert_eq!(said["topic"], stack.kafka.reports_topic.as_str());
    assert!(said["offset"].as_i64().unwrap_or(-1) >= 0, "{said}");

    // Landed, the unit's history shows what the receipt certifies.
    common::succeeded(baocao().args(["land", "--until-caught-up"]))?;
    let history = common::succeeded(baocao().args(["history", "--unit", "38.STTTT"]))?;
    let certified = format!(
        "receipt: report SHA-256 {}, Kafka partition {} offset {}",
        said["report_sha256"].as_str().unwrap_or_default(),
        said["partition"],
        said["offset"]
    );
    assert!(history.contains(&certified), "{certified} in:\n{history}");

    let ca = certs.path().join("ca.pem");
    let verify = |receipt: &str| {
        let mut command = baocao();
        command
            .args(["verify", "--receipt", receipt, "--ca"])
            .arg(&ca);
        command.output()
    };
    let verified = verify("receipt.json")?;
    assert!(
        verified.status.success(),
        "{}",
        String::from_utf8_lossy(&verified.stderr)
    );
    assert!(String::from_utf8_lossy(&verified.stdout).contains("valid: unit 38.STTTT"));
    let openssl = |content: &str| {
        std::process::Command::new("openssl")
            .args([
                "cms",
                "-verify",
                "-binary",
                "-inform",
                "DER",
                "-in",
                "receipt.json.p7s",
                "-content",
                content,
                "-out",
                "/dev/null",
                "-CAfile",
            ])
            .arg(&ca)
            .current_dir(dir)
            .output()
    };
    let agreed = openssl("receipt.json")?;
    assert!(
        agreed.status.success(),
        "{}",
        String::from_utf8_lossy(&agreed.stderr)
    );

    // One byte changed (the offset's last digit): both refuse.
    let mut changed = receipt.clone();
    let at = changed.len() - 2;
    changed[at] = if changed[at] == b'9' {
        b'8'
    } else {
        changed[at] + 1
    };
    std::fs::write(dir.join("changed.json"), &changed)?;
    std::fs::copy(dir.join("receipt.json.p7s"), dir.join("changed.json.p7s"))?;
    let refused = verify("changed.json")?;
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("NOT valid"));
    assert!(!openssl("changed.json")?.status.success());
    Ok(())
}
