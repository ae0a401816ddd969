//! How to reach Kafka and how the reports topic is laid out: the settings every client of
//! baocao (gateway, landing, benchmarks) shares (`[kafka]` in the configuration).

use std::collections::BTreeMap;

use rdkafka::ClientConfig;
use serde::{Deserialize, Serialize};

/// How to reach Kafka and how the reports topic is laid out.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct KafkaConfig {
    /// Bootstrap servers, comma separated (`host:port,host:port`).
    pub brokers: String,
    /// Topic accepted reports are written to.
    pub reports_topic: String,
    /// Topic review decisions (approve, return) are written to, keyed by the reviewed
    /// unit (created with the reports topic's partitions, kept forever).
    pub reviews_topic: String,
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
            reviews_topic: "baocao.reviews.v1".to_string(),
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
