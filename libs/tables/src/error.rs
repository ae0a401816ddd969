//! The tables crate's error type.

/// Errors from building the raw tables' batches.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Arrow refused the columns built for a batch (a bug: the builders and the schema
    /// disagree).
    #[error("arrow: building a raw table batch")]
    Arrow(#[from] arrow::error::ArrowError),
}

/// Result with the tables [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
