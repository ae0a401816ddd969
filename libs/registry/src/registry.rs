//! The loaded registry: lookups along the unit tree that gateways (who may submit?) and
//! pipelines (who was expected?) share.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use crate::admin::load_admin_units;
use crate::campaign::load_campaign;
use crate::document::document_problem;
use crate::load::{csv_records, read_to_string};
use crate::register::load_register_info;
use crate::units::{Contact, PEOPLE_COMMITTEE, UnitRow, load_kinds};
use crate::{
    AdminLevel, AdminUnit, Campaign, Error, RegisterInfo, ReportingUnit, Result, UnitKind,
};

/// Administrative register, reporting units, unit kinds and campaigns, checked together.
///
/// Layout of the data directory (see `docs/data.md`): `admin_units.csv`,
/// `register.toml` (optional: the register's period of validity), `unit_kinds.toml`,
/// `units/*.csv`, `campaigns/*.toml`.
#[derive(Debug)]
pub struct Registry {
    /// Unique per loaded registry in this process (see [`Registry::load_id`]).
    load_id: u64,
    /// The data directory it was loaded from.
    dir: PathBuf,
    admin: HashMap<String, AdminUnit>,
    register: Option<RegisterInfo>,
    units: HashMap<String, ReportingUnit>,
    children: HashMap<String, Vec<String>>,
    kinds: Vec<UnitKind>,
    campaigns: Vec<Campaign>,
}

/// The next [`Registry::load_id`].
static NEXT_LOAD_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

