//! The domain of baocao: administrative units, reporting units, campaigns and milestones.
//!
//! Everything that changes with policy (tiers, unit kinds, deadlines, which units must
//! report) is loaded from data files under a data directory (see `docs/data.md`), never
//! hard-coded. Loading fails with file, line and reason on an impossible date, an unknown
//! parent or a duplicate code, so a bad edit is caught before a gateway serves it.

mod admin;
mod campaign;
mod document;
mod error;
mod live;
mod load;
mod map;
mod register;
mod registry;
mod reminders;
mod units;
mod versions;

pub use admin::{AdminLevel, AdminUnit};
pub use campaign::{Campaign, CountBasis, Milestone, MilestoneMeasure};
pub use document::DocumentSettings;
pub use error::{Error, Result};
pub use live::LiveRegistry;
pub use map::{AreaMap, MappedArea, area_maps};
pub use register::RegisterInfo;
pub use registry::Registry;
pub use reminders::{ReminderSchedule, ReminderStep};
pub use units::{Contact, ReportingUnit, ReviewRule, UnitKind};
pub use versions::{RegisterChoice, RegisterVersion, register_versions};

/// Vietnam's offset from UTC (UTC+7, no daylight saving): deadlines and "today" are
/// Vietnamese calendar days.
pub const VIETNAM_UTC_OFFSET_SECONDS: i32 = 7 * 3600;

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

/// The Vietnamese calendar day of an instant.
pub fn vietnam_date(instant: chrono::DateTime<chrono::Utc>) -> chrono::NaiveDate {
    (instant + chrono::Duration::seconds(i64::from(VIETNAM_UTC_OFFSET_SECONDS))).date_naive()
}
