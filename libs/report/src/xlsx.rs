//! The Chairman's report as a print-ready Excel workbook: A4 landscape fitted to the page
//! width, header rows repeated on every page and frozen on screen, borders, Vietnamese
//! number formats, codes kept as text, an autofilter on the list of units to urge, and
//! native Excel charts (completeness by district, systems by approved level).
//!
//! Number formats carry the Vietnamese locale (`[$-42A]`): LibreOffice then prints
//! 37.711 and 61,9 % whatever the machine's language, and Excel on a Vietnamese Windows
//! does the same; the cells stay numbers, so officials can sum and sort them.

use rust_xlsxwriter::{
    Chart, ChartDataLabel, ChartType, Format, FormatAlign, FormatBorder, Workbook, Worksheet,
    XlsxError,
};

use baocao_registry::vn_date;

use crate::compare::share;
use crate::model::{Figures, ReportData};
use crate::text::{district_table, headline_lines, late_heading, late_table, lineage_line, title};
use crate::{Error, Result};

/// File name of the Excel report.
pub const XLSX_REPORT: &str = "bao-cao.xlsx";

/// Whole numbers with the Vietnamese thousands separator.
pub const NUMBER_FORMAT: &str = "[$-42A]#,##0";
/// Percentages with a decimal comma.
pub const PERCENT_FORMAT: &str = "[$-42A]0.0%";

/// Sheet names.
const SUMMARY: &str = "Tổng hợp";
const TO_URGE: &str = "Trễ hạn - chưa báo cáo";

/// Paper size A4 in Excel's numbering.
const A4: u8 = 9;

fn xlsx_error(err: XlsxError) -> Error {
    Error::Render {
        document: XLSX_REPORT,
        source: Box::new(err),
    }
}

/// The formats of the workbook.
struct Formats {
    title: Format,
    header: Format,
    text: Format,
    code: Format,
    number: Format,
    percent: Format,
    total_text: Format,
    total_number: Format,
    total_percent: Format,
    /// A change in percentage points, signed, one decimal.
    points: Format,
    note: Format,
}

impl Formats {
    fn new() -> Self {
        let cell = Format::new()
            .set_border(FormatBorder::Thin)
            .set_align(FormatAlign::VerticalCenter);
        let total = cell.clone().set_bold();
        Formats {
            title: Format::new().set_bold().set_font_size(14),
            header: cell
                .clone()
                .set_bold()
                .set_text_wrap()
                .set_align(FormatAlign::Center)
                .set_background_color("#DDE7F0"),
            text: cell.clone().set_text_wrap(),
            code: cell.clone().set_num_format("@"),
            number: cell.clone().set_num_format(NUMBER_FORMAT),
            points: cell.clone().set_num_format("[$-42A]+0.0;-0.0;0.0"),
            percent: cell.clone().set_num_format(PERCENT_FORMAT),
            total_text: total.clone(),
            total_number: total.clone().set_num_format(NUMBER_FORMAT),
            total_percent: total.set_num_format(PERCENT_FORMAT),
            note: Format::new().set_text_wrap().set_italic().set_font_size(9),
        }
    }
}

/// A4, margins of an official document, footer with page numbers; `landscape` for the
/// wide tables; fitted to the page width, as many pages down as needed.
fn page_setup(sheet: &mut Worksheet, landscape: bool, data: &ReportData) {
    sheet.set_paper_size(A4).set_print_fit_to_pages(1, 0);
    if landscape {
        sheet.set_landscape();
    } else {
        sheet.set_portrait();
    }
    sheet.set_margins(0.6, 0.6, 0.8, 0.8, 0.3, 0.3);
    sheet.set_header(format!("&C&\"-,Bold\"{}", title(data).replace('&', "&&")));
    sheet.set_footer("&RTrang &P/&N");
}

/// The report as an Excel workbook (Tổng hợp, Theo huyện or Theo xã, Trễ hạn - chưa báo cáo), as
/// the bytes of an `.xlsx` file.
pub fn xlsx_bytes(data: &ReportData) -> Result<Vec<u8>> {
    let formats = Formats::new();
    let mut workbook = Workbook::new();
    summary_sheet(&mut workbook, data, &formats).map_err(xlsx_error)?;
    area_sheet(&mut workbook, data, &formats).map_err(xlsx_error)?;
    urge_sheet(&mut workbook, data, &formats).map_err(xlsx_error)?;
    workbook.save_to_buffer().map_err(xlsx_error)
}

