//! The loaded registry: lookups along the unit tree that gateways (who may submit?) and
//! pipelines (who was expected?) share.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use crate::admin::load_admin_units;
use crate::campaign::{LoadedCampaign, load_campaign};
use crate::document::document_problem;
use crate::load::{csv_records, read_to_string, sorted_entries};
use crate::register::load_register_info;
use crate::units::{Contact, PEOPLE_COMMITTEE, UnitRow, load_kinds};
use crate::versions::{RegisterVersion, has_versions, register_of_campaign, register_versions};
use crate::{
    AdminLevel, AdminUnit, Campaign, Error, RegisterChoice, RegisterInfo, ReportingUnit, Result,
    UnitKind,
};

/// Administrative register, reporting units, unit kinds and campaigns, checked together.
///
/// Layout of the data directory (see `docs/data.md`): `admin_units.csv`,
/// `register.toml` (optional: the register's period of validity), `unit_kinds.toml`,
/// `units/*.csv`, `campaigns/*.toml`.
#[derive(Debug)]
pub struct Registry {
    /// Unique per loaded registry in this process (see [`Registry::load_id`]).
    pub(crate) load_id: u64,
    /// The data directory it was loaded from.
    pub(crate) dir: PathBuf,
    pub(crate) admin: HashMap<String, AdminUnit>,
    pub(crate) register: Option<RegisterInfo>,
    /// The register's id when the data directory holds dated registers.
    pub(crate) register_id: Option<String>,
    pub(crate) units: HashMap<String, ReportingUnit>,
    pub(crate) children: HashMap<String, Vec<String>>,
    pub(crate) kinds: Vec<UnitKind>,
    pub(crate) campaigns: Vec<Campaign>,
    /// (campaign, register) of the data directory's campaigns on other registers.
    pub(crate) elsewhere: Vec<(String, String)>,
}

/// The next [`Registry::load_id`].
static NEXT_LOAD_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

/// A fresh [`Registry::load_id`].
pub(crate) fn next_load_id() -> u64 {
    NEXT_LOAD_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

/// The files of `dir` with `extension`, sorted.
pub(crate) fn sorted_files(dir: &Path, extension: &str) -> Result<Vec<PathBuf>> {
    sorted_entries(dir, |path| path.extension().is_some_and(|e| e == extension))
}

/// A campaign file as read, before its references are checked.
type CampaignFile = (PathBuf, LoadedCampaign);

/// Every `campaigns/*.toml` of `dir`, parsed; a duplicate id refused with file and line.
fn read_campaigns(dir: &Path) -> Result<Vec<CampaignFile>> {
    let mut read: Vec<CampaignFile> = Vec::new();
    for path in sorted_files(&dir.join("campaigns"), "toml")? {
        let loaded = load_campaign(&path)?;
        if read
            .iter()
            .any(|(_, other)| other.campaign.id == loaded.campaign.id)
        {
            return Err(Error::data(
                &path,
                loaded.id_line,
                format!("duplicate campaign id `{}`", loaded.campaign.id),
            ));
        }
        read.push((path, loaded));
    }
    Ok(read)
}

/// The register `choice` asks for among `versions`, whose campaigns are `campaigns`.
fn chosen_version<'v>(
    choice: &RegisterChoice,
    versions: &'v [RegisterVersion],
    campaigns: &[CampaignFile],
) -> Result<&'v RegisterVersion> {
    let known: Vec<&str> = versions.iter().map(|v| v.id.as_str()).collect();
    let found = match choice {
        RegisterChoice::Named(id) => versions.iter().find(|v| &v.id == id),
        RegisterChoice::InForceOn(day) => versions.iter().rev().find(|v| v.in_force_on(*day)),
        RegisterChoice::OfCampaign(id) => {
            let Some((_, loaded)) = campaigns.iter().find(|(_, c)| &c.campaign.id == id) else {
                let ids: Vec<&str> = campaigns
                    .iter()
                    .map(|(_, c)| c.campaign.id.as_str())
                    .collect();
                return Err(Error::Choice(format!(
                    "unknown campaign `{id}` (campaigns/ has: {})",
                    ids.join(", ")
                )));
            };
            versions.iter().find(|v| v.id == loaded.campaign.register)
        }
    };
    found.ok_or_else(|| {
        Error::Choice(match choice {
            RegisterChoice::InForceOn(day) => {
                format!(
                    "no register is in force on {day} (registers/ has: {})",
                    known.join(", ")
                )
            }
            RegisterChoice::Named(id) => format!(
                "no such register `{id}` (registers/ has: {})",
                known.join(", ")
            ),
            RegisterChoice::OfCampaign(id) => format!(
                "campaign `{id}` names a register that is not there (registers/ has: {})",
                known.join(", ")
            ),
        })
    })
}

