//! Who is reminded on a day: every unit a campaign expects whose report for the
//! milestone has not arrived, at the step of the schedule due that day.

use baocao_registry::{Campaign, Milestone, Registry, ReminderStep, ReportingUnit, vietnam_date};
use baocao_submission::index::SubmissionIndex;
use chrono::NaiveDate;

/// Why a unit is reminded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LateStatus {
    /// No report of the campaign at all.
    Missing,
    /// A report of the campaign, but from before the milestone's window opened: not
    /// updated for this milestone (its last report dated).
    NotUpdated(NaiveDate),
}

/// One unit to remind, at one step.
#[derive(Clone, Debug)]
pub struct PlannedReminder {
    /// The unit.
    pub unit: ReportingUnit,
    /// Why.
    pub status: LateStatus,
    /// The step of the schedule.
    pub step: ReminderStep,
}

/// The unit's status for `milestone`: `None` when it has reported in the milestone's
/// window (its newest accepted report is on or after the window's first day).
pub fn late_status(
    index: &SubmissionIndex,
    campaign: &Campaign,
    milestone: &Milestone,
    unit: &str,
) -> Option<LateStatus> {
    match index.latest(unit, &campaign.id) {
        None => Some(LateStatus::Missing),
        Some(latest) => {
            let seconds = latest.received_at.seconds;
            let received = chrono::DateTime::from_timestamp(seconds, 0)
                .map(vietnam_date)
                .unwrap_or(milestone.opens_on);
            (received < milestone.opens_on).then_some(LateStatus::NotUpdated(received))
        }
    }
}

/// The reminders due on `today` for `milestone`: the schedule's latest step on or before
/// it (none before the first step or after the report deadline), for every expected unit
/// without a report in the window, sorted by unit code.
pub fn plan_reminders(
    registry: &Registry,
    campaign: &Campaign,
    milestone: &Milestone,
    index: &SubmissionIndex,
    today: NaiveDate,
) -> Vec<PlannedReminder> {
    if today > milestone.report_deadline {
        return Vec::new();
    }
    let Some(step) = milestone.due_reminder(today) else {
        return Vec::new();
    };
    let mut planned: Vec<PlannedReminder> = registry
        .expected_units(campaign)
        .filter_map(|unit| {
            late_status(index, campaign, milestone, &unit.code).map(|status| PlannedReminder {
                unit: unit.clone(),
                status,
                step: step.clone(),
            })
        })
        .collect();
    planned.sort_by(|a, b| a.unit.code.cmp(&b.unit.code));
    planned
}
