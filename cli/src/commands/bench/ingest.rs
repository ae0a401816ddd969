//! `baocao bench ingest`: reports through the whole write path (N concurrent gRPC clients
//! → gateway: authenticate, validate, produce, wait for acks=all) against the raw rdkafka
//! producer sending the same envelopes, with the same settings, to the same broker.
//! Two loads: closed loop (each client sends its next report when the last is answered:
//! the throughput) and paced (a fixed offered rate: the latency at that rate, measured
//! from each report's scheduled send time so a stall cannot hide queued reports).

use std::future::Future;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use baocao_kafka::report_producer_config;
use rdkafka::producer::{FutureProducer, FutureRecord};

use crate::commands::bench::kafka::KafkaChoice;
use crate::commands::bench::rig::{GatewayClient, Rig, RigSpec, SendFn, Template, via_gateway};
use crate::commands::bench::{LatencySummary, Outcomes, Sends, ms, paced};
use crate::commands::embedded::{CampaignClock, prepare_scratch_dir, registry_and_campaign};
use crate::commands::r#gen::TopicRecord;
use crate::config::Config;
use crate::sysinfo::machine;

/// Flags of `baocao bench ingest`.
#[derive(clap::Args)]
pub struct IngestBenchArgs {
    /// Working directory (broker data, tokens); replaced on each run.
    #[arg(long, default_value = "state/bench-ingest")]
    dir: PathBuf,
    #[command(flatten)]
    kafka: KafkaChoice,
    /// Campaign whose units and reports are replayed (registry: --data-dir).
    #[arg(long, default_value = "thanh-hoa-2023")]
    campaign: String,
    /// Concurrent clients in the closed-loop runs (each its own gRPC connection).
    #[arg(long, default_value_t = 64)]
    clients: usize,
    /// Reports per closed-loop run.
    #[arg(long, default_value_t = 20_000)]
    reports: usize,
    /// Offered load of the paced runs, reports per second.
    #[arg(long, default_value_t = 1000)]
    rate: u32,
    /// Length of each paced run, seconds.
    #[arg(long, default_value_t = 10)]
    paced_seconds: u64,
}

/// One timed run: latencies of the answered reports and the failures.
struct RunResult {
    latencies: LatencySummary,
    wall: Duration,
    failures: usize,
    first_failure: Option<String>,
}

impl From<Sends> for RunResult {
    fn from(run: Sends) -> Self {
        RunResult {
            latencies: LatencySummary::of(run.answered.into_iter().map(|(_, l)| l).collect()),
            wall: run.wall,
            failures: run.failures.len(),
            first_failure: run.failures.into_iter().next(),
        }
    }
}

/// Paces `send` (connection, item) over `connections` at `rate` for `seconds`.
async fn paced_run(rate: u32, seconds: u64, connections: usize, send: impl SendFn) -> RunResult {
    let count = (u64::from(rate) * seconds) as usize;
    paced(rate, 0..count, move |item| {
        send(item % connections.max(1), item)
    })
    .await
    .into()
}

impl RunResult {
    fn per_second(&self) -> f64 {
        self.latencies.count as f64 / self.wall.as_secs_f64()
    }

    fn row(&self, name: &str) -> String {
        format!(
            "    {name:<28} {:>9.0} {:>8} {:>8} {:>8} {:>8} {:>8}",
            self.per_second(),
            ms(self.latencies.p50),
            ms(self.latencies.p95),
            ms(self.latencies.p99),
            ms(self.latencies.max),
            self.failures
        )
    }
}

