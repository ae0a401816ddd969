//! Compaction of the raw tables: the landing writes one small file per flush and day, and
//! a rollup pays for every file it opens (footer, column chunks, decompression). This
//! merges a campaign's small files into sorted segments of up to `target_rows` rows under
//! `<table>/campaign=<id>/segment=compacted/`, then removes the merged files.
//!
//! Nothing is lost or counted twice: a segment is durable (whole: fsync + rename, or one
//! PUT) before any of its inputs is removed, so a crash leaves at worst both copies
//! stored, and the rollup counts a submission once however many copies were landed
//! (`docs/data.md`). Segments that are already full are never rewritten, so each
//! compaction reads at most one partial segment besides the new files. The landing may
//! be a local directory or a bucket (`baocao_store::Store`).

use std::collections::BTreeMap;
use std::sync::LazyLock;

use arrow::array::RecordBatch;
use arrow::compute::{SortColumn, concat_batches, lexsort_to_indices, take_record_batch};
use arrow::datatypes::SchemaRef;
use baocao_store::{Progress, Store, StoredFile};
use futures::StreamExt;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use crate::{Error, Result};
use baocao_tables::layout::{self, COMPACTED_DIR};
use baocao_tables::{SUBMISSIONS_SCHEMA, SYSTEMS_SCHEMA};

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
        name: layout::SUBMISSIONS,
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
        name: layout::SYSTEMS,
        schema: &SYSTEMS_SCHEMA,
        sort_by: &[
            "submission_id",
            "system_code",
            "kafka_partition",
            "kafka_offset",
        ],
    },
];

/// Landed files being fetched while the merge consumes the earlier ones.
const READ_AHEAD: usize = 8;

/// The batches of the landed file `file`, checked against this build's schema.
async fn read_file(
    campaign: &Store,
    file: &StoredFile,
    schema: &SchemaRef,
) -> Result<Vec<RecordBatch>> {
    let bytes = campaign.get(&file.relative).await?;
    let reader = ParquetRecordBatchReaderBuilder::try_new(bytes)?.build()?;
    let mut batches = Vec::new();
    for batch in reader {
        let batch = widened(batch?, schema).ok_or_else(|| {
            Error::Schema(format!(
                "{}: its columns are not those of this build's schema; not compacted",
                campaign.join(&file.relative)
            ))
        })?;
        batches.push(batch);
    }
    Ok(batches)
}

/// `batch` in `schema`: as it is, or, for a file landed before columns were added at the
/// end of the schema, with those (nullable) columns null. `None` for any other difference.
fn widened(batch: RecordBatch, schema: &SchemaRef) -> Option<RecordBatch> {
    let have = batch.schema().fields().len();
    if batch.schema().fields() == schema.fields() {
        return Some(batch);
    }
    let (known, added) = schema.fields().split_at_checked(have)?;
    if batch.schema().fields().iter().ne(known.iter()) || added.iter().any(|f| !f.is_nullable()) {
        return None;
    }
    let mut columns = batch.columns().to_vec();
    columns.extend(
        added
            .iter()
            .map(|f| arrow::array::new_null_array(f.data_type(), batch.num_rows())),
    );
    RecordBatch::try_new(schema.clone(), columns).ok()
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
                .ok_or_else(|| Error::Schema(format!("no column {name} in {}", table.name)))
        })
        .collect::<Result<Vec<_>>>()?;
    let indices = lexsort_to_indices(&columns, None)?;
    Ok(take_record_batch(&batch, &indices)?)
}

/// Sorts the held batches into one segment and writes it under the campaign's
/// [`COMPACTED_DIR`].
async fn write_segment(
    table: &RawTable,
    campaign: &Store,
    held: &mut Vec<RecordBatch>,
    stats: &mut CompactionStats,
) -> Result<()> {
    let segment = sorted(table, held)?;
    let name = format!("{COMPACTED_DIR}/part-{}.parquet", uuid::Uuid::now_v7());
    stats.segments_written += 1;
    stats.rows += segment.num_rows();
    campaign.put_parquet(&name, segment).await?;
    held.clear();
    Ok(())
}

