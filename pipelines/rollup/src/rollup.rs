//! Running a rollup: register the raw tables of one campaign, the registry and the
//! parameters in DataFusion, run the SQL of [`crate::sql`], and write the summaries under
//! `<out>/<campaign>/<milestone>/` (a directory or a bucket prefix).

use std::sync::Arc;

use arrow::array::{RecordBatch, StringArray, TimestampMillisecondArray};
use arrow::datatypes::{DataType, Field, Schema, TimeUnit};
use baocao_catalog::outputs::{LATE_AND_MISSING_FILE, LINEAGE_FILE};
use baocao_catalog::raw::{query, raw_table};
use baocao_catalog::{Lineage, RollupOutput, campaign_units_batch, summary_file};
use baocao_errors::Chain;
use baocao_registry::{Campaign, CountBasis, Milestone, Registry};
use baocao_registry::{end_of_vietnam_day_ms, start_of_vietnam_day_ms};
use baocao_store::{Progress, Store};
use baocao_tables::layout::{self, campaign_key};
use baocao_tables::{REVIEWS_SCHEMA, SUBMISSIONS_SCHEMA, SYSTEMS_SCHEMA};
use chrono::{DateTime, NaiveDate, Utc};
use datafusion::prelude::{SessionConfig, SessionContext};

use crate::latest::{Selected, Selection, register_latest, select};
use crate::{Error, Result, sql};

/// What to roll up.
pub struct RollupRequest<'a> {
    /// The registry (units, hierarchy).
    pub registry: &'a Registry,
    /// The campaign.
    pub campaign: &'a Campaign,
    /// The milestone whose unit deadline decides on-time vs late.
    pub milestone: &'a Milestone,
    /// Last day (Vietnam time, inclusive) of submissions counted.
    pub cut_off: NaiveDate,
    /// Root of the raw landing tables.
    pub landing: &'a Store,
    /// Root of the summaries.
    pub out: &'a Store,
    /// Write the summaries and the report even when no submission of the campaign is
    /// counted (every unit missing). Off: such a rollup is refused
    /// ([`Error::NothingLanded`]), since it is almost always a wrong landing location.
    pub allow_empty: bool,
    /// Where the rollup names the stage it is in, for display.
    pub progress: Option<&'a Progress>,
}

fn params_batch(
    campaign_id: &str,
    window_start_ms: i64,
    cut_off_ms: i64,
    unit_deadline_end_ms: i64,
) -> Result<RecordBatch> {
    let ts = DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into()));
    let schema = Arc::new(Schema::new(vec![
        Field::new("campaign_id", DataType::Utf8, false),
        Field::new("window_start", ts.clone(), false),
        Field::new("cut_off", ts.clone(), false),
        Field::new("unit_deadline_end", ts, false),
    ]));
    Ok(RecordBatch::try_new(
        schema,
        vec![
            Arc::new(StringArray::from(vec![campaign_id])),
            Arc::new(TimestampMillisecondArray::from(vec![window_start_ms]).with_timezone("UTC")),
            Arc::new(TimestampMillisecondArray::from(vec![cut_off_ms]).with_timezone("UTC")),
            Arc::new(
                TimestampMillisecondArray::from(vec![unit_deadline_end_ms]).with_timezone("UTC"),
            ),
        ],
    )?)
}

/// The per-unit rows counting `basis` from a selection: registers its `latest` and
/// `latest_systems` ([`crate::latest`]) and computes every unit of the registry with its
/// status and measures.
async fn per_unit_of(
    ctx: &SessionContext,
    selected: &Selected,
    basis: CountBasis,
) -> Result<RecordBatch> {
    register_latest(ctx, selected, basis)?;
    Ok(query(ctx, &sql::per_unit_over_latest_sql()).await?)
}

/// Makes `per_unit` the table the summary and late-list SQL read.
fn use_per_unit(ctx: &SessionContext, per_unit: RecordBatch) -> Result<()> {
    ctx.deregister_table("per_unit")?;
    ctx.register_batch("per_unit", per_unit)?;
    Ok(())
}

