//! Registers as dated versions: a data directory whose `registers/<id>/` each hold one
//! administrative map (`register.toml` with its period of validity, `admin_units.csv`,
//! `units/*.csv`), and which one a campaign or a server runs on.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;

use crate::campaign::LoadedCampaign;
use crate::register::load_register_info;
use crate::{Error, RegisterInfo, Result};

/// Which register of a data directory to load.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RegisterChoice {
    /// The register in force on a day (a server's default: today).
    InForceOn(NaiveDate),
    /// A register by id (its directory name under `registers/`, e.g. `2025`).
    Named(String),
    /// The register a campaign runs on.
    OfCampaign(String),
}

/// One register of a data directory.
#[derive(Clone, Debug)]
pub struct RegisterVersion {
    /// Its id: the directory name under `registers/`.
    pub id: String,
    /// Its name, source and period of validity.
    pub info: RegisterInfo,
    /// Its directory.
    pub dir: PathBuf,
}

impl RegisterVersion {
    /// Whether the map was in force on `day`.
    pub fn in_force_on(&self, day: NaiveDate) -> bool {
        self.info.valid_from.is_none_or(|from| from <= day)
            && self.info.valid_until.is_none_or(|until| day <= until)
    }
}

/// Whether `dir` holds dated registers (`registers/`) rather than a single one.
pub(crate) fn has_versions(dir: &Path) -> bool {
    dir.join("registers").is_dir()
}

/// The directories directly inside `dir`, sorted; none when `dir` does not exist.
pub(crate) fn sub_directories(dir: &Path) -> Result<Vec<PathBuf>> {
    crate::load::sorted_entries(dir, Path::is_dir)
}

/// The registers under `<dir>/registers/`, by id; each must have a `register.toml`.
pub fn register_versions(dir: &Path) -> Result<Vec<RegisterVersion>> {
    let mut versions = Vec::new();
    for path in sub_directories(&dir.join("registers"))? {
        let info_path = path.join("register.toml");
        let Some(info) = load_register_info(&info_path)? else {
            return Err(Error::data(
                &info_path,
                0,
                "every register needs its register.toml (name, source, valid_from/valid_until)",
            ));
        };
        let id = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        versions.push(RegisterVersion {
            id,
            info,
            dir: path,
        });
    }
    versions.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(versions)
}

/// The register `campaign` runs on: the one its file names, or the one in force on its
/// first day; refused (file and line) when none is, or when the campaign's dates fall
/// outside that register's period of validity.
pub(crate) fn register_of_campaign<'v>(
    path: &Path,
    loaded: &LoadedCampaign,
    versions: &'v [RegisterVersion],
) -> Result<&'v RegisterVersion> {
    let campaign = &loaded.campaign;
    let known = || {
        versions
            .iter()
            .map(|v| v.id.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let (version, line) = match &loaded.register {
        Some((id, line)) => match versions.iter().find(|v| &v.id == id) {
            Some(version) => (version, *line),
            None => {
                return Err(Error::data(
                    path,
                    *line,
                    format!("unknown register `{id}` (registers/ has: {})", known()),
                ));
            }
        },
        None => match versions.iter().find(|v| v.in_force_on(campaign.opens_on)) {
            Some(version) => (version, loaded.id_line),
            None => {
                return Err(Error::data(
                    path,
                    loaded.id_line,
                    format!(
                        "no register is in force on opens_on {} (registers/ has: {}); name one with `register = \"…\"`",
                        campaign.opens_on,
                        known()
                    ),
                ));
            }
        },
    };
    if let Some(reason) = version.info.mismatch(campaign) {
        return Err(Error::data(
            path,
            line,
            format!("register {}: {reason}", version.id),
        ));
    }
    Ok(version)
}
