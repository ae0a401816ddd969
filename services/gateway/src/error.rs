//! The gateway crate's error type, and the one place errors become gRPC statuses.

/// Errors from the gateway: configuration, tokens, Kafka, serving.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The registry failed to load.
    #[error(transparent)]
    Registry(#[from] baocao_registry::Error),
    /// The token file or a TLS file cannot be used.
    #[error(transparent)]
    Access(#[from] baocao_access::Error),
    /// A configuration value is wrong.
    #[error("configuration: {0}")]
    Config(String),
    /// The gRPC reflection service could not be built from the descriptors.
    #[error("grpc reflection")]
    Reflection(#[from] tonic_reflection::server::Error),
    /// The server task ended without a result (it panicked or was cancelled).
    #[error("gateway task")]
    Task(#[from] tokio::task::JoinError),
    /// Kafka refused or did not confirm in time.
    #[error(transparent)]
    Kafka(#[from] baocao_kafka::Error),
    /// The submission core could not start (reading the reports topic).
    #[error(transparent)]
    Submission(#[from] baocao_submission::Error),
    /// The receipt-signing certificate or key cannot be used.
    #[error("{setting}")]
    Receipts {
        /// The setting that names the files.
        setting: &'static str,
        /// Why.
        source: baocao_signing::Error,
    },
    /// The gRPC server failed.
    #[error("grpc server")]
    Serve(#[from] tonic::transport::Error),
    /// Binding or accepting on the listener failed.
    #[error("listener")]
    Io(#[from] std::io::Error),
}

/// Result with the gateway's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
