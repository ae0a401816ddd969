//! The form's layout: its sheets and their columns — the one list both the writer and
//! the reader follow. A column is found by its header text (or its field name, for
//! machine-made CSV), never by position, so moved, added or renamed sheets still read.

use baocao_rules::typed::{BLOCK_FIELDS, DOSSIER_OPTIONS, Options, PLAN_OPTIONS, YES_NO_OPTIONS};
use unicode_normalization::UnicodeNormalization;

/// Name of the sheet of units (identity and unit-level answers), as the form writes it.
pub const UNITS_SHEET: &str = "Đơn vị";
/// Name of the sheet of camera systems, one row each.
pub const SYSTEMS_SHEET: &str = "Hệ thống camera";
/// Name of the instructions sheet.
pub const GUIDE_SHEET: &str = "Hướng dẫn";

/// Row (0-based) of the column headers in the sheets the form writes; data follows.
pub const HEADER_ROW: u32 = 1;

/// What a column holds, which decides how it is written and read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A code or free text, kept as text (phone numbers keep their leading zero).
    Text,
    /// Shown for the person's orientation, never read (the unit's name).
    Info,
    /// A whole number ≥ 0, thousands separators allowed.
    Count,
    /// A security level 1–5.
    Level,
    /// A calendar date.
    Date,
    /// One of a list.
    Choice(Options),
    /// Có / Không / empty.
    YesNo,
    /// Có (set) or Không/empty (not set).
    Flag,
}

/// One column of a sheet.
#[derive(Clone, Copy, Debug)]
pub struct Column {
    /// The field of [`baocao_rules::typed::ReportInput`] it fills (`as_of`,
    /// `telecom.cameras_checked`; under `systems.N.` on the systems sheet).
    pub field: &'static str,
    /// The header cell's text.
    pub header: &'static str,
    /// What it holds.
    pub kind: Kind,
    /// Width in characters.
    pub width: f64,
    /// The input message shown when the cell is selected (Excel allows 255 characters).
    pub help: &'static str,
}

const fn column(
    field: &'static str,
    header: &'static str,
    kind: Kind,
    width: f64,
    help: &'static str,
) -> Column {
    Column {
        field,
        header,
        kind,
        width,
        help,
    }
}

/// The unit code column (first on both sheets).
pub const UNIT_CODE: &str = "unit_code";
/// The campaign column of the units sheet.
pub const CAMPAIGN: &str = "campaign_id";

const UNIT_HEAD: [Column; 16] = [
    column(
        UNIT_CODE,
        "Mã đơn vị",
        Kind::Text,
        16.0,
        "Mã đơn vị trong danh mục; không sửa.",
    ),
    column(
        "unit_name",
        "Tên đơn vị",
        Kind::Info,
        34.0,
        "Tên đơn vị; không sửa.",
    ),
    column(
        CAMPAIGN,
        "Mã đợt báo cáo",
        Kind::Text,
        16.0,
        "Đợt báo cáo; không sửa.",
    ),
    column(
        "as_of",
        "Số liệu tính đến ngày",
        Kind::Date,
        14.0,
        "Ngày chốt số liệu (dd/mm/yyyy), không sau ngày gửi.",
    ),
    column(
        "reporter.full_name",
        "Người chịu trách nhiệm báo cáo",
        Kind::Text,
        24.0,
        "Họ và tên người chịu trách nhiệm về số liệu báo cáo.",
    ),
    column(
        "reporter.position",
        "Chức vụ",
        Kind::Text,
        16.0,
        "Chức vụ của người báo cáo.",
    ),
    column(
        "reporter.phone",
        "Điện thoại",
        Kind::Text,
        14.0,
        "Số điện thoại liên hệ (cần điện thoại hoặc thư điện tử).",
    ),
    column(
        "reporter.email",
        "Thư điện tử",
        Kind::Text,
        24.0,
        "Địa chỉ thư điện tử công vụ.",
    ),
    column(
        "no_camera_systems",
        "Không có hệ thống camera",
        Kind::Flag,
        12.0,
        "Chọn “Có” nếu đơn vị không có hệ thống thông tin nào sử dụng camera giám sát.",
    ),
    column(
        "budget_allocated_vnd",
        "Kinh phí bố trí (đồng)",
        Kind::Count,
        16.0,
        "Kinh phí đã bố trí cho bảo đảm an toàn thông tin camera giám sát, đơn vị đồng.",
    ),
    column(
        "incidents",
        "Số sự cố mất an toàn thông tin",
        Kind::Count,
        12.0,
        "Số sự cố mất an toàn thông tin liên quan đến camera giám sát trong kỳ.",
    ),
    column(
        "internal_regulation.updated",
        "Đã cập nhật quy chế nội bộ",
        Kind::Flag,
        12.0,
        "Quy chế bảo đảm an toàn thông tin của đơn vị đã bổ sung nội dung về camera giám sát.",
    ),
    column(
        "internal_regulation.document_number",
        "Số văn bản quy chế",
        Kind::Text,
        16.0,
        "Số, ký hiệu văn bản ban hành quy chế.",
    ),
    column(
        "internal_regulation.document_date",
        "Ngày ban hành quy chế",
        Kind::Date,
        14.0,
        "Ngày ban hành quy chế (dd/mm/yyyy).",
    ),
    column(
        "national_regulation_applied",
        "Áp dụng QCVN 135:2024/BTTTT",
        Kind::YesNo,
        14.0,
        "Camera của đơn vị đáp ứng Quy chuẩn kỹ thuật quốc gia QCVN 135:2024/BTTTT.",
    ),
    column(
        "notes",
        "Ghi chú",
        Kind::Text,
        30.0,
        "Thông tin khác, kiến nghị (nếu có).",
    ),
];

