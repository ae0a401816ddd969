//! How baocao reaches Kafka: the connection settings every client shares ([`KafkaConfig`]),
//! creating missing topics, and the durable reports producer. Shared by the gateway (which
//! produces), the landing (which consumes) and the benchmarks, so none of them depends on
//! another for it; nothing here knows about gRPC, Parquet or the registry.

mod config;
mod error;
mod producer;
mod topics;

pub use config::{ENVELOPE_HEADROOM, KafkaConfig};
pub use error::{Error, Result};
pub use producer::{ReportProducer, report_producer_config};
pub use topics::{
    ensure_kept_topic, ensure_reports_topic, ensure_topic, retry_while_unknown, topic_partitions,
    topic_watermarks,
};
