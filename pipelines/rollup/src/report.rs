//! The Chairman's report for a milestone, in Vietnamese: headline figures for the
//! province, a table per district (per commune where the register has no districts), the late and missing units, the cut-off and the data
//! lineage. [`ReportData::from_rollup`] extracts the figures (pure); the renderers write
//! Markdown, HTML and XLSX from them.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};

use arrow::array::{Array, ArrayRef, AsArray, RecordBatch};
use arrow::datatypes::{DataType, Int64Type};
use baocao_registry::{
    Campaign, Contact, CountBasis, DocumentSettings, Milestone, MilestoneMeasure, Registry,
};
use baocao_store::Store;
use chrono::{DateTime, NaiveDate, Utc};

use crate::{Error, Lineage, Result, RollupOutput};

mod chart;
mod document;
mod docx;
mod fonts;
mod letter;
mod pdf;
mod xlsx;

/// Vietnamese digit grouping (`1.234.567`), kept here for the report's callers.
pub use baocao_registry::vn_number;
pub use document::PROPOSALS_PLACEHOLDER;
pub use docx::{DOCX_REPORT, docx_bytes};
pub use pdf::{PDF_REPORT, pdf_bytes};
pub use xlsx::{NUMBER_FORMAT, PERCENT_FORMAT, XLSX_REPORT, xlsx_bytes};

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
    /// Whether it was also late or missing at an earlier milestone of the campaign.
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
}

/// Reads the columns of a rollup's table by name. A column that is not there (or not of a
/// castable type) is remembered, and [`Columns::finish`] refuses the report: a figure
/// must never quietly become 0 or "" because a column was renamed.
struct Columns<'a> {
    table: &'static str,
    batch: &'a RecordBatch,
    missing: RefCell<BTreeSet<String>>,
}

impl<'a> Columns<'a> {
    fn new(table: &'static str, batch: &'a RecordBatch) -> Self {
        Columns {
            table,
            batch,
            missing: RefCell::new(BTreeSet::new()),
        }
    }

    /// The column `name` cast to `to`, or `None` (remembered) when it cannot be.
    fn cast(&self, name: &str, to: &DataType) -> Option<ArrayRef> {
        let cast = self
            .batch
            .column_by_name(name)
            .and_then(|c| arrow::compute::cast(c, to).ok());
        if cast.is_none() {
            self.missing.borrow_mut().insert(name.to_string());
        }
        cast
    }

    fn string(&self, name: &str, row: usize) -> String {
        self.cast(name, &DataType::Utf8)
            .and_then(|c| {
                let strings = c.as_string::<i32>();
                (!strings.is_null(row)).then(|| strings.value(row).to_string())
            })
            .unwrap_or_default()
    }

    fn int(&self, name: &str, row: usize) -> i64 {
        self.cast(name, &DataType::Int64)
            .and_then(|c| {
                let ints = c.as_primitive::<Int64Type>();
                (!ints.is_null(row)).then(|| ints.value(row))
            })
            .unwrap_or(0)
    }

    fn timestamp_ms(&self, name: &str, row: usize) -> Option<DateTime<Utc>> {
        let ints = self.cast(name, &DataType::Int64)?;
        let ints = ints.as_primitive::<Int64Type>();
        if ints.is_null(row) {
            return None;
        }
        DateTime::from_timestamp_millis(ints.value(row))
    }

    /// Fails when any column read was not there.
    fn finish(self) -> Result<()> {
        let missing = self.missing.into_inner();
        if missing.is_empty() {
            return Ok(());
        }
        Err(Error::Schema(format!(
            "{} has no usable column {}: the report is not written",
            self.table,
            missing.into_iter().collect::<Vec<_>>().join(", ")
        )))
    }

