//! From a filled form's cells to one report per unit: sheets found by their headers,
//! every cell read by its column's kind, every problem named by sheet and cell, and the
//! validator's field paths mapped back to the cells they came from. Each unit's report
//! gets a submission id derived from the unit and its content, so importing the same file
//! twice is a repeat, not a second write.

use std::collections::{BTreeMap, HashMap};

use baocao_proto::canonical::{canonical_digest, normalize_report};
use baocao_proto::v1::StatusReport;
use baocao_rules::typed::{ReportInput, SystemInput, field_of_path};
use sha2::{Digest, Sha256};

use crate::cells::{cell_text, plain_text};
use crate::layout::{self, CAMPAIGN, Column, UNIT_CODE, column_for, system_columns, unit_columns};
use crate::read::{Merge, Row, Sheet, Value, cell_name};
use crate::{Error, Result};

/// Rows searched for the header row at the top of a sheet.
const HEADER_SEARCH_ROWS: usize = 20;

/// A problem found in the file, where it is and what is wrong, in Vietnamese.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// The unit it stops (none: it concerns the file, e.g. a system row of an unknown unit).
    pub unit: Option<String>,
    /// `Sheet!E12`, or a sheet's or the file's name.
    pub at: String,
    /// What is wrong, in words the clerk can act on.
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.at, self.message)
    }
}

/// One unit's report as the file has it.
#[derive(Clone, Debug, Default)]
pub struct UnitEntry {
    /// The unit's code.
    pub unit_code: String,
    /// The values as typed, by field.
    pub input: ReportInput,
    /// Where each field came from: field (`systems.0.camera_count`) → `Sheet!E12`.
    pub cells: HashMap<String, String>,
    /// The unit's own row (its code cell), where problems without a cell are shown.
    pub row_at: String,
}

/// What a file holds: its units' entries and every problem found reading it.
#[derive(Clone, Debug, Default)]
pub struct Parsed {
    /// The units, in the order of the units sheet.
    pub units: Vec<UnitEntry>,
    /// Problems of cells and rows (validation comes later, per unit).
    pub problems: Vec<Problem>,
    /// Things ignored, said so (an extra column, a sheet that is not the form's).
    pub notes: Vec<String>,
}

impl Parsed {
    /// The problems that stop `unit`.
    pub fn problems_of<'a>(&'a self, unit: &'a str) -> impl Iterator<Item = &'a Problem> {
        self.problems
            .iter()
            .filter(move |p| p.unit.as_deref() == Some(unit))
    }
}

/// Which sheet of the form a sheet is, told by its header row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SheetRole {
    Units,
    Systems,
}

/// A sheet recognised as the form's: its role, header row and columns by position.
struct FormSheet<'s> {
    sheet: &'s Sheet,
    role: SheetRole,
    header_row: u32,
    columns: BTreeMap<u32, Column>,
}

/// Reads the form out of `sheets` (one file's). `campaign` fills the campaign of rows
/// that do not say it (a CSV without the column).
pub fn parse(file: &str, sheets: &[Sheet], campaign: Option<&str>) -> Result<Parsed> {
    let mut parsed = Parsed::default();
    let mut units_sheets = Vec::new();
    let mut systems_sheets = Vec::new();
    for sheet in sheets {
        match recognise(sheet, &mut parsed.notes) {
            Some(form) if form.role == SheetRole::Units => units_sheets.push(form),
            Some(form) => systems_sheets.push(form),
            None => {}
        }
    }
    if units_sheets.is_empty() {
        return Err(Error::NotAForm {
            file: file.to_string(),
        });
    }
    let mut index: HashMap<String, usize> = HashMap::new();
    for form in &units_sheets {
        read_units(form, campaign, &mut parsed, &mut index);
    }
    for form in &systems_sheets {
        read_systems(form, &mut parsed, &index);
    }
    Ok(parsed)
}

