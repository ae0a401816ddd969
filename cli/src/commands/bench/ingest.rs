//! `baocao bench ingest`: reports through the whole write path (N concurrent gRPC clients
//! → gateway: authenticate, validate, produce, wait for acks=all) against the raw rdkafka
//! producer sending the same envelopes, with the same settings, to the same broker.
//! Two loads: closed loop (each client sends its next report when the last is answered:
//! the throughput) and paced (a fixed offered rate: the latency at that rate, measured
//! from each report's scheduled send time so a stall cannot hide queued reports).

use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use baocao_kafka::report_producer_config;
use baocao_proto::v1::reporting_service_client::ReportingServiceClient;
use rdkafka::producer::{FutureProducer, FutureRecord};
use tonic::transport::Channel;

use crate::commands::bench::rig::{Rig, RigSpec, Template};
use crate::commands::bench::{LatencySummary, Outcomes, Sends, ms, paced};
use crate::commands::embedded::{CampaignClock, prepare_scratch_dir, registry_and_campaign};
use crate::commands::r#gen::TopicRecord;
use crate::commands::submit::submit_on;
use crate::config::Config;
use crate::sysinfo::machine;

/// Flags of `baocao bench ingest`.
#[derive(clap::Args)]
pub struct IngestBenchArgs {
    /// Working directory (broker data, tokens); replaced on each run.
    #[arg(long, default_value = "state/bench-ingest")]
    dir: PathBuf,
    /// Bootstrap servers of an existing Kafka cluster; default: start the embedded broker.
    #[arg(long)]
    brokers: Option<String>,
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

/// A gRPC connection to the gateway.
type GatewayClient = ReportingServiceClient<Channel>;

/// Sends item `i` (second argument) on connection `c` (first): one path under test.
trait SendFn:
    Fn(usize, usize) -> Pin<Box<dyn Future<Output = Result<(), String>> + Send>>
    + Clone
    + Send
    + 'static
{
}

impl<F> SendFn for F where
    F: Fn(usize, usize) -> Pin<Box<dyn Future<Output = Result<(), String>> + Send>>
        + Clone
        + Send
        + 'static
{
}

/// Sends through the gateway: items[i] on connection `client`.
fn via_gateway(clients: Vec<GatewayClient>, items: Vec<Template>) -> impl SendFn {
    let clients = Arc::new(clients);
    let items = Arc::new(items);
    move |client, item| {
        let mut connection = clients[client % clients.len()].clone();
        let items = items.clone();
        Box::pin(async move {
            let template = &items[item];
            submit_on(&mut connection, &template.token, template.report.clone())
                .await
                .map(|_| ())
                .map_err(|status| format!("{:?}: {}", status.code(), status.message()))
        })
    }
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

    // The gateway's clock stands at the campaign's close (or a year after its last
    // deadline): every planned report is dated before it.
    let last_day = campaign.closes_on.unwrap_or_else(|| {
        campaign
            .milestones
            .iter()
            .map(|m| m.report_deadline)
            .max()
            .unwrap_or(campaign.opens_on)
            + chrono::Days::new(365)
    });
    let close = baocao_rollup::end_of_vietnam_day_ms(last_day);
    let at = chrono::DateTime::from_timestamp_millis(close - 1).unwrap_or_default();
    let rig = Rig::start(
        config,
        registry,
        RigSpec {
            dir: &args.dir,
            brokers: args.brokers.clone(),
            campaign: &campaign,
            topic: format!("baocao.bench.ingest.{}", uuid::Uuid::new_v4().simple()),
            clock: Arc::new(CampaignClock::standing_at(at)),
            reports_until: at,
        },
    )
    .await?;
    let producer: FutureProducer = report_producer_config(&rig.kafka)?
        .create()
        .context("creating the raw producer")?;
    let timeout = Duration::from_millis(rig.kafka.delivery_timeout_ms);
    let topic = rig.kafka.reports_topic.clone();
    let tier = rig.tier.as_str();
    let paced_count = (u64::from(args.rate) * args.paced_seconds) as usize;
    let connections = rig.connections(args.clients).await?;

    println!(
        "baocao bench ingest: campaign {}, {} report templates from {} units",
        args.campaign,
        rig.templates.len(),
        {
            let mut units: Vec<_> = rig.templates.iter().map(|t| &t.report.unit_code).collect();
            units.sort_unstable();
            units.dedup();
            units.len()
        }
    );
    println!("  {}", rig.describe());
    println!(
        "  producer settings (both paths): acks=all, idempotence, compression {}, linger.ms 2",
        rig.kafka.compression
    );
    println!("  {}", machine());

    // Warm-up: connections, producer ids, topic metadata, the broker's sqlite pages.
    let warm = 500.min(args.reports);
    closed_loop(
        args.clients,
        warm,
        via_gateway(connections.clone(), rig.fresh_reports(warm)),
    )
    .await;
    closed_loop(
        args.clients,
        warm,
        via_raw_producer(
            producer.clone(),
            topic.clone(),
            envelopes(&rig.fresh_reports(warm), tier),
            timeout,
        ),
    )
    .await;

    let header = format!(
        "    {:<28} {:>9} {:>8} {:>8} {:>8} {:>8} {:>8}",
        "path", "reports/s", "p50 ms", "p95 ms", "p99 ms", "max ms", "failed"
    );
    println!(
        "  closed loop: {} clients, {} reports per path",
        args.clients, args.reports
    );
    println!("{header}");
    let raw_closed = closed_loop(
        args.clients,
        args.reports,
        via_raw_producer(
            producer.clone(),
            topic.clone(),
            envelopes(&rig.fresh_reports(args.reports), tier),
            timeout,
        ),
    )
    .await;
    println!("{}", raw_closed.row("raw rdkafka producer"));
    let gateway_closed = closed_loop(
        args.clients,
        args.reports,
        via_gateway(connections.clone(), rig.fresh_reports(args.reports)),
    )
    .await;
    println!("{}", gateway_closed.row("gRPC → gateway → Kafka"));
    println!(
        "    gateway / raw producer throughput: {:.2}",
        gateway_closed.per_second() / raw_closed.per_second()
    );

    println!(
        "  paced: {} reports/s offered for {} s ({} reports per path; latency from the scheduled send)",
        args.rate, args.paced_seconds, paced_count
    );
    println!("{header}");
    let raw_paced = paced_run(
        args.rate,
        args.paced_seconds,
        args.clients,
        via_raw_producer(
            producer.clone(),
            topic.clone(),
            envelopes(&rig.fresh_reports(paced_count), tier),
            timeout,
        ),
    )
    .await;
    println!("{}", raw_paced.row("raw rdkafka producer"));
    let gateway_paced = paced_run(
        args.rate,
        args.paced_seconds,
        args.clients,
        via_gateway(connections, rig.fresh_reports(paced_count)),
    )
    .await;
    println!("{}", gateway_paced.row("gRPC → gateway → Kafka"));

    for (name, run) in [
        ("raw producer, closed loop", &raw_closed),
        ("gateway, closed loop", &gateway_closed),
        ("raw producer, paced", &raw_paced),
        ("gateway, paced", &gateway_paced),
    ] {
        if let Some(failure) = &run.first_failure {
            println!("  {name}: {} failed, first: {failure}", run.failures);
        }
    }
    rig.gateway.stop().await?;
    Ok(ExitCode::SUCCESS)
}