    fn figures(&self, row: usize) -> Figures {
        let i = |name: &str| self.int(name, row);
        Figures {
            code: self.string("code", row),
            name: self.string("name", row),
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
}

impl ReportData {
    /// Extracts the report's figures from a rollup, with the contacts of the units to
    /// urge from `registry` and `late_before` the units late or missing at an earlier
    /// milestone ([`units_late_before`]); fails when a column it reads is not in the
    /// rollup's tables.
    pub fn from_rollup(
        registry: &Registry,
        campaign: &Campaign,
        milestone: &Milestone,
        output: &RollupOutput,
        late_before: &BTreeSet<String>,
    ) -> Result<Self> {
        let counted = output.counted_summary();
        let summary = Columns::new(crate::summary_file(output.lineage.count), counted);
        let national = campaign.province.is_empty();
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
                "province" => province.add(&summary.figures(row)),
                "district" => districts.push(summary.figures(row)),
                "commune" => communes.push(summary.figures(row)),
                "unit" if provincial => provincial_units.add(&summary.figures(row)),
                _ => {}
            }
        }
        let (area_tier, areas, area_column) = if districts.is_empty() && !communes.is_empty() {
            (AreaTier::Commune, communes, "commune_name")
        } else {
            (AreaTier::District, districts, "district_name")
        };
        let late = Columns::new("late_and_missing.parquet", &output.late_and_missing);
        let late_and_missing = (0..output.late_and_missing.num_rows())
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
        summary.finish()?;
        late.finish()?;
        Ok(ReportData {
            campaign_name: campaign.name.clone(),
            legal_basis: campaign.legal_basis.clone(),
            milestone_name: milestone.name.clone(),
            measure: milestone.measure,
            unit_deadline: milestone.unit_deadline,
            report_deadline: milestone.report_deadline,
            province,
            national,
            provincial_units,
            area_tier,
            areas,
            late_and_missing,
            lineage: output.lineage.clone(),
            document: campaign.document.clone(),
        })
    }

    /// "toàn quốc" for a national campaign, "toàn tỉnh" otherwise (section headings).
    fn scope(&self) -> &'static str {
        if self.national {
            "toàn quốc"
        } else {
            "toàn tỉnh"
        }
    }

    fn measure_label(&self) -> &'static str {
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

/// One reminder of `reminders.json` (written by `baocao remind` beside the summaries;
/// only the fields the report reads).
#[derive(serde::Deserialize)]
struct SentReminder {
    unit: String,
    step: String,
    at: DateTime<Utc>,
}

/// The reminders sent for `milestone` of `campaign` per unit — (occasions, last day,
/// Vietnam time) — from `<out>/<campaign>/<milestone>/reminders.json` (none when the file
/// is not there: no reminder was sent).
pub async fn reminders_sent(
    out: &Store,
    campaign: &Campaign,
    milestone: &Milestone,
) -> Result<BTreeMap<String, (u32, NaiveDate)>> {
    const FILE: &str = "reminders.json";
    let dir = out.join(&format!("{}/{}", campaign.id, milestone.id));
    let mut sent = BTreeMap::new();
    if !dir.list().await?.iter().any(|f| f.relative == FILE) {
        return Ok(sent);
    }
    let bytes = dir.get(FILE).await?;
    let reminders: Vec<SentReminder> =
        serde_json::from_slice(&bytes).map_err(|err| Error::Output {
            location: dir.join(FILE).to_string(),
            source: Box::new(err),
        })?;
    let mut steps: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for reminder in reminders {
        let day = baocao_registry::vietnam_date(reminder.at);
        steps
            .entry(reminder.unit.clone())
            .or_default()
            .insert(reminder.step);
        let entry = sent.entry(reminder.unit).or_insert((0, day));
        entry.1 = entry.1.max(day);
    }
    for (unit, entry) in &mut sent {
        entry.0 = steps.get(unit).map_or(0, |s| s.len() as u32);
    }
    Ok(sent)
}

impl ReportData {
    /// Notes on each unit to urge the reminders sent to it ([`reminders_sent`]).
    pub fn note_reminders(&mut self, sent: &BTreeMap<String, (u32, NaiveDate)>) {
        for unit in &mut self.late_and_missing {
            unit.reminded = sent.get(&unit.code).copied();
        }
    }
}

/// The units late, missing or not updated at a milestone of `campaign` before
/// `milestone`, read from the earlier milestones' `late_and_missing.parquet` under `out`
/// (a milestone not rolled up yet adds none).
pub async fn units_late_before(
    out: &Store,
    campaign: &Campaign,
    milestone: &Milestone,
) -> Result<BTreeSet<String>> {
    const LATE_FILE: &str = "late_and_missing.parquet";
    let mut codes = BTreeSet::new();
    for earlier in campaign
        .milestones
        .iter()
        .take_while(|m| m.id != milestone.id)
    {
        let dir = out.join(&format!("{}/{}", campaign.id, earlier.id));
        if !dir.list().await?.iter().any(|f| f.relative == LATE_FILE) {
            continue;
        }
        let bytes = dir.get(LATE_FILE).await?;
        let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(bytes)?
            .build()?;
        for batch in reader {
            let batch = batch?;
            let column = Columns::new("late_and_missing.parquet", &batch);
            codes.extend((0..batch.num_rows()).map(|row| column.string("unit_code", row)));
            column.finish()?;
        }
    }
    Ok(codes)
}

