//! The receipts crate's error type: keys and certificates that cannot be read, and
//! receipts whose signature does not hold (each saying what failed).

use std::path::PathBuf;

/// Errors from signing and verifying receipts.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A key or certificate file cannot be read.
    #[error("{path}")]
    File {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A certificate is not a PEM X.509 certificate.
    #[error("{what}: not a PEM X.509 certificate")]
    Certificate {
        /// Which certificate.
        what: String,
        /// The decoder's error.
        source: der::Error,
    },
    /// The signing key is not a PKCS#8 PEM ECDSA P-256 key.
    #[error(
        "{path}: not an unencrypted PEM private key of ECDSA P-256 or RSA (PKCS#8 `BEGIN PRIVATE KEY`, PKCS#1 `BEGIN RSA PRIVATE KEY` or SEC1 `BEGIN EC PRIVATE KEY`; `openssl pkcs12 -nocerts -nodes` then `openssl pkcs8 -topk8 -nocrypt` converts a PKCS#12 file)"
    )]
    Key {
        /// The key file.
        path: PathBuf,
        /// The decoder's error.
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// Only one of the certificate and the key is configured.
    #[error("set both cert_file and key_file, or neither")]
    HalfConfigured,
    /// Both PEM files and a PKCS#12 file are configured.
    #[error("set cert_file and key_file, or pkcs12_file, not both")]
    TwoSources,
    /// A PKCS#12 file that does not open with its password, or is not PKCS#12.
    #[error(
        "{path}: not a PKCS#12 file that opens with the password of pkcs12_password_file (a wrong password, or a format it does not read)"
    )]
    Pkcs12 {
        /// The file.
        path: PathBuf,
        /// The reader's error.
        source: p12_keystore::error::Error,
    },
    /// A PKCS#12 file with no private key and certificate.
    #[error("{path}: the PKCS#12 file holds no private key with its certificate")]
    Pkcs12NoKey {
        /// The file.
        path: PathBuf,
    },
    /// The key does not belong to the certificate.
    #[error("the signing key does not match the certificate's public key")]
    KeyMismatch,
    /// The signature could not be made or encoded (the CMS builder's error has no
    /// `std::error::Error` to keep, so its words are kept).
    #[error("signing the receipt: {0}")]
    Sign(String),
    /// The receipt is not the JSON of a receipt.
    #[error("the receipt is not a baocao receipt")]
    Receipt(#[source] serde_json::Error),
    /// A PDF that cannot be signed here, or read as signed; the reason says why.
    #[error("the PDF cannot be signed: {0}")]
    Pdf(String),
    /// The signature does not hold; the reason says which check failed.
    #[error("the signature does not verify: {0}")]
    Invalid(String),
}

/// Result with the receipts [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
