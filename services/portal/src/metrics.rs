//! The portal's Prometheus metrics (`baocao serve-web` serves them on `[metrics] listen`):
//! requests by route and status and their duration, logins by outcome, and reports by
//! outcome, so an operator sees a locked-out district or a broker outage on a graph.

use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;

/// Counts every request of a matched route with its status, and times it (to the
/// response's head: a dashboard's event stream counts once, when it opens).
pub async fn record(request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |p| p.as_str().to_string());
    let started = Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    metrics::counter!("baocao_portal_requests_total", "route" => route.clone(), "status" => status)
        .increment(1);
    metrics::histogram!("baocao_portal_request_seconds", "route" => route)
        .record(started.elapsed().as_secs_f64());
    response
}

/// A login attempt's outcome: `signed_in`, `refused`, `locked`, `stale_form` or `error`.
pub fn login(outcome: &'static str) {
    metrics::counter!("baocao_portal_logins_total", "outcome" => outcome).increment(1);
}

/// A report's outcome: `accepted`, `repeat`, or the refusal's kind.
pub fn report(outcome: &'static str) {
    metrics::counter!("baocao_portal_reports_total", "outcome" => outcome).increment(1);
}
