//! When late units are urged: a milestone's reminder schedule (`[reminders]` of a
//! campaign file, or of one milestone), as days around its unit deadline.

use chrono::NaiveDate;
use serde::Deserialize;

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

    /// The steps around a unit deadline, in date order, inside the window from
    /// `opens_on` to `report_deadline` (a milestone's: `Milestone::reminder_steps`).
    pub fn steps(
        &self,
        deadline: NaiveDate,
        opens_on: NaiveDate,
        report_deadline: NaiveDate,
    ) -> Vec<ReminderStep> {
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
            let last = (report_deadline - deadline).num_days();
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
            .filter(|s| s.date >= opens_on && s.date <= report_deadline)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Milestone, MilestoneMeasure};

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
        let steps = milestone().reminder_steps();
        let ids: Vec<&str> = steps.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(ids, ["T-7", "T-2", "T+1", "T+8", "T+15"]);
        assert_eq!(steps[0].date, day(6, 23));
        assert_eq!(steps[4].date, day(7, 15));
    }

    #[test]
    fn the_step_due_is_the_latest_one_not_after_today() {
        let m = milestone();
        assert_eq!(m.due_reminder(day(6, 22)), None);
        assert_eq!(m.due_reminder(day(6, 23)).map(|s| s.id), Some("T-7".into()));
        assert_eq!(m.due_reminder(day(7, 3)).map(|s| s.id), Some("T+1".into()));
        assert_eq!(
            m.due_reminder(day(12, 1)).map(|s| s.id),
            Some("T+15".into())
        );
    }
}
