//! Compaction of the raw tables: the landing writes one small file per flush and day, and
//! a rollup pays for every file it opens (footer, column chunks, decompression). This
//! merges a campaign's small files into sorted segments of up to `target_rows` rows under
//! `<table>/campaign=<id>/segment=compacted/`, then removes the merged files.
//!
//! Nothing is lost or counted twice: a segment is durable (fsync, rename) before any of
//! its inputs is removed, so a crash leaves at worst both copies on disk, and the rollup
//! counts a submission once however many copies were landed (`docs/data.md`). Segments
//! that are already full are never rewritten, so each compaction reads at most one
//! partial segment besides the new files.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use arrow::array::RecordBatch;
use arrow::compute::{SortColumn, concat_batches, lexsort_to_indices, take_record_batch};
use arrow::datatypes::SchemaRef;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::file::reader::{FileReader, SerializedFileReader};

use crate::rows::{SUBMISSIONS_SCHEMA, SYSTEMS_SCHEMA};
use crate::writer::write_parquet_atomic;
use crate::{Error, Result};

/// Directory of a campaign's compacted segments, beside the `received_date=` folders.
/// DataFusion's listing skips subdirectories whose name is not `key=value`
/// (`listing_table_ignore_subdirectory`), so the name has that shape.
pub const COMPACTED_DIR: &str = "segment=compacted";

/// How compaction sizes its output.
#[derive(Clone, Copy, Debug)]
pub struct CompactionConfig {
    /// Rows per segment; a segment this full is final.
    pub target_rows: usize,
}

impl Default for CompactionConfig {
    fn default() -> Self {
        CompactionConfig {
            target_rows: 1_000_000,
        }
    }
}

/// What one compaction did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CompactionStats {
    /// Files merged (and removed).
    pub files_merged: usize,
    /// Segments written.
    pub segments_written: usize,
    /// Rows rewritten.
    pub rows: usize,
}

impl std::ops::AddAssign for CompactionStats {
    fn add_assign(&mut self, other: Self) {
        self.files_merged += other.files_merged;
        self.segments_written += other.segments_written;
        self.rows += other.rows;
    }
}

/// A raw table: its name, schema, and the columns its segments are sorted by (the
/// rollup's partitioning keys, so that a unit's versions and a submission's systems are
/// next to each other).
struct RawTable {
    name: &'static str,
    schema: &'static LazyLock<SchemaRef>,
    sort_by: &'static [&'static str],
}

const RAW_TABLES: [RawTable; 2] = [
    RawTable {
        name: "submissions",
        schema: &SUBMISSIONS_SCHEMA,
        sort_by: &[
            "unit_code",
            "received_at",
            "submission_id",
            "kafka_partition",
            "kafka_offset",
        ],
    },
    RawTable {
        name: "systems",
        schema: &SYSTEMS_SCHEMA,
        sort_by: &[
            "submission_id",
            "system_code",
            "kafka_partition",
            "kafka_offset",
        ],
    },
];

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Every `.parquet` file under `dir` (recursively), sorted by path; unfinished `.tmp`
/// files are not listed, and a missing `dir` has none.
pub fn parquet_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    collect_parquet_files(dir, &mut found)?;
    found.sort();
    Ok(found)
}

fn collect_parquet_files(dir: &Path, found: &mut Vec<PathBuf>) -> Result<()> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(err) => return Err(io(dir)(err)),
    };
    for entry in entries {
        let path = entry.map_err(io(dir))?.path();
        if path.is_dir() {
            collect_parquet_files(&path, found)?;
        } else if path.extension().is_some_and(|x| x == "parquet") {
            found.push(path);
        }
    }
    Ok(())
}

fn row_count(path: &Path) -> Result<usize> {
    let file = File::open(path).map_err(io(path))?;
    let reader = SerializedFileReader::new(file)?;
    Ok(usize::try_from(reader.metadata().file_metadata().num_rows()).unwrap_or(0))
}

