//! The reminders' error type: every failure keeps its cause.

/// Errors from planning, recording or sending reminders.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Producing to or creating the reminders topic failed.
    #[error(transparent)]
    Kafka(#[from] baocao_kafka::Error),
    /// Reading the reminders topic failed.
    #[error("reminders topic: {action}")]
    KafkaRead {
        /// What was being done.
        action: String,
        /// The client's error.
        source: rdkafka::error::KafkaError,
    },
    /// Reading who has reported (the reports topic) failed.
    #[error(transparent)]
    Submission(#[from] baocao_submission::Error),
    /// The SMTP server refused or could not be reached.
    #[error("smtp")]
    Smtp(#[from] lettre::transport::smtp::Error),
    /// An e-mail address (a unit's contact, `remind.from`) is not an address.
    #[error("e-mail address `{address}`")]
    Address {
        /// The text given.
        address: String,
        /// Why it is not an address.
        source: lettre::address::AddressError,
    },
    /// The message could not be built.
    #[error("e-mail message")]
    Message(#[from] lettre::error::Error),
    /// The webhook could not be called.
    #[error("webhook")]
    Webhook(#[from] reqwest::Error),
    /// The webhook answered with an error status.
    #[error("webhook {url} answered {status}")]
    WebhookStatus {
        /// The URL called.
        url: String,
        /// The HTTP status.
        status: u16,
    },
    /// A record could not be encoded or decoded.
    #[error("reminder record")]
    Json(#[from] serde_json::Error),
    /// A configured file could not be read.
    #[error("{path}")]
    Io {
        /// The file.
        path: std::path::PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The configuration cannot work (names the key).
    #[error("{0}")]
    Config(String),
}

/// Result with the reminders' [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
