//! The rollup crate's error type.

/// Errors from rolling up or rendering reports.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// DataFusion failed to plan or execute.
    #[error("datafusion")]
    DataFusion(#[from] datafusion::error::DataFusionError),
    /// Arrow failed.
    #[error("arrow")]
    Arrow(#[from] arrow::error::ArrowError),
    /// A Parquet file of an earlier rollup could not be read.
    #[error("parquet")]
    Parquet(#[from] parquet::errors::ParquetError),
    /// Reading what the pipeline wrote (the landing, earlier outputs) failed.
    #[error(transparent)]
    Catalog(#[from] baocao_catalog::Error),
    /// The Chairman's report or a letter could not be made.
    #[error(transparent)]
    Report(#[from] baocao_report::Error),
    /// A PDF could not be signed with `[document.signing]`'s certificate.
    #[error("signing {file}")]
    Signing {
        /// The document, e.g. `bao-cao.pdf`.
        file: String,
        /// Why.
        source: baocao_signing::Error,
    },
    /// Reading or writing the summaries' store (a directory or a bucket) failed.
    #[error(transparent)]
    Store(#[from] baocao_store::Error),
    /// A data file of the registry (a map between registers) could not be read.
    #[error(transparent)]
    Registry(#[from] baocao_registry::Error),
    /// Writing an output failed.
    #[error("{location}")]
    Output {
        /// The file or object.
        location: String,
        /// Why: the encoder's or the writing task's error.
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A table baocao built itself lacks a column or has another type than its reader
    /// expects (a bug, or files written by a different version).
    #[error("internal table: {0}")]
    Schema(String),
    /// An analyst's SQL statement failed to plan (unknown table or column, syntax).
    #[error("query")]
    Query(#[source] datafusion::error::DataFusionError),
    /// The request does not make sense (unknown milestone, cut-off before the campaign...).
    #[error("{0}")]
    Request(String),
    /// No landed submission of the campaign is counted: a report would say every unit is
    /// missing. Usually a wrong landing location or a landing not run yet.
    #[error(
        "no landed submission of campaign `{campaign}` received by {cut_off} in {landing}{hint}; nothing written (check landing.dir / --landing-dir and that `baocao land` ran; --allow-empty writes an all-missing report on purpose)"
    )]
    NothingLanded {
        /// The campaign.
        campaign: String,
        /// The cut-off day.
        cut_off: chrono::NaiveDate,
        /// The landing location read.
        landing: String,
        /// " (this directory does not exist)" when it does not.
        hint: &'static str,
    },
}

/// Result with the rollup [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
