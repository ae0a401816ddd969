//! The landing crate's error type: each failure keeps its cause as its source.

/// Errors from landing reports.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Reaching Kafka failed (creating topics).
    #[error(transparent)]
    Kafka(#[from] baocao_kafka::Error),
    /// The consumer or the dead-letter producer failed (consume, commit, produce).
    #[error("kafka: {action}")]
    Client {
        /// What the landing was doing.
        action: &'static str,
        /// librdkafka's error.
        #[source]
        source: rdkafka::error::KafkaError,
    },
    /// Arrow could not build or sort a batch.
    #[error("arrow")]
    Arrow(#[from] arrow::error::ArrowError),
    /// A landed Parquet file could not be read.
    #[error("parquet")]
    Parquet(#[from] parquet::errors::ParquetError),
    /// A landed file does not have the columns this build expects.
    #[error("{0}")]
    Schema(String),
    /// A batch of the raw tables could not be built.
    #[error(transparent)]
    Tables(#[from] baocao_tables::Error),
    /// The store holding the raw tables (a directory or a bucket) failed.
    #[error(transparent)]
    Store(#[from] baocao_store::Error),
    /// Configuration is wrong.
    #[error("configuration: {0}")]
    Config(String),
}

/// Result with the landing [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl From<rdkafka::error::KafkaError> for Error {
    fn from(source: rdkafka::error::KafkaError) -> Self {
        Error::Client {
            action: "consume the reports topic",
            source,
        }
    }
}
