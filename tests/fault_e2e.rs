//! Fault tests with real processes on 127.0.0.1: the broker killed and restarted under a
//! load of concurrent submitters, the landing process SIGKILLed mid-batch again and
//! again, and a gateway process SIGKILLed mid-load. What must hold: a report answered OK
//! is in the summaries exactly once; a report not answered OK and retried by its client
//! with the same submission id is counted once; no client ever sees a false OK.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use arrow::array::{AsArray, RecordBatch};
use arrow::datatypes::{DataType, Int64Type};
use baocao_kafka::KafkaConfig;
use baocao_landing::{Lander, LandingConfig, RunMode};
use baocao_proto::v1::reporting_service_client::ReportingServiceClient;
use baocao_proto::v1::{ReportEnvelope, StatusReport, SubmitReportRequest};
use baocao_registry::{AdminLevel, Registry};
use baocao_rollup::{RollupOutput, RollupRequest, run_rollup};
use baocao_store::{S3Config, Store};
use common::steady_load::{LoadOutcome, SteadyLoad, is_outage};
use common::{
    BIN, BrokerProcess, Stack, authed, free_port, roll_up_at_deadline, today, valid_report,
    wait_for_port,
};
use prost::Message;
use rdkafka::producer::{FutureProducer, FutureRecord};

/// Concurrent submitters, and reports per submitter (each for its own unit).
const SUBMITTERS: usize = 8;
const REPORTS_EACH: usize = 12;

/// `count` commune-tier units of Thanh Hóa (38), each reporting once.
fn commune_units(registry: &Registry, count: usize) -> Vec<String> {
    let mut units: Vec<String> = registry
        .units()
        .filter(|u| u.tier == AdminLevel::Commune && registry.is_within(u, "38"))
        .map(|u| u.code.clone())
        .collect();
    units.sort();
    units.truncate(count);
    assert_eq!(units.len(), count, "enough commune units in the registry");
    units
}

/// One report per unit with a distinct camera count (unit i has i+1 cameras), so that a
/// report counted twice or lost changes the sum.
fn reports_for(units: &[String]) -> Vec<StatusReport> {
    units
        .iter()
        .enumerate()
        .map(|(i, unit)| {
            let mut report = valid_report(unit);
            report.systems[0].camera_count = i as i64 + 1;
            report.systems[0].cameras_certified = 0;
            report.systems[0].cameras_on_warning_list = 0;
            report
        })
        .collect()
}

/// What the submitters saw.
#[derive(Default)]
struct Outcome {
    /// Submission ids answered OK.
    ok: BTreeSet<String>,
    /// Failed attempts (errors seen by clients).
    errors: usize,
    /// The last error seen, for diagnosis.
    last_error: Option<String>,
}

/// Submits every report, each submitter working through its share in order; a failed
/// attempt is retried with the same submission id (the client contract) until
/// `give_up_at`. `progress` counts OKs so the test can strike mid-load.
async fn submit_all(
    endpoint: &str,
    reports: &[StatusReport],
    tokens: &BTreeMap<String, String>,
    progress: Arc<AtomicUsize>,
    give_up_at: Instant,
) -> Outcome {
    let mut tasks = Vec::new();
    for share in reports.chunks(REPORTS_EACH) {
        let share = share.to_vec();
        let tokens = tokens.clone();
        let endpoint = endpoint.to_string();
        let progress = progress.clone();
        tasks.push(tokio::spawn(async move {
            let mut outcome = Outcome::default();
            for report in share {
                loop {
                    match attempt(&endpoint, &tokens[&report.unit_code], &report).await {
                        Ok(()) => {
                            outcome.ok.insert(report.submission_id.clone());
                            progress.fetch_add(1, Ordering::SeqCst);
                            break;
                        }
                        Err(status) => {
                            assert!(
                                is_outage(&status),
                                "an outage must look like an outage, not a refusal: {status:?}"
                            );
                            outcome.errors += 1;
                            outcome.last_error =
                                Some(format!("{:?}: {}", status.code(), status.message()));
                            if Instant::now() > give_up_at {
                                break;
                            }
                            tokio::time::sleep(Duration::from_millis(200)).await;
                        }
                    }
                }
                tokio::time::sleep(Duration::from_millis(40)).await;
            }
            outcome
        }));
    }
    let mut all = Outcome::default();
    for task in tasks {
        let outcome = task.await.expect("submitter task");
        all.ok.extend(outcome.ok);
        all.errors += outcome.errors;
        all.last_error = outcome.last_error.or(all.last_error);
    }
    all
}

