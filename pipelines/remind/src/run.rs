//! One reminder run of a milestone: plan who is late today, then for each reminder claim
//! it on the log, check again that the unit has still not reported, send, and record the
//! outcome — or, in a dry run, only say what would be sent.

use std::sync::atomic::{AtomicBool, Ordering};

use baocao_errors::Chain;
use baocao_registry::{Campaign, Milestone, Registry};
use baocao_submission::index::SubmissionIndex;
use chrono::{NaiveDate, Utc};
use lettre::{AsyncSmtpTransport, Tokio1Executor};

use crate::plan::late_status;
use crate::send::{send_email, send_webhook, smtp_transport};
use crate::{
    PlannedReminder, RemindConfig, Reminder, ReminderLog, ReminderRecord, ReminderState, Result,
    plan_reminders,
};

/// What one run reminds about.
pub struct RemindOptions<'a> {
    /// The registry of the campaign's register.
    pub registry: &'a Registry,
    /// The campaign.
    pub campaign: &'a Campaign,
    /// The milestone.
    pub milestone: &'a Milestone,
    /// The day it runs as (Vietnam time).
    pub today: NaiveDate,
    /// Plan only: nothing is recorded or sent.
    pub dry_run: bool,
    /// Set (by SIGTERM or Ctrl-C) to stop after the reminder being sent.
    pub stop: &'a AtomicBool,
}

/// What a run did.
#[derive(Debug, Default)]
pub struct RemindSummary {
    /// The step due, if any.
    pub step: Option<String>,
    /// Units without a report for the milestone.
    pub late: usize,
    /// Of those, units whose units-file row has an e-mail address.
    pub with_address: usize,
    /// E-mails sent by this run.
    pub emails_sent: usize,
    /// Webhook calls made by this run.
    pub webhooks_sent: usize,
    /// Reminders an earlier run had sent.
    pub already_sent: usize,
    /// Reminders another run holds (a second scheduler).
    pub held_elsewhere: usize,
    /// Units that reported between the plan and the send.
    pub reported_meanwhile: usize,
    /// Late units without an e-mail address (codes).
    pub no_address: Vec<String>,
    /// Failures (key: reason); retried by the next run.
    pub failed: Vec<String>,
    /// Whether it stopped early when asked to.
    pub stopped: bool,
    /// In a dry run, the reminders that would be sent.
    pub planned: Vec<Reminder>,
}

/// The sender's domain, for Message-IDs (`baocao.invalid` without a sender).
fn sender_domain(from: &str) -> String {
    from.rsplit_once('@')
        .map(|(_, domain)| domain.trim_end_matches('>').trim().to_string())
        .filter(|d| !d.is_empty())
        .unwrap_or_else(|| "baocao.invalid".to_string())
}

/// The reminders of the planned units on every configured channel.
fn reminders(
    config: &RemindConfig,
    options: &RemindOptions<'_>,
    planned: Vec<PlannedReminder>,
    summary: &mut RemindSummary,
) -> Vec<Reminder> {
    let domain = sender_domain(&config.from);
    let mut out = Vec::new();
    for unit in planned {
        let make = |channel| {
            Reminder::new(
                options.campaign,
                options.milestone,
                unit.clone(),
                channel,
                &domain,
                &config.portal_url,
            )
        };
        if !config.smtp_host.is_empty() {
            if unit.unit.contact.email.is_empty() {
                summary.no_address.push(unit.unit.code.clone());
            } else {
                out.push(make("email"));
            }
        }
        if !config.webhook_url.is_empty() {
            out.push(make("webhook"));
        }
    }
    out
}