/// The form sheet `sheet` is, if its header row is found in its first rows.
fn recognise<'s>(sheet: &'s Sheet, notes: &mut Vec<String>) -> Option<FormSheet<'s>> {
    let (systems, units) = (system_columns(), unit_columns());
    for row in sheet.rows.iter().take(HEADER_SEARCH_ROWS) {
        let headers: Vec<(u32, String)> = row
            .cells
            .iter()
            .filter_map(|(col, value)| match value {
                Value::Text(text) => Some((*col, text.clone())),
                _ => None,
            })
            .collect();
        let has = |columns: &[Column], field: &str| {
            headers
                .iter()
                .any(|(_, h)| column_for(columns, h).is_some_and(|c| c.field == field))
        };
        let (role, columns) = if has(&systems, "system_code") && has(&systems, UNIT_CODE) {
            (SheetRole::Systems, &systems)
        } else if has(&units, "as_of") && has(&units, UNIT_CODE) {
            (SheetRole::Units, &units)
        } else {
            continue;
        };
        let mut by_position = BTreeMap::new();
        for (col, header) in headers {
            match column_for(columns, &header) {
                Some(column) => {
                    by_position.insert(col, *column);
                }
                None => notes.push(format!(
                    "{}!{}: cột “{}” không thuộc biểu mẫu, bỏ qua",
                    sheet.name,
                    cell_name(row.number, col),
                    header.trim()
                )),
            }
        }
        return Some(FormSheet {
            sheet,
            role,
            header_row: row.number,
            columns: by_position,
        });
    }
    if !sheet.rows.is_empty() && sheet.name != layout::GUIDE_SHEET {
        notes.push(format!(
            "trang “{}” không có hàng tiêu đề của biểu mẫu, bỏ qua",
            sheet.name
        ));
    }
    None
}

/// The data rows of a form sheet (below its header row).
fn data_rows<'s>(form: &FormSheet<'s>) -> impl Iterator<Item = &'s Row> {
    let header = form.header_row;
    form.sheet.rows.iter().filter(move |r| r.number > header)
}

/// The merged range covering row `row` below the header, if one.
fn merge_on(merges: &[Merge], row: u32) -> Option<&Merge> {
    merges
        .iter()
        .find(|(r0, _, r1, _)| *r0 <= row && row <= *r1)
}

/// The text of `row`'s cell in the column of `field`, if any.
fn code_in(form: &FormSheet<'_>, row: &Row) -> (String, String) {
    let col = form
        .columns
        .iter()
        .find(|(_, c)| c.field == UNIT_CODE)
        .map_or(0, |(col, _)| *col);
    let text = row
        .cells
        .iter()
        .find(|(c, _)| *c == col)
        .map(|(_, value)| plain_text(value))
        .unwrap_or_default();
    (text, at(form.sheet, row.number, col))
}

fn at(sheet: &Sheet, row: u32, col: u32) -> String {
    format!("{}!{}", sheet.name, cell_name(row, col))
}

fn read_units(
    form: &FormSheet<'_>,
    campaign: Option<&str>,
    parsed: &mut Parsed,
    index: &mut HashMap<String, usize>,
) {
    for row in data_rows(form) {
        let (code, code_at) = code_in(form, row);
        if code.is_empty() {
            parsed.problems.push(Problem {
                unit: None,
                at: code_at,
                message: "dòng có số liệu nhưng thiếu mã đơn vị".into(),
            });
            continue;
        }
        if let Some(&first) = index.get(&code) {
            parsed.problems.push(Problem {
                unit: Some(code.clone()),
                at: code_at,
                message: format!(
                    "đơn vị {code} có hai dòng (dòng đầu ở {}); mỗi đơn vị một dòng",
                    parsed.units[first].row_at
                ),
            });
            continue;
        }
        let mut entry = UnitEntry {
            unit_code: code.clone(),
            row_at: code_at,
            ..UnitEntry::default()
        };
        entry.input.unit_code = code.clone();
        entry.input.campaign_id = campaign.unwrap_or_default().to_string();
        // Every column's cell, empty or not: a missing value is shown where it belongs.
        for (col, column) in &form.columns {
            let place = at(form.sheet, row.number, *col);
            entry.cells.insert(column.field.to_string(), place);
        }
        if let Some(merge) = merge_on(&form.sheet.merges, row.number) {
            parsed.problems.push(Problem {
                unit: Some(code.clone()),
                at: entry.row_at.clone(),
                message: merge_problem(form.sheet, merge),
            });
        }
        for (col, value) in &row.cells {
            let Some(column) = form.columns.get(col) else {
                continue;
            };
            let place = at(form.sheet, row.number, *col);
            match cell_text(column, value) {
                Ok(text) => set_unit_field(&mut entry.input, column, text),
                Err(message) => parsed.problems.push(Problem {
                    unit: Some(code.clone()),
                    at: place,
                    message,
                }),
            }
        }
        if entry.input.campaign_id.is_empty() {
            parsed.problems.push(Problem {
                unit: Some(code.clone()),
                at: entry.row_at.clone(),
                message: "thiếu mã đợt báo cáo (cột “Mã đợt báo cáo”)".into(),
            });
        }
        index.insert(code, parsed.units.len());
        parsed.units.push(entry);
    }
}

