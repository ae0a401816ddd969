//! The selection of the rollup, in one pass per table: one accepted copy per submission id, each
//! unit's latest version, and one copy of each of its systems: the tables `latest` and
//! `latest_systems` that [`crate::sql`]'s selection CTEs specify in SQL.
//!
//! Why not the SQL: it needs three `ROW_NUMBER()` windows, and DataFusion 55's window
//! operator pays per window partition; here almost every partition (a submission id, a
//! unit, a system) holds one row, and the windows were most of the rollup's time
//! (`docs/benchmarks.md`). One pass over the rows with a hash map per key computes the
//! same thing in a few milliseconds. `baocao bench rollup` checks that the summaries
//! built on this agree, cell by cell, with DuckDB running the SQL text.

use std::sync::Arc;

use std::collections::{HashMap, HashSet};

use arrow::array::{
    Array, ArrayRef, Int32Array, Int64Array, RecordBatch, StringArray, TimestampMillisecondArray,
    UInt32Array,
};
use arrow::compute::take;
use arrow::datatypes::{DataType, Field, Schema};
use datafusion::prelude::SessionContext;

use crate::rollup::query;
use crate::sql::{LATEST_UNIT_COLUMNS, SYSTEM_COLUMNS};
use crate::{Error, Result};

fn column<'a>(batch: &'a RecordBatch, name: &str) -> Result<&'a ArrayRef> {
    batch
        .column_by_name(name)
        .ok_or_else(|| Error::Request(format!("selection: no column {name}")))
}

fn typed<'a, T: 'static>(batch: &'a RecordBatch, name: &str, what: &str) -> Result<&'a T> {
    column(batch, name)?
        .as_any()
        .downcast_ref::<T>()
        .ok_or_else(|| Error::Request(format!("selection: column {name} is not {what}")))
}

fn strings<'a>(batch: &'a RecordBatch, name: &str) -> Result<&'a StringArray> {
    typed(batch, name, "a string")
}

fn int32s<'a>(batch: &'a RecordBatch, name: &str) -> Result<&'a Int32Array> {
    typed(batch, name, "a 32-bit integer")
}

fn int64s<'a>(batch: &'a RecordBatch, name: &str) -> Result<&'a Int64Array> {
    typed(batch, name, "a 64-bit integer")
}

fn timestamps<'a>(batch: &'a RecordBatch, name: &str) -> Result<&'a TimestampMillisecondArray> {
    typed(batch, name, "a millisecond timestamp")
}

fn timezone(batch: &RecordBatch, name: &str) -> Result<Option<Arc<str>>> {
    match column(batch, name)?.data_type() {
        DataType::Timestamp(_, zone) => Ok(zone.clone()),
        _ => Err(Error::Request(format!(
            "selection: column {name} is not a timestamp"
        ))),
    }
}

/// `latest`: each unit's latest accepted version before the cut-off, its columns
/// `unit_code, submission_id, received_at` and [`LATEST_UNIT_COLUMNS`], plus
/// `first_received_at` (its first accepted version) and `version_count`.
async fn latest(ctx: &SessionContext) -> Result<(RecordBatch, Selection)> {
    let columns = LATEST_UNIT_COLUMNS
        .iter()
        .map(|c| format!("s.{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    let in_scope = query(
        ctx,
        &format!(
            "SELECT s.submission_id, s.unit_code, s.received_at, s.kafka_partition, s.kafka_offset, {columns}
             FROM submissions s CROSS JOIN rollup_params p
             WHERE s.campaign_id = p.campaign_id AND s.received_at < p.cut_off"
        ),
    )
    .await?;

    // accepted: per submission id, the first copy (earliest received_at, then Kafka
    // position).
    let ids = strings(&in_scope, "submission_id")?;
    let units = strings(&in_scope, "unit_code")?;
    let received = timestamps(&in_scope, "received_at")?;
    let partitions = int32s(&in_scope, "kafka_partition")?;
    let offsets = int64s(&in_scope, "kafka_offset")?;
    let copy_key = |row: usize| {
        (
            received.value(row),
            partitions.value(row),
            offsets.value(row),
        )
    };
    let mut first_copy: HashMap<&str, usize> = HashMap::with_capacity(in_scope.num_rows());
    for row in 0..in_scope.num_rows() {
        first_copy
            .entry(ids.value(row))
            .and_modify(|kept| {
                if copy_key(row) < copy_key(*kept) {
                    *kept = row;
                }
            })
            .or_insert(row);
    }

    // latest: per unit, the newest accepted version (received_at, then submission id),
    // the first one's received_at, and how many there are.
    struct Versions {
        newest: usize,
        first_received_at: i64,
        count: i64,
    }
    let newer =
        |a: usize, b: usize| (received.value(a), ids.value(a)) > (received.value(b), ids.value(b));
    let mut per_unit: HashMap<&str, Versions> = HashMap::with_capacity(first_copy.len());
    for &row in first_copy.values() {
        per_unit
            .entry(units.value(row))
            .and_modify(|v| {
                if newer(row, v.newest) {
                    v.newest = row;
                }
                v.first_received_at = v.first_received_at.min(received.value(row));
                v.count += 1;
            })
            .or_insert(Versions {
                newest: row,
                first_received_at: received.value(row),
                count: 1,
            });
    }
    let mut versions: Vec<&Versions> = per_unit.values().collect();
    versions.sort_by_key(|v| v.newest);
    let newest: UInt32Array = versions.iter().map(|v| v.newest as u32).collect();
    let first_received_at = TimestampMillisecondArray::from(
        versions
            .iter()
            .map(|v| v.first_received_at)
            .collect::<Vec<_>>(),
    )
    .with_timezone_opt(timezone(&in_scope, "received_at")?);
    let version_count: Int64Array = versions.iter().map(|v| v.count).collect();
    let selection = Selection {
        landed_rows: in_scope.num_rows() as i64,
        submissions: first_copy.len() as i64,
        units: per_unit.len() as i64,
        first_received_at: arrow::compute::min(received),
        last_received_at: arrow::compute::max(received),
    };
    let accepted = &in_scope;

    let mut fields: Vec<Arc<Field>> = Vec::new();
    let mut arrays: Vec<ArrayRef> = Vec::new();
    for name in ["unit_code", "submission_id", "received_at"]
        .into_iter()
        .chain(LATEST_UNIT_COLUMNS.iter().copied())
    {
        let values = column(accepted, name)?;
        fields.push(Arc::new(Field::new(name, values.data_type().clone(), true)));
        arrays.push(take(values, &newest, None)?);
    }
    fields.push(Arc::new(Field::new(
        "first_received_at",
        first_received_at.data_type().clone(),
        true,
    )));
    arrays.push(Arc::new(first_received_at));
    fields.push(Arc::new(Field::new(
        "version_count",
        DataType::Int64,
        false,
    )));
    arrays.push(Arc::new(version_count));
    let latest = RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays)?;
    Ok((latest, selection))
}

