//! Staff lists: the CSV or Excel file a province fills to issue its accounts in bulk, one
//! row per person. Every problem is named by row and column, all at once, and nothing is
//! created unless the whole list is right.
//!
//! Columns, by header (English codes or the Vietnamese headers of the template):
//! `unit_code` (Mã đơn vị, required), `full_name` (Họ và tên, required), `username` (Tên
//! đăng nhập; default: the unit code in lower case, `.2`, `.3`… for a unit's next people),
//! `role` (Vai trò: clerk, district_office, province, analyst; default from the unit's
//! kind), `scope` (Phạm vi: the administrative code a dashboard shows; default from the
//! role and the unit's area), `email`, `phone` (Điện thoại).
//!
//! A list read again updates the people it already made ([`crate::reimport`]): rows are
//! checked here against the register, then matched there against the accounts.

use std::collections::HashMap;
use std::path::Path;

use baocao_registry::{AdminLevel, Registry, ReportingUnit};
use baocao_sheets::read::{Row, Value};

use crate::reimport::{self, StaffPlan};
use crate::{Account, Error, Result, Role};

/// One row of a staff list, checked against the register: what it says of a person,
/// and the role and scope a new account of it gets.
#[derive(Clone, Debug)]
pub struct StaffRow {
    /// Its 1-based row number in the file.
    pub number: usize,
    /// The unit (in the register).
    pub unit_code: String,
    /// The person's name.
    pub full_name: String,
    /// The user name the list gives (lower case), if any.
    pub username: Option<String>,
    /// The role the list gives, if any.
    pub role: Option<Role>,
    /// The scope the list gives, if any.
    pub scope: Option<String>,
    /// The e-mail the list gives (may be empty).
    pub email: String,
    /// The phone the list gives (may be empty).
    pub phone: String,
    /// The role of a new account: the one given or the unit kind's default.
    pub new_role: Role,
    /// The scope of a new account: the one given or the role's default.
    pub new_scope: String,
}

/// The columns of a staff list, with the headers accepted for each.
const COLUMNS: [(&str, &[&str]); 7] = [
    ("username", &["username", "tên đăng nhập"]),
    ("full_name", &["full_name", "họ và tên", "họ tên"]),
    ("unit_code", &["unit_code", "mã đơn vị"]),
    ("role", &["role", "vai trò"]),
    ("scope", &["scope", "phạm vi"]),
    ("email", &["email", "thư điện tử"]),
    ("phone", &["phone", "điện thoại", "số điện thoại"]),
];

/// A row as read: its 1-based line or row number and its cells by column name.
struct RawRow {
    number: usize,
    cells: HashMap<&'static str, String>,
}

impl RawRow {
    fn cell(&self, column: &str) -> &str {
        self.cells.get(column).map_or("", |v| v.trim())
    }
}

/// Reads the staff list at `path` (`.csv` or `.xlsx`: the first sheet, read within the
/// bounds of `baocao_sheets::read` that a hostile file cannot break), checks every row
/// against the register, and matches it against the `existing` accounts: what to create,
/// what to update, what is unchanged. Every problem is named; none means none.
pub fn read(path: &Path, registry: &Registry, existing: &[Account]) -> Result<StaffPlan> {
    let rows = read_rows(path)?;
    let mut problems = Vec::new();
    let checked = check_rows(&rows, registry, &mut problems);
    let plan = reimport::plan(checked, existing, &mut problems);
    if problems.is_empty() {
        Ok(plan)
    } else {
        Err(Error::Roster {
            path: path.to_path_buf(),
            problems,
        })
    }
}

fn roster_error(path: &Path, problem: String) -> Error {
    Error::Roster {
        path: path.to_path_buf(),
        problems: vec![problem],
    }
}

/// Maps header cells to column names; unknown headers are refused by name.
fn columns_of(path: &Path, headers: &[String]) -> Result<Vec<Option<&'static str>>> {
    let mut columns = Vec::new();
    for header in headers {
        let wanted = header.trim().trim_start_matches('\u{feff}').to_lowercase();
        if wanted.is_empty() {
            columns.push(None);
            continue;
        }
        let column = COLUMNS
            .iter()
            .find(|(_, names)| names.contains(&wanted.as_str()))
            .map(|(name, _)| *name)
            .ok_or_else(|| {
                roster_error(
                    path,
                    format!(
                        "row 1: unknown column `{header}` (known: {})",
                        COLUMNS.map(|(name, _)| name).join(", ")
                    ),
                )
            })?;
        columns.push(Some(column));
    }
    for required in ["unit_code", "full_name"] {
        if !columns.contains(&Some(required)) {
            return Err(roster_error(path, format!("row 1: no column `{required}`")));
        }
    }
    Ok(columns)
}

