//! The report's model: the figures of the province, its areas and its provincial units,
//! the units to urge with whom to call, and the lineage, extracted from a rollup's tables
//! without I/O. Every renderer (Markdown, HTML, XLSX, DOCX, PDF, letters) reads only this.

use std::collections::{BTreeMap, BTreeSet};

use baocao_catalog::outputs::LATE_AND_MISSING_FILE;
use baocao_catalog::{Columns, Lineage, RollupOutput, summary_file};
use baocao_registry::{Campaign, Contact, DocumentSettings, Milestone, MilestoneMeasure, Registry};
use chrono::{DateTime, NaiveDate, Utc};

use crate::Result;
use crate::compare::EarlierCampaign;

/// The figures of one row of the summary (a province, district or group of units).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Figures {
    /// Code of the province/district (empty for a synthetic group).
    pub code: String,
    /// Vietnamese name.
    pub name: String,
    /// Units expected to report.
    pub units_expected: i64,
    /// Of those, units that reported by the cut-off.
    pub units_reported: i64,
    /// … on time.
    pub units_on_time: i64,
    /// … late.
    pub units_late: i64,
    /// Units that have not reported.
    pub units_missing: i64,
    /// Units whose last report predates the milestone's window (their last state still
    /// counts in the figures).
    pub units_not_updated: i64,
    /// Camera information systems.
    pub systems: i64,
    /// Cameras.
    pub cameras: i64,
    /// Systems by approved level 1-5.
    pub approved_levels: [i64; 5],
    /// Systems whose level is approved.
    pub dossiers_approved: i64,
    /// Dossiers submitted for approval (incl. approved and rejected).
    pub dossiers_submitted: i64,
    /// Systems whose protection plan is fully implemented.
    pub plans_implemented: i64,
    /// Cameras without CO/CQ certificates.
    pub cameras_without_coq: i64,
    /// Cameras on a warning list.
    pub cameras_on_warning_list: i64,
    /// Budget allocated, VND.
    pub budget_vnd: i64,
    /// Units with an updated internal regulation.
    pub regulations_updated: i64,
    /// Telecom: cameras checked / non-compliant found / users notified / handled.
    pub telecom: [i64; 4],
    /// Police: assessments done / cases handled.
    pub police: [i64; 2],
    /// Market management: inspections / violations.
    pub market: [i64; 2],
    /// Media: items broadcast.
    pub media_items_broadcast: i64,
    /// Systems proposed at level 3 or above whose level is not approved.
    pub high_levels_not_approved: i64,
    /// Expected units whose figures are counted (counting approved reports: units with
    /// an approved version).
    pub units_counted: i64,
    /// Expected units whose latest version is approved by their reviewer.
    pub units_review_approved: i64,
    /// … returned by their reviewer.
    pub units_review_returned: i64,
    /// … not reviewed yet (the reviewers' backlog).
    pub units_review_pending: i64,
}

impl Figures {
    fn add(&mut self, other: &Figures) {
        self.units_expected += other.units_expected;
        self.units_reported += other.units_reported;
        self.units_on_time += other.units_on_time;
        self.units_late += other.units_late;
        self.units_missing += other.units_missing;
        self.units_not_updated += other.units_not_updated;
        self.systems += other.systems;
        self.cameras += other.cameras;
        for i in 0..5 {
            self.approved_levels[i] += other.approved_levels[i];
        }
        self.dossiers_approved += other.dossiers_approved;
        self.dossiers_submitted += other.dossiers_submitted;
        self.plans_implemented += other.plans_implemented;
        self.cameras_without_coq += other.cameras_without_coq;
        self.cameras_on_warning_list += other.cameras_on_warning_list;
        self.budget_vnd += other.budget_vnd;
        self.regulations_updated += other.regulations_updated;
        for i in 0..4 {
            self.telecom[i] += other.telecom[i];
        }
        for i in 0..2 {
            self.police[i] += other.police[i];
            self.market[i] += other.market[i];
        }
        self.media_items_broadcast += other.media_items_broadcast;
        self.high_levels_not_approved += other.high_levels_not_approved;
        self.units_counted += other.units_counted;
        self.units_review_approved += other.units_review_approved;
        self.units_review_returned += other.units_review_returned;
        self.units_review_pending += other.units_review_pending;
    }

