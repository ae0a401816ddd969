//! The Chairman's report as an administrative document (Decree 30/2020/NĐ-CP): what it
//! says, once, for the PDF and the DOCX writers — the letterhead elements, the body (I.
//! results with charts, II. shortcomings drafted from the figures, III. proposals left to
//! the officer), the closing, *Nơi nhận*, the signature block, and the appendices (the
//! table by area, the units to urge grouped by status and area, with whom to call).

use chrono::{Datelike, NaiveDate};

use baocao_registry::{vn_date, vn_number, vn_percent, vn_time};

use crate::chart::{BarChart, completeness_chart, levels_chart};
use crate::model::{LateUnit, ReportData, join_notes};
use crate::text::{completeness_lines, district_table, indicator_lines, lineage_line};

/// What the officer replaces before signing (section III).
pub const PROPOSALS_PLACEHOLDER: &str = "[Cán bộ soạn thảo ghi đề xuất, kiến nghị với Chủ tịch Ủy ban nhân dân tỉnh trước khi trình ký.]";

/// A block of the body.
#[derive(Clone, Debug)]
pub(crate) enum Block {
    /// A section heading (`I. KẾT QUẢ …`), bold.
    Heading(String),
    /// A sub-heading (`1. …`), bold.
    SubHeading(String),
    /// Justified body text with a first-line indent.
    Paragraph(String),
    /// Text the officer replaces, in italics.
    Placeholder(String),
    /// A chart.
    Chart(BarChart),
}

/// How a table row is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RowKind {
    /// An ordinary row.
    Body,
    /// A group's title over all columns, bold (a status or an area).
    Group,
    /// The total, bold.
    Total,
}

/// A table of an appendix.
#[derive(Clone, Debug)]
pub(crate) struct Table {
    /// Column titles (repeated on every page).
    pub header: Vec<String>,
    /// Relative column widths.
    pub widths: Vec<f32>,
    /// Columns aligned right (figures).
    pub numeric: Vec<bool>,
    /// Rows: kind and cells (a group row has one cell).
    pub rows: Vec<(RowKind, Vec<String>)>,
}

/// An appendix: title, subtitle and its table, on landscape pages.
#[derive(Clone, Debug)]
pub(crate) struct Appendix {
    /// `PHỤ LỤC I`.
    pub number: String,
    /// What it lists.
    pub title: String,
    /// `(Kèm theo Báo cáo số …/BC-… ngày … của …)`.
    pub attached_to: String,
    /// The table.
    pub table: Table,
}

/// The whole document.
#[derive(Clone, Debug)]
pub(crate) struct OfficialReport {
    /// First line of the issuing body (may be empty).
    pub parent_body: String,
    /// The issuing body.
    pub issuing_body: String,
    /// `Số:      /BC-STTTT`.
    pub number_line: String,
    /// `Thanh Hóa, ngày 22 tháng 3 năm 2023`.
    pub place_date: String,
    /// `BÁO CÁO`.
    pub kind: String,
    /// The summary line (trích yếu).
    pub summary: String,
    /// `Kính gửi:` recipients.
    pub recipients: Vec<String>,
    /// Body blocks.
    pub body: Vec<Block>,
    /// `Nơi nhận:` lines, punctuated (`- Như trên;` … `- Lưu: VT, STTTT.`).
    pub copies_to: Vec<String>,
    /// Signature block lines above the signature (`KT. GIÁM ĐỐC`, `PHÓ GIÁM ĐỐC`).
    pub signer_titles: Vec<String>,
    /// The signer's name (may be empty).
    pub signer_name: String,
    /// Appendices.
    pub appendices: Vec<Appendix>,
    /// When it was generated: the file's metadata (creation date), never its text.
    pub generated_at: chrono::DateTime<chrono::Utc>,
}

/// `ngày 05 tháng 02 năm 2023`: Decree 30 writes a 0 before days under 10 and months 1
/// and 2.
pub(crate) fn decree_date(day: NaiveDate) -> String {
    let month = if day.month() <= 2 {
        format!("{:02}", day.month())
    } else {
        day.month().to_string()
    };
    format!("ngày {:02} tháng {month} năm {}", day.day(), day.year())
}

