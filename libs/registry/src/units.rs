//! Reporting units: one People's Committee per administrative unit (implied by the
//! register) plus the units listed in `units/*.csv` (departments, police, schools, ...),
//! each of a kind from `unit_kinds.toml`.

use std::path::Path;

use serde::Deserialize;

use crate::load::{read_to_string, toml_document};
use crate::{AdminLevel, Error, Result};

/// The kind code every People's Committee unit has.
pub const PEOPLE_COMMITTEE: &str = "people_committee";

/// A kind of reporting unit and what it may report.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct UnitKind {
    /// Stable code, e.g. `school`, `telecom`.
    pub code: String,
    /// Vietnamese name for reports.
    pub name: String,
    /// Role-specific indicator blocks this kind may send: `telecom`, `police`, `market`,
    /// `media`. A block from a unit whose kind does not list it is refused.
    #[serde(default)]
    pub indicator_blocks: Vec<String>,
    /// Units of this kind may submit *on behalf of* units of a lower tier inside their
    /// area (a district office for the communes of its district); the envelope records
    /// who actually submitted.
    #[serde(default)]
    pub submits_on_behalf: bool,
}

/// The indicator block names a kind may list.
pub const INDICATOR_BLOCKS: [&str; 4] = ["telecom", "police", "market", "media"];

#[derive(Deserialize)]
struct KindsFile {
    #[serde(default)]
    kind: Vec<UnitKind>,
}

/// Loads `unit_kinds.toml`; kind codes must be unique and list only known blocks.
pub(crate) fn load_kinds(path: &Path) -> Result<Vec<UnitKind>> {
    let text = read_to_string(path)?;
    let file: KindsFile = toml_document(path, &text)?;
    let mut seen = std::collections::HashSet::new();
    for kind in &file.kind {
        let line =
            crate::load::line_of(&text, text.find(&format!("\"{}\"", kind.code)).unwrap_or(0));
        if !seen.insert(kind.code.clone()) {
            return Err(Error::data(
                path,
                line,
                format!("duplicate kind `{}`", kind.code),
            ));
        }
        if let Some(block) = kind
            .indicator_blocks
            .iter()
            .find(|b| !INDICATOR_BLOCKS.contains(&b.as_str()))
        {
            return Err(Error::data(
                path,
                line,
                format!(
                    "kind `{}` lists unknown indicator block `{block}` (known: {})",
                    kind.code,
                    INDICATOR_BLOCKS.join(", ")
                ),
            ));
        }
    }
    if !seen.contains(PEOPLE_COMMITTEE) {
        return Err(Error::data(
            path,
            1,
            format!("kind `{PEOPLE_COMMITTEE}` must be defined"),
        ));
    }
    Ok(file.kind)
}

/// A unit that submits reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReportingUnit {
    /// Permanent unit code: the administrative code for a People's Committee, otherwise
    /// `<area code>.<suffix>`.
    pub code: String,
    /// Kind code (see [`UnitKind`]).
    pub kind: String,
    /// Vietnamese name.
    pub name: String,
    /// The administrative unit it belongs to.
    pub area_code: String,
    /// The tier it reports at: the level of its area.
    pub tier: AdminLevel,
    /// The unit above it in the reporting tree: the People's Committee of its area for an
    /// ordinary unit, the People's Committee of the parent area for a People's Committee;
    /// empty for a province's People's Committee.
    pub parent_code: String,
}

/// One row of a `units/*.csv` file.
#[derive(Deserialize)]
pub(crate) struct UnitRow {
    pub(crate) code: String,
    pub(crate) kind: String,
    pub(crate) name: String,
    pub(crate) area_code: String,
}
