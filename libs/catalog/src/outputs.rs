//! What a rollup writes under `<out>/<campaign>/<milestone>/` and how the read side reads
//! it back: the file names, the lineage (`lineage.json`), the rollup's tables in memory,
//! the reminders sent (`reminders.json`, written by `baocao remind`) and the units late
//! at earlier milestones.

use std::collections::{BTreeMap, BTreeSet};

use arrow::array::RecordBatch;
use baocao_registry::{Campaign, CountBasis, Milestone};
use baocao_store::Store;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// Every accepted version counted, per area and unit.
pub const SUMMARY_FILE: &str = "summary.parquet";
/// Approved versions only, the same columns.
pub const APPROVED_SUMMARY_FILE: &str = "summary_approved.parquet";
/// Expected units late, missing or not updated.
pub const LATE_AND_MISSING_FILE: &str = "late_and_missing.parquet";
/// Where the figures come from ([`Lineage`]).
pub const LINEAGE_FILE: &str = "lineage.json";
/// The reminders sent for the milestone.
pub const REMINDERS_FILE: &str = "reminders.json";

/// Where the figures come from (written as `lineage.json`).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Lineage {
    /// Campaign id.
    pub campaign_id: String,
    /// Milestone id.
    pub milestone_id: String,
    /// Last day counted (inclusive, Vietnam time).
    pub cut_off_date: NaiveDate,
    /// The milestone's unit deadline.
    pub unit_deadline: NaiveDate,
    /// Distinct accepted submissions received before the cut-off.
    pub submissions: i64,
    /// Raw rows landed for them (more than `submissions` when records were re-delivered).
    pub landed_rows: i64,
    /// Units they came from.
    pub units: i64,
    /// First receipt counted.
    pub first_received_at: Option<DateTime<Utc>>,
    /// Last receipt counted.
    pub last_received_at: Option<DateTime<Utc>>,
    /// When the rollup ran.
    pub generated_at: DateTime<Utc>,
    /// The landing read (a directory or `s3://bucket/prefix`).
    pub landing_dir: String,
    /// First day of the milestone's reporting window (timeliness counts reports from it).
    pub window_opens_on: NaiveDate,
    /// Reports of units the register does not have: in no figure, listed here.
    pub stray_units: Vec<StrayUnit>,
    /// (unit, submission id) landed with different contents: the first acceptance is
    /// counted, the others listed here (and in `baocao history`).
    pub conflicts: Vec<Conflict>,
    /// Which versions the Chairman's report counts (the campaign's `count`): `received`
    /// (`summary.parquet`) or `approved` (`summary_approved.parquet`); lineage files
    /// written before review read as `received`.
    #[serde(default)]
    pub count: CountBasis,
}

/// The summary file of each basis: every accepted version, or approved versions only.
pub fn summary_file(basis: CountBasis) -> &'static str {
    match basis {
        CountBasis::Received => SUMMARY_FILE,
        CountBasis::Approved => APPROVED_SUMMARY_FILE,
    }
}

/// The rollup's results, also written to `dir`.
pub struct RollupOutput {
    /// `<out>/<campaign>/<milestone>/`.
    pub dir: Store,
    /// The summary of every accepted version (`summary.parquet`).
    pub summary: RecordBatch,
    /// The summary of approved versions only (`summary_approved.parquet`), side by side
    /// with [`RollupOutput::summary`].
    pub summary_approved: RecordBatch,
    /// Expected units late or missing (`late_and_missing.parquet`).
    pub late_and_missing: RecordBatch,
    /// Lineage (`lineage.json`).
    pub lineage: Lineage,
}

/// Landed reports of a unit the campaign's register does not have (it was removed or
/// renamed): counted in no summary row, listed apart in the lineage.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StrayUnit {
    /// The unit code the reports carry.
    pub unit_code: String,
    /// Landed rows of its reports.
    pub landed_rows: i64,
}

/// One (unit, submission id) landed with different contents (two gateway replicas
/// accepted a reused id at the same moment): the first acceptance is counted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conflict {
    /// The unit.
    pub unit_code: String,
    /// The reused id.
    pub submission_id: String,
    /// Landed copies under this key.
    pub copies: i64,
    /// Receipt of the copy counted (ms since the epoch).
    pub counted_received_at: i64,
}

impl RollupOutput {
    /// The summary the Chairman's report counts (the lineage's `count`).
    pub fn counted_summary(&self) -> &RecordBatch {
        match self.lineage.count {
            CountBasis::Received => &self.summary,
            CountBasis::Approved => &self.summary_approved,
        }
    }
}

/// One reminder of `reminders.json` (written by `baocao remind` beside the summaries;
/// only the fields the report reads).
#[derive(serde::Deserialize)]
struct SentReminder {
    unit: String,
    step: String,
    at: DateTime<Utc>,
}

/// The reminders sent for `milestone` of `campaign` per unit — (occasions, last day,
/// Vietnam time) — from `<out>/<campaign>/<milestone>/reminders.json` (none when the file
/// is not there: no reminder was sent).
pub async fn reminders_sent(
    out: &Store,
    campaign: &Campaign,
    milestone: &Milestone,
) -> Result<BTreeMap<String, (u32, NaiveDate)>> {
    const FILE: &str = REMINDERS_FILE;
    let dir = out.join(&format!("{}/{}", campaign.id, milestone.id));
    let mut sent = BTreeMap::new();
    if !dir.list().await?.iter().any(|f| f.relative == FILE) {
        return Ok(sent);
    }
    let bytes = dir.get(FILE).await?;
    let reminders: Vec<SentReminder> =
        serde_json::from_slice(&bytes).map_err(|err| Error::Output {
            location: dir.join(FILE).to_string(),
            source: Box::new(err),
        })?;
    let mut steps: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for reminder in reminders {
        let day = baocao_registry::vietnam_date(reminder.at);
        steps
            .entry(reminder.unit.clone())
            .or_default()
            .insert(reminder.step);
        let entry = sent.entry(reminder.unit).or_insert((0, day));
        entry.1 = entry.1.max(day);
    }
    for (unit, entry) in &mut sent {
        entry.0 = steps.get(unit).map_or(0, |s| s.len() as u32);
    }
    Ok(sent)
}