async fn attempt(endpoint: &str, token: &str, report: &StatusReport) -> Result<(), tonic::Status> {
    attempt_within(endpoint, token, report, Duration::from_secs(8)).await
}

/// One submission with the client's deadline `deadline`.
async fn attempt_within(
    endpoint: &str,
    token: &str,
    report: &StatusReport,
    deadline: Duration,
) -> Result<(), tonic::Status> {
    let mut client = ReportingServiceClient::connect(endpoint.to_string())
        .await
        .map_err(|err| tonic::Status::unavailable(err.to_string()))?;
    let mut request = authed(
        SubmitReportRequest {
            report: Some(report.clone()),
            validate_only: false,
        },
        token,
    );
    request.set_timeout(deadline);
    client.submit_report(request).await.map(|_| ())
}

/// Unit tokens for `units`, by unit code.
fn tokens_for(tokens_file: &Path, units: &[String]) -> anyhow::Result<BTreeMap<String, String>> {
    let codes: Vec<&str> = units.iter().map(String::as_str).collect();
    Ok(baocao_access::tokens::issue_tokens(tokens_file, &codes)?
        .into_iter()
        .map(|(token, record)| (record.unit, token))
        .collect())
}

/// [`submit_all`] in the background, giving up `give_up_after` from now.
fn spawn_load(
    endpoint: String,
    reports: &[StatusReport],
    tokens: &BTreeMap<String, String>,
    progress: &Arc<AtomicUsize>,
    give_up_after: Duration,
) -> tokio::task::JoinHandle<Outcome> {
    let (reports, tokens, progress) = (reports.to_vec(), tokens.clone(), progress.clone());
    tokio::spawn(async move {
        submit_all(
            &endpoint,
            &reports,
            &tokens,
            progress,
            Instant::now() + give_up_after,
        )
        .await
    })
}

/// Waits until `progress` reaches `at_least` (the load is under way).
async fn wait_for_progress(progress: &AtomicUsize, at_least: usize) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(60);
    while progress.load(Ordering::SeqCst) < at_least {
        anyhow::ensure!(Instant::now() < deadline, "the load made no progress");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(())
}

/// Lands the whole topic with a fresh consumer group and rolls up `th-open` to today.
async fn land_and_roll_up(
    registry: &Registry,
    kafka: &KafkaConfig,
    root: &Path,
) -> anyhow::Result<RollupOutput> {
    let landing = root.join(format!("landing-{}", uuid::Uuid::new_v4().simple()));
    land_and_roll_up_into(registry, kafka, root, &landing).await
}

/// [`land_and_roll_up`] landing into `landing`.
async fn land_and_roll_up_into(
    registry: &Registry,
    kafka: &KafkaConfig,
    root: &Path,
    landing: &Path,
) -> anyhow::Result<RollupOutput> {
    let config = LandingConfig {
        dir: landing.display().to_string(),
        group_id: format!("landing-{}", uuid::Uuid::new_v4().simple()),
        flush_rows: 50,
        flush_interval_ms: 500,
        dead_letter_topic: format!("dlq-{}", uuid::Uuid::new_v4().simple()),
        ..LandingConfig::default()
    };
    let mut lander = Lander::new(kafka, &config, &S3Config::default()).await?;
    lander
        .run(RunMode::UntilCaughtUp, std::future::pending())
        .await?;
    let campaign = registry.campaign("th-open").context("campaign")?;
    let milestone = campaign.milestone("levels-approved").context("milestone")?;
    Ok(run_rollup(&RollupRequest {
        registry,
        campaign,
        milestone,
        cut_off: today(),
        landing: &Store::local(landing),
        out: &Store::local(root.join(format!("out-{}", uuid::Uuid::new_v4().simple()))),
        allow_empty: false,
        progress: None,
    })
    .await?)
}

/// (units_reported, cameras) of the province row of a summary.
fn province_figures(summary: &RecordBatch) -> (i64, i64) {
    let column = |name: &str| {
        arrow::compute::cast(summary.column_by_name(name).expect(name), &DataType::Utf8)
            .expect("cast")
    };
    let tiers = column("tier");
    let row = (0..summary.num_rows())
        .find(|&i| tiers.as_string::<i32>().value(i) == "province")
        .expect("province row");
    let int = |name: &str| {
        arrow::compute::cast(summary.column_by_name(name).expect(name), &DataType::Int64)
            .expect("cast")
            .as_primitive::<Int64Type>()
            .value(row)
    };
    (int("units_reported"), int("cameras"))
}

