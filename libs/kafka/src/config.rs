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
    /// Largest record baocao writes, in bytes: the producer's `message.max.bytes` and the
    /// topics' `max.message.bytes` at creation. It must leave room for a report of the
    /// front doors' `max_report_bytes` plus its envelope ([`ENVELOPE_HEADROOM`]); the
    /// front doors refuse to start otherwise. A cluster whose broker-wide
    /// `message.max.bytes` is lower refuses such records: raise it to this.
    pub max_record_bytes: usize,
    /// Extra librdkafka properties, e.g. `security.protocol`, `sasl.mechanisms`.
    pub properties: BTreeMap<String, String>,
}

/// Bytes an envelope adds to a report (receipt time, front door, tier, submitter), with
/// room to spare.
pub const ENVELOPE_HEADROOM: usize = 64 * 1024;

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
            max_record_bytes: 1024 * 1024 + ENVELOPE_HEADROOM,
            properties: BTreeMap::new(),
        }
    }
}

impl KafkaConfig {
    /// What the producer and the topics are told a record may take: the record limit plus
    /// the record batch's own framing (the producer checks the exact limit itself).
    pub fn record_frame_bytes(&self) -> usize {
        self.max_record_bytes.saturating_add(1024).max(1000)
    }

    /// Refuses settings under which a valid report of `max_report_bytes` could not be
    /// written (`setting` names where that limit was set).
    pub fn check_room_for(&self, max_report_bytes: usize, setting: &str) -> crate::Result<()> {
        let needed = max_report_bytes.saturating_add(ENVELOPE_HEADROOM);
        if self.max_record_bytes < needed {
            return Err(crate::Error::Config(format!(
                "kafka.max_record_bytes is {} but {setting} is {max_report_bytes}: a valid report would not fit in a record; set kafka.max_record_bytes to at least {needed}",
                self.max_record_bytes
            )));
        }
        Ok(())
    }

    /// librdkafka client properties common to every client baocao makes. Topic metadata
    /// is refreshed every 10 s (librdkafka's default is 5 minutes), so partitions added
    /// to a topic are produced to and consumed within seconds, as the submission index's
    /// followers find them; `properties` may set another interval.
    pub fn client_config(&self) -> ClientConfig {
        let mut config = ClientConfig::new();
        config.set("bootstrap.servers", &self.brokers);
        config.set("topic.metadata.refresh.interval.ms", "10000");
        for (key, value) in &self.properties {
            config.set(key, value);
        }
        config
    }
}