/// Reminds the late units of one milestone (see the module's documentation).
pub async fn remind_milestone(
    config: &RemindConfig,
    index: &SubmissionIndex,
    log: &mut ReminderLog,
    options: &RemindOptions<'_>,
) -> Result<RemindSummary> {
    let mut summary = RemindSummary::default();
    let planned = plan_reminders(
        options.registry,
        options.campaign,
        options.milestone,
        index,
        options.today,
    );
    summary.late = planned.len();
    summary.with_address = planned
        .iter()
        .filter(|p| !p.unit.contact.email.is_empty())
        .count();
    summary.step = planned.first().map(|p| p.step.id.clone());
    let reminders = reminders(config, options, planned, &mut summary);
    if options.dry_run {
        summary.planned = reminders
            .into_iter()
            .filter(|r| !log.was_sent(&r.key))
            .collect();
        return Ok(summary);
    }
    let sending = Sending {
        config,
        index,
        options,
        transport: smtp_transport(config)?,
        client: reqwest::Client::new(),
        run: uuid::Uuid::new_v4().to_string(),
    };
    for reminder in &reminders {
        if options.stop.load(Ordering::Relaxed) {
            summary.stopped = true;
            break;
        }
        sending.send(log, reminder, &mut summary).await?;
        if config.pace_ms > 0 {
            tokio::time::sleep(std::time::Duration::from_millis(config.pace_ms)).await;
        }
    }
    log.flush();
    Ok(summary)
}

/// What sending one reminder of a run needs.
struct Sending<'a> {
    config: &'a RemindConfig,
    index: &'a SubmissionIndex,
    options: &'a RemindOptions<'a>,
    transport: Option<AsyncSmtpTransport<Tokio1Executor>>,
    client: reqwest::Client,
    /// This run's id in the claims of the reminders topic.
    run: String,
}

impl Sending<'_> {
    /// Sends `reminder` unless it was sent, is held by another run, or its unit reported
    /// meanwhile; claims it first and records the outcome in the log.
    async fn send(
        &self,
        log: &mut ReminderLog,
        reminder: &Reminder,
        summary: &mut RemindSummary,
    ) -> Result<()> {
        let (options, run) = (self.options, &self.run);
        if log.was_sent(&reminder.key) {
            summary.already_sent += 1;
            return Ok(());
        }
        if log.held_by_another(&reminder.key, run, Utc::now()) {
            summary.held_elsewhere += 1;
            return Ok(());
        }
        let unit = &reminder.planned.unit.code;
        if late_status(self.index, options.campaign, options.milestone, unit).is_none() {
            summary.reported_meanwhile += 1;
            return Ok(());
        }
        let to = match reminder.channel {
            "email" => reminder.planned.unit.contact.email.clone(),
            _ => self.config.webhook_url.clone(),
        };
        let record = |state, reason: String| ReminderRecord {
            key: reminder.key.clone(),
            state,
            run: run.clone(),
            at: Utc::now(),
            campaign: options.campaign.id.clone(),
            milestone: options.milestone.id.clone(),
            step: reminder.planned.step.id.clone(),
            unit: unit.clone(),
            channel: reminder.channel.to_string(),
            to: to.clone(),
            message_id: reminder.message_id.clone(),
            reason,
        };
        log.write(&record(ReminderState::Claimed, String::new()))
            .await?;
        if log
            .holder(&reminder.key)
            .is_none_or(|(holder, _)| holder != run)
        {
            summary.held_elsewhere += 1;
            return Ok(());
        }
        let sent = match (reminder.channel, &self.transport) {
            ("email", Some(transport)) => send_email(transport, self.config, reminder, &to).await,
            _ => send_webhook(&self.client, self.config, reminder).await,
        };
        match sent {
            Ok(()) => {
                log.write(&record(ReminderState::Sent, String::new()))
                    .await?;
                match reminder.channel {
                    "email" => summary.emails_sent += 1,
                    _ => summary.webhooks_sent += 1,
                }
            }
            Err(err) => {
                let why = Chain(&err).to_string();
                tracing::warn!(key = %reminder.key, error = %why, "reminder not sent; the next run retries it");
                log.write(&record(ReminderState::Failed, why.clone()))
                    .await?;
                summary.failed.push(format!("{}: {why}", reminder.key));
            }
        }
        Ok(())
    }
}
