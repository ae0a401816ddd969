//! Shared by the rollup's fixture tests: landing hand-built envelopes as the landing job
//! would, reading a summary's rows, and the check that the production selection
//! (`baocao_rollup::latest`) computes what the SQL text of `baocao_rollup::sql` specifies.

use std::collections::BTreeMap;
use std::path::Path;

use arrow::array::{AsArray, RecordBatch};
use arrow::datatypes::{DataType, Int64Type};
use baocao_proto::v1::{CameraSystem, ReportEnvelope};
use baocao_registry::{Campaign, CountBasis, Milestone, Registry};
use baocao_store::Store;
use baocao_store::files::write_parquet_atomic;
use baocao_tables::layout::partition_dir;
use baocao_tables::rows::PartitionRows;
use chrono::NaiveDate;

pub use baocao_fixtures::date;

/// The one envelope builder of the rollup tests (through `baocao_fixtures`): a report of
/// `unit` for `campaign` under `id`, dated the day it is received, received at
/// `(y, m, d, hh, mm)` Vietnam time plus `ms` milliseconds through a test gateway, with
/// `systems` (none: no camera systems).
pub fn envelope_at(
    campaign: &str,
    unit: &str,
    id: &str,
    at: (i32, u32, u32, u32, u32),
    ms: i64,
    systems: Vec<CameraSystem>,
) -> ReportEnvelope {
    let (y, m, d, _, _) = at;
    let report = baocao_fixtures::report(campaign, unit, id, date(y, m, d), systems);
    baocao_fixtures::envelope(report, baocao_fixtures::vietnam_time(at, ms))
}

/// The next Kafka offset of partition 0: landings of one test process follow one another
/// in the log, as records written later do.
pub fn next_offset() -> i64 {
    static NEXT: std::sync::atomic::AtomicI64 = std::sync::atomic::AtomicI64::new(0);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

/// Lands envelopes as the landing does, in Kafka order on partition 0 (a unit's records
/// share a key and so a partition), after everything landed before: one file per campaign
/// and received date.
pub fn land(root: &Path, envelopes: &[ReportEnvelope]) {
    let mut files: BTreeMap<(String, NaiveDate), PartitionRows> = BTreeMap::new();
    for e in envelopes {
        let offset = next_offset();
        let day = baocao_registry::vietnam_date(baocao_tables::rows::received_at(e));
        let campaign = e
            .report
            .as_ref()
            .map(|r| r.campaign_id.clone())
            .unwrap_or_default();
        files.entry((campaign, day)).or_default().push(e, 0, offset);
    }
    for (i, ((campaign, day), rows)) in files.into_iter().enumerate() {
        let (submissions, systems) = rows.finish().expect("batches");
        let name = format!("part-{}-{i}.parquet", next_offset());
        write_parquet_atomic(
            &partition_dir(root, "submissions", &campaign, day).join(&name),
            &submissions,
        )
        .expect("write");
        if systems.num_rows() > 0 {
            write_parquet_atomic(
                &partition_dir(root, "systems", &campaign, day).join(&name),
                &systems,
            )
            .expect("write");
        }
    }
}

/// A summary table, read by (tier, code) row.
pub struct Summary<'a>(pub &'a RecordBatch);

impl Summary<'_> {
    /// The row of `tier` and `code`.
    pub fn row(&self, tier: &str, code: &str) -> usize {
        let (tiers, codes) = (
            self.cast("tier", &DataType::Utf8),
            self.cast("code", &DataType::Utf8),
        );
        (0..self.0.num_rows())
            .find(|&i| {
                tiers.as_string::<i32>().value(i) == tier
                    && codes.as_string::<i32>().value(i) == code
            })
            .unwrap_or_else(|| panic!("no {tier} row {code}"))
    }

    fn cast(&self, column: &str, to: &DataType) -> arrow::array::ArrayRef {
        arrow::compute::cast(self.0.column_by_name(column).expect(column), to).expect("cast")
    }

    /// A number of that row.
    pub fn int(&self, tier: &str, code: &str, column: &str) -> i64 {
        let row = self.row(tier, code);
        self.cast(column, &DataType::Int64)
            .as_primitive::<Int64Type>()
            .value(row)
    }

    /// A text of that row.
    pub fn text(&self, tier: &str, code: &str, column: &str) -> String {
        let row = self.row(tier, code);
        self.cast(column, &DataType::Utf8)
            .as_string::<i32>()
            .value(row)
            .to_string()
    }
}

