//! The Kafka crate's error type: every Kafka failure keeps librdkafka's error as its
//! source, and says what baocao was doing.

use rdkafka::error::{KafkaError, RDKafkaErrorCode};

/// Errors from reaching Kafka.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A setting is wrong (found before anything is sent).
    #[error("configuration: {0}")]
    Config(String),
    /// A Kafka client call failed.
    #[error("kafka: {action}")]
    Client {
        /// What baocao was doing, e.g. "create the admin client".
        action: String,
        /// librdkafka's error.
        #[source]
        source: KafkaError,
    },
    /// The broker refused to create a topic.
    #[error("kafka: create topic {topic}: {code}")]
    CreateTopic {
        /// The topic.
        topic: String,
        /// The broker's answer.
        code: RDKafkaErrorCode,
    },
    /// A record is larger than the producer or the broker takes: never worth a retry.
    #[error(
        "kafka: a record of {bytes} bytes is larger than the {limit} bytes a record may have (kafka.max_record_bytes)"
    )]
    RecordTooLarge {
        /// The record's size.
        bytes: usize,
        /// The limit.
        limit: usize,
    },
    /// The broker did not answer in time, or answered with nothing usable.
    #[error("kafka: {0}")]
    Unavailable(String),
}

impl Error {
    /// A failed client call while doing `action`.
    pub fn client(action: impl Into<String>, source: KafkaError) -> Self {
        Error::Client {
            action: action.into(),
            source,
        }
    }
}

/// Result with the Kafka [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