    /// The milestone's measure: systems approved or implemented.
    pub fn done(&self, measure: MilestoneMeasure) -> i64 {
        match measure {
            MilestoneMeasure::LevelsApproved => self.dossiers_approved,
            MilestoneMeasure::PlansImplemented => self.plans_implemented,
        }
    }
}

/// A late or missing unit.
#[derive(Clone, Debug, PartialEq)]
pub struct LateUnit {
    /// Unit code.
    pub code: String,
    /// Unit name.
    pub name: String,
    /// Name of its area under the province (its district, or its commune where the
    /// register has no districts); empty for a provincial unit.
    pub area: String,
    /// That area's code (empty for a provincial unit).
    pub area_code: String,
    /// `late`, `missing` or `not_updated`.
    pub status: String,
    /// When it first reported in the milestone's window (late units).
    pub first_received_at: Option<DateTime<Utc>>,
    /// When its counted report was received (late and not-updated units).
    pub last_received_at: Option<DateTime<Utc>>,
    /// Whom to call (from the units file; empty when it has none).
    pub contact: Contact,
    /// Whether it had not reported by the unit deadline of an earlier milestone of the
    /// campaign either (late there, missing or not updated).
    pub late_before: bool,
    /// Reminders sent to it for this milestone (`baocao remind`): how many occasions
    /// (schedule steps), and the day of the last.
    pub reminded: Option<(u32, NaiveDate)>,
}

impl LateUnit {
    /// The reminders sent, as the late lists' note says it ("đã đôn đốc 2 lần, gần nhất
    /// 01/07/2026"); empty when none was.
    pub fn reminded_note(&self) -> String {
        match self.reminded {
            Some((times, last)) => format!(
                "đã đôn đốc {times} lần, gần nhất {}",
                last.format("%d/%m/%Y")
            ),
            None => String::new(),
        }
    }

    /// Its area as the late list groups it: the area's name, or "Cấp tỉnh" for a
    /// provincial unit.
    pub fn area_or_province(&self) -> &str {
        if self.area.is_empty() {
            "Cấp tỉnh"
        } else {
            &self.area
        }
    }
}

/// How many of the units to urge have `status`.
pub(crate) fn units_with_status(data: &ReportData, status: &str) -> usize {
    data.late_and_missing
        .iter()
        .filter(|u| u.status == status)
        .count()
}

/// The tier under the province that the report's tables list: districts where the
/// register has them, communes where it has none (the two-tier structure since 1/7/2025).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AreaTier {
    /// Districts (huyện, thị xã, thành phố thuộc tỉnh).
    District,
    /// Communes (xã, phường, đặc khu) directly under the province.
    Commune,
}

impl AreaTier {
    /// "cấp huyện" / "cấp xã" (headings).
    pub fn level_name(self) -> &'static str {
        match self {
            AreaTier::District => "cấp huyện",
            AreaTier::Commune => "cấp xã",
        }
    }

    /// "huyện" / "xã" (sheet names, chart titles).
    pub fn short_name(self) -> &'static str {
        match self {
            AreaTier::District => "huyện",
            AreaTier::Commune => "xã",
        }
    }

    /// The late list's column of the area.
    pub fn column(self) -> &'static str {
        match self {
            AreaTier::District => "Huyện",
            AreaTier::Commune => "Xã, phường",
        }
    }
}

/// Everything the report shows.
#[derive(Clone, Debug)]
pub struct ReportData {
    /// Campaign title.
    pub campaign_name: String,
    /// The legal documents the campaign implements (may be empty).
    pub legal_basis: String,
    /// Milestone title.
    pub milestone_name: String,
    /// What the milestone counts.
    pub measure: MilestoneMeasure,
    /// Units' deadline.
    pub unit_deadline: NaiveDate,
    /// Deadline of this report.
    pub report_deadline: NaiveDate,
    /// The unit deadlines of the campaign's milestones before this one (what a late
    /// unit's `late_before` refers to).
    pub earlier_deadlines: Vec<NaiveDate>,
    /// The province (for a national campaign, every province summed).
    pub province: Figures,
    /// Whether the campaign is national (its totals are the country's).
    pub national: bool,
    /// Provincial units (departments, provincial police, enterprises...).
    pub provincial_units: Figures,
    /// Which tier the areas are.
    pub area_tier: AreaTier,
    /// The areas under the province in code order: its districts, or its communes where
    /// the register has no districts.
    pub areas: Vec<Figures>,
    /// Late and missing units.
    pub late_and_missing: Vec<LateUnit>,
    /// Where the figures come from.
    pub lineage: Lineage,
    /// Who issues the report, to whom, who signs (the campaign's `[document]`).
    pub document: DocumentSettings,
    /// The earlier campaign it compares with, year over year (the campaign's
    /// `compare_with`), counted on this report's map; set by
    /// [`ReportData::compare_with`].
    pub earlier: Option<EarlierCampaign>,
}

