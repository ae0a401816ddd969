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
    /// The object-storage client cannot be built from the `[s3]` settings.
    #[error("configuration: {key}: the object-storage client cannot be built")]
    Client {
        /// The configuration key, `s3.endpoint`.
        key: &'static str,
        /// Why the client refused the settings.
        source: object_store::Error,
    },
    /// Reading, writing or syncing a local file failed.
    #[error("{path}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The object store refused an operation (credentials, missing bucket, network).
    #[error("object storage: {operation} {location}")]
    Store {
        /// What was attempted: list, put, get, delete.
        operation: &'static str,
        /// The object or prefix, as `s3://bucket/key`.
        location: String,
        /// The store's error.
        source: object_store::Error,
    },
    /// Arrow failed while encoding a batch.
    #[error("arrow")]
    Arrow(#[from] arrow::error::ArrowError),
    /// Parquet encoding or decoding failed.
    #[error("parquet")]
    Parquet(#[from] ::parquet::errors::ParquetError),
    /// A stored file is not what its name says (not Parquet, truncated).
    #[error("{location}: {reason}")]
    NotParquet {
        /// The file or object.
        location: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// A column encoder of the Parquet writer failed to deliver its column.
    #[error("parquet writer: {0}")]
    Writer(&'static str),
    /// A file-system or encoding task ended without a result (it panicked or was
    /// cancelled).
    #[error("a storage task failed")]
    Task(#[from] tokio::task::JoinError),
}

/// Result with the store [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
