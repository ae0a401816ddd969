//! The analysts' catalog: every table baocao produces, registered in one DataFusion
//! session for ad-hoc SQL (`baocao query`): the registry, the raw history, de-duplicated
//! and per-unit views, and every summary written so far. With an as-of day, the history
//! is cut there, so any question can be asked "as it stood then".

use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{BooleanArray, Date32Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
use baocao_landing::rows::date32;
use baocao_landing::{SUBMISSIONS_SCHEMA, SYSTEMS_SCHEMA};
use baocao_registry::Registry;
use chrono::NaiveDate;
use datafusion::prelude::{ParquetReadOptions, SessionConfig, SessionContext, lit};

use crate::rollup::{end_of_vietnam_day_ms, register_raw};
use crate::units_table::units_batch;
use crate::{Error, Result};

/// Where the catalog's data lives.
pub struct CatalogSources<'a> {
    /// The registry.
    pub registry: &'a Registry,
    /// Root of the raw landing tables.
    pub landing_dir: &'a Path,
    /// Root of the summaries (`<out>/<campaign>/<milestone>/summary.parquet`).
    pub summaries_dir: &'a Path,
    /// Cut the history at the end of this Vietnam day.
    pub as_of: Option<NaiveDate>,
}

/// Tables and views of the catalog, with what each holds (also `SHOW TABLES`).
pub const CATALOG_TABLES: &[(&str, &str)] = &[
    (
        "units",
        "every reporting unit with its kind, tier and province/district/commune",
    ),
    (
        "campaigns",
        "campaigns: province, window, consolidating unit",
    ),
    (
        "milestones",
        "milestones of every campaign with unit and report deadlines",
    ),
    (
        "submissions_raw",
        "every landed submission row (copies of re-delivered records included)",
    ),
    ("systems_raw", "every landed camera-system row"),
    (
        "submissions",
        "accepted submissions, one row per submission_id (first acceptance)",
    ),
    (
        "systems",
        "camera systems of accepted submissions, one row per (submission_id, system_code)",
    ),
    (
        "unit_state",
        "each unit's latest accepted submission per campaign (corrections applied)",
    ),
    (
        "summaries",
        "every summary.parquet written, with campaign_id and milestone_id",
    ),
    (
        "late_and_missing",
        "every late_and_missing.parquet written, with campaign_id and milestone_id",
    ),
];

fn campaigns_batches(registry: &Registry) -> Result<(RecordBatch, RecordBatch)> {
    let campaigns = registry.campaigns();
    let campaign_schema = Arc::new(Schema::new(vec![
        Field::new("campaign_id", DataType::Utf8, false),
        Field::new("name", DataType::Utf8, false),
        Field::new("province_code", DataType::Utf8, false),
        Field::new("consolidating_unit", DataType::Utf8, false),
        Field::new("opens_on", DataType::Date32, false),
        Field::new("closes_on", DataType::Date32, true),
    ]));
    let strings = |f: &dyn Fn(&baocao_registry::Campaign) -> String| {
        Arc::new(StringArray::from(
            campaigns.iter().map(f).collect::<Vec<_>>(),
        ))
    };
    let campaign_batch = RecordBatch::try_new(
        campaign_schema,
        vec![
            strings(&|c| c.id.clone()),
            strings(&|c| c.name.clone()),
            strings(&|c| c.province.clone()),
            strings(&|c| c.consolidating_unit.clone()),
            Arc::new(Date32Array::from(
                campaigns
                    .iter()
                    .map(|c| date32(c.opens_on))
                    .collect::<Vec<_>>(),
            )),
            Arc::new(Date32Array::from(
                campaigns
                    .iter()
                    .map(|c| c.closes_on.map(date32))
                    .collect::<Vec<_>>(),
            )),
        ],
    )?;
    let milestones: Vec<_> = campaigns
        .iter()
        .flat_map(|c| c.milestones.iter().map(move |m| (c, m)))
        .collect();
    let milestone_schema = Arc::new(Schema::new(vec![
        Field::new("campaign_id", DataType::Utf8, false),
        Field::new("milestone_id", DataType::Utf8, false),
        Field::new("name", DataType::Utf8, false),
        Field::new("measure", DataType::Utf8, false),
        Field::new("unit_deadline", DataType::Date32, false),
        Field::new("report_deadline", DataType::Date32, false),
        Field::new("is_last", DataType::Boolean, false),
    ]));
    let milestone_batch = RecordBatch::try_new(
        milestone_schema,
        vec![
            Arc::new(StringArray::from(
                milestones
                    .iter()
                    .map(|(c, _)| c.id.clone())
                    .collect::<Vec<_>>(),
            )),
            Arc::new(StringArray::from(
                milestones
                    .iter()
                    .map(|(_, m)| m.id.clone())
                    .collect::<Vec<_>>(),
            )),
            Arc::new(StringArray::from(
                milestones
                    .iter()
                    .map(|(_, m)| m.name.clone())
                    .collect::<Vec<_>>(),
            )),
            Arc::new(StringArray::from(
                milestones
                    .iter()
                    .map(|(_, m)| m.measure.as_str())
                    .collect::<Vec<_>>(),
            )),
            Arc::new(Date32Array::from(
                milestones
                    .iter()
                    .map(|(_, m)| date32(m.unit_deadline))
                    .collect::<Vec<_>>(),
            )),
            Arc::new(Date32Array::from(
                milestones
                    .iter()
                    .map(|(_, m)| date32(m.report_deadline))
                    .collect::<Vec<_>>(),
            )),
            Arc::new(BooleanArray::from(
                milestones
                    .iter()
                    .map(|(c, m)| c.milestones.last().is_some_and(|last| last.id == m.id))
                    .collect::<Vec<_>>(),
            )),
        ],
    )?;
    Ok((campaign_batch, milestone_batch))
}