/// "Tổng hợp": the title, deadlines, the key figures as a table, the headline sentences,
/// the chart of systems by approved level, and where the figures come from.
fn summary_sheet(workbook: &mut Workbook, data: &ReportData, f: &Formats) -> Result<(), XlsxError> {
    let sheet = workbook.add_worksheet().set_name(SUMMARY)?;
    page_setup(sheet, false, data);
    sheet.set_column_width(0, 52)?;
    sheet.set_column_width(1, 16)?;
    sheet.set_column_width(2, 12)?;
    for col in 3..8 {
        sheet.set_column_width(col, 10)?;
    }
    sheet.merge_range(0, 0, 0, 7, &title(data), &f.title)?;
    sheet.merge_range(1, 0, 1, 7, &data.campaign_name, &Format::new())?;
    let deadlines = format!(
        "Hạn đơn vị: {}; hạn báo cáo: {}; số liệu đến hết ngày {}",
        vn_date(data.unit_deadline),
        vn_date(data.report_deadline),
        vn_date(data.lineage.cut_off_date)
    );
    sheet.merge_range(2, 0, 2, 7, &deadlines, &Format::new())?;
    let mut row = key_figures(sheet, data, f, 4)?;
    row += 1;
    for line in headline_lines(data) {
        sheet.merge_range(row, 0, row, 7, &line, &Format::new().set_text_wrap())?;
        sheet.set_row_height(row, 15.0 * lines_of(&line, 140))?;
        row += 1;
    }
    row = levels_table(sheet, data, f, row + 1)?;
    let lineage = lineage_line(data, true);
    sheet.merge_range(row + 17, 0, row + 17, 7, &lineage, &f.note)?;
    sheet.set_row_height(row + 17, 12.0 * lines_of(&lineage, 160))?;
    Ok(())
}

/// Rows a merged text of `width` characters takes.
fn lines_of(text: &str, width: usize) -> f64 {
    (text.chars().count().div_ceil(width.max(1))).max(1) as f64
}

/// The key figures as a two-column table from `row`; returns the next free row.
fn key_figures(
    sheet: &mut Worksheet,
    data: &ReportData,
    f: &Formats,
    row: u32,
) -> Result<u32, XlsxError> {
    let p = &data.province;
    let rows: [(&str, i64, Option<i64>); 9] = [
        ("Số đơn vị phải báo cáo", p.units_expected, None),
        ("Đã báo cáo", p.units_reported, Some(p.units_expected)),
        (
            "   trong đó đúng hạn",
            p.units_on_time,
            Some(p.units_expected),
        ),
        ("   trong đó trễ hạn", p.units_late, Some(p.units_expected)),
        ("Chưa báo cáo", p.units_missing, Some(p.units_expected)),
        (
            "Chưa cập nhật trong đợt",
            p.units_not_updated,
            Some(p.units_expected),
        ),
        ("Số hệ thống camera", p.systems, None),
        ("Số camera", p.cameras, None),
        (data.measure_label(), p.done(data.measure), Some(p.systems)),
    ];
    sheet.write_string_with_format(row, 0, "Chỉ tiêu", &f.header)?;
    sheet.write_string_with_format(row, 1, "Số lượng", &f.header)?;
    sheet.write_string_with_format(row, 2, "Tỷ lệ", &f.header)?;
    for (i, (label, value, whole)) in rows.iter().enumerate() {
        let r = row + 1 + i as u32;
        sheet.write_string_with_format(r, 0, *label, &f.text)?;
        sheet.write_number_with_format(r, 1, *value as f64, &f.number)?;
        match whole {
            Some(whole) if *whole > 0 => {
                sheet.write_number_with_format(r, 2, *value as f64 / *whole as f64, &f.percent)?
            }
            _ => sheet.write_blank(r, 2, &f.text)?,
        };
    }
    Ok(row + 1 + rows.len() as u32)
}