/// `part / whole` as a Vietnamese percentage with one decimal (`61,9%`), or `-`.
pub fn vn_percent(part: i64, whole: i64) -> String {
    if whole == 0 {
        return "-".to_string();
    }
    format!("{:.1}%", 100.0 * part as f64 / whole as f64).replace('.', ",")
}

/// `dd/mm/yyyy`.
pub fn vn_date(day: NaiveDate) -> String {
    day.format("%d/%m/%Y").to_string()
}

fn vn_time(instant: DateTime<Utc>) -> String {
    let local =
        instant + chrono::Duration::seconds(i64::from(baocao_registry::VIETNAM_UTC_OFFSET_SECONDS));
    local.format("%H:%M %d/%m/%Y").to_string()
}

fn status_label(status: &str) -> &'static str {
    match status {
        "late" => "Trễ hạn",
        "missing" => "Chưa báo cáo",
        "not_updated" => "Chưa cập nhật trong đợt",
        _ => "",
    }
}

/// The table of the areas (and the provincial units): header and rows of cells.
fn district_table(data: &ReportData) -> (Vec<String>, Vec<Vec<String>>) {
    let header = [
        "Đơn vị",
        "Phải báo cáo",
        "Đã báo cáo",
        "Đúng hạn",
        "Trễ hạn",
        "Chưa báo cáo",
        "Chưa cập nhật",
        "Số hệ thống",
        "Số camera",
        data.measure_label(),
        "Tỷ lệ",
    ]
    .map(str::to_string)
    .to_vec();
    let row = |f: &Figures| {
        vec![
            f.name.clone(),
            vn_number(f.units_expected),
            vn_number(f.units_reported),
            vn_number(f.units_on_time),
            vn_number(f.units_late),
            vn_number(f.units_missing),
            vn_number(f.units_not_updated),
            vn_number(f.systems),
            vn_number(f.cameras),
            vn_number(f.done(data.measure)),
            vn_percent(f.done(data.measure), f.systems),
        ]
    };
    let mut rows: Vec<Vec<String>> = std::iter::once(&data.provincial_units)
        .chain(&data.areas)
        .map(row)
        .collect();
    rows.push(row(&data.province));
    (header, rows)
}

/// The table of units to urge, those of `status` or all (late, missing, not updated,
/// each by area): header and rows of cells, with whom to call (one place for all three
/// renderers).
fn late_table(data: &ReportData, status: Option<&str>) -> (Vec<String>, Vec<Vec<String>>) {
    let header = [
        "Mã",
        "Đơn vị",
        data.area_tier.column(),
        "Tình trạng",
        "Báo cáo lần đầu",
        "Báo cáo gần nhất",
        "Người liên hệ",
        "Chức vụ",
        "Điện thoại",
        "Thư điện tử",
        "Ghi chú",
    ]
    .map(str::to_string)
    .to_vec();
    let time = |at: Option<DateTime<Utc>>| at.map(vn_time).unwrap_or_default();
    let rows = document::urge_order(data)
        .into_iter()
        .filter(|u| status.is_none_or(|s| s == u.status))
        .map(|u| {
            vec![
                u.code.clone(),
                u.name.clone(),
                u.area_or_province().to_string(),
                status_label(&u.status).to_string(),
                time(u.first_received_at),
                time(u.last_received_at),
                u.contact.person.clone(),
                u.contact.position.clone(),
                u.contact.phone.clone(),
                u.contact.email.clone(),
                join_notes(
                    if u.late_before {
                        "Trễ hạn, chưa báo cáo cả đợt trước"
                    } else {
                        ""
                    },
                    &u.reminded_note(),
                ),
            ]
        })
        .collect();
    (header, rows)
}

/// The statuses present among the units to urge, in the list's order, with their
/// group headings and counts.
fn urge_groups(data: &ReportData) -> Vec<(&'static str, &'static str, usize)> {
    ["late", "missing", "not_updated"]
        .into_iter()
        .map(|status| {
            (
                status,
                document::status_group(status),
                units_with_status(data, status),
            )
        })
        .filter(|(_, _, count)| *count > 0)
        .collect()
}

