//! The analysts' catalog: every table baocao produces, registered in one DataFusion
//! session for ad-hoc SQL (`baocao query`): the registry, the raw history, de-duplicated
//! and per-unit views, and every summary written so far. With an as-of day, the history
//! is cut there, so any question can be asked "as it stood then".

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, BooleanArray, Date32Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use baocao_registry::Registry;
use baocao_store::Store;
use baocao_tables::layout;
use baocao_tables::{REVIEWS_SCHEMA, SUBMISSIONS_SCHEMA, SYSTEMS_SCHEMA, date32};
use chrono::NaiveDate;
use datafusion::dataframe::DataFrame;
use datafusion::prelude::{Expr, ParquetReadOptions, SessionConfig, SessionContext, col, lit};
use datafusion::scalar::ScalarValue;

use crate::raw::{end_of_vietnam_day_ms, raw_table, register_store};
use crate::sql::{DECISION_ORDER, FIRST_COPY_ORDER, LATEST_VERSION_ORDER};
use crate::units_table::units_batch;
use crate::{Error, Result};

/// Where the catalog's data lives.
pub struct CatalogSources<'a> {
    /// The registry.
    pub registry: &'a Registry,
    /// Root of the raw landing tables (a directory or a bucket prefix).
    pub landing: &'a Store,
    /// Root of the summaries (`<out>/<campaign>/<milestone>/summary.parquet`).
    pub summaries: &'a Store,
    /// Cut the history at the end of this Vietnam day.
    pub as_of: Option<NaiveDate>,
    /// Limit every table to the subtree of this administrative code (an analyst's
    /// scope); `None` is everything.
    pub scope: Option<&'a str>,
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
        "area_map",
        "where each area of an older register lies on a newer one (2023 → 2025): join history across a reform",
    ),
    (
        "submissions_raw",
        "every landed submission row (copies of re-delivered records included)",
    ),
    ("systems_raw", "every landed camera-system row"),
    (
        "submissions",
        "accepted submissions, one row per (unit_code, submission_id) (first acceptance)",
    ),
    (
        "systems",
        "camera systems of accepted submissions, one row per (unit_code, submission_id, system_code)",
    ),
    (
        "unit_state",
        "each unit's latest accepted submission per campaign (corrections applied)",
    ),
    (
        "reviews",
        "every landed review decision (approve / return) of a version (unit_code, submission_id)",
    ),
    (
        "review_decisions",
        "the decision that counts per version: the first in the reviews topic (older files without a position: the earliest reviewed_at, approve before return)",
    ),
    (
        "review_state",
        "each unit's latest version per campaign and its review: pending, approve or return (a reviewer's backlog is its pending rows)",
    ),
    (
        "weekly_trend",
        "per campaign and week (Monday 00:00 UTC): units reported and systems approved / implemented by then",
    ),
    (
        "summaries",
        "every summary.parquet written (each unit's latest received version counted), with campaign_id and milestone_id",
    ),
    (
        "summaries_approved",
        "every summary_approved.parquet written (each unit's latest approved version counted), same columns",
    ),
    (
        "late_and_missing",
        "every late_and_missing.parquet written, with campaign_id and milestone_id",
    ),
];

fn campaigns_batches(registry: &Registry) -> Result<(RecordBatch, RecordBatch)> {
    Ok((
        campaigns_batch(registry.campaigns())?,
        milestones_batch(registry.campaigns())?,
    ))
}

/// The `campaigns` table.
fn campaigns_batch(campaigns: &[baocao_registry::Campaign]) -> Result<RecordBatch> {
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
    Ok(RecordBatch::try_new(
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
    )?)
}

