//! The offline form: an XLSX workbook for one unit or every expected unit of an area —
//! a guide sheet, a sheet of units (one row each, unit-level answers) and a sheet of
//! camera systems (one row each) — with drop-down lists, date cells, input messages in
//! Vietnamese, headers and identity cells protected, pre-filled with each unit's last
//! accepted report (or its contact from the register), printable on A4 landscape.

use baocao_proto::v1::StatusReport;
use baocao_registry::ReportingUnit;
use baocao_rules::typed::{BLOCK_FIELDS, ReportInput, SystemInput, parse_grouped_integer};
use rust_xlsxwriter::{
    Color, DataValidation, DataValidationErrorStyle, DataValidationRule, ExcelDateTime, Format,
    FormatAlign, FormatBorder, Formula, ProtectionOptions, Workbook, Worksheet, XlsxError,
};

use crate::layout::{
    self, Column, GUIDE_SHEET, HEADER_ROW, Kind, SYSTEMS_SHEET, UNITS_SHEET, system_columns,
    unit_columns, yes_no_labels,
};
use crate::{Error, Result};

/// Empty rows offered on the systems sheet beyond the pre-filled ones.
const SPARE_SYSTEM_ROWS: u32 = 300;

/// One unit of a form: who it is, which indicator blocks its kind reports, and its last
/// accepted report in the campaign (pre-filled when there is one).
pub struct FormUnit<'a> {
    /// The unit.
    pub unit: &'a ReportingUnit,
    /// Its kind's indicator blocks (`telecom`, `police`…).
    pub blocks: &'a [String],
    /// Its newest accepted report in the campaign, if any.
    pub last: Option<&'a StatusReport>,
}

/// What a form is for.
pub struct FormSpec<'a> {
    /// The campaign's id.
    pub campaign_id: &'a str,
    /// The campaign's name, for the title.
    pub campaign_name: &'a str,
    /// Who the form is for (`UBND xã Nga Liên`, `Huyện Nga Sơn`), for the title.
    pub for_whom: &'a str,
    /// The units, in the order they are listed.
    pub units: Vec<FormUnit<'a>>,
    /// The day the form is made: the "as of" date of units without a report.
    pub today: chrono::NaiveDate,
}

/// The form as XLSX bytes.
pub fn write_form(spec: &FormSpec<'_>) -> Result<Vec<u8>> {
    build(spec)
        .and_then(|mut workbook| workbook.save_to_buffer())
        .map_err(Error::Write)
}

fn build(spec: &FormSpec<'_>) -> Result<Workbook, XlsxError> {
    let mut workbook = Workbook::new();
    let inputs: Vec<ReportInput> = spec.units.iter().map(|u| prefilled(u, spec)).collect();
    let styles = Styles::new();
    write_guide(workbook.add_worksheet(), spec, &styles)?;
    let units = workbook.add_worksheet();
    units.set_name(UNITS_SHEET)?;
    write_units(units, spec, &inputs, &styles)?;
    units.set_active(true);
    let systems = workbook.add_worksheet();
    systems.set_name(SYSTEMS_SHEET)?;
    write_systems(systems, spec, &inputs, &styles)?;
    Ok(workbook)
}

/// What a unit's rows start with: its last report, else its contact and today.
fn prefilled(unit: &FormUnit<'_>, spec: &FormSpec<'_>) -> ReportInput {
    let mut input = match unit.last {
        Some(report) => ReportInput::from_report(report, unit.blocks),
        None => {
            let contact = &unit.unit.contact;
            let mut input = ReportInput {
                reporter_full_name: contact.person.clone(),
                reporter_position: contact.position.clone(),
                reporter_phone: contact.phone.clone(),
                reporter_email: contact.email.clone(),
                ..ReportInput::default()
            };
            input.show_blocks(unit.blocks);
            input
        }
    };
    input.unit_code = unit.unit.code.clone();
    input.campaign_id = spec.campaign_id.to_string();
    if unit.last.is_none() {
        input.as_of = spec.today.format("%Y-%m-%d").to_string();
    }
    input
}