/// The heading of the list of units to urge: late and missing, and not updated when
/// there are such units.
fn late_heading(data: &ReportData) -> &'static str {
    if data.province.units_not_updated > 0 {
        "Đơn vị trễ hạn, chưa báo cáo, chưa cập nhật"
    } else {
        "Đơn vị trễ hạn, chưa báo cáo"
    }
}

fn headline_lines(data: &ReportData) -> Vec<String> {
    let mut lines = completeness_lines(data);
    lines.extend(indicator_lines(data));
    lines
}

/// Who reported: expected, reported (on time, late), missing, and — said right after, so
/// nobody reads them as having reported — the units not updated in this milestone.
fn completeness_lines(data: &ReportData) -> Vec<String> {
    let p = &data.province;
    let mut lines = vec![
        format!("Số đơn vị phải báo cáo: {}", vn_number(p.units_expected)),
        format!(
            "Đã báo cáo: {} ({}), trong đó đúng hạn {}, trễ hạn {}",
            vn_number(p.units_reported),
            vn_percent(p.units_reported, p.units_expected),
            vn_number(p.units_on_time),
            vn_number(p.units_late)
        ),
        format!("Chưa báo cáo: {}", vn_number(p.units_missing)),
        count_basis_line(data),
    ];
    if p.units_not_updated > 0 {
        lines.push(format!(
            "Chưa cập nhật từ ngày {} (không tính là đã báo cáo; số liệu lấy theo báo cáo gần nhất trước đó): {}",
            vn_date(data.lineage.window_opens_on),
            vn_number(p.units_not_updated)
        ));
    }
    lines
}

/// Which reports the figures count (the campaign's `count`) and where review stands: said
/// in every report, so nobody reads unreviewed figures as checked or the reverse.
fn count_basis_line(data: &ReportData) -> String {
    let p = &data.province;
    let review = format!(
        "{} đơn vị có báo cáo mới nhất đã được cấp trên phê duyệt, {} đơn vị đang chờ duyệt, {} đơn vị bị trả lại để hoàn thiện",
        vn_number(p.units_review_approved),
        vn_number(p.units_review_pending),
        vn_number(p.units_review_returned)
    );
    match data.lineage.count {
        CountBasis::Approved => format!(
            "Số liệu chỉ tính báo cáo đã được cấp trên phê duyệt: tính số liệu của {} đơn vị (bản đã duyệt gần nhất); {review}",
            vn_number(p.units_counted)
        ),
        CountBasis::Received => format!(
            "Số liệu tính theo báo cáo mới nhất các đơn vị đã gửi, kể cả báo cáo chưa được cấp trên phê duyệt; {review}"
        ),
    }
}

/// The substantive measures: systems, levels, plans, cameras, budget, role indicators.
fn indicator_lines(data: &ReportData) -> Vec<String> {
    let p = &data.province;
    let levels = p
        .approved_levels
        .iter()
        .enumerate()
        .map(|(i, n)| format!("cấp độ {}: {}", i + 1, vn_number(*n)))
        .collect::<Vec<_>>()
        .join("; ");
    vec![
        format!(
            "Số hệ thống thông tin có sử dụng camera giám sát: {} (tổng số camera: {})",
            vn_number(p.systems),
            vn_number(p.cameras)
        ),
        format!(
            "Hồ sơ đề xuất cấp độ đã trình: {}; đã được phê duyệt cấp độ: {} ({}) — {levels}",
            vn_number(p.dossiers_submitted),
            vn_number(p.dossiers_approved),
            vn_percent(p.dossiers_approved, p.systems)
        ),
        format!(
            "Đã triển khai đầy đủ phương án bảo đảm an toàn theo cấp độ: {} ({})",
            vn_number(p.plans_implemented),
            vn_percent(p.plans_implemented, p.systems)
        ),
        format!(
            "Camera không có chứng nhận CO/CQ: {}; camera thuộc danh sách cảnh báo: {}",
            vn_number(p.cameras_without_coq),
            vn_number(p.cameras_on_warning_list)
        ),
        format!(
            "Kinh phí bố trí: {} đồng; số đơn vị đã cập nhật quy chế an toàn thông tin: {}",
            vn_number(p.budget_vnd),
            vn_number(p.regulations_updated)
        ),
        format!(
            "Doanh nghiệp viễn thông: kiểm tra {} camera, phát hiện {} không bảo đảm an toàn, thông báo {} người dùng, xử lý {}",
            vn_number(p.telecom[0]),
            vn_number(p.telecom[1]),
            vn_number(p.telecom[2]),
            vn_number(p.telecom[3])
        ),
        format!(
            "Công an: {} lượt đánh giá an ninh, xử lý {} vụ việc; quản lý thị trường: {} lượt kiểm tra, {} vi phạm; tuyên truyền: {} tin, bài",
            vn_number(p.police[0]),
            vn_number(p.police[1]),
            vn_number(p.market[0]),
            vn_number(p.market[1]),
            vn_number(p.media_items_broadcast)
        ),
    ]
}

