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
mod milestone;
mod register;
mod registry;
mod reminders;
mod units;
mod versions;
mod vietnam;

pub use admin::{AdminLevel, AdminUnit};
pub use campaign::Campaign;
pub use document::DocumentSettings;
pub use error::{Error, Result};
pub use live::LiveRegistry;
pub use map::{AreaMap, MappedArea, area_maps};
pub use milestone::{ANSWER_DAYS, CountBasis, Milestone, MilestoneMeasure, answer_by};
pub use register::RegisterInfo;
pub use registry::Registry;
pub use reminders::{ReminderSchedule, ReminderStep};
pub use units::{Contact, ReportingUnit, ReviewRule, UnitKind};
pub use versions::{RegisterChoice, RegisterVersion, register_versions};
pub use vietnam::{
    VIETNAM_UTC_OFFSET_SECONDS, end_of_vietnam_day_ms, parse_day, search_key,
    start_of_vietnam_day_ms, vietnam_date, vietnam_day_start, vn_date, vn_number, vn_percent,
    vn_time, vn_time_seconds,
};