/// The formats of the form.
struct Styles {
    title: Format,
    header: Format,
    locked: Format,
    greyed: Format,
    guide: Format,
}

impl Styles {
    fn new() -> Self {
        let border = Format::new()
            .set_border(FormatBorder::Thin)
            .set_font_name("Times New Roman")
            .set_font_size(12);
        Styles {
            title: Format::new()
                .set_bold()
                .set_font_name("Times New Roman")
                .set_font_size(14)
                .set_align(FormatAlign::Left),
            header: border
                .clone()
                .set_bold()
                .set_text_wrap()
                .set_align(FormatAlign::Center)
                .set_align(FormatAlign::VerticalCenter)
                .set_background_color(Color::RGB(0xDD_EB_F7)),
            locked: border.clone().set_num_format("@"),
            greyed: border.set_background_color(Color::RGB(0xE7_E6_E6)),
            guide: Format::new()
                .set_font_name("Times New Roman")
                .set_font_size(12)
                .set_text_wrap()
                .set_align(FormatAlign::Top),
        }
    }

    /// The format of an input cell of `kind` (unlocked: the clerk types there).
    fn input(kind: Kind) -> Format {
        let base = Format::new()
            .set_unlocked()
            .set_border(FormatBorder::Thin)
            .set_font_name("Times New Roman")
            .set_font_size(12);
        match kind {
            Kind::Count | Kind::Level => base.set_num_format("#,##0"),
            Kind::Date => base.set_num_format("dd/mm/yyyy"),
            _ => base.set_num_format("@"),
        }
    }
}

fn write_guide(
    sheet: &mut Worksheet,
    spec: &FormSpec<'_>,
    styles: &Styles,
) -> Result<(), XlsxError> {
    sheet.set_name(GUIDE_SHEET)?;
    sheet.set_column_width(0, 100)?;
    sheet.set_paper_size(9);
    sheet.set_print_fit_to_pages(1, 0);
    let lines = [
        format!("BIỂU MẪU BÁO CÁO — {}", spec.campaign_name),
        format!(
            "Đơn vị báo cáo: {} ({} đơn vị). Lập ngày {}.",
            spec.for_whom,
            spec.units.len(),
            spec.today.format("%d/%m/%Y")
        ),
        "Thực hiện Chỉ thị số 23/CT-TTg ngày 26/12/2022 của Thủ tướng Chính phủ về bảo đảm an \
         toàn thông tin cho camera giám sát: báo cáo tình hình xác định cấp độ, triển khai \
         phương án bảo vệ hệ thống thông tin có sử dụng camera giám sát."
            .to_string(),
        format!(
            "1. Trang “{UNITS_SHEET}”: mỗi đơn vị một dòng. Điền ngày chốt số liệu, người chịu \
             trách nhiệm báo cáo và các chỉ tiêu. Đơn vị không có hệ thống camera chọn “Có” ở \
             cột “Không có hệ thống camera”."
        ),
        format!(
            "2. Trang “{SYSTEMS_SHEET}”: mỗi hệ thống thông tin có sử dụng camera giám sát một \
             dòng, ghi mã đơn vị sở hữu. Giữ nguyên mã hệ thống giữa các lần báo cáo."
        ),
        "3. Chọn giá trị trong danh sách thả xuống; ngày ghi dạng dd/mm/yyyy; số ghi không \
         kèm chữ (1.234 hoặc 1234). Các ô tô màu và hàng tiêu đề được khóa, không sửa."
            .to_string(),
        "4. Nhập tệp: baocao import --file <tệp> (hoặc tải lên tại cổng thông tin). Mọi lỗi \
         được báo theo trang và ô; đơn vị có lỗi chưa được ghi nhận, các đơn vị khác được ghi \
         nhận. Nhập lại cùng một tệp không tính hai lần."
            .to_string(),
    ];
    let title = styles.guide.clone().set_bold().set_font_size(14);
    for (row, line) in lines.iter().enumerate() {
        let format = if row == 0 { &title } else { &styles.guide };
        sheet.write_string_with_format(row as u32, 0, line, format)?;
        // Rows as high as their wrapped text (Excel and LibreOffice print a row at the
        // height the file gives it).
        sheet.set_row_height(row as u32, if row < 2 { 36 } else { 48 })?;
    }
    sheet.protect();
    Ok(())
}

