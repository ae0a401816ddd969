//! End-to-end through the whole job: gRPC → gateways → Kafka (embedded broker process) →
//! landing → DataFusion rollup. The summary figures are checked against an independent
//! computation over the same accepted submissions, and read back with a second Parquet
//! reader; a landing stopped between writing files and committing offsets is restarted
//! and the summaries are unchanged; undecodable records go to the dead-letter topic.

mod common;

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use arrow::array::{AsArray, RecordBatch};
use arrow::datatypes::{DataType, Int64Type};
use baocao_gateway::{GatewayConfig, start_gateway_with_clock};
use baocao_kafka::KafkaConfig;
use baocao_landing::{Lander, LandingConfig, RunMode};
use baocao_proto::v1::reporting_service_client::ReportingServiceClient;
use baocao_proto::v1::{DossierStatus, PlanStatus, StatusReport, SubmitReportRequest};
use baocao_registry::end_of_vietnam_day_ms;
use baocao_registry::{AdminLevel, Registry};
use baocao_store::S3Config;
use baocao_submission::CampaignClock;
use chrono::{DateTime, NaiveDate, Utc};
use common::{BrokerProcess, authed, roll_up_at_deadline};

/// A registry with the shipped data (incl. the thanh-hoa-2023 campaign).
fn shipped_registry() -> Arc<Registry> {
    Arc::new(
        Registry::load_register(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../data"),
            &baocao_registry::RegisterChoice::Named("2023".to_string()),
        )
        .expect("registry"),
    )
}

struct Accepted {
    unit: String,
    received_at_ms: i64,
    report: StatusReport,
}

/// Replays the Thanh Hóa 2023 plan for the units of Thị xã Bỉm Sơn (381) and the
/// provincial units through gateways of all three tiers; returns what was accepted.
async fn replay(
    registry: &Arc<Registry>,
    kafka: &KafkaConfig,
    tokens_file: &Path,
) -> anyhow::Result<Vec<Accepted>> {
    let campaign = registry
        .campaign("thanh-hoa-2023")
        .expect("campaign")
        .clone();
    let plan: Vec<_> = baocao_workload::plan_campaign(registry, &campaign, 7)
        .into_iter()
        .filter(|p| {
            registry
                .unit(&p.unit_code)
                .is_some_and(|u| u.tier == AdminLevel::Province || registry.is_within(u, "381"))
        })
        .collect();
    assert!(
        plan.len() > 60,
        "a meaningful sample: {} submissions",
        plan.len()
    );
    let clock = Arc::new(CampaignClock::standing_at(DateTime::<Utc>::UNIX_EPOCH));
    let mut clients = HashMap::new();
    let mut gateways = Vec::new();
    for tier in [
        AdminLevel::Province,
        AdminLevel::District,
        AdminLevel::Commune,
    ] {
        let config = GatewayConfig {
            listen: "127.0.0.1:0".into(),
            tier: tier.as_str().into(),
            jurisdiction: "38".into(),
            tokens_file: tokens_file.to_path_buf(),
            ..Default::default()
        };
        let gateway =
            start_gateway_with_clock(&config, kafka, registry.clone(), clock.clone()).await?;
        clients.insert(
            tier,
            ReportingServiceClient::connect(format!("http://{}", gateway.local_addr)).await?,
        );
        gateways.push(gateway);
    }
    let mut units: Vec<&str> = plan.iter().map(|p| p.unit_code.as_str()).collect();
    units.sort_unstable();
    units.dedup();
    let tokens: HashMap<String, String> = baocao_access::tokens::issue_tokens(tokens_file, &units)?
        .into_iter()
        .map(|(token, record)| (record.unit, token))
        .collect();
    let mut accepted = Vec::new();
    for planned in &plan {
        clock.set(planned.at);
        let tier = registry
            .unit(&planned.unit_code)
            .map(|u| u.tier)
            .expect("unit");
        let client = clients.get_mut(&tier).expect("client");
        let request = authed(
            SubmitReportRequest {
                report: Some(planned.report.clone()),
                validate_only: false,
            },
            &tokens[&planned.unit_code],
        );
        match (planned.kind, client.submit_report(request).await) {
            (baocao_workload::SubmissionKind::Invalid(_), Err(status)) => {
                assert_eq!(status.code(), tonic::Code::InvalidArgument)
            }
            (kind, Ok(receipt)) => {
                let receipt = receipt.into_inner();
                assert!(
                    !matches!(kind, baocao_workload::SubmissionKind::Invalid(_)),
                    "invalid report accepted"
                );
                if !receipt.repeat {
                    let at = receipt.received_at.expect("received_at");
                    accepted.push(Accepted {
                        unit: planned.unit_code.clone(),
                        received_at_ms: at.seconds * 1000 + i64::from(at.nanos) / 1_000_000,
                        report: planned.report.clone(),
                    });
                } else {
                    assert_eq!(kind, baocao_workload::SubmissionKind::Retry);
                }
            }
            (kind, Err(status)) => {
                anyhow::bail!("{kind:?} from {} refused: {status:?}", planned.unit_code)
            }
        }
    }
    for gateway in gateways {
        gateway.stop().await?;
    }
    Ok(accepted)
}