fn read_systems(form: &FormSheet<'_>, parsed: &mut Parsed, index: &HashMap<String, usize>) {
    for row in data_rows(form) {
        let (mut code, code_at) = code_in(form, row);
        if code.is_empty() && parsed.units.len() == 1 {
            code = parsed.units[0].unit_code.clone();
        }
        let Some(&unit_index) = index.get(&code) else {
            parsed.problems.push(Problem {
                unit: None,
                at: code_at,
                message: if code.is_empty() {
                    "hệ thống chưa ghi mã đơn vị sở hữu".into()
                } else {
                    format!("đơn vị {code} không có dòng nào ở trang “Đơn vị”")
                },
            });
            continue;
        };
        let entry = &mut parsed.units[unit_index];
        let position = entry.input.systems.len();
        let mut system = SystemInput::default();
        if let Some(merge) = merge_on(&form.sheet.merges, row.number) {
            parsed.problems.push(Problem {
                unit: Some(code.clone()),
                at: code_at.clone(),
                message: merge_problem(form.sheet, merge),
            });
        }
        for (col, column) in &form.columns {
            let place = at(form.sheet, row.number, *col);
            entry
                .cells
                .insert(format!("systems.{position}.{}", column.field), place);
        }
        for (col, value) in &row.cells {
            let Some(column) = form.columns.get(col) else {
                continue;
            };
            if column.field == UNIT_CODE {
                continue;
            }
            match cell_text(column, value) {
                Ok(text) => set_system_field(&mut system, column.field, text),
                Err(message) => parsed.problems.push(Problem {
                    unit: Some(code.clone()),
                    at: at(form.sheet, row.number, *col),
                    message,
                }),
            }
        }
        entry.cells.insert(format!("systems.{position}"), code_at);
        entry.input.systems.push(system);
    }
}

fn merge_problem(sheet: &Sheet, (r0, c0, r1, c1): &Merge) -> String {
    format!(
        "ô gộp {}:{} ở trang “{}” nằm trong vùng số liệu: hãy bỏ gộp ô (mỗi dòng một đơn vị \
         hoặc một hệ thống)",
        cell_name(*r0, *c0),
        cell_name(*r1, *c1),
        sheet.name
    )
}

fn set_unit_field(input: &mut ReportInput, column: &Column, text: String) {
    let flag = || text == "yes";
    match column.field {
        "no_camera_systems" => input.no_camera_systems = flag(),
        "internal_regulation.updated" => input.regulation_updated = flag(),
        UNIT_CODE | "unit_name" => {}
        CAMPAIGN => input.campaign_id = text,
        "as_of" => input.as_of = text,
        "reporter.full_name" => input.reporter_full_name = text,
        "reporter.position" => input.reporter_position = text,
        "reporter.phone" => input.reporter_phone = text,
        "reporter.email" => input.reporter_email = text,
        "budget_allocated_vnd" => input.budget_allocated_vnd = text,
        "incidents" => input.incidents = text,
        "internal_regulation.document_number" => input.regulation_number = text,
        "internal_regulation.document_date" => input.regulation_date = text,
        "national_regulation_applied" => input.national_regulation_applied = text,
        "notes" => input.notes = text,
        block_field => {
            input.blocks.insert(block_field.to_string(), text);
        }
    }
}

