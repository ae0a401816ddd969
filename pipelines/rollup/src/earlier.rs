//! The units that did not report on time at a campaign's earlier milestones, computed
//! from the landed reports (the report's note "trễ hạn hoặc chưa báo cáo ở cả đợt trước"),
//! whatever summaries an output directory happens to hold.

use std::collections::BTreeSet;

use baocao_catalog::Columns;
use baocao_catalog::raw::query;
use baocao_registry::{Campaign, CountBasis, Milestone, Registry};
use baocao_store::Store;

use crate::Result;
use crate::rollup::{register_per_unit, session};

/// At the end of its unit deadline, the statuses of a unit that had not reported in the
/// milestone's window: no report at all (`missing`), or only one from before the window
/// opened (`not_updated`). A report after the deadline made the unit late at that
/// milestone: at the deadline it was one of these.
const NOT_ON_TIME: &str = "SELECT unit_code FROM per_unit \
     WHERE expected AND report_status IN ('missing', 'not_updated')";

/// The units expected at a milestone of `campaign` before `milestone` that had not
/// reported in that milestone's window by the end of its unit deadline (Vietnam time):
/// late there, or missing, or not updated. Computed from the landed reports counted as
/// at that deadline, so it does not depend on which earlier rollups were run or where.
pub async fn units_late_at_earlier_milestones(
    registry: &Registry,
    campaign: &Campaign,
    milestone: &Milestone,
    landing: &Store,
) -> Result<BTreeSet<String>> {
    let mut codes = BTreeSet::new();
    for earlier in campaign
        .milestones
        .iter()
        .take_while(|m| m.id != milestone.id)
    {
        let ctx = session(registry, campaign, earlier, earlier.unit_deadline, landing).await?;
        register_per_unit(&ctx, CountBasis::Received).await?;
        let batch = query(&ctx, NOT_ON_TIME).await?;
        let columns = Columns::new("per_unit", &batch);
        codes.extend(columns.strings("unit_code"));
        columns.finish()?;
    }
    Ok(codes)
}