const SYSTEM_COLUMNS: [Column; 18] = [
    column(
        UNIT_CODE,
        "Mã đơn vị",
        Kind::Text,
        16.0,
        "Mã đơn vị sở hữu hệ thống (chọn trong danh sách).",
    ),
    column(
        "system_code",
        "Mã hệ thống",
        Kind::Text,
        16.0,
        "Mã do đơn vị đặt, giữ nguyên giữa các lần báo cáo (ví dụ CAM-TRU-SO).",
    ),
    column(
        "name",
        "Tên hệ thống",
        Kind::Text,
        28.0,
        "Tên hệ thống thông tin sử dụng camera giám sát.",
    ),
    column(
        "location",
        "Vị trí lắp đặt",
        Kind::Text,
        22.0,
        "Nơi lắp đặt hệ thống.",
    ),
    column(
        "camera_count",
        "Số camera",
        Kind::Count,
        10.0,
        "Tổng số camera của hệ thống.",
    ),
    column(
        "proposed_level",
        "Cấp độ đề xuất",
        Kind::Level,
        10.0,
        "Cấp độ an toàn hệ thống thông tin đề xuất, từ 1 đến 5 (Nghị định 85/2016/NĐ-CP).",
    ),
    column(
        "dossier_status",
        "Hồ sơ đề xuất cấp độ",
        Kind::Choice(DOSSIER_OPTIONS),
        22.0,
        "Tình trạng hồ sơ đề xuất cấp độ (chọn trong danh sách).",
    ),
    column(
        "approval.decision_number",
        "Số quyết định phê duyệt",
        Kind::Text,
        16.0,
        "Chỉ điền khi hồ sơ đã được phê duyệt cấp độ.",
    ),
    column(
        "approval.decision_date",
        "Ngày quyết định",
        Kind::Date,
        14.0,
        "Ngày ký quyết định phê duyệt cấp độ (dd/mm/yyyy).",
    ),
    column(
        "approval.approving_authority",
        "Cơ quan phê duyệt",
        Kind::Text,
        20.0,
        "Cơ quan ban hành quyết định phê duyệt cấp độ.",
    ),
    column(
        "approval.approved_level",
        "Cấp độ được phê duyệt",
        Kind::Level,
        10.0,
        "Cấp độ ghi trong quyết định phê duyệt, từ 1 đến 5.",
    ),
    column(
        "plan_status",
        "Phương án bảo vệ",
        Kind::Choice(PLAN_OPTIONS),
        20.0,
        "Tình trạng triển khai phương án bảo đảm an toàn theo cấp độ.",
    ),
    column(
        "plan_implemented_on",
        "Ngày triển khai xong phương án",
        Kind::Date,
        14.0,
        "Chỉ điền khi đã triển khai xong (dd/mm/yyyy).",
    ),
    column(
        "assessed_at_procurement",
        "Đã đánh giá an toàn khi mua sắm",
        Kind::YesNo,
        14.0,
        "Đã kiểm tra, đánh giá an toàn thông tin khi mua sắm, thuê dịch vụ camera.",
    ),
    column(
        "last_periodic_assessment_on",
        "Ngày kiểm tra, đánh giá gần nhất",
        Kind::Date,
        14.0,
        "Ngày kiểm tra, đánh giá định kỳ gần nhất (dd/mm/yyyy).",
    ),
    column(
        "cameras_certified",
        "Số camera có CO, CQ",
        Kind::Count,
        10.0,
        "Số camera có giấy chứng nhận xuất xứ, chất lượng.",
    ),
    column(
        "cameras_on_warning_list",
        "Số camera trong danh sách cảnh báo",
        Kind::Count,
        12.0,
        "Số camera thuộc danh sách cảnh báo của cơ quan chức năng.",
    ),
    column(
        "cameras_replaced_or_removed",
        "Số camera đã thay thế, gỡ bỏ",
        Kind::Count,
        12.0,
        "Số camera đã thay thế hoặc gỡ bỏ vì lý do an toàn.",
    ),
];

