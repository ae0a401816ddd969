//! `baocao backup` and `baocao restore` against a real S3-protocol server: s3s-fs
//! (crates.io) serving HTTP on 127.0.0.1 with signature-checked credentials, as MinIO or a
//! provincial S3 would. The `baocao` binary runs as a user runs it, configured through
//! `BAOCAO_BACKUP__URL`, `BAOCAO_S3__…` and the standard `AWS_…` variables.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use anyhow::Context;
use arrow::array::RecordBatch;
use common::s3::{ACCESS_KEY, BUCKET, S3Server, SECRET_KEY};
use common::{BIN, succeeded};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

/// `baocao` with the registry of `work`, backing up to `url` on `server`.
fn baocao(work: &Path, server: &S3Server, url: &str) -> Command {
    let mut command = Command::new(BIN);
    command
        .arg("--data-dir")
        .arg(work.join("data"))
        .env("RUST_LOG", "warn")
        .env("AWS_ACCESS_KEY_ID", ACCESS_KEY)
        .env("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
        .env("BAOCAO_BACKUP__URL", url)
        .env("BAOCAO_S3__ENDPOINT", &server.endpoint)
        .env("BAOCAO_S3__ALLOW_HTTP", "true")
        .env("BAOCAO_S3__REGION", "us-east-1")
        .current_dir(work);
    command
}

fn run(command: &mut Command) -> anyhow::Result<Output> {
    command.output().context("running baocao")
}

/// The numbers of a tree's row in the backup or restore table.
fn row(stdout: &str, tree: &str) -> anyhow::Result<Vec<f64>> {
    let line = stdout
        .lines()
        .find(|l| l.split_whitespace().next() == Some(tree))
        .with_context(|| format!("no {tree} row in\n{stdout}"))?;
    Ok(line
        .split_whitespace()
        .skip(1)
        .filter_map(|w| w.parse().ok())
        .collect())
}

/// Every file under `dir` (relative path, bytes), sorted.
fn files(dir: &Path) -> anyhow::Result<Vec<(String, Vec<u8>)>> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, Vec<u8>)>) -> anyhow::Result<()> {
        for entry in std::fs::read_dir(dir)? {
            let path = entry?.path();
            if path.is_dir() {
                walk(root, &path, out)?;
            } else {
                let relative = path.strip_prefix(root)?.to_string_lossy().into_owned();
                out.push((relative, std::fs::read(&path)?));
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out)?;
    out.sort();
    Ok(out)
}

fn read_parquet(path: &Path) -> anyhow::Result<Vec<RecordBatch>> {
    let reader = ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(path)?)?.build()?;
    Ok(reader.collect::<Result<Vec<_>, _>>()?)
}

/// One province's registry and landed Parquet (`baocao gen`) under `work`.
fn generate_province(work: &Path) -> anyhow::Result<()> {
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("../data");
    succeeded(
        Command::new(BIN)
            .arg("--data-dir")
            .arg(&shipped)
            .args(["gen", "--provinces", "44", "--out"])
            .arg(work),
    )?;
    Ok(())
}

/// Rolls up every milestone of the generated campaign from `landing` into `out`.
fn roll_up(work: &Path, server: &S3Server, landing: &Path, out: &Path) -> anyhow::Result<()> {
    succeeded(
        baocao(work, server, "")
            .args([
                "rollup",
                "--campaign",
                "national-2023",
                "--as-of",
                "2023-12-31",
            ])
            .arg("--landing-dir")
            .arg(landing)
            .arg("--out")
            .arg(out),
    )?;
    Ok(())
}