/// Title, headers, widths, printing and protection shared by the two data sheets.
fn prepare(
    sheet: &mut Worksheet,
    title: &str,
    columns: &[Column],
    styles: &Styles,
) -> Result<(), XlsxError> {
    let last = (columns.len() - 1) as u16;
    sheet.merge_range(0, 0, 0, last.min(10), title, &styles.title)?;
    sheet.set_row_height(HEADER_ROW, 64)?;
    for (col, column) in columns.iter().enumerate() {
        let col = col as u16;
        sheet.set_column_width(col, column.width)?;
        if column.kind != Kind::Info
            && column.field != layout::UNIT_CODE
            && column.field != layout::CAMPAIGN
        {
            sheet.set_column_format(col, &Styles::input(column.kind))?;
        }
        sheet.write_string_with_format(HEADER_ROW, col, column.header, &styles.header)?;
    }
    sheet.set_freeze_panes(HEADER_ROW + 1, 2)?;
    sheet.set_landscape();
    sheet.set_paper_size(9);
    sheet.set_print_fit_to_pages(1, 0);
    sheet.set_repeat_rows(HEADER_ROW, HEADER_ROW)?;
    sheet.protect_with_options(&ProtectionOptions {
        format_columns: true,
        format_rows: true,
        insert_rows: true,
        delete_rows: true,
        sort: true,
        use_autofilter: true,
        ..ProtectionOptions::default()
    });
    Ok(())
}

fn write_units(
    sheet: &mut Worksheet,
    spec: &FormSpec<'_>,
    inputs: &[ReportInput],
    styles: &Styles,
) -> Result<(), XlsxError> {
    let columns = unit_columns();
    prepare(
        sheet,
        &format!("ĐƠN VỊ BÁO CÁO — {}", spec.campaign_name),
        &columns,
        styles,
    )?;
    let first = HEADER_ROW + 1;
    for (i, (unit, input)) in spec.units.iter().zip(inputs).enumerate() {
        let row = first + i as u32;
        for (col, column) in columns.iter().enumerate() {
            let col = col as u16;
            // An indicator the unit's kind does not report: greyed and locked.
            let blocked =
                block_of(column.field).is_some_and(|block| !unit.blocks.iter().any(|b| b == block));
            match column.field {
                layout::UNIT_CODE => {
                    sheet.write_string_with_format(row, col, &unit.unit.code, &styles.locked)?;
                }
                "unit_name" => {
                    sheet.write_string_with_format(row, col, &unit.unit.name, &styles.locked)?;
                }
                layout::CAMPAIGN => {
                    sheet.write_string_with_format(row, col, spec.campaign_id, &styles.locked)?;
                }
                _ if blocked => {
                    sheet.write_blank(row, col, &styles.greyed)?;
                }
                field => write_value(sheet, row, col, column.kind, &unit_value(input, field))?,
            }
        }
    }
    let last = first + spec.units.len().max(1) as u32 - 1;
    add_validations(sheet, &columns, first, last)
}

/// The indicator block a field belongs to (`telecom` for `telecom.cameras_checked`),
/// none for the other fields.
fn block_of(field: &str) -> Option<&'static str> {
    BLOCK_FIELDS
        .iter()
        .find(|(_, name, _)| *name == field)
        .map(|(block, _, _)| *block)
}

