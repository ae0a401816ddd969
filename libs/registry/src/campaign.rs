//! Campaigns and their milestones: who must report what by when, loaded from
//! `campaigns/*.toml` so that deadlines are data, not code.

use std::path::Path;

use chrono::NaiveDate;
use serde::Deserialize;
use toml::Spanned;

use crate::document::{DocumentFile, DocumentSettings};
use crate::load::{iso_date, line_of, read_to_string, toml_document};
use crate::milestone::{CountBasis, Milestone, MilestoneMeasure};
use crate::reminders::ReminderSchedule;
use crate::{Error, Result};

/// A reporting campaign of one province.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Campaign {
    /// Stable id, e.g. `thanh-hoa-2023`.
    pub id: String,
    /// Vietnamese title.
    pub name: String,
    /// The legal documents it implements.
    pub legal_basis: String,
    /// Province code whose units report; empty: a national campaign (the whole register).
    pub province: String,
    /// The unit that consolidates (the DIC).
    pub consolidating_unit: String,
    /// First day submissions are accepted.
    pub opens_on: NaiveDate,
    /// Last day submissions are accepted, if the campaign closes.
    pub closes_on: Option<NaiveDate>,
    /// Kinds of units expected to report.
    pub required_unit_kinds: Vec<String>,
    /// Milestones in file order.
    pub milestones: Vec<Milestone>,
    /// Who issues the Chairman's report, to whom, and who signs it (`[document]`,
    /// completed from the register).
    pub document: DocumentSettings,
    /// The register (administrative map) it runs on: the id of its directory under
    /// `registers/`, from the file or the register in force on `opens_on`; empty in a data
    /// directory of a single register.
    pub register: String,
    /// Which versions the Chairman's report counts (`count`, by default `received`).
    pub count: CountBasis,
    /// The earlier campaign of the same province the report compares with, year over
    /// year (`compare_with`, a campaign id; it may run on another register: it is then
    /// re-rolled up on this campaign's map).
    pub compare_with: Option<String>,
}

impl Campaign {
    /// Whether submissions are accepted on `day` (Vietnam calendar day).
    pub fn is_open_on(&self, day: NaiveDate) -> bool {
        day >= self.opens_on && self.closes_on.is_none_or(|close| day <= close)
    }

    /// The last day the campaign concerns: its closing day, or else its last report
    /// deadline (or its first day when it has no milestones).
    pub fn last_day(&self) -> NaiveDate {
        let last_deadline = self.milestones.iter().map(|m| m.report_deadline).max();
        self.closes_on.or(last_deadline).unwrap_or(self.opens_on)
    }