/// The `milestones` table: every milestone of every campaign, `is_last` for the last.
fn milestones_batch(campaigns: &[baocao_registry::Campaign]) -> Result<RecordBatch> {
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
    type CampaignMilestone<'a> = (
        &'a baocao_registry::Campaign,
        &'a baocao_registry::Milestone,
    );
    let texts = |f: &dyn Fn(&CampaignMilestone) -> String| {
        Arc::new(StringArray::from(
            milestones.iter().map(f).collect::<Vec<_>>(),
        ))
    };
    let dates = |f: &dyn Fn(&CampaignMilestone) -> NaiveDate| {
        Arc::new(Date32Array::from(
            milestones
                .iter()
                .map(|cm| date32(f(cm)))
                .collect::<Vec<_>>(),
        ))
    };
    Ok(RecordBatch::try_new(
        milestone_schema,
        vec![
            texts(&|(c, _)| c.id.clone()),
            texts(&|(_, m)| m.id.clone()),
            texts(&|(_, m)| m.name.clone()),
            texts(&|(_, m)| m.measure.as_str().to_string()),
            dates(&|(_, m)| m.unit_deadline),
            dates(&|(_, m)| m.report_deadline),
            Arc::new(BooleanArray::from(
                milestones
                    .iter()
                    .map(|(c, m)| c.milestones.last().is_some_and(|last| last.id == m.id))
                    .collect::<Vec<_>>(),
            )),
        ],
    )?)
}

/// `(campaign, milestone, URL)` of every `<root>/<campaign>/<milestone>/<name>`.
async fn written_outputs(root: &Store, name: &str) -> Result<Vec<(String, String, String)>> {
    let mut found = Vec::new();
    for file in root.list().await? {
        let parts: Vec<&str> = file.relative.split('/').collect();
        if let [campaign, milestone, file_name] = parts[..]
            && file_name == name
        {
            found.push((
                campaign.to_string(),
                milestone.to_string(),
                root.file_url(&file.relative)?,
            ));
        }
    }
    Ok(found)
}

/// The union of written output files, each with its campaign and milestone as leading
/// columns; `None` when nothing is written yet.
async fn written_frame(
    ctx: &SessionContext,
    root: &Store,
    file: &str,
) -> Result<Option<DataFrame>> {
    register_store(ctx, root);
    let mut union: Option<DataFrame> = None;
    for (campaign, milestone, url) in written_outputs(root, file).await? {
        let frame = ctx.read_parquet(url, ParquetReadOptions::default()).await?;
        let mut columns = vec![
            lit(campaign).alias("campaign_id"),
            lit(milestone).alias("milestone_id"),
        ];
        columns.extend(frame.schema().columns().into_iter().map(Expr::Column));
        let frame = frame.select(columns)?;
        union = Some(match union {
            None => frame,
            // By name: summaries written before a column was appended (the review
            // columns) read with nulls there instead of failing the catalog.
            Some(previous) => frame.union_by_name(previous)?,
        });
    }
    Ok(union)
}

/// A raw landing table as a DataFrame. It is never registered by name, so a scoped
/// session cannot reach it unfiltered.
async fn raw_frame(ctx: &SessionContext, store: &Store, schema: &SchemaRef) -> Result<DataFrame> {
    Ok(ctx.read_table(raw_table(ctx, store, schema).await?)?)
}

