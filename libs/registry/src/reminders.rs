//! When late units are urged: a milestone's reminder schedule (`[reminders]` of a
//! campaign file, or of one milestone), as days around its unit deadline.

use chrono::NaiveDate;
use serde::Deserialize;

use crate::Milestone;

/// Days around a milestone's unit deadline on which units that have not reported are
/// reminded: before it, after it, then every so many days until the report deadline.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReminderSchedule {
    /// Days before the unit deadline, e.g. `[7, 2]`.
    #[serde(default)]
    pub days_before_unit_deadline: Vec<u32>,
    /// Days after the unit deadline, e.g. `[1]`.
    #[serde(default)]
    pub days_after_unit_deadline: Vec<u32>,
    /// Then every this many days after the last of those, until the report deadline
    /// (e.g. `7`: weekly); none when absent.
    #[serde(default)]
    pub then_every_days: Option<u32>,
}

impl Default for ReminderSchedule {
    /// 7 and 2 days before the unit deadline, the day after it, then weekly until the
    /// report deadline.
    fn default() -> Self {
        ReminderSchedule {
            days_before_unit_deadline: vec![7, 2],
            days_after_unit_deadline: vec![1],
            then_every_days: Some(7),
        }
    }
}

/// One reminder of a milestone's schedule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReminderStep {
    /// Stable id within the milestone: `T-7`, `T-2`, `T+1`, `T+8`… (days from the unit
    /// deadline), part of every record and message id.
    pub id: String,
    /// The day it is due (Vietnam time).
    pub date: NaiveDate,
}

impl ReminderSchedule {
    /// Why the schedule cannot be used, if it cannot: a zero interval would repeat
    /// forever, a day before the deadline of 0 is the deadline itself (after: `[0]` is
    /// allowed, the deadline day).
    pub(crate) fn problem(&self) -> Option<String> {
        if self.then_every_days == Some(0) {
            return Some("reminders.then_every_days must be at least 1".to_string());
        }
        if self.days_before_unit_deadline.contains(&0) {
            return Some(
                "reminders.days_before_unit_deadline: 0 is the deadline itself; write it as days_after_unit_deadline = [0]"
                    .to_string(),
            );
        }
        None
    }

    /// The steps of `milestone`, in date order, inside its window (from its opening to
    /// its report deadline).
    pub fn steps(&self, milestone: &Milestone) -> Vec<ReminderStep> {
        let deadline = milestone.unit_deadline;
        let mut offsets: Vec<i64> = self
            .days_before_unit_deadline
            .iter()
            .map(|d| -i64::from(*d))
            .chain(self.days_after_unit_deadline.iter().map(|d| i64::from(*d)))
            .collect();
        if let Some(every) = self.then_every_days {
            let start = self
                .days_after_unit_deadline
                .iter()
                .max()
                .map_or(0, |d| i64::from(*d));
            let last = (milestone.report_deadline - deadline).num_days();
            let mut next = start + i64::from(every);
            while next <= last {
                offsets.push(next);
                next += i64::from(every);
            }
        }
        offsets.sort_unstable();
        offsets.dedup();
        offsets
            .into_iter()
            .map(|offset| ReminderStep {
                id: format!("T{offset:+}"),
                date: deadline + chrono::Duration::days(offset),
            })
            .filter(|s| s.date >= milestone.opens_on && s.date <= milestone.report_deadline)
            .collect()
    }

    /// The step due on `today`: the latest one on or before it (an earlier step that was
    /// never sent is superseded, so a unit is never urged twice in one day).
    pub fn due_step(&self, milestone: &Milestone, today: NaiveDate) -> Option<ReminderStep> {
        self.steps(milestone)
            .into_iter()
            .rfind(|step| step.date <= today)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MilestoneMeasure;

    fn day(m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, d).expect("date")
    }

    fn milestone() -> Milestone {
        Milestone {
            id: "levels".into(),
            name: "L".into(),
            measure: MilestoneMeasure::LevelsApproved,
            opens_on: day(1, 1),
            unit_deadline: day(6, 30),
            report_deadline: day(7, 20),
            reminders: ReminderSchedule::default(),
        }
    }

    #[test]
    fn the_default_schedule_is_7_and_2_days_before_the_day_after_then_weekly() {
        let steps = ReminderSchedule::default().steps(&milestone());
        let ids: Vec<&str> = steps.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(ids, ["T-7", "T-2", "T+1", "T+8", "T+15"]);
        assert_eq!(steps[0].date, day(6, 23));
        assert_eq!(steps[4].date, day(7, 15));
    }

    #[test]
    fn the_step_due_is_the_latest_one_not_after_today() {
        let schedule = ReminderSchedule::default();
        let m = milestone();
        assert_eq!(schedule.due_step(&m, day(6, 22)), None);
        assert_eq!(
            schedule.due_step(&m, day(6, 23)).map(|s| s.id),
            Some("T-7".into())
        );
        assert_eq!(
            schedule.due_step(&m, day(7, 3)).map(|s| s.id),
            Some("T+1".into())
        );
        assert_eq!(
            schedule.due_step(&m, day(12, 1)).map(|s| s.id),
            Some("T+15".into())
        );
    }
}