/// One province's landing and summaries: backed up, backed up again (nothing new),
/// compacted and backed up (only the segments), then restored into empty directories
/// where a rollup gives the same summaries. Wrong credentials and a missing bucket fail
/// with the object and the reason.
#[test]
fn backup_and_restore_through_an_s3_server_give_the_same_summaries() -> anyhow::Result<()> {
    let server = S3Server::start()?;
    let work = tempfile::tempdir()?;
    let work = work.path();
    generate_province(work)?;
    let landing = work.join("landing");
    let summaries = work.join("summaries");
    roll_up(work, &server, &landing, &summaries)?;
    let url = format!("s3://{BUCKET}/province-44");
    let backup = |extra: &[&str]| {
        succeeded(
            baocao(work, &server, &url)
                .arg("backup")
                .args(extra)
                .arg("--landing-dir")
                .arg(&landing)
                .arg("--summaries-dir")
                .arg(&summaries),
        )
    };

    // First backup: every file, byte for byte, under <prefix>/landing and /summaries.
    let landed = files(&landing)?;
    let summed = files(&summaries)?;
    assert!(landed.len() > 2 && summed.len() >= 3, "{landed:?}");
    let stdout = backup(&[])?;
    let first = row(&stdout, "landing")?;
    assert_eq!(first[0], landed.len() as f64, "{stdout}");
    assert_eq!(first[1], landed.len() as f64, "{stdout}");
    for (relative, bytes) in landed.iter().chain(&summed) {
        let tree = if landed.iter().any(|(r, _)| r == relative) {
            "landing"
        } else {
            "summaries"
        };
        let stored = std::fs::read(server.object_file(&format!("province-44/{tree}/{relative}")))
            .with_context(|| format!("{tree}/{relative} not in the bucket"))?;
        assert!(stored == *bytes, "{tree}/{relative} differs in the bucket");
    }

    // Again: no landed file is uploaded twice; the summaries (rewritten by each rollup)
    // are.
    let stdout = backup(&[])?;
    let again = row(&stdout, "landing")?;
    assert_eq!((again[1], again[3]), (0.0, landed.len() as f64), "{stdout}");
    assert_eq!(
        row(&stdout, "summaries")?[1],
        summed.len() as f64,
        "{stdout}"
    );

    // Compaction replaces the small files by segments: only the segments go up.
    succeeded(
        baocao(work, &server, &url)
            .arg("compact")
            .arg("--landing-dir")
            .arg(&landing),
    )?;
    let compacted = files(&landing)?;
    let new_files = compacted
        .iter()
        .filter(|(r, _)| !landed.iter().any(|(l, _)| l == r))
        .count();
    assert!(
        new_files >= 1 && compacted.len() < landed.len(),
        "{compacted:?}"
    );
    let stdout = backup(&[])?;
    assert_eq!(row(&stdout, "landing")?[1], new_files as f64, "{stdout}");

    // Restore into empty directories: every object comes back (the small files and the
    // segments they were merged into), and the rollup counts each submission once.
    let restored_landing = work.join("restored/landing");
    let restored_summaries = work.join("restored/summaries");
    let restore = || {
        succeeded(
            baocao(work, &server, &url)
                .arg("restore")
                .arg("--landing-dir")
                .arg(&restored_landing)
                .arg("--summaries-dir")
                .arg(&restored_summaries),
        )
    };
    let stdout = restore()?;
    let objects = landed.len() + new_files;
    assert_eq!(
        row(&stdout, "landing")?[..2],
        [objects as f64, objects as f64],
        "{stdout}"
    );
    assert_eq!(files(&restored_summaries)?, summed);
    let rerolled = work.join("restored/rerolled");
    roll_up(work, &server, &restored_landing, &rerolled)?;
    for milestone in std::fs::read_dir(summaries.join("national-2023"))? {
        let milestone = milestone?.file_name();
        for table in ["summary.parquet", "late_and_missing.parquet"] {
            let original =
                read_parquet(&summaries.join("national-2023").join(&milestone).join(table))?;
            let again = read_parquet(&rerolled.join("national-2023").join(&milestone).join(table))?;
            assert!(
                original == again,
                "{milestone:?}/{table} differs after restore"
            );
        }
    }

    // A second restore keeps every local file and writes nothing.
    let stdout = restore()?;
    let kept = row(&stdout, "landing")?;
    assert_eq!((kept[1], kept[3]), (0.0, objects as f64), "{stdout}");

    // Wrong secret: refused, naming where and why; nothing is written locally.
    let output = run(baocao(work, &server, &url)
        .env("AWS_SECRET_ACCESS_KEY", "not-the-secret")
        .arg("backup")
        .arg("--landing-dir")
        .arg(&landing))?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(
        stderr.contains(&format!("object storage: list {url}/landing")),
        "{stderr}"
    );
    assert!(
        stderr.contains("SignatureDoesNotMatch") || stderr.contains("403"),
        "{stderr}"
    );

    // A bucket that does not exist.
    let output = run(baocao(work, &server, "s3://no-such-bucket/x")
        .arg("backup")
        .arg("--landing-dir")
        .arg(&landing))?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(
        stderr.contains("object storage: list s3://no-such-bucket/x/landing"),
        "{stderr}"
    );
    Ok(())
}

/// Backups taken while compaction merges and removes the files they are copying still
/// restore every submission: a file that vanishes was merged into a segment, which the
/// backup picks up on its next pass. Backups run back to back, each to its own prefix,
/// until compaction ends; the ones that saw files vanish (and the last) are restored and
/// rolled up.
#[test]
fn backups_during_compaction_restore_every_submission() -> anyhow::Result<()> {
    let server = S3Server::start()?;
    let work = tempfile::tempdir()?;
    let work = work.path();
    generate_province(work)?;
    let landing = work.join("landing");
    let before = work.join("before");
    roll_up(work, &server, &landing, &before)?;
    // Tiny segments: compaction rewrites everything and takes seconds.
    let mut compaction = baocao(work, &server, "")
        .args(["compact", "--target-rows", "50", "--landing-dir"])
        .arg(&landing)
        .stdout(std::process::Stdio::null())
        .spawn()?;
    let mut backups = Vec::new();
    while compaction.try_wait()?.is_none() {
        let url = format!("s3://{BUCKET}/during-{}", backups.len());
        let stdout = succeeded(
            baocao(work, &server, &url)
                .arg("backup")
                .arg("--landing-dir")
                .arg(&landing)
                .arg("--summaries-dir")
                .arg(work.join("no-summaries")),
        )?;
        let vanished = row(&stdout, "landing")?[4];
        backups.push((url, vanished));
    }
    anyhow::ensure!(compaction.wait()?.success(), "compaction failed");
    eprintln!("backups during compaction (url, files vanished): {backups:?}");
    let mut checked: Vec<&(String, f64)> =
        backups.iter().filter(|(_, v)| *v > 0.0).take(2).collect();
    checked.extend(backups.last());
    anyhow::ensure!(!checked.is_empty(), "compaction ended before any backup");
    for (index, (url, _)) in checked.into_iter().enumerate() {
        let restored = work.join(format!("restored-{index}"));
        succeeded(
            baocao(work, &server, url)
                .arg("restore")
                .arg("--landing-dir")
                .arg(restored.join("landing"))
                .arg("--summaries-dir")
                .arg(restored.join("summaries")),
        )?;
        let after = restored.join("rolled-up");
        roll_up(work, &server, &restored.join("landing"), &after)?;
        for milestone in std::fs::read_dir(before.join("national-2023"))? {
            let milestone = milestone?.file_name();
            let path = |root: &Path| {
                root.join("national-2023")
                    .join(&milestone)
                    .join("summary.parquet")
            };
            assert!(
                read_parquet(&path(&before))? == read_parquet(&path(&after))?,
                "{milestone:?} differs after restoring {url}"
            );
        }
    }
    Ok(())
}
