//! `baocao serve-sql`: the Arrow Flight SQL endpoint for analysts' tools.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use baocao_sql::{SqlSources, start_sql_server};

use crate::config::Config;

/// Flags of `baocao serve-sql`.
#[derive(clap::Args)]
pub struct ServeSqlArgs {
    /// Listen address (overrides `sql.listen`).
    #[arg(long)]
    listen: Option<String>,
    /// Token file (overrides `gateway.tokens_file`); analyst tokens only are accepted.
    #[arg(long)]
    tokens_file: Option<PathBuf>,
    /// Landing directory or `s3://bucket/prefix` (overrides `landing.dir`).
    #[arg(long)]
    landing_dir: Option<String>,
    /// Summaries root, a directory or `s3://bucket/prefix` (overrides `rollup.out_dir`).
    #[arg(long)]
    summaries_dir: Option<String>,
}

pub async fn run(config: &Config, args: ServeSqlArgs) -> anyhow::Result<ExitCode> {
    let registry = config.registry()?;
    let sources = SqlSources {
        landing: config.landing_store(args.landing_dir.as_deref())?,
        summaries: config.summaries_store(args.summaries_dir.as_deref())?,
    };
    let tokens_file = args
        .tokens_file
        .unwrap_or_else(|| config.gateway.tokens_file.clone());
    let mut sql = config.sql.clone();
    if let Some(listen) = args.listen {
        sql.listen = listen;
    }
    let mut server =
        start_sql_server(&sql, tokens_file, Arc::new(registry), sources.clone()).await?;
    eprintln!(
        "Flight SQL on {}{} over {} and {} (analyst tokens: baocao token issue --analyst --scope CODE)",
        server.local_addr,
        if sql.tls.enabled() { " (TLS)" } else { "" },
        sources.landing,
        sources.summaries
    );
    let stop = server.take_shutdown();
    tokio::spawn(async move {
        crate::commands::shutdown_signal().await;
        if let Some(stop) = stop {
            let _ = stop.send(());
        }
    });
    server.wait().await?;
    Ok(ExitCode::SUCCESS)
}
