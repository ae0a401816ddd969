//! The selection of the rollup, in one pass per table: one accepted copy per (unit,
//! submission id), the decision that counts for each version, each unit's counted version
//! (its latest, or its latest approved), and one copy of each of its systems: the tables
//! `latest` and `latest_systems` that [`crate::sql`]'s selection CTEs specify in SQL.
//!
//! Why not the SQL: it needs several `ROW_NUMBER()` windows, and DataFusion 55's window
//! operator pays per window partition; here almost every partition (a submission id, a
//! unit, a system) holds one row, and the windows were most of the rollup's time
//! (`docs/benchmarks.md`). One pass over the rows with a hash map per key computes the
//! same thing in a few milliseconds. `baocao bench rollup` checks that the summaries
//! built on this agree, cell by cell, with DuckDB running the SQL text.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, Int32Array, Int64Array, RecordBatch, StringArray, TimestampMillisecondArray,
    UInt32Array,
};
use arrow::compute::take;
use arrow::datatypes::{DataType, Field, Schema};
use baocao_catalog::raw::query;
use baocao_catalog::{Conflict, StrayUnit};
use baocao_registry::CountBasis;
use baocao_rules::Decision;
use datafusion::prelude::SessionContext;

use crate::sql::{LATEST_UNIT_COLUMNS, SYSTEM_COLUMNS};
use crate::{Error, Result};

fn column<'a>(batch: &'a RecordBatch, name: &str) -> Result<&'a ArrayRef> {
    batch
        .column_by_name(name)
        .ok_or_else(|| Error::Schema(format!("selection: no column {name}")))
}

fn typed<'a, T: 'static>(batch: &'a RecordBatch, name: &str, what: &str) -> Result<&'a T> {
    column(batch, name)?
        .as_any()
        .downcast_ref::<T>()
        .ok_or_else(|| Error::Schema(format!("selection: column {name} is not {what}")))
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
        _ => Err(Error::Schema(format!(
            "selection: column {name} is not a timestamp"
        ))),
    }
}

/// Where and when one landed copy of a submission was accepted: its order among copies
/// and versions (receipt, then Kafka position).
type Position = (i64, i32, i64);

/// The columns of the in-scope submissions the selection reads.
struct InScope<'a> {
    ids: &'a StringArray,
    units: &'a StringArray,
    received: &'a TimestampMillisecondArray,
    partitions: &'a Int32Array,
    offsets: &'a Int64Array,
    digests: &'a StringArray,
}

impl InScope<'_> {
    fn position(&self, row: usize) -> Position {
        (
            self.received.value(row),
            self.partitions.value(row),
            self.offsets.value(row),
        )
    }

    /// A copy's place in the log ([`baocao_catalog::views::FIRST_COPY_ORDER`]).
    fn log_position(&self, row: usize) -> (i32, i64, i64) {
        (
            self.partitions.value(row),
            self.offsets.value(row),
            self.received.value(row),
        )
    }

    fn digest(&self, row: usize) -> Option<&str> {
        self.digests.is_valid(row).then(|| self.digests.value(row))
    }
}

/// Per (unit, submission id): the first copy, how many copies landed, the last receipt
/// among them, and whether another copy had other content.
struct Copies {
    first: usize,
    copies: i64,
    last_received: i64,
    conflicting: bool,
}

/// The first copy of each (unit, submission id) of the registry's units; the others'
/// rows are counted apart as strays.
fn first_copies<'a>(
    rows: &InScope<'a>,
    registered: &HashSet<&str>,
    strays: &mut BTreeMap<String, i64>,
) -> HashMap<(&'a str, &'a str), Copies> {
    let mut first: HashMap<(&str, &str), Copies> = HashMap::with_capacity(rows.ids.len());
    for row in 0..rows.ids.len() {
        let unit = rows.units.value(row);
        if !registered.contains(unit) {
            *strays.entry(unit.to_string()).or_default() += 1;
            continue;
        }
        first
            .entry((unit, rows.ids.value(row)))
            .and_modify(|kept| {
                kept.copies += 1;
                kept.last_received = kept.last_received.max(rows.received.value(row));
                if let (Some(a), Some(b)) = (rows.digest(row), rows.digest(kept.first))
                    && a != b
                {
                    kept.conflicting = true;
                }
                if rows.log_position(row) < rows.log_position(kept.first) {
                    kept.first = row;
                }
            })
            .or_insert(Copies {
                first: row,
                copies: 1,
                last_received: rows.received.value(row),
                conflicting: false,
            });
    }
    first
}