/// The columns of the units sheet: identity, the unit-level answers, then each
/// indicator block's fields (filled only by the kinds that report them), then notes.
pub fn unit_columns() -> Vec<Column> {
    let (head, notes) = UNIT_HEAD.split_at(UNIT_HEAD.len() - 1);
    let mut columns = head.to_vec();
    columns.extend(BLOCK_FIELDS.iter().map(|(_, field, label)| {
        column(
            field,
            label,
            Kind::Count,
            12.0,
            "Chỉ tiêu riêng của loại đơn vị này (ô khóa: đơn vị không báo cáo chỉ tiêu này).",
        )
    }));
    columns.extend_from_slice(notes);
    columns
}

/// The columns of the systems sheet.
pub fn system_columns() -> Vec<Column> {
    SYSTEM_COLUMNS.to_vec()
}

/// The yes/no options without the empty one, as the drop-down lists them.
pub fn yes_no_labels() -> Vec<&'static str> {
    YES_NO_OPTIONS
        .iter()
        .filter(|(value, _)| !value.is_empty())
        .map(|(_, label)| *label)
        .collect()
}

/// A header or a typed label as compared: NFC, lower case, spaces collapsed, a trailing
/// `*` (required mark) dropped.
pub fn normalized(text: &str) -> String {
    let text: String = text.nfc().collect::<String>().to_lowercase();
    text.trim()
        .trim_end_matches('*')
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The column whose header (or field name) is `header`.
pub fn column_for<'c>(columns: &'c [Column], header: &str) -> Option<&'c Column> {
    let wanted = normalized(header);
    columns
        .iter()
        .find(|c| normalized(c.header) == wanted || c.field == wanted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_are_unique_and_found_however_typed() {
        for columns in [unit_columns(), system_columns()] {
            let mut headers: Vec<_> = columns.iter().map(|c| normalized(c.header)).collect();
            headers.sort();
            headers.dedup();
            assert_eq!(headers.len(), columns.len());
            for c in &columns {
                assert!(c.help.chars().count() <= 255, "{}", c.field);
            }
        }
        let columns = system_columns();
        assert_eq!(
            column_for(&columns, "  CẤP ĐỘ   đề xuất* ").map(|c| c.field),
            Some("proposed_level")
        );
        // Decomposed (NFD) Vietnamese, as a macOS keyboard types it.
        let nfd: String = "Số camera".nfd().collect();
        assert_eq!(
            column_for(&columns, &nfd).map(|c| c.field),
            Some("camera_count")
        );
        assert_eq!(
            column_for(&columns, "camera_count").map(|c| c.field),
            Some("camera_count")
        );
    }
}
