//! The one place gateway outcomes become gRPC statuses, with `google.rpc` error details
//! naming the field for validation failures.

use tonic::{Code, Status};
use tonic_types::{ErrorDetails, FieldViolation, StatusExt};

use crate::Error;
use crate::validate::Violation;

/// INVALID_ARGUMENT with a `google.rpc.BadRequest` listing every violation.
pub fn invalid_report(violations: &[Violation]) -> Status {
    let summary = violations
        .iter()
        .map(|v| format!("{}: {}", v.field, v.reason))
        .collect::<Vec<_>>()
        .join("; ");
    let field_violations: Vec<FieldViolation> = violations
        .iter()
        .map(|v| FieldViolation::new(v.field.clone(), v.reason.clone()))
        .collect();
    Status::with_error_details(
        Code::InvalidArgument,
        format!(
            "report refused ({} problem(s)): {summary}",
            violations.len()
        ),
        ErrorDetails::with_bad_request(field_violations),
    )
}

/// A single-field refusal with the given code (e.g. ALREADY_EXISTS for a reused id).
pub fn field_error(code: Code, field: &str, reason: &str) -> Status {
    Status::with_error_details(
        code,
        format!("{field}: {reason}"),
        ErrorDetails::with_bad_request(vec![FieldViolation::new(field, reason)]),
    )
}

/// RESOURCE_EXHAUSTED with `google.rpc.RetryInfo`: the unit sends too fast.
pub fn rate_limited(unit: &str, wait: std::time::Duration) -> Status {
    Status::with_error_details(
        Code::ResourceExhausted,
        format!(
            "unit `{unit}` is sending reports faster than allowed; retry in {} s",
            wait.as_secs().max(1)
        ),
        ErrorDetails::with_retry_info(Some(wait)),
    )
}

/// UNAUTHENTICATED without revealing whether a token exists.
pub fn unauthenticated(reason: &str) -> Status {
    Status::unauthenticated(reason.to_string())
}

/// PERMISSION_DENIED: the caller is known but may not do this.
pub fn permission_denied(reason: String) -> Status {
    Status::permission_denied(reason)
}

impl From<Error> for Status {
    fn from(err: Error) -> Self {
        match err {
            // Not durable: the client may retry with the same submission_id.
            Error::Kafka(reason) => Status::unavailable(format!(
                "report not accepted, retry with the same submission_id: {reason}"
            )),
            other => Status::internal(other.to_string()),
        }
    }
}
