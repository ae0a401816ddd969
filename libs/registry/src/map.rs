//! The map between two registers (`maps/<from>-<to>/`): where each area of the older
//! register lies on the newer one, and the units an office sends elsewhere; and a
//! registry's units placed on another register's map, to roll history up under it.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::load::{csv_records, read_to_string};
use crate::registry::children_of;
use crate::{AdminLevel, Error, Registry, ReportingUnit, Result};

/// One area of the older register on the newer map.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct MappedArea {
    /// Its code in the older register.
    pub from_code: String,
    /// Its tier in the older register.
    pub from_level: AdminLevel,
    /// The one area of the newer register it lies in (a figure is never split).
    pub to_code: String,
    /// The rule that placed it (`docs/data.md`, "The map").
    pub rule: String,
    /// What the rule found (a split commune's candidates, the commune merged into).
    #[serde(default)]
    pub note: String,
}

#[derive(Deserialize)]
struct OverrideRow {
    unit_code: String,
    to_code: String,
    #[serde(default)]
    reason: String,
}

/// The map from register `from` to register `to`.
#[derive(Clone, Debug)]
pub struct AreaMap {
    /// The older register's id.
    pub from: String,
    /// The newer register's id.
    pub to: String,
    /// Its directory.
    pub dir: PathBuf,
    areas: HashMap<String, MappedArea>,
    /// Unit code → (area of the newer register, why).
    unit_overrides: HashMap<String, (String, String)>,
}

impl AreaMap {
    /// Reads `<data dir>/maps/<from>-<to>/areas.csv` and its optional
    /// `unit_overrides.csv` (unit_code, to_code, reason).
    pub fn load(data_dir: &Path, from: &str, to: &str) -> Result<Self> {
        let dir = data_dir.join("maps").join(format!("{from}-{to}"));
        let areas_path = dir.join("areas.csv");
        if !areas_path.exists() {
            return Err(Error::Choice(format!(
                "no map from register {from} to register {to}: {} is missing (docs/data.md, \"The map\")",
                areas_path.display()
            )));
        }
        let text = read_to_string(&areas_path)?;
        let mut areas = HashMap::new();
        for (line, row) in csv_records::<MappedArea>(&areas_path, &text)? {
            if areas.contains_key(&row.from_code) {
                return Err(Error::data(
                    &areas_path,
                    line,
                    format!("area `{}` mapped twice", row.from_code),
                ));
            }
            areas.insert(row.from_code.clone(), row);
        }
        let overrides_path = dir.join("unit_overrides.csv");
        let mut unit_overrides = HashMap::new();
        if overrides_path.exists() {
            let text = read_to_string(&overrides_path)?;
            for (line, row) in csv_records::<OverrideRow>(&overrides_path, &text)? {
                if unit_overrides
                    .insert(row.unit_code.clone(), (row.to_code, row.reason))
                    .is_some()
                {
                    return Err(Error::data(
                        &overrides_path,
                        line,
                        format!("unit `{}` overridden twice", row.unit_code),
                    ));
                }
            }
        }
        Ok(AreaMap {
            from: from.to_string(),
            to: to.to_string(),
            dir,
            areas,
            unit_overrides,
        })
    }

    /// Every mapped area, in no particular order (the analysts' `area_map` table).
    pub fn areas(&self) -> impl Iterator<Item = &MappedArea> {
        self.areas.values()
    }

    /// Where an area of the older register lies on the newer map.
    pub fn area(&self, from_code: &str) -> Option<&MappedArea> {
        self.areas.get(from_code)
    }

    /// The area of the newer register `unit` belongs to: its override, else its area's.
    pub fn area_of_unit(&self, unit: &ReportingUnit) -> Option<&str> {
        match self.unit_overrides.get(&unit.code) {
            Some((to, _)) => Some(to),
            None => self.areas.get(&unit.area_code).map(|a| a.to_code.as_str()),
        }
    }
}

/// Every map of a data directory (`maps/<from>-<to>/`), by name; none without `maps/`.
pub fn area_maps(data_dir: &Path) -> Result<Vec<AreaMap>> {
    let root = data_dir.join("maps");
    let names: Vec<String> = crate::versions::sub_directories(&root)?
        .iter()
        .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .collect();
    names
        .iter()
        .map(|name| match name.split_once('-') {
            Some((from, to)) => AreaMap::load(data_dir, from, to),
            None => Err(Error::Choice(format!(
                "{}: a map's directory is named <from>-<to>, e.g. 2023-2025",
                root.join(name).display()
            ))),
        })
        .collect()
}

impl Registry {
    /// This registry's units inside `within` (an area code; empty: all) and its
    /// campaigns placed on `target`'s map by `map`: each unit in the one area of `target`
    /// its area (or its override) lies in, each campaign's province its province's
    /// successor. Refused, naming them, when units have no place or an override names an
    /// area `target` does not have.
    pub fn on_map(&self, target: &Registry, map: &AreaMap, within: &str) -> Result<Registry> {
        let mut units = HashMap::with_capacity(self.units.len());
        let mut homeless = Vec::new();
        for unit in self.units.values().filter(|u| self.is_within(u, within)) {
            let area = map
                .area_of_unit(unit)
                .and_then(|code| target.admin.get(code));
            let Some(area) = area else {
                homeless.push(format!("{} (area {})", unit.code, unit.area_code));
                continue;
            };
            let placed = ReportingUnit {
                area_code: area.code.clone(),
                tier: area.level,
                parent_code: area.code.clone(),
                ..unit.clone()
            };
            units.insert(unit.code.clone(), placed);
        }
        if !homeless.is_empty() {
            homeless.sort();
            let shown: Vec<_> = homeless.iter().take(10).cloned().collect();
            return Err(Error::Choice(format!(
                "{} units have no place on register {}'s map: {}{} — add them to {}",
                homeless.len(),
                map.to,
                shown.join(", "),
                if homeless.len() > shown.len() {
                    ", …"
                } else {
                    ""
                },
                map.dir.join("unit_overrides.csv").display()
            )));
        }
        let campaigns = self
            .campaigns
            .iter()
            .map(|c| {
                let mut placed = c.clone();
                if let Some(area) = map.area(&c.province) {
                    placed.province = area.to_code.clone();
                }
                placed
            })
            .collect();
        Ok(Registry {
            load_id: crate::registry::next_load_id(),
            dir: self.dir.clone(),
            admin: target.admin.clone(),
            register: target.register.clone(),
            register_id: target.register_id.clone(),
            children: children_of(&units),
            units,
            kinds: self.kinds.clone(),
            campaigns,
            elsewhere: Vec::new(),
        })
    }
}
