//! The urging letter (*công văn đôn đốc*): to the People's Committee of each area with
//! units that have not reported, in the Decree 30 layout of a letter, with its list.

use crate::document::{
    Appendix, Block, OfficialReport, decree_date, document_date, lower_first, signer_titles,
    urge_order, urge_table,
};
use baocao_registry::{vn_date, vn_number};

use crate::model::{LateUnit, ReportData};

/// One urging letter: the area it goes to and the document.
pub(crate) struct UrgingLetter {
    /// The area's code (empty: the provincial units).
    pub area_code: String,
    /// The letter.
    pub document: OfficialReport,
}

/// The urging letters (*công văn đôn đốc*) of a milestone: one per area with units that
/// have not reported or not updated (late units have reported), to its People's
/// Committee, and one to the provincial units; each with its list appended.
pub(crate) fn urging_letters(data: &ReportData) -> Vec<UrgingLetter> {
    let mut areas: Vec<(&str, &str)> = data
        .late_and_missing
        .iter()
        .filter(|u| u.status != "late")
        .map(|u| (u.area_code.as_str(), u.area.as_str()))
        .collect();
    areas.sort_unstable();
    areas.dedup();
    areas
        .into_iter()
        .map(|(code, name)| {
            let units: Vec<&LateUnit> = urge_order(data)
                .into_iter()
                .filter(|u| u.status != "late" && u.area_code == code)
                .collect();
            UrgingLetter {
                area_code: code.to_string(),
                document: urging_letter(data, name, &units),
            }
        })
        .collect()
}

/// The letter to the People's Committee of `area` (its name; empty: to the provincial
/// units) about `units`.
fn urging_letter(data: &ReportData, area: &str, units: &[&LateUnit]) -> OfficialReport {
    let settings = &data.document;
    let issuer = &settings.issuer_name;
    let symbol = settings.symbol.trim_start_matches("BC-").to_string();
    let date = document_date(data);
    let milestone = lower_first(&data.milestone_name);
    let basis = if data.legal_basis.is_empty() {
        &data.campaign_name
    } else {
        &data.legal_basis
    };
    let count = vn_number(units.len() as i64);
    let ask_by = baocao_registry::answer_by(data.report_deadline, date);
    let (recipient, situation) = if area.is_empty() {
        (
            "Các cơ quan, đơn vị cấp tỉnh có tên tại danh sách kèm theo".to_string(),
            format!(
                "Đến ngày {}, còn {count} cơ quan, đơn vị cấp tỉnh chưa báo cáo hoặc chưa cập nhật báo cáo (danh sách kèm theo). {issuer} đề nghị các cơ quan, đơn vị khẩn trương gửi báo cáo để {issuer} tổng hợp, báo cáo Chủ tịch Ủy ban nhân dân tỉnh trước ngày {}./.",
                vn_date(date),
                vn_date(ask_by)
            ),
        )
    } else {
        let committee = format!("Ủy ban nhân dân {}", lower_first(area));
        (
            committee.clone(),
            format!(
                "Đến ngày {}, trên địa bàn {} còn {count} cơ quan, đơn vị chưa báo cáo hoặc chưa cập nhật báo cáo (danh sách kèm theo). {issuer} đề nghị {committee} chỉ đạo, đôn đốc các cơ quan, đơn vị trên khẩn trương gửi báo cáo để {issuer} tổng hợp, báo cáo Chủ tịch Ủy ban nhân dân tỉnh trước ngày {}./.",
                vn_date(date),
                lower_first(area),
                vn_date(ask_by)
            ),
        )
    };
    OfficialReport {
        parent_body: settings.parent_body.clone(),
        issuing_body: settings.issuing_body.clone(),
        number_line: format!("Số:        /{symbol}"),
        place_date: format!("{}, {}", settings.place, decree_date(date)),
        kind: String::new(),
        summary: format!("V/v đôn đốc báo cáo {milestone}"),
        recipients: vec![recipient],
        body: vec![
            Block::Paragraph(format!(
                "Thực hiện {basis}, {issuer} đã đề nghị các cơ quan, đơn vị báo cáo {milestone} trước ngày {}.",
                vn_date(data.unit_deadline)
            )),
            Block::Paragraph(situation),
        ],
        copies_to: vec!["- Như trên;".to_string(), format!("- Lưu: VT, {symbol}.")],
        signer_titles: signer_titles(settings),
        signer_name: settings.signer_name.clone(),
        appendices: vec![Appendix {
            number: "DANH SÁCH".to_string(),
            title: "CƠ QUAN, ĐƠN VỊ CHƯA BÁO CÁO, CHƯA CẬP NHẬT BÁO CÁO".to_string(),
            attached_to: format!(
                "(Kèm theo Công văn số        /{symbol} {} của {issuer})",
                decree_date(date)
            ),
            table: urge_table(units),
        }],
        generated_at: data.lineage.generated_at,
    }
}
