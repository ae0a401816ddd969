//! The registry as Arrow tables for SQL: `units` (one row per reporting unit with its
//! place in the hierarchy and, for a campaign, whether the campaign expects it),
//! `campaigns`, `milestones` and `area_map`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use arrow::array::{
    ArrayRef, BooleanArray, BooleanBuilder, Date32Array, RecordBatch, StringArray, StringBuilder,
};
use arrow::datatypes::{DataType, Field, Schema};
use baocao_registry::{AdminLevel, Campaign, Registry};
use baocao_tables::date32;
use chrono::NaiveDate;

use crate::Result;

/// (code, name) of a unit's province, district and commune, where its chain has them.
type AreaColumns<'a> = [Option<(&'a str, &'a str)>; 3];

/// The area columns of `area_code`, from `areas` or by walking its chain once.
fn area_columns<'r>(
    registry: &'r Registry,
    areas: &mut HashMap<&'r str, AreaColumns<'r>>,
    area_code: &'r str,
) -> AreaColumns<'r> {
    if let Some(known) = areas.get(area_code) {
        return *known;
    }
    let chain = registry.area_chain(area_code);
    let at = |level: AdminLevel| {
        chain
            .iter()
            .find(|a| a.level == level)
            .map(|a| (a.code.as_str(), a.name_with_type.as_str()))
    };
    let found = [
        at(AdminLevel::Province),
        at(AdminLevel::District),
        at(AdminLevel::Commune),
    ];
    areas.insert(area_code, found);
    found
}

/// What a campaign's units table depends on: the loaded registry, the campaign's
/// jurisdiction and the unit kinds it expects.
type UnitsKey = (u64, String, Vec<String>);

/// The last campaign units table built in this process. Scheduled and following rollups
/// (and every milestone of a campaign) rebuild the same table each run: ≈ 60 ms for the
/// national register of 70,663 units, 10 % of a national rollup.
static LAST_CAMPAIGN_UNITS: Mutex<Option<(UnitsKey, RecordBatch)>> = Mutex::new(None);

/// [`units_batch`] for a campaign, reusing the last one built for the same registry load,
/// jurisdiction and expected kinds.
pub fn campaign_units_batch(registry: &Registry, campaign: &Campaign) -> Result<RecordBatch> {
    let key: UnitsKey = (
        registry.load_id(),
        campaign.province.clone(),
        campaign.required_unit_kinds.clone(),
    );
    if let Ok(last) = LAST_CAMPAIGN_UNITS.lock()
        && let Some((built_for, batch)) = last.as_ref()
        && *built_for == key
    {
        return Ok(batch.clone());
    }
    let batch = units_batch(registry, Some(campaign))?;
    if let Ok(mut last) = LAST_CAMPAIGN_UNITS.lock() {
        *last = Some((key, batch.clone()));
    }
    Ok(batch)
}

