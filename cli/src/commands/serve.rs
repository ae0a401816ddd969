//! `baocao serve`: one tier gateway until Ctrl-C or SIGTERM.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use crate::config::{Config, Overrides};

/// Flags of `baocao serve`.
#[derive(clap::Args)]
pub struct ServeArgs {
    /// Tier of units served: province, district or commune.
    #[arg(long, value_parser = ["province", "district", "commune"])]
    tier: Option<String>,
    /// Administrative code whose units this gateway serves, e.g. 38 (Thanh Hóa).
    #[arg(long)]
    jurisdiction: Option<String>,
    /// Listen address, e.g. 127.0.0.1:50051.
    #[arg(long)]
    listen: Option<String>,
    /// Gateway id written into envelopes.
    #[arg(long)]
    gateway_id: Option<String>,
    /// Token file (hashes only).
    #[arg(long)]
    tokens_file: Option<PathBuf>,
    #[command(flatten)]
    kafka: crate::commands::KafkaArgs,
}

impl ServeArgs {
    pub fn overrides(&self) -> Overrides {
        let mut out = self.kafka.overrides();
        let flags = [
            ("gateway.tier", &self.tier),
            ("gateway.jurisdiction", &self.jurisdiction),
            ("gateway.listen", &self.listen),
            ("gateway.gateway_id", &self.gateway_id),
        ];
        for (key, value) in flags {
            if let Some(value) = value {
                out.push((key, value.clone().into()));
            }
        }
        if let Some(path) = &self.tokens_file {
            out.push(("gateway.tokens_file", path.display().to_string().into()));
        }
        out
    }
}

pub async fn run(config: &Config) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(
        !config.gateway.jurisdiction.is_empty(),
        "--jurisdiction (gateway.jurisdiction) is required, e.g. 38 for Thanh Hóa"
    );
    let registry = config.registry()?;
    for warning in registry.register_warnings() {
        tracing::warn!("{warning}");
    }
    let mut gateway =
        baocao_gateway::start_gateway(&config.gateway, &config.kafka, Arc::new(registry)).await?;
    eprintln!(
        "gateway {} tier, jurisdiction {}, listening on {} → topic {} at {}",
        config.gateway.tier,
        config.gateway.jurisdiction,
        gateway.local_addr,
        config.kafka.reports_topic,
        config.kafka.brokers
    );
    let stop = gateway.take_shutdown();
    tokio::spawn(async move {
        crate::commands::shutdown_signal().await;
        tracing::info!("shutdown requested: finishing in-flight reports");
        if let Some(stop) = stop {
            let _ = stop.send(());
        }
    });
    gateway.wait().await?;
    Ok(ExitCode::SUCCESS)
}