/// The document's date: the day it is generated, except that a report generated after
/// its deadline for an earlier cut-off is dated as it would have been (its deadline, or
/// its cut-off when later), so regenerating a past report does not re-date it.
pub(crate) fn document_date(data: &ReportData) -> NaiveDate {
    let generated = baocao_registry::vietnam_date(data.lineage.generated_at);
    generated.min(data.report_deadline.max(data.lineage.cut_off_date))
}

impl OfficialReport {
    /// The document for `data`.
    pub(crate) fn new(data: &ReportData) -> Self {
        let settings = &data.document;
        let date = document_date(data);
        let number_line = format!("Số:        /{}", settings.symbol);
        let issuer = &settings.issuer_name;
        let attached_to = format!(
            "(Kèm theo Báo cáo số        /{} {} của {})",
            settings.symbol,
            decree_date(date),
            issuer
        );
        let signer_titles = signer_titles(settings);
        let last = settings.copies_to.len().saturating_sub(1);
        OfficialReport {
            parent_body: settings.parent_body.clone(),
            issuing_body: settings.issuing_body.clone(),
            number_line,
            place_date: format!("{}, {}", settings.place, decree_date(date)),
            kind: "BÁO CÁO".to_string(),
            summary: format!("Kết quả {}", lower_first(&data.milestone_name)),
            recipients: settings.recipients.clone(),
            body: body(data, issuer),
            copies_to: settings
                .copies_to
                .iter()
                .enumerate()
                .map(|(i, line)| format!("- {line}{}", if i == last { "." } else { ";" }))
                .collect(),
            signer_titles,
            signer_name: settings.signer_name.clone(),
            appendices: vec![
                Appendix {
                    number: "PHỤ LỤC I".to_string(),
                    title: format!(
                        "KẾT QUẢ THEO ĐƠN VỊ HÀNH CHÍNH {}",
                        data.area_tier.level_name().to_uppercase()
                    ),
                    attached_to: attached_to.clone(),
                    table: area_table(data),
                },
                Appendix {
                    number: "PHỤ LỤC II".to_string(),
                    title: "DANH SÁCH ĐƠN VỊ TRỄ HẠN, CHƯA BÁO CÁO".to_string(),
                    attached_to,
                    table: urge_table(&urge_order(data)),
                },
            ],
            generated_at: data.lineage.generated_at,
        }
    }
}

/// The lines above the signature: the head's title, or "KT. <head>" and the deputy's.
pub(crate) fn signer_titles(settings: &baocao_registry::DocumentSettings) -> Vec<String> {
    if settings.signer_deputy_title.is_empty() {
        vec![settings.signer_title.clone()]
    } else {
        vec![
            format!("KT. {}", settings.signer_title),
            settings.signer_deputy_title.clone(),
        ]
    }
}

pub(crate) fn lower_first(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|c| format!("{}{}", c.to_lowercase(), chars.as_str()))
        .unwrap_or_default()
}

/// I. results, II. shortcomings, III. proposals, and the closing sentence.
fn body(data: &ReportData, issuer: &str) -> Vec<Block> {
    let mut blocks = vec![
        Block::Paragraph(format!(
            "Thực hiện {}, {} báo cáo kết quả {} tính đến hết ngày {} như sau:",
            if data.legal_basis.is_empty() {
                &data.campaign_name
            } else {
                &data.legal_basis
            },
            issuer,
            lower_first(&data.milestone_name),
            vn_date(data.lineage.cut_off_date)
        )),
        Block::Heading("I. KẾT QUẢ THỰC HIỆN".to_string()),
        Block::SubHeading("1. Tình hình báo cáo của các cơ quan, đơn vị".to_string()),
    ];
    blocks.extend(completeness_lines(data).into_iter().map(sentence));
    blocks.push(Block::Chart(completeness_chart(data)));
    blocks.push(Block::SubHeading(
        "2. Kết quả bảo đảm an toàn thông tin cho hệ thống camera giám sát".to_string(),
    ));
    blocks.extend(indicator_lines(data).into_iter().map(sentence));
    blocks.push(Block::Chart(levels_chart(data)));
    blocks.push(Block::Paragraph(format!(
        "Chi tiết theo đơn vị hành chính tại Phụ lục I; danh sách đơn vị trễ hạn, chưa báo cáo kèm người liên hệ tại Phụ lục II. {}",
        lineage_line(data, false)
    )));
    blocks.push(Block::Heading("II. TỒN TẠI, HẠN CHẾ".to_string()));
    let shortcomings = shortcomings(data);
    if shortcomings.is_empty() {
        blocks.push(Block::Paragraph(
            "Số liệu tổng hợp không cho thấy tồn tại, hạn chế đáng kể.".to_string(),
        ));
    }
    blocks.extend(shortcomings.into_iter().map(Block::Paragraph));
    blocks.push(Block::Heading("III. ĐỀ XUẤT, KIẾN NGHỊ".to_string()));
    blocks.push(Block::Placeholder(PROPOSALS_PLACEHOLDER.to_string()));
    blocks.push(Block::Paragraph(format!(
        "Trên đây là báo cáo kết quả {}, {} kính báo cáo {}./.",
        lower_first(&data.milestone_name),
        issuer,
        data.document
            .recipients
            .first()
            .map(String::as_str)
            .unwrap_or_default()
    )));
    blocks
}

