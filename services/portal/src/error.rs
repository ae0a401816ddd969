//! The portal crate's error type: starting the portal (configuration, accounts database,
//! Kafka, TLS, the listener) and the rare failure while answering a request.

/// Errors from the portal.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A configuration value is wrong.
    #[error("configuration: {0}")]
    Config(String),
    /// The accounts database failed.
    #[error(transparent)]
    Accounts(#[from] baocao_accounts::Error),
    /// TLS files cannot be used.
    #[error(transparent)]
    Access(#[from] baocao_access::Error),
    /// Kafka refused or did not answer.
    #[error(transparent)]
    Kafka(#[from] baocao_kafka::Error),
    /// The submission core could not start (reading the reports topic).
    #[error(transparent)]
    Submission(#[from] baocao_submission::Error),
    /// The receipt-signing certificate or key cannot be used (`portal.receipts`).
    #[error("portal.receipts")]
    Receipts(#[from] baocao_signing::Error),
    /// Binding the listener failed.
    #[error("listener")]
    Io(#[from] std::io::Error),
    /// A page template failed to render.
    #[error("page template")]
    Template(#[from] askama::Error),
    /// The server task ended without a result.
    #[error("portal task")]
    Task(#[from] tokio::task::JoinError),
}

/// Result with the portal's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