fn read_file(path: &Path, schema: &SchemaRef) -> Result<Vec<RecordBatch>> {
    let file = File::open(path).map_err(io(path))?;
    let reader = ParquetRecordBatchReaderBuilder::try_new(file)?.build()?;
    let mut batches = Vec::new();
    for batch in reader {
        let batch = batch?;
        if batch.schema().fields() != schema.fields() {
            return Err(Error::Parquet(format!(
                "{}: its columns are not those of this build's schema; not compacted",
                path.display()
            )));
        }
        batches.push(batch);
    }
    Ok(batches)
}

fn sorted(table: &RawTable, batches: &[RecordBatch]) -> Result<RecordBatch> {
    let batch = concat_batches(table.schema, batches)?;
    let columns = table
        .sort_by
        .iter()
        .map(|name| {
            batch
                .column_by_name(name)
                .map(|values| SortColumn {
                    values: values.clone(),
                    options: None,
                })
                .ok_or_else(|| Error::Parquet(format!("no column {name} in {}", table.name)))
        })
        .collect::<Result<Vec<_>>>()?;
    let indices = lexsort_to_indices(&columns, None)?;
    Ok(take_record_batch(&batch, &indices)?)
}

/// Compacts one campaign directory of one raw table.
fn compact_campaign(
    table: &RawTable,
    campaign_dir: &Path,
    config: CompactionConfig,
) -> Result<CompactionStats> {
    let files = parquet_files(campaign_dir)?;
    let compacted_dir = campaign_dir.join(COMPACTED_DIR);
    let mut inputs = Vec::new();
    for path in files {
        let full_segment = path.parent() == Some(compacted_dir.as_path())
            && row_count(&path)? >= config.target_rows;
        if !full_segment {
            inputs.push(path);
        }
    }
    if inputs.len() < 2 {
        return Ok(CompactionStats::default());
    }
    let mut stats = CompactionStats::default();
    let mut held: Vec<RecordBatch> = Vec::new();
    let mut held_rows = 0;
    let write_segment = |held: &mut Vec<RecordBatch>, stats: &mut CompactionStats| {
        let segment = sorted(table, held)?;
        let name = format!("part-{}.parquet", uuid::Uuid::now_v7());
        write_parquet_atomic(&compacted_dir.join(name), &segment)?;
        stats.segments_written += 1;
        stats.rows += segment.num_rows();
        held.clear();
        Ok::<_, Error>(())
    };
    for path in &inputs {
        for batch in read_file(path, table.schema)? {
            held_rows += batch.num_rows();
            held.push(batch);
            if held_rows >= config.target_rows {
                write_segment(&mut held, &mut stats)?;
                held_rows = 0;
            }
        }
    }
    if held_rows > 0 {
        write_segment(&mut held, &mut stats)?;
    }
    // Every merged row is durable in a segment: only now are the inputs removed.
    let mut touched_dirs = Vec::new();
    for path in &inputs {
        std::fs::remove_file(path).map_err(io(path))?;
        if let Some(dir) = path.parent()
            && !touched_dirs.iter().any(|d: &PathBuf| d == dir)
        {
            touched_dirs.push(dir.to_path_buf());
        }
    }
    for dir in &touched_dirs {
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(io(dir))?;
    }
    stats.files_merged = inputs.len();
    Ok(stats)
}

/// Compacts every campaign of both raw tables under the landing directory `root`.
pub fn compact_landing(root: &Path, config: CompactionConfig) -> Result<CompactionStats> {
    if config.target_rows == 0 {
        return Err(Error::Config(
            "compaction target_rows must be at least 1".into(),
        ));
    }
    let mut stats = CompactionStats::default();
    for table in &RAW_TABLES {
        let table_dir = root.join(table.name);
        let entries = match std::fs::read_dir(&table_dir) {
            Ok(entries) => entries,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => continue,
            Err(err) => return Err(io(&table_dir)(err)),
        };
        for entry in entries {
            let path = entry.map_err(io(&table_dir))?.path();
            let is_campaign = path
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("campaign="));
            if path.is_dir() && is_campaign {
                stats += compact_campaign(table, &path, config)?;
            }
        }
    }
    Ok(stats)
}
