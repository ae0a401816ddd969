//! Writes report envelopes to Kafka and waits for the broker's acknowledgement: this is
//! where a report becomes durable. acks=all + idempotence + zstd; the only place baocao
//! produces to the reports topic.

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use rdkafka::ClientConfig;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::error::RDKafkaErrorCode;
use rdkafka::producer::{FutureProducer, FutureRecord, Producer};
use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// How to reach Kafka and how the reports topic is laid out.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct KafkaConfig {
    /// Bootstrap servers, comma separated (`host:port,host:port`).
    pub brokers: String,
    /// Topic accepted reports are written to.
    pub reports_topic: String,
    /// Partitions when baocao creates the topic.
    pub topic_partitions: i32,
    /// Replication factor when baocao creates the topic (3 on a production cluster).
    pub topic_replication: i32,
    /// Create the topic at start-up if missing (the embedded broker never auto-creates).
    pub create_topic: bool,
    /// How long a produce may take, retries included, before the submit fails with
    /// UNAVAILABLE (librdkafka `message.timeout.ms`).
    pub delivery_timeout_ms: u64,
    /// Compression codec: zstd, lz4, gzip or none (snappy is refused: the embedded
    /// broker cannot serve it back).
    pub compression: String,
    /// Extra librdkafka properties, e.g. `security.protocol`, `sasl.mechanisms`.
    pub properties: BTreeMap<String, String>,
}

impl Default for KafkaConfig {
    fn default() -> Self {
        KafkaConfig {
            brokers: "127.0.0.1:9092".to_string(),
            reports_topic: baocao_proto::DEFAULT_REPORTS_TOPIC.to_string(),
            topic_partitions: 6,
            topic_replication: 1,
            create_topic: true,
            delivery_timeout_ms: 10_000,
            compression: "zstd".to_string(),
            properties: BTreeMap::new(),
        }
    }
}

impl KafkaConfig {
    /// librdkafka client properties common to every client baocao makes.
    pub fn client_config(&self) -> ClientConfig {
        let mut config = ClientConfig::new();
        config.set("bootstrap.servers", &self.brokers);
        for (key, value) in &self.properties {
            config.set(key, value);
        }
        config
    }
}

/// The durable write path to the reports topic.
///
/// After a failed delivery the underlying producer is replaced (once per failure wave): an
/// idempotent producer whose message timed out may be left with producer-id/sequence state
/// the broker no longer accepts (librdkafka then needs a new producer), and a fresh one
/// costs a single InitProducerId. In-flight sends keep the old one alive until they finish.
pub struct ReportProducer {
    config: KafkaConfig,
    current: RwLock<(u64, Arc<FutureProducer>)>,
    topic: String,
    timeout: Duration,
}

/// The librdkafka settings of the reports producer: acks=all, idempotence, the configured
/// compression and delivery timeout. Public so that the ingest benchmark's raw producer
/// uses exactly the gateway's settings.
pub fn report_producer_config(config: &KafkaConfig) -> Result<ClientConfig> {
    let compression = match config.compression.as_str() {
        c @ ("zstd" | "lz4" | "gzip" | "none") => c,
        other => {
            return Err(Error::Config(format!(
                "kafka.compression `{other}` is not supported (use zstd, lz4, gzip or none)"
            )));
        }
    };
    let mut client = config.client_config();
    client
        .set("acks", "all")
        .set("enable.idempotence", "true")
        .set("compression.type", compression)
        .set("linger.ms", "2")
        .set("message.timeout.ms", config.delivery_timeout_ms.to_string());
    Ok(client)
}

fn create_producer(config: &KafkaConfig) -> Result<FutureProducer> {
    report_producer_config(config)?
        .create()
        .map_err(|err| Error::Kafka(format!("cannot create producer: {err}")))
}

impl ReportProducer {
    /// Creates an idempotent, acks=all producer.
    pub fn new(config: &KafkaConfig) -> Result<Self> {
        let producer = create_producer(config)?;
        Ok(ReportProducer {
            config: config.clone(),
            current: RwLock::new((0, Arc::new(producer))),
            topic: config.reports_topic.clone(),
            timeout: Duration::from_millis(config.delivery_timeout_ms),
        })
    }