/// The typed value of a unit-level field.
fn unit_value(input: &ReportInput, field: &str) -> String {
    let flag = |on: bool| if on { "yes" } else { "no" }.to_string();
    match field {
        "as_of" => input.as_of.clone(),
        "reporter.full_name" => input.reporter_full_name.clone(),
        "reporter.position" => input.reporter_position.clone(),
        "reporter.phone" => input.reporter_phone.clone(),
        "reporter.email" => input.reporter_email.clone(),
        "no_camera_systems" => flag(input.no_camera_systems),
        "budget_allocated_vnd" => input.budget_allocated_vnd.clone(),
        "incidents" => input.incidents.clone(),
        "internal_regulation.updated" => flag(input.regulation_updated),
        "internal_regulation.document_number" => input.regulation_number.clone(),
        "internal_regulation.document_date" => input.regulation_date.clone(),
        "national_regulation_applied" => input.national_regulation_applied.clone(),
        "notes" => input.notes.clone(),
        block => input.block(block).to_string(),
    }
}

/// The typed value of a system field.
fn system_value(system: &SystemInput, field: &str) -> String {
    let value = match field {
        "system_code" => &system.system_code,
        "name" => &system.name,
        "location" => &system.location,
        "camera_count" => &system.camera_count,
        "proposed_level" => &system.proposed_level,
        "dossier_status" => &system.dossier_status,
        "approval.decision_number" => &system.decision_number,
        "approval.decision_date" => &system.decision_date,
        "approval.approving_authority" => &system.approving_authority,
        "approval.approved_level" => &system.approved_level,
        "plan_status" => &system.plan_status,
        "plan_implemented_on" => &system.plan_implemented_on,
        "assessed_at_procurement" => &system.assessed_at_procurement,
        "last_periodic_assessment_on" => &system.last_periodic_assessment_on,
        "cameras_certified" => &system.cameras_certified,
        "cameras_on_warning_list" => &system.cameras_on_warning_list,
        "cameras_replaced_or_removed" => &system.cameras_replaced_or_removed,
        _ => return String::new(),
    };
    value.clone()
}

fn write_systems(
    sheet: &mut Worksheet,
    spec: &FormSpec<'_>,
    inputs: &[ReportInput],
    styles: &Styles,
) -> Result<(), XlsxError> {
    let columns = system_columns();
    prepare(
        sheet,
        &format!(
            "HỆ THỐNG THÔNG TIN CÓ SỬ DỤNG CAMERA GIÁM SÁT — {}",
            spec.campaign_name
        ),
        &columns,
        styles,
    )?;
    let first = HEADER_ROW + 1;
    let mut row = first;
    for input in inputs {
        for system in &input.systems {
            for (col, column) in columns.iter().enumerate() {
                let value = match column.field {
                    layout::UNIT_CODE => input.unit_code.clone(),
                    field => system_value(system, field),
                };
                write_value(sheet, row, col as u16, column.kind, &value)?;
            }
            row += 1;
        }
    }
    add_validations(sheet, &columns, first, row + SPARE_SYSTEM_ROWS)?;
    let units_last = HEADER_ROW + spec.units.len().max(1) as u32 + 1;
    let unit_list = DataValidation::new()
        .allow_list_formula(Formula::new(format!(
            "='{UNITS_SHEET}'!$A${}:$A${units_last}",
            HEADER_ROW + 2
        )))
        .set_input_title("Mã đơn vị")?
        .set_input_message(columns[0].help)?;
    sheet.add_data_validation(first, 0, row + SPARE_SYSTEM_ROWS, 0, &unit_list)?;
    Ok(())
}

