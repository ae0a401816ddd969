//! The DIC's duty to urge (*đôn đốc*): before and after each milestone's unit deadline,
//! every expected unit that has not reported (or has not updated its report for the
//! milestone) is reminded — an e-mail in Vietnamese to its contact over SMTP, and a
//! webhook call for an SMS or Zalo gateway — on the days of the milestone's schedule.
//!
//! Every reminder is recorded on a Kafka topic before it is sent (a claim) and after (sent
//! or failed), keyed by campaign, milestone, step, unit and channel; replaying the topic
//! tells each run, and each replica of the scheduler, what was sent and who holds what, so
//! a reminder is sent once and nobody is skipped (docs/reminders.md).

mod config;
mod error;
mod log;
mod message;
mod plan;
mod run;
mod send;

pub use config::RemindConfig;
pub use error::{Error, Result};
pub use log::{ReminderLog, ReminderRecord, ReminderState};
pub use message::{Reminder, ReminderText};
pub use plan::{LateStatus, PlannedReminder, plan_reminders};
pub use run::{RemindOptions, RemindSummary, remind_milestone};
pub use send::send_mail;