/// The expected figures of one area, computed directly from the accepted submissions.
#[derive(Debug, Default, PartialEq)]
struct Expected {
    units_expected: i64,
    units_reported: i64,
    units_on_time: i64,
    units_late: i64,
    units_missing: i64,
    units_not_updated: i64,
    systems: i64,
    cameras: i64,
    dossiers_approved: i64,
    plans_implemented: i64,
    budget_vnd: i64,
}

/// docs/schema.md's rules, computed directly: the milestone's window opens on
/// `milestone.opens_on`; timeliness is the first report inside it; a unit that reported
/// only before it is "not updated" and keeps its last state in the measures.
fn independent(
    registry: &Registry,
    accepted: &[Accepted],
    milestone: &baocao_registry::Milestone,
    cut_off: NaiveDate,
) -> HashMap<String, Expected> {
    let campaign = registry.campaign("thanh-hoa-2023").expect("campaign");
    let cut_off_ms = end_of_vietnam_day_ms(cut_off);
    let deadline_ms = end_of_vietnam_day_ms(milestone.unit_deadline);
    let window_ms = milestone
        .opens_on
        .pred_opt()
        .map_or(i64::MIN, end_of_vietnam_day_ms);
    let mut out: HashMap<String, Expected> = HashMap::new();
    for unit in registry.expected_units(campaign) {
        let mine: Vec<&Accepted> = accepted
            .iter()
            .filter(|a| a.unit == unit.code && a.received_at_ms < cut_off_ms)
            .collect();
        let first = mine
            .iter()
            .map(|a| a.received_at_ms)
            .filter(|t| *t >= window_ms)
            .min();
        let latest = mine
            .iter()
            .max_by_key(|a| (a.received_at_ms, a.report.submission_id.clone()));
        let mut areas = vec!["38".to_string()];
        if let Some(district) = registry.area_at(unit, AdminLevel::District) {
            areas.push(district.code.clone());
        }
        for area in areas {
            let e = out.entry(area).or_default();
            e.units_expected += 1;
            match first {
                None if mine.is_empty() => e.units_missing += 1,
                None => e.units_not_updated += 1,
                Some(t) => {
                    e.units_reported += 1;
                    if t < deadline_ms {
                        e.units_on_time += 1;
                    } else {
                        e.units_late += 1;
                    }
                }
            }
            if let Some(latest) = latest {
                let systems = &latest.report.systems;
                e.systems += systems.len() as i64;
                e.cameras += systems.iter().map(|s| s.camera_count).sum::<i64>();
                e.dossiers_approved += systems
                    .iter()
                    .filter(|s| s.dossier_status == DossierStatus::Approved as i32)
                    .count() as i64;
                e.plans_implemented += systems
                    .iter()
                    .filter(|s| s.plan_status == PlanStatus::Implemented as i32)
                    .count() as i64;
                e.budget_vnd += latest.report.budget_allocated_vnd;
            }
        }
    }
    out
}