/// The catalog's views over the raw tables: the selection rule of `docs/schema.md` (first
/// copy per (unit, id); latest version per unit) in SQL, and the weekly trend.
fn catalog_views() -> [String; 6] {
    [
        // One row per (unit, submission id): its first acceptance. Two units may use one id.
        // `received_at_vn`: the same instant shown in Vietnam time (UTC+7), beside the
        // UTC one; `received_date` is already the Vietnam day.
        format!(
            r#"CREATE VIEW submissions AS SELECT * EXCLUDE (copy_rank),
           arrow_cast(received_at, 'Timestamp(Millisecond, Some("+07:00"))') AS received_at_vn
         FROM (
           SELECT *, ROW_NUMBER() OVER (PARTITION BY campaign_id, unit_code, submission_id
             ORDER BY {FIRST_COPY_ORDER}) AS copy_rank
           FROM submissions_raw) WHERE copy_rank = 1"#
        ),
        // The systems of that counted copy (the record at its Kafka position), one of each
        // code should the record have landed twice.
        "CREATE VIEW systems AS SELECT * EXCLUDE (copy_rank) FROM (
           SELECT y.*, ROW_NUMBER() OVER (
               PARTITION BY y.campaign_id, y.unit_code, y.submission_id, y.system_code
               ORDER BY y.received_date) AS copy_rank
           FROM systems_raw y JOIN submissions s
             ON y.campaign_id = s.campaign_id AND y.unit_code = s.unit_code
            AND y.submission_id = s.submission_id
            AND y.kafka_partition = s.kafka_partition AND y.kafka_offset = s.kafka_offset)
         WHERE copy_rank = 1"
            .to_string(),
        format!(
            "CREATE VIEW unit_state AS SELECT * EXCLUDE (version_rank) FROM (
           SELECT *, ROW_NUMBER() OVER (PARTITION BY campaign_id, unit_code
             ORDER BY {LATEST_VERSION_ORDER}) AS version_rank
           FROM submissions) WHERE version_rank = 1"
        ),
        // The state at the end of every week in which reports arrived (weeks start on
        // Monday 00:00 UTC): each unit's latest report by then, its systems summed.
        format!(
            "CREATE VIEW weekly_trend AS
         WITH weeks AS (
           SELECT DISTINCT campaign_id, date_trunc('week', received_at) AS week_start FROM submissions),
         state AS (
           SELECT w.campaign_id, w.week_start, s.unit_code, s.submission_id,
             ROW_NUMBER() OVER (PARTITION BY w.campaign_id, w.week_start, s.unit_code
               ORDER BY {LATEST_VERSION_ORDER}) AS version_rank
           FROM weeks w JOIN submissions s
             ON s.campaign_id = w.campaign_id AND s.received_at < w.week_start + INTERVAL '7 days')
         SELECT st.campaign_id, st.week_start,
           count(DISTINCT st.unit_code) AS units_reported,
           count(y.system_code) AS systems,
           sum(CASE WHEN y.dossier_status = 'approved' THEN 1 ELSE 0 END) AS approved,
           sum(CASE WHEN y.plan_status = 'implemented' THEN 1 ELSE 0 END) AS implemented
         FROM state st LEFT JOIN systems y
           ON y.campaign_id = st.campaign_id AND y.unit_code = st.unit_code
          AND y.submission_id = st.submission_id
         WHERE st.version_rank = 1
         GROUP BY st.campaign_id, st.week_start"
        ),
        // The decision that counts for each version: the first one recorded.
        format!("CREATE VIEW review_decisions AS SELECT * EXCLUDE (decision_rank) FROM (
           SELECT *, ROW_NUMBER() OVER (PARTITION BY unit_code, submission_id
             ORDER BY {DECISION_ORDER}) AS decision_rank
           FROM reviews) WHERE decision_rank = 1"
        ),
        // Each unit's latest version with its review state, and the reviewers' backlog:
        // latest versions nobody has approved or returned yet.
        "CREATE VIEW review_state AS
         SELECT s.campaign_id, s.unit_code, s.submission_id, s.received_at,
           COALESCE(d.decision, 'pending') AS review_state, d.reviewer_unit, d.reason, d.reviewed_at
         FROM unit_state s LEFT JOIN review_decisions d
           ON d.unit_code = s.unit_code AND d.submission_id = s.submission_id"
            .to_string(),
    ]
}

/// A session with the whole catalog registered. With a scope, every table holding units
/// is filtered to the units inside it before it is registered, and nothing unfiltered is
/// reachable.
pub async fn catalog_session(sources: &CatalogSources<'_>) -> Result<SessionContext> {
    let config = SessionConfig::new()
        .set_bool(
            "datafusion.execution.parquet.schema_force_view_types",
            false,
        )
        .with_information_schema(true);
    let ctx = SessionContext::new_with_config(config);
    let (rule, units) = ScopeRule::new(units_batch(sources.registry, None)?, sources.scope)?;
    ctx.register_batch("units", units)?;
    let (campaigns, milestones) = campaigns_batches(sources.registry)?;
    ctx.register_batch("campaigns", campaigns)?;
    ctx.register_batch("milestones", milestones)?;
    ctx.register_batch("area_map", area_map_batch(sources.registry)?)?;
    register_raw_tables(&ctx, sources, &rule).await?;
    for view in catalog_views() {
        ctx.sql(&view).await?;
    }
    register_written_tables(&ctx, sources, &rule).await?;
    Ok(ctx)
}

