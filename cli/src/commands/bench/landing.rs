//! `baocao bench landing`: the national workload put on a topic of the broker, then landed
//! by `baocao land --until-caught-up` as a child process (wall time, and peak resident
//! memory from the kernel's accounting of the child: measured from outside), and the same
//! records landed by the same code without a broker, so that the broker's cost and ours
//! are told apart.

use std::path::PathBuf;
use std::process::{ExitCode, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context;
use baocao_kafka::{KafkaConfig, ensure_topic, report_producer_config};
use baocao_registry::Registry;
use futures::StreamExt;
use rdkafka::producer::{FutureProducer, FutureRecord};

use super::kafka::KafkaChoice;
use crate::commands::embedded::prepare_scratch_dir;
use crate::commands::r#gen::{
    NATIONAL_CAMPAIGN, TopicRecord, campaign_envelopes, land_without_broker,
};
use crate::config::Config;
use crate::sysinfo::{machine, proc_kib};

/// Flags of `baocao bench landing`.
#[derive(clap::Args)]
pub struct LandingBenchArgs {
    /// A directory made by `baocao gen` (its registry; the scratch data goes to
    /// `<dir>/bench-landing`).
    #[arg(long, default_value = "state/national")]
    dir: PathBuf,
    /// Seed of the activity (as given to `baocao gen`).
    #[arg(long, default_value_t = 2023)]
    seed: u64,
    /// Land only the first N records of the workload (default: all).
    #[arg(long)]
    limit: Option<usize>,
    #[command(flatten)]
    kafka: KafkaChoice,
}

/// The peak resident set of this process's waited-for children, in MiB (getrusage).
pub(super) fn children_peak_rss_mib() -> anyhow::Result<f64> {
    let usage = nix::sys::resource::getrusage(nix::sys::resource::UsageWho::RUSAGE_CHILDREN)
        .context("getrusage")?;
    // Linux reports ru_maxrss in KiB.
    Ok(usage.max_rss() as f64 / 1024.0)
}

pub async fn run(config: &Config, args: LandingBenchArgs) -> anyhow::Result<ExitCode> {
    let registry = Registry::load(args.dir.join("data"))
        .with_context(|| format!("{} is not a `baocao gen` directory", args.dir.display()))?;
    let campaign = registry
        .campaign(NATIONAL_CAMPAIGN)
        .context("national campaign")?;
    let scratch = args.dir.join("bench-landing");
    prepare_scratch_dir(&scratch, "bench-landing")?;
    let (mut records, _) = campaign_envelopes(&registry, campaign, args.seed);
    if let Some(limit) = args.limit {
        records.truncate(limit);
    }
    drop(registry);
    let payload_mib =
        records.iter().map(|r| r.payload.len()).sum::<usize>() as f64 / (1024.0 * 1024.0);

    let broker = args.kafka.start(&scratch)?;
    let brokers = broker.brokers.clone();
    let kafka = KafkaConfig {
        brokers: brokers.clone(),
        topic_replication: broker.replication,
        reports_topic: format!("baocao.bench.landing.{}", uuid::Uuid::new_v4().simple()),
        ..config.kafka.clone()
    };
    ensure_topic(&kafka, &kafka.reports_topic, kafka.topic_partitions).await?;
    println!(
        "baocao bench landing: {} records of the national workload ({payload_mib:.0} MiB of envelopes)",
        records.len()
    );
    println!(
        "  {} at {brokers}, topic {} ({} partitions)",
        broker.label, kafka.reports_topic, kafka.topic_partitions
    );
    println!("  {}", machine());

    produce_workload(&kafka, &records).await?;
    let through_broker = land_through_broker(&scratch, &brokers, &kafka.reports_topic).await?;
    // The same records through the same code, in this process, without a broker.
    let rss_before = proc_kib("/proc/self/status", "VmRSS:") / 1024.0;
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    let direct = land_without_broker(
        &records,
        &scratch.join("landing-without-broker"),
        config.landing.flush_rows,
        &baocao_store::Progress::default(),
    )
    .await?;
    let direct_peak = proc_kib("/proc/self/status", "VmHWM:") / 1024.0;
    let direct_rows = direct.submissions + direct.systems;
    let without_broker = LandedPath {
        records: records.len() as u64,
        rows: direct_rows as u64,
        files: direct.files as u64,
        seconds: direct.seconds,
        peak_mib: direct_peak - rss_before,
    };
    print_landing_table(&through_broker, &without_broker, rss_before);
    Ok(ExitCode::SUCCESS)
}