fn expected_figures(reports: &[StatusReport]) -> (i64, i64) {
    (
        reports.len() as i64,
        reports.iter().map(|r| r.systems[0].camera_count).sum(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broker_killed_and_restarted_under_load_every_ok_counts_once() -> anyhow::Result<()> {
    if common::skipped_on_apache_kafka(
        "broker_killed_and_restarted_under_load_every_ok_counts_once",
    ) {
        return Ok(());
    }
    let mut stack = Stack::start_with("commune", "38", |config| {
        config.max_reports_per_unit_per_minute = 0;
    })
    .await?;
    let units = commune_units(&stack.registry, SUBMITTERS * REPORTS_EACH);
    let tokens = tokens_for(&stack.tokens_file, &units)?;
    let reports = reports_for(&units);
    let progress = Arc::new(AtomicUsize::new(0));
    let load = spawn_load(
        stack.endpoint(),
        &reports,
        &tokens,
        &progress,
        Duration::from_secs(90),
    );
    // Strike a quarter of the way in: SIGKILL, a pause longer than the gateway's delivery
    // timeout (so some calls fail, not only wait), a restart on the same data.
    wait_for_progress(&progress, reports.len() / 4).await?;
    let killed_at = progress.load(Ordering::SeqCst);
    stack.broker.kill();
    tokio::time::sleep(Duration::from_millis(
        stack.kafka.delivery_timeout_ms + 2_000,
    ))
    .await;
    stack.broker.restart()?;
    // Until the load ends, supervise the broker as systemd or Kubernetes would: the
    // embedded broker exits when its storage panics after the unclean restart (a Tansu
    // 0.6.0 bug in its idempotent-producer check) and must be started again.
    let mut supervised_restarts = 0;
    while !load.is_finished() {
        if stack.broker.supervise()? {
            supervised_restarts += 1;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let outcome = load.await?;
    eprintln!("broker restarted by the supervisor {supervised_restarts} time(s)");

    assert!(
        killed_at < reports.len(),
        "the broker died mid-load ({killed_at} of {} done)",
        reports.len()
    );
    assert!(outcome.errors > 0, "clients saw the outage");
    assert_eq!(
        outcome.ok.len(),
        reports.len(),
        "every report got OK in the end (retried with its submission id); last error: {:?}",
        outcome.last_error
    );
    let rollup = land_and_roll_up(&stack.registry, &stack.kafka, stack.root.path()).await?;
    assert_eq!(
        province_figures(&rollup.summary),
        expected_figures(&reports),
        "each OK'd report is in the summaries exactly once"
    );
    assert_eq!(rollup.lineage.submissions as usize, reports.len());
    Ok(())
}

/// `baocao serve` as its own process (so it can be SIGKILLed).
fn spawn_gateway(
    data: &Path,
    broker: &BrokerProcess,
    topic: &str,
    tokens: &Path,
    listen: &str,
) -> anyhow::Result<Child> {
    let child = Command::new(BIN)
        .arg("--data-dir")
        .arg(data)
        .args(["serve", "--tier", "commune", "--jurisdiction", "38"])
        .args(["--kafka-brokers", &broker.addr, "--reports-topic", topic])
        .args(["--listen", listen, "--tokens-file"])
        .arg(tokens)
        .env("BAOCAO_GATEWAY__MAX_REPORTS_PER_UNIT_PER_MINUTE", "0")
        .env("BAOCAO_KAFKA__TOPIC_PARTITIONS", "3")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    wait_for_port(listen, Duration::from_secs(20))?;
    Ok(child)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gateway_killed_mid_load_gives_errors_never_false_oks() -> anyhow::Result<()> {
    let root = tempfile::tempdir()?;
    let broker = BrokerProcess::start(root.path())?;
    let data = common::data_dir(root.path())?;
    let registry = Registry::load(&data)?;
    let kafka = KafkaConfig {
        brokers: broker.addr.clone(),
        reports_topic: format!("reports-{}", uuid::Uuid::new_v4().simple()),
        topic_partitions: 3,
        topic_replication: broker.replication(),
        ..KafkaConfig::default()
    };
    let tokens_file = root.path().join("tokens.json");
    let units = commune_units(&registry, SUBMITTERS * REPORTS_EACH);
    let tokens = tokens_for(&tokens_file, &units)?;
    let reports = reports_for(&units);
    let listen = format!("127.0.0.1:{}", free_port());
    let mut gateway = spawn_gateway(&data, &broker, &kafka.reports_topic, &tokens_file, &listen)?;

    // First wave: the gateway dies a quarter of the way in; clients give up quickly.
    let progress = Arc::new(AtomicUsize::new(0));
    let load = spawn_load(
        format!("http://{listen}"),
        &reports,
        &tokens,
        &progress,
        Duration::from_secs(1),
    );
    wait_for_progress(&progress, reports.len() / 4).await?;
    gateway.kill()?;
    gateway.wait()?;
    let first = load.await?;
    assert!(first.errors > 0, "clients saw the gateway die");
    assert!(first.ok.len() < reports.len(), "the kill was mid-load");

    // Every OK of the first wave is durable in Kafka: no false OK.
    let in_kafka: BTreeSet<String> = read_ids(&broker.addr, &kafka.reports_topic, first.ok.len())?;
    let missing: Vec<_> = first.ok.difference(&in_kafka).collect();
    assert!(
        missing.is_empty(),
        "answered OK but not in Kafka: {missing:?}"
    );

    // The gateway comes back; clients retry what was not answered OK, with the same ids.
    let mut gateway = spawn_gateway(&data, &broker, &kafka.reports_topic, &tokens_file, &listen)?;
    let pending: Vec<StatusReport> = reports
        .iter()
        .filter(|r| !first.ok.contains(&r.submission_id))
        .cloned()
        .collect();
    let second = submit_all(
        &format!("http://{listen}"),
        &pending,
        &tokens,
        Arc::new(AtomicUsize::new(0)),
        Instant::now() + Duration::from_secs(60),
    )
    .await;
    assert_eq!(second.ok.len(), pending.len());
    gateway.kill()?;
    gateway.wait()?;

    let rollup = land_and_roll_up(&registry, &kafka, root.path()).await?;
    assert_eq!(
        province_figures(&rollup.summary),
        expected_figures(&reports),
        "every report counted exactly once"
    );
    Ok(())
}

/// The submission ids on `topic`, read until `expected` records are seen.
fn read_ids(brokers: &str, topic: &str, expected: usize) -> anyhow::Result<BTreeSet<String>> {
    Ok(common::read_envelopes(brokers, topic, 3, expected)?
        .into_iter()
        .filter_map(|(_, envelope)| envelope.report.map(|r| r.submission_id))
        .collect())
}

/// Puts the Thanh Hóa 2023 plan on a topic as the gateways would have (envelopes keyed by
/// unit, retries included); returns how many records.
async fn publish_plan(kafka: &KafkaConfig, registry: &Registry) -> anyhow::Result<usize> {
    baocao_kafka::ensure_reports_topic(kafka).await?;
    let producer: FutureProducer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", &kafka.brokers)
        .set("acks", "all")
        .set("linger.ms", "20")
        .create()?;
    let campaign = registry.campaign("thanh-hoa-2023").context("campaign")?;
    let plan = baocao_workload::plan_campaign(registry, campaign, 11);
    let mut deliveries = Vec::new();
    for planned in plan
        .iter()
        .filter(|p| !matches!(p.kind, baocao_workload::SubmissionKind::Invalid(_)))
    {
        let envelope = ReportEnvelope {
            schema_version: baocao_proto::ENVELOPE_SCHEMA_VERSION,
            report: Some(planned.report.clone()),
            received_at: Some(pbjson_types::Timestamp {
                seconds: planned.at.timestamp(),
                nanos: 0,
            }),
            gateway_tier: "province".into(),
            gateway_id: "fault-test".into(),
            authenticated_unit: planned.unit_code.clone(),
        };
        let payload = envelope.encode_to_vec();
        let producer = producer.clone();
        let topic = kafka.reports_topic.clone();
        let key = planned.unit_code.clone();
        deliveries.push(async move {
            producer
                .send(
                    FutureRecord::to(&topic).key(&key).payload(&payload),
                    Duration::from_secs(30),
                )
                .await
                .map(|_| ())
                .map_err(|(err, _)| err)
        });
    }
    let count = deliveries.len();
    for result in futures::future::join_all(deliveries).await {
        result?;
    }
    Ok(count)
}

/// Finished Parquet files under a landing directory (temporaries end in `.parquet.tmp`).
fn landed_files(dir: &Path) -> usize {
    parquet_files(dir).len()
}

/// The Parquet files under `dir`, at any depth.
fn parquet_files(dir: &Path) -> Vec<PathBuf> {
    fn walk(dir: &Path, found: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, found);
            } else if path.extension().is_some_and(|e| e == "parquet") {
                found.push(path);
            }
        }
    }
    let mut found = Vec::new();
    walk(dir, &mut found);
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn landing_sigkilled_mid_batch_repeatedly_equals_a_clean_run() -> anyhow::Result<()> {
    let root = tempfile::tempdir()?;
    let broker = BrokerProcess::start(root.path())?;
    let registry = Registry::load_register(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../data"),
        &baocao_registry::RegisterChoice::Named("2023".to_string()),
    )?;
    let kafka = KafkaConfig {
        brokers: broker.addr.clone(),
        reports_topic: format!("reports-{}", uuid::Uuid::new_v4().simple()),
        topic_partitions: 3,
        topic_replication: broker.replication(),
        ..KafkaConfig::default()
    };
    let published = publish_plan(&kafka, &registry).await?;

    // `baocao land` as a process, SIGKILLed each time it has written a new file (so mid
    // run, between writes and commits), four times; then run to the end.
    let killed_dir = root.path().join("landing-killed");
    // A killed consumer never leaves its group; the next one waits for its session to
    // time out before it gets partitions. Production keeps librdkafka's 45 s; the test
    // shortens it to Apache Kafka's least (`group.min.session.timeout.ms`, 6 s: a
    // shorter one is refused there) — the setting operators would use for a fast restart.
    let config_file = root.path().join("baocao.toml");
    std::fs::write(
        &config_file,
        "[kafka.properties]\n\"session.timeout.ms\" = \"6000\"\n\"heartbeat.interval.ms\" = \"1000\"\n",
    )?;
    let run = uuid::Uuid::new_v4().simple().to_string();
    let (killed_group, killed_dlq) = (format!("landing-killed-{run}"), format!("dlq-killed-{run}"));
    let land = |until_caught_up: bool| -> anyhow::Result<Child> {
        let mut command = Command::new(BIN);
        command
            .arg("--config")
            .arg(&config_file)
            .arg("land")
            .args(["--kafka-brokers", &kafka.brokers, "--reports-topic"])
            .arg(&kafka.reports_topic)
            .arg("--landing-dir")
            .arg(&killed_dir)
            .env("BAOCAO_LANDING__GROUP_ID", &killed_group)
            .env("BAOCAO_LANDING__FLUSH_ROWS", "150")
            .env("BAOCAO_LANDING__DEAD_LETTER_TOPIC", &killed_dlq)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if until_caught_up {
            command.arg("--until-caught-up");
        }
        Ok(command.spawn()?)
    };
    let started = Instant::now();
    let mut kills = 0;
    while kills < 4 {
        let before = landed_files(&killed_dir);
        let mut child = land(false)?;
        let deadline = Instant::now() + Duration::from_secs(60);
        while landed_files(&killed_dir) <= before {
            anyhow::ensure!(Instant::now() < deadline, "landing made no progress");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        child.kill()?;
        child.wait()?;
        kills += 1;
        eprintln!(
            "landing SIGKILLed at {:?} ({} files)",
            started.elapsed(),
            landed_files(&killed_dir)
        );
    }
    let finished = land(true)?.wait_with_output()?;
    assert!(finished.status.success(), "the last landing run finishes");

    let clean_dir = root.path().join("landing-clean");
    let mut clean = Lander::new(
        &kafka,
        &LandingConfig {
            dir: clean_dir.display().to_string(),
            group_id: format!("landing-clean-{run}"),
            flush_rows: 1_000,
            flush_interval_ms: 1_000,
            dead_letter_topic: format!("dlq-clean-{run}"),
            ..LandingConfig::default()
        },
        &S3Config::default(),
    )
    .await?;
    let stats = clean
        .run(RunMode::UntilCaughtUp, std::future::pending())
        .await?;
    assert_eq!(stats.records as usize, published);

    let campaign = registry.campaign("thanh-hoa-2023").context("campaign")?;
    // One milestone suffices: both read the same deduplicated history.
    for milestone in campaign.milestones.iter().take(1) {
        let after_kills = roll_up_at_deadline(
            &registry,
            campaign,
            milestone,
            &killed_dir,
            &root.path().join("out-killed"),
        )
        .await?;
        let reference = roll_up_at_deadline(
            &registry,
            campaign,
            milestone,
            &clean_dir,
            &root.path().join("out-clean"),
        )
        .await?;
        assert!(
            after_kills.lineage.landed_rows >= reference.lineage.landed_rows,
            "re-delivery after a kill may land rows twice, never fewer"
        );
        assert_eq!(
            after_kills.lineage.submissions,
            reference.lineage.submissions
        );
        assert_eq!(
            after_kills.summary, reference.summary,
            "{}: summaries equal a clean run",
            milestone.id
        );
        assert_eq!(after_kills.late_and_missing, reference.late_and_missing);
    }
    Ok(())
}

/// An Apache Kafka cluster of three nodes this test owns (`scripts/kafka-cluster.sh`
/// with its own state directory and ports), stopped when dropped.
struct OwnCluster {
    state: tempfile::TempDir,
    port: u16,
    brokers: String,
}

impl OwnCluster {
    fn script(&self, args: &[&str]) -> anyhow::Result<String> {
        let output = Command::new(common::repo_root().join("scripts/kafka-cluster.sh"))
            .args(args)
            .env("KAFKA_CLUSTER_STATE", self.state.path())
            .env("KAFKA_CLUSTER_PORT", self.port.to_string())
            .output()?;
        anyhow::ensure!(
            output.status.success(),
            "kafka-cluster.sh {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        Ok(String::from_utf8_lossy(&output.stdout).trim().to_string())
    }

    fn start() -> anyhow::Result<Self> {
        let mut cluster = OwnCluster {
            state: tempfile::tempdir()?,
            port: common::free_port_block(104),
            brokers: String::new(),
        };
        cluster.brokers = cluster.script(&["start", "--brokers", "3"])?;
        Ok(cluster)
    }

    /// The leader of `topic`'s partition `partition` and every partition's ISR size.
    fn leader_and_isr(&self, topic: &str, partition: i32) -> anyhow::Result<(i32, Vec<usize>)> {
        use rdkafka::consumer::{BaseConsumer, Consumer};
        let consumer: BaseConsumer = rdkafka::ClientConfig::new()
            .set("bootstrap.servers", &self.brokers)
            .create()?;
        let metadata = consumer.fetch_metadata(Some(topic), Duration::from_secs(10))?;
        let partitions = metadata
            .topics()
            .first()
            .map_or(&[][..], |t| t.partitions());
        let leader = partitions
            .iter()
            .find(|p| p.id() == partition)
            .map_or(-1, |p| p.leader());
        Ok((leader, partitions.iter().map(|p| p.isr().len()).collect()))
    }

    /// Waits until every partition of `topic` has its three replicas in sync again.
    async fn wait_in_sync(&self, topic: &str) -> anyhow::Result<()> {
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            if let Ok((_, isr)) = self.leader_and_isr(topic, 0)
                && !isr.is_empty()
                && isr.iter().all(|n| *n == 3)
            {
                return Ok(());
            }
            anyhow::ensure!(Instant::now() < deadline, "{topic} not back in sync");
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }
}

impl Drop for OwnCluster {
    fn drop(&mut self) {
        let _ = self.script(&["stop"]);
    }
}

/// What only a real cluster shows (issue #37): under a steady offered load of 200
/// reports a second (each of 1,200 units sending version after version), the leader of
/// the reports topic's first partition is killed with SIGKILL and restarted, then all
/// three nodes are restarted one by one, then the topic gets three more partitions while
/// the gateway runs (its index follows them without a restart: the gateway answers OK
/// only after reading its record back). Every version answered OK is landed, counted once,
/// and each unit's last OK'd version is the one in the summaries. Then, with two of three
/// nodes down (`min.insync.replicas` 2 unmet), the gateway answers UNAVAILABLE, never OK.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_three_node_cluster_loses_and_regains_nodes_under_load_and_every_ok_counts_once()
-> anyhow::Result<()> {
    if common::apache_kafka().is_none() {
        eprintln!("the cluster fault test runs with TEST_KAFKA=apache (Java and Maven)");
        return Ok(());
    }
    let cluster = OwnCluster::start()?;
    let root = tempfile::tempdir()?;
    let data = common::data_dir(root.path())?;
    let registry = Arc::new(Registry::load(&data)?);
    let kafka = KafkaConfig {
        brokers: cluster.brokers.clone(),
        reports_topic: format!("reports-{}", uuid::Uuid::new_v4().simple()),
        reviews_topic: format!("reviews-{}", uuid::Uuid::new_v4().simple()),
        topic_partitions: 3,
        topic_replication: 3,
        delivery_timeout_ms: 10_000,
        ..KafkaConfig::default()
    };
    let tokens_file = root.path().join("tokens.json");
    let config = baocao_gateway::GatewayConfig {
        listen: "127.0.0.1:0".into(),
        tier: "commune".into(),
        jurisdiction: "38".into(),
        tokens_file: tokens_file.clone(),
        max_reports_per_unit_per_minute: 0,
        ..baocao_gateway::GatewayConfig::default()
    };
    let gateway = baocao_gateway::start_gateway(&config, &kafka, registry.clone()).await?;
    let units = commune_units(&registry, 1_200);
    let tokens = tokens_for(&tokens_file, &units)?;
    let endpoint = format!("http://{}", gateway.local_addr);
    let load = SteadyLoad::start(&endpoint, &tokens, LOAD_RATE);
    let marks = strike_under_load(&cluster, &kafka.reports_topic, &load).await?;
    let outcome = load.finish().await;
    report_load(&outcome, &marks);
    check_load(&outcome, &marks)?;

    let kafka_now = KafkaConfig {
        topic_partitions: 6,
        ..kafka.clone()
    };
    let landing = root.path().join("landing");
    let rollup = land_and_roll_up_into(&registry, &kafka_now, root.path(), &landing).await?;
    check_counted_once(&outcome, &rollup, &landing)?;

    // Two of three nodes down: min.insync.replicas (2) cannot be met.
    let late = valid_report(&commune_units(&registry, 1_201)[1_200]);
    let late_token = tokens_for(&tokens_file, std::slice::from_ref(&late.unit_code))?;
    cluster.script(&["kill", "2"])?;
    cluster.script(&["kill", "3"])?;
    // The client waits longer than the gateway's delivery timeout (10 s): the answer is
    // the gateway's own.
    let token = &late_token[&late.unit_code];
    let asked = Instant::now();
    let refused = attempt_within(&endpoint, token, &late, Duration::from_secs(60)).await;
    eprintln!("two nodes down: answered after {:?}", asked.elapsed());
    let code = refused.as_ref().err().map(tonic::Status::code);
    assert_eq!(
        code,
        Some(tonic::Code::Unavailable),
        "with two nodes of three down the answer is UNAVAILABLE, never OK: {refused:?}"
    );
    Ok(())
}

/// The cluster test's offered load, reports a second.
const LOAD_RATE: u32 = 200;

/// When (second of the load) each fault struck, and the OKs by then.
#[derive(Debug, Default)]
struct FaultMarks {
    first_fault: usize,
    partitions_added: usize,
    oks_at_partitions_added: usize,
}

/// The faults, in order, while `load` runs: a steady stretch first, SIGKILL of partition
/// 0's leader and its restart, a roll of all three nodes, three more partitions, and a
/// stretch on six partitions.
async fn strike_under_load(
    cluster: &OwnCluster,
    topic: &str,
    load: &SteadyLoad,
) -> anyhow::Result<FaultMarks> {
    let mut marks = FaultMarks::default();
    tokio::time::sleep(STEADY_STRETCH).await;
    marks.first_fault = load.second();
    let (leader, _) = cluster.leader_and_isr(topic, 0)?;
    cluster.script(&["kill", &leader.to_string()])?;
    eprintln!(
        "killed node {leader} (leader of partition 0) at {} OKs",
        load.oks()
    );
    tokio::time::sleep(Duration::from_secs(5)).await;
    cluster.script(&["restart", &leader.to_string()])?;
    cluster.wait_in_sync(topic).await?;
    for node in ["1", "2", "3"] {
        cluster.script(&["stop-node", node])?;
        cluster.script(&["restart", node])?;
        cluster.wait_in_sync(topic).await?;
        eprintln!("node {node} rolled at {} OKs", load.oks());
    }
    cluster.script(&["topics", "--alter", "--topic", topic, "--partitions", "6"])?;
    marks.partitions_added = load.second();
    marks.oks_at_partitions_added = load.oks();
    eprintln!("partitions 3 → 6 at {} OKs", load.oks());
    tokio::time::sleep(STEADY_STRETCH).await;
    Ok(marks)
}

/// How long the load runs steadily before the first fault and after the last.
const STEADY_STRETCH: Duration = Duration::from_secs(10);

/// Prints what the load offered and what was answered, per phase.
fn report_load(outcome: &LoadOutcome, marks: &FaultMarks) {
    let seconds = outcome.offered_for.as_secs_f64();
    eprintln!(
        "load: offered {} versions in {seconds:.1} s ({:.0}/s), {} OK, {} outage errors retried, \
         {} ticks found every unit waiting; OKs/s median before the faults {}, during {}, after {}",
        outcome.offered,
        outcome.offered as f64 / seconds,
        outcome.ok.len(),
        outcome.errors,
        outcome.starved_ticks,
        outcome.median_rate(1..marks.first_fault),
        outcome.median_rate(marks.first_fault..marks.partitions_added),
        outcome.median_rate(marks.partitions_added + 1..outcome.oks_per_second.len()),
    );
}

/// The load was what the test claims: steady at [`LOAD_RATE`], every version answered OK
/// in the end (no refusal, none given up), and OKs went on after the partitions were added.
fn check_load(outcome: &LoadOutcome, marks: &FaultMarks) -> anyhow::Result<()> {
    anyhow::ensure!(
        outcome.refusals.is_empty(),
        "an outage must look like an outage, not a refusal: {:?}",
        &outcome.refusals[..outcome.refusals.len().min(5)]
    );
    anyhow::ensure!(
        outcome.unfinished == 0 && outcome.ok.len() == outcome.offered,
        "every version got OK in the end ({} of {}; last error: {:?})",
        outcome.ok.len(),
        outcome.offered,
        outcome.last_error
    );
    // A tick whose every unit still waits for an answer offers nothing (a unit cannot
    // send its next version before that): the pacer's ticks are what held the rate.
    let ticks = (outcome.offered + outcome.starved_ticks) as f64;
    let tick_rate = ticks / outcome.offered_for.as_secs_f64();
    anyhow::ensure!(
        tick_rate >= f64::from(LOAD_RATE) * 0.95,
        "the load's pacer held its rate: {tick_rate:.0}/s"
    );
    anyhow::ensure!(
        outcome.ok.len() > marks.oks_at_partitions_added + LOAD_RATE as usize,
        "reports went on being answered OK on six partitions"
    );
    Ok(())
}

/// Every version answered OK is landed (none lost), counted once (none twice), and each
/// unit's last OK'd version is the one in the summaries; the new partitions carried some.
fn check_counted_once(
    outcome: &LoadOutcome,
    rollup: &RollupOutput,
    landing: &Path,
) -> anyhow::Result<()> {
    let landed = landed_submissions(landing)?;
    let ok: BTreeSet<&String> = outcome.ok.keys().collect();
    let landed_ids: BTreeSet<&String> = landed.rows.keys().collect();
    let lost = ok.difference(&landed_ids).count();
    let unasked = landed_ids.difference(&ok).count();
    let counted = rollup.lineage.submissions as usize;
    eprintln!(
        "versions OK'd {}, landed {} ({} rows), counted {counted}, lost {lost}, double {}, \
         on partitions 3-5: {}",
        ok.len(),
        landed_ids.len(),
        landed.rows.values().sum::<usize>(),
        counted.saturating_sub(ok.len()),
        landed.on_new_partitions
    );
    anyhow::ensure!(lost == 0, "{lost} versions answered OK are not landed");
    anyhow::ensure!(unasked == 0, "{unasked} landed versions were never sent");
    anyhow::ensure!(counted == ok.len(), "each version counted once");
    anyhow::ensure!(
        landed.on_new_partitions > 0,
        "the added partitions carried reports"
    );
    let expected = (
        outcome.latest_cameras.len() as i64,
        outcome.latest_cameras.values().sum::<i64>(),
    );
    anyhow::ensure!(
        province_figures(&rollup.summary) == expected,
        "each unit's last version answered OK is the one summed: {:?} != {expected:?}",
        province_figures(&rollup.summary)
    );
    Ok(())
}

/// What a landing directory holds: rows per submission id, and rows on partitions 3-5.
struct Landed {
    rows: BTreeMap<String, usize>,
    on_new_partitions: usize,
}

/// Reads every landed submissions file under `dir`.
fn landed_submissions(dir: &Path) -> anyhow::Result<Landed> {
    let mut landed = Landed {
        rows: BTreeMap::new(),
        on_new_partitions: 0,
    };
    for path in parquet_files(dir) {
        if !path.to_string_lossy().contains("submissions") {
            continue;
        }
        let file = std::fs::File::open(&path)?;
        let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)?
            .build()?;
        for batch in reader {
            let batch = batch?;
            let ids = arrow::compute::cast(
                batch
                    .column_by_name("submission_id")
                    .context("submission_id")?,
                &DataType::Utf8,
            )?;
            let partitions = arrow::compute::cast(
                batch
                    .column_by_name("kafka_partition")
                    .context("kafka_partition")?,
                &DataType::Int64,
            )?;
            for row in 0..batch.num_rows() {
                let id = ids.as_string::<i32>().value(row).to_string();
                *landed.rows.entry(id).or_default() += 1;
                if partitions.as_primitive::<Int64Type>().value(row) >= 3 {
                    landed.on_new_partitions += 1;
                }
            }
        }
    }
    Ok(landed)
}