/// What a scope may see, as filters on the catalog's tables: the one place that decides
/// it, for Flight SQL and the portal's dashboards alike. `units` and every table with a
/// `unit_code` keep the units inside the scope; `summaries` keeps the scope's own row and
/// everything beneath it, never the aggregate above it.
pub struct ScopeRule {
    scope: Option<String>,
    unit_codes: Vec<Expr>,
}

impl ScopeRule {
    /// The rule of `scope` (`None`: everything), and the rows of `all_units` (the
    /// `units` table of every unit) inside it.
    pub fn new(all_units: RecordBatch, scope: Option<&str>) -> Result<(ScopeRule, RecordBatch)> {
        let units = scoped_units(all_units, scope)?;
        let unit_codes = match scope {
            Some(_) => unit_code_literals(&units)?,
            None => Vec::new(),
        };
        let rule = ScopeRule {
            scope: scope.map(str::to_string),
            unit_codes,
        };
        Ok((rule, units))
    }

    /// A table with a `unit_code` column, cut to the scope's units.
    pub fn per_unit(&self, frame: DataFrame) -> Result<DataFrame> {
        Ok(match self.scope {
            Some(_) => frame.filter(col("unit_code").in_list(self.unit_codes.clone(), false))?,
            None => frame,
        })
    }

    /// `summaries`, cut to the scope's area and the areas beneath it.
    pub fn summaries(&self, frame: DataFrame) -> Result<DataFrame> {
        Ok(match &self.scope {
            Some(scope) => frame.filter(
                col("province_code")
                    .eq(lit(scope.as_str()))
                    .or(col("district_code").eq(lit(scope.as_str())))
                    .or(col("commune_code").eq(lit(scope.as_str()))),
            )?,
            None => frame,
        })
    }
}

/// The `area_map` table: every row of every `maps/<from>-<to>/areas.csv` of the data
/// directory (public register data, the same for every scope).
fn area_map_batch(registry: &Registry) -> Result<RecordBatch> {
    let maps = baocao_registry::area_maps(registry.dir())?;
    let mut columns: [Vec<String>; 7] = Default::default();
    for map in &maps {
        let mut areas: Vec<_> = map.areas().collect();
        areas.sort_by(|a, b| a.from_code.cmp(&b.from_code));
        for area in areas {
            let values = [
                &map.from,
                &map.to,
                &area.from_code,
                &area.from_level.as_str().to_string(),
                &area.to_code,
                &area.rule,
                &area.note,
            ];
            for (column, value) in columns.iter_mut().zip(values) {
                column.push(value.clone());
            }
        }
    }
    let names = [
        "from_register",
        "to_register",
        "from_code",
        "from_level",
        "to_code",
        "rule",
        "note",
    ];
    let schema = Arc::new(Schema::new(
        names
            .iter()
            .map(|n| Field::new(*n, DataType::Utf8, false))
            .collect::<Vec<_>>(),
    ));
    let arrays: Vec<ArrayRef> = columns
        .into_iter()
        .map(|c| Arc::new(StringArray::from(c)) as ArrayRef)
        .collect();
    Ok(RecordBatch::try_new(schema, arrays)?)
}

/// The `units` table of every unit of the register.
pub fn all_units(registry: &Registry) -> Result<RecordBatch> {
    units_batch(registry, None)
}