fn summary_figures(summary: &RecordBatch, tier: &str, code: &str) -> Expected {
    let text = |name: &str| {
        arrow::compute::cast(summary.column_by_name(name).expect(name), &DataType::Utf8)
            .expect("cast")
    };
    let (tiers, codes) = (text("tier"), text("code"));
    let row = (0..summary.num_rows())
        .find(|&i| {
            tiers.as_string::<i32>().value(i) == tier && codes.as_string::<i32>().value(i) == code
        })
        .unwrap_or_else(|| panic!("no {tier} {code}"));
    let int = |name: &str| {
        arrow::compute::cast(summary.column_by_name(name).expect(name), &DataType::Int64)
            .expect("cast")
            .as_primitive::<Int64Type>()
            .value(row)
    };
    Expected {
        units_expected: int("units_expected"),
        units_reported: int("units_reported"),
        units_on_time: int("units_on_time"),
        units_late: int("units_late"),
        units_missing: int("units_missing"),
        units_not_updated: int("units_not_updated"),
        systems: int("systems"),
        cameras: int("cameras"),
        dossiers_approved: int("dossiers_approved"),
        plans_implemented: int("plans_implemented"),
        budget_vnd: int("budget_vnd"),
    }
}

/// Reads the province row of a summary file with the `parquet` crate's record API (not
/// DataFusion, not the Arrow reader): (units_expected, units_reported, cameras).
fn read_back_with_parquet_records(path: &Path) -> anyhow::Result<(i64, i64, i64)> {
    use parquet::file::reader::{FileReader, SerializedFileReader};
    use parquet::record::RowAccessor;
    let reader = SerializedFileReader::new(std::fs::File::open(path)?)?;
    let schema = reader.metadata().file_metadata().schema_descr();
    let index = |name: &str| {
        (0..schema.num_columns())
            .find(|&i| schema.column(i).name() == name)
            .unwrap_or_else(|| panic!("column {name}"))
    };
    let (tier, expected, reported, cameras) = (
        index("tier"),
        index("units_expected"),
        index("units_reported"),
        index("cameras"),
    );
    for row in reader.get_row_iter(None)? {
        let row = row?;
        if row.get_string(tier)? == "province" {
            return Ok((
                row.get_long(expected)?,
                row.get_long(reported)?,
                row.get_long(cameras)?,
            ));
        }
    }
    anyhow::bail!("no province row in {}", path.display())
}

fn kafka_for(broker: &BrokerProcess) -> KafkaConfig {
    let id = uuid::Uuid::new_v4().simple();
    KafkaConfig {
        brokers: broker.addr.clone(),
        reports_topic: format!("reports-{id}"),
        reviews_topic: format!("reports-{id}-reviews"),
        topic_partitions: 3,
        topic_replication: broker.replication(),
        delivery_timeout_ms: 5_000,
        ..KafkaConfig::default()
    }
}

