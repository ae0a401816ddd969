//! The landing crate's error type.

/// Errors from landing reports.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Kafka refused an operation (consume, commit, dead-letter produce).
    #[error("kafka: {0}")]
    Kafka(String),
    /// Arrow or Parquet encoding failed.
    #[error("parquet: {0}")]
    Parquet(String),
    /// The store holding the raw tables (a directory or a bucket) failed.
    #[error(transparent)]
    Store(#[from] baocao_store::Error),
    /// Configuration is wrong.
    #[error("configuration: {0}")]
    Config(String),
}

/// Result with the landing [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl From<arrow::error::ArrowError> for Error {
    fn from(err: arrow::error::ArrowError) -> Self {
        Error::Parquet(err.to_string())
    }
}

impl From<parquet::errors::ParquetError> for Error {
    fn from(err: parquet::errors::ParquetError) -> Self {
        Error::Parquet(err.to_string())
    }
}

impl From<rdkafka::error::KafkaError> for Error {
    fn from(err: rdkafka::error::KafkaError) -> Self {
        Error::Kafka(err.to_string())
    }
}