/// The registry's units inside `scope` (all of them without one).
fn scoped_units(units: RecordBatch, scope: Option<&str>) -> Result<RecordBatch> {
    let Some(scope) = scope else {
        return Ok(units);
    };
    let column = |name: &str| -> Result<ArrayRef> {
        let column = units
            .column_by_name(name)
            .ok_or_else(|| Error::Schema(format!("units: no column {name}")))?;
        Ok(arrow::compute::cast(column, &DataType::Utf8)?)
    };
    let (p, d, c) = (
        column("province_code")?,
        column("district_code")?,
        column("commune_code")?,
    );
    let inside: BooleanArray = (0..units.num_rows())
        .map(|i| {
            Some([&p, &d, &c].iter().any(|a| {
                let a = a.as_string::<i32>();
                !a.is_null(i) && a.value(i) == scope
            }))
        })
        .collect();
    Ok(arrow::compute::filter_record_batch(&units, &inside)?)
}

/// The units' codes as SQL literals (the scope filter of every per-unit table).
fn unit_code_literals(units: &RecordBatch) -> Result<Vec<Expr>> {
    let codes = units
        .column_by_name("unit_code")
        .ok_or_else(|| Error::Schema("units: no column unit_code".into()))?
        .as_string_opt::<i32>()
        .ok_or_else(|| Error::Schema("units: unit_code is not a string".into()))?;
    Ok((0..codes.len())
        .map(|i| lit(codes.value(i).to_string()))
        .collect())
}

/// `submissions_raw` and `systems_raw`: the landed rows in scope, cut at `as_of`.
async fn register_raw_tables(
    ctx: &SessionContext,
    sources: &CatalogSources<'_>,
    rule: &ScopeRule,
) -> Result<()> {
    let cut = |frame: DataFrame| -> Result<DataFrame> {
        Ok(match sources.as_of {
            Some(day) => {
                frame.filter(col("received_at").lt(lit(ScalarValue::TimestampMillisecond(
                    Some(end_of_vietnam_day_ms(day)),
                    Some("UTC".into()),
                ))))?
            }
            None => frame,
        })
    };
    for (name, table, schema) in [
        ("submissions_raw", layout::SUBMISSIONS, &SUBMISSIONS_SCHEMA),
        ("systems_raw", layout::SYSTEMS, &SYSTEMS_SCHEMA),
    ] {
        let frame = raw_frame(ctx, &sources.landing.join(table), schema).await?;
        ctx.register_table(name, rule.per_unit(cut(frame)?)?.into_view())?;
    }
    let reviews = raw_frame(ctx, &sources.landing.join(layout::REVIEWS), &REVIEWS_SCHEMA).await?;
    let reviews = match sources.as_of {
        Some(day) => reviews.filter(col("reviewed_at").lt(lit(
            ScalarValue::TimestampMillisecond(Some(end_of_vietnam_day_ms(day)), Some("UTC".into())),
        )))?,
        None => reviews,
    };
    ctx.register_table("reviews", rule.per_unit(reviews)?.into_view())?;
    Ok(())
}

/// `summaries`, `summaries_approved` and `late_and_missing`: every file the rollups
/// wrote, in scope.
async fn register_written_tables(
    ctx: &SessionContext,
    sources: &CatalogSources<'_>,
    rule: &ScopeRule,
) -> Result<()> {
    for (table, file) in [
        ("summaries", "summary.parquet"),
        ("summaries_approved", "summary_approved.parquet"),
    ] {
        if let Some(summaries) = written_frame(ctx, sources.summaries, file).await? {
            ctx.register_table(table, rule.summaries(summaries)?.into_view())?;
        }
    }
    if let Some(late) = written_frame(ctx, sources.summaries, "late_and_missing.parquet").await? {
        ctx.register_table("late_and_missing", rule.per_unit(late)?.into_view())?;
    }
    Ok(())
}

/// Runs one SQL statement against the catalog and returns its batches.
pub async fn run_query(ctx: &SessionContext, sql: &str) -> Result<Vec<RecordBatch>> {
    let frame = ctx.sql(sql).await.map_err(Error::Query)?;
    Ok(frame.collect().await?)
}