/// `clients` tasks, each sending item after item until `count` are sent.
async fn closed_loop<F, Fut>(clients: usize, count: usize, send: F) -> RunResult
where
    F: Fn(usize, usize) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = Result<(), String>> + Send,
{
    let next = Arc::new(AtomicUsize::new(0));
    let outcomes = Arc::new(Outcomes::default());
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for client in 0..clients.max(1) {
        let (next, outcomes, send) = (next.clone(), outcomes.clone(), send.clone());
        tasks.spawn(async move {
            loop {
                let item = next.fetch_add(1, Ordering::Relaxed);
                if item >= count {
                    break;
                }
                let sent = Instant::now();
                let outcome = send(client, item).await;
                outcomes.record(sent - started, sent.elapsed(), outcome);
            }
        });
    }
    while tasks.join_next().await.is_some() {}
    let wall = started.elapsed();
    Arc::into_inner(outcomes)
        .unwrap_or_default()
        .finish(wall)
        .into()
}

/// The records the gateway would write for these reports (received now).
fn envelopes(reports: &[Template], tier: &str) -> Vec<TopicRecord> {
    let now = chrono::Utc::now();
    reports
        .iter()
        .map(|t| TopicRecord::accepted(t.report.clone(), now, tier, "bench-raw-producer"))
        .collect()
}

/// Sends the same envelopes with a raw producer of the gateway's settings.
fn via_raw_producer(
    producer: FutureProducer,
    topic: String,
    items: Vec<TopicRecord>,
    timeout: Duration,
) -> impl SendFn {
    let items = Arc::new(items);
    let topic = Arc::new(topic);
    move |_, item| {
        let (producer, items, topic) = (producer.clone(), items.clone(), topic.clone());
        Box::pin(async move {
            let record = &items[item];
            producer
                .send(
                    FutureRecord::to(&topic)
                        .key(&record.key)
                        .payload(&record.payload),
                    timeout,
                )
                .await
                .map(|_| ())
                .map_err(|(err, _)| err.to_string())
        })
    }
}

pub async fn run(config: &Config, args: IngestBenchArgs) -> anyhow::Result<ExitCode> {
    for (flag, value) in [
        ("--clients", args.clients as u64),
        ("--reports", args.reports as u64),
        ("--rate", u64::from(args.rate)),
        ("--paced-seconds", args.paced_seconds),
    ] {
        anyhow::ensure!(value > 0, "{flag} must be at least 1");
    }
    prepare_scratch_dir(&args.dir, "bench-ingest")?;
    let (registry, campaign) = registry_and_campaign(config, &args.campaign)?;
    let at = clock_at_close(&campaign);
    let rig = Rig::start(
        config,
        registry,
        RigSpec {
            dir: &args.dir,
            kafka: &args.kafka,
            campaign: &campaign,
            topic: format!("baocao.bench.ingest.{}", uuid::Uuid::new_v4().simple()),
            clock: Arc::new(CampaignClock::standing_at(at)),
            reports_until: at,
        },
    )
    .await?;
    let paths = Paths {
        producer: report_producer_config(&rig.kafka)?
            .create()
            .context("creating the raw producer")?,
        timeout: Duration::from_millis(rig.kafka.delivery_timeout_ms),
        topic: rig.kafka.reports_topic.clone(),
        connections: rig.connections(args.clients).await?,
        rig: &rig,
    };
    print_setup(&args, &rig);
    // Warm-up: connections, producer ids, topic metadata, the broker's sqlite pages.
    let warm = 500.min(args.reports);
    closed_loop(args.clients, warm, paths.gateway(warm)).await;
    closed_loop(args.clients, warm, paths.raw(warm)).await;
    let closed = closed_loops(&args, &paths).await;
    let paced = paced_runs(&args, &paths).await;
    for (name, run) in [
        ("raw producer, closed loop", &closed.0),
        ("gateway, closed loop", &closed.1),
        ("raw producer, paced", &paced.0),
        ("gateway, paced", &paced.1),
    ] {
        if let Some(failure) = &run.first_failure {
            println!("  {name}: {} failed, first: {failure}", run.failures);
        }
    }
    rig.gateway.stop().await?;
    Ok(ExitCode::SUCCESS)
}