/// Per unit: its newest accepted version (receipt, then Kafka order), its first receipt
/// inside the milestone's window, and how many versions there are.
struct Versions {
    newest: usize,
    newest_approved: Option<usize>,
    first_in_window: Option<i64>,
    count: i64,
}

/// The decision that counts for each version (unit, submission id): the first recorded
/// before the cut-off ([`crate::sql::DECISION_ORDER`]), and its instant.
type Decisions<'a> = HashMap<(&'a str, &'a str), (i64, &'a str)>;

/// Where a decision stands among its version's decisions ([`crate::sql::DECISION_ORDER`]):
/// whether it has a log position, the position, its instant, its name.
type DecisionOrder<'a> = (bool, i32, i64, i64, &'a str);

/// The first decision per version among the `reviews` rows read.
fn decisions_of(reviews: &RecordBatch) -> Result<Decisions<'_>> {
    let units = strings(reviews, "unit_code")?;
    let ids = strings(reviews, "submission_id")?;
    let decided = strings(reviews, "decision")?;
    let at = timestamps(reviews, "reviewed_at")?;
    let partitions = int32s(reviews, "kafka_partition")?;
    let offsets = int64s(reviews, "kafka_offset")?;
    let mut first: HashMap<(&str, &str), DecisionOrder<'_>> =
        HashMap::with_capacity(reviews.num_rows());
    for row in 0..reviews.num_rows() {
        let logged = partitions.is_valid(row) && offsets.is_valid(row);
        let (partition, offset) = if logged {
            (partitions.value(row), offsets.value(row))
        } else {
            (0, 0)
        };
        let this = (logged, partition, offset, at.value(row), decided.value(row));
        first
            .entry((units.value(row), ids.value(row)))
            .and_modify(|kept| *kept = (*kept).min(this))
            .or_insert(this);
    }
    Ok(first
        .into_iter()
        .map(|(key, (_, _, _, at, decision))| (key, (at, decision)))
        .collect())
}

/// What the selection reads: the submissions in scope (the campaign's, received before
/// the cut-off) with the columns `latest` needs, the window's first instant, the
/// registered unit codes, and the campaign's review decisions made before the cut-off.
struct ScopeRead {
    in_scope: RecordBatch,
    window_start: i64,
    unit_rows: RecordBatch,
    reviews: RecordBatch,
}

