//! The access crate's error type: a token file or a TLS file that cannot be used, named
//! with its path (and the setting that points at it), its cause kept.

use std::path::PathBuf;

/// Errors from tokens and TLS settings.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The token file could not be read or written.
    #[error("token file {path}")]
    TokenFile {
        /// The token file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The token file is not the JSON baocao writes.
    #[error("token file {path}: not a baocao token file")]
    TokenJson {
        /// The token file.
        path: PathBuf,
        /// The JSON error.
        #[source]
        source: serde_json::Error,
    },
    /// A token operation cannot be done (unknown id, no randomness).
    #[error("token file {path}: {reason}")]
    Tokens {
        /// The token file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// The operating system gave no randomness for a new token.
    #[error("token file {path}: no randomness for a new token")]
    Randomness {
        /// The token file.
        path: PathBuf,
        /// The operating system's error.
        source: getrandom::Error,
    },
    /// A TLS setting is missing or contradicts another.
    #[error("configuration: {0}")]
    Config(String),
    /// The files of a TLS setting do not make a TLS configuration (not PEM, a key that
    /// does not match its certificate, an unusable CA).
    #[error("{setting}")]
    Tls {
        /// The setting, e.g. `portal.tls.key_file`, and its file when one is read.
        setting: String,
        /// Why rustls refused it.
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A TLS file named by a setting cannot be read.
    #[error("{setting} {path}")]
    TlsFile {
        /// The setting, e.g. `gateway.tls.cert_file`.
        setting: String,
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

/// Result with the access [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