/// Registers in a [`session`] the tables every output of a rollup counting `basis` reads:
/// `latest` and `latest_systems` ([`crate::latest`]), and `per_unit`, every unit of the
/// registry with its status and measures. Returns what the selection read (the lineage's
/// counts).
pub async fn register_per_unit(ctx: &SessionContext, basis: CountBasis) -> Result<Selection> {
    let selected = select(ctx).await?;
    let per_unit = per_unit_of(ctx, &selected, basis).await?;
    use_per_unit(ctx, per_unit)?;
    Ok(selected.selection)
}

/// A session reading the landing tables of one campaign with the registry and parameters.
pub async fn session(
    registry: &Registry,
    campaign: &Campaign,
    milestone: &Milestone,
    cut_off: NaiveDate,
    landing: &Store,
) -> Result<SessionContext> {
    let config = SessionConfig::new().set_bool(
        "datafusion.execution.parquet.schema_force_view_types",
        false,
    );
    let ctx = SessionContext::new_with_config(config);
    let campaign_dir = |table: &str| landing.join(&campaign_key(table, &campaign.id));
    ctx.register_table(
        "submissions",
        raw_table(
            &ctx,
            &campaign_dir(layout::SUBMISSIONS),
            &SUBMISSIONS_SCHEMA,
        )
        .await?,
    )?;
    ctx.register_table(
        "systems",
        raw_table(&ctx, &campaign_dir(layout::SYSTEMS), &SYSTEMS_SCHEMA).await?,
    )?;
    ctx.register_table(
        "reviews",
        raw_table(&ctx, &campaign_dir(layout::REVIEWS), &REVIEWS_SCHEMA).await?,
    )?;
    ctx.register_batch("units", campaign_units_batch(registry, campaign)?)?;
    let params = params_batch(
        &campaign.id,
        start_of_vietnam_day_ms(milestone.opens_on),
        end_of_vietnam_day_ms(cut_off),
        end_of_vietnam_day_ms(milestone.unit_deadline),
    )?;
    ctx.register_batch("rollup_params", params)?;
    Ok(ctx)
}

/// Whether a failed rollup read a landed file that compaction removed between listing
/// and opening it (the merged rows are in a new segment: running again sees them).
fn is_vanished_file(err: &Error) -> bool {
    let Error::DataFusion(err) = err else {
        return false;
    };
    // Walk the causes: DataFusion wraps the I/O, object-store and Parquet errors (and a
    // Parquet error may wrap the object store's) as sources.
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(current) = cause {
        if current
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::NotFound)
            || current
                .downcast_ref::<datafusion::object_store::Error>()
                .is_some_and(|os| matches!(os, datafusion::object_store::Error::NotFound { .. }))
        {
            return true;
        }
        cause = current.source();
    }
    false
}

/// Rolls up one milestone of a campaign and writes `summary.parquet` (every accepted
/// version), `summary_approved.parquet` (approved versions), `late_and_missing.parquet`
/// and `lineage.json`. A run that loses a race with
/// compaction (a file it listed was merged away) is run again, up to twice.
pub async fn run_rollup(request: &RollupRequest<'_>) -> Result<RollupOutput> {
    let mut attempt = 1;
    loop {
        match run_rollup_once(request).await {
            Err(err) if attempt < 3 && is_vanished_file(&err) => {
                tracing::warn!(error = %Chain(&err), attempt, "a landed file was compacted away mid-rollup; running again");
                attempt += 1;
            }
            result => return result,
        }
    }
}