/// `(campaign, milestone, file)` of every `<root>/<campaign>/<milestone>/<name>`.
fn written_outputs(root: &Path, name: &str) -> Vec<(String, String, PathBuf)> {
    let mut found = Vec::new();
    let Ok(campaigns) = std::fs::read_dir(root) else {
        return found;
    };
    for campaign in campaigns.flatten().filter(|e| e.path().is_dir()) {
        let Ok(milestones) = std::fs::read_dir(campaign.path()) else {
            continue;
        };
        for milestone in milestones.flatten() {
            let file = milestone.path().join(name);
            if file.is_file() {
                found.push((
                    campaign.file_name().to_string_lossy().to_string(),
                    milestone.file_name().to_string_lossy().to_string(),
                    file,
                ));
            }
        }
    }
    found.sort();
    found
}

/// Registers `name` as the union of written output files, each with its campaign and
/// milestone as leading columns. Nothing written yet: the table is not registered.
async fn register_outputs(ctx: &SessionContext, root: &Path, file: &str, name: &str) -> Result<()> {
    let mut union = None;
    for (campaign, milestone, path) in written_outputs(root, file) {
        let frame = ctx
            .read_parquet(path.display().to_string(), ParquetReadOptions::default())
            .await?;
        let mut columns = vec![
            lit(campaign).alias("campaign_id"),
            lit(milestone).alias("milestone_id"),
        ];
        columns.extend(
            frame
                .schema()
                .columns()
                .into_iter()
                .map(datafusion::prelude::Expr::Column),
        );
        let frame = frame.select(columns)?;
        union = Some(match union {
            None => frame,
            Some(previous) => frame.union(previous)?,
        });
    }
    if let Some(frame) = union {
        ctx.register_table(name, frame.into_view())?;
    }
    Ok(())
}

/// A session with the whole catalog registered.
pub async fn catalog_session(sources: &CatalogSources<'_>) -> Result<SessionContext> {
    let config = SessionConfig::new()
        .set_bool(
            "datafusion.execution.parquet.schema_force_view_types",
            false,
        )
        .with_information_schema(true);
    let ctx = SessionContext::new_with_config(config);
    ctx.register_batch("units", units_batch(sources.registry, None)?)?;
    let (campaigns, milestones) = campaigns_batches(sources.registry)?;
    ctx.register_batch("campaigns", campaigns)?;
    ctx.register_batch("milestones", milestones)?;

    register_raw(
        &ctx,
        "landed_submissions",
        &sources.landing_dir.join("submissions"),
        &SUBMISSIONS_SCHEMA,
    )
    .await?;
    register_raw(
        &ctx,
        "landed_systems",
        &sources.landing_dir.join("systems"),
        &SYSTEMS_SCHEMA,
    )
    .await?;
    let cut = match sources.as_of {
        Some(day) => format!(
            "WHERE received_at < arrow_cast({}, 'Timestamp(ms, \"UTC\")')",
            end_of_vietnam_day_ms(day)
        ),
        None => String::new(),
    };
    let views = [
        format!("CREATE VIEW submissions_raw AS SELECT * FROM landed_submissions {cut}"),
        format!("CREATE VIEW systems_raw AS SELECT * FROM landed_systems {cut}"),
        "CREATE VIEW submissions AS SELECT * EXCLUDE (copy_rank) FROM (
           SELECT *, ROW_NUMBER() OVER (PARTITION BY submission_id
             ORDER BY received_at, kafka_partition, kafka_offset) AS copy_rank
           FROM submissions_raw) WHERE copy_rank = 1"
            .to_string(),
        "CREATE VIEW systems AS SELECT * EXCLUDE (copy_rank) FROM (
           SELECT *, ROW_NUMBER() OVER (PARTITION BY submission_id, system_code
             ORDER BY kafka_partition, kafka_offset) AS copy_rank
           FROM systems_raw) WHERE copy_rank = 1"
            .to_string(),
        "CREATE VIEW unit_state AS SELECT * EXCLUDE (version_rank) FROM (
           SELECT *, ROW_NUMBER() OVER (PARTITION BY campaign_id, unit_code
             ORDER BY received_at DESC, submission_id DESC) AS version_rank
           FROM submissions) WHERE version_rank = 1"
            .to_string(),
    ];
    for view in views {
        ctx.sql(&view).await?;
    }
    register_outputs(&ctx, sources.summaries_dir, "summary.parquet", "summaries").await?;
    register_outputs(
        &ctx,
        sources.summaries_dir,
        "late_and_missing.parquet",
        "late_and_missing",
    )
    .await?;
    Ok(ctx)
}

/// Runs one SQL statement against the catalog and returns its batches.
pub async fn run_query(ctx: &SessionContext, sql: &str) -> Result<Vec<RecordBatch>> {
    let frame = ctx
        .sql(sql)
        .await
        .map_err(|err| Error::Request(format!("{err}")))?;
    Ok(frame.collect().await?)
}
