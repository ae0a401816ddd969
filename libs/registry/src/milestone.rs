//! What a campaign counts and when: a milestone's deadlines and measure, and which
//! versions of a report the Chairman's report counts. Apart from the campaign file's
//! loading, so the reminder schedule (which reads milestones) and the campaign (which has
//! a schedule) do not import each other.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::reminders::{ReminderSchedule, ReminderStep};

/// What a milestone counts as done for a camera system.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MilestoneMeasure {
    /// The system's security level dossier is approved.
    LevelsApproved,
    /// The system's protection plan is fully implemented.
    PlansImplemented,
}

impl MilestoneMeasure {
    /// The snake_case name used in files and summaries.
    pub fn as_str(self) -> &'static str {
        match self {
            MilestoneMeasure::LevelsApproved => "levels_approved",
            MilestoneMeasure::PlansImplemented => "plans_implemented",
        }
    }
}

/// Which versions of a unit's report the Chairman's report counts (the campaign's
/// `count`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CountBasis {
    /// Each unit's latest accepted version, reviewed or not (the default).
    #[default]
    Received,
    /// Each unit's latest version its reviewer approved; a correction after an approval
    /// is not counted until it is approved in turn.
    Approved,
}

impl CountBasis {
    /// The snake_case name used in files, summaries and the lineage.
    pub fn as_str(self) -> &'static str {
        match self {
            CountBasis::Received => "received",
            CountBasis::Approved => "approved",
        }
    }
}

/// A deadline pair: units must report by `unit_deadline`, and the consolidating unit (the
/// DIC) reports to the Chairman by `report_deadline`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Milestone {
    /// Stable id within the campaign, e.g. `levels-approved`.
    pub id: String,
    /// Vietnamese name for reports.
    pub name: String,
    /// What is counted.
    pub measure: MilestoneMeasure,
    /// First day of the milestone's reporting window (Vietnam time): a unit's timeliness
    /// for this milestone is decided by its first report from this day on. From the file,
    /// or by default the day after the previous milestone's unit deadline (the campaign's
    /// `opens_on` for the first milestone).
    pub opens_on: NaiveDate,
    /// Last day (inclusive, Vietnam time) for units; later reports count as late.
    pub unit_deadline: NaiveDate,
    /// Last day for the consolidated report to the Chairman.
    pub report_deadline: NaiveDate,
    /// When units that have not reported are reminded (the milestone's `[reminders]`,
    /// else the campaign's, else 7 and 2 days before, the day after, then weekly).
    pub reminders: ReminderSchedule,
}

/// Days a unit is given to answer an urging sent on or after the report's deadline.
pub const ANSWER_DAYS: i64 = 3;

/// The day a late unit is asked to report by, in an urging sent on `asked_on`: the
/// report's deadline while it is ahead, else [`ANSWER_DAYS`] after the urging — never a
/// day already past when the letter is signed or the reminder read.
pub fn answer_by(report_deadline: NaiveDate, asked_on: NaiveDate) -> NaiveDate {
    if report_deadline > asked_on {
        report_deadline
    } else {
        asked_on + chrono::Duration::days(ANSWER_DAYS)
    }
}

impl Milestone {
    /// The reminder steps of the milestone, in date order, inside its window (from its
    /// opening to its report deadline).
    pub fn reminder_steps(&self) -> Vec<ReminderStep> {
        self.reminders
            .steps(self.unit_deadline, self.opens_on, self.report_deadline)
    }

    /// The reminder step due on `today`: the latest one on or before it (an earlier step
    /// that was never sent is superseded, so a unit is never urged twice in one day).
    pub fn due_reminder(&self, today: NaiveDate) -> Option<ReminderStep> {
        self.reminder_steps()
            .into_iter()
            .rfind(|step| step.date <= today)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_urging_never_asks_for_a_day_already_past() {
        let day = |d| NaiveDate::from_ymd_opt(2026, 7, d).unwrap_or_default();
        assert_eq!(answer_by(day(10), day(2)), day(10));
        assert_eq!(answer_by(day(10), day(10)), day(13));
        assert_eq!(answer_by(day(10), day(20)), day(23));
    }
}
