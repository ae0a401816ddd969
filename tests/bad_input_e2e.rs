//! The bad-input corpus, over real gRPC to a gateway backed by the embedded broker: more
//! than fifty malicious or malformed inputs (raw bytes that are not protobuf, truncated
//! and corrupted encodings, invalid UTF-8, wrong wire types, huge strings, thousands of
//! repeated systems, impossible dates, levels 0 and 6, negative and overflowing counts,
//! unknown enums, another unit's code, replayed ids with other content, bad tokens).
//! Each must get its precise status code and the field it names; afterwards the gateway
//! still serves, and nothing refused reached Kafka.

mod common;

use baocao_fixtures::date_of as date;
use baocao_proto::codec::submit_raw_bytes as submit_raw;
use baocao_proto::v1::{
    Approval, CameraSystem, Date, DossierStatus, InternalRegulation, PlanStatus, PoliceIndicators,
    StatusReport, SubmitReportRequest, TelecomIndicators,
};
use common::{Stack, authed, today, valid_report};
use prost::Message;
use tonic::Code;
use tonic::transport::Channel;
use tonic_types::StatusExt;

/// The fields named in the BadRequest details of a refusal.
fn violated_fields(status: &tonic::Status) -> Vec<String> {
    let mut fields: Vec<String> = status
        .get_details_bad_request()
        .map(|b| b.field_violations.into_iter().map(|v| v.field).collect())
        .unwrap_or_default();
    fields.sort();
    fields.dedup();
    fields
}

/// Deterministic pseudo-random bytes (xorshift), so the garbage is the same every run.
fn garbage(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed.max(1);
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect()
}

/// `body` with the first occurrence of `find` replaced by `with` (same length).
fn splice(body: &[u8], find: &[u8], with: &[u8]) -> Vec<u8> {
    assert_eq!(find.len(), with.len());
    let at = body
        .windows(find.len())
        .position(|w| w == find)
        .expect("pattern in the encoding");
    let mut out = body.to_vec();
    out[at..at + with.len()].copy_from_slice(with);
    out
}

type Mutation = Box<dyn Fn(&mut StatusReport)>;

