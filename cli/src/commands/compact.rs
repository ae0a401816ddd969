//! `baocao compact`: merge the landing's small files into sorted segments (what a rollup
//! reads fastest). Safe while the lander and rollups run; `docs/operations.md` §compaction.

use std::process::ExitCode;
use std::time::Instant;

use baocao_landing::compact::{CompactionConfig, compact_landing_with_progress};

use crate::config::Config;
use crate::progress::ProgressDisplay;

/// Flags of `baocao compact`.
#[derive(clap::Args)]
pub struct CompactArgs {
    /// Landing directory or `s3://bucket/prefix` (overrides `landing.dir`).
    #[arg(long)]
    landing_dir: Option<String>,
    /// Rows per segment (overrides `landing.compact_target_rows`).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    target_rows: Option<u64>,
}

pub async fn run(config: &Config, args: CompactArgs) -> anyhow::Result<ExitCode> {
    let landing = config.landing_store(args.landing_dir.as_deref())?;
    let compaction = CompactionConfig {
        target_rows: args
            .target_rows
            .map_or(config.landing.compact_target_rows, |rows| rows as usize),
    };
    let started = Instant::now();
    let display = ProgressDisplay::start("compact", "files", &config.log);
    let compacted = compact_landing_with_progress(&landing, compaction, display.progress()).await;
    display.finish().await;
    let stats = compacted?;
    println!(
        "compacted {} files into {} segments ({} rows) in {:.2} s",
        stats.files_merged,
        stats.segments_written,
        stats.rows,
        started.elapsed().as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}
