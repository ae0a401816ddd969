//! The registry as an Arrow table for SQL: one row per reporting unit with its place in
//! the hierarchy and, for a campaign, whether the campaign expects it.

use std::sync::Arc;

use arrow::array::{BooleanBuilder, RecordBatch, StringBuilder};
use arrow::datatypes::{DataType, Field, Schema};
use baocao_registry::{AdminLevel, Campaign, Registry};

use crate::Result;

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
    let mut units: Vec<_> = registry
        .units()
        .filter(|u| campaign.is_none_or(|c| registry.is_within(u, &c.province)))
        .collect();
    units.sort_by(|a, b| a.code.cmp(&b.code));
    let mut code = StringBuilder::new();
    let mut name = StringBuilder::new();
    let mut kind = StringBuilder::new();
    let mut tier = StringBuilder::new();
    let mut expected = BooleanBuilder::new();
    let mut columns: [(StringBuilder, StringBuilder); 3] = Default::default();
    for unit in units {
        code.append_value(&unit.code);
        name.append_value(&unit.name);
        kind.append_value(&unit.kind);
        tier.append_value(unit.tier.as_str());
        expected.append_option(campaign.map(|c| c.required_unit_kinds.contains(&unit.kind)));
        let chain = registry.area_chain(&unit.area_code);
        for (i, level) in [
            AdminLevel::Province,
            AdminLevel::District,
            AdminLevel::Commune,
        ]
        .into_iter()
        .enumerate()
        {
            let area = chain.iter().find(|a| a.level == level);
            columns[i].0.append_option(area.map(|a| a.code.as_str()));
            columns[i]
                .1
                .append_option(area.map(|a| a.name_with_type.as_str()));
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
