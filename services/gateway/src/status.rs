//! The one place gateway outcomes become gRPC statuses, with `google.rpc` error details
//! naming the field for validation failures.

use tonic::{Code, Status};
use tonic_types::{ErrorDetails, FieldViolation, StatusExt};

use crate::Error;
use crate::validate::Violation;

/// Most violations listed in one answer. A report with thousands of problems (a
/// malicious or broken client) still gets an answer that fits in HTTP/2 trailers.
const MAX_LISTED_VIOLATIONS: usize = 100;

/// Violations repeated in the status message (all of them are in the details).
const MAX_SUMMARIZED_VIOLATIONS: usize = 5;

/// INVALID_ARGUMENT with a `google.rpc.BadRequest` listing the violations (the first
/// [`MAX_LISTED_VIOLATIONS`], then one entry saying how many more).
pub fn invalid_report(violations: &[Violation]) -> Status {
    let mut summary = violations
        .iter()
        .take(MAX_SUMMARIZED_VIOLATIONS)
        .map(|v| format!("{}: {}", v.field, v.reason))
        .collect::<Vec<_>>()
        .join("; ");
    if violations.len() > MAX_SUMMARIZED_VIOLATIONS {
        summary.push_str("; …");
    }
    let mut field_violations: Vec<FieldViolation> = violations
        .iter()
        .take(MAX_LISTED_VIOLATIONS)
        .map(|v| FieldViolation::new(v.field.clone(), v.reason.clone()))
        .collect();
    if violations.len() > MAX_LISTED_VIOLATIONS {
        field_violations.push(FieldViolation::new(
            "report",
            format!(
                "{} more problems not listed; fix the ones above and send again",
                violations.len() - MAX_LISTED_VIOLATIONS
            ),
        ));
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_of_violations_are_capped_with_a_count_of_the_rest() {
        let violations: Vec<Violation> = (0..5_000)
            .map(|i| Violation {
                field: format!("report.systems[{i}].name"),
                reason: "is required".into(),
            })
            .collect();
        let status = invalid_report(&violations);
        let listed = status
            .get_details_bad_request()
            .map(|b| b.field_violations)
            .unwrap_or_default();
        assert_eq!(listed.len(), MAX_LISTED_VIOLATIONS + 1);
        assert!(
            listed[MAX_LISTED_VIOLATIONS]
                .description
                .starts_with("4900 more")
        );
        assert!(
            status
                .message()
                .starts_with("report refused (5000 problem(s))")
        );
        assert!(status.message().len() < 1_000);
    }
}
