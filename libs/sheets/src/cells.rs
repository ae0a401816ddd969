//! A cell's value as the typed report field of its column expects it: a count's digits,
//! a level, a date as `yyyy-mm-dd`, a choice's value, yes or no — or, in Vietnamese, why
//! the cell cannot be one (an error value, an uncalculated formula, text typed in a
//! legacy Vietnamese encoding).

use baocao_rules::typed::Options;

use crate::layout::{Column, Kind, normalized};
use crate::read::Value;

/// A value as plain text (what a code or a name cell holds).
pub(crate) fn plain_text(value: &Value) -> String {
    match value {
        Value::Text(text) => text.trim().to_string(),
        Value::Number(n) if n.fract() == 0.0 && n.abs() < 1e15 => format!("{}", *n as i64),
        Value::Number(n) => n.to_string().replace('.', ","),
        Value::Date(day) => day.format("%d/%m/%Y").to_string(),
        Value::Bool(true) => "Có".into(),
        Value::Bool(false) => "Không".into(),
        Value::Error(e) => e.clone(),
        Value::Uncalculated(formula) => format!("={formula}"),
    }
}

/// A cell's value as the typed field expects it (`yes`/`no`, a choice's value, a date
/// as `yyyy-mm-dd`, a count's digits), or why it cannot be one.
pub(crate) fn cell_text(column: &Column, value: &Value) -> std::result::Result<String, String> {
    match value {
        Value::Error(e) => return Err(format!("ô có lỗi công thức ({e})")),
        Value::Uncalculated(formula) => {
            return Err(format!(
                "công thức ={formula} chưa có kết quả: mở tệp bằng Excel hoặc LibreOffice, lưu \
                 lại rồi nhập"
            ));
        }
        Value::Text(text) if looks_legacy_encoded(text) => {
            return Err(format!(
                "“{}” có vẻ được gõ bằng bảng mã cũ (TCVN3 hoặc VNI), không phải Unicode: hãy \
                 chuyển mã sang Unicode (ví dụ bằng Unikey) rồi nhập lại",
                text.trim()
            ));
        }
        _ => {}
    }
    match column.kind {
        Kind::Text | Kind::Info => Ok(plain_text(value)),
        Kind::Count => count_text(value),
        Kind::Level => Ok(level_text(value)),
        Kind::Date => date_text(value),
        Kind::Choice(options) => choice_value(options, value),
        Kind::YesNo | Kind::Flag => yes_no_value(value),
    }
}

fn count_text(value: &Value) -> std::result::Result<String, String> {
    match value {
        Value::Number(n) if n.fract() != 0.0 => Err(format!(
            "“{}” không phải là một số nguyên",
            n.to_string().replace('.', ",")
        )),
        Value::Date(_) => Err(format!(
            "“{}” là ngày tháng, cần một số nguyên",
            plain_text(value)
        )),
        other => Ok(plain_text(other)),
    }
}

/// A level as typed: `3`, `Cấp độ 3` or `cấp 3` give `3`; anything else is left for the
/// parser to refuse.
fn level_text(value: &Value) -> String {
    let text = plain_text(value);
    let lower = normalized(&text);
    let digits = lower
        .trim_start_matches("cấp độ")
        .trim_start_matches("cấp")
        .trim();
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        digits.to_string()
    } else {
        text
    }
}

fn date_text(value: &Value) -> std::result::Result<String, String> {
    match value {
        Value::Date(day) => Ok(day.format("%Y-%m-%d").to_string()),
        // A date typed into a cell without a date format: Excel's day number.
        Value::Number(n) if (36_526.0..=73_050.0).contains(n) && n.fract() == 0.0 => {
            let epoch = chrono::NaiveDate::from_ymd_opt(1899, 12, 30).unwrap_or_default();
            Ok((epoch + chrono::Duration::days(*n as i64))
                .format("%Y-%m-%d")
                .to_string())
        }
        Value::Number(_) | Value::Bool(_) => Err(format!(
            "“{}” không phải là ngày (dd/mm/yyyy)",
            plain_text(value)
        )),
        other => Ok(plain_text(other)),
    }
}