/// Writes a typed value as the cell of its kind holds it (a number, a date, a label).
fn write_value(
    sheet: &mut Worksheet,
    row: u32,
    col: u16,
    kind: Kind,
    value: &str,
) -> Result<(), XlsxError> {
    let format = Styles::input(kind);
    if value.is_empty() {
        sheet.write_blank(row, col, &format)?;
        return Ok(());
    }
    match kind {
        Kind::Count | Kind::Level => match parse_grouped_integer(value) {
            Some(n) => sheet.write_number_with_format(row, col, n as f64, &format)?,
            None => sheet.write_string_with_format(row, col, value, &format)?,
        },
        Kind::Date => match excel_date(value) {
            Some(day) => sheet.write_datetime_with_format(row, col, &day, &format)?,
            None => sheet.write_string_with_format(row, col, value, &format)?,
        },
        Kind::Choice(options) => {
            let label = options
                .iter()
                .find(|(v, _)| *v == value)
                .map_or(value, |(_, label)| label);
            sheet.write_string_with_format(row, col, label, &format)?
        }
        Kind::YesNo | Kind::Flag => {
            let label = match value {
                "yes" => "Có",
                "no" => "Không",
                other => other,
            };
            sheet.write_string_with_format(row, col, label, &format)?
        }
        Kind::Text | Kind::Info => sheet.write_string_with_format(row, col, value, &format)?,
    };
    Ok(())
}

/// A `yyyy-mm-dd` date as Excel holds it.
fn excel_date(text: &str) -> Option<ExcelDateTime> {
    let day = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?;
    use chrono::Datelike;
    ExcelDateTime::from_ymd(
        u16::try_from(day.year()).ok()?,
        day.month() as u8,
        day.day() as u8,
    )
    .ok()
}

/// Drop-down lists, date and number rules and the input message of every column, on rows
/// `first..=last`.
fn add_validations(
    sheet: &mut Worksheet,
    columns: &[Column],
    first: u32,
    last: u32,
) -> Result<(), XlsxError> {
    for (col, column) in columns.iter().enumerate() {
        let Some(rule) = validation_of(column)? else {
            continue;
        };
        let title: String = column.header.chars().take(32).collect();
        let rule = rule
            .set_input_title(title)?
            .set_input_message(column.help)?
            .set_error_title("Giá trị không hợp lệ")?
            .set_error_style(DataValidationErrorStyle::Stop);
        sheet.add_data_validation(first, col as u16, last, col as u16, &rule)?;
    }
    Ok(())
}

/// The rule of a column (none for the identity columns, which are locked).
fn validation_of(column: &Column) -> Result<Option<DataValidation>, XlsxError> {
    if matches!(column.field, layout::UNIT_CODE | layout::CAMPAIGN) || column.kind == Kind::Info {
        return Ok(None);
    }
    let rule = match column.kind {
        Kind::Count => DataValidation::new()
            .allow_decimal_number(DataValidationRule::GreaterThanOrEqualTo(0.0))
            .set_error_message("Nhập một số nguyên không âm.")?,
        Kind::Level => DataValidation::new()
            .allow_list_strings(&["1", "2", "3", "4", "5"])?
            .set_error_message("Chọn cấp độ từ 1 đến 5.")?,
        Kind::Date => DataValidation::new()
            .allow_date(DataValidationRule::Between(
                ExcelDateTime::from_ymd(2000, 1, 1)?,
                ExcelDateTime::from_ymd(2100, 12, 31)?,
            ))
            .set_error_message("Nhập ngày dạng dd/mm/yyyy.")?,
        Kind::Choice(options) => {
            let labels: Vec<&str> = options
                .iter()
                .filter(|(v, _)| !v.is_empty())
                .map(|(_, l)| *l)
                .collect();
            DataValidation::new()
                .allow_list_strings(&labels)?
                .set_error_message("Chọn một giá trị trong danh sách.")?
        }
        Kind::YesNo | Kind::Flag => DataValidation::new()
            .allow_list_strings(&yes_no_labels())?
            .set_error_message("Chọn Có hoặc Không.")?,
        Kind::Text | Kind::Info => DataValidation::new().allow_any_value(),
    };
    Ok(Some(rule))
}
