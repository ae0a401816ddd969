//! The catalog crate's error type. A variant names the step that failed; its cause is
//! kept as the source, and the chain printer shows it (never the variant's message too).

/// Errors from reading what baocao wrote: the landing's raw tables, the registry's
/// tables and the rollups' outputs.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// DataFusion failed to plan or execute one of baocao's own statements.
    #[error("reading the tables")]
    DataFusion(#[from] datafusion::error::DataFusionError),
    /// Arrow failed to build or convert a table.
    #[error("building a table")]
    Arrow(#[from] arrow::error::ArrowError),
    /// A Parquet file a rollup wrote could not be read.
    #[error("reading a Parquet file")]
    Parquet(#[from] parquet::errors::ParquetError),
    /// Listing or reading the landing or the summaries (a directory or a bucket) failed.
    #[error(transparent)]
    Store(#[from] baocao_store::Error),
    /// A data file of the registry (a map between registers) could not be read.
    #[error(transparent)]
    Registry(#[from] baocao_registry::Error),
    /// A file a rollup wrote (JSON) could not be read.
    #[error("reading {location}")]
    Output {
        /// The file or object.
        location: String,
        /// Why: the decoder's error.
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A table baocao built itself lacks a column or has another type than its reader
    /// expects (a bug, or files written by a different version).
    #[error("internal table: {0}")]
    Schema(String),
    /// An analyst's SQL statement failed to plan (unknown table or column, syntax).
    #[error("query refused")]
    Query(#[source] datafusion::error::DataFusionError),
}

/// Result with the catalog [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
