//! Reporting units: one People's Committee per administrative unit (implied by the
//! register) plus the units listed in `units/*.csv` (departments, police, schools, ...),
//! each of a kind from `unit_kinds.toml`, with whom to contact about each report.

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
    /// Whose reports units of this kind review (approve or return), inside their area
    /// (`[kind.reviews]`); none when absent. The campaign's consolidating unit reviews
    /// every unit of its campaign in any case.
    #[serde(default)]
    pub reviews: Option<ReviewRule>,
    /// Whose reports units of this kind may submit for, inside their area
    /// (`[kind.submits_for]`, the same shape as `[kind.reviews]` with `submitter_tier`):
    /// on the 2025 map a commune's People's Committee for the commune's schools, and the
    /// consolidating department for any unit of the province, when a unit asks it to.
    /// The envelope records who actually submitted.
    #[serde(default)]
    pub submits_for: Option<ReviewRule>,
}

/// Which units a kind acts for (reviews, or submits for): inside the acting unit's area,
/// of these tiers and kinds (empty: any), and only when the acting unit is of
/// `reviewer_tier` (`submitter_tier` in `[kind.submits_for]`) if given: a district
/// office reviews its district's commune-tier units; a commune's People's Committee its
/// commune's schools, but the province's People's Committee not.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReviewRule {
    /// The acting unit's own tier, when the rule holds for one tier only.
    #[serde(default, alias = "submitter_tier")]
    pub reviewer_tier: Option<AdminLevel>,
    /// Tiers of the units reviewed (empty: any).
    #[serde(default)]
    pub tiers: Vec<AdminLevel>,
    /// Kinds of the units reviewed (empty: any).
    #[serde(default)]
    pub kinds: Vec<String>,
}

impl ReviewRule {
    /// Whether a reviewer of tier `reviewer_tier` reviews `unit` under this rule (the
    /// area is checked by the caller).
    pub fn covers(&self, reviewer_tier: AdminLevel, unit: &ReportingUnit) -> bool {
        self.reviewer_tier.is_none_or(|t| t == reviewer_tier)
            && (self.tiers.is_empty() || self.tiers.contains(&unit.tier))
            && (self.kinds.is_empty() || self.kinds.contains(&unit.kind))
    }
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
    /// Whom the department calls about the unit's report (empty when the units file
    /// does not say).
    pub contact: Contact,
}

/// Whom to call or write to about a unit's report: the optional columns `person`,
/// `position`, `phone` and `email` of a units file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Contact {
    /// Full name, e.g. `Nguyễn Thị Hoa`.
    pub person: String,
    /// Position, e.g. `Văn phòng - Thống kê`.
    pub position: String,
    /// Telephone as written, e.g. `0912 345 678`.
    pub phone: String,
    /// E-mail address.
    pub email: String,
}

impl Contact {
    /// Whether no column was filled.
    pub fn is_empty(&self) -> bool {
        self.person.is_empty()
            && self.position.is_empty()
            && self.phone.is_empty()
            && self.email.is_empty()
    }

    /// Why a filled phone or e-mail cannot be right (column and reason), if it cannot.
    pub fn problem(&self) -> Option<String> {
        let digits = self.phone.chars().filter(char::is_ascii_digit).count();
        if !self.phone.is_empty()
            && (!(8..=15).contains(&digits)
                || !self
                    .phone
                    .chars()
                    .all(|c| c.is_ascii_digit() || " .-+()".contains(c)))
        {
            return Some(format!(
                "phone `{}`: expected 8 to 15 digits, with spaces, dots, dashes, + or brackets only",
                self.phone
            ));
        }
        let well_formed = |email: &str| {
            email.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty()
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && !domain.contains('@')
            }) && !email
                .chars()
                .any(|c| c.is_whitespace() || c == ',' || c == ';')
        };
        if !self.email.is_empty() && !well_formed(&self.email) {
            return Some(format!(
                "email `{}`: expected one address such as vanthu@example.gov.vn",
                self.email
            ));
        }
        None
    }
}

/// One row of a `units/*.csv` file.
#[derive(Deserialize)]
pub(crate) struct UnitRow {
    pub(crate) code: String,
    pub(crate) kind: String,
    pub(crate) name: String,
    pub(crate) area_code: String,
    #[serde(default)]
    pub(crate) person: String,
    #[serde(default)]
    pub(crate) position: String,
    #[serde(default)]
    pub(crate) phone: String,
    #[serde(default)]
    pub(crate) email: String,
}

impl UnitRow {
    /// The row's contact columns.
    pub(crate) fn contact(&self) -> Contact {
        Contact {
            person: self.person.clone(),
            position: self.position.clone(),
            phone: self.phone.clone(),
            email: self.email.clone(),
        }
    }
}
