//! `baocao bench freshness`: continuous mode end to end, timed from the outside. A paced
//! stream of submissions goes through a gateway to the broker; `baocao land` (continuous)
//! writes them to Parquet; `baocao rollup --follow` rewrites the summaries when landed
//! files change (both child processes, as deployed); a watcher reads the summary file as
//! any reader would. Freshness of a report: from its OK to the first summary in which its
//! unit's counted receipt is this report's or a later one.

use std::collections::HashMap;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::process::{ExitCode, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use anyhow::Context;
use arrow::array::{Array, AsArray};
use arrow::datatypes::TimestampMillisecondType;
use baocao_proto::v1::reporting_service_client::ReportingServiceClient;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use tonic::transport::Channel;

use crate::commands::bench::kafka::KafkaChoice;
use crate::commands::bench::rig::{Rig, RigSpec, Template};
use crate::commands::bench::{LatencySummary, ms, paced};
use crate::commands::embedded::{CampaignClock, prepare_scratch_dir, registry_and_campaign};
use crate::commands::submit::submit_on;
use crate::config::Config;
use crate::sysinfo::machine;

/// Flags of `baocao bench freshness`.
#[derive(clap::Args)]
pub struct FreshnessBenchArgs {
    /// Working directory (broker, landing, summaries); replaced on each run.
    #[arg(long, default_value = "state/bench-freshness")]
    dir: PathBuf,
    #[command(flatten)]
    kafka: KafkaChoice,
    /// Campaign whose units and reports are replayed (registry: --data-dir).
    #[arg(long, default_value = "thanh-hoa-2023")]
    campaign: String,
    /// Milestone whose summary is watched.
    #[arg(long, default_value = "levels-approved")]
    milestone: String,
    /// Submissions per second.
    #[arg(long, default_value_t = 100)]
    rate: u32,
    /// Length of the run, seconds.
    #[arg(long, default_value_t = 30)]
    seconds: u64,
    /// `landing.flush_interval_ms` of this run (a buffered record waits at most
    /// this long before it is written).
    #[arg(long, default_value_t = 500)]
    flush_interval_ms: u64,
    /// How often the following rollup looks at the landing directory, ms.
    #[arg(long, default_value_t = 200)]
    follow_poll_ms: u64,
}

/// A report answered OK, waiting to be seen in a summary.
struct Answered {
    unit: String,
    received_at_ms: i64,
    answered: Instant,
}

/// What the watcher saw.
#[derive(Default)]
struct Seen {
    freshness: Vec<Duration>,
    summary_versions: usize,
}

/// Each unit row's counted receipt (ms since epoch, as the summary stores it).
fn unit_receipts(path: &Path) -> anyhow::Result<HashMap<String, i64>> {
    let file = std::fs::File::open(path)?;
    let reader = ParquetRecordBatchReaderBuilder::try_new(file)?.build()?;
    let mut receipts = HashMap::new();
    for batch in reader {
        let batch = batch?;
        let column = |name: &str| {
            batch
                .column_by_name(name)
                .with_context(|| format!("summary has no column {name}"))
        };
        let tier = column("tier")?.as_string_opt::<i32>().context("tier")?;
        let code = column("code")?.as_string_opt::<i32>().context("code")?;
        let latest = column("latest_received_at")?
            .as_primitive_opt::<TimestampMillisecondType>()
            .context("latest_received_at is not a timestamp in ms")?;
        for row in 0..batch.num_rows() {
            if tier.value(row) == "unit" && latest.is_valid(row) {
                receipts.insert(code.value(row).to_string(), latest.value(row));
            }
        }
    }
    Ok(receipts)
}

/// Polls `summary` every 20 ms until `stop`, moving answered reports to seen when their
/// unit's counted receipt reaches theirs.
fn watch(
    summary: &Path,
    answered: &Mutex<Vec<Answered>>,
    seen: &Mutex<Seen>,
    stop: &std::sync::atomic::AtomicBool,
) -> anyhow::Result<()> {
    let mut last: Option<(SystemTime, u64)> = None;
    while !stop.load(std::sync::atomic::Ordering::SeqCst) {
        std::thread::sleep(Duration::from_millis(20));
        let Ok(meta) = std::fs::metadata(summary) else {
            continue;
        };
        let version = (meta.modified()?, meta.len());
        if last == Some(version) {
            continue;
        }
        last = Some(version);
        let receipts = unit_receipts(summary)?;
        let now = Instant::now();
        let (Ok(mut answered), Ok(mut seen)) = (answered.lock(), seen.lock()) else {
            anyhow::bail!("watcher lock poisoned");
        };
        seen.summary_versions += 1;
        answered.retain(|a| {
            let visible = receipts
                .get(&a.unit)
                .is_some_and(|latest| *latest >= a.received_at_ms);
            if visible {
                seen.freshness.push(now - a.answered);
            }
            !visible
        });
    }
    Ok(())
}

/// Sends `reports[item]` on one of `connections` and records the answer for the watcher.
fn submit_for_watcher(
    connections: Arc<Vec<ReportingServiceClient<Channel>>>,
    reports: Arc<Vec<Template>>,
    answered: Arc<Mutex<Vec<Answered>>>,
) -> impl Fn(usize) -> Pin<Box<dyn Future<Output = Result<(), String>> + Send>> + Clone + Send + 'static
{
    move |item| {
        let (connections, reports, answered) =
            (connections.clone(), reports.clone(), answered.clone());
        Box::pin(async move {
            let mut connection = connections[item % connections.len()].clone();
            let template = reports
                .get(item)
                .ok_or_else(|| format!("no report {item}"))?;
            let response = submit_on(&mut connection, &template.token, template.report.clone())
                .await
                .map_err(|status| format!("{:?}: {}", status.code(), status.message()))?;
            let received = response.received_at.unwrap_or_default();
            if let Ok(mut a) = answered.lock() {
                a.push(Answered {
                    unit: template.report.unit_code.clone(),
                    received_at_ms: received.seconds * 1_000
                        + i64::from(received.nanos) / 1_000_000,
                    answered: Instant::now(),
                });
            }
            Ok(())
        })
    }
}

/// Waits until the watcher has seen every answered report, at most `timeout`.
async fn wait_until_seen(answered: &Mutex<Vec<Answered>>, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if answered.lock().map(|a| a.is_empty()).unwrap_or(true) {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

pub async fn run(config: &Config, args: FreshnessBenchArgs) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(
        args.rate > 0 && args.seconds > 0,
        "--rate and --seconds must be at least 1"
    );
    prepare_scratch_dir(&args.dir, "bench-freshness")?;
    let (registry, campaign) = registry_and_campaign(config, &args.campaign)?;
    let milestone = campaign
        .milestone(&args.milestone)
        .with_context(|| format!("no milestone `{}`", args.milestone))?
        .clone();
    // The campaign clock runs in real time from 09:00 (Vietnam) on the units' deadline.
    let start_ms = baocao_registry::end_of_vietnam_day_ms(milestone.unit_deadline) - 15 * 3_600_000;
    let start = chrono::DateTime::from_timestamp_millis(start_ms).unwrap_or_default();
    let rig = Rig::start(
        config,
        registry,
        RigSpec {
            dir: &args.dir,
            kafka: &args.kafka,
            campaign: &campaign,
            topic: format!("baocao.bench.freshness.{}", uuid::Uuid::new_v4().simple()),
            clock: Arc::new(CampaignClock::running_from(start)),
            reports_until: start,
        },
    )
    .await?;

    let landing_dir = args.dir.join("landing");
    let out_dir = args.dir.join("summaries");
    let summary = out_dir
        .join(&campaign.id)
        .join(&milestone.id)
        .join("summary.parquet");
    let (mut landing, mut rollup) = spawn_pipeline(
        config,
        &args,
        &rig,
        (&campaign.id, &milestone),
        &landing_dir,
        &out_dir,
    )?;
    // The watcher: a reader of the summary file, on its own thread.
    let answered = Arc::new(Mutex::new(Vec::<Answered>::new()));
    let seen = Arc::new(Mutex::new(Seen::default()));
    let stop_watching = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let watcher = start_watcher(&summary, &answered, &seen, &stop_watching);
    print_freshness_setup(&args, &rig, &campaign.id, &milestone.id);
    let (submit_latencies, failures) =
        submit_and_watch(&args, &rig, &answered, &seen, &summary).await?;
    wait_until_seen(&answered, Duration::from_secs(30)).await;
    stop_watching.store(true, std::sync::atomic::Ordering::SeqCst);
    let watched = watcher
        .join()
        .map_err(|_| anyhow::anyhow!("watcher panicked"))?;
    stop_pipeline(&mut landing, &mut rollup, &args.dir).await?;
    rig.gateway.stop().await?;
    watched?;
    let landed_files = baocao_store::Store::local(&landing_dir)
        .list_parquet()
        .await?
        .len();

    print_freshness_results(&answered, &seen, submit_latencies, &failures, landed_files)?;
    Ok(ExitCode::SUCCESS)
}

/// The submitters: a warm-up until it is visible, then the measured paced run; the
/// measured answers (sent at, latency) and the failures.
async fn submit_and_watch(
    args: &FreshnessBenchArgs,
    rig: &Rig,
    answered: &Arc<Mutex<Vec<Answered>>>,
    seen: &Mutex<Seen>,
    summary: &std::path::Path,
) -> anyhow::Result<(Vec<(Duration, Duration)>, Vec<String>)> {
    // The submitters: paced, each report on one of 16 connections. A one-second warm-up
    // first, until it is visible: the consumer group has joined and the first rollup
    // ran, so the measured run sees the steady state, not the start-up.
    let connections = Arc::new(rig.connections(16).await?);
    let warm_up = args.rate.max(1) as usize;
    let count = (u64::from(args.rate) * args.seconds) as usize;
    let reports = Arc::new(rig.fresh_reports(warm_up + count));
    let submit = submit_for_watcher(connections, reports, answered.clone());
    paced(args.rate, 0..warm_up, submit.clone()).await;
    anyhow::ensure!(
        wait_until_seen(answered, Duration::from_secs(60)).await,
        "the warm-up reports were not visible in {} within 60 s",
        summary.display()
    );
    if let Ok(mut seen) = seen.lock() {
        *seen = Seen::default();
    }
    let measured = paced(args.rate, warm_up..warm_up + count, submit).await;
    Ok((measured.answered, measured.failures))
}

/// Reads the summary file on its own thread until `stop`, matching answered reports.
fn start_watcher(
    summary: &std::path::Path,
    answered: &Arc<Mutex<Vec<Answered>>>,
    seen: &Arc<Mutex<Seen>>,
    stop: &Arc<std::sync::atomic::AtomicBool>,
) -> std::thread::JoinHandle<anyhow::Result<()>> {
    let (answered, seen, stop, summary) = (
        answered.clone(),
        seen.clone(),
        stop.clone(),
        summary.to_path_buf(),
    );
    std::thread::spawn(move || watch(&summary, &answered, &seen, &stop))
}

/// Stops the landing and the following rollup, failing if either stopped by itself
/// during the run.
async fn stop_pipeline(
    landing: &mut tokio::process::Child,
    rollup: &mut tokio::process::Child,
    dir: &std::path::Path,
) -> anyhow::Result<()> {
    for (name, child) in [("baocao land", landing), ("baocao rollup --follow", rollup)] {
        anyhow::ensure!(
            child.try_wait()?.is_none(),
            "{name} stopped during the run; see its log in {}",
            dir.display()
        );
        child.kill().await?;
    }
    Ok(())
}

/// Continuous landing and the following rollup, each its own `baocao` process as in a
/// deployment (in this process their CPU-bound work would share the gateway's async
/// workers and delay its answers).
fn spawn_pipeline(
    config: &Config,
    args: &FreshnessBenchArgs,
    rig: &Rig,
    (campaign_id, milestone): (&str, &baocao_registry::Milestone),
    landing_dir: &std::path::Path,
    out_dir: &std::path::Path,
) -> anyhow::Result<(tokio::process::Child, tokio::process::Child)> {
    let baocao = || -> anyhow::Result<tokio::process::Command> {
        let mut command = tokio::process::Command::new(std::env::current_exe()?);
        command
            .arg("--data-dir")
            .arg(&config.data_dir)
            .env("BAOCAO_KAFKA__BROKERS", &rig.kafka.brokers)
            .env("BAOCAO_KAFKA__REPORTS_TOPIC", &rig.kafka.reports_topic)
            .env("BAOCAO_METRICS__LISTEN", "")
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .kill_on_drop(true);
        Ok(command)
    };
    let log = |name: &str| std::fs::File::create(args.dir.join(name));
    let landing = baocao()?
        .stderr(log("land.log")?)
        .args(["land", "--landing-dir"])
        .arg(landing_dir)
        .env("BAOCAO_LANDING__GROUP_ID", "baocao-bench-freshness")
        .env(
            "BAOCAO_LANDING__FLUSH_INTERVAL_MS",
            args.flush_interval_ms.to_string(),
        )
        .env("BAOCAO_LANDING__COMPACT_EVERY_SECONDS", "60")
        .spawn()
        .context("starting baocao land")?;
    let rollup = baocao()?
        .args([
            "rollup",
            "--campaign",
            campaign_id,
            "--milestone",
            &milestone.id,
        ])
        .args(["--as-of", &milestone.report_deadline.to_string()])
        .args([
            "--follow",
            "--follow-poll-ms",
            &args.follow_poll_ms.to_string(),
        ])
        .arg("--landing-dir")
        .arg(landing_dir)
        .arg("--out")
        .arg(out_dir)
        .spawn()
        .context("starting baocao rollup --follow")?;
    Ok((landing, rollup))
}

fn print_freshness_setup(args: &FreshnessBenchArgs, rig: &Rig, campaign: &str, milestone: &str) {
    println!(
        "baocao bench freshness: campaign {}, milestone {}, {} reports/s for {} s",
        campaign, milestone, args.rate, args.seconds
    );
    println!("  {}", rig.describe());
    println!(
        "  continuous landing (flush_interval_ms {}), rollup following the landed files (poll {} ms), summary read every 20 ms",
        args.flush_interval_ms, args.follow_poll_ms
    );
    println!("  {}", machine());
}

/// The latencies of both legs (submit → OK, OK → visible), what was never seen, and
/// when the slow answers happened.
fn print_freshness_results(
    answered: &Mutex<Vec<Answered>>,
    seen: &Mutex<Seen>,
    submit_latencies: Vec<(Duration, Duration)>,
    failures: &[String],
    landed_files: usize,
) -> anyhow::Result<()> {
    let never_seen = answered.lock().map(|a| a.len()).unwrap_or(0);
    let seen = std::mem::take(&mut *seen.lock().map_err(|_| anyhow::anyhow!("poisoned"))?);
    let freshness = LatencySummary::of(seen.freshness);
    // When the slow answers happened (a broker stall shows as one burst).
    let slow: Vec<Duration> = submit_latencies
        .iter()
        .filter(|(_, latency)| *latency > Duration::from_millis(100))
        .map(|(sent, _)| *sent)
        .collect();
    let submit = LatencySummary::of(submit_latencies.into_iter().map(|(_, l)| l).collect());
    println!(
        "  {:<36} {:>8} {:>8} {:>8} {:>8} {:>8}",
        "", "count", "p50 ms", "p95 ms", "p99 ms", "max ms"
    );
    for (name, summary) in [
        ("submit → OK", submit),
        ("OK → visible in the summary", freshness),
    ] {
        println!(
            "  {:<36} {:>8} {:>8} {:>8} {:>8} {:>8}",
            name,
            summary.count,
            ms(summary.p50),
            ms(summary.p95),
            ms(summary.p99),
            ms(summary.max)
        );
    }
    println!(
        "  {} summary versions read; {landed_files} landed files at the end; {} failed submits; {} answered reports never seen within 30 s",
        seen.summary_versions,
        failures.len(),
        never_seen
    );
    if let (Some(first), Some(last)) = (slow.iter().min(), slow.iter().max()) {
        println!(
            "  {} submits answered after more than 100 ms, sent between {:.1} s and {:.1} s into the run",
            slow.len(),
            first.as_secs_f64(),
            last.as_secs_f64()
        );
    }
    if let Some(first) = failures.first() {
        println!("  first failure: {first}");
    }
    Ok(())
}