/// (name, change to a valid report of 38.STTTT, expected code, expected fields).
fn report_cases() -> Vec<(&'static str, Mutation, Code, Vec<&'static str>)> {
    use Code::{AlreadyExists, InvalidArgument, PermissionDenied};
    let tomorrow = date(today() + chrono::Duration::days(1));
    let on = |year, month, day| Some(Date { year, month, day });
    vec![
        // Campaign and unit.
        (
            "unknown campaign",
            Box::new(|r| r.campaign_id = "no-such".into()),
            InvalidArgument,
            vec!["report.campaign_id"],
        ),
        (
            "closed campaign",
            Box::new(|r| r.campaign_id = "th-closed".into()),
            InvalidArgument,
            vec!["report.campaign_id"],
        ),
        (
            "empty campaign id",
            Box::new(|r| r.campaign_id.clear()),
            InvalidArgument,
            vec!["report.campaign_id"],
        ),
        (
            "another province's campaign",
            Box::new(|r| r.campaign_id = "quang-binh-2023".into()),
            InvalidArgument,
            vec!["report.campaign_id"],
        ),
        (
            "a 5,000-character campaign id",
            Box::new(|r| r.campaign_id = "c".repeat(5_000)),
            InvalidArgument,
            vec!["report.campaign_id"],
        ),
        (
            "another unit's code",
            Box::new(|r| r.unit_code = "38.CA".into()),
            PermissionDenied,
            vec![],
        ),
        (
            "another province's unit",
            Box::new(|r| r.unit_code = "44.STTTT".into()),
            PermissionDenied,
            vec![],
        ),
        (
            "unknown unit code",
            Box::new(|r| r.unit_code = "38.NO-SUCH".into()),
            InvalidArgument,
            vec!["report.unit_code"],
        ),
        (
            "empty unit code",
            Box::new(|r| r.unit_code.clear()),
            InvalidArgument,
            vec!["report.unit_code"],
        ),
        (
            "a 5k-character unit code",
            Box::new(|r| r.unit_code = "3".repeat(5_000)),
            InvalidArgument,
            vec!["report.unit_code"],
        ),
        // Submission id.
        (
            "empty submission id",
            Box::new(|r| r.submission_id.clear()),
            InvalidArgument,
            vec!["report.submission_id"],
        ),
        (
            "submission id not a UUID",
            Box::new(|r| r.submission_id = "abc".into()),
            InvalidArgument,
            vec!["report.submission_id"],
        ),
        // Levels.
        (
            "level 0",
            Box::new(|r| r.systems[0].proposed_level = 0),
            InvalidArgument,
            vec!["report.systems[0].proposed_level"],
        ),
        (
            "level 6",
            Box::new(|r| r.systems[0].proposed_level = 6),
            InvalidArgument,
            vec!["report.systems[0].proposed_level"],
        ),
        (
            "level i32::MIN",
            Box::new(|r| r.systems[0].proposed_level = i32::MIN),
            InvalidArgument,
            vec!["report.systems[0].proposed_level"],
        ),
        (
            "approved level 7",
            Box::new(|r| set_approval(r, |a| a.approved_level = 7)),
            InvalidArgument,
            vec!["report.systems[0].approval.approved_level"],
        ),
        (
            "approved level 0",
            Box::new(|r| set_approval(r, |a| a.approved_level = 0)),
            InvalidArgument,
            vec!["report.systems[0].approval.approved_level"],
        ),
        (
            "approval without approved status",
            Box::new(|r| r.systems[0].dossier_status = DossierStatus::Submitted as i32),
            InvalidArgument,
            vec!["report.systems[0].approval"],
        ),
        (
            "approved without approval",
            Box::new(|r| r.systems[0].approval = None),
            InvalidArgument,
            vec!["report.systems[0].approval"],
        ),
        // Counts: negative and overflowing.
        (
            "negative camera count",
            Box::new(|r| r.systems[0].camera_count = -1),
            InvalidArgument,
            vec!["report.systems[0].camera_count"],
        ),
        (
            "camera count i64::MAX",
            Box::new(|r| r.systems[0].camera_count = i64::MAX),
            InvalidArgument,
            vec!["report.systems[0].camera_count"],
        ),
        (
            "negative warning-list count",
            Box::new(|r| r.systems[0].cameras_on_warning_list = -1),
            InvalidArgument,
            vec!["report.systems[0].cameras_on_warning_list"],
        ),
        (
            "certified and warned at i64::MAX (would overflow)",
            Box::new(|r| {
                r.systems[0].cameras_certified = i64::MAX;
                r.systems[0].cameras_on_warning_list = i64::MAX;
            }),
            InvalidArgument,
            vec![
                "report.systems[0].cameras_certified",
                "report.systems[0].cameras_on_warning_list",
            ],
        ),
        (
            "negative replaced count",
            Box::new(|r| r.systems[0].cameras_replaced_or_removed = -5),
            InvalidArgument,
            vec!["report.systems[0].cameras_replaced_or_removed"],
        ),
        (
            "certified + warned above count",
            Box::new(|r| {
                r.systems[0].cameras_certified = 10;
                r.systems[0].cameras_on_warning_list = 5;
            }),
            InvalidArgument,
            vec!["report.systems[0].cameras_certified"],
        ),
        (
            "negative budget",
            Box::new(|r| r.budget_allocated_vnd = -5),
            InvalidArgument,
            vec!["report.budget_allocated_vnd"],
        ),
        (
            "budget i64::MAX",
            Box::new(|r| r.budget_allocated_vnd = i64::MAX),
            InvalidArgument,
            vec!["report.budget_allocated_vnd"],
        ),
        (
            "negative incidents",
            Box::new(|r| r.incidents = -1),
            InvalidArgument,
            vec!["report.incidents"],
        ),
        (
            "incidents i64::MAX",
            Box::new(|r| r.incidents = i64::MAX),
            InvalidArgument,
            vec!["report.incidents"],
        ),
        // Dates.
        (
            "impossible date 30/02",
            Box::new(move |r| r.as_of = on(2023, 2, 30)),
            InvalidArgument,
            vec!["report.as_of"],
        ),
        (
            "29/02 of a common year",
            Box::new(move |r| r.as_of = on(2023, 2, 29)),
            InvalidArgument,
            vec!["report.as_of"],
        ),
        (
            "31/04",
            Box::new(move |r| r.as_of = on(2023, 4, 31)),
            InvalidArgument,
            vec!["report.as_of"],
        ),
        (
            "day 0",
            Box::new(move |r| r.as_of = on(2023, 3, 0)),
            InvalidArgument,
            vec!["report.as_of"],
        ),
        (
            "month 13",
            Box::new(move |r| r.systems[0].last_periodic_assessment_on = on(2023, 13, 1)),
            InvalidArgument,
            vec!["report.systems[0].last_periodic_assessment_on"],
        ),
        (
            "negative month",
            Box::new(move |r| r.as_of = on(2023, -1, 1)),
            InvalidArgument,
            vec!["report.as_of"],
        ),
        (
            "year i32::MAX",
            Box::new(move |r| r.as_of = on(i32::MAX, 1, 1)),
            InvalidArgument,
            vec!["report.as_of"],
        ),
        (
            "year 0",
            Box::new(move |r| r.as_of = on(0, 1, 1)),
            InvalidArgument,
            vec!["report.as_of"],
        ),
        (
            "missing as_of",
            Box::new(|r| r.as_of = None),
            InvalidArgument,
            vec!["report.as_of"],
        ),
        (
            "future as_of",
            Box::new(move |r| r.as_of = Some(tomorrow)),
            InvalidArgument,
            vec!["report.as_of"],
        ),
        (
            "future approval decision",
            Box::new(move |r| set_approval(r, |a| a.decision_date = Some(tomorrow))),
            InvalidArgument,
            vec!["report.systems[0].approval.decision_date"],
        ),
        (
            "future regulation document",
            Box::new(move |r| {
                r.internal_regulation = Some(InternalRegulation {
                    updated: true,
                    document_number: "01/QĐ".into(),
                    document_date: Some(tomorrow),
                })
            }),
            InvalidArgument,
            vec!["report.internal_regulation.document_date"],
        ),
        // Enums.
        (
            "unknown dossier status",
            Box::new(|r| r.systems[0].dossier_status = 42),
            InvalidArgument,
            vec![
                "report.systems[0].approval",
                "report.systems[0].dossier_status",
            ],
        ),
        (
            "negative dossier status",
            Box::new(|r| r.systems[0].dossier_status = -1),
            InvalidArgument,
            vec![
                "report.systems[0].approval",
                "report.systems[0].dossier_status",
            ],
        ),
        (
            "unknown plan status",
            Box::new(|r| r.systems[0].plan_status = 99),
            InvalidArgument,
            vec!["report.systems[0].plan_status"],
        ),
        // Text: empty, huge, control characters, codes.
        (
            "empty system code",
            Box::new(|r| r.systems[0].system_code.clear()),
            InvalidArgument,
            vec!["report.systems[0].system_code"],
        ),
        (
            "system code with a space",
            Box::new(|r| r.systems[0].system_code = "CAM 01".into()),
            InvalidArgument,
            vec!["report.systems[0].system_code"],
        ),
        (
            "system code of 65 characters",
            Box::new(|r| r.systems[0].system_code = "C".repeat(65)),
            InvalidArgument,
            vec!["report.systems[0].system_code"],
        ),
        (
            "system code with Vietnamese letters",
            Box::new(|r| r.systems[0].system_code = "CAM-ĐỒNG".into()),
            InvalidArgument,
            vec!["report.systems[0].system_code"],
        ),
        (
            "empty system name",
            Box::new(|r| r.systems[0].name = " ".into()),
            InvalidArgument,
            vec!["report.systems[0].name"],
        ),
        (
            "system name of 501 characters",
            Box::new(|r| r.systems[0].name = "ă".repeat(501)),
            InvalidArgument,
            vec!["report.systems[0].name"],
        ),
        (
            "NUL in a name",
            Box::new(|r| r.systems[0].name = "Camera\0cổng".into()),
            InvalidArgument,
            vec!["report.systems[0].name"],
        ),
        (
            "escape sequence in the reporter's name",
            Box::new(|r| set_reporter(r, |p| p.full_name = "\u{1b}[31mHoa".into())),
            InvalidArgument,
            vec!["report.reporter.full_name"],
        ),
        (
            "missing reporter",
            Box::new(|r| r.reporter = None),
            InvalidArgument,
            vec!["report.reporter"],
        ),
        (
            "reporter without phone or email",
            Box::new(|r| {
                set_reporter(r, |p| {
                    p.phone.clear();
                    p.email.clear();
                })
            }),
            InvalidArgument,
            vec!["report.reporter"],
        ),
        (
            "email without @",
            Box::new(|r| set_reporter(r, |p| p.email = "hoa.thanhhoa.gov.vn".into())),
            InvalidArgument,
            vec!["report.reporter.email"],
        ),
        (
            "phone of 33 characters",
            Box::new(|r| set_reporter(r, |p| p.phone = "0".repeat(33))),
            InvalidArgument,
            vec!["report.reporter.phone"],
        ),
        (
            "notes of 4,001 characters",
            Box::new(|r| r.notes = "n".repeat(4_001)),
            InvalidArgument,
            vec!["report.notes"],
        ),
        (
            // Over max_report_bytes: refused on the wire, before it is decoded.
            "oversize message",
            Box::new(|r| r.notes = "x".repeat(20_000)),
            InvalidArgument,
            vec!["report"],
        ),
        // Repeated fields.
        (
            "duplicate system code",
            Box::new(|r| {
                let copy = r.systems[0].clone();
                r.systems.push(copy);
            }),
            InvalidArgument,
            vec!["report.systems[1].system_code"],
        ),
        (
            "empty report",
            Box::new(|r| r.systems.clear()),
            InvalidArgument,
            vec!["report.systems"],
        ),
        (
            "no_camera_systems with systems",
            Box::new(|r| r.no_camera_systems = true),
            InvalidArgument,
            vec!["report.no_camera_systems"],
        ),
        (
            "too many systems",
            Box::new(|r| {
                let template = r.systems[0].clone();
                r.systems = (0..6)
                    .map(|i| CameraSystem {
                        system_code: format!("CAM-{i}"),
                        ..template.clone()
                    })
                    .collect();
            }),
            InvalidArgument,
            vec!["report.systems"],
        ),
        (
            "3,000 empty systems",
            Box::new(|r| r.systems = vec![CameraSystem::default(); 3_000]),
            InvalidArgument,
            vec![],
        ),
        // Indicator blocks.
        (
            "telecom block from the DIC",
            Box::new(|r| {
                r.telecom = Some(TelecomIndicators {
                    cameras_checked: 1,
                    ..Default::default()
                })
            }),
            InvalidArgument,
            vec!["report.telecom"],
        ),
        (
            "police block from the DIC",
            Box::new(|r| {
                r.police = Some(PoliceIndicators {
                    assessments_done: 1,
                    cases_handled: 0,
                })
            }),
            InvalidArgument,
            vec!["report.police"],
        ),
        // A replayed id with other content (the original is sent first by the test).
        (
            "replayed submission id, other content",
            Box::new(|r| {
                r.submission_id = REPLAYED_ID.into();
                r.budget_allocated_vnd += 1;
            }),
            AlreadyExists,
            vec!["report.submission_id"],
        ),
        // The same id in capitals is the same id.
        (
            "replayed submission id upper-cased, other content",
            Box::new(|r| {
                r.submission_id = REPLAYED_ID.to_uppercase();
                r.budget_allocated_vnd += 2;
            }),
            AlreadyExists,
            vec!["report.submission_id"],
        ),
    ]
}

