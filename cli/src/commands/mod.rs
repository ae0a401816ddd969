//! One module per subcommand.

pub mod account;
pub mod backup;
#[cfg(feature = "bench")]
pub mod bench;
pub mod broker;
pub mod compact;
pub mod compare;
pub mod demo;
pub mod demo_serve;
pub mod embedded;
pub mod form;
pub mod r#gen;
pub mod history;
pub mod import;
pub mod land;
pub mod query;
pub mod registry;
pub mod remind;
pub mod report;
pub mod review;
pub mod review_list;
pub mod rollup;
pub mod serve;
pub mod serve_sql;
pub mod serve_web;
pub mod sign;
pub mod submit;
pub mod tls;
pub mod token;
pub mod verify;

use crate::config::Overrides;

/// Where the reports are in Kafka: the flags of the subcommands that talk to it (`serve`,
/// `land`); every other subcommand reads files only and does not list them.
#[derive(clap::Args)]
pub struct KafkaArgs {
    /// Kafka bootstrap servers, e.g. `kafka1:9092,kafka2:9092` (overrides `kafka.brokers`).
    #[arg(long)]
    kafka_brokers: Option<String>,
    /// Reports topic (overrides `kafka.reports_topic`).
    #[arg(long)]
    reports_topic: Option<String>,
}

impl KafkaArgs {
    pub fn overrides(&self) -> Overrides {
        let mut out: Overrides = Vec::new();
        if let Some(brokers) = &self.kafka_brokers {
            out.push(("kafka.brokers", brokers.clone().into()));
        }
        if let Some(topic) = &self.reports_topic {
            out.push(("kafka.reports_topic", topic.clone().into()));
        }
        out
    }
}

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
