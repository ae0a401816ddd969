//! The dashboards' tables: read once per summary into memory through the analysts'
//! catalog, then cut per scope by the catalog's own scope rule, so a person sees here
//! exactly what Flight SQL would show them.

use std::collections::HashSet;
use std::sync::Arc;

use baocao_catalog::{CatalogSources, Columns, ScopeRule, catalog_session, run_query};
use baocao_registry::Registry;
use datafusion::dataframe::DataFrame;
use datafusion::datasource::MemTable;
use datafusion::prelude::SessionContext;

use crate::cache::{FirstReport, ScopeCatalog};
use crate::state::AppState;

/// The catalog as the person's scope sees it, with what every view of it needs; kept
/// until the next summary.
pub(super) async fn scope_catalog(
    state: &AppState,
    registry: &Registry,
    scope: &str,
) -> Result<Arc<ScopeCatalog>, baocao_catalog::Error> {
    let cache = state.dashboards();
    cache.follow(&state.sources().summaries).await;
    let base = base_catalog(state, registry).await?;
    if scope.is_empty() {
        return Ok(base);
    }
    cache
        .scope(scope, async {
            let started = std::time::Instant::now();
            let cut = cut_to_scope(&base, scope).await;
            tracing::debug!(%scope, ms = started.elapsed().as_millis(), "portal: dashboard scope cut");
            cut
        })
        .await
}

/// Everything the dashboards may show, read once per summary into memory through the
/// analysts' catalog without a scope (what an account whose scope is the whole register
/// sees).
async fn base_catalog(
    state: &AppState,
    registry: &Registry,
) -> Result<Arc<ScopeCatalog>, baocao_catalog::Error> {
    state
        .dashboards()
        .scope("", async {
            let started = std::time::Instant::now();
            let catalog = catalog_session(&CatalogSources {
                registry,
                landing: &state.sources().landing,
                summaries: &state.sources().summaries,
                as_of: None,
                scope: None,
            })
            .await?;
            let ctx = SessionContext::new();
            for table in [
                "units",
                "summaries",
                "summaries_approved",
                "late_and_missing",
            ] {
                if catalog.table_exist(table)? {
                    into_memory(&ctx, table, catalog.table(table).await?).await?;
                }
            }
            let units = ctx.table("units").await?;
            let schema = Arc::new(units.schema().as_arrow().clone());
            let units = arrow::compute::concat_batches(&schema, &units.collect().await?)?;
            let base = ScopeCatalog {
                written: written(&ctx).await?,
                firsts: first_reports(&catalog).await?,
                kinds: unit_kinds(registry),
                units,
                ctx,
            };
            tracing::debug!(
                ms = started.elapsed().as_millis(),
                "portal: dashboard tables read"
            );
            Ok(base)
        })
        .await
}

/// `frame`'s rows, collected, as table `name` of `ctx`.
async fn into_memory(
    ctx: &SessionContext,
    name: &str,
    frame: DataFrame,
) -> Result<(), baocao_catalog::Error> {
    let schema = Arc::new(frame.schema().as_arrow().clone());
    let batches = frame.collect().await?;
    ctx.register_table(name, Arc::new(MemTable::try_new(schema, vec![batches])?))?;
    Ok(())
}

/// `base` cut to `scope` by the analysts' catalog's own scope rule ([`ScopeRule`]): the
/// same code decides what a person sees here and in Flight SQL.
async fn cut_to_scope(
    base: &ScopeCatalog,
    scope: &str,
) -> Result<ScopeCatalog, baocao_catalog::Error> {
    let (rule, units) = ScopeRule::new(base.units.clone(), Some(scope))?;
    let ctx = SessionContext::new();
    ctx.register_batch("units", units.clone())?;
    for table in ["summaries", "summaries_approved"] {
        if base.ctx.table_exist(table)? {
            let frame = rule.summaries(base.ctx.table(table).await?)?;
            into_memory(&ctx, table, frame).await?;
        }
    }
    if base.ctx.table_exist("late_and_missing")? {
        let frame = rule.per_unit(base.ctx.table("late_and_missing").await?)?;
        into_memory(&ctx, "late_and_missing", frame).await?;
    }
    let codes = Columns::new("units", &units);
    let inside: HashSet<String> = codes.strings("unit_code").into_iter().collect();
    codes.finish()?;
    Ok(ScopeCatalog {
        written: written(&ctx).await?,
        firsts: base
            .firsts
            .iter()
            .filter(|f| inside.contains(&f.unit_code))
            .cloned()
            .collect(),
        kinds: base.kinds.clone(),
        units,
        ctx,
    })
}

/// When each unit first reported, per campaign, for the weekly chart.
async fn first_reports(
    catalog: &SessionContext,
) -> Result<Vec<FirstReport>, baocao_catalog::Error> {
    let sql = "SELECT campaign_id, unit_code, to_unixtime(min(received_at)) AS first_at \
               FROM submissions GROUP BY campaign_id, unit_code";
    let mut firsts = Vec::new();
    for b in run_query(catalog, sql).await? {
        let columns = Columns::new("first reports", &b);
        for row in 0..columns.rows() {
            firsts.push(FirstReport {
                campaign: columns.string("campaign_id", row),
                unit_code: columns.string("unit_code", row),
                at: columns.int("first_at", row),
            });
        }
        columns.finish()?;
    }
    Ok(firsts)
}

/// (code, name) of the unit kinds the register has units of, by code.
pub(crate) fn unit_kinds(registry: &Registry) -> Vec<(String, String)> {
    registry
        .units()
        .map(|u| u.kind.as_str())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .filter_map(|k| {
            registry
                .kind(k)
                .map(|kind| (k.to_string(), kind.name.clone()))
        })
        .collect()
}

/// The (campaign, milestone) pairs with a summary the person can see, oldest first
/// (none when nothing is rolled up yet).
async fn written(ctx: &SessionContext) -> Result<Vec<(String, String)>, baocao_catalog::Error> {
    if !ctx.table_exist("summaries")? {
        return Ok(Vec::new());
    }
    let sql = "SELECT DISTINCT campaign_id, milestone_id FROM summaries ORDER BY campaign_id, milestone_id";
    let mut written = Vec::new();
    for b in run_query(ctx, sql).await? {
        let columns = Columns::new("summaries", &b);
        for row in 0..columns.rows() {
            written.push((
                columns.string("campaign_id", row),
                columns.string("milestone_id", row),
            ));
        }
        columns.finish()?;
    }
    Ok(written)
}