async fn run_rollup_once(request: &RollupRequest<'_>) -> Result<RollupOutput> {
    let RollupRequest {
        registry,
        campaign,
        milestone,
        cut_off,
        landing,
        out,
        progress,
        ..
    } = request;
    let stage = |name: &str| {
        if let Some(progress) = progress {
            progress.stage(name);
        }
    };
    if *cut_off < campaign.opens_on {
        return Err(Error::Request(format!(
            "cut-off {cut_off} is before campaign {} opens ({})",
            campaign.id, campaign.opens_on
        )));
    }
    let mut timings = Timings::start();
    stage("reading the landing");
    let ctx = session(registry, campaign, milestone, *cut_off, landing).await?;
    timings.lap("session_ms");
    // The expensive part (dedup by id, latest version per unit, per-unit sums) once per
    // basis; the summaries and the late-and-missing list read it.
    stage("latest version per unit");
    let selected = select(&ctx).await?;
    refuse_empty(request, &selected.selection)?;
    let approved_per_unit = per_unit_of(&ctx, &selected, CountBasis::Approved).await?;
    let received_per_unit = per_unit_of(&ctx, &selected, CountBasis::Received).await?;
    timings.lap("select_ms");
    stage("summaries");
    use_per_unit(&ctx, approved_per_unit)?;
    let summary_approved = query(&ctx, &sql::summary_over_per_unit_sql()).await?;
    use_per_unit(&ctx, received_per_unit)?;
    let summary = query(&ctx, &sql::summary_over_per_unit_sql()).await?;
    timings.lap("summary_ms");
    let dir = out.join(&format!("{}/{}", campaign.id, milestone.id));
    // The summaries are encoded and written while the late-and-missing list is computed.
    let summaries_written = tokio::spawn({
        let dir = dir.clone();
        let (summary, summary_approved) = (summary.clone(), summary_approved.clone());
        async move {
            dir.put_parquet(summary_file(CountBasis::Received), summary)
                .await?;
            dir.put_parquet(summary_file(CountBasis::Approved), summary_approved)
                .await
        }
    });
    stage("late and missing units");
    // Reporting (on time, late, missing) does not depend on review: the list is the same
    // for both bases.
    let late_and_missing = query(&ctx, &sql::late_and_missing_over_per_unit_sql()).await?;
    timings.lap("late_and_missing_ms");
    let lineage = lineage_of(request, selected.selection);
    stage("writing");
    dir.put_parquet(LATE_AND_MISSING_FILE, late_and_missing.clone())
        .await?;
    summaries_written.await.map_err(|err| Error::Output {
        location: dir.join(summary_file(CountBasis::Received)).to_string(),
        source: Box::new(err),
    })??;
    write_lineage(&dir, &lineage).await?;
    timings.lap("write_ms");
    record_success(request, &lineage, summary.num_rows(), &timings);
    Ok(RollupOutput {
        dir,
        summary,
        late_and_missing,
        summary_approved,
        lineage,
    })
}

/// How long each step of a rollup took, for its log line.
struct Timings {
    started: std::time::Instant,
    last: std::time::Duration,
    laps: Vec<(&'static str, u64)>,
}

impl Timings {
    fn start() -> Self {
        Timings {
            started: std::time::Instant::now(),
            last: std::time::Duration::ZERO,
            laps: Vec::new(),
        }
    }

    /// Ends the step `name` now.
    fn lap(&mut self, name: &'static str) {
        let now = self.started.elapsed();
        self.laps.push((name, (now - self.last).as_millis() as u64));
        self.last = now;
    }

