//! `baocao compact`: merge the landing's small files into sorted segments (what a rollup
//! reads fastest). Safe while the lander and rollups run; `docs/operations.md` §compaction.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use baocao_landing::compact::{CompactionConfig, compact_landing};

use crate::config::Config;

/// Flags of `baocao compact`.
#[derive(clap::Args)]
pub struct CompactArgs {
    /// Landing directory (overrides `landing.dir`).
    #[arg(long)]
    landing_dir: Option<PathBuf>,
    /// Rows per segment (overrides `landing.compact_target_rows`).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    target_rows: Option<u64>,
}

pub async fn run(config: &Config, args: CompactArgs) -> anyhow::Result<ExitCode> {
    let dir = args
        .landing_dir
        .unwrap_or_else(|| config.landing.dir.clone());
    let compaction = CompactionConfig {
        target_rows: args
            .target_rows
            .map_or(config.landing.compact_target_rows, |rows| rows as usize),
    };
    let started = Instant::now();
    let stats = tokio::task::spawn_blocking(move || compact_landing(&dir, compaction)).await??;
    println!(
        "compacted {} files into {} segments ({} rows) in {:.2} s",
        stats.files_merged,
        stats.segments_written,
        stats.rows,
        started.elapsed().as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}