async fn read_in_scope(ctx: &SessionContext) -> Result<ScopeRead> {
    let columns = LATEST_UNIT_COLUMNS
        .iter()
        .map(|c| format!("s.{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    let in_scope = query(
        ctx,
        &format!(
            "SELECT s.submission_id, s.unit_code, s.received_at, s.kafka_partition, s.kafka_offset,
                    s.content_sha256, {columns}
             FROM submissions s CROSS JOIN rollup_params p
             WHERE s.campaign_id = p.campaign_id AND s.received_at < p.cut_off"
        ),
    )
    .await?;
    let params = query(ctx, "SELECT window_start FROM rollup_params").await?;
    let window_start = timestamps(&params, "window_start")?
        .iter()
        .flatten()
        .next()
        .unwrap_or(i64::MIN);
    let unit_rows = query(ctx, "SELECT unit_code FROM units").await?;
    let reviews = query(
        ctx,
        "SELECT r.unit_code, r.submission_id, r.decision, r.reviewed_at, r.kafka_partition, r.kafka_offset
         FROM reviews r CROSS JOIN rollup_params p
         WHERE r.campaign_id = p.campaign_id AND r.reviewed_at < p.cut_off",
    )
    .await?;
    Ok(ScopeRead {
        in_scope,
        window_start,
        unit_rows,
        reviews,
    })
}

/// Each unit's versions among the counted first copies.
fn versions_per_unit<'a>(
    rows: &InScope<'a>,
    first_copy: &HashMap<(&'a str, &'a str), Copies>,
    window_start: i64,
    decisions: &Decisions<'_>,
) -> HashMap<&'a str, Versions> {
    let mut per_unit: HashMap<&str, Versions> = HashMap::with_capacity(first_copy.len());
    for (key, copies) in first_copy {
        let row = copies.first;
        let received = rows.received.value(row);
        let in_window = (received >= window_start).then_some(received);
        let approved = decisions
            .get(key)
            .is_some_and(|(_, decision)| Decision::parse(decision) == Some(Decision::Approve))
            .then_some(row);
        per_unit
            .entry(rows.units.value(row))
            .and_modify(|v| {
                if rows.position(row) > rows.position(v.newest) {
                    v.newest = row;
                }
                if let Some(row) = approved
                    && v.newest_approved
                        .is_none_or(|kept| rows.position(row) > rows.position(kept))
                {
                    v.newest_approved = Some(row);
                }
                v.first_in_window = match (v.first_in_window, in_window) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                };
                v.count += 1;
            })
            .or_insert(Versions {
                newest: row,
                newest_approved: approved,
                first_in_window: in_window,
                count: 1,
            });
    }
    per_unit
}

/// What the selection read and left out (the lineage's counts, strays and conflicts).
fn selection_of(
    rows: &InScope<'_>,
    first_copy: &HashMap<(&str, &str), Copies>,
    units: usize,
    strays: BTreeMap<String, i64>,
) -> Selection {
    let mut conflicts: Vec<Conflict> = first_copy
        .iter()
        .filter(|(_, copies)| copies.conflicting)
        .map(|((unit, id), copies)| Conflict {
            unit_code: unit.to_string(),
            submission_id: id.to_string(),
            copies: copies.copies,
            counted_received_at: rows.received.value(copies.first),
        })
        .collect();
    conflicts
        .sort_by(|a, b| (&a.unit_code, &a.submission_id).cmp(&(&b.unit_code, &b.submission_id)));
    Selection {
        // Every landed row of a registered unit is a copy of some (unit, id).
        landed_rows: first_copy.values().map(|c| c.copies).sum(),
        submissions: first_copy.len() as i64,
        units: units as i64,
        first_received_at: first_copy
            .values()
            .map(|c| rows.received.value(c.first))
            .min(),
        last_received_at: first_copy.values().map(|c| c.last_received).max(),
        stray_units: strays
            .into_iter()
            .map(|(unit_code, landed_rows)| StrayUnit {
                unit_code,
                landed_rows,
            })
            .collect(),
        conflicts,
    }
}

/// The review state of a unit's latest version: its decision, or `pending`.
fn review_state<'a>(rows: &InScope<'a>, newest: usize, decisions: &Decisions<'a>) -> &'a str {
    decisions
        .get(&(rows.units.value(newest), rows.ids.value(newest)))
        .map_or("pending", |(_, decision)| *decision)
}