/// The gateway's clock stands at the campaign's close (or a year after its last
/// deadline): every planned report is dated before it.
pub(super) fn clock_at_close(
    campaign: &baocao_registry::Campaign,
) -> chrono::DateTime<chrono::Utc> {
    let last_day = campaign.closes_on.unwrap_or_else(|| {
        campaign
            .milestones
            .iter()
            .map(|m| m.report_deadline)
            .max()
            .unwrap_or(campaign.opens_on)
            + chrono::Days::new(365)
    });
    let close = baocao_registry::end_of_vietnam_day_ms(last_day);
    chrono::DateTime::from_timestamp_millis(close - 1).unwrap_or_default()
}

/// The two paths compared: gRPC clients of the gateway, and the raw producer writing the
/// same envelopes to the same broker.
struct Paths<'a> {
    rig: &'a Rig,
    connections: Vec<GatewayClient>,
    producer: FutureProducer,
    topic: String,
    timeout: Duration,
}

impl Paths<'_> {
    /// `count` fresh reports through the gateway.
    fn gateway(&self, count: usize) -> impl SendFn + use<> {
        via_gateway(self.connections.clone(), self.rig.fresh_reports(count))
    }

    /// `count` fresh reports' envelopes through the raw producer.
    fn raw(&self, count: usize) -> impl SendFn + use<> {
        via_raw_producer(
            self.producer.clone(),
            self.topic.clone(),
            envelopes(&self.rig.fresh_reports(count), self.rig.tier.as_str()),
            self.timeout,
        )
    }
}

fn print_setup(args: &IngestBenchArgs, rig: &Rig) {
    let mut units: Vec<_> = rig.templates.iter().map(|t| &t.report.unit_code).collect();
    units.sort_unstable();
    units.dedup();
    println!(
        "baocao bench ingest: campaign {}, {} report templates from {} units",
        args.campaign,
        rig.templates.len(),
        units.len()
    );
    println!("  {}", rig.describe());
    println!(
        "  producer settings (both paths): acks=all, idempotence, compression {}, linger.ms 2",
        rig.kafka.compression
    );
    println!("  {}", machine());
}

fn table_header() -> String {
    format!(
        "    {:<28} {:>9} {:>8} {:>8} {:>8} {:>8} {:>8}",
        "path", "reports/s", "p50 ms", "p95 ms", "p99 ms", "max ms", "failed"
    )
}

/// Closed loop: `clients` senders as fast as answers come; (raw producer, gateway).
async fn closed_loops(args: &IngestBenchArgs, paths: &Paths<'_>) -> (RunResult, RunResult) {
    println!(
        "  closed loop: {} clients, {} reports per path",
        args.clients, args.reports
    );
    println!("{}", table_header());
    let raw = closed_loop(args.clients, args.reports, paths.raw(args.reports)).await;
    println!("{}", raw.row("raw rdkafka producer"));
    let gateway = closed_loop(args.clients, args.reports, paths.gateway(args.reports)).await;
    println!("{}", gateway.row("gRPC → gateway → Kafka"));
    println!(
        "    gateway / raw producer throughput: {:.2}",
        gateway.per_second() / raw.per_second()
    );
    (raw, gateway)
}

/// Paced: `rate` reports a second offered for `paced_seconds`; (raw producer, gateway).
async fn paced_runs(args: &IngestBenchArgs, paths: &Paths<'_>) -> (RunResult, RunResult) {
    let count = (u64::from(args.rate) * args.paced_seconds) as usize;
    println!(
        "  paced: {} reports/s offered for {} s ({} reports per path; latency from the scheduled send)",
        args.rate, args.paced_seconds, count
    );
    println!("{}", table_header());
    let raw = paced_run(
        args.rate,
        args.paced_seconds,
        args.clients,
        paths.raw(count),
    )
    .await;
    println!("{}", raw.row("raw rdkafka producer"));
    let gateway = paced_run(
        args.rate,
        args.paced_seconds,
        args.clients,
        paths.gateway(count),
    )
    .await;
    println!("{}", gateway.row("gRPC → gateway → Kafka"));
    (raw, gateway)
}