/// Both paths side by side, and the broker's share of the time.
fn print_landing_table(through_broker: &LandedPath, without_broker: &LandedPath, rss_before: f64) {
    println!(
        "  {:<44} {:>9} {:>10} {:>6} {:>8} {:>11} {:>10} {:>10}",
        "path", "records", "rows", "files", "seconds", "records/s", "rows/s", "peak MiB"
    );
    for (label, path) in [
        ("topic → baocao land (child process)", through_broker),
        ("decode → Arrow → Parquet, no broker", without_broker),
    ] {
        println!(
            "  {:<44} {:>9} {:>10} {:>6} {:>8.1} {:>11.0} {:>10.0} {:>10.0}",
            label,
            path.records,
            path.rows,
            path.files,
            path.seconds,
            path.records as f64 / path.seconds,
            path.rows as f64 / path.seconds,
            path.peak_mib
        );
    }
    println!(
        "  (peak of `baocao land`: the whole process's resident high-water mark; without a broker: growth above the {rss_before:.0} MiB this process held before, the records included)"
    );
    println!(
        "  the broker's share: landing through it takes {:.1}× the time of our own path",
        through_broker.seconds / without_broker.seconds
    );
}

/// What one landing path did: records in, rows and files out, time, peak memory.
struct LandedPath {
    records: u64,
    rows: u64,
    files: u64,
    seconds: f64,
    peak_mib: f64,
}

/// Puts the workload on the topic (the gateway's producer settings, many in flight).
async fn produce_workload(kafka: &KafkaConfig, records: &[TopicRecord]) -> anyhow::Result<()> {
    let producer: FutureProducer = report_producer_config(kafka)?
        .create()
        .context("creating the producer")?;
    let timeout = Duration::from_millis(kafka.delivery_timeout_ms.max(60_000));
    let started = Instant::now();
    let mut sends = futures::stream::iter(records.iter().map(|record| {
        producer.send(
            FutureRecord::to(&kafka.reports_topic)
                .key(&record.key)
                .payload(&record.payload),
            timeout,
        )
    }))
    .buffer_unordered(5_000);
    while let Some(sent) = sends.next().await {
        sent.map_err(|(err, _)| anyhow::anyhow!("producing the workload: {err}"))?;
    }
    drop(sends);
    let produce_secs = started.elapsed().as_secs_f64();
    println!(
        "  produced in {produce_secs:.1} s ({:.0} records/s, acks=all)",
        records.len() as f64 / produce_secs
    );

    Ok(())
}

/// `baocao land` in its own process, as it runs in production, until caught up.
async fn land_through_broker(
    scratch: &std::path::Path,
    brokers: &str,
    topic: &str,
) -> anyhow::Result<LandedPath> {
    let landing = scratch.join("landing");
    let started = Instant::now();
    let output = tokio::process::Command::new(std::env::current_exe()?)
        .args(["land", "--until-caught-up", "--landing-dir"])
        .arg(&landing)
        .args(["--kafka-brokers", brokers, "--reports-topic", topic])
        .env("BAOCAO_LANDING__GROUP_ID", "baocao-bench-landing")
        .env("BAOCAO_METRICS__LISTEN", "")
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .await
        .context("running baocao land")?;
    let land_secs = started.elapsed().as_secs_f64();
    anyhow::ensure!(
        output.status.success(),
        "baocao land failed: {}",
        output.status
    );
    let land_peak = children_peak_rss_mib()?;
    let stats: serde_json::Value =
        serde_json::from_slice(&output.stdout).context("reading baocao land's statistics")?;
    let count = |key: &str| stats[key].as_u64().unwrap_or(0);
    let rows = count("submissions") + count("systems");

    Ok(LandedPath {
        records: count("records"),
        rows,
        files: count("files"),
        seconds: land_secs,
        peak_mib: land_peak,
    })
}
