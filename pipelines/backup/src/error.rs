//! The backup crate's error type.

use std::path::PathBuf;

/// Errors from backing up or restoring.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The `[backup]` configuration is wrong: names the key and why.
    #[error("configuration: {key}: {reason}")]
    Config {
        /// The configuration key, e.g. `backup.url`.
        key: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// Reading or writing a local file failed.
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
        /// What was attempted: list, upload, download.
        operation: &'static str,
        /// The object or prefix, as `<url>/<key>`.
        location: String,
        /// The store's error.
        source: object_store::Error,
    },
    /// An object's key cannot be a local file name (`..`, `.`, an empty part, a
    /// backslash): restoring it could write outside the target directory.
    #[error("{location}: not a relative file name; nothing restored")]
    UnsafeKey {
        /// The object, as `<url>/<key>`.
        location: String,
    },
    /// The store layer failed: the shared `[s3]` settings are wrong, or listing the
    /// local state did.
    #[error(transparent)]
    State(#[from] baocao_store::Error),
    /// Local files kept disappearing while being uploaded (compaction faster than the
    /// backup): the backup gave up instead of looping.
    #[error("{0}")]
    Unsettled(String),
}

/// Result with the backup [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