/// "- line." as a paragraph.
fn sentence(line: String) -> Block {
    Block::Paragraph(format!("- {line}."))
}

/// At most `max` names, then "và N đơn vị khác".
fn name_list(names: &[String], max: usize) -> String {
    let mut shown = names
        .iter()
        .take(max)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > max {
        shown.push_str(&format!(
            " và {} đơn vị khác",
            vn_number((names.len() - max) as i64)
        ));
    }
    shown
}

/// Section II drafted from the figures: areas below the province's completeness,
/// high-level systems without an approved level, cameras on warning lists or without
/// certificates, units missing, and units late or missing again.
fn shortcomings(data: &ReportData) -> Vec<String> {
    let p = &data.province;
    let mut lines = Vec::new();
    let below: Vec<String> = data
        .areas
        .iter()
        .filter(|a| {
            a.units_expected > 0
                && a.units_reported * p.units_expected < p.units_reported * a.units_expected
        })
        .map(|a| {
            format!(
                "{} ({})",
                a.name,
                vn_percent(a.units_reported, a.units_expected)
            )
        })
        .collect();
    if !below.is_empty() {
        lines.push(format!(
            "- {} đơn vị hành chính {} có tỷ lệ đơn vị đã báo cáo thấp hơn mức chung ({}): {}.",
            vn_number(below.len() as i64),
            data.area_tier.level_name(),
            vn_percent(p.units_reported, p.units_expected),
            name_list(&below, 12)
        ));
    }
    if p.units_missing > 0 {
        lines.push(format!(
            "- Còn {} đơn vị chưa gửi báo cáo (Phụ lục II).",
            vn_number(p.units_missing)
        ));
    }
    if p.high_levels_not_approved > 0 {
        lines.push(format!(
            "- {} hệ thống đề xuất cấp độ 3 trở lên chưa được phê duyệt cấp độ.",
            vn_number(p.high_levels_not_approved)
        ));
    }
    if p.cameras_on_warning_list > 0 || p.cameras_without_coq > 0 {
        lines.push(format!(
            "- {} camera thuộc danh sách cảnh báo chưa được thay thế; {} camera không có chứng nhận CO/CQ.",
            vn_number(p.cameras_on_warning_list),
            vn_number(p.cameras_without_coq)
        ));
    }
    let again: Vec<String> = data
        .late_and_missing
        .iter()
        .filter(|u| u.late_before)
        .map(|u| u.name.clone())
        .collect();
    if !again.is_empty() {
        lines.push(format!(
            "- {} đơn vị cũng không báo cáo đúng hạn ở {}: đến hết hạn chưa gửi báo cáo của đợt (gửi muộn, không gửi hoặc không cập nhật): {}.",
            vn_number(again.len() as i64),
            data.earlier_milestones_text(),
            name_list(&again, 10)
        ));
    }
    let reminded: Vec<u32> = data
        .late_and_missing
        .iter()
        .filter_map(|u| u.reminded.map(|(times, _)| times))
        .collect();
    if !reminded.is_empty() {
        lines.push(format!(
            "- {} đã đôn đốc {} đơn vị chưa báo cáo hoặc chưa cập nhật ({} lượt, bằng thư điện tử và tin nhắn); danh sách tại Phụ lục II.",
            data.document.issuer_name,
            vn_number(reminded.len() as i64),
            vn_number(reminded.iter().map(|t| i64::from(*t)).sum())
        ));
    }
    lines
}

