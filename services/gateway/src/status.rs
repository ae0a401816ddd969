//! The one place gateway outcomes become gRPC statuses, with `google.rpc` error details
//! naming the field for validation failures.

use baocao_errors::Chain;
use tonic::{Code, Status};
use tonic_types::{ErrorDetails, FieldViolation, LocalizedMessage, StatusExt};

use baocao_rules::validate::Violation;
use baocao_rules::{Door, Refused, said};
use baocao_submission::Refusal;

use crate::Error;

/// Bytes of field paths and reasons (English, and Vietnamese as localized messages) listed in one answer. With the message and the
/// encoding (`grpc-status-details-bin` is base64, `grpc-message` percent-encoded) every
/// answer stays under [`MAX_ERROR_METADATA_BYTES`], below the 8 KiB metadata limit of
/// C-core gRPC clients (Python, C++, C#, Ruby, PHP), which otherwise report
/// RESOURCE_EXHAUSTED instead of the list of problems.
const LISTED_VIOLATION_BYTES: usize = 4_000;

/// Longest status message in bytes (before percent-encoding).
const MAX_MESSAGE_BYTES: usize = 400;

/// What every error answer's trailers stay under, in bytes.
pub const MAX_ERROR_METADATA_BYTES: usize = 7 * 1024;

/// Violations repeated in the status message (all listed ones are in the details).
const MAX_SUMMARIZED_VIOLATIONS: usize = 5;

/// `text` cut to at most `max` bytes at a character boundary, with "…" when cut.
fn cut(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let mut end = max.saturating_sub('…'.len_utf8());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

/// INVALID_ARGUMENT with a `google.rpc.BadRequest` listing the violations, as many as
/// fit in [`LISTED_VIOLATION_BYTES`], then one entry saying how many more there are.
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
    let mut budget = LISTED_VIOLATION_BYTES;
    let mut field_violations: Vec<FieldViolation> = Vec::new();
    for v in violations {
        // A field path and a reason never take more than a quarter of the budget.
        let field = cut(&v.field, LISTED_VIOLATION_BYTES / 4);
        let reason = cut(&v.reason, LISTED_VIOLATION_BYTES / 4);
        let reason_vi = cut(&v.reason_vi, LISTED_VIOLATION_BYTES / 4);
        let cost = field.len() + reason.len() + reason_vi.len() + 20;
        if cost > budget {
            break;
        }
        budget -= cost;
        let mut violation = FieldViolation::new(field, reason);
        if !reason_vi.is_empty() {
            violation.localized_message = Some(LocalizedMessage::new("vi-VN", reason_vi));
        }
        field_violations.push(violation);
    }
    let unlisted = violations.len() - field_violations.len();
    if unlisted > 0 {
        field_violations.push(FieldViolation::new(
            "report",
            format!("… and {unlisted} more problems not listed; fix the ones above and send again"),
        ));
    }
    Status::with_error_details(
        Code::InvalidArgument,
        cut(
            &format!(
                "report refused ({} problem(s)): {summary}",
                violations.len()
            ),
            MAX_MESSAGE_BYTES,
        ),
        ErrorDetails::with_bad_request(field_violations),
    )
}