/// Compacts one campaign of one raw table, whose landed files are `files` (relative to
/// the campaign).
async fn compact_campaign(
    table: &RawTable,
    campaign: &Store,
    files: Vec<StoredFile>,
    config: CompactionConfig,
) -> Result<CompactionStats> {
    let mut inputs = Vec::new();
    for file in files {
        let in_segments = file
            .relative
            .strip_prefix(COMPACTED_DIR)
            .and_then(|rest| rest.strip_prefix('/'))
            .is_some_and(|name| !name.contains('/'));
        let full_segment = in_segments && campaign.parquet_rows(&file).await? >= config.target_rows;
        if !full_segment {
            inputs.push(file);
        }
    }
    if inputs.len() < 2 {
        return Ok(CompactionStats::default());
    }
    let mut stats = CompactionStats::default();
    let mut held: Vec<RecordBatch> = Vec::new();
    let mut held_rows = 0;
    // Files are fetched a few ahead of the merge: on a bucket each is a round trip.
    let mut reads = futures::stream::iter(&inputs)
        .map(|file| read_file(campaign, file, table.schema))
        .buffered(READ_AHEAD);
    while let Some(batches) = reads.next().await {
        for batch in batches? {
            held_rows += batch.num_rows();
            held.push(batch);
            if held_rows >= config.target_rows {
                write_segment(table, campaign, &mut held, &mut stats).await?;
                held_rows = 0;
            }
        }
    }
    drop(reads);
    if held_rows > 0 {
        write_segment(table, campaign, &mut held, &mut stats).await?;
    }
    // Every merged row is durable in a segment: only now are the inputs removed.
    let merged: Vec<String> = inputs.into_iter().map(|file| file.relative).collect();
    campaign.delete(&merged).await?;
    stats.files_merged = merged.len();
    Ok(stats)
}

/// Compacts every campaign of both raw tables in the landing store `landing`.
pub async fn compact_landing(landing: &Store, config: CompactionConfig) -> Result<CompactionStats> {
    compact_landing_with_progress(landing, config, &Progress::default()).await
}

/// [`compact_landing`], counting the landed files looked at in `progress` (the total is
/// every file of both tables, listed first).
pub async fn compact_landing_with_progress(
    landing: &Store,
    config: CompactionConfig,
    progress: &Progress,
) -> Result<CompactionStats> {
    if config.target_rows == 0 {
        return Err(Error::Config(
            "compaction target_rows must be at least 1".into(),
        ));
    }
    let mut listed = Vec::new();
    for table in &RAW_TABLES {
        let table_store = landing.join(table.name);
        let campaigns = files_by_campaign(table_store.list_parquet().await?);
        listed.push((table, table_store, campaigns));
    }
    let total: usize = listed
        .iter()
        .flat_map(|(_, _, campaigns)| campaigns.values().map(Vec::len))
        .sum();
    progress.set_total(total as u64);
    let mut stats = CompactionStats::default();
    for (table, table_store, campaigns) in listed {
        for (campaign, files) in campaigns {
            let count = files.len() as u64;
            stats += compact_campaign(table, &table_store.join(&campaign), files, config).await?;
            progress.add(count);
        }
    }
    Ok(stats)
}

/// A table's files grouped by their `campaign=…` directory, paths made relative to it.
fn files_by_campaign(files: Vec<StoredFile>) -> BTreeMap<String, Vec<StoredFile>> {
    let mut campaigns: BTreeMap<String, Vec<StoredFile>> = BTreeMap::new();
    for mut file in files {
        let Some((campaign, rest)) = file.relative.split_once('/') else {
            continue;
        };
        if !campaign.starts_with(layout::CAMPAIGN_DIR_PREFIX) {
            continue;
        }
        let campaign = campaign.to_string();
        file.relative = rest.to_string();
        campaigns.entry(campaign).or_default().push(file);
    }
    campaigns
}