pub(crate) fn sorted_files(dir: &Path, extension: &str) -> Result<Vec<PathBuf>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => {
            return Err(Error::Io {
                path: dir.to_path_buf(),
                source,
            });
        }
    };
    let mut files = Vec::new();
    for entry in entries {
        let path = entry
            .map_err(|source| Error::Io {
                path: dir.to_path_buf(),
                source,
            })?
            .path();
        if path.extension().is_some_and(|e| e == extension) {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

impl Registry {
    /// Loads and cross-checks every file of a data directory.
    pub fn load(dir: impl AsRef<Path>) -> Result<Self> {
        let dir = dir.as_ref();
        let admin = load_admin_units(&dir.join("admin_units.csv"))?;
        let kinds = load_kinds(&dir.join("unit_kinds.toml"))?;
        let register = load_register_info(&dir.join("register.toml"))?;
        let mut units = peoples_committees(&admin);
        for path in sorted_files(&dir.join("units"), "csv")? {
            load_unit_file(&path, &admin, &kinds, &mut units)?;
        }
        let children = children_of(&units);
        let mut campaigns: Vec<Campaign> = Vec::new();
        for path in sorted_files(&dir.join("campaigns"), "toml")? {
            let campaign = load_checked_campaign(&path, &admin, &units, &kinds, &campaigns)?;
            campaigns.push(campaign);
        }
        Ok(Registry {
            load_id: NEXT_LOAD_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            dir: dir.to_path_buf(),
            admin,
            register,
            units,
            children,
            kinds,
            campaigns,
        })
    }

    /// Identifies this loaded registry within the process: a key for caches of values
    /// derived from it (a registry is never changed after loading; loading the data
    /// directory again gives a new id).
    pub fn load_id(&self) -> u64 {
        self.load_id
    }

    /// What the administrative register is and when it was in force, when the data
    /// directory says (`register.toml`).
    pub fn register(&self) -> Option<&RegisterInfo> {
        self.register.as_ref()
    }

    /// One line per campaign whose dates fall outside the register's period of validity
    /// (see [`RegisterInfo::mismatch`]); empty when all fit or the period is unknown.
    pub fn register_warnings(&self) -> Vec<String> {
        let Some(register) = &self.register else {
            return Vec::new();
        };
        self.campaigns
            .iter()
            .filter_map(|c| register.mismatch(c))
            .collect()
    }

    /// An administrative unit by code.
    pub fn admin_unit(&self, code: &str) -> Option<&AdminUnit> {
        self.admin.get(code)
    }

    /// A reporting unit by code.
    pub fn unit(&self, code: &str) -> Option<&ReportingUnit> {
        self.units.get(code)
    }

    /// All reporting units, in no particular order.
    pub fn units(&self) -> impl Iterator<Item = &ReportingUnit> {
        self.units.values()
    }

    /// Number of reporting units.
    pub fn unit_count(&self) -> usize {
        self.units.len()
    }

    /// Codes of the units directly under `parent_code` in the reporting tree, sorted; an
    /// empty parent lists the provinces' People's Committees.
    pub fn children(&self, parent_code: &str) -> &[String] {
        self.children
            .get(parent_code)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// A unit kind by code.
    pub fn kind(&self, code: &str) -> Option<&UnitKind> {
        self.kinds.iter().find(|k| k.code == code)
    }

    /// The indicator blocks `unit`'s kind reports (none for an unknown kind).
    pub fn indicator_blocks(&self, unit: &ReportingUnit) -> &[String] {
        self.kind(&unit.kind)
            .map(|k| k.indicator_blocks.as_slice())
            .unwrap_or_default()
    }

    /// The data directory this registry was loaded from.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// All campaigns, in file-name order.
    pub fn campaigns(&self) -> &[Campaign] {
        &self.campaigns
    }

    /// A campaign by id.
    pub fn campaign(&self, id: &str) -> Option<&Campaign> {
        self.campaigns.iter().find(|c| c.id == id)
    }

    /// The administrative codes from `area_code` up to its province, starting with itself.
    pub fn area_chain(&self, area_code: &str) -> Vec<&AdminUnit> {
        let mut chain = Vec::new();
        let mut next = self.admin.get(area_code);
        while let Some(area) = next {
            chain.push(area);
            next = self.admin.get(&area.parent_code);
        }
        chain
    }

    /// The area of `unit` at `level`, if its chain has that tier (a register without
    /// districts has none).
    pub fn area_at(&self, unit: &ReportingUnit, level: AdminLevel) -> Option<&AdminUnit> {
        self.area_chain(&unit.area_code)
            .into_iter()
            .find(|a| a.level == level)
    }

    /// Whether `unit` lies inside the administrative unit `jurisdiction` (or is it). The
    /// empty jurisdiction is the whole country.
    pub fn is_within(&self, unit: &ReportingUnit, jurisdiction: &str) -> bool {
        jurisdiction.is_empty()
            || self
                .area_chain(&unit.area_code)
                .iter()
                .any(|a| a.code == jurisdiction)
    }

    /// Whether `submitter` may submit for `unit`: itself, or — when its kind submits on
    /// behalf — a unit of a lower tier inside the submitter's area.
    pub fn may_submit_for(&self, submitter: &ReportingUnit, unit: &ReportingUnit) -> bool {
        if submitter.code == unit.code {
            return true;
        }
        self.kind(&submitter.kind)
            .is_some_and(|k| k.submits_on_behalf)
            && unit.tier > submitter.tier
            && self.is_within(unit, &submitter.area_code)
    }

    /// Whether `campaign` expects `unit`'s report: a unit of a required kind inside its
    /// province.
    pub fn expects(&self, campaign: &Campaign, unit: &ReportingUnit) -> bool {
        campaign.required_unit_kinds.contains(&unit.kind)
            && self.is_within(unit, &campaign.province)
    }

    /// Units expected to report in `campaign` (see [`Registry::expects`]).
    pub fn expected_units<'a>(
        &'a self,
        campaign: &'a Campaign,
    ) -> impl Iterator<Item = &'a ReportingUnit> {
        self.units
            .values()
            .filter(move |u| self.expects(campaign, u))
    }
}

/// A People's Committee for every administrative unit of the register.
fn peoples_committees(admin: &HashMap<String, AdminUnit>) -> HashMap<String, ReportingUnit> {
    admin
        .values()
        .map(|a| {
            let unit = ReportingUnit {
                code: a.code.clone(),
                kind: PEOPLE_COMMITTEE.to_string(),
                name: people_committee_name(&a.name_with_type),
                area_code: a.code.clone(),
                tier: a.level,
                parent_code: a.parent_code.clone(),
                contact: Contact::default(),
            };
            (a.code.clone(), unit)
        })
        .collect()
}

/// Adds the units of one `units/*.csv` file, refusing an unknown area or kind, a bad or
/// duplicate code, a malformed phone or e-mail with file, line and reason. A row of kind
/// `people_committee` describes the People's Committee the register implies for its
/// area (its contact, and its name when given) instead of adding a unit.
fn load_unit_file(
    path: &Path,
    admin: &HashMap<String, AdminUnit>,
    kinds: &[UnitKind],
    units: &mut HashMap<String, ReportingUnit>,
) -> Result<()> {
    let text = read_to_string(path)?;
    let mut committees_described = HashSet::new();
    for (line, row) in csv_records::<UnitRow>(path, &text)? {
        let refuse = |reason: String| Err(Error::data(path, line, reason));
        let Some(area) = admin.get(&row.area_code) else {
            return refuse(format!("unknown area_code `{}`", row.area_code));
        };
        if row.code.is_empty() || row.code.chars().any(char::is_whitespace) {
            return refuse(format!(
                "code `{}` must be non-empty without spaces",
                row.code
            ));
        }
        if !kinds.iter().any(|k| k.code == row.kind) {
            return refuse(format!("unknown kind `{}` (see unit_kinds.toml)", row.kind));
        }
        let contact = row.contact();
        if let Some(problem) = contact.problem() {
            return refuse(problem);
        }
        if row.kind == PEOPLE_COMMITTEE {
            if row.code != row.area_code {
                return refuse(format!(
                    "a `{PEOPLE_COMMITTEE}` row describes the People's Committee of its area: code `{}` must equal area_code `{}`",
                    row.code, row.area_code
                ));
            }
            if !committees_described.insert(row.code.clone()) {
                return refuse(format!("duplicate unit code `{}`", row.code));
            }
            if let Some(committee) = units.get_mut(&row.code) {
                committee.contact = contact;
                if !row.name.is_empty() {
                    committee.name = row.name;
                }
            }
            continue;
        }
        if units.contains_key(&row.code) {
            return refuse(format!("duplicate unit code `{}`", row.code));
        }
        units.insert(
            row.code.clone(),
            ReportingUnit {
                code: row.code,
                kind: row.kind,
                name: row.name,
                area_code: area.code.clone(),
                tier: area.level,
                parent_code: area.code.clone(),
                contact,
            },
        );
    }
    Ok(())
}

/// The reporting tree: each parent's children, sorted.
fn children_of(units: &HashMap<String, ReportingUnit>) -> HashMap<String, Vec<String>> {
    let mut children: HashMap<String, Vec<String>> = HashMap::new();
    for unit in units.values() {
        children
            .entry(unit.parent_code.clone())
            .or_default()
            .push(unit.code.clone());
    }
    for list in children.values_mut() {
        list.sort();
    }
    children
}

/// Loads one campaign file and checks its references: a unique id, a known province,
/// consolidating unit and unit kinds.
fn load_checked_campaign(
    path: &Path,
    admin: &HashMap<String, AdminUnit>,
    units: &HashMap<String, ReportingUnit>,
    kinds: &[UnitKind],
    earlier: &[Campaign],
) -> Result<Campaign> {
    let mut loaded = load_campaign(path)?;
    let c = &loaded.campaign;
    if earlier.iter().any(|other| other.id == c.id) {
        return Err(Error::data(
            path,
            loaded.id_line,
            format!("duplicate campaign id `{}`", c.id),
        ));
    }
    // An empty province is a national campaign (the Ministry consolidates all).
    if !c.province.is_empty()
        && admin
            .get(&c.province)
            .is_none_or(|a| a.level != AdminLevel::Province)
    {
        return Err(Error::data(
            path,
            loaded.province_line,
            format!("unknown province code `{}`", c.province),
        ));
    }
    if !units.contains_key(&c.consolidating_unit) {
        return Err(Error::data(
            path,
            loaded.consolidating_unit_line,
            format!("unknown consolidating_unit `{}`", c.consolidating_unit),
        ));
    }
    if let Some(kind) = c
        .required_unit_kinds
        .iter()
        .find(|k| !kinds.iter().any(|known| &known.code == *k))
    {
        return Err(Error::data(
            path,
            loaded.kinds_line,
            format!("unknown unit kind `{kind}`"),
        ));
    }
    let (file, line) = loaded.document;
    let document = file.resolve(admin.get(&c.province), &units[&c.consolidating_unit]);
    if let Some(problem) = document_problem(&document) {
        return Err(Error::data(path, line, problem));
    }
    loaded.campaign.document = document;
    Ok(loaded.campaign)
}

/// The People's Committee of an area as Vietnamese writes it: "UBND" and the area's name
/// with its type in lower case ("UBND tỉnh Thanh Hóa", "UBND thị xã Bỉm Sơn", "UBND
/// phường Hàm Rồng"); the register spells the type capitalised at the start of a name.
pub fn people_committee_name(name_with_type: &str) -> String {
    let mut chars = name_with_type.chars();
    match chars.next() {
        Some(first) => format!("UBND {}{}", first.to_lowercase(), chars.as_str()),
        None => "UBND".to_string(),
    }
}