fn set_system_field(system: &mut SystemInput, field: &str, text: String) {
    let slot = match field {
        "system_code" => &mut system.system_code,
        "name" => &mut system.name,
        "location" => &mut system.location,
        "camera_count" => &mut system.camera_count,
        "proposed_level" => &mut system.proposed_level,
        "dossier_status" => &mut system.dossier_status,
        "approval.decision_number" => &mut system.decision_number,
        "approval.decision_date" => &mut system.decision_date,
        "approval.approving_authority" => &mut system.approving_authority,
        "approval.approved_level" => &mut system.approved_level,
        "plan_status" => &mut system.plan_status,
        "plan_implemented_on" => &mut system.plan_implemented_on,
        "assessed_at_procurement" => &mut system.assessed_at_procurement,
        "last_periodic_assessment_on" => &mut system.last_periodic_assessment_on,
        "cameras_certified" => &mut system.cameras_certified,
        "cameras_on_warning_list" => &mut system.cameras_on_warning_list,
        "cameras_replaced_or_removed" => &mut system.cameras_replaced_or_removed,
        _ => return,
    };
    *slot = text;
}

impl UnitEntry {
    /// The unit's report with its derived submission id, or the values that are not
    /// numbers, dates or choices, each at its cell.
    pub fn report(&self) -> std::result::Result<StatusReport, Vec<Problem>> {
        let mut report = self.input.to_report().map_err(|problems| {
            problems
                .into_iter()
                .map(|(field, message)| self.problem_at(&field, message))
                .collect::<Vec<_>>()
        })?;
        report.submission_id = derived_submission_id(&report);
        Ok(report)
    }

    /// A problem of `field` (a typed field name or a validator path), at its cell.
    pub fn problem_at(&self, field: &str, message: impl Into<String>) -> Problem {
        Problem {
            unit: Some(self.unit_code.clone()),
            at: self.locate(field),
            message: message.into().trim_end_matches('.').to_string(),
        }
    }

    /// The cell of `path` (`report.systems[0].camera_count` or `systems.0.camera_count`):
    /// its own cell, else the first cell under it (`reporter` → the reporter's name), else
    /// its parent's, else the unit's row.
    pub fn locate(&self, path: &str) -> String {
        let mut field = field_of_path(path);
        loop {
            if let Some(cell) = self.cells.get(&field) {
                return cell.clone();
            }
            let prefix = format!("{field}.");
            let under = self
                .cells
                .iter()
                .filter(|(name, _)| name.starts_with(&prefix))
                .min_by_key(|(_, cell)| (cell.len(), (*cell).clone()));
            if let Some((_, cell)) = under {
                return cell.clone();
            }
            match field.rsplit_once('.') {
                Some((parent, _)) => field = parent.to_string(),
                None => return self.row_at.clone(),
            }
        }
    }
}

/// The submission id of an imported report: a UUID (version 8) from the unit, the
/// campaign and the canonical content, so the same content imported again repeats.
pub fn derived_submission_id(report: &StatusReport) -> String {
    let mut content = report.clone();
    content.submission_id.clear();
    normalize_report(&mut content);
    let digest = canonical_digest(&content);
    let mut hash = Sha256::new();
    hash.update(b"baocao spreadsheet import\0");
    hash.update(content.unit_code.as_bytes());
    hash.update(b"\0");
    hash.update(content.campaign_id.as_bytes());
    hash.update(b"\0");
    hash.update(digest);
    let bytes: [u8; 16] = hash.finalize()[..16].try_into().unwrap_or([0; 16]);
    uuid::Builder::from_custom_bytes(bytes)
        .into_uuid()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_content_has_the_same_id_and_other_content_another() {
        let report = baocao_fixtures::complete_report(
            "c",
            "38.A",
            "",
            chrono::NaiveDate::from_ymd_opt(2026, 3, 1).expect("date"),
        );
        let id = derived_submission_id(&report);
        assert!(uuid::Uuid::parse_str(&id).is_ok());
        assert_eq!(derived_submission_id(&report), id);
        let mut other = report.clone();
        other.incidents += 1;
        assert_ne!(derived_submission_id(&other), id);
        let mut elsewhere = report;
        elsewhere.unit_code = "38.B".into();
        assert_ne!(derived_submission_id(&elsewhere), id);
    }
}
