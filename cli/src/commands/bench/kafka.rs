//! Which Kafka a benchmark runs on: the embedded broker it starts (`--kafka embedded`, the
//! default), a three-node Apache Kafka cluster it starts with `scripts/kafka-cluster.sh`
//! (`--kafka apache`), or a running cluster (`--brokers`); and the process behind it,
//! stopped when the benchmark ends.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::Context;

use crate::commands::embedded::{BrokerProcess, start_broker};

/// The broker a benchmark starts.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum KafkaKind {
    /// The embedded Tansu broker (a child `baocao broker`).
    Embedded,
    /// Three combined broker/controller nodes of Apache Kafka (KRaft), replication 3,
    /// `min.insync.replicas` 2: `scripts/kafka-cluster.sh start --brokers 3` (Java 17 and
    /// Maven; the jars are fetched from Maven Central once).
    Apache,
}

/// The benchmarks' Kafka flags.
#[derive(clap::Args, Clone)]
pub struct KafkaChoice {
    /// The broker to start and run on.
    #[arg(long, value_enum, default_value_t = KafkaKind::Embedded)]
    kafka: KafkaKind,
    /// Bootstrap servers of a running Kafka cluster instead of starting one.
    #[arg(long, conflicts_with = "kafka")]
    brokers: Option<String>,
}

impl Default for KafkaChoice {
    /// The embedded broker (what the benchmarks without `--kafka` run on).
    fn default() -> Self {
        KafkaChoice {
            kafka: KafkaKind::Embedded,
            brokers: None,
        }
    }
}

/// A running Kafka for one benchmark.
pub struct BenchKafka {
    /// Its bootstrap servers.
    pub brokers: String,
    /// The replication factor its topics get (3 on a three-node cluster).
    pub replication: i32,
    /// What it is, for the printed header.
    pub label: &'static str,
    _process: KafkaProcess,
}

/// What stops with the benchmark.
enum KafkaProcess {
    Embedded { _child: BrokerProcess },
    Apache { _nodes: ApacheCluster },
    Running,
}

impl KafkaChoice {
    /// Starts the chosen broker with its state under `dir` (or uses `--brokers`).
    pub fn start(&self, dir: &Path) -> anyhow::Result<BenchKafka> {
        if let Some(brokers) = &self.brokers {
            return Ok(BenchKafka {
                brokers: brokers.clone(),
                replication: 1,
                label: "Kafka (--brokers)",
                _process: KafkaProcess::Running,
            });
        }
        match self.kafka {
            KafkaKind::Embedded => {
                let (process, brokers) = start_broker(dir)?;
                Ok(BenchKafka {
                    brokers,
                    replication: 1,
                    label: "embedded Tansu broker",
                    _process: KafkaProcess::Embedded { _child: process },
                })
            }
            KafkaKind::Apache => {
                let cluster = ApacheCluster::start(&dir.join("kafka-cluster"))?;
                Ok(BenchKafka {
                    brokers: cluster.brokers.clone(),
                    replication: 3,
                    label: "Apache Kafka, 3 nodes, replication 3",
                    _process: KafkaProcess::Apache { _nodes: cluster },
                })
            }
        }
    }
}

/// A cluster started by `scripts/kafka-cluster.sh`, stopped (by its pids) when dropped.
struct ApacheCluster {
    script: PathBuf,
    state: PathBuf,
    port: u16,
    brokers: String,
}

impl ApacheCluster {
    fn start(state: &Path) -> anyhow::Result<Self> {
        let mut cluster = ApacheCluster {
            script: cluster_script()?,
            state: std::path::absolute(state)?,
            port: free_port_block(),
            brokers: String::new(),
        };
        std::fs::create_dir_all(&cluster.state)?;
        eprintln!(
            "starting three Apache Kafka nodes ({} start --brokers 3)…",
            cluster.script.display()
        );
        cluster.brokers = cluster.run(&["start", "--brokers", "3"])?;
        Ok(cluster)
    }

    fn run(&self, args: &[&str]) -> anyhow::Result<String> {
        let output = Command::new(&self.script)
            .args(args)
            .env("KAFKA_CLUSTER_STATE", &self.state)
            .env("KAFKA_CLUSTER_PORT", self.port.to_string())
            .output()
            .with_context(|| format!("running {}", self.script.display()))?;
        anyhow::ensure!(
            output.status.success(),
            "--kafka apache: {} {} failed: {}",
            self.script.display(),
            args.join(" "),
            String::from_utf8_lossy(&output.stderr).trim()
        );
        Ok(String::from_utf8_lossy(&output.stdout).trim().to_string())
    }
}

impl Drop for ApacheCluster {
    fn drop(&mut self) {
        if let Err(err) = self.run(&["stop"]) {
            eprintln!("{err:#}");
        }
    }
}

/// `scripts/kafka-cluster.sh` of the source tree: looked for from the working directory
/// up, then from this executable up (`target/release/baocao` in a clone).
fn cluster_script() -> anyhow::Result<PathBuf> {
    let starts = [std::env::current_dir().ok(), std::env::current_exe().ok()];
    starts
        .into_iter()
        .flatten()
        .flat_map(|start| {
            start
                .ancestors()
                .map(|dir| dir.join("scripts/kafka-cluster.sh"))
                .collect::<Vec<_>>()
        })
        .find(|script| script.is_file())
        .context(
            "--kafka apache runs scripts/kafka-cluster.sh of baocao's source tree, and none was \
             found above the working directory or the executable: run from the clone, or start \
             a cluster yourself and give --brokers",
        )
}

/// A base port whose next three (the nodes) and 101–103 above (their controllers) are
/// free on 127.0.0.1.
fn free_port_block() -> u16 {
    let is_free = |port: u16| TcpListener::bind(("127.0.0.1", port)).is_ok();
    let mut base = 21_000 + (std::process::id() % 1_000) as u16 * 8;
    loop {
        if (1..=3).all(|n| is_free(base + n) && is_free(base + 100 + n)) {
            return base;
        }
        base = 21_000 + (base - 21_000 + 8) % 8_000;
    }
}
