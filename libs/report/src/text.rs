//! The report as text: its tables as cells (one place for every renderer), its
//! sentences, and the Markdown and HTML renderings, with every registry name escaped.

use baocao_registry::{CountBasis, vn_date, vn_number, vn_percent, vn_time};
use chrono::{DateTime, Utc};

use crate::model::{Figures, ReportData, join_notes, units_with_status};
use crate::{chart, document};

pub(crate) fn status_label(status: &str) -> &'static str {
    match status {
        "late" => "Trễ hạn",
        "missing" => "Chưa báo cáo",
        "not_updated" => "Chưa cập nhật trong đợt",
        _ => "",
    }
}

/// The table of the areas (and the provincial units): header and rows of cells.
pub(crate) fn district_table(data: &ReportData) -> (Vec<String>, Vec<Vec<String>>) {
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
pub(crate) fn late_table(
    data: &ReportData,
    status: Option<&str>,
) -> (Vec<String>, Vec<Vec<String>>) {
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
                        "Đợt trước cũng không đúng hạn"
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
pub(crate) fn urge_groups(data: &ReportData) -> Vec<(&'static str, &'static str, usize)> {
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
pub(crate) fn late_heading(data: &ReportData) -> &'static str {
    if data.province.units_not_updated > 0 {
        "Đơn vị trễ hạn, chưa báo cáo, chưa cập nhật"
    } else {
        "Đơn vị trễ hạn, chưa báo cáo"
    }
}

pub(crate) fn headline_lines(data: &ReportData) -> Vec<String> {
    let mut lines = completeness_lines(data);
    lines.extend(indicator_lines(data));
    lines
}

/// Who reported: expected, reported (on time, late), missing, and — said right after, so
/// nobody reads them as having reported — the units not updated in this milestone.
pub(crate) fn completeness_lines(data: &ReportData) -> Vec<String> {
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
    lines.extend(crate::compare::units_comparison(data));
    lines
}

/// Which reports the figures count (the campaign's `count`) and where review stands: said
/// in every report, so nobody reads unreviewed figures as checked or the reverse.
pub(crate) fn count_basis_line(data: &ReportData) -> String {
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
pub(crate) fn indicator_lines(data: &ReportData) -> Vec<String> {
    let p = &data.province;
    let levels = p
        .approved_levels
        .iter()
        .enumerate()
        .map(|(i, n)| format!("cấp độ {}: {}", i + 1, vn_number(*n)))
        .collect::<Vec<_>>()
        .join("; ");
    let mut lines = vec![
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
    ];
    // After the plans line: the systems and the milestone's measure, year over year.
    if let Some(line) = crate::compare::systems_comparison(data) {
        lines.insert(3, line);
    }
    lines
}

/// Where the figures come from, as a sentence. The working files (Markdown, HTML, the
/// workbook) also say when they were made (`stamped`); the documents that are signed
/// (PDF, DOCX) carry that time in their metadata instead, not in the text an officer
/// signs.
pub(crate) fn lineage_line(data: &ReportData, stamped: bool) -> String {
    let l = &data.lineage;
    let last = l
        .last_received_at
        .map(vn_time)
        .unwrap_or_else(|| "-".into());
    let mut line = format!(
        "Số liệu tổng hợp từ {} báo cáo của {} đơn vị, tiếp nhận đến {}; tính đến hết ngày {} (giờ Việt Nam).",
        vn_number(l.submissions),
        vn_number(l.units),
        last,
        vn_date(l.cut_off_date),
    );
    if stamped {
        line.push_str(&format!(" Tạo lúc {}.", vn_time(l.generated_at)));
    }
    if !l.stray_units.is_empty() {
        line.push_str(&format!(
            " Không tính báo cáo của {} đơn vị không thuộc phạm vi đợt báo cáo này (đã bỏ khỏi danh mục, đổi mã, hoặc thuộc địa bàn khác; xem lineage.json).",
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

pub(crate) fn title(data: &ReportData) -> String {
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
pub(crate) fn markdown_row(cells: &[String]) -> String {
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
        markdown_escape(&lineage_line(data, true))
    ));
    out
}

pub(crate) fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The header cells and body rows of the area table (the last row, the province, bold).
fn html_area_table(data: &ReportData) -> String {
    let mut out = String::new();
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
    out
}

/// The header cells, body and end of the table of the units to urge of `status`.
fn html_late_table(data: &ReportData, status: &str) -> String {
    let mut out = String::new();
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
    out
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
    out.push_str(&html_area_table(data));
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
        out.push_str(&html_late_table(data, status));
    }
    out.push_str(&format!(
        "<h2>4. Nguồn số liệu</h2>\n<p>{}</p>\n</body></html>\n",
        html_escape(&lineage_line(data, true))
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