    fn current(&self) -> Result<(u64, Arc<FutureProducer>)> {
        self.current
            .read()
            .map(|guard| (guard.0, guard.1.clone()))
            .map_err(|_| Error::Kafka("producer lock poisoned".to_string()))
    }

    /// Replaces the producer if it is still the one of generation `failed`.
    fn replace(&self, failed: u64) {
        let Ok(mut guard) = self.current.write() else {
            return;
        };
        if guard.0 != failed {
            return; // another failed send already replaced it
        }
        match create_producer(&self.config) {
            Ok(fresh) => {
                *guard = (failed + 1, Arc::new(fresh));
                tracing::warn!(
                    generation = failed + 1,
                    "kafka producer replaced after a failed delivery"
                );
            }
            Err(err) => tracing::error!(error = %err, "cannot replace kafka producer"),
        }
    }

    /// Sends one record and waits for the acknowledgement from all in-sync replicas.
    /// Returns (partition, offset) of the durable record.
    pub async fn send(&self, key: &str, payload: &[u8]) -> Result<(i32, i64)> {
        let (generation, producer) = self.current()?;
        let record = FutureRecord::to(&self.topic).key(key).payload(payload);
        match producer.send(record, self.timeout).await {
            Ok(delivery) => Ok((delivery.partition, delivery.offset)),
            Err((err, _)) => {
                self.replace(generation);
                Err(Error::Kafka(format!("not acknowledged: {err}")))
            }
        }
    }

    /// Waits for in-flight records before shutdown.
    pub fn flush(&self, timeout: Duration) {
        if let Ok((_, producer)) = self.current()
            && let Err(err) = producer.flush(timeout)
        {
            tracing::warn!(error = %err, "producer flush incomplete at shutdown");
        }
    }
}

/// Creates `config.reports_topic` if it does not exist, keeping every record
/// (`retention.ms=-1`): gateways rebuild their submission index from it, and a cluster's
/// default retention (7 days on stock Kafka) would let a reused id through. An existing
/// topic is left as is.
pub async fn ensure_reports_topic(config: &KafkaConfig) -> Result<()> {
    create_topic(
        config,
        &config.reports_topic,
        config.topic_partitions,
        &[("retention.ms", "-1")],
    )
    .await
}

/// Creates a topic with the configured replication if it does not exist.
pub async fn ensure_topic(config: &KafkaConfig, topic: &str, partitions: i32) -> Result<()> {
    create_topic(config, topic, partitions, &[]).await
}

async fn create_topic(
    config: &KafkaConfig,
    topic: &str,
    partitions: i32,
    settings: &[(&str, &str)],
) -> Result<()> {
    let admin: AdminClient<DefaultClientContext> = config
        .client_config()
        .create()
        .map_err(|err| Error::Kafka(format!("cannot create admin client: {err}")))?;
    let mut new_topic = NewTopic::new(
        topic,
        partitions,
        TopicReplication::Fixed(config.topic_replication),
    );
    for (key, value) in settings {
        new_topic = new_topic.set(key, value);
    }
    let options = AdminOptions::new().operation_timeout(Some(Duration::from_secs(10)));
    let results = admin
        .create_topics([&new_topic], &options)
        .await
        .map_err(|err| Error::Kafka(format!("create topic {topic}: {err}")))?;
    for result in results {
        match result {
            Ok(_) | Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
            Err((name, code)) => return Err(Error::Kafka(format!("create topic {name}: {code}"))),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secured_cluster_settings_are_accepted() {
        // What a production cluster needs: TLS and SASL/SCRAM through `[kafka.properties]`.
        // librdkafka validates these when the client is created (no connection is made).
        let mut config = KafkaConfig::default();
        for (key, value) in [
            ("security.protocol", "SASL_SSL"),
            ("sasl.mechanisms", "SCRAM-SHA-512"),
            ("sasl.username", "baocao"),
            ("sasl.password", "secret"),
        ] {
            config.properties.insert(key.to_string(), value.to_string());
        }
        assert!(ReportProducer::new(&config).is_ok());
    }

    #[test]
    fn snappy_and_unknown_codecs_are_refused() {
        let config = KafkaConfig {
            compression: "snappy".to_string(),
            ..KafkaConfig::default()
        };
        let Err(Error::Config(reason)) = ReportProducer::new(&config) else {
            panic!("snappy must be refused");
        };
        assert!(reason.contains("snappy"), "{reason}");
    }
}