fn choice_value(options: Options, value: &Value) -> std::result::Result<String, String> {
    let typed = plain_text(value);
    let wanted = normalized(&typed);
    options
        .iter()
        .filter(|(v, _)| !v.is_empty())
        .find(|(v, label)| normalized(label) == wanted || v.eq_ignore_ascii_case(&typed))
        .map(|(v, _)| v.to_string())
        .ok_or_else(|| {
            let labels: Vec<&str> = options
                .iter()
                .filter(|(v, _)| !v.is_empty())
                .map(|(_, l)| *l)
                .collect();
            format!("“{typed}” không có trong danh sách ({})", labels.join("; "))
        })
}

fn yes_no_value(value: &Value) -> std::result::Result<String, String> {
    if let Value::Bool(b) = value {
        return Ok(if *b { "yes" } else { "no" }.into());
    }
    let typed = plain_text(value);
    match normalized(&typed).as_str() {
        "có" | "co" | "x" | "yes" | "true" | "1" | "đúng" => Ok("yes".into()),
        "không" | "khong" | "no" | "false" | "0" | "sai" => Ok("no".into()),
        _ => Err(format!("“{typed}”: chọn Có hoặc Không")),
    }
}

/// Whether `text` has characters that Vietnamese in Unicode never uses but text typed in
/// the TCVN3 (ABC) or VNI encodings shows when read as Unicode (`Tr­êng`, `Vieät`).
pub(crate) fn looks_legacy_encoded(text: &str) -> bool {
    text.chars().any(|c| {
        matches!(
            c,
            '\u{a1}'
                ..='\u{bf}'
                    | 'Ä'
                    | 'Å'
                    | 'Æ'
                    | 'Ç'
                    | 'Ë'
                    | 'Î'
                    | 'Ï'
                    | 'Ð'
                    | 'Ñ'
                    | 'Ö'
                    | '×'
                    | 'Ø'
                    | 'Û'
                    | 'Ü'
                    | 'Þ'
                    | 'ß'
                    | 'ä'
                    | 'å'
                    | 'æ'
                    | 'ç'
                    | 'ë'
                    | 'î'
                    | 'ï'
                    | 'ñ'
                    | 'ö'
                    | '÷'
                    | 'ø'
                    | 'û'
                    | 'ü'
                    | 'þ'
                    | 'ÿ'
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::system_columns;

    fn text(s: &str) -> Value {
        Value::Text(s.into())
    }

    #[test]
    fn cells_are_read_by_their_columns_kind() {
        let systems = system_columns();
        let col = |field: &str| *systems.iter().find(|c| c.field == field).expect(field);
        assert_eq!(
            cell_text(&col("camera_count"), &Value::Number(24.0)),
            Ok("24".into())
        );
        assert_eq!(
            cell_text(&col("camera_count"), &text("1.234")),
            Ok("1.234".into())
        );
        assert!(cell_text(&col("camera_count"), &Value::Number(2.5)).is_err());
        assert_eq!(
            cell_text(&col("proposed_level"), &text("Cấp độ 3")),
            Ok("3".into())
        );
        assert_eq!(
            cell_text(&col("dossier_status"), &text("đã phê duyệt  cấp độ")),
            Ok("DOSSIER_STATUS_APPROVED".into())
        );
        assert!(cell_text(&col("dossier_status"), &text("xong")).is_err());
        assert_eq!(
            cell_text(&col("approval.decision_date"), &Value::Number(45_000.0)),
            Ok("2023-03-15".into())
        );
        assert_eq!(
            cell_text(&col("approval.decision_date"), &text("20/3/2023")),
            Ok("20/3/2023".into())
        );
        assert_eq!(
            cell_text(&col("assessed_at_procurement"), &text("Có")),
            Ok("yes".into())
        );
        assert!(cell_text(&col("assessed_at_procurement"), &text("có lẽ")).is_err());
        assert!(cell_text(&col("name"), &text("Tr\u{ad}êng häc")).is_err());
        assert!(cell_text(&col("name"), &Value::Uncalculated("SUM(A1:A2)".into())).is_err());
    }
}
