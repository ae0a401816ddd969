//! Shared by the rollup's fixture tests: the check that the production selection
//! (`baocao_rollup::latest`) computes what the SQL text of `baocao_rollup::sql` specifies.

use baocao_registry::{Campaign, Milestone, Registry};
use baocao_store::Store;
use chrono::NaiveDate;

/// The per-unit rows of the SQL specification and of the production path, equal column
/// by column, for one milestone and cut-off.
pub async fn assert_selection_matches_spec(
    registry: &Registry,
    campaign: &Campaign,
    milestone: &Milestone,
    cut_off: NaiveDate,
    landing: &Store,
) {
    let sorted_per_unit =
        |sql: String| format!("SELECT * FROM ({}) ORDER BY unit_code", sql.trim_end());
    let spec = baocao_rollup::session(registry, campaign, milestone, cut_off, landing)
        .await
        .expect("session");
    let expected = spec
        .sql(&sorted_per_unit(baocao_rollup::sql::per_unit_sql()))
        .await
        .expect("plan")
        .collect()
        .await
        .expect("spec per_unit");
    let production = baocao_rollup::session(registry, campaign, milestone, cut_off, landing)
        .await
        .expect("session");
    baocao_rollup::latest::register_latest(&production)
        .await
        .expect("selection");
    let actual = production
        .sql(&sorted_per_unit(
            baocao_rollup::sql::per_unit_over_latest_sql(),
        ))
        .await
        .expect("plan")
        .collect()
        .await
        .expect("production per_unit");
    let expected =
        arrow::compute::concat_batches(&expected[0].schema(), &expected).expect("concat");
    let actual = arrow::compute::concat_batches(&actual[0].schema(), &actual).expect("concat");
    let at = format!("{} at cut-off {cut_off}", milestone.id);
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
