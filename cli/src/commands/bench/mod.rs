//! `baocao bench`: benchmarks that print their figures and the machine they ran on; they
//! never fail on a threshold. `ingest` (gateway vs the raw producer), `landing` (through
//! the broker and without it), `rollup` (DataFusion vs DuckDB) and `freshness` (a submit's
//! OK → visible in the summaries), `hostile` (what hostile request bodies cost a
//! gateway's memory), `portal` (dashboard pages under concurrent viewers; a form submit
//! against a gRPC submit), `import` (a spreadsheet's reports/s; hostile files' memory).

mod freshness;
mod hostile;
mod import;
mod ingest;
mod kafka;
mod landing;
mod portal;
mod rig;
mod rollup;
mod web;

use std::future::Future;
use std::ops::Range;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::config::Config;

/// `baocao bench …`
#[derive(clap::Subcommand)]
pub enum BenchCommand {
    /// N concurrent gRPC clients → gateway → Kafka acked, against the raw rdkafka
    /// producer sending the same envelopes to the same broker.
    Ingest(ingest::IngestBenchArgs),
    /// Landing from a topic holding the national workload (`baocao land` as a child
    /// process, peak memory measured from outside), and the same records without a broker.
    Landing(landing::LandingBenchArgs),
    /// The national rollup of one milestone: DataFusion vs DuckDB on the same Parquet.
    Rollup(rollup::RollupBenchArgs),
    /// Continuous mode: time from a submit's OK to the report being visible in the
    /// summaries (gateway, continuous landing and following rollups).
    Freshness(freshness::FreshnessBenchArgs),
    /// Hostile request bodies (a flood of empty camera systems) against a gateway: its
    /// resident memory before and its peak growth, with and without a token.
    Hostile(hostile::HostileBenchArgs),
    /// The web portal: dashboard pages with concurrent viewers on the national workload,
    /// and a report form's submit against a gRPC submit at the same offered rate.
    Portal(portal::PortalBenchArgs),
    /// Spreadsheets in: a district office's XLSX imported through the gateway (reports/s),
    /// and the peak memory of refusing hostile files.
    Import(import::ImportBenchArgs),
}

pub async fn run(config: &Config, command: BenchCommand) -> anyhow::Result<ExitCode> {
    match command {
        BenchCommand::Ingest(args) => ingest::run(config, args).await,
        BenchCommand::Landing(args) => landing::run(config, args).await,
        BenchCommand::Rollup(args) => rollup::run(args).await,
        BenchCommand::Freshness(args) => freshness::run(config, args).await,
        BenchCommand::Hostile(args) => hostile::run(config, args).await,
        BenchCommand::Portal(args) => portal::run(config, args).await,
        BenchCommand::Import(args) => import::run(config, args).await,
    }
}

fn median(times: &mut [f64]) -> f64 {
    times.sort_by(f64::total_cmp);
    times.get(times.len() / 2).copied().unwrap_or(0.0)
}

/// Percentiles of a set of latencies.
#[derive(Clone, Copy, Debug, Default)]
struct LatencySummary {
    count: usize,
    p50: Duration,
    p95: Duration,
    p99: Duration,
    max: Duration,
}

impl LatencySummary {
    /// Nearest-rank percentiles.
    fn of(mut latencies: Vec<Duration>) -> Self {
        latencies.sort_unstable();
        let rank = |q: f64| {
            let index = ((q * latencies.len() as f64).ceil() as usize).saturating_sub(1);
            latencies.get(index).copied().unwrap_or_default()
        };
        LatencySummary {
            count: latencies.len(),
            p50: rank(0.50),
            p95: rank(0.95),
            p99: rank(0.99),
            max: latencies.last().copied().unwrap_or_default(),
        }
    }
}

/// What a run of sends answered.
struct Sends {
    /// Per answered item: (when it was sent, or scheduled, into the run; its latency).
    answered: Vec<(Duration, Duration)>,
    /// Why the others failed.
    failures: Vec<String>,
    /// From the start of the run to the last answer.
    wall: Duration,
}

/// Collects the outcomes of sends made by concurrent tasks.
#[derive(Default)]
struct Outcomes {
    answered: Mutex<Vec<(Duration, Duration)>>,
    failures: Mutex<Vec<String>>,
}

impl Outcomes {
    /// One send, made `at` into the run, answered after `latency` or failed.
    fn record(&self, at: Duration, latency: Duration, outcome: Result<(), String>) {
        match outcome {
            Ok(()) => {
                if let Ok(mut answered) = self.answered.lock() {
                    answered.push((at, latency));
                }
            }
            Err(err) => {
                if let Ok(mut failures) = self.failures.lock() {
                    failures.push(err);
                }
            }
        }
    }

    fn finish(self, wall: Duration) -> Sends {
        Sends {
            answered: self.answered.into_inner().unwrap_or_default(),
            failures: self.failures.into_inner().unwrap_or_default(),
            wall,
        }
    }
}

/// Sends the items of `range` at `rate` a second, each in its own task (`send(item)`).
/// Latency counts from the item's scheduled time, so a stall cannot hide the items
/// queued behind it.
async fn paced<F, Fut>(rate: u32, range: Range<usize>, send: F) -> Sends
where
    F: Fn(usize) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = Result<(), String>> + Send + 'static,
{
    let outcomes = Arc::new(Outcomes::default());
    let started = tokio::time::Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for (sent, item) in range.enumerate() {
        let due = started + Duration::from_secs_f64(sent as f64 / f64::from(rate.max(1)));
        tokio::time::sleep_until(due).await;
        let (outcomes, send) = (outcomes.clone(), send.clone());
        tasks.spawn(async move {
            let outcome = send(item).await;
            outcomes.record(due - started, due.elapsed(), outcome);
        });
    }
    while tasks.join_next().await.is_some() {}
    let wall = started.elapsed();
    Arc::into_inner(outcomes).unwrap_or_default().finish(wall)
}

/// Milliseconds with two decimals.
fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1000.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let latencies: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        let summary = LatencySummary::of(latencies.into_iter().rev().collect());
        assert_eq!(summary.count, 100);
        assert_eq!(summary.p50, Duration::from_millis(50));
        assert_eq!(summary.p95, Duration::from_millis(95));
        assert_eq!(summary.p99, Duration::from_millis(99));
        assert_eq!(summary.max, Duration::from_millis(100));
        assert_eq!(LatencySummary::of(Vec::new()).max, Duration::ZERO);
    }
}