/// The per-unit rows of the SQL specification and of the production path, equal column
/// by column, for one milestone and cut-off, counting every accepted version and counting
/// approved versions.
pub async fn assert_selection_matches_spec(
    registry: &Registry,
    campaign: &Campaign,
    milestone: &Milestone,
    cut_off: NaiveDate,
    landing: &Store,
) {
    let production = baocao_rollup::session(registry, campaign, milestone, cut_off, landing)
        .await
        .expect("session");
    let selected = baocao_rollup::latest::select(&production)
        .await
        .expect("selection");
    for basis in [CountBasis::Approved, CountBasis::Received] {
        let at = format!("{} at cut-off {cut_off}, counting {basis:?}", milestone.id);
        let spec = baocao_rollup::session(registry, campaign, milestone, cut_off, landing)
            .await
            .expect("session");
        let expected = sorted_rows(&spec, baocao_rollup::sql::per_unit_sql(basis)).await;
        baocao_rollup::latest::register_latest(&production, &selected, basis)
            .expect("register the selection");
        let actual = sorted_rows(&production, baocao_rollup::sql::per_unit_over_latest_sql()).await;
        assert_eq!(expected.num_rows(), actual.num_rows(), "{at}");
        for (field, (e, a)) in expected
            .schema()
            .fields()
            .iter()
            .zip(expected.columns().iter().zip(actual.columns()))
        {
            assert_eq!(e.to_data(), a.to_data(), "column {} {at}", field.name());
        }
    }
    let at = format!("{} at cut-off {cut_off}", milestone.id);
    assert_catalog_matches_production(registry, campaign, cut_off, landing, &production, &at).await;
}

/// The rows of a per-unit query, in unit order, as one batch.
async fn sorted_rows(ctx: &datafusion::prelude::SessionContext, sql: String) -> RecordBatch {
    let batches = ctx
        .sql(&format!(
            "SELECT * FROM ({}) ORDER BY unit_code",
            sql.trim_end()
        ))
        .await
        .expect("plan")
        .collect()
        .await
        .expect("per_unit");
    arrow::compute::concat_batches(&batches[0].schema(), &batches).expect("concat")
}

/// The analysts' catalog (its `unit_state` view, cut at the same day) picks the same
/// version of every registered unit as the production selection's `latest`.
async fn assert_catalog_matches_production(
    registry: &Registry,
    campaign: &Campaign,
    cut_off: NaiveDate,
    landing: &Store,
    production: &datafusion::prelude::SessionContext,
    at: &str,
) {
    let no_summaries = tempfile::tempdir().expect("tempdir");
    let summaries = Store::local(no_summaries.path());
    let catalog = baocao_catalog::catalog_session(&baocao_catalog::CatalogSources {
        registry,
        landing,
        summaries: &summaries,
        as_of: Some(cut_off),
        scope: None,
    })
    .await
    .expect("catalog");
    let picked = |ctx: &datafusion::prelude::SessionContext, sql: String| {
        let ctx = ctx.clone();
        async move {
            let batches = ctx
                .sql(&sql)
                .await
                .expect("plan")
                .collect()
                .await
                .expect("run");
            let mut rows = Vec::new();
            for batch in batches {
                let units = batch.column(0).as_string::<i32>();
                let ids = batch.column(1).as_string::<i32>();
                for i in 0..batch.num_rows() {
                    rows.push((units.value(i).to_string(), ids.value(i).to_string()));
                }
            }
            rows
        }
    };
    let from_catalog = picked(
        &catalog,
        format!(
            "SELECT unit_code, submission_id FROM unit_state WHERE campaign_id = '{}'
             AND unit_code IN (SELECT unit_code FROM units) ORDER BY unit_code",
            campaign.id
        ),
    )
    .await;
    let from_production = picked(
        production,
        "SELECT unit_code, submission_id FROM latest ORDER BY unit_code".to_string(),
    )
    .await;
    assert!(!from_production.is_empty(), "{at}: nothing selected");
    assert_eq!(
        from_catalog, from_production,
        "catalog unit_state vs latest, {at}"
    );
}

/// Where a fixture's rollup reads and writes, and what it rolls up.
pub struct RollupOf<'a> {
    pub registry_dir: &'a Path,
    pub landing: &'a Path,
    pub out: &'a Path,
    pub campaign: &'a str,
    pub milestone: &'a str,
    /// Roll up even when nothing of the campaign landed.
    pub allow_empty: bool,
}

/// Rolls up a fixture's landing at `cut_off`.
pub async fn rollup_of(of: &RollupOf<'_>, cut_off: NaiveDate) -> baocao_rollup::RollupOutput {
    let registry = Registry::load(of.registry_dir).expect("registry");
    let campaign = registry.campaign(of.campaign).expect("campaign").clone();
    let milestone = campaign.milestone(of.milestone).expect("milestone").clone();
    baocao_rollup::run_rollup(&baocao_rollup::RollupRequest {
        registry: &registry,
        campaign: &campaign,
        milestone: &milestone,
        cut_off,
        landing: &Store::local(of.landing),
        out: &Store::local(of.out),
        allow_empty: of.allow_empty,
        progress: None,
    })
    .await
    .expect("rollup")
}
