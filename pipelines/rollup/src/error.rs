//! The rollup crate's error type.

/// Errors from rolling up or rendering reports.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// DataFusion failed to plan or execute.
    #[error("datafusion: {0}")]
    DataFusion(#[from] datafusion::error::DataFusionError),
    /// Arrow failed.
    #[error("arrow: {0}")]
    Arrow(#[from] arrow::error::ArrowError),
    /// Writing a summary file failed.
    #[error(transparent)]
    Landing(#[from] baocao_landing::Error),
    /// Reading or writing the summaries' store (a directory or a bucket) failed.
    #[error(transparent)]
    Store(#[from] baocao_store::Error),
    /// Writing an output failed.
    #[error("{location}: {reason}")]
    Output {
        /// The file or object.
        location: String,
        /// Why.
        reason: String,
    },
    /// The request does not make sense (unknown milestone, cut-off before the campaign...).
    #[error("{0}")]
    Request(String),
}

/// Result with the rollup [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