/// A single-field refusal with the given code (e.g. ALREADY_EXISTS for a reused id).
pub fn field_error(code: Code, field: &str, reason: &str) -> Status {
    let field = cut(field, MAX_MESSAGE_BYTES / 4);
    let reason = cut(reason, MAX_MESSAGE_BYTES);
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

/// What a person is told of a missing, unknown, expired or revoked token.
const UNAUTHENTICATED_VI: &str = "Mã truy cập (token) không có, không đúng, đã hết hạn hoặc đã bị thu hồi. Đề nghị Sở cấp mã mới.";

/// UNAUTHENTICATED without revealing whether a token exists (in English for logs, and
/// in Vietnamese as a `vi-VN` localized message for the person).
pub fn unauthenticated(reason: &str) -> Status {
    in_vietnamese(
        Status::unauthenticated(reason.to_string()),
        UNAUTHENTICATED_VI,
    )
}

/// PERMISSION_DENIED: the caller is known but may not do this.
pub fn permission_denied(reason: String) -> Status {
    let vi = said(Refused::NotPermitted, Door::Client).sentence();
    in_vietnamese(Status::permission_denied(reason), &vi)
}

/// `status` with a `google.rpc.LocalizedMessage` (`vi-VN`) beside its details: the
/// English message stays for operators' logs, the Vietnamese one is what `baocao`
/// prints under a Vietnamese `LANG` (or `--lang vi`) and what a unit's own system shows.
pub fn in_vietnamese(status: Status, vi: &str) -> Status {
    if vi.is_empty() {
        return status;
    }
    let mut details = status.get_error_details();
    details.set_localized_message("vi-VN", cut(vi, MAX_MESSAGE_BYTES));
    Status::with_error_details(status.code(), status.message(), details)
}

/// The gRPC answer to a refusal of the submission core: the code a client acts on and
/// the field it names.
pub fn refusal_status(refusal: Refusal) -> Status {
    let vi = match &refusal {
        // Each field's own message is in the BadRequest already.
        Refusal::Invalid(_) => String::new(),
        other => said(other.refused(), Door::Client).sentence(),
    };
    in_vietnamese(english_status(refusal), &vi)
}

/// The status of a refusal, in English.
fn english_status(refusal: Refusal) -> Status {
    match refusal {
        Refusal::Missing { field } => field_error(Code::InvalidArgument, field, "is required"),
        Refusal::UnknownUnit { field, code } => field_error(
            Code::InvalidArgument,
            field,
            &format!("unknown unit `{code}`"),
        ),
        Refusal::RateLimited { unit, wait } => rate_limited(&unit, wait),
        Refusal::NotPermitted(reason) => permission_denied(reason),
        Refusal::Invalid(violations) => invalid_report(&violations),
        Refusal::IdReused { unit, accepted_at } => field_error(
            Code::AlreadyExists,
            "report.submission_id",
            &format!(
                "unit `{unit}` already sent this submission_id with different content (accepted at {accepted_at}); a correction needs a new submission_id"
            ),
        ),
        Refusal::Unavailable(err) => Status::from(Error::Kafka(err)),
        Refusal::AlreadyReviewed(detail) => Status::already_exists(detail),
    }
}

impl From<Error> for Status {
    fn from(err: Error) -> Self {
        match err {
            // Not durable: the client may retry with the same submission_id.
            Error::Kafka(reason) => Status::unavailable(format!(
                "report not accepted, retry with the same submission_id: {}",
                Chain(&reason)
            )),
            other => Status::internal(Chain(&other).to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Bytes of the metadata an answer with `status` carries.
    fn metadata_bytes(status: &Status) -> usize {
        let mut headers = tonic::codegen::http::HeaderMap::new();
        status.add_header(&mut headers).expect("headers");
        headers
            .iter()
            .map(|(name, value)| name.as_str().len() + value.len())
            .sum()
    }

    #[test]
    fn refusals_a_person_meets_carry_a_vietnamese_message() {
        let vietnamese = |status: &Status| {
            status
                .get_details_localized_message()
                .map(|m| (m.locale, m.message))
                .unwrap_or_default()
        };
        let (locale, text) = vietnamese(&unauthenticated("unknown or revoked token"));
        assert_eq!(locale, "vi-VN");
        assert!(text.contains("đã bị thu hồi"), "{text}");
        let unknown = refusal_status(Refusal::UnknownUnit {
            field: "report.unit_code",
            code: "38.XYZ".into(),
        });
        assert!(vietnamese(&unknown).1.contains("38.XYZ"));
        assert!(
            unknown.get_details_bad_request().is_some(),
            "the field is still named"
        );
        let wrong_tier = refusal_status(Refusal::NotPermitted(
            "unit `14755` (commune tier) is not served".into(),
        ));
        assert_eq!(wrong_tier.code(), Code::PermissionDenied);
        assert!(
            wrong_tier.message().contains("commune tier"),
            "English for the logs"
        );
        assert!(vietnamese(&wrong_tier).1.contains("cổng tiếp nhận"));
    }

    #[test]
    fn thousands_of_violations_are_summarised_within_the_metadata_limit() {
        let violations: Vec<Violation> = (0..5_000)
            .map(|i| Violation {
                field: format!("report.systems[{i}].name"),
                reason: "is required".into(),
                reason_vi: "Bắt buộc nhập.".into(),
            })
            .collect();
        let status = invalid_report(&violations);
        let listed = status
            .get_details_bad_request()
            .map(|b| b.field_violations)
            .unwrap_or_default();
        let last = listed.last().expect("a summary entry");
        let more = 5_000 - (listed.len() - 1);
        assert!(
            last.description
                .starts_with(&format!("… and {more} more problems")),
            "{}",
            last.description
        );
        assert!(
            listed.len() > 50,
            "a useful number are listed: {}",
            listed.len()
        );
        assert!(
            status
                .message()
                .starts_with("report refused (5000 problem(s))")
        );
        assert!(metadata_bytes(&status) < MAX_ERROR_METADATA_BYTES);
    }

    #[test]
    fn long_vietnamese_reasons_stay_within_the_metadata_limit() {
        // The worst case: long reasons full of multi-byte characters, which
        // percent-encoding triples in `grpc-message`.
        let reason = "tên hệ thống camera giám sát không hợp lệ ".repeat(40);
        let violations: Vec<Violation> = (0..500)
            .map(|i| Violation {
                field: format!("report.systems[{i}].name"),
                reason: reason.clone(),
                reason_vi: reason.clone(),
            })
            .collect();
        let status = invalid_report(&violations);
        assert!(
            metadata_bytes(&status) < MAX_ERROR_METADATA_BYTES,
            "{}",
            metadata_bytes(&status)
        );
        let single = field_error(
            Code::AlreadyExists,
            "report.submission_id",
            &reason.repeat(10),
        );
        assert!(metadata_bytes(&single) < MAX_ERROR_METADATA_BYTES);
    }
}
