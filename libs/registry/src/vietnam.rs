//! Vietnam time and Vietnamese number formats, said once: the UTC+7 offset (no daylight
//! saving), the calendar day of an instant, the instants a day starts and ends (deadlines
//! are Vietnamese days), and how reports, pages and letters write numbers, percentages,
//! days and instants.

use chrono::{DateTime, Duration, NaiveDate, Utc};

/// Vietnam's offset from UTC (UTC+7, no daylight saving): deadlines and "today" are
/// Vietnamese calendar days.
pub const VIETNAM_UTC_OFFSET_SECONDS: i32 = 7 * 3600;

fn in_vietnam(instant: DateTime<Utc>) -> chrono::NaiveDateTime {
    (instant + Duration::seconds(i64::from(VIETNAM_UTC_OFFSET_SECONDS))).naive_utc()
}

/// The Vietnamese calendar day of an instant.
pub fn vietnam_date(instant: DateTime<Utc>) -> NaiveDate {
    in_vietnam(instant).date()
}

/// The instant a Vietnam calendar day ends (next day 00:00 at UTC+7), in ms since epoch.
pub fn end_of_vietnam_day_ms(day: NaiveDate) -> i64 {
    let next = day
        .succ_opt()
        .unwrap_or(day)
        .and_hms_opt(0, 0, 0)
        .unwrap_or_default();
    next.and_utc().timestamp_millis() - i64::from(VIETNAM_UTC_OFFSET_SECONDS) * 1000
}

/// The instant a Vietnam calendar day starts, in ms since the epoch.
pub fn start_of_vietnam_day_ms(day: NaiveDate) -> i64 {
    day.pred_opt().map_or(i64::MIN, end_of_vietnam_day_ms)
}

/// The instant a Vietnam calendar day starts (the epoch for a day before any instant).
pub fn vietnam_day_start(day: NaiveDate) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(start_of_vietnam_day_ms(day)).unwrap_or_default()
}

/// A day as people type it: `yyyy-mm-dd` (a date picker) or `dd/mm/yyyy` (by hand).
pub fn parse_day(text: &str) -> Option<NaiveDate> {
    let text = text.trim();
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(text, "%d/%m/%Y"))
        .ok()
}

/// A whole number as Vietnamese write it, with `.` between thousands: 37711 → `37.711`
/// (reports, forms and messages people read).
pub fn vn_number(value: i64) -> String {
    let digits = value.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(c);
    }
    if value < 0 { format!("-{out}") } else { out }
}

/// `part / whole` as a Vietnamese percentage with one decimal (`61,9%`), or `-`.
pub fn vn_percent(part: i64, whole: i64) -> String {
    if whole == 0 {
        return "-".to_string();
    }
    format!("{:.1}%", 100.0 * part as f64 / whole as f64).replace('.', ",")
}

/// A day as `dd/mm/yyyy`.
pub fn vn_date(day: NaiveDate) -> String {
    day.format("%d/%m/%Y").to_string()
}

/// An instant in Vietnam time to the minute, `HH:MM dd/mm/yyyy` (the hour first, as an
/// official document writes "lúc 10 giờ ngày …").
pub fn vn_time(instant: DateTime<Utc>) -> String {
    in_vietnam(instant).format("%H:%M %d/%m/%Y").to_string()
}

/// An instant in Vietnam time to the second, `HH:MM:SS ngày dd/mm/yyyy` (short waits).
pub fn vn_time_seconds(instant: DateTime<Utc>) -> String {
    in_vietnam(instant)
        .format("%H:%M:%S ngày %d/%m/%Y")
        .to_string()
}

/// `text` as a search compares it: lower case, Vietnamese diacritics dropped (đ → d),
/// single spaces — so `ham rong` finds `Phường Hàm Rồng`.
pub fn search_key(text: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    use unicode_normalization::char::is_combining_mark;
    let folded: String = text
        .nfd()
        .filter(|c| !is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .map(|c| if c == 'đ' { 'd' } else { c })
        .collect();
    folded.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vietnamese_numbers_percentages_and_days() {
        assert_eq!(vn_number(0), "0");
        assert_eq!(vn_number(999), "999");
        assert_eq!(vn_number(1_000), "1.000");
        assert_eq!(vn_number(150_000_000), "150.000.000");
        assert_eq!(vn_number(-1_234), "-1.234");
        assert_eq!(vn_percent(1913, 3090), "61,9%");
        assert_eq!(vn_percent(1, 0), "-");
        let day = NaiveDate::from_ymd_opt(2023, 3, 22).unwrap_or_default();
        assert_eq!(vn_date(day), "22/03/2023");
    }

    #[test]
    fn a_vietnam_day_runs_from_17_00_utc_the_day_before() {
        let day = NaiveDate::from_ymd_opt(2023, 3, 20).unwrap_or_default();
        let end = end_of_vietnam_day_ms(day);
        let start = start_of_vietnam_day_ms(day);
        assert_eq!(end - start, 86_400_000);
        let last_ms = DateTime::from_timestamp_millis(end - 1).unwrap_or_default();
        assert_eq!(vietnam_date(last_ms), day);
        assert_eq!(vn_time(last_ms), "23:59 20/03/2023");
        assert_eq!(vn_time_seconds(last_ms), "23:59:59 ngày 20/03/2023");
        let next = DateTime::from_timestamp_millis(end).unwrap_or_default();
        assert_eq!(vietnam_date(next), day.succ_opt().unwrap_or_default());
    }

    #[test]
    fn a_search_key_ignores_diacritics_case_and_spacing() {
        assert_eq!(search_key("Phường  Hàm Rồng"), "phuong ham rong");
        assert_eq!(search_key("ĐÔNG SƠN"), "dong son");
    }
}
