//! The store crate's error type.

use std::path::PathBuf;

/// Errors from reading or writing the Parquet state.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A location or S3 setting is wrong: names the configuration key and why.
    #[error("configuration: {key}: {reason}")]
    Config {
        /// The configuration key, e.g. `landing.dir` or `s3.endpoint`.
        key: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// Reading, writing or syncing a local file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The object store refused an operation (credentials, missing bucket, network).
    #[error("object storage: {operation} {location}: {source}")]
    Store {
        /// What was attempted: list, put, get, delete.
        operation: &'static str,
        /// The object or prefix, as `s3://bucket/key`.
        location: String,
        /// The store's error.
        source: object_store::Error,
    },
    /// Arrow or Parquet encoding or decoding failed.
    #[error("parquet: {0}")]
    Parquet(String),
}

/// Result with the store [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl From<arrow::error::ArrowError> for Error {
    fn from(err: arrow::error::ArrowError) -> Self {
        Error::Parquet(err.to_string())
    }
}

impl From<::parquet::errors::ParquetError> for Error {
    fn from(err: ::parquet::errors::ParquetError) -> Self {
        Error::Parquet(err.to_string())
    }
}