/// `latest_systems`: one copy (the first in Kafka order) of each system of each latest
/// version: `submission_id, system_code` and [`SYSTEM_COLUMNS`].
async fn latest_systems(ctx: &SessionContext, latest: &RecordBatch) -> Result<RecordBatch> {
    let columns = SYSTEM_COLUMNS
        .iter()
        .map(|c| format!("y.{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    let rows = query(
        ctx,
        &format!(
            "SELECT y.submission_id, y.system_code, y.kafka_partition, y.kafka_offset, {columns}
             FROM systems y"
        ),
    )
    .await?;
    let ids = strings(&rows, "submission_id")?;
    let codes = strings(&rows, "system_code")?;
    let partitions = int32s(&rows, "kafka_partition")?;
    let offsets = int64s(&rows, "kafka_offset")?;
    let position = |row: usize| (partitions.value(row), offsets.value(row));
    let latest_ids: HashSet<&str> = strings(latest, "submission_id")?.iter().flatten().collect();
    let mut first_copy: HashMap<(&str, &str), usize> = HashMap::with_capacity(rows.num_rows());
    for row in 0..rows.num_rows() {
        if !latest_ids.contains(ids.value(row)) {
            continue;
        }
        first_copy
            .entry((ids.value(row), codes.value(row)))
            .and_modify(|kept| {
                if position(row) < position(*kept) {
                    *kept = row;
                }
            })
            .or_insert(row);
    }
    let mut kept_rows: Vec<u32> = first_copy.into_values().map(|row| row as u32).collect();
    kept_rows.sort_unstable();
    let first_copies = UInt32Array::from(kept_rows);
    let kept = ["submission_id", "system_code"]
        .into_iter()
        .chain(SYSTEM_COLUMNS.iter().copied())
        .map(|name| Ok((name, column(&rows, name)?.clone())))
        .collect::<Result<Vec<_>>>()?;
    let fields: Vec<Field> = kept
        .iter()
        .map(|(name, values)| Field::new(*name, values.data_type().clone(), true))
        .collect();
    let arrays = kept
        .iter()
        .map(|(_, values)| take(values, &first_copies, None))
        .collect::<std::result::Result<Vec<_>, _>>()?;
    Ok(RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays)?)
}

/// What the selection read: the rollup's lineage.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Selection {
    /// Landed rows of the campaign received before the cut-off (re-delivered copies too).
    pub landed_rows: i64,
    /// Distinct submission ids among them.
    pub submissions: i64,
    /// Units they came from.
    pub units: i64,
    /// First receipt (ms since the epoch).
    pub first_received_at: Option<i64>,
    /// Last receipt (ms since the epoch).
    pub last_received_at: Option<i64>,
}

/// Computes `latest` and `latest_systems` from the session's `submissions`, `systems`
/// and `rollup_params`, and registers both in it.
pub async fn register_latest(ctx: &SessionContext) -> Result<Selection> {
    let (latest, selection) = latest(ctx).await?;
    let latest_systems = latest_systems(ctx, &latest).await?;
    ctx.register_batch("latest", latest)?;
    ctx.register_batch("latest_systems", latest_systems)?;
    Ok(selection)
}
