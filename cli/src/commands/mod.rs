//! One module per subcommand.

pub mod backup;
pub mod bench;
pub mod broker;
pub mod compact;
pub mod demo;
pub mod embedded;
pub mod r#gen;
pub mod history;
pub mod land;
pub mod query;
pub mod registry;
pub mod report;
pub mod rollup;
pub mod serve;
pub mod serve_sql;
pub mod submit;
pub mod tls;
pub mod token;

/// Resolves on Ctrl-C or SIGTERM (what service managers and Kubernetes send), so
/// long-running subcommands finish in-flight work and stop cleanly.
pub async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}
