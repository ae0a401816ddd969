//! `baocao serve-web`: the web portal (report forms for people) until Ctrl-C or SIGTERM.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use baocao_submission::SystemClock;

use crate::config::{Config, Overrides};

/// Flags of `baocao serve-web`.
#[derive(clap::Args)]
pub struct ServeWebArgs {
    /// Listen address, e.g. 127.0.0.1:8080 (overrides `portal.listen`).
    #[arg(long)]
    listen: Option<String>,
    /// The accounts database (overrides `portal.accounts_db`).
    #[arg(long)]
    accounts_db: Option<PathBuf>,
    #[command(flatten)]
    kafka: crate::commands::KafkaArgs,
}

impl ServeWebArgs {
    pub fn overrides(&self) -> Overrides {
        let mut out = self.kafka.overrides();
        if let Some(listen) = &self.listen {
            out.push(("portal.listen", listen.clone().into()));
        }
        if let Some(path) = &self.accounts_db {
            out.push(("portal.accounts_db", path.display().to_string().into()));
        }
        out
    }
}

pub async fn run(config: &Config) -> anyhow::Result<ExitCode> {
    let registry = config.registry()?;
    for warning in registry.register_warnings() {
        tracing::warn!("{warning}");
    }
    let sources = baocao_portal::PortalSources {
        landing: config.landing_store(None)?,
        summaries: config.summaries_store(None)?,
    };
    let portal = baocao_portal::start_portal(
        &config.portal,
        &config.kafka,
        Arc::new(registry),
        sources,
        Arc::new(SystemClock),
    )
    .await?;
    eprintln!(
        "portal on {} → topic {} at {} (accounts: {}; issue them with `baocao account import`)",
        portal.url,
        config.kafka.reports_topic,
        config.kafka.brokers,
        config.portal.accounts_db.display()
    );
    crate::commands::shutdown_signal().await;
    tracing::info!("shutdown requested: finishing requests in flight");
    portal.stop().await?;
    Ok(ExitCode::SUCCESS)
}
