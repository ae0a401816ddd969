//! "OK means counted", end to end: two units using one submission id through two gateway
//! processes are both counted with their own systems; a unit reusing an id with other
//! content is refused after its gateway restarted and by another replica; hostile bytes
//! (no token, a megabyte of empty systems, two `authorization` headers, huge codes and page
//! tokens) are refused before they cost, with answers every stock gRPC client can read.

mod common;

use std::process::{Command, Stdio};
use std::time::Duration;

use baocao_gateway::status::MAX_ERROR_METADATA_BYTES;
use baocao_gateway::{GatewayConfig, start_gateway};
use baocao_proto::codec::submit_raw_bytes as submit_raw;
use baocao_proto::v1::{
    CameraSystem, DossierStatus, GetUnitRequest, ListUnitsRequest, PlanStatus, StatusReport,
    SubmitReportRequest,
};
use common::{
    BrokerProcess, KillOnDrop, Stack, authed, baocao_command, data_dir, free_port,
    roll_up_at_deadline, valid_report, wait_for_port,
};
use prost::Message;
use tonic::Code;
use tonic::transport::Channel;
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

fn with_cameras(mut report: StatusReport, cameras: &[i64]) -> StatusReport {
    let template = report.systems[0].clone();
    report.systems = cameras
        .iter()
        .enumerate()
        .map(|(i, &camera_count)| CameraSystem {
            system_code: format!("CAM-{i}"),
            camera_count,
            cameras_certified: 0,
            cameras_on_warning_list: 0,
            ..template.clone()
        })
        .collect();
    report
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_units_with_one_id_through_two_gateway_processes_are_both_counted() -> anyhow::Result<()>
{
    let root = tempfile::tempdir()?;
    let broker = BrokerProcess::start(root.path())?;
    let data = data_dir(root.path())?;
    let tokens = root.path().join("tokens.json");
    let topic = format!("ids-{}", uuid::Uuid::new_v4().simple());
    let baocao = || baocao_command(root.path(), &data, &broker.addr, &topic);
    let serve = |tier: &str, addr: &str| -> anyhow::Result<KillOnDrop> {
        Ok(KillOnDrop(
            baocao()
                .args([
                    "serve",
                    "--tier",
                    tier,
                    "--jurisdiction",
                    "38",
                    "--listen",
                    addr,
                ])
                .arg("--tokens-file")
                .arg(&tokens)
                .env(
                    "BAOCAO_METRICS__LISTEN",
                    format!("127.0.0.1:{}", free_port()),
                )
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()?,
        ))
    };
    let province_addr = format!("127.0.0.1:{}", free_port());
    let district_addr = format!("127.0.0.1:{}", free_port());
    let _province = serve("province", &province_addr)?;
    wait_for_port(&province_addr, Duration::from_secs(30))?;
    let _district = serve("district", &district_addr)?;
    wait_for_port(&district_addr, Duration::from_secs(30))?;
    let dic_token = baocao_access::tokens::issue_token(&tokens, "38.STTTT")?.0;
    let city_token = baocao_access::tokens::issue_token(&tokens, "380")?.0;

    // The same id, as two units copying one template would send it.
    let shared = uuid::Uuid::now_v7().to_string();
    let mut dic = with_cameras(valid_report("38.STTTT"), &[10]);
    dic.submission_id = shared.clone();
    let mut city = with_cameras(valid_report("380"), &[2, 30]);
    city.submission_id = shared.to_uppercase();
    let mut province = baocao_proto::v1::reporting_service_client::ReportingServiceClient::connect(
        format!("http://{province_addr}"),
    )
    .await?;
    let mut district = baocao_proto::v1::reporting_service_client::ReportingServiceClient::connect(
        format!("http://{district_addr}"),
    )
    .await?;
    let first = province
        .submit_report(submit(&dic, &dic_token))
        .await?
        .into_inner();
    let second = district
        .submit_report(submit(&city, &city_token))
        .await?
        .into_inner();
    assert!(!first.repeat && !second.repeat, "both are new submissions");
    assert_eq!(
        second.submission_id, shared,
        "ids are answered in canonical form"
    );

    let landing = root.path().join("landing");
    let landed = baocao()
        .args(["land", "--until-caught-up", "--landing-dir"])
        .arg(&landing)
        .output()?;
    assert!(
        landed.status.success(),
        "{}",
        String::from_utf8_lossy(&landed.stderr)
    );
    let registry = baocao_registry::Registry::load(&data)?;
    let campaign = registry.campaign("th-open").expect("campaign");
    let milestone = &campaign.milestones[0];
    let output = roll_up_at_deadline(
        &registry,
        campaign,
        milestone,
        &landing,
        &root.path().join("out"),
    )
    .await?;
    assert_eq!(output.lineage.submissions, 2);
    assert_eq!(output.lineage.units, 2);
    let text = |name: &str| {
        let column = output.summary.column_by_name(name).expect(name);
        arrow::compute::cast(column, &arrow::datatypes::DataType::Utf8).expect("cast")
    };
    let (tiers, codes, counts) = (text("tier"), text("code"), text("cameras"));
    let strings = |array: &arrow::array::ArrayRef| {
        array
            .as_any()
            .downcast_ref::<arrow::array::StringArray>()
            .expect("strings")
            .clone()
    };
    let (tiers, codes, counts) = (strings(&tiers), strings(&codes), strings(&counts));
    let cameras = |unit: &str| -> i64 {
        (0..output.summary.num_rows())
            .find(|&row| tiers.value(row) == "unit" && codes.value(row) == unit)
            .and_then(|row| counts.value(row).parse().ok())
            .expect("unit row")
    };
    assert_eq!(cameras("38.STTTT"), 10, "the DIC's own systems");
    assert_eq!(
        cameras("380"),
        32,
        "the city's own systems, none of the DIC's"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reused_id_is_refused_after_a_restart_and_by_another_replica() -> anyhow::Result<()> {
    let mut stack = Stack::start("province", "38").await?;
    let token = stack.token("38.STTTT");
    let original = valid_report("38.STTTT");
    let mut reused = original.clone();
    reused.budget_allocated_vnd += 1;
    let receipt = stack
        .client()
        .await
        .submit_report(submit(&original, &token))
        .await?
        .into_inner();

    // The gateway restarts: its memory is rebuilt from the topic.
    if let Some(gateway) = stack.gateway.take() {
        gateway.stop().await?;
    }
    let config = GatewayConfig {
        listen: "127.0.0.1:0".into(),
        tier: "province".into(),
        jurisdiction: "38".into(),
        tokens_file: stack.tokens_file.clone(),
        ..GatewayConfig::default()
    };
    stack.gateway = Some(start_gateway(&config, &stack.kafka, stack.registry.clone()).await?);
    let mut restarted = stack.client().await;
    let status = restarted
        .submit_report(submit(&reused, &token))
        .await
        .expect_err("a reused id after a restart");
    assert_eq!(status.code(), Code::AlreadyExists, "{}", status.message());
    let repeat = restarted
        .submit_report(submit(&original, &token))
        .await?
        .into_inner();
    assert!(repeat.repeat);
    assert_eq!(repeat.received_at, receipt.received_at);

    // A second replica: it knows what the first accepted before and after it started.
    let replica_config = GatewayConfig {
        gateway_id: "province-38-b".into(),
        ..config
    };
    let replica = start_gateway(&replica_config, &stack.kafka, stack.registry.clone()).await?;
    let mut other = baocao_proto::v1::reporting_service_client::ReportingServiceClient::connect(
        format!("http://{}", replica.local_addr),
    )
    .await?;
    let status = other
        .submit_report(submit(&reused, &token))
        .await
        .expect_err("a reused id on another replica");
    assert_eq!(status.code(), Code::AlreadyExists);
    let later = valid_report("38.STTTT");
    restarted.submit_report(submit(&later, &token)).await?;
    // The replica follows the topic: within a few seconds it has seen the new one.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let mut later_reused = later.clone();
    later_reused.notes = "other content".into();
    let status = other
        .submit_report(submit(&later_reused, &token))
        .await
        .expect_err("reused on the replica after the follow");
    assert_eq!(status.code(), Code::AlreadyExists);
    assert!(
        other
            .submit_report(submit(&later, &token))
            .await?
            .into_inner()
            .repeat
    );
    assert_eq!(
        stack.read_topic(2)?.len(),
        2,
        "two submissions, two records"
    );

    // Two replicas racing on one id with contrary contents: both write, the log decides,
    // and only the writer of the first record hears OK (before: both did, 5 races of 5).
    let mut winners = Vec::new();
    for round in 0..5 {
        let first = valid_report("38.STTTT");
        let mut second = first.clone();
        second.notes = format!("race {round}");
        let (a, b) = tokio::join!(
            restarted.submit_report(submit(&first, &token)),
            other.submit_report(submit(&second, &token)),
        );
        let (won, lost) = match (a, b) {
            (Ok(_), Err(lost)) => (first, lost),
            (Err(lost), Ok(_)) => (second, lost),
            (a, b) => panic!("round {round}: exactly one OK, got {a:?} and {b:?}"),
        };
        assert_eq!(lost.code(), Code::AlreadyExists, "round {round}: {lost:?}");
        winners.push(won);
    }
    let records = stack.read_topic(2 + 10)?;
    for won in &winners {
        let first_in_log = records
            .iter()
            .find(|(_, e)| {
                e.report
                    .as_ref()
                    .is_some_and(|r| r.submission_id == won.submission_id)
            })
            .and_then(|(_, e)| e.report.clone());
        assert_eq!(
            first_in_log.as_ref(),
            Some(won),
            "the OK'd content is the log's first"
        );
    }
    replica.stop().await?;
    Ok(())
}

/// A realistic bad report: 500 systems with no name, at level 0 (1,000 problems).
fn thousand_problems() -> StatusReport {
    let mut bad = with_cameras(valid_report("38.STTTT"), &[1; 500]);
    for system in &mut bad.systems {
        system.name.clear();
        system.proposed_level = 0;
        system.dossier_status = DossierStatus::Preparing as i32;
        system.approval = None;
        system.plan_status = PlanStatus::NotStarted as i32;
    }
    bad
}

/// Bytes the metadata of an error answer takes on the wire (message percent-encoded,
/// details base64).
fn error_metadata_bytes(status: &tonic::Status) -> usize {
    let mut headers = tonic::codegen::http::HeaderMap::new();
    let _ = status.add_header(&mut headers);
    headers
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len())
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_bytes_are_refused_before_they_cost_and_answers_fit_every_client()
-> anyhow::Result<()> {
    let stack = Stack::start_with("province", "38", |config| {
        config.max_reports_per_unit_per_minute = 0;
    })
    .await?;
    let token = stack.token("38.STTTT");
    let channel = Channel::from_shared(stack.endpoint())?.connect().await?;
    let mut client = stack.client().await;

    // A valid report followed by a million empty camera systems (2 bytes each).
    let mut hostile = SubmitReportRequest {
        report: Some(valid_report("38.STTTT")),
        validate_only: false,
    }
    .encode_to_vec();
    let empty_systems = StatusReport {
        systems: vec![CameraSystem::default(); 1_000_000],
        ..Default::default()
    };
    hostile.extend(
        SubmitReportRequest {
            report: Some(empty_systems),
            validate_only: false,
        }
        .encode_to_vec(),
    );
    let status = submit_raw(&channel, hostile.clone(), "")
        .await
        .expect_err("no token");
    assert_eq!(status.code(), Code::Unauthenticated);
    let status = submit_raw(&channel, hostile, &token)
        .await
        .expect_err("too large");
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(fields(&status), ["report"]);

    // Small enough, but more systems than allowed: counted on the wire.
    let mut many = SubmitReportRequest {
        report: Some(valid_report("38.STTTT")),
        validate_only: false,
    }
    .encode_to_vec();
    many.extend(
        SubmitReportRequest {
            report: Some(StatusReport {
                systems: vec![CameraSystem::default(); 600],
                ..Default::default()
            }),
            validate_only: false,
        }
        .encode_to_vec(),
    );
    let status = submit_raw(&channel, many, &token)
        .await
        .expect_err("600 systems");
    assert_eq!(fields(&status), ["report.systems"]);
    assert!(
        status.message().contains("601 systems"),
        "{}",
        status.message()
    );

    // Two authorization headers, the valid one first: refused.
    let mut twice = submit(&valid_report("38.STTTT"), &token);
    twice
        .metadata_mut()
        .append("authorization", "Bearer bogus".parse()?);
    let status = client.submit_report(twice).await.expect_err("two headers");
    assert_eq!(status.code(), Code::Unauthenticated);

    // Page tokens and codes from the wire.
    for page_token in ["18446744073709551615", "99999", "-1"] {
        let status = client
            .list_units(authed(
                ListUnitsRequest {
                    parent_code: "38".into(),
                    page_token: page_token.into(),
                    ..Default::default()
                },
                &token,
            ))
            .await
            .expect_err("bad page token");
        assert_eq!(status.code(), Code::InvalidArgument, "{page_token}");
    }
    let long = "x".repeat(20_000);
    let status = client
        .get_unit(authed(GetUnitRequest { code: long.clone() }, &token))
        .await
        .expect_err("unknown");
    assert_eq!(status.code(), Code::NotFound);
    assert!(status.message().len() < 200, "{}", status.message().len());
    let status = client
        .list_units(authed(
            ListUnitsRequest {
                parent_code: long,
                ..Default::default()
            },
            &token,
        ))
        .await
        .expect_err("unknown parent");
    assert!(status.message().len() < 200);

    // A realistic bad report: 500 systems without a name, at level 0.
    let bad = thousand_problems();
    let status = client
        .submit_report(submit(&bad, &token))
        .await
        .expect_err("1,000 problems");
    assert_eq!(status.code(), Code::InvalidArgument);
    let listed = status
        .get_details_bad_request()
        .map(|b| b.field_violations)
        .unwrap_or_default();
    assert!(listed.len() > 20, "many problems listed: {}", listed.len());
    let last = listed
        .last()
        .map(|v| v.description.clone())
        .unwrap_or_default();
    assert!(last.contains("more problems"), "{last}");
    assert!(error_metadata_bytes(&status) < MAX_ERROR_METADATA_BYTES);

    // What browsers send: CR LF in free text, accepted and stored as LF. An id's
    // spellings are one id.
    let mut crlf = valid_report("38.STTTT");
    crlf.notes = "dòng một\r\ndòng hai\r\n\tthụt lề".into();
    crlf.submission_id = crlf.submission_id.to_uppercase();
    let receipt = client
        .submit_report(submit(&crlf, &token))
        .await?
        .into_inner();
    assert_eq!(receipt.submission_id, crlf.submission_id.to_lowercase());
    crlf.submission_id = crlf.submission_id.to_lowercase();
    crlf.notes = "dòng một\ndòng hai\n\tthụt lề".into();
    assert!(
        client
            .submit_report(submit(&crlf, &token))
            .await?
            .into_inner()
            .repeat
    );
    let records = stack.read_topic(1)?;
    assert_eq!(records.len(), 1, "one record for every spelling");
    assert_eq!(
        records[0].1.report.as_ref().map(|r| r.notes.as_str()),
        Some("dòng một\ndòng hai\n\tthụt lề")
    );
    Ok(())
}

fn fields(status: &tonic::Status) -> Vec<String> {
    status
        .get_details_bad_request()
        .map(|b| b.field_violations.into_iter().map(|v| v.field).collect())
        .unwrap_or_default()
}

/// A C-core gRPC client (Python's grpcio, as C++, C#, Ruby and PHP clients are built) sends
/// `body` to `method` with the token; its status code name and the details it received.
fn c_core_call(endpoint: &str, method: &str, body: &[u8], token: &str) -> anyhow::Result<String> {
    let dir = tempfile::tempdir()?;
    let request = dir.path().join("request.bin");
    std::fs::write(&request, body)?;
    let script = r#"
import sys, grpc
target, method, path, token = sys.argv[1:5]
body = open(path, "rb").read()
call = grpc.insecure_channel(target).unary_unary(method)
try:
    call(body, metadata=[("authorization", "Bearer " + token)], timeout=30)
    print("OK")
except grpc.RpcError as err:
    details = dict(err.trailing_metadata() or ()).get("grpc-status-details-bin", b"")
    print(err.code().name, len(details))
"#;
    let output = Command::new("python3")
        .args(["-c", script, endpoint, method])
        .arg(&request)
        .arg(token)
        .output()?;
    anyhow::ensure!(
        output.status.success(),
        "python3 grpcio (scripts/install-deps.sh installs it): {}",
        String::from_utf8_lossy(&output.stderr)
    );
    Ok(String::from_utf8(output.stdout)?.trim().to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_c_core_client_gets_invalid_argument_with_its_list_and_not_found() -> anyhow::Result<()> {
    let stack = Stack::start("province", "38").await?;
    let token = stack.token("38.STTTT");
    let endpoint = stack.endpoint().trim_start_matches("http://").to_string();
    // 500 systems with no name at level 0: 1,000 problems.
    let bad = thousand_problems();
    let body = SubmitReportRequest {
        report: Some(bad),
        validate_only: false,
    }
    .encode_to_vec();
    let answer = c_core_call(
        &endpoint,
        "/baocao.v1.ReportingService/SubmitReport",
        &body,
        &token,
    )?;
    let (code, details) = answer.split_once(' ').unwrap_or((&answer, "0"));
    assert_eq!(code, "INVALID_ARGUMENT", "{answer}");
    assert!(
        details.parse::<usize>()? > 1_000,
        "the list of problems arrived: {answer}"
    );
    let body = GetUnitRequest {
        code: "x".repeat(20_000),
    }
    .encode_to_vec();
    let answer = c_core_call(
        &endpoint,
        "/baocao.v1.ReportingService/GetUnit",
        &body,
        &token,
    )?;
    assert!(answer.starts_with("NOT_FOUND"), "{answer}");
    Ok(())
}