    /// The milestone with this id.
    pub fn milestone(&self, id: &str) -> Option<&Milestone> {
        self.milestones.iter().find(|m| m.id == id)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CampaignFile {
    id: Spanned<String>,
    name: String,
    #[serde(default)]
    legal_basis: String,
    province: Spanned<String>,
    consolidating_unit: Spanned<String>,
    opens_on: Spanned<String>,
    closes_on: Option<Spanned<String>>,
    required_unit_kinds: Spanned<Vec<String>>,
    #[serde(default)]
    milestones: Vec<MilestoneFile>,
    document: Option<Spanned<DocumentFile>>,
    register: Option<Spanned<String>>,
    reminders: Option<Spanned<ReminderSchedule>>,
    #[serde(default)]
    count: CountBasis,
    compare_with: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MilestoneFile {
    id: Spanned<String>,
    name: String,
    measure: MilestoneMeasure,
    opens_on: Option<Spanned<String>>,
    unit_deadline: Spanned<String>,
    report_deadline: Spanned<String>,
    reminders: Option<Spanned<ReminderSchedule>>,
}

/// The first day of a milestone's reporting window: its `opens_on`, or the day after the
/// previous milestone's unit deadline, or the campaign's first day.
fn milestone_opens_on(
    milestone: &MilestoneFile,
    earlier: &[Milestone],
    campaign_opens_on: NaiveDate,
    date: &dyn Fn(&Spanned<String>, &str) -> Result<NaiveDate>,
) -> Result<NaiveDate> {
    if let Some(explicit) = &milestone.opens_on {
        return date(explicit, "opens_on");
    }
    Ok(earlier
        .last()
        .and_then(|previous| previous.unit_deadline.succ_opt())
        .unwrap_or(campaign_opens_on))
}

/// One `[[milestones]]` entry, checked: deadlines in order, its window inside the
/// campaign, its id unique among the `earlier` ones.
fn load_milestone(
    m: &MilestoneFile,
    earlier: &[Milestone],
    opens_on: NaiveDate,
    campaign_reminders: Option<&Spanned<ReminderSchedule>>,
    path: &Path,
    text: &str,
    date: &dyn Fn(&Spanned<String>, &str) -> Result<NaiveDate>,
) -> Result<Milestone> {
    let line = line_of(text, m.id.span().start);
    let unit_deadline = date(&m.unit_deadline, "unit_deadline")?;
    let report_deadline = date(&m.report_deadline, "report_deadline")?;
    if report_deadline < unit_deadline {
        return Err(Error::data(
            path,
            line_of(text, m.report_deadline.span().start),
            format!(
                "milestone `{}`: report_deadline {report_deadline} is before unit_deadline {unit_deadline}",
                m.id.get_ref()
            ),
        ));
    }
    let window_opens = milestone_opens_on(m, earlier, opens_on, date)?;
    if window_opens > unit_deadline || window_opens < opens_on {
        let at = m
            .opens_on
            .as_ref()
            .map_or(line, |o| line_of(text, o.span().start));
        return Err(Error::data(
            path,
            at,
            format!(
                "milestone `{}`: its reporting window opens on {window_opens}, which must be between the campaign's opens_on {opens_on} and its unit_deadline {unit_deadline}{}",
                m.id.get_ref(),
                if m.opens_on.is_none() {
                    " (by default the day after the previous milestone's unit_deadline; set opens_on)"
                } else {
                    ""
                }
            ),
        ));
    }
    if earlier.iter().any(|other| &other.id == m.id.get_ref()) {
        return Err(Error::data(
            path,
            line,
            format!("duplicate milestone id `{}`", m.id.get_ref()),
        ));
    }
    let reminders = match m.reminders.as_ref().or(campaign_reminders) {
        Some(schedule) => {
            if let Some(problem) = schedule.get_ref().problem() {
                return Err(Error::data(
                    path,
                    line_of(text, schedule.span().start),
                    problem,
                ));
            }
            schedule.get_ref().clone()
        }
        None => ReminderSchedule::default(),
    };
    Ok(Milestone {
        id: m.id.get_ref().clone(),
        name: m.name.clone(),
        measure: m.measure,
        opens_on: window_opens,
        unit_deadline,
        report_deadline,
        reminders,
    })
}

/// A campaign as read, with the line numbers needed to report cross-reference errors.
pub(crate) struct LoadedCampaign {
    pub(crate) campaign: Campaign,
    pub(crate) id_line: usize,
    pub(crate) province_line: usize,
    pub(crate) consolidating_unit_line: usize,
    pub(crate) kinds_line: usize,
    /// The `[document]` table as written (defaults not yet derived) and its line.
    pub(crate) document: (DocumentFile, usize),
    /// The register the file names, and its line.
    pub(crate) register: Option<(String, usize)>,
}

/// A campaign's id is not empty, and `compare_with` names another campaign.
fn check_ids(file: &CampaignFile, path: &Path, text: &str) -> Result<()> {
    if let Some(earlier) = &file.compare_with
        && (earlier.get_ref().is_empty() || earlier.get_ref() == file.id.get_ref())
    {
        return Err(Error::data(
            path,
            line_of(text, earlier.span().start),
            "compare_with must name another campaign of the province (its id)",
        ));
    }
    if file.id.get_ref().is_empty() {
        return Err(Error::data(
            path,
            line_of(text, file.id.span().start),
            "id must not be empty",
        ));
    }
    Ok(())
}

/// Parses one campaign file: dates must be real calendar dates, deadlines ordered,
/// milestone ids unique.
pub(crate) fn load_campaign(path: &Path) -> Result<LoadedCampaign> {
    let text = read_to_string(path)?;
    let file: CampaignFile = toml_document(path, &text)?;
    let date = |value: &Spanned<String>, field: &str| -> Result<NaiveDate> {
        iso_date(value.get_ref()).map_err(|reason| {
            Error::data(
                path,
                line_of(&text, value.span().start),
                format!("{field}: {reason}"),
            )
        })
    };
    let opens_on = date(&file.opens_on, "opens_on")?;
    let closes_on = file
        .closes_on
        .as_ref()
        .map(|c| date(c, "closes_on"))
        .transpose()?;
    if let (Some(close), Some(spanned)) = (closes_on, &file.closes_on)
        && close < opens_on
    {
        return Err(Error::data(
            path,
            line_of(&text, spanned.span().start),
            format!("closes_on {close} is before opens_on {opens_on}"),
        ));
    }
    let mut milestones: Vec<Milestone> = Vec::with_capacity(file.milestones.len());
    for m in &file.milestones {
        let milestone = load_milestone(
            m,
            &milestones,
            opens_on,
            file.reminders.as_ref(),
            path,
            &text,
            &date,
        )?;
        milestones.push(milestone);
    }
    check_ids(&file, path, &text)?;
    Ok(LoadedCampaign {
        id_line: line_of(&text, file.id.span().start),
        province_line: line_of(&text, file.province.span().start),
        consolidating_unit_line: line_of(&text, file.consolidating_unit.span().start),
        kinds_line: line_of(&text, file.required_unit_kinds.span().start),
        document: match file.document {
            Some(table) => (table.get_ref().clone(), line_of(&text, table.span().start)),
            None => (DocumentFile::default(), 0),
        },
        register: file
            .register
            .map(|r| (r.get_ref().clone(), line_of(&text, r.span().start))),
        campaign: Campaign {
            id: file.id.into_inner(),
            name: file.name,
            legal_basis: file.legal_basis,
            province: file.province.into_inner(),
            consolidating_unit: file.consolidating_unit.into_inner(),
            opens_on,
            closes_on,
            required_unit_kinds: file.required_unit_kinds.into_inner(),
            milestones,
            document: DocumentSettings::default(),
            register: String::new(),
            count: file.count,
            compare_with: file.compare_with.map(Spanned::into_inner),
        },
    })
}