/// Builds the `units` table for `campaign` (its province; `expected` per its rules), or
/// for the whole registry when `campaign` is `None` (`expected` null).
pub fn units_batch(registry: &Registry, campaign: Option<&Campaign>) -> Result<RecordBatch> {
    let schema = Arc::new(Schema::new(vec![
        Field::new("unit_code", DataType::Utf8, false),
        Field::new("unit_name", DataType::Utf8, false),
        Field::new("unit_kind", DataType::Utf8, false),
        Field::new("unit_tier", DataType::Utf8, false),
        Field::new("expected", DataType::Boolean, campaign.is_none()),
        Field::new("province_code", DataType::Utf8, false),
        Field::new("province_name", DataType::Utf8, false),
        Field::new("district_code", DataType::Utf8, true),
        Field::new("district_name", DataType::Utf8, true),
        Field::new("commune_code", DataType::Utf8, true),
        Field::new("commune_name", DataType::Utf8, true),
    ]));
    // Units share areas (a commune has a dozen): each area's chain is walked once.
    let mut areas: HashMap<&str, AreaColumns<'_>> = HashMap::new();
    let jurisdiction = campaign.map(|c| c.province.as_str()).unwrap_or_default();
    let mut units: Vec<_> = registry
        .units()
        .filter(|u| {
            jurisdiction.is_empty()
                || area_columns(registry, &mut areas, &u.area_code)
                    .iter()
                    .flatten()
                    .any(|(code, _)| *code == jurisdiction)
        })
        .collect();
    units.sort_unstable_by(|a, b| a.code.cmp(&b.code));
    let rows = units.len();
    let mut code = StringBuilder::with_capacity(rows, rows * 12);
    let mut name = StringBuilder::with_capacity(rows, rows * 40);
    let mut kind = StringBuilder::with_capacity(rows, rows * 12);
    let mut tier = StringBuilder::with_capacity(rows, rows * 8);
    let mut expected = BooleanBuilder::with_capacity(rows);
    let mut columns: [(StringBuilder, StringBuilder); 3] = Default::default();
    for unit in units {
        code.append_value(&unit.code);
        name.append_value(&unit.name);
        kind.append_value(&unit.kind);
        tier.append_value(unit.tier.as_str());
        expected.append_option(campaign.map(|c| registry.expects(c, unit)));
        for (i, area) in area_columns(registry, &mut areas, &unit.area_code)
            .into_iter()
            .enumerate()
        {
            columns[i].0.append_option(area.map(|(code, _)| code));
            columns[i].1.append_option(area.map(|(_, name)| name));
        }
    }
    let [(mut pc, mut pn), (mut dc, mut dn), (mut cc, mut cn)] = columns;
    Ok(RecordBatch::try_new(
        schema,
        vec![
            Arc::new(code.finish()),
            Arc::new(name.finish()),
            Arc::new(kind.finish()),
            Arc::new(tier.finish()),
            Arc::new(expected.finish()),
            Arc::new(pc.finish()),
            Arc::new(pn.finish()),
            Arc::new(dc.finish()),
            Arc::new(dn.finish()),
            Arc::new(cc.finish()),
            Arc::new(cn.finish()),
        ],
    )?)
}

/// The `campaigns` and `milestones` tables.
pub(crate) fn campaigns_batches(registry: &Registry) -> Result<(RecordBatch, RecordBatch)> {
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

/// The `area_map` table: every row of every `maps/<from>-<to>/areas.csv` of the data
/// directory (public register data, the same for every scope).
pub(crate) fn area_map_batch(registry: &Registry) -> Result<RecordBatch> {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn shipped_registry() -> Registry {
        let data = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data");
        Registry::load_register(
            data,
            &baocao_registry::RegisterChoice::Named("2023".to_string()),
        )
        .expect("the shipped registry loads")
    }

    #[test]
    fn campaign_units_are_reused_only_for_the_same_registry_and_campaign_rules() {
        let registry = shipped_registry();
        let campaign = registry
            .campaign("thanh-hoa-2023")
            .expect("shipped campaign")
            .clone();
        let first = campaign_units_batch(&registry, &campaign).expect("built");
        let again = campaign_units_batch(&registry, &campaign).expect("reused");
        assert!(Arc::ptr_eq(first.column(4), again.column(4)), "not reused");
        assert_eq!(
            first,
            units_batch(&registry, Some(&campaign)).expect("fresh")
        );

        // Other expected kinds: another table, not the cached one.
        let mut fewer_kinds = campaign.clone();
        fewer_kinds.required_unit_kinds.retain(|k| k != "school");
        let changed = campaign_units_batch(&registry, &fewer_kinds).expect("built");
        assert_ne!(first.column(4), changed.column(4));
        assert_eq!(
            changed,
            units_batch(&registry, Some(&fewer_kinds)).expect("fresh")
        );

        // The data directory loaded again: built again.
        let reloaded = shipped_registry();
        let rebuilt = campaign_units_batch(&reloaded, &campaign).expect("built");
        assert!(!Arc::ptr_eq(first.column(4), rebuilt.column(4)));
        assert_eq!(first, rebuilt);
    }
}