/// Systems by approved level (a small table and its chart) from `row`; returns the row
/// the chart starts at.
fn levels_table(
    sheet: &mut Worksheet,
    data: &ReportData,
    f: &Formats,
    row: u32,
) -> Result<u32, XlsxError> {
    sheet.write_string_with_format(row, 0, "Cấp độ đã được phê duyệt", &f.header)?;
    sheet.write_string_with_format(row, 1, "Số hệ thống", &f.header)?;
    for (i, count) in data.province.approved_levels.iter().enumerate() {
        let r = row + 1 + i as u32;
        sheet.write_string_with_format(r, 0, format!("Cấp độ {}", i + 1), &f.text)?;
        sheet.write_number_with_format(r, 1, *count as f64, &f.number)?;
    }
    let mut chart = Chart::new(ChartType::Column);
    chart
        .add_series()
        .set_categories((SUMMARY, row + 1, 0, row + 5, 0))
        .set_values((SUMMARY, row + 1, 1, row + 5, 1))
        .set_name("Số hệ thống")
        .set_data_label(ChartDataLabel::new().show_value());
    chart
        .title()
        .set_name("Hệ thống camera theo cấp độ đã phê duyệt");
    chart.legend().set_hidden();
    chart.y_axis().set_num_format(NUMBER_FORMAT);
    chart.set_width(620).set_height(300);
    sheet.insert_chart(row + 7, 0, &chart)?;
    Ok(row + 7)
}

/// "Theo huyện" (or "Theo xã"): one row per area, the provincial units and the province
/// (in bold), with the share of units that reported, and its chart.
fn area_sheet(workbook: &mut Workbook, data: &ReportData, f: &Formats) -> Result<(), XlsxError> {
    let name = format!("Theo {}", data.area_tier.short_name());
    let sheet = workbook.add_worksheet().set_name(&name)?;
    page_setup(sheet, true, data);
    let (mut header, _) = district_table(data);
    header.push("Tỷ lệ đã báo cáo".into());
    if let Some(earlier) = &data.earlier {
        header.push(format!("Tỷ lệ đã báo cáo năm {}", earlier.year()));
        header.push("Thay đổi (điểm phần trăm)".into());
    }
    for (col, h) in header.iter().enumerate() {
        sheet.write_string_with_format(0, col as u16, h, &f.header)?;
        sheet.set_column_width(col as u16, if col == 0 { 36 } else { 11 })?;
    }
    sheet.set_row_height(0, 45)?;
    let areas: Vec<&Figures> = std::iter::once(&data.provincial_units)
        .chain(&data.areas)
        .collect();
    let earlier = data.earlier.as_ref();
    for (i, area) in areas.iter().enumerate() {
        let then = if i == 0 {
            earlier.map(|e| &e.provincial_units)
        } else {
            data.earlier_area(&area.code)
        };
        area_row(sheet, data, f, 1 + i as u32, (area, then), false)?;
    }
    let total_row = 1 + areas.len() as u32;
    let then = earlier.map(|e| &e.province);
    area_row(sheet, data, f, total_row, (&data.province, then), true)?;
    sheet.set_freeze_panes(1, 1)?;
    sheet.set_repeat_rows(0, 0)?;
    area_charts(sheet, data, &name, areas.len() as u32, total_row + 2)
}

/// Areas per chart of the area sheet: each chart fits one landscape page.
const AREAS_PER_CHART: u32 = 25;
/// Sheet rows a chart's page takes (the page breaks go every this many rows).
const CHART_PAGE_ROWS: u32 = 30;

/// The share of units that reported, by area, as bar charts from `first_row` on: the
/// `areas` rows of the table (from row 1) in groups of [`AREAS_PER_CHART`], each chart on
/// a page of its own (a page break before it), so that no chart is cut across pages
/// however many areas the register has (a province has 166 communes on the 2025 map).
fn area_charts(
    sheet: &mut Worksheet,
    data: &ReportData,
    name: &str,
    areas: u32,
    first_row: u32,
) -> Result<(), XlsxError> {
    let charts = areas.div_ceil(AREAS_PER_CHART);
    let mut breaks = Vec::new();
    for part in 0..charts {
        let first = 1 + part * AREAS_PER_CHART;
        let last = (first + AREAS_PER_CHART - 1).min(areas);
        let mut chart = Chart::new(ChartType::Bar);
        chart
            .add_series()
            .set_categories((name, first, 0, last, 0))
            .set_values((name, first, 11, last, 11))
            .set_name("Tỷ lệ đơn vị đã báo cáo");
        let mut title = format!(
            "Tỷ lệ đơn vị đã báo cáo theo {}",
            data.area_tier.short_name()
        );
        if charts > 1 {
            title.push_str(&format!(" ({}/{charts})", part + 1));
        }
        chart.title().set_name(title.as_str());
        chart.legend().set_hidden();
        chart.x_axis().set_num_format("0%").set_max(1.0);
        chart
            .set_width(760)
            .set_height(130 + 17 * (last + 1 - first));
        let row = first_row + part * CHART_PAGE_ROWS;
        breaks.push(row);
        sheet.insert_chart(row, 0, &chart)?;
    }
    sheet.set_page_breaks(&breaks)?;
    Ok(())
}