fn landing_config(dir: &Path, group: &str) -> LandingConfig {
    LandingConfig {
        dir: dir.display().to_string(),
        group_id: group.to_string(),
        flush_rows: 25,
        flush_interval_ms: 500,
        dead_letter_topic: format!("dlq-{}", uuid::Uuid::new_v4().simple()),
        ..LandingConfig::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn summaries_match_an_independent_computation_and_survive_a_landing_crash()
-> anyhow::Result<()> {
    let root = tempfile::tempdir()?;
    let broker = BrokerProcess::start(root.path())?;
    let kafka = kafka_for(&broker);
    let registry = shipped_registry();
    let accepted = replay(&registry, &kafka, &root.path().join("tokens.json")).await?;

    // Landing that "crashes" after writing files, before committing offsets...
    let crashed_dir = root.path().join("landing-crashed");
    let crashed_config = landing_config(&crashed_dir, "landing-crash");
    {
        let mut lander = Lander::new(&kafka, &crashed_config, &S3Config::default()).await?;
        while lander.stats().records < 40 {
            lander.poll_once(Duration::from_secs(5)).await?;
        }
        assert!(lander.write_pending().await? > 0, "files written");
        // Dropped here: no commit.
    }
    // ... restarted with the same group: everything is delivered and landed again.
    let mut restarted = Lander::new(&kafka, &crashed_config, &S3Config::default()).await?;
    let stats = restarted
        .run(RunMode::UntilCaughtUp, std::future::pending())
        .await?;
    assert_eq!(
        stats.records as usize,
        accepted.len(),
        "the restart re-reads from the last commit"
    );
    drop(restarted);

    // A clean landing of the same topic by another group.
    let clean_dir = root.path().join("landing-clean");
    let mut clean = Lander::new(
        &kafka,
        &landing_config(&clean_dir, "landing-clean"),
        &S3Config::default(),
    )
    .await?;
    let stats = clean
        .run(RunMode::UntilCaughtUp, std::future::pending())
        .await?;
    assert_eq!(stats.records as usize, accepted.len());
    assert_eq!(stats.dead_letters, 0);

    let campaign = registry.campaign("thanh-hoa-2023").expect("campaign");
    for milestone in &campaign.milestones {
        let cut_off = milestone.report_deadline;
        let after_crash = roll_up_at_deadline(
            &registry,
            campaign,
            milestone,
            &crashed_dir,
            &root.path().join("out-crashed"),
        )
        .await?;
        let clean = roll_up_at_deadline(
            &registry,
            campaign,
            milestone,
            &clean_dir,
            &root.path().join("out-clean"),
        )
        .await?;
        assert!(
            after_crash.lineage.landed_rows > after_crash.lineage.submissions,
            "the crash left duplicate rows on disk ({} rows, {} submissions)",
            after_crash.lineage.landed_rows,
            after_crash.lineage.submissions
        );
        assert_eq!(
            after_crash.summary, clean.summary,
            "{}: summaries unchanged by the crash",
            milestone.id
        );
        assert_eq!(after_crash.late_and_missing, clean.late_and_missing);

        let expected = independent(&registry, &accepted, milestone, cut_off);
        for (area, figures) in &expected {
            let tier = if area == "38" { "province" } else { "district" };
            assert_eq!(
                &summary_figures(&clean.summary, tier, area),
                figures,
                "{} {tier} {area}",
                milestone.id
            );
        }
        let province = &expected["38"];
        assert!(province.units_reported > 0 && province.units_missing > 0);

        let (units_expected, units_reported, cameras) = read_back_with_parquet_records(
            &clean
                .dir
                .as_local()
                .context("a local directory")?
                .join("summary.parquet"),
        )?;
        assert_eq!(
            (units_expected, units_reported, cameras),
            (
                province.units_expected,
                province.units_reported,
                province.cameras
            )
        );
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn undecodable_records_go_to_the_dead_letter_topic_with_the_reason() -> anyhow::Result<()> {
    use rdkafka::Message as _;
    use rdkafka::consumer::{BaseConsumer, Consumer};
    use rdkafka::message::Headers;
    use rdkafka::producer::{FutureProducer, FutureRecord};

    let root = tempfile::tempdir()?;
    let broker = BrokerProcess::start(root.path())?;
    let kafka = kafka_for(&broker);
    let config = landing_config(&root.path().join("landing"), "landing-dlq");
    let mut lander = Lander::new(&kafka, &config, &S3Config::default()).await?;

    let producer: FutureProducer = kafka.client_config().create()?;
    for payload in [&b"\xff\xfe not protobuf"[..], &b""[..]] {
        producer
            .send(
                FutureRecord::to(&kafka.reports_topic)
                    .key("38.STTTT")
                    .payload(payload),
                Duration::from_secs(10),
            )
            .await
            .map_err(|(err, _)| err)?;
    }
    let stats = lander
        .run(RunMode::UntilCaughtUp, std::future::pending())
        .await?;
    assert_eq!(
        (stats.records, stats.dead_letters, stats.submissions),
        (2, 2, 0)
    );

    let consumer: BaseConsumer = kafka
        .client_config()
        .set("group.id", "dlq-reader")
        .set("auto.offset.reset", "earliest")
        .create()?;
    consumer.subscribe(&[config.dead_letter_topic.as_str()])?;
    let mut reasons = Vec::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while reasons.len() < 2 && std::time::Instant::now() < deadline {
        if let Some(message) = consumer.poll(Duration::from_millis(200)) {
            let message = message?;
            let reason = message
                .headers()
                .and_then(|h| h.iter().find(|h| h.key == "baocao-dead-letter-reason"))
                .and_then(|h| h.value)
                .map(|v| String::from_utf8_lossy(v).to_string())
                .unwrap_or_default();
            reasons.push(reason);
        }
    }
    assert_eq!(reasons.len(), 2, "both records dead-lettered");
    assert!(
        reasons[0].contains("not a baocao.v1.ReportEnvelope"),
        "{reasons:?}"
    );
    assert!(reasons[1].contains("schema_version 0"), "{reasons:?}");
    Ok(())
}
