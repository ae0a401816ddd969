//! `baocao backup` and `baocao restore`: the landed Parquet and the summaries to and from
//! S3-compatible object storage or a mounted directory (`[backup]`, operations.md §7).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use baocao_backup::{Destination, Tree, back_up, restore};

use crate::config::Config;
use crate::progress::ProgressDisplay;

/// Flags of `baocao backup`.
#[derive(clap::Args)]
pub struct BackupArgs {
    /// Destination, `s3://bucket/prefix` or `file:///dir` (overrides `backup.url`).
    #[arg(long)]
    to: Option<String>,
    /// Landing directory (overrides `landing.dir`).
    #[arg(long)]
    landing_dir: Option<String>,
    /// Summaries directory (overrides `rollup.out_dir`).
    #[arg(long)]
    summaries_dir: Option<String>,
}

/// Flags of `baocao restore`.
#[derive(clap::Args)]
pub struct RestoreArgs {
    /// Where the backup is, `s3://bucket/prefix` or `file:///dir` (overrides
    /// `backup.url`).
    #[arg(long)]
    from: Option<String>,
    /// Landing directory to restore into (overrides `landing.dir`).
    #[arg(long)]
    landing_dir: Option<String>,
    /// Summaries directory to restore into (overrides `rollup.out_dir`).
    #[arg(long)]
    summaries_dir: Option<String>,
}

/// The local directories: flags over configuration. A landing or summaries kept in a
/// bucket is refused: it already lives in object storage.
fn directories(
    config: &Config,
    landing_dir: Option<String>,
    summaries_dir: Option<String>,
) -> anyhow::Result<(PathBuf, PathBuf)> {
    let local = |store: baocao_store::Store, key: &str| {
        store.as_local().map(Path::to_path_buf).ok_or_else(|| {
            anyhow::anyhow!(
                "{key} is {store}: that state already lives in object storage, so there is \
                 nothing local to back up or restore into; protect the bucket with its own \
                 versioning or replication (docs/operations.md §7)"
            )
        })
    };
    Ok((
        local(config.landing_store(landing_dir.as_deref())?, "landing.dir")?,
        local(
            config.summaries_store(summaries_dir.as_deref())?,
            "rollup.out_dir",
        )?,
    ))
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

pub async fn run_backup(config: &Config, args: BackupArgs) -> anyhow::Result<ExitCode> {
    let destination = Destination::open(&config.backup, &config.s3, args.to.as_deref())?;
    let (landing, summaries) = directories(config, args.landing_dir, args.summaries_dir)?;
    println!("backup to {}", destination.url());
    println!(
        "{:<10} {:>8} {:>9} {:>10} {:>10} {:>9} {:>8}",
        "tree", "files", "uploaded", "MiB", "unchanged", "vanished", "seconds"
    );
    // The landing first: a summary is never newer in the backup than the rows it sums.
    for tree in [Tree::landing(&landing), Tree::summaries(&summaries)] {
        let started = Instant::now();
        let display = ProgressDisplay::start("backup", "files", &config.log);
        let copied = back_up(&destination, tree.with_progress(display.progress())).await;
        display.finish().await;
        let stats = copied?;
        let seconds = started.elapsed().as_secs_f64();
        tracing::info!(
            tree = tree.name,
            files = stats.files,
            uploaded = stats.uploaded,
            bytes = stats.bytes,
            unchanged = stats.unchanged,
            vanished = stats.vanished,
            seconds,
            "backed up"
        );
        println!(
            "{:<10} {:>8} {:>9} {:>10.1} {:>10} {:>9} {:>8.2}",
            tree.name,
            stats.files,
            stats.uploaded,
            mib(stats.bytes),
            stats.unchanged,
            stats.vanished,
            seconds
        );
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn run_restore(config: &Config, args: RestoreArgs) -> anyhow::Result<ExitCode> {
    let destination = Destination::open(&config.backup, &config.s3, args.from.as_deref())?;
    let (landing, summaries) = directories(config, args.landing_dir, args.summaries_dir)?;
    println!("restore from {}", destination.url());
    println!(
        "{:<10} {:>8} {:>11} {:>10} {:>6} {:>8}",
        "tree", "objects", "downloaded", "MiB", "kept", "seconds"
    );
    for tree in [Tree::landing(&landing), Tree::summaries(&summaries)] {
        let started = Instant::now();
        let display = ProgressDisplay::start("restore", "files", &config.log);
        let copied = restore(&destination, tree.with_progress(display.progress())).await;
        display.finish().await;
        let stats = copied?;
        println!(
            "{:<10} {:>8} {:>11} {:>10.1} {:>6} {:>8.2}",
            tree.name,
            stats.objects,
            stats.downloaded,
            mib(stats.bytes),
            stats.kept,
            started.elapsed().as_secs_f64()
        );
    }
    println!(
        "restored into {} and {}",
        landing.display(),
        summaries.display()
    );
    Ok(ExitCode::SUCCESS)
}