fn lineage_line(data: &ReportData) -> String {
    let l = &data.lineage;
    let last = l
        .last_received_at
        .map(vn_time)
        .unwrap_or_else(|| "-".into());
    let mut line = format!(
        "Số liệu tổng hợp từ {} báo cáo của {} đơn vị, tiếp nhận đến {}; tính đến hết ngày {} (giờ Việt Nam). Tạo lúc {}.",
        vn_number(l.submissions),
        vn_number(l.units),
        last,
        vn_date(l.cut_off_date),
        vn_time(l.generated_at)
    );
    if !l.stray_units.is_empty() {
        line.push_str(&format!(
            " Không tính {} đơn vị không còn trong danh mục (xem lineage.json).",
            vn_number(l.stray_units.len() as i64)
        ));
    }
    if !l.conflicts.is_empty() {
        line.push_str(&format!(
            " {} mã báo cáo được tiếp nhận với nội dung khác nhau; tính bản tiếp nhận đầu tiên (xem lineage.json).",
            vn_number(l.conflicts.len() as i64)
        ));
    }
    line
}

fn title(data: &ReportData) -> String {
    format!("BÁO CÁO KẾT QUẢ: {}", data.milestone_name.to_uppercase())
}

/// `text` as literal Markdown text: the characters CommonMark and GFM tables read as
/// inline markup (emphasis, code, links, HTML, entities, cell separators) are
/// backslash-escaped, a block marker at the start is escaped, and line breaks become
/// spaces, so a registry name can never add links, HTML, emphasis or table cells.
/// Digits and dots of figures stay as they are.
pub fn markdown_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for (i, c) in text.chars().enumerate() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '~' | '&' => {
                out.push('\\');
                out.push(c);
            }
            '#' | '-' | '+' | '=' if i == 0 => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' | '\t' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// A Markdown table row of escaped cells.
fn markdown_row(cells: &[String]) -> String {
    let cells: Vec<String> = cells.iter().map(|c| markdown_escape(c)).collect();
    format!("| {} |\n", cells.join(" | "))
}

/// The report as Markdown.
pub fn render_markdown(data: &ReportData) -> String {
    let mut out = String::new();
    out.push_str(&format!("# {}\n\n", markdown_escape(&title(data))));
    out.push_str(&format!("**{}**\n\n", markdown_escape(&data.campaign_name)));
    out.push_str(&format!(
        "Hạn đơn vị báo cáo: {}. Hạn báo cáo Chủ tịch UBND tỉnh: {}. Số liệu tính đến hết ngày {}.\n\n",
        vn_date(data.unit_deadline),
        vn_date(data.report_deadline),
        vn_date(data.lineage.cut_off_date)
    ));
    out.push_str(&format!("## 1. Kết quả chung {}\n\n", data.scope()));
    for line in headline_lines(data) {
        out.push_str(&format!("- {}\n", markdown_escape(&line)));
    }
    out.push_str(&format!(
        "\n## 2. Chi tiết theo đơn vị hành chính {}\n\n",
        data.area_tier.level_name()
    ));
    let (header, rows) = district_table(data);
    out.push_str(&markdown_row(&header));
    out.push_str(&format!("|{}\n", "---|".repeat(header.len())));
    for row in rows {
        out.push_str(&markdown_row(&row));
    }
    out.push_str(&format!(
        "\n## 3. {} ({})\n\n",
        late_heading(data),
        vn_number(data.late_and_missing.len() as i64)
    ));
    if data.late_and_missing.is_empty() {
        out.push_str("Không có.\n");
    }
    for (i, (status, heading, count)) in urge_groups(data).into_iter().enumerate() {
        out.push_str(&format!(
            "### 3.{} {heading} ({})\n\n",
            i + 1,
            vn_number(count as i64)
        ));
        let (header, rows) = late_table(data, Some(status));
        out.push_str(&markdown_row(&header));
        out.push_str(&format!("|{}\n", "---|".repeat(header.len())));
        for row in rows {
            out.push_str(&markdown_row(&row));
        }
        out.push('\n');
    }
    out.push_str(&format!(
        "\n## 4. Nguồn số liệu\n\n{}\n",
        markdown_escape(&lineage_line(data))
    ));
    out
}

