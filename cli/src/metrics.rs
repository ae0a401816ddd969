//! The Prometheus endpoint: installs the exporter behind the `metrics` facade the
//! libraries record into, serving `GET /metrics` on `[metrics] listen`.

use std::net::SocketAddr;

use anyhow::Context;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder};

use crate::config::MetricsSection;

/// Latency buckets (seconds) for every `*_seconds` histogram: produce acknowledgements
/// are milliseconds, rollups seconds to a minute.
const SECONDS_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0,
];

/// Starts the endpoint when `listen` is set; must run inside the tokio runtime.
pub fn install(section: &MetricsSection) -> anyhow::Result<()> {
    if section.listen.is_empty() {
        return Ok(());
    }
    let addr: SocketAddr = section
        .listen
        .parse()
        .with_context(|| format!("metrics.listen `{}` is not host:port", section.listen))?;
    PrometheusBuilder::new()
        .with_http_listener(addr)
        .set_buckets_for_metric(Matcher::Suffix("_seconds".to_string()), SECONDS_BUCKETS)
        .context("metrics buckets")?
        .install()
        .with_context(|| format!("metrics endpoint on {addr}"))?;
    tracing::info!(%addr, "metrics on http://{addr}/metrics");
    Ok(())
}