/// The `latest` table counting `basis`: a row per unit with a version (in row order of
/// its newest), the counted version's columns (null when the unit has no approved version
/// and `basis` is approved), `first_received_at`, `version_count` and `review_state`.
fn latest_batch(
    in_scope: &RecordBatch,
    rows: &InScope<'_>,
    per_unit: &HashMap<&str, Versions>,
    decisions: &Decisions<'_>,
    basis: CountBasis,
) -> Result<RecordBatch> {
    let mut versions: Vec<&Versions> = per_unit.values().collect();
    versions.sort_by_key(|v| v.newest);
    let newest: UInt32Array = versions.iter().map(|v| v.newest as u32).collect();
    let counted: UInt32Array = versions
        .iter()
        .map(|v| match basis {
            CountBasis::Received => Some(v.newest as u32),
            CountBasis::Approved => v.newest_approved.map(|row| row as u32),
        })
        .collect();
    let first_received_at = TimestampMillisecondArray::from(
        versions
            .iter()
            .map(|v| v.first_in_window)
            .collect::<Vec<_>>(),
    )
    .with_timezone_opt(timezone(in_scope, "received_at")?);
    let version_count: Int64Array = versions.iter().map(|v| v.count).collect();
    let review_states: StringArray = versions
        .iter()
        .map(|v| Some(review_state(rows, v.newest, decisions)))
        .collect();
    let mut fields: Vec<Arc<Field>> = Vec::new();
    let mut arrays: Vec<ArrayRef> = Vec::new();
    let unit_codes = column(in_scope, "unit_code")?;
    fields.push(Arc::new(Field::new(
        "unit_code",
        unit_codes.data_type().clone(),
        true,
    )));
    arrays.push(take(unit_codes, &newest, None)?);
    for name in [
        "submission_id",
        "received_at",
        "kafka_partition",
        "kafka_offset",
    ]
    .into_iter()
    .chain(LATEST_UNIT_COLUMNS.iter().copied())
    {
        let values = column(in_scope, name)?;
        fields.push(Arc::new(Field::new(name, values.data_type().clone(), true)));
        arrays.push(take(values, &counted, None)?);
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
    fields.push(Arc::new(Field::new("review_state", DataType::Utf8, false)));
    arrays.push(Arc::new(review_states));
    Ok(RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays)?)
}

/// What the selection chose: each unit's counted version for both bases, and what it
/// read and left out.
pub struct Selected {
    /// `latest` counting every accepted version (the newest counts).
    pub received: RecordBatch,
    /// `latest` counting approved versions only (the newest approved counts).
    pub approved: RecordBatch,
    /// The lineage's counts, strays and conflicts.
    pub selection: Selection,
    /// The landed systems rows, from which each basis's `latest_systems` is taken.
    systems: RecordBatch,
}

impl Selected {
    /// The `latest` table of `basis`.
    pub fn latest(&self, basis: CountBasis) -> &RecordBatch {
        match basis {
            CountBasis::Received => &self.received,
            CountBasis::Approved => &self.approved,
        }
    }
}

/// `latest` for both bases: each registered unit's counted version before the cut-off,
/// its columns `unit_code, submission_id, received_at, kafka_partition, kafka_offset` and
/// [`LATEST_UNIT_COLUMNS`], plus `first_received_at` (its first accepted version inside
/// the milestone's window, null if none), `version_count` and `review_state`.
pub async fn select(ctx: &SessionContext) -> Result<Selected> {
    let read = read_in_scope(ctx).await?;
    let registered: HashSet<&str> = strings(&read.unit_rows, "unit_code")?
        .iter()
        .flatten()
        .collect();
    let in_scope = &read.in_scope;
    let rows = InScope {
        ids: strings(in_scope, "submission_id")?,
        units: strings(in_scope, "unit_code")?,
        received: timestamps(in_scope, "received_at")?,
        partitions: int32s(in_scope, "kafka_partition")?,
        offsets: int64s(in_scope, "kafka_offset")?,
        digests: strings(in_scope, "content_sha256")?,
    };
    let decisions = decisions_of(&read.reviews)?;
    let mut strays = BTreeMap::new();
    let first_copy = first_copies(&rows, &registered, &mut strays);
    let per_unit = versions_per_unit(&rows, &first_copy, read.window_start, &decisions);
    let latest = |basis| latest_batch(in_scope, &rows, &per_unit, &decisions, basis);
    Ok(Selected {
        received: latest(CountBasis::Received)?,
        approved: latest(CountBasis::Approved)?,
        selection: selection_of(&rows, &first_copy, per_unit.len(), strays),
        systems: read_systems(ctx).await?,
    })
}

