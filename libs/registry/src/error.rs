//! The registry's error type: every data problem names its file, line and reason.

use std::path::PathBuf;

/// Errors from loading or querying the registry.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A data file could not be read.
    #[error("{path}")]
    Io {
        /// The file that failed.
        path: PathBuf,
        /// The underlying I/O error.
        source: std::io::Error,
    },
    /// A data file has a bad record; `line` is 1-based.
    #[error("{path}:{line}: {reason}")]
    Data {
        /// The file holding the bad record.
        path: PathBuf,
        /// The 1-based line of the record.
        line: usize,
        /// What is wrong, in words an editor of the file can act on.
        reason: String,
    },
    /// The register or campaign asked for is not in the data directory.
    #[error("{0}")]
    Choice(String),
}

/// Result with the registry's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub(crate) fn data(path: &std::path::Path, line: usize, reason: impl Into<String>) -> Self {
        Error::Data {
            path: path.to_path_buf(),
            line,
            reason: reason.into(),
        }
    }
}