/// Appendix I: the areas, the provincial units and the total.
fn area_table(data: &ReportData) -> Table {
    let (header, rows) = district_table(data);
    let last = rows.len().saturating_sub(1);
    let mut widths = vec![3.2];
    widths.extend(std::iter::repeat_n(1.0, header.len() - 1));
    Table {
        numeric: (0..header.len()).map(|i| i > 0).collect(),
        widths,
        header,
        rows: rows
            .into_iter()
            .enumerate()
            .map(|(i, cells)| {
                (
                    if i == last {
                        RowKind::Total
                    } else {
                        RowKind::Body
                    },
                    cells,
                )
            })
            .collect(),
    }
}

/// The heading of a status group in the list of units to urge.
pub(crate) fn status_group(status: &str) -> &'static str {
    match status {
        "late" => "Đơn vị báo cáo trễ hạn",
        "missing" => "Đơn vị chưa báo cáo",
        _ => "Đơn vị chưa cập nhật trong đợt (số liệu lấy theo báo cáo trước)",
    }
}

/// The units to urge in the order of the appendix: by status (late, missing, not
/// updated), then area, then code.
pub(crate) fn urge_order(data: &ReportData) -> Vec<&LateUnit> {
    let rank = |status: &str| match status {
        "late" => 0,
        "missing" => 1,
        _ => 2,
    };
    let mut units: Vec<&LateUnit> = data.late_and_missing.iter().collect();
    units.sort_by(|a, b| {
        (rank(&a.status), &a.area, &a.code).cmp(&(rank(&b.status), &b.area, &b.code))
    });
    units
}

/// Appendix II (and a letter's list): `units` in [`urge_order`], grouped by status, then
/// area; each unit with its last report and whom to call.
pub(crate) fn urge_table(units: &[&LateUnit]) -> Table {
    let header = [
        "Mã",
        "Đơn vị",
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
    let mut rows = Vec::new();
    let (mut status, mut area) = (None, None);
    for unit in units.iter().copied() {
        if status != Some(unit.status.as_str()) {
            let count = units.iter().filter(|u| u.status == unit.status).count();
            rows.push((
                RowKind::Group,
                vec![format!(
                    "{} ({})",
                    status_group(&unit.status),
                    vn_number(count as i64)
                )],
            ));
            status = Some(unit.status.as_str());
            area = None;
        }
        if area != Some(unit.area.as_str()) {
            rows.push((RowKind::Group, vec![unit.area_or_province().to_string()]));
            area = Some(unit.area.as_str());
        }
        let c = &unit.contact;
        rows.push((
            RowKind::Body,
            vec![
                unit.code.clone(),
                unit.name.clone(),
                unit.first_received_at
                    .map(vn_time)
                    .unwrap_or_else(|| "-".to_string()),
                unit.last_received_at
                    .map(vn_time)
                    .unwrap_or_else(|| "-".to_string()),
                c.person.clone(),
                c.position.clone(),
                c.phone.clone(),
                c.email.clone(),
                join_notes(
                    if unit.late_before {
                        "Đợt trước cũng không đúng hạn"
                    } else {
                        ""
                    },
                    &unit.reminded_note(),
                ),
            ],
        ));
    }
    Table {
        numeric: vec![false; header.len()],
        widths: vec![1.45, 2.5, 1.35, 1.35, 1.55, 1.6, 1.3, 2.4, 0.9],
        header,
        rows,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decree_30_dates_pad_days_under_ten_and_the_first_two_months() {
        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).expect("date");
        assert_eq!(decree_date(day(2023, 3, 22)), "ngày 22 tháng 3 năm 2023");
        assert_eq!(decree_date(day(2023, 2, 5)), "ngày 05 tháng 02 năm 2023");
        assert_eq!(decree_date(day(2023, 1, 10)), "ngày 10 tháng 01 năm 2023");
        assert_eq!(decree_date(day(2023, 12, 1)), "ngày 01 tháng 12 năm 2023");
    }
}