/// The landed systems rows with the columns `latest_systems` keeps: read once per
/// selection, for both bases.
async fn read_systems(ctx: &SessionContext) -> Result<RecordBatch> {
    let columns = SYSTEM_COLUMNS
        .iter()
        .map(|c| format!("y.{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    Ok(query(
        ctx,
        &format!(
            "SELECT y.unit_code, y.submission_id, y.system_code, y.kafka_partition, y.kafka_offset, {columns}
             FROM systems y"
        ),
    )
    .await?)
}

/// `latest_systems`: the systems of the counted copy of each latest version (the record
/// at its Kafka position; one of each system code should that record have landed twice):
/// `unit_code, submission_id, system_code` and [`SYSTEM_COLUMNS`].
fn latest_systems(rows: &RecordBatch, latest: &RecordBatch) -> Result<RecordBatch> {
    let units = strings(rows, "unit_code")?;
    let ids = strings(rows, "submission_id")?;
    let codes = strings(rows, "system_code")?;
    let partitions = int32s(rows, "kafka_partition")?;
    let offsets = int64s(rows, "kafka_offset")?;
    let counted: HashSet<(&str, &str, i32, i64)> = {
        let units = strings(latest, "unit_code")?;
        let ids = strings(latest, "submission_id")?;
        let partitions = int32s(latest, "kafka_partition")?;
        let offsets = int64s(latest, "kafka_offset")?;
        (0..latest.num_rows())
            .filter(|&row| ids.is_valid(row))
            .map(|row| {
                (
                    units.value(row),
                    ids.value(row),
                    partitions.value(row),
                    offsets.value(row),
                )
            })
            .collect()
    };
    let mut first_copy: HashMap<(&str, &str), usize> = HashMap::with_capacity(rows.num_rows());
    for row in 0..rows.num_rows() {
        let copy = (
            units.value(row),
            ids.value(row),
            partitions.value(row),
            offsets.value(row),
        );
        if counted.contains(&copy) {
            first_copy
                .entry((units.value(row), codes.value(row)))
                .or_insert(row);
        }
    }
    let mut kept_rows: Vec<u32> = first_copy.into_values().map(|row| row as u32).collect();
    kept_rows.sort_unstable();
    let first_copies = UInt32Array::from(kept_rows);
    let kept = ["unit_code", "submission_id", "system_code"]
        .into_iter()
        .chain(SYSTEM_COLUMNS.iter().copied())
        .map(|name| Ok((name, column(rows, name)?.clone())))
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
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Selection {
    /// Landed rows of the campaign's units received before the cut-off (re-delivered
    /// copies too).
    pub landed_rows: i64,
    /// Distinct (unit, submission id) among them.
    pub submissions: i64,
    /// Units they came from.
    pub units: i64,
    /// First receipt (ms since the epoch).
    pub first_received_at: Option<i64>,
    /// Last receipt (ms since the epoch).
    pub last_received_at: Option<i64>,
    /// Reports of units not in the register, left out of every figure.
    pub stray_units: Vec<StrayUnit>,
    /// Ids landed with different contents for one unit.
    pub conflicts: Vec<Conflict>,
}

/// Registers `latest` and `latest_systems` of `basis` from a selection in the session,
/// replacing those of another basis.
pub fn register_latest(ctx: &SessionContext, selected: &Selected, basis: CountBasis) -> Result<()> {
    let latest = selected.latest(basis);
    let latest_systems = latest_systems(&selected.systems, latest)?;
    ctx.deregister_table("latest")?;
    ctx.deregister_table("latest_systems")?;
    ctx.register_batch("latest", latest.clone())?;
    ctx.register_batch("latest_systems", latest_systems)?;
    Ok(())
}
