//! The report crate's error type. A variant names the step that failed; its cause is kept
//! as the source.

/// Errors from building the report's model or rendering a document.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A table of the rollup lacks a column the report reads: the report is not written.
    #[error("the report is not written")]
    Table(#[from] baocao_catalog::Error),
    /// A document could not be encoded (the renderer says why).
    #[error("rendering {document}")]
    Render {
        /// The document: `bao-cao.pdf`, `bao-cao.docx`, `bao-cao.xlsx`.
        document: &'static str,
        /// The encoder's error.
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

/// Result with the report [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
