//! The administrative register: provinces, districts and communes with their official
//! codes (GSO, Decision 124/2004/QĐ-TTg) and parents, loaded from a CSV file.

use std::collections::HashMap;
use std::path::Path;

use serde::Deserialize;

use crate::load::{csv_records, read_to_string};
use crate::{Error, Result};

/// A tier of the administrative hierarchy. The district tier may be absent (it was
/// abolished on 1/7/2025): communes may then hang directly under provinces.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AdminLevel {
    /// Tỉnh / thành phố trực thuộc trung ương.
    Province,
    /// Huyện / quận / thị xã / thành phố thuộc tỉnh.
    District,
    /// Xã / phường / thị trấn / đặc khu.
    Commune,
}

impl AdminLevel {
    /// The lower-case name used in configuration, CLI flags and Kafka envelopes.
    pub fn as_str(self) -> &'static str {
        match self {
            AdminLevel::Province => "province",
            AdminLevel::District => "district",
            AdminLevel::Commune => "commune",
        }
    }

    /// Parses `province`, `district` or `commune`.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "province" => Some(AdminLevel::Province),
            "district" => Some(AdminLevel::District),
            "commune" => Some(AdminLevel::Commune),
            _ => None,
        }
    }
}

impl std::fmt::Display for AdminLevel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One administrative unit of the register.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct AdminUnit {
    /// Official code: 2 digits for a province, 3 for a district, 5 for a commune.
    pub code: String,
    /// Its tier.
    pub level: AdminLevel,
    /// Short name, e.g. `Thanh Hóa`.
    pub name: String,
    /// Name with its type, e.g. `Tỉnh Thanh Hóa`.
    pub name_with_type: String,
    /// Type slug from the source data (tinh, huyen, xa, phuong, thi-tran, ...).
    #[serde(rename = "type")]
    pub unit_type: String,
    /// Parent's code; empty for a province.
    #[serde(default)]
    pub parent_code: String,
}

/// Loads and checks the register: codes are digits and unique, every parent exists and
/// sits on a higher tier, provinces have no parent.
/// `text` trimmed, with each run of whitespace made one space.
pub(crate) fn single_spaced(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

pub(crate) fn load_admin_units(path: &Path) -> Result<HashMap<String, AdminUnit>> {
    let text = read_to_string(path)?;
    let records: Vec<(usize, AdminUnit)> = csv_records(path, &text)?;
    let mut units: HashMap<String, (usize, AdminUnit)> = HashMap::with_capacity(records.len());
    for (line, mut unit) in records {
        // Some names in the published lists carry double spaces (`Xã  Hoàng Văn Thụ`).
        unit.name = single_spaced(&unit.name);
        unit.name_with_type = single_spaced(&unit.name_with_type);
        if unit.code.is_empty() || !unit.code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Error::data(
                path,
                line,
                format!("code `{}` must be digits", unit.code),
            ));
        }
        if let Some((first, _)) = units.get(&unit.code) {
            return Err(Error::data(
                path,
                line,
                format!("duplicate code `{}` (first on line {first})", unit.code),
            ));
        }
        units.insert(unit.code.clone(), (line, unit));
    }
    for (line, unit) in units.values() {
        let parent_level = match (unit.level, unit.parent_code.as_str()) {
            (AdminLevel::Province, "") => continue,
            (AdminLevel::Province, parent) => {
                return Err(Error::data(
                    path,
                    *line,
                    format!(
                        "province `{}` must not have a parent (has `{parent}`)",
                        unit.code
                    ),
                ));
            }
            (_, "") => {
                return Err(Error::data(
                    path,
                    *line,
                    format!("{} `{}` has no parent_code", unit.level, unit.code),
                ));
            }
            (_, parent) => match units.get(parent) {
                Some((_, p)) => p.level,
                None => {
                    return Err(Error::data(
                        path,
                        *line,
                        format!("unknown parent code `{parent}` of `{}`", unit.code),
                    ));
                }
            },
        };
        if parent_level >= unit.level {
            return Err(Error::data(
                path,
                *line,
                format!(
                    "{} `{}` cannot have the {} `{}` as parent",
                    unit.level, unit.code, parent_level, unit.parent_code
                ),
            ));
        }
    }
    Ok(units
        .into_iter()
        .map(|(code, (_, unit))| (code, unit))
        .collect())
}
