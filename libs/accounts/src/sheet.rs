//! The one-time-password sheet: an Excel workbook, ready to print on A4, listing each new
//! account with its one-time password, grouped by district (provincial units first), so a
//! province can hand each district office its page. The passwords exist nowhere else:
//! the database keeps only their hashes.

use std::collections::BTreeMap;
use std::path::Path;

use baocao_registry::Registry;
use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook, XlsxError};

use crate::{Error, IssuedAccount, Result};

const HEADERS: [&str; 6] = [
    "STT",
    "Đơn vị",
    "Họ và tên",
    "Tên đăng nhập",
    "Mật khẩu một lần",
    "Vai trò",
];
const WIDTHS: [f64; 6] = [5.0, 38.0, 22.0, 20.0, 18.0, 18.0];
/// Height of one line of text, in points.
const LINE_HEIGHT: f64 = 15.0;

/// Lines that `text` takes when wrapped at word boundaries into a column `width`
/// characters wide (a character short of it, for fonts wider than Excel's default): a row
/// is made this many lines high, since neither Excel nor LibreOffice grows a row whose
/// height the file does not state when printing it as written.
fn wrapped_lines(text: &str, width: f64) -> usize {
    let room = (width - 2.0).max(1.0) as usize;
    let mut lines = 1;
    let mut used = 0;
    for word in text.split_whitespace() {
        let len = word.chars().count();
        if used == 0 {
            used = len;
        } else if used + 1 + len <= room {
            used += 1 + len;
        } else {
            lines += 1;
            used = len;
        }
        while used > room {
            lines += 1;
            used -= room;
        }
    }
    lines
}

/// The group heading of an account: the area under the province that holds its unit (a
/// district on the 2023 map, a commune on the 2025 map), or the province's own units.
fn group_of(registry: &Registry, unit_code: &str) -> (u8, String) {
    let Some(unit) = registry.unit(unit_code) else {
        return (2, "Đơn vị khác".into());
    };
    match registry.area_under_province(unit) {
        Some(area) => (1, area.name_with_type.clone()),
        None => (0, "Các đơn vị cấp tỉnh".into()),
    }
}

/// Writes `issued` to the workbook at `path`.
pub fn write(path: &Path, registry: &Registry, issued: &[IssuedAccount]) -> Result<()> {
    let mut groups: BTreeMap<(u8, String), Vec<&IssuedAccount>> = BTreeMap::new();
    for account in issued {
        groups
            .entry(group_of(registry, &account.account.unit_code))
            .or_default()
            .push(account);
    }
    let mut workbook = Workbook::new();
    fill(&mut workbook, registry, &groups).map_err(|source| Error::Sheet {
        path: path.to_path_buf(),
        source,
    })?;
    workbook.save(path).map_err(|source| Error::Sheet {
        path: path.to_path_buf(),
        source,
    })
}

fn fill(
    workbook: &mut Workbook,
    registry: &Registry,
    groups: &BTreeMap<(u8, String), Vec<&IssuedAccount>>,
) -> Result<(), XlsxError> {
    let title = Format::new().set_bold().set_font_size(14);
    let group = Format::new().set_bold().set_background_color("#DDE7F0");
    let header = Format::new()
        .set_bold()
        .set_border(FormatBorder::Thin)
        .set_align(FormatAlign::Center)
        .set_text_wrap();
    let cell = Format::new()
        .set_border(FormatBorder::Thin)
        .set_align(FormatAlign::VerticalCenter)
        .set_text_wrap();
    let secret = Format::new()
        .set_border(FormatBorder::Thin)
        .set_align(FormatAlign::VerticalCenter)
        .set_font_name("Courier New")
        .set_bold();
    let sheet = workbook.add_worksheet().set_name("Mật khẩu một lần")?;
    sheet
        .set_paper_size(9)
        .set_portrait()
        .set_print_fit_to_pages(1, 0);
    sheet.set_margins(0.5, 0.5, 0.6, 0.6, 0.3, 0.3);
    sheet.set_header("&C&\"-,Bold\"MẬT - Tài khoản baocao: mật khẩu một lần");
    sheet.set_footer("&LĐổi mật khẩu ngay khi đăng nhập lần đầu&RTrang &P/&N");
    for (col, width) in WIDTHS.iter().enumerate() {
        sheet.set_column_width(col as u16, *width)?;
    }
    sheet.write_string_with_format(0, 0, "Danh sách tài khoản và mật khẩu một lần", &title)?;
    sheet.write_string(
        1,
        0,
        "Mỗi người nhận mật khẩu của mình, đăng nhập và đặt mật khẩu mới ngay lần đầu.",
    )?;
    let mut row = 3u32;
    for ((_, heading), accounts) in groups {
        sheet.merge_range(row, 0, row, 5, heading, &group)?;
        row += 1;
        for (col, text) in HEADERS.iter().enumerate() {
            sheet.write_string_with_format(row, col as u16, *text, &header)?;
        }
        row += 1;
        for (n, issued) in accounts.iter().enumerate() {
            let a = &issued.account;
            let unit = registry
                .unit(&a.unit_code)
                .map_or(a.unit_code.as_str(), |u| u.name.as_str());
            sheet.write_number_with_format(row, 0, (n + 1) as f64, &cell)?;
            sheet.write_string_with_format(row, 1, unit, &cell)?;
            sheet.write_string_with_format(row, 2, &a.full_name, &cell)?;
            sheet.write_string_with_format(row, 3, &a.username, &cell)?;
            sheet.write_string_with_format(row, 4, &issued.one_time_password, &secret)?;
            sheet.write_string_with_format(row, 5, a.role.label(), &cell)?;
            let lines = wrapped_lines(unit, WIDTHS[1]).max(wrapped_lines(&a.full_name, WIDTHS[2]));
            if lines > 1 {
                sheet.set_row_height(row, LINE_HEIGHT * lines as f64)?;
            }
            row += 1;
        }
        row += 1;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_names_take_more_lines() {
        assert_eq!(wrapped_lines("Sở Tư pháp Thanh Hóa", WIDTHS[1]), 1);
        let long = "Sở Nông nghiệp và Phát triển nông thôn Thanh Hóa";
        assert_eq!(wrapped_lines(long, WIDTHS[1]), 2);
        assert_eq!(wrapped_lines(long, 12.0), 5);
        assert_eq!(
            wrapped_lines(&"x".repeat(80), WIDTHS[1]),
            3,
            "one long word"
        );
        assert_eq!(wrapped_lines("", WIDTHS[1]), 1);
    }
}
