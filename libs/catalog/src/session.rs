//! The analysts' catalog: every table baocao produces, registered in one DataFusion
//! session for ad-hoc SQL (`baocao query`): the registry, the raw history, de-duplicated
//! and per-unit views, and every summary written so far. With an as-of day, the history
//! is cut there, so any question can be asked "as it stood then".

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use baocao_registry::{Registry, end_of_vietnam_day_ms};
use baocao_store::Store;
use baocao_tables::layout;
use baocao_tables::{REVIEWS_SCHEMA, SUBMISSIONS_SCHEMA, SYSTEMS_SCHEMA};
use chrono::NaiveDate;
use datafusion::dataframe::DataFrame;
use datafusion::prelude::{Expr, ParquetReadOptions, SessionConfig, SessionContext, col, lit};
use datafusion::scalar::ScalarValue;

use crate::outputs::{APPROVED_SUMMARY_FILE, LATE_AND_MISSING_FILE, SUMMARY_FILE};
use crate::raw::{raw_table, register_store};
use crate::registry_tables::{area_map_batch, campaigns_batches, units_batch};
use crate::scope::ScopeRule;
use crate::views::catalog_views;
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

/// The `units` table of every unit of the register.
pub fn all_units(registry: &Registry) -> Result<RecordBatch> {
    units_batch(registry, None)
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
        ("summaries", SUMMARY_FILE),
        ("summaries_approved", APPROVED_SUMMARY_FILE),
    ] {
        if let Some(summaries) = written_frame(ctx, sources.summaries, file).await? {
            ctx.register_table(table, rule.summaries(summaries)?.into_view())?;
        }
    }
    if let Some(late) = written_frame(ctx, sources.summaries, LATE_AND_MISSING_FILE).await? {
        ctx.register_table("late_and_missing", rule.per_unit(late)?.into_view())?;
    }
    Ok(())
}

/// Runs one SQL statement against the catalog and returns its batches.
pub async fn run_query(ctx: &SessionContext, sql: &str) -> Result<Vec<RecordBatch>> {
    let frame = ctx.sql(sql).await.map_err(Error::Query)?;
    Ok(frame.collect().await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `SHOW TABLES` and `baocao query --tables` describe what the session registers:
    /// every table and view is listed, and every listed name is there (the tables of
    /// written outputs once a rollup wrote them).
    #[tokio::test]
    async fn the_listed_tables_are_the_tables_of_the_session() {
        let data = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data");
        let registry = Registry::load_register(
            data,
            &baocao_registry::RegisterChoice::Named("2023".to_string()),
        )
        .unwrap_or_else(|err| panic!("the shipped registry loads: {err}"));
        let dir = tempfile::tempdir().unwrap_or_else(|err| panic!("temporary directory: {err}"));
        let summaries = Store::local(dir.path().join("out"));
        let campaign_dir = summaries.join("c/m");
        let units = units_batch(&registry, None).unwrap_or_else(|err| panic!("units: {err}"));
        for file in [SUMMARY_FILE, APPROVED_SUMMARY_FILE, LATE_AND_MISSING_FILE] {
            campaign_dir
                .put_parquet(file, units.clone())
                .await
                .unwrap_or_else(|err| panic!("{file}: {err}"));
        }
        let ctx = catalog_session(&CatalogSources {
            registry: &registry,
            landing: &Store::local(dir.path().join("landing")),
            summaries: &summaries,
            as_of: None,
            scope: None,
        })
        .await
        .unwrap_or_else(|err| panic!("catalog: {err}"));
        let mut registered: Vec<String> = ctx
            .catalog("datafusion")
            .and_then(|c| c.schema("public"))
            .map(|s| s.table_names())
            .unwrap_or_default();
        registered.sort();
        let mut listed: Vec<String> = CATALOG_TABLES.iter().map(|(n, _)| n.to_string()).collect();
        listed.sort();
        assert_eq!(registered, listed);
    }
}
