//! The submission crate's error type (starting the core), and the refusals a submission
//! can meet, which each front door turns into its own answer (a gRPC status, a form
//! message, a spreadsheet cell note).

use std::time::Duration;

use baocao_rules::validate::Violation;

/// Errors from starting the core (reading the reports topic into the index).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Kafka could not be read or written.
    #[error(transparent)]
    Kafka(#[from] baocao_kafka::Error),
}

/// Result with the submission [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why a report was not accepted. Nothing was written for it.
#[derive(Debug)]
pub enum Refusal {
    /// A required field is empty (`report`, `report.unit_code`).
    Missing {
        /// The field path.
        field: &'static str,
    },
    /// The request names a unit the register does not have.
    UnknownUnit {
        /// The request's field that named it (`report.unit_code`, `unit_code`).
        field: &'static str,
        /// The code sent.
        code: String,
    },
    /// The submitter sent too many reports in the last minute.
    RateLimited {
        /// The submitting unit.
        unit: String,
        /// How long until it may send again.
        wait: Duration,
    },
    /// The submitter may not submit this unit's report here (another unit, or a unit
    /// this front door does not serve).
    NotPermitted(String),
    /// The report breaks validation rules: every problem, with its field path.
    Invalid(Vec<Violation>),
    /// The unit already sent this submission id with other content.
    IdReused {
        /// The unit.
        unit: String,
        /// When the first content was accepted (UTC, RFC 3339, seconds).
        accepted_at: String,
    },
    /// Kafka did not acknowledge the write: not durable, retry with the same id.
    Unavailable(baocao_kafka::Error),
    /// This version of the report was already approved or returned (who, when, how).
    AlreadyReviewed(String),
}

impl Refusal {
    /// The refusal as a person is told it (`baocao_rules::said`).
    pub fn refused(&self) -> baocao_rules::Refused<'_> {
        use baocao_rules::Refused;
        match self {
            Refusal::Missing { field } => Refused::Missing { field },
            Refusal::UnknownUnit { code, .. } => Refused::UnknownUnit { code },
            Refusal::RateLimited { wait, .. } => Refused::RateLimited {
                wait_seconds: wait.as_secs(),
            },
            Refusal::NotPermitted(_) => Refused::NotPermitted,
            Refusal::Invalid(violations) => Refused::Invalid(violations),
            Refusal::IdReused { .. } => Refused::IdReused,
            Refusal::Unavailable(_) => Refused::Unavailable,
            Refusal::AlreadyReviewed(_) => Refused::AlreadyReviewed,
        }
    }
}