const REPLAYED_ID: &str = "0192f0c1-7a4e-7cc2-9f0e-5b1d2c3e4f50";

fn set_approval(report: &mut StatusReport, change: impl Fn(&mut Approval)) {
    if let Some(approval) = report.systems[0].approval.as_mut() {
        change(approval);
    }
}

fn set_reporter(report: &mut StatusReport, change: impl Fn(&mut baocao_proto::v1::Reporter)) {
    if let Some(reporter) = report.reporter.as_mut() {
        change(reporter);
    }
}

/// Raw request bodies that are not a well-formed `SubmitReportRequest`.
fn raw_cases(valid: &[u8]) -> Vec<(String, Vec<u8>, Code, Vec<&'static str>)> {
    let mut cases: Vec<(String, Vec<u8>, Code, Vec<&'static str>)> = Vec::new();
    cases.push((
        "empty body (no report)".into(),
        Vec::new(),
        Code::InvalidArgument,
        vec!["report"],
    ));
    for (len, seed) in [(1, 3), (7, 5), (64, 7), (1_000, 11), (30_000, 13)] {
        // Beyond max_report_bytes (8 KiB here) the size is refused before any decoding.
        let field = if len > 8 * 1024 { "report" } else { "request" };
        cases.push((
            format!("{len} garbage bytes"),
            garbage(len, seed),
            Code::InvalidArgument,
            vec![field],
        ));
    }
    for eighths in [1, 2, 4, 6, 7] {
        let cut = valid.len() * eighths / 8;
        cases.push((
            format!("valid encoding truncated to {eighths}/8"),
            valid[..cut].to_vec(),
            Code::InvalidArgument,
            vec!["request"],
        ));
    }
    cases.push((
        "valid encoding minus its last byte".into(),
        valid[..valid.len() - 1].to_vec(),
        Code::InvalidArgument,
        vec!["request"],
    ));
    cases.push((
        "invalid UTF-8 in the unit code".into(),
        splice(valid, b"38.STTTT", b"38.STT\xff\xfe"),
        Code::InvalidArgument,
        vec!["request"],
    ));
    cases.push((
        "invalid UTF-8 in the reporter's name".into(),
        splice(valid, "Lê".as_bytes(), b"L\xc3\x28"),
        Code::InvalidArgument,
        vec!["request"],
    ));
    cases.push((
        "invalid UTF-8 in a system name".into(),
        splice(valid, b"Camera", b"Cam\xed\xa0\x80"),
        Code::InvalidArgument,
        vec!["request"],
    ));
    // Field 1 (the report, a message) sent as a varint.
    cases.push((
        "wrong wire type for the report".into(),
        vec![0x08, 0x01],
        Code::InvalidArgument,
        vec!["request"],
    ));
    cases.push((
        "an 11-byte varint".into(),
        [&[0x0a][..], &[0xff; 10][..], &[0x01][..]].concat(),
        Code::InvalidArgument,
        vec!["request"],
    ));
    cases.push((
        "a length prefix past the end".into(),
        vec![0x0a, 0x80, 0x80, 0x04, 0x01, 0x02],
        Code::InvalidArgument,
        vec!["request"],
    ));
    cases.push((
        "field number 0".into(),
        vec![0x02, 0x00],
        Code::InvalidArgument,
        vec!["request"],
    ));
    // A valid report with a thousand empty systems appended (a second occurrence of the
    // report field, which protobuf merges): counted on the wire, never decoded.
    let mut appended = valid.to_vec();
    appended.extend(
        SubmitReportRequest {
            report: Some(StatusReport {
                systems: vec![CameraSystem::default(); 1_000],
                ..Default::default()
            }),
            validate_only: false,
        }
        .encode_to_vec(),
    );
    cases.push((
        "a thousand empty systems appended".into(),
        appended,
        Code::InvalidArgument,
        vec!["report.systems"],
    ));
    // 200 nested groups of an unknown field: beyond prost's recursion limit.
    let mut nested = Vec::new();
    for _ in 0..200 {
        nested.extend_from_slice(&[0x9b, 0x06]); // field 99, start group
    }
    for _ in 0..200 {
        nested.extend_from_slice(&[0x9c, 0x06]); // field 99, end group
    }
    cases.push((
        "200 nested groups".into(),
        nested,
        Code::InvalidArgument,
        vec!["request"],
    ));
    cases
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_corpus_each_refused_precisely_and_the_service_keeps_serving()
-> anyhow::Result<()> {
    let stack = Stack::start_with("province", "38", |config| {
        config.max_systems_per_report = 5;
        config.max_report_bytes = 8 * 1024;
        // Dozens of reports from one unit in seconds: not what the rate limit is for.
        config.max_reports_per_unit_per_minute = 0;
    })
    .await?;
    let token = stack.token("38.STTTT");
    let mut client = stack.client().await;
    let channel = Channel::from_shared(stack.endpoint())?.connect().await?;
    let mut checked = 0;

    // The original of the replayed id: accepted.
    let mut original = valid_report("38.STTTT");
    original.submission_id = REPLAYED_ID.into();
    client
        .submit_report(authed(
            SubmitReportRequest {
                report: Some(original),
                validate_only: false,
            },
            &token,
        ))
        .await?;

    // Every input is tried; all mismatches are reported together.
    let mut mismatches: Vec<String> = Vec::new();
    let mut expect =
        |name: &str, result: Result<(), tonic::Status>, code: Code, fields: &[&str]| {
            checked += 1;
            let status = match result {
                Ok(()) => return mismatches.push(format!("{name}: accepted")),
                Err(status) => status,
            };
            let named = violated_fields(&status);
            if status.code() != code {
                mismatches.push(format!(
                    "{name}: {:?} instead of {code:?}: {}",
                    status.code(),
                    status.message()
                ));
            } else if !fields.is_empty() && named != fields {
                mismatches.push(format!(
                    "{name}: fields {named:?} instead of {fields:?}: {}",
                    status.message()
                ));
            } else if fields.is_empty() && code == Code::InvalidArgument && named.is_empty() {
                mismatches.push(format!("{name}: no field named: {}", status.message()));
            }
            if status.message().len() > 4_096 {
                mismatches.push(format!("{name}: a {}-byte message", status.message().len()));
            }
        };
    for (name, mutate, code, fields) in report_cases() {
        let mut report = valid_report("38.STTTT");
        mutate(&mut report);
        let result = client
            .submit_report(authed(
                SubmitReportRequest {
                    report: Some(report),
                    validate_only: false,
                },
                &token,
            ))
            .await
            .map(|_| ());
        expect(name, result, code, &fields);
    }
    let valid = SubmitReportRequest {
        report: Some(valid_report("38.STTTT")),
        validate_only: false,
    }
    .encode_to_vec();
    for (name, body, code, fields) in raw_cases(&valid) {
        let result = submit_raw(&channel, body, &token).await.map(|_| ());
        expect(&name, result, code, &fields);
    }

    // Far above the size limit: refused by the transport before it is decoded.
    let mut huge = valid_report("38.STTTT");
    huge.notes = "y".repeat(200_000);
    let result = client
        .submit_report(authed(
            SubmitReportRequest {
                report: Some(huge),
                validate_only: false,
            },
            &token,
        ))
        .await
        .map(|_| ());
    expect(
        "200 kB of notes",
        result,
        Code::InvalidArgument,
        &["report"],
    );

    // Tokens: none, malformed, unknown.
    let report = SubmitReportRequest {
        report: Some(valid_report("38.STTTT")),
        validate_only: false,
    };
    let result = client
        .submit_report(tonic::Request::new(report.clone()))
        .await
        .map(|_| ());
    expect("no token", result, Code::Unauthenticated, &[]);
    for bad in [
        "",
        "bcv1_",
        "bcv1_0000000000000000000000000000",
        "Basic abc",
    ] {
        let result = client
            .submit_report(authed(report.clone(), bad))
            .await
            .map(|_| ());
        expect(
            &format!("token `{bad}`"),
            result,
            Code::Unauthenticated,
            &[],
        );
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
    assert!(checked >= 50, "the corpus has {checked} inputs");

    // Still serving, and only the two valid reports reached Kafka.
    let receipt = client.submit_report(authed(report, &token)).await?;
    assert!(!receipt.into_inner().repeat);
    let records = stack.read_topic(2)?;
    assert_eq!(records.len(), 2, "nothing refused reached Kafka");

    // Many problems at once are all named in one answer.
    let mut many = valid_report("38.STTTT");
    let template = many.systems[0].clone();
    many.systems = (0..5)
        .map(|i| CameraSystem {
            system_code: format!("CAM-{i}"),
            proposed_level: 9,
            camera_count: -1,
            plan_status: PlanStatus::Implemented as i32,
            dossier_status: DossierStatus::Rejected as i32,
            ..template.clone()
        })
        .collect();
    let status = client
        .submit_report(authed(
            SubmitReportRequest {
                report: Some(many),
                validate_only: false,
            },
            &token,
        ))
        .await
        .expect_err("many problems");
    assert_eq!(status.code(), Code::InvalidArgument);
    assert!(violated_fields(&status).len() >= 10);
    Ok(())
}