fn raw_row(number: usize, columns: &[Option<&'static str>], values: Vec<String>) -> RawRow {
    let cells = columns
        .iter()
        .zip(values)
        .filter_map(|(column, value)| column.map(|c| (c, value)))
        .collect();
    RawRow { number, cells }
}

/// The file's bytes, refused before reading when it is larger than any staff list.
fn file_bytes(path: &Path) -> Result<Vec<u8>> {
    let file_error = |source| Error::File {
        path: path.to_path_buf(),
        source,
    };
    let size = std::fs::metadata(path).map_err(file_error)?.len();
    if size > baocao_sheets::read::MAX_FILE_BYTES {
        return Err(roster_error(
            path,
            format!(
                "the file is {size} bytes; a staff list is at most {} bytes",
                baocao_sheets::read::MAX_FILE_BYTES
            ),
        ));
    }
    std::fs::read(path).map_err(file_error)
}

/// A cell as the text a staff list means by it.
fn cell_text(value: &Value) -> String {
    match value {
        Value::Text(text) => text.clone(),
        // Codes typed as numbers (38, 14755) come back as numbers.
        Value::Number(n) if n.fract() == 0.0 && n.abs() < 1e15 => format!("{}", *n as i64),
        Value::Number(n) => n.to_string(),
        Value::Date(day) => day.format("%d/%m/%Y").to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Error(text) | Value::Uncalculated(text) => text.clone(),
    }
}

/// A row's cells as texts, one per column up to `width`.
fn row_texts(row: &Row, width: usize) -> Vec<String> {
    let mut texts = vec![String::new(); width];
    for (column, value) in &row.cells {
        if let Some(text) = texts.get_mut(*column as usize) {
            *text = cell_text(value);
        }
    }
    texts
}

/// The rows of the first sheet, the first row with content being the header.
fn read_rows(path: &Path) -> Result<Vec<RawRow>> {
    let name = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let bytes = file_bytes(path)?;
    let sheets = baocao_sheets::read_file(&name, &bytes).map_err(|source| Error::Spreadsheet {
        path: path.to_path_buf(),
        source,
    })?;
    let Some(sheet) = sheets.into_iter().next() else {
        return Err(roster_error(path, "the workbook has no sheet".into()));
    };
    let mut lines = sheet.rows.iter();
    let Some(header) = lines.next() else {
        return Err(roster_error(
            path,
            format!("sheet `{}` is empty", sheet.name),
        ));
    };
    let width = header
        .cells
        .iter()
        .map(|(c, _)| *c as usize + 1)
        .max()
        .unwrap_or(0);
    let columns = columns_of(path, &row_texts(header, width))?;
    Ok(lines
        .map(|row| (row.number as usize + 1, row_texts(row, width)))
        .filter(|(_, values)| values.iter().any(|v| !v.trim().is_empty()))
        .map(|(number, values)| raw_row(number, &columns, values))
        .collect())
}

fn default_role(registry: &Registry, unit: &ReportingUnit) -> Role {
    match registry.kind(&unit.kind) {
        Some(kind) if kind.code == "dic" => Role::Province,
        Some(_) if registry.submits_for_others(unit) => Role::DistrictOffice,
        _ => Role::Clerk,
    }
}

/// The subtree a role's dashboard shows when the list does not say.
fn default_scope(registry: &Registry, unit: &ReportingUnit, role: Role) -> String {
    let level = match role {
        Role::Province => AdminLevel::Province,
        Role::DistrictOffice => AdminLevel::District,
        Role::Clerk | Role::Analyst => return unit.area_code.clone(),
    };
    registry
        .area_at(unit, level)
        .map_or_else(|| unit.area_code.clone(), |area| area.code.clone())
}

fn check_rows(rows: &[RawRow], registry: &Registry, problems: &mut Vec<String>) -> Vec<StaffRow> {
    let mut checked = Vec::new();
    for row in rows {
        let mut problem = |column: &str, reason: String| {
            problems.push(format!("row {}, column {column}: {reason}", row.number));
        };
        let code = row.cell("unit_code");
        let Some(unit) = registry.unit(code) else {
            problem(
                "unit_code",
                if code.is_empty() {
                    "is empty".into()
                } else {
                    format!("unit `{code}` is not in the register")
                },
            );
            continue;
        };
        let full_name = row.cell("full_name");
        if full_name.is_empty() {
            problem("full_name", "is empty".into());
        }
        let role = match row.cell("role") {
            "" => None,
            given => match Role::parse(given) {
                Some(role) => Some(role),
                None => {
                    problem(
                        "role",
                        format!("`{given}` is not clerk, district_office, province or analyst"),
                    );
                    continue;
                }
            },
        };
        let scope = match row.cell("scope") {
            "" => None,
            given if registry.admin_unit(given).is_some() => Some(given.to_string()),
            given => {
                problem(
                    "scope",
                    format!("`{given}` is not an administrative code in the register"),
                );
                continue;
            }
        };
        let username = match row.cell("username") {
            "" => None,
            given if given.chars().any(char::is_whitespace) || given.chars().count() > 64 => {
                problem(
                    "username",
                    format!("`{given}` must be one word of at most 64 characters"),
                );
                continue;
            }
            given => Some(given.to_lowercase()),
        };
        let new_role = role.unwrap_or_else(|| default_role(registry, unit));
        checked.push(StaffRow {
            number: row.number,
            unit_code: unit.code.clone(),
            full_name: full_name.split_whitespace().collect::<Vec<_>>().join(" "),
            username,
            new_scope: scope
                .clone()
                .unwrap_or_else(|| default_scope(registry, unit, new_role)),
            role,
            scope,
            email: row.cell("email").to_string(),
            phone: row.cell("phone").to_string(),
            new_role,
        });
    }
    checked
}
