//! The gateway's Prometheus metrics (recorded through the `metrics` facade; the binary
//! decides whether and where they are exported, `[metrics] listen`).
//!
//! - `baocao_gateway_submissions_total{gateway, outcome}`: every SubmitReport call by
//!   outcome: `accepted`, `repeat`, or the refusal's gRPC code in snake case
//!   (`invalid_argument`, `permission_denied`, `unauthenticated`, `already_exists`,
//!   `resource_exhausted`, `unavailable`, …).
//! - `baocao_gateway_produce_seconds{gateway}`: time from handing an envelope to Kafka to
//!   its acknowledgement (acks=all), for accepted reports.

use std::time::Duration;

use baocao_proto::v1::SubmitReportResponse;
use tonic::{Response, Status};

/// Counts one SubmitReport call by its outcome.
pub fn record_submission(
    gateway_id: &str,
    result: &Result<Response<SubmitReportResponse>, Status>,
) {
    let outcome = match result {
        Ok(response) if response.get_ref().repeat => "repeat".to_string(),
        Ok(_) => "accepted".to_string(),
        Err(status) => code_label(status.code()),
    };
    metrics::counter!(
        "baocao_gateway_submissions_total",
        "gateway" => gateway_id.to_string(),
        "outcome" => outcome
    )
    .increment(1);
}

/// Records how long Kafka took to acknowledge an accepted report.
pub fn record_produce_latency(gateway_id: &str, elapsed: Duration) {
    metrics::histogram!("baocao_gateway_produce_seconds", "gateway" => gateway_id.to_string())
        .record(elapsed.as_secs_f64());
}

/// `InvalidArgument` → `invalid_argument`.
fn code_label(code: tonic::Code) -> String {
    let name = format!("{code:?}");
    let mut label = String::with_capacity(name.len() + 4);
    for (i, ch) in name.chars().enumerate() {
        if ch.is_ascii_uppercase() && i > 0 {
            label.push('_');
        }
        label.push(ch.to_ascii_lowercase());
    }
    label
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_become_snake_case_labels() {
        assert_eq!(code_label(tonic::Code::InvalidArgument), "invalid_argument");
        assert_eq!(code_label(tonic::Code::Unavailable), "unavailable");
        assert_eq!(
            code_label(tonic::Code::ResourceExhausted),
            "resource_exhausted"
        );
    }
}