/// The figures of a summary as a report reads them: the province, the provincial units,
/// and the areas of the register's tier below the province.
pub(crate) struct SummaryFigures {
    pub province: Figures,
    pub provincial_units: Figures,
    pub area_tier: AreaTier,
    pub areas: Vec<Figures>,
    /// The summary column naming a unit's area (`district_name` or `commune_name`).
    pub area_column: &'static str,
}

/// Reads the counted summary of `output`; fails when a column it reads is missing.
pub(crate) fn summary_figures(output: &RollupOutput, national: bool) -> Result<SummaryFigures> {
    let counted = output.counted_summary();
    let summary = Columns::new(summary_file(output.lineage.count), counted);
    let mut province = Figures {
        name: if national {
            "Toàn quốc"
        } else {
            "Toàn tỉnh"
        }
        .to_string(),
        ..Figures::default()
    };
    let mut provincial_units = Figures {
        name: "Các sở, ban, ngành và đơn vị cấp tỉnh".to_string(),
        ..Figures::default()
    };
    let (mut districts, mut communes) = (Vec::new(), Vec::new());
    for row in 0..counted.num_rows() {
        let provincial = summary.string("district_code", row).is_empty()
            && summary.string("commune_code", row).is_empty();
        match summary.string("tier", row).as_str() {
            // A national campaign has a row per province: its totals are their sum.
            "province" => province.add(&figures_of(&summary, row)),
            "district" => districts.push(figures_of(&summary, row)),
            "commune" => communes.push(figures_of(&summary, row)),
            "unit" if provincial => provincial_units.add(&figures_of(&summary, row)),
            _ => {}
        }
    }
    let (area_tier, areas, area_column) = if districts.is_empty() && !communes.is_empty() {
        (AreaTier::Commune, communes, "commune_name")
    } else {
        (AreaTier::District, districts, "district_name")
    };
    summary.finish()?;
    Ok(SummaryFigures {
        province,
        provincial_units,
        area_tier,
        areas,
        area_column,
    })
}

impl ReportData {
    /// The earlier milestones' unit deadlines in words, e.g. `đợt trước (hạn 20/03/2026)`.
    pub fn earlier_milestones_text(&self) -> String {
        let days: Vec<String> = self
            .earlier_deadlines
            .iter()
            .map(|day| day.format("%d/%m/%Y").to_string())
            .collect();
        match days.len() {
            0 => "đợt trước".to_string(),
            1 => format!("đợt trước (hạn {})", days[0]),
            _ => format!("các đợt trước (hạn {})", days.join(", ")),
        }
    }

    /// Extracts the report's figures from a rollup, with the contacts of the units to
    /// urge from `registry` and `late_before` the units that had not reported by the unit
    /// deadline of an earlier milestone (`baocao_rollup`'s
    /// `units_late_at_earlier_milestones`); fails when a column it reads is not in the
    /// rollup's tables.
    pub fn from_rollup(
        registry: &Registry,
        campaign: &Campaign,
        milestone: &Milestone,
        output: &RollupOutput,
        late_before: &BTreeSet<String>,
    ) -> Result<Self> {
        let national = campaign.province.is_empty();
        let SummaryFigures {
            province,
            provincial_units,
            area_tier,
            areas,
            area_column,
        } = summary_figures(output, national)?;
        let late_and_missing = late_units(registry, output, area_column, late_before)?;
        Ok(ReportData {
            campaign_name: campaign.name.clone(),
            legal_basis: campaign.legal_basis.clone(),
            milestone_name: milestone.name.clone(),
            measure: milestone.measure,
            unit_deadline: milestone.unit_deadline,
            report_deadline: milestone.report_deadline,
            earlier_deadlines: campaign
                .milestones
                .iter()
                .take_while(|m| m.id != milestone.id)
                .map(|m| m.unit_deadline)
                .collect(),
            province,
            national,
            provincial_units,
            area_tier,
            areas,
            late_and_missing,
            lineage: output.lineage.clone(),
            document: campaign.document.clone(),
            earlier: None,
        })
    }