    fn lap_ms(&self, name: &str) -> u64 {
        self.laps
            .iter()
            .find(|(lap, _)| *lap == name)
            .map_or(0, |(_, ms)| *ms)
    }
}

/// Refuses a rollup that counts no submission, unless an empty report was asked for.
fn refuse_empty(request: &RollupRequest<'_>, selection: &Selection) -> Result<()> {
    if selection.submissions > 0 || request.allow_empty {
        return Ok(());
    }
    let missing_dir = request.landing.as_local().is_some_and(|dir| !dir.exists());
    Err(Error::NothingLanded {
        campaign: request.campaign.id.clone(),
        cut_off: request.cut_off,
        landing: request.landing.to_string(),
        hint: if missing_dir {
            " (this directory does not exist)"
        } else {
            ""
        },
    })
}

/// Where the figures come from; warns about conflicts and strays it lists.
fn lineage_of(request: &RollupRequest<'_>, selection: Selection) -> Lineage {
    let timestamp = |ms: Option<i64>| ms.and_then(DateTime::from_timestamp_millis);
    let lineage = Lineage {
        campaign_id: request.campaign.id.clone(),
        milestone_id: request.milestone.id.clone(),
        cut_off_date: request.cut_off,
        unit_deadline: request.milestone.unit_deadline,
        submissions: selection.submissions,
        landed_rows: selection.landed_rows,
        units: selection.units,
        first_received_at: timestamp(selection.first_received_at),
        last_received_at: timestamp(selection.last_received_at),
        generated_at: Utc::now(),
        landing_dir: request.landing.to_string(),
        window_opens_on: request.milestone.opens_on,
        stray_units: selection.stray_units,
        conflicts: selection.conflicts,
        count: request.campaign.count,
    };
    if !lineage.conflicts.is_empty() {
        tracing::warn!(
            conflicts = lineage.conflicts.len(),
            "submission ids landed with different contents for one unit; the first acceptance is counted (lineage.json lists them)"
        );
    }
    if !lineage.stray_units.is_empty() {
        tracing::warn!(
            units = lineage.stray_units.len(),
            "reports of units not in the register are left out of the figures (lineage.json lists them)"
        );
    }
    lineage
}

async fn write_lineage(dir: &Store, lineage: &Lineage) -> Result<()> {
    let json = serde_json::to_string_pretty(lineage).map_err(|err| Error::Output {
        location: dir.join(LINEAGE_FILE).to_string(),
        source: Box::new(err),
    })?;
    dir.put(LINEAGE_FILE, json.into_bytes()).await?;
    Ok(())
}

/// The log line and metrics of a written rollup.
fn record_success(request: &RollupRequest<'_>, lineage: &Lineage, rows: usize, timings: &Timings) {
    let elapsed = timings.started.elapsed();
    tracing::info!(
        campaign = %request.campaign.id,
        milestone = %request.milestone.id,
        cut_off = %request.cut_off,
        rows,
        submissions = lineage.submissions,
        select_ms = timings.lap_ms("select_ms"),
        session_ms = timings.lap_ms("session_ms"),
        summary_ms = timings.lap_ms("summary_ms"),
        late_and_missing_ms = timings.lap_ms("late_and_missing_ms"),
        write_ms = timings.lap_ms("write_ms"),
        elapsed_ms = elapsed.as_millis() as u64,
        "rollup written"
    );
    let labels = [
        ("campaign", request.campaign.id.clone()),
        ("milestone", request.milestone.id.clone()),
    ];
    metrics::histogram!("baocao_rollup_duration_seconds", &labels).record(elapsed.as_secs_f64());
    metrics::gauge!("baocao_rollup_last_success_timestamp_seconds", &labels)
        .set(lineage.generated_at.timestamp() as f64);
    metrics::gauge!("baocao_rollup_submissions", &labels).set(lineage.submissions as f64);
}

#[cfg(test)]
mod tests {
    use datafusion::error::DataFusionError;
    use datafusion::object_store;
    use datafusion::parquet::errors::ParquetError;

    use super::*;

    fn object_not_found() -> object_store::Error {
        object_store::Error::NotFound {
            path: "landing/submissions/campaign=c/part-1.parquet".into(),
            source: "404".into(),
        }
    }

    /// The shapes a file removed by compaction takes when DataFusion meets it: a local
    /// open (ENOENT), an object store's 404 on listing or opening, and the same 404
    /// inside the Parquet reader. Other failures are not retried.
    #[test]
    fn a_file_compacted_away_is_told_from_other_failures() {
        let vanished = [
            DataFusionError::IoError(std::io::Error::from_raw_os_error(2)),
            DataFusionError::ObjectStore(Box::new(object_not_found())),
            DataFusionError::ParquetError(Box::new(ParquetError::External(Box::new(
                object_not_found(),
            )))),
        ];
        for err in vanished {
            let err = Error::DataFusion(err);
            assert!(is_vanished_file(&err), "{err}");
        }
        let other = [
            Error::DataFusion(DataFusionError::Plan("division by zero".into())),
            Error::DataFusion(DataFusionError::IoError(std::io::Error::from_raw_os_error(
                13,
            ))),
            Error::Request("campaign not found".into()),
        ];
        for err in other {
            assert!(!is_vanished_file(&err), "{err}");
        }
    }
}