impl Registry {
    /// Loads and cross-checks every file of a data directory: of a single register, or —
    /// when it has `registers/` — the register in force today (Vietnam time).
    pub fn load(dir: impl AsRef<Path>) -> Result<Self> {
        let today = crate::vietnam_date(chrono::Utc::now());
        Self::load_register(dir, &RegisterChoice::InForceOn(today))
    }

    /// Loads one register of a data directory with the campaigns that run on it, every
    /// campaign of the directory checked (a campaign on no register, or outside its
    /// register's dates, is refused). A data directory without `registers/` has a single
    /// register, whatever the choice (a named one is refused).
    pub fn load_register(dir: impl AsRef<Path>, choice: &RegisterChoice) -> Result<Self> {
        let dir = dir.as_ref();
        let mut campaigns = read_campaigns(dir)?;
        if !has_versions(dir) {
            return Self::load_single(dir, choice, campaigns);
        }
        let versions = register_versions(dir)?;
        for (path, loaded) in &mut campaigns {
            let version = register_of_campaign(path, loaded, &versions)?;
            loaded.campaign.register = version.id.clone();
        }
        let chosen = chosen_version(choice, &versions, &campaigns)?;
        let (mine, others): (Vec<_>, Vec<_>) = campaigns
            .into_iter()
            .partition(|(_, c)| c.campaign.register == chosen.id);
        let elsewhere = others
            .into_iter()
            .map(|(_, c)| (c.campaign.id, c.campaign.register))
            .collect();
        let kinds_file = Some(chosen.dir.join("unit_kinds.toml"))
            .filter(|p| p.exists())
            .unwrap_or_else(|| dir.join("unit_kinds.toml"));
        let world = World {
            register_dir: &chosen.dir,
            kinds_file: &kinds_file,
            register: Some(chosen.info.clone()),
            register_id: Some(chosen.id.clone()),
        };
        world.load(dir, mine, elsewhere)
    }

