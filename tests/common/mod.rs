//! Test harness shared by the end-to-end tests: a real embedded broker in its own
//! process (the `baocao broker` binary), a data directory with campaigns open today, unit
//! tokens, an in-process gateway on a real TCP port, and a Kafka consumer that reads a
//! topic back. Every test owns its broker, topic and directories, so tests run in parallel.

#![allow(dead_code)]

pub mod s3;
pub mod steady_load;

use std::net::TcpListener as StdListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use baocao_gateway::{GatewayConfig, RunningGateway, start_gateway};
use baocao_kafka::KafkaConfig;
use baocao_proto::v1::reporting_service_client::ReportingServiceClient;
use baocao_proto::v1::{ReportEnvelope, StatusReport};
use baocao_registry::Registry;
use chrono::{NaiveDate, Utc};
use prost::Message;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::{ClientConfig, Offset, TopicPartitionList};
use tonic::transport::Channel;

pub const BIN: &str = env!("CARGO_BIN_EXE_baocao");

/// Kills a spawned `baocao` when the test ends, however it ends.
pub struct KillOnDrop(pub Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `baocao` run as a user would, in `root`, against this test's data, broker and topic.
pub fn baocao_command(root: &Path, data: &Path, brokers: &str, topic: &str) -> Command {
    let mut command = Command::new(BIN);
    command
        .arg("--data-dir")
        .arg(data)
        .env("BAOCAO_KAFKA__BROKERS", brokers)
        .env("BAOCAO_KAFKA__REPORTS_TOPIC", topic)
        .env(
            "BAOCAO_KAFKA__TOPIC_REPLICATION",
            apache_kafka().map_or(1, |(_, r)| r).to_string(),
        )
        // Each test's own topics and consumer group (on a shared cluster), named as
        // `test_kafka` names them.
        .env("BAOCAO_KAFKA__REVIEWS_TOPIC", format!("{topic}-reviews"))
        .env("BAOCAO_LANDING__DEAD_LETTER_TOPIC", format!("{topic}-dlq"))
        .env("BAOCAO_LANDING__GROUP_ID", format!("landing-{topic}"))
        .env("RUST_LOG", "warn")
        // Refusals in English unless a test asks otherwise (the machine's own language
        // does not decide what the tests read).
        .env("LANG", "C.UTF-8")
        .env_remove("BAOCAO_LANG")
        .current_dir(root);
    command
}

/// The first of `count` consecutive free TCP ports on 127.0.0.1 above it (a cluster's
/// nodes listen on base+N and base+100+N), from a range the single free ports are not
/// taken from (20000–29999, below Linux's ephemeral ports).
pub fn free_port_block(count: u16) -> u16 {
    let mut base = 20_000 + (std::process::id() % 2_000) as u16 * 4;
    loop {
        let free = (1..=count).all(|n| StdListener::bind(("127.0.0.1", base + n)).is_ok());
        if free {
            return base;
        }
        base = 20_000 + (base - 20_000 + count + 7) % (9_999 - count);
    }
}

/// The repository's root (the tests' working directory for shipped files).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A free TCP port on 127.0.0.1 (bound then released), never one this test process has
/// handed out before: the tests of a binary run at once, and the kernel may give a
/// released port again, so two servers of two tests could otherwise be told the same
/// port (one fails to bind, and its test talks to the other's server).
pub fn free_port() -> u16 {
    static GIVEN: std::sync::Mutex<Vec<u16>> = std::sync::Mutex::new(Vec::new());
    loop {
        let port = StdListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("free port");
        let mut given = GIVEN
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if !given.contains(&port) {
            given.push(port);
            return port;
        }
    }
}

/// Runs a `baocao` command to success; its stdout (stdout and stderr in the failure).
pub fn succeeded(command: &mut Command) -> anyhow::Result<String> {
    let output = command.output().context("running baocao")?;
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    anyhow::ensure!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    Ok(stdout)
}

/// The embedded broker as a child process (`baocao broker`), started exactly as the demo
/// and the benchmarks start it (a new port when the first was taken).
/// The Kafka of a test: its own embedded broker (a process it owns), or — with
/// `TEST_KAFKA=apache` — the Apache Kafka cluster `scripts/kafka-cluster.sh`
/// started, at `TEST_KAFKA_BROKERS`, shared by every test (each test has its own
/// topics and consumer groups).
pub struct BrokerProcess {
    /// The bootstrap servers.
    pub addr: String,
    embedded: Option<baocao_broker::BrokerProcess>,
}

/// The Apache Kafka cluster the tests run on, when `TEST_KAFKA=apache`: its
/// bootstrap servers and the replication its topics get (3 on three nodes).
pub fn apache_kafka() -> Option<(String, i32)> {
    if std::env::var("TEST_KAFKA").ok()? != "apache" {
        return None;
    }
    let brokers = std::env::var("TEST_KAFKA_BROKERS").expect(
        "TEST_KAFKA=apache needs TEST_KAFKA_BROKERS (scripts/kafka-cluster.sh start prints them)",
    );
    let replication = if brokers.split(',').count() >= 3 {
        3
    } else {
        1
    };
    Some((brokers, replication))
}

/// Whether this run is on Apache Kafka, saying so for a test of the embedded broker's
/// own faults (it kills and restarts the one broker it owns), which is then skipped:
/// the faults of a real cluster are `fault_e2e`'s cluster tests.
pub fn skipped_on_apache_kafka(test: &str) -> bool {
    let apache = apache_kafka().is_some();
    if apache {
        eprintln!("{test}: kills the embedded broker; skipped on Apache Kafka");
    }
    apache
}

impl BrokerProcess {
    pub fn start(dir: &Path) -> anyhow::Result<Self> {
        if let Some((brokers, _)) = apache_kafka() {
            return Ok(BrokerProcess {
                addr: brokers,
                embedded: None,
            });
        }
        let embedded = baocao_broker::BrokerProcess::start(Path::new(BIN), dir)?;
        Ok(BrokerProcess {
            addr: embedded.addr.clone(),
            embedded: Some(embedded),
        })
    }

    /// The replication factor of the topics a test creates.
    pub fn replication(&self) -> i32 {
        apache_kafka().map_or(1, |(_, replication)| replication)
    }

    fn embedded(&mut self) -> &mut baocao_broker::BrokerProcess {
        self.embedded
            .as_mut()
            .expect("a test of the embedded broker's own faults (skipped on Apache Kafka)")
    }

    /// Kills the embedded broker (`kill -9`).
    pub fn kill(&mut self) {
        self.embedded().kill();
    }

    /// Starts the embedded broker again on its address and data.
    pub fn restart(&mut self) -> anyhow::Result<()> {
        Ok(self.embedded().restart()?)
    }

    /// Restarts the embedded broker if it died; whether it did.
    pub fn supervise(&mut self) -> anyhow::Result<bool> {
        Ok(self.embedded().supervise()?)
    }
}

pub fn wait_for_port(addr: &str, timeout: Duration) -> anyhow::Result<()> {
    anyhow::ensure!(
        baocao_broker::wait_for_listener(addr, timeout),
        "nothing listening on {addr} after {timeout:?}"
    );
    Ok(())
}

pub fn today() -> NaiveDate {
    baocao_registry::vietnam_date(Utc::now())
}

/// A copy of the shipped 2023 register (a single-register data directory) with two Thanh Hóa campaigns: `th-open` (open today) and
/// `th-closed` (closed yesterday).
pub fn data_dir(root: &Path) -> anyhow::Result<PathBuf> {
    data_dir_on(root, "2023")
}

/// [`data_dir`] on the shipped register `register` (`2023`: three tiers, the DIC
/// `38.STTTT` consolidates; `2025`: two tiers, the Department of Science and Technology
/// `38.SKHCN` does).
pub fn data_dir_on(root: &Path, register: &str) -> anyhow::Result<PathBuf> {
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("../data");
    let dir = root.join("data");
    std::fs::create_dir_all(dir.join("units"))?;
    std::fs::create_dir_all(dir.join("campaigns"))?;
    let (register_dir, consolidating) = (
        shipped.join("registers").join(register),
        if register == "2023" {
            "38.STTTT"
        } else {
            "38.SKHCN"
        },
    );
    let register = register_dir.clone();
    std::fs::copy(
        register.join("admin_units.csv"),
        dir.join("admin_units.csv"),
    )?;
    let kinds = register_dir.join("unit_kinds.toml");
    let kinds = if kinds.is_file() {
        kinds
    } else {
        shipped.join("unit_kinds.toml")
    };
    std::fs::copy(kinds, dir.join("unit_kinds.toml"))?;
    for unit_file in ["38.csv", "44.csv"] {
        std::fs::copy(
            register.join("units").join(unit_file),
            dir.join("units").join(unit_file),
        )?;
    }
    let today = today();
    let campaign = |id: &str, opens: NaiveDate, closes: NaiveDate| {
        format!(
            "id = \"{id}\"\nname = \"Thử nghiệm\"\nprovince = \"38\"\nconsolidating_unit = \"{consolidating}\"\n\
             opens_on = \"{opens}\"\ncloses_on = \"{closes}\"\n\
             required_unit_kinds = [\"people_committee\", \"dic\", \"school\", \"police\", \"telecom\"]\n\
             [[milestones]]\nid = \"levels-approved\"\nname = \"Cấp độ\"\nmeasure = \"levels_approved\"\n\
             unit_deadline = \"{closes}\"\nreport_deadline = \"{closes}\"\n"
        )
    };
    let day = chrono::Duration::days(1);
    std::fs::write(
        dir.join("campaigns/th-open.toml"),
        campaign("th-open", today - day * 60, today + day * 60),
    )?;
    std::fs::write(
        dir.join("campaigns/th-closed.toml"),
        campaign("th-closed", today - day * 60, today - day),
    )?;
    Ok(dir)
}

/// A valid report for `unit` in campaign `th-open`, as of today, under a fresh id: the
/// fixtures' complete report (one approved level-2 system).
pub fn valid_report(unit: &str) -> StatusReport {
    let id = uuid::Uuid::now_v7().to_string();
    baocao_fixtures::complete_report("th-open", unit, &id, today())
}

/// A test's Kafka settings: this broker, a fresh reports topic of three partitions, and a
/// short delivery timeout (an outage is seen in seconds).
pub fn test_kafka(broker: &BrokerProcess) -> KafkaConfig {
    let id = uuid::Uuid::new_v4().simple();
    KafkaConfig {
        brokers: broker.addr.clone(),
        reports_topic: format!("reports-{id}"),
        reviews_topic: format!("reports-{id}-reviews"),
        topic_partitions: 3,
        topic_replication: broker.replication(),
        delivery_timeout_ms: 3_000,
        ..KafkaConfig::default()
    }
}

/// Broker + data + tokens + one gateway, all owned by one test.
pub struct Stack {
    pub root: tempfile::TempDir,
    pub broker: BrokerProcess,
    pub registry: Arc<Registry>,
    pub kafka: KafkaConfig,
    pub tokens_file: PathBuf,
    pub gateway: Option<RunningGateway>,
}

impl Stack {
    /// Starts a broker and a gateway of `tier` for `jurisdiction`.
    pub async fn start(tier: &str, jurisdiction: &str) -> anyhow::Result<Self> {
        Self::start_with(tier, jurisdiction, |_| {}).await
    }

    pub async fn start_with(
        tier: &str,
        jurisdiction: &str,
        adjust: impl FnOnce(&mut GatewayConfig),
    ) -> anyhow::Result<Self> {
        Self::start_on("2023", tier, jurisdiction, adjust).await
    }

    /// [`Stack::start_with`] on the shipped register `register` ([`data_dir_on`]).
    pub async fn start_on(
        register: &str,
        tier: &str,
        jurisdiction: &str,
        adjust: impl FnOnce(&mut GatewayConfig),
    ) -> anyhow::Result<Self> {
        let root = tempfile::tempdir()?;
        let broker = BrokerProcess::start(root.path())?;
        let data = data_dir_on(root.path(), register)?;
        let registry = Arc::new(Registry::load(&data)?);
        let kafka = test_kafka(&broker);
        let tokens_file = root.path().join("tokens.json");
        let mut config = GatewayConfig {
            listen: "127.0.0.1:0".to_string(),
            tier: tier.to_string(),
            jurisdiction: jurisdiction.to_string(),
            tokens_file: tokens_file.clone(),
            ..GatewayConfig::default()
        };
        adjust(&mut config);
        let gateway = start_gateway(&config, &kafka, registry.clone()).await?;
        Ok(Stack {
            root,
            broker,
            registry,
            kafka,
            tokens_file,
            gateway: Some(gateway),
        })
    }

    pub fn endpoint(&self) -> String {
        let addr = self
            .gateway
            .as_ref()
            .map(|g| g.local_addr)
            .expect("gateway running");
        format!("http://{addr}")
    }

    pub fn token(&self, unit: &str) -> String {
        baocao_access::tokens::issue_token(&self.tokens_file, unit)
            .expect("issue token")
            .0
    }

    pub async fn client(&self) -> ReportingServiceClient<Channel> {
        ReportingServiceClient::connect(self.endpoint())
            .await
            .expect("connect")
    }

    /// Every envelope on the reports topic, read from the beginning by a separate consumer.
    pub fn read_topic(&self, expected: usize) -> anyhow::Result<Vec<(String, ReportEnvelope)>> {
        read_envelopes(&self.kafka.brokers, &self.kafka.reports_topic, 3, expected)
    }
}

/// Reads `topic` from the beginning until `expected` records are seen, then a little more to
/// catch extras; returns (key, envelope) pairs.
pub fn read_envelopes(
    brokers: &str,
    topic: &str,
    partitions: i32,
    expected: usize,
) -> anyhow::Result<Vec<(String, ReportEnvelope)>> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("group.id", format!("reader-{}", uuid::Uuid::new_v4()))
        .set("enable.auto.commit", "false")
        .create()?;
    let mut assignment = TopicPartitionList::new();
    for p in 0..partitions {
        assignment.add_partition_offset(topic, p, Offset::Beginning)?;
    }
    consumer.assign(&assignment)?;
    let mut out = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut quiet_until: Option<Instant> = None;
    while Instant::now() < deadline {
        match consumer.poll(Duration::from_millis(200)) {
            Some(Ok(message)) => {
                use rdkafka::Message as _;
                let key = String::from_utf8(message.key().unwrap_or_default().to_vec())?;
                let envelope = ReportEnvelope::decode(message.payload().unwrap_or_default())?;
                out.push((key, envelope));
            }
            Some(Err(err)) => anyhow::bail!("consume: {err}"),
            None => {}
        }
        if out.len() >= expected {
            let until = *quiet_until.get_or_insert_with(|| Instant::now() + Duration::from_secs(1));
            if Instant::now() >= until {
                break;
            }
        }
    }
    Ok(out)
}

/// Rolls up `milestone` at its report deadline from the landing tables under `landing`
/// into `out` (the production `run_rollup`).
pub async fn roll_up_at_deadline(
    registry: &Registry,
    campaign: &baocao_registry::Campaign,
    milestone: &baocao_registry::Milestone,
    landing: &Path,
    out: &Path,
) -> anyhow::Result<baocao_rollup::RollupOutput> {
    Ok(baocao_rollup::run_rollup(&baocao_rollup::RollupRequest {
        registry,
        campaign,
        milestone,
        cut_off: milestone.report_deadline,
        landing: &baocao_store::Store::local(landing),
        out: &baocao_store::Store::local(out),
        allow_empty: false,
        progress: None,
    })
    .await?)
}

/// Adds `authorization: Bearer <token>` to a request.
pub fn authed<T>(message: T, token: &str) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request.metadata_mut().insert(
        "authorization",
        format!("Bearer {token}").parse().expect("ascii token"),
    );
    request
}
