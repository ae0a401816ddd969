//! `baocao broker`: the embedded Kafka-protocol broker in this process.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::config::{Config, Overrides};

/// Flags of `baocao broker`.
#[derive(clap::Args)]
pub struct BrokerArgs {
    /// Listen and advertise on this address (overrides `broker.listen`).
    #[arg(long)]
    listen: Option<String>,
    /// Directory for the broker's sqlite database (overrides `broker.data_dir`).
    #[arg(long)]
    storage_dir: Option<PathBuf>,
}

impl BrokerArgs {
    pub fn overrides(&self) -> Overrides {
        let mut out: Overrides = Vec::new();
        if let Some(listen) = &self.listen {
            out.push(("broker.listen", listen.clone().into()));
        }
        if let Some(dir) = &self.storage_dir {
            out.push(("broker.data_dir", dir.display().to_string().into()));
        }
        out
    }
}

pub async fn run(config: &Config) -> anyhow::Result<ExitCode> {
    // A panic in any broker task (Tansu 0.6.0's sqlite storage panics in its idempotent
    // producer check after an unclean restart) leaves a broker that accepts connections
    // but fails every request. Exit instead, so the supervisor (systemd, Kubernetes, the
    // test harness) starts a healthy one; producers then reconnect.
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        default_hook(info);
        eprintln!("baocao broker: a broker task panicked; exiting (status 70) to be restarted");
        std::process::exit(70);
    }));
    let broker = baocao_broker::BrokerConfig {
        listen: config.broker.listen.clone(),
        data_dir: config.broker.data_dir.clone(),
        ..Default::default()
    };
    eprintln!(
        "embedded broker on {} (data in {}); point clients at --kafka-brokers {}",
        broker.listen,
        broker.data_dir.display(),
        broker.listen
    );
    baocao_broker::run_broker(&broker).await?;
    Ok(ExitCode::SUCCESS)
}