    /// A data directory of one register (no `registers/`): `admin_units.csv`,
    /// `register.toml` and `units/` beside `campaigns/`.
    fn load_single(
        dir: &Path,
        choice: &RegisterChoice,
        campaigns: Vec<CampaignFile>,
    ) -> Result<Self> {
        if let RegisterChoice::Named(id) = choice {
            return Err(Error::Choice(format!(
                "register `{id}` asked for, but {} holds a single register (no registers/ directory)",
                dir.display()
            )));
        }
        if let Some((path, (id, line))) = campaigns
            .iter()
            .find_map(|(path, c)| c.register.as_ref().map(|r| (path, r)))
        {
            return Err(Error::data(
                path,
                *line,
                format!(
                    "register `{id}`: this data directory holds a single register (no registers/ directory); remove the line"
                ),
            ));
        }
        let world = World {
            register_dir: dir,
            kinds_file: &dir.join("unit_kinds.toml"),
            register: load_register_info(&dir.join("register.toml"))?,
            register_id: None,
        };
        world.load(dir, campaigns, Vec::new())
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

    /// The id of the register loaded (its directory under `registers/`); `None` for a
    /// data directory of a single register.
    pub fn register_id(&self) -> Option<&str> {
        self.register_id.as_deref()
    }

    /// How to load this registry again (a running server follows its campaign files but
    /// stays on its register until restarted).
    pub fn reload_choice(&self) -> RegisterChoice {
        match &self.register_id {
            Some(id) => RegisterChoice::Named(id.clone()),
            None => RegisterChoice::InForceOn(crate::vietnam_date(chrono::Utc::now())),
        }
    }

    /// The register a campaign of the data directory runs on, when it is not this one.
    pub fn campaign_elsewhere(&self, id: &str) -> Option<&str> {
        self.elsewhere
            .iter()
            .find(|(campaign, _)| campaign == id)
            .map(|(_, register)| register.as_str())
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

    /// The tiers of the register, from the province down (no district on the 2025 map).
    pub fn tiers(&self) -> Vec<AdminLevel> {
        let mut tiers: Vec<AdminLevel> = Vec::new();
        for area in self.admin.values() {
            if !tiers.contains(&area.level) {
                tiers.push(area.level);
            }
        }
        tiers.sort();
        tiers
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

    /// The area directly under the province that holds `unit`: its district on a
    /// three-tier register, its commune on a two-tier one; `None` for the province's own
    /// units. Pages, sheets and reminders group by it, whatever tiers the register has.
    pub fn area_under_province(&self, unit: &ReportingUnit) -> Option<&AdminUnit> {
        let chain = self.area_chain(&unit.area_code);
        let province = chain.iter().position(|a| a.level == AdminLevel::Province)?;
        province.checked_sub(1).and_then(|i| chain.get(i)).copied()
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

    /// Whether `submitter` may submit for `unit`: itself; a unit of a lower tier inside
    /// its area when its kind submits on behalf; or a unit its kind's `submits_for` rule
    /// covers inside its area.
    pub fn may_submit_for(&self, submitter: &ReportingUnit, unit: &ReportingUnit) -> bool {
        if submitter.code == unit.code {
            return true;
        }
        let Some(kind) = self.kind(&submitter.kind) else {
            return false;
        };
        let on_behalf = kind.submits_on_behalf && unit.tier > submitter.tier;
        let by_rule = kind
            .submits_for
            .as_ref()
            .is_some_and(|rule| rule.covers(submitter.tier, unit));
        (on_behalf || by_rule) && self.is_within(unit, &submitter.area_code)
    }

    /// Whether units of `unit`'s kind and tier submit for others at all (for menus and
    /// default roles; [`Registry::may_submit_for`] decides each unit).
    pub fn submits_for_others(&self, unit: &ReportingUnit) -> bool {
        self.kind(&unit.kind).is_some_and(|k| {
            k.submits_on_behalf
                || k.submits_for
                    .as_ref()
                    .is_some_and(|rule| rule.reviewer_tier.is_none_or(|t| t == unit.tier))
        })
    }

    /// Whether `reviewer` may approve or return `unit`'s reports in `campaign`: the
    /// campaign's consolidating unit for any unit it expects, or a unit whose kind's
    /// review rule covers `unit` inside the reviewer's area (never its own reports).
    pub fn may_review(
        &self,
        reviewer: &ReportingUnit,
        unit: &ReportingUnit,
        campaign: &Campaign,
    ) -> bool {
        if reviewer.code == unit.code || !self.is_within(unit, &campaign.province) {
            return false;
        }
        if reviewer.code == campaign.consolidating_unit {
            return true;
        }
        self.kind(&reviewer.kind)
            .and_then(|k| k.reviews.as_ref())
            .is_some_and(|rule| {
                rule.covers(reviewer.tier, unit) && self.is_within(unit, &reviewer.area_code)
            })
    }

    /// Whether `reviewer` reviews anyone at all: it consolidates a campaign, or its kind
    /// has a review rule that holds for its tier (for menus; [`Registry::may_review`]
    /// decides each unit).
    pub fn reviews_anyone(&self, reviewer: &ReportingUnit) -> bool {
        self.campaigns
            .iter()
            .any(|c| c.consolidating_unit == reviewer.code)
            || self
                .kind(&reviewer.kind)
                .and_then(|k| k.reviews.as_ref())
                .is_some_and(|rule| rule.reviewer_tier.is_none_or(|t| t == reviewer.tier))
    }

    /// Whether `campaign` expects `unit`'s report: a unit of a required kind inside its
    /// province — but never the People's Committee of the campaign's own province: the
    /// report is addressed to its Chairman, and its cameras are reported by its office
    /// (Văn phòng UBND tỉnh, a unit of its own). A national campaign expects the
    /// provinces' committees like any other.
    pub fn expects(&self, campaign: &Campaign, unit: &ReportingUnit) -> bool {
        let addressee = !campaign.province.is_empty()
            && unit.kind == PEOPLE_COMMITTEE
            && unit.code == campaign.province;
        campaign.required_unit_kinds.contains(&unit.kind)
            && self.is_within(unit, &campaign.province)
            && !addressee
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

/// Where one register's files are.
struct World<'a> {
    register_dir: &'a Path,
    kinds_file: &'a Path,
    register: Option<RegisterInfo>,
    register_id: Option<String>,
}

impl World<'_> {
    /// The register's areas, kinds and units, and `campaigns` checked against them.
    fn load(
        self,
        dir: &Path,
        campaigns: Vec<CampaignFile>,
        elsewhere: Vec<(String, String)>,
    ) -> Result<Registry> {
        let admin = load_admin_units(&self.register_dir.join("admin_units.csv"))?;
        let kinds = load_kinds(self.kinds_file)?;
        let mut units = peoples_committees(&admin);
        for path in sorted_files(&self.register_dir.join("units"), "csv")? {
            load_unit_file(&path, &admin, &kinds, &mut units)?;
        }
        let children = children_of(&units);
        let mut checked = Vec::with_capacity(campaigns.len());
        for (path, loaded) in campaigns {
            checked.push(check_campaign(&path, loaded, &admin, &units, &kinds)?);
        }
        Ok(Registry {
            load_id: next_load_id(),
            dir: dir.to_path_buf(),
            admin,
            register: self.register,
            register_id: self.register_id,
            units,
            children,
            kinds,
            campaigns: checked,
            elsewhere,
        })
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
                    committee.name = crate::admin::single_spaced(&row.name);
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
                name: crate::admin::single_spaced(&row.name),
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
pub(crate) fn children_of(units: &HashMap<String, ReportingUnit>) -> HashMap<String, Vec<String>> {
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

/// Checks one campaign's references: a known province, consolidating unit and unit
/// kinds; completes its `[document]` from the register.
fn check_campaign(
    path: &Path,
    mut loaded: LoadedCampaign,
    admin: &HashMap<String, AdminUnit>,
    units: &HashMap<String, ReportingUnit>,
    kinds: &[UnitKind],
) -> Result<Campaign> {
    let c = &loaded.campaign;
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