pub(crate) fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The report as a standalone HTML page.
pub fn render_html(data: &ReportData) -> String {
    let mut out = String::from(
        "<!DOCTYPE html>\n<html lang=\"vi\"><head><meta charset=\"utf-8\"><title>Báo cáo</title>\n<style>\
body{font-family:'Times New Roman','Liberation Serif',serif;max-width:1100px;margin:2em auto}\
table{border-collapse:collapse;width:100%}td,th{border:1px solid #444;padding:4px 6px}\
td.n{text-align:right}tr.total{font-weight:bold}figure{margin:1em 0;text-align:center}figure svg{max-width:100%;height:auto}\
@page{size:A4;margin:20mm 15mm 20mm 30mm}\
@media print{body{max-width:none;margin:0;font-size:12pt}h2.page{break-before:page}\
thead{display:table-header-group}tr{break-inside:avoid}td,th{padding:2px 4px}}\
</style></head><body>\n",
    );
    out.push_str(&format!("<h1>{}</h1>\n", html_escape(&title(data))));
    out.push_str(&format!(
        "<p><b>{}</b></p>\n",
        html_escape(&data.campaign_name)
    ));
    out.push_str(&format!(
        "<p>Hạn đơn vị báo cáo: {}. Hạn báo cáo Chủ tịch UBND tỉnh: {}. Số liệu tính đến hết ngày {}.</p>\n",
        vn_date(data.unit_deadline),
        vn_date(data.report_deadline),
        vn_date(data.lineage.cut_off_date)
    ));
    out.push_str(&format!(
        "<h2>1. Kết quả chung {}</h2>\n<ul>\n",
        data.scope()
    ));
    for line in headline_lines(data) {
        out.push_str(&format!("<li>{}</li>\n", html_escape(&line)));
    }
    out.push_str("</ul>\n");
    for chart in [chart::completeness_chart(data), chart::levels_chart(data)] {
        out.push_str(&format!("<figure>{}</figure>\n", chart.svg()));
    }
    out.push_str(&format!(
        "<h2 class=\"page\">2. Chi tiết theo đơn vị hành chính {}</h2>\n<table>\n<thead><tr>",
        data.area_tier.level_name()
    ));
    let (header, rows) = district_table(data);
    for h in &header {
        out.push_str(&format!("<th>{}</th>", html_escape(h)));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    let last = rows.len().saturating_sub(1);
    for (i, row) in rows.iter().enumerate() {
        out.push_str(if i == last {
            "<tr class=\"total\">"
        } else {
            "<tr>"
        });
        for (j, cell) in row.iter().enumerate() {
            let class = if j == 0 { "" } else { " class=\"n\"" };
            out.push_str(&format!("<td{class}>{}</td>", html_escape(cell)));
        }
        out.push_str("</tr>\n");
    }
    out.push_str(&format!(
        "</tbody></table>\n<h2 class=\"page\">3. {} ({})</h2>\n",
        late_heading(data),
        vn_number(data.late_and_missing.len() as i64)
    ));
    for (i, (status, heading, count)) in urge_groups(data).into_iter().enumerate() {
        out.push_str(&format!(
            "<h3>3.{} {} ({})</h3>\n<table>\n<thead><tr>",
            i + 1,
            html_escape(heading),
            vn_number(count as i64)
        ));
        let (header, rows) = late_table(data, Some(status));
        for h in &header {
            out.push_str(&format!("<th>{}</th>", html_escape(h)));
        }
        out.push_str("</tr></thead>\n<tbody>\n");
        for row in rows {
            out.push_str("<tr>");
            for cell in row {
                out.push_str(&format!("<td>{}</td>", html_escape(&cell)));
            }
            out.push_str("</tr>\n");
        }
        out.push_str("</tbody></table>\n");
    }
    out.push_str(&format!(
        "<h2>4. Nguồn số liệu</h2>\n<p>{}</p>\n</body></html>\n",
        html_escape(&lineage_line(data))
    ));
    out
}

/// Renders a report file's bytes.
type Renderer = fn(&ReportData) -> Result<Vec<u8>>;

/// The urging letters (*công văn đôn đốc*), one per area with units to urge — to its
/// People's Committee (a district's, or a commune's where the register has none), and
/// one to the provincial units — as DOCX and PDF under `cong-van-don-doc/`, named by
/// the area's code (`tinh` for the provincial units).
pub async fn write_urging_letters(data: &ReportData, dir: &Store) -> Result<Vec<String>> {
    let mut written = Vec::new();
    for letter in letter::urging_letters(data) {
        let stem = if letter.area_code.is_empty() {
            "tinh".to_string()
        } else {
            letter.area_code.clone()
        };
        for (extension, bytes) in [
            ("docx", docx::document_docx(&letter.document)?),
            ("pdf", pdf::document_pdf(&letter.document)?),
        ] {
            let name = format!("cong-van-don-doc/{stem}.{extension}");
            dir.put(&name, bytes).await?;
            written.push(dir.join(&name).to_string());
        }
    }
    Ok(written)
}

/// Writes `bao-cao.md`, `.html`, `.xlsx`, `.docx` and `.pdf` into `dir` (a directory
/// or a bucket prefix, each file whole); returns where they are.
pub async fn write_reports(data: &ReportData, dir: &Store) -> Result<Vec<String>> {
    let renderers: [(&str, Renderer); 5] = [
        ("bao-cao.md", |d| Ok(render_markdown(d).into_bytes())),
        ("bao-cao.html", |d| Ok(render_html(d).into_bytes())),
        (XLSX_REPORT, xlsx_bytes),
        (DOCX_REPORT, docx_bytes),
        (PDF_REPORT, pdf_bytes),
    ];
    let mut written = Vec::new();
    for (name, render) in renderers {
        let started = std::time::Instant::now();
        let bytes = render(data)?;
        tracing::debug!(
            file = name,
            bytes = bytes.len(),
            ms = started.elapsed().as_millis() as u64,
            "report rendered"
        );
        dir.put(name, bytes).await?;
        written.push(dir.join(name).to_string());
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A renamed or missing column refuses the report instead of printing 0 or "".
    #[test]
    fn a_missing_column_refuses_the_report() {
        let schema = std::sync::Arc::new(arrow::datatypes::Schema::new(vec![
            arrow::datatypes::Field::new("systems", DataType::Int64, true),
        ]));
        let batch = RecordBatch::try_new(
            schema,
            vec![std::sync::Arc::new(arrow::array::Int64Array::from(vec![
                Some(7),
            ]))],
        )
        .expect("batch");
        let present = Columns::new("summary.parquet", &batch);
        assert_eq!(present.int("systems", 0), 7);
        assert!(present.finish().is_ok());

        let renamed = Columns::new("summary.parquet", &batch);
        assert_eq!(renamed.int("cameras", 0), 0);
        assert_eq!(renamed.string("name", 0), "");
        let err = renamed
            .finish()
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            err.contains("summary.parquet") && err.contains("cameras") && err.contains("name"),
            "{err}"
        );
    }

    #[test]
    fn markup_in_names_stays_text_in_markdown() {
        let name = "UBND <img src=x onerror=alert(1)> [link](http://x) *đậm* | ô `code` &amp;";
        let escaped = markdown_escape(name);
        assert_eq!(
            escaped,
            "UBND \\<img src=x onerror=alert(1)\\> \\[link\\](http://x) \\*đậm\\* \\| ô \\`code\\` \\&amp;"
        );
        assert_eq!(markdown_escape("# tiêu đề\ndòng 2"), "\\# tiêu đề dòng 2");
        assert_eq!(markdown_escape("1.234 (5,0%)"), "1.234 (5,0%)");
    }

    #[test]
    fn vietnamese_number_and_percent_formats() {
        assert_eq!(vn_number(0), "0");
        assert_eq!(vn_number(999), "999");
        assert_eq!(vn_number(1_000), "1.000");
        assert_eq!(vn_number(150_000_000), "150.000.000");
        assert_eq!(vn_number(-1_234), "-1.234");
        assert_eq!(vn_percent(1913, 3090), "61,9%");
        assert_eq!(vn_percent(1, 0), "-");
        assert_eq!(
            vn_date(NaiveDate::from_ymd_opt(2023, 3, 22).expect("date")),
            "22/03/2023"
        );
    }
}