fn area_row(
    sheet: &mut Worksheet,
    data: &ReportData,
    f: &Formats,
    row: u32,
    (area, earlier): (&Figures, Option<&Figures>),
    total: bool,
) -> Result<(), XlsxError> {
    let (text, number, percent) = if total {
        (&f.total_text, &f.total_number, &f.total_percent)
    } else {
        (&f.text, &f.number, &f.percent)
    };
    sheet.write_string_with_format(row, 0, &area.name, text)?;
    let numbers = [
        area.units_expected,
        area.units_reported,
        area.units_on_time,
        area.units_late,
        area.units_missing,
        area.units_not_updated,
        area.systems,
        area.cameras,
        area.done(data.measure),
    ];
    for (j, n) in numbers.iter().enumerate() {
        sheet.write_number_with_format(row, 1 + j as u16, *n as f64, number)?;
    }
    for (col, part, whole) in [
        (10, area.done(data.measure), area.systems),
        (11, area.units_reported, area.units_expected),
    ] {
        if whole > 0 {
            sheet.write_number_with_format(row, col, part as f64 / whole as f64, percent)?;
        } else {
            sheet.write_blank(row, col, percent)?;
        }
    }
    if data.earlier.is_some() {
        earlier_cells(sheet, row, area, earlier, (&f.points, percent))?;
    }
    Ok(())
}

/// Columns 12 and 13 of an area's row: its share of units reported in the earlier
/// campaign, and the change in percentage points (blank where there is no figure).
fn earlier_cells(
    sheet: &mut Worksheet,
    row: u32,
    area: &Figures,
    earlier: Option<&Figures>,
    (points, percent): (&Format, &Format),
) -> Result<(), XlsxError> {
    let now = share(area.units_reported, area.units_expected);
    let then = earlier.and_then(|e| share(e.units_reported, e.units_expected));
    match then {
        Some(then) => sheet.write_number_with_format(row, 12, then / 100.0, percent)?,
        None => sheet.write_blank(row, 12, percent)?,
    };
    match (now, then) {
        (Some(now), Some(then)) => {
            sheet.write_number_with_format(row, 13, ((now - then) * 10.0).round() / 10.0, points)?
        }
        _ => sheet.write_blank(row, 13, points)?,
    };
    Ok(())
}

/// "Trễ hạn - chưa báo cáo": the units to urge, codes as text, with an autofilter.
fn urge_sheet(workbook: &mut Workbook, data: &ReportData, f: &Formats) -> Result<(), XlsxError> {
    let sheet = workbook.add_worksheet().set_name(TO_URGE)?;
    page_setup(sheet, true, data);
    sheet.merge_range(0, 0, 0, 6, late_heading(data), &f.title)?;
    let (header, rows) = late_table(data, None);
    for (col, h) in header.iter().enumerate() {
        sheet.write_string_with_format(1, col as u16, h, &f.header)?;
    }
    let widths = [
        12.0, 36.0, 22.0, 14.0, 16.0, 16.0, 20.0, 24.0, 14.0, 28.0, 18.0,
    ];
    for (col, width) in widths.into_iter().enumerate() {
        sheet.set_column_width(col as u16, width)?;
    }
    for (i, row) in rows.iter().enumerate() {
        let r = 2 + i as u32;
        for (col, cell) in row.iter().enumerate() {
            let format = if col == 0 { &f.code } else { &f.text };
            sheet.write_string_with_format(r, col as u16, cell, format)?;
        }
    }
    let last = 1 + rows.len() as u32;
    sheet.autofilter(1, 0, last, header.len() as u16 - 1)?;
    sheet.set_freeze_panes(2, 0)?;
    sheet.set_repeat_rows(1, 1)?;
    Ok(())
}