    /// "toàn quốc" for a national campaign, "toàn tỉnh" otherwise (section headings).
    pub(crate) fn scope(&self) -> &'static str {
        if self.national {
            "toàn quốc"
        } else {
            "toàn tỉnh"
        }
    }

    pub(crate) fn measure_label(&self) -> &'static str {
        match self.measure {
            MilestoneMeasure::LevelsApproved => "Đã được phê duyệt cấp độ",
            MilestoneMeasure::PlansImplemented => "Đã triển khai đầy đủ phương án",
        }
    }
}

/// Two notes of a late list's last column, joined by "; " when both are there.
pub(crate) fn join_notes(first: &str, second: &str) -> String {
    match (first.is_empty(), second.is_empty()) {
        (true, _) => second.to_string(),
        (_, true) => first.to_string(),
        _ => format!("{first}; {second}"),
    }
}

impl ReportData {
    /// Notes on each unit to urge the reminders sent to it
    /// (`baocao_catalog::outputs::reminders_sent`).
    pub fn note_reminders(&mut self, sent: &BTreeMap<String, (u32, NaiveDate)>) {
        for unit in &mut self.late_and_missing {
            unit.reminded = sent.get(&unit.code).copied();
        }
    }
}

/// The units to urge of a rollup, with whom to call from the register, their area
/// read from `area_column` (`district_name` or `commune_name`).
fn late_units(
    registry: &Registry,
    output: &RollupOutput,
    area_column: &str,
    late_before: &BTreeSet<String>,
) -> Result<Vec<LateUnit>> {
    let late = Columns::new(LATE_AND_MISSING_FILE, &output.late_and_missing);
    let units = (0..late.rows())
        .map(|row| {
            let code = late.string("unit_code", row);
            LateUnit {
                name: late.string("unit_name", row),
                area: late.string(area_column, row),
                area_code: late.string(&area_column.replace("_name", "_code"), row),
                status: late.string("report_status", row),
                first_received_at: late.timestamp_ms("first_received_at", row),
                last_received_at: late.timestamp_ms("latest_received_at", row),
                contact: registry
                    .unit(&code)
                    .map(|u| u.contact.clone())
                    .unwrap_or_default(),
                late_before: late_before.contains(&code),
                reminded: None,
                code,
            }
        })
        .collect();
    late.finish()?;
    Ok(units)
}

/// The figures of one row of a summary.
fn figures_of(columns: &Columns<'_>, row: usize) -> Figures {
    let i = |name: &str| columns.int(name, row);
    Figures {
        code: columns.string("code", row),
        name: columns.string("name", row),
        units_expected: i("units_expected"),
        units_reported: i("units_reported"),
        units_on_time: i("units_on_time"),
        units_late: i("units_late"),
        units_missing: i("units_missing"),
        units_not_updated: i("units_not_updated"),
        systems: i("systems"),
        cameras: i("cameras"),
        approved_levels: [1, 2, 3, 4, 5].map(|l| i(&format!("approved_level_{l}"))),
        dossiers_approved: i("dossiers_approved"),
        dossiers_submitted: i("dossiers_submitted"),
        plans_implemented: i("plans_implemented"),
        cameras_without_coq: i("cameras_without_coq"),
        cameras_on_warning_list: i("cameras_on_warning_list"),
        budget_vnd: i("budget_vnd"),
        regulations_updated: i("regulations_updated"),
        telecom: [
            i("telecom_cameras_checked"),
            i("telecom_non_compliant_found"),
            i("telecom_users_notified"),
            i("telecom_non_compliant_handled"),
        ],
        police: [i("police_assessments_done"), i("police_cases_handled")],
        market: [i("market_inspections"), i("market_violations")],
        media_items_broadcast: i("media_items_broadcast"),
        high_levels_not_approved: i("high_levels_not_approved"),
        units_counted: i("units_counted"),
        units_review_approved: i("units_review_approved"),
        units_review_returned: i("units_review_returned"),
        units_review_pending: i("units_review_pending"),
    }
}
