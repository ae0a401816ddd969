//! Which administrative map `admin_units.csv` is, and when it was in force, read from
//! `register.toml`: a campaign whose dates fall outside that period runs on units that
//! may have been merged, renamed or abolished (the 2025 reform), and is warned about.

use std::path::Path;

use chrono::NaiveDate;
use serde::Deserialize;

use crate::load::{iso_date, read_to_string, toml_document};
use crate::{Campaign, Error, Result};

/// The register's name, source and period of validity.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegisterInfo {
    /// What the register is, in Vietnamese, e.g. "Danh mục đơn vị hành chính 2023".
    pub name: String,
    /// Where the data comes from (package, decision).
    pub source: String,
    /// First day the map was in force, if known.
    pub valid_from: Option<NaiveDate>,
    /// Last day the map was in force, if it has been replaced.
    pub valid_until: Option<NaiveDate>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RegisterFile {
    name: String,
    #[serde(default)]
    source: String,
    valid_from: Option<toml::Spanned<String>>,
    valid_until: Option<toml::Spanned<String>>,
}

/// Reads `register.toml`; `None` when the data directory has none (validity unknown).
pub(crate) fn load_register_info(path: &Path) -> Result<Option<RegisterInfo>> {
    if !path.exists() {
        return Ok(None);
    }
    let text = read_to_string(path)?;
    let file: RegisterFile = toml_document(path, &text)?;
    let date = |field: &Option<toml::Spanned<String>>| -> Result<Option<NaiveDate>> {
        let Some(spanned) = field else {
            return Ok(None);
        };
        iso_date(spanned.get_ref()).map(Some).map_err(|reason| {
            Error::data(
                path,
                crate::load::line_of(&text, spanned.span().start),
                reason,
            )
        })
    };
    Ok(Some(RegisterInfo {
        name: file.name,
        source: file.source,
        valid_from: date(&file.valid_from)?,
        valid_until: date(&file.valid_until)?,
    }))
}

impl RegisterInfo {
    /// Why `campaign` should not run on this register, if its dates (opening to its last
    /// deadline or closing day) fall outside the register's period of validity.
    pub fn mismatch(&self, campaign: &Campaign) -> Option<String> {
        let last_day = campaign.last_day();
        if let Some(until) = self.valid_until
            && last_day > until
        {
            return Some(format!(
                "campaign {} runs {} → {last_day} but the register \"{}\" was replaced after \
                 {until}: its units may have been merged, renamed or abolished since \
                 (docs/data.md, \"Registers and their dates\")",
                campaign.id, campaign.opens_on, self.name
            ));
        }
        if let Some(from) = self.valid_from
            && campaign.opens_on < from
        {
            return Some(format!(
                "campaign {} opens on {} but the register \"{}\" is in force only from \
                 {from}: the units of that time are not in it",
                campaign.id, campaign.opens_on, self.name
            ));
        }
        None
    }
}
