//! `baocao remind`: urge the units that have not reported, on the days of each
//! milestone's schedule — once, or every few minutes beside the following rollup.

use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Context;
use baocao_registry::{Campaign, Milestone, Registry, vietnam_date};
use baocao_remind::{RemindConfig, RemindOptions, RemindSummary, ReminderLog, remind_milestone};
use baocao_submission::Scope;
use chrono::NaiveDate;

use crate::config::Config;

/// Flags of `baocao remind`.
#[derive(clap::Args)]
pub struct RemindArgs {
    /// Campaign id.
    #[arg(long)]
    campaign: String,
    /// Milestone id; default: every milestone of the campaign.
    #[arg(long)]
    milestone: Option<String>,
    /// Say who would be reminded, send and record nothing.
    #[arg(long)]
    dry_run: bool,
    /// Run as on this day (YYYY-MM-DD, Vietnam time); default: today.
    #[arg(long)]
    as_of: Option<NaiveDate>,
    /// Run again every this many minutes until Ctrl-C or SIGTERM (each run sends only
    /// what is due and not yet sent).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    every_minutes: Option<u64>,
    /// Summaries root (overrides `rollup.out_dir`): the reminders sent are written to
    /// `<out>/<campaign>/<milestone>/reminders.json` for the report's late list.
    #[arg(long)]
    out: Option<String>,
}

pub async fn run(config: &Config, args: RemindArgs) -> anyhow::Result<ExitCode> {
    let registry = Arc::new(config.campaign_registry(&args.campaign)?);
    let campaign = registry
        .campaign(&args.campaign)
        .with_context(|| format!("--campaign: unknown campaign `{}`", args.campaign))?
        .clone();
    let milestones = chosen_milestones(&campaign, args.milestone.as_deref())?;
    anyhow::ensure!(
        args.dry_run
            || !config.remind.smtp_host.is_empty()
            || !config.remind.webhook_url.is_empty(),
        "nothing to send with: set remind.smtp_host (BAOCAO_REMIND__SMTP_HOST) or remind.webhook_url, or use --dry-run"
    );
    anyhow::ensure!(
        config.remind.smtp_host.is_empty() || !config.remind.from.is_empty(),
        "remind.from (BAOCAO_REMIND__FROM) is required to send e-mail, e.g. \"Sở Khoa học và Công nghệ <baocao@skhcn.example.gov.vn>\""
    );
    let scope = Scope {
        tier: None,
        jurisdiction: campaign.province.clone(),
    };
    let (index, _follower) =
        baocao_submission::follow_scope(&config.kafka, &registry, &scope, true)
            .await
            .context("reading who has reported from the reports topic")?;
    let mut log = ReminderLog::open(
        &config.kafka,
        &config.remind.topic,
        config.remind.lease_seconds,
    )
    .await
    .context("reading the reminders sent so far")?;
    let out = config.summaries_store(args.out.as_deref())?;
    let stop = Arc::new(AtomicBool::new(false));
    {
        let stop = stop.clone();
        tokio::spawn(async move {
            crate::commands::shutdown_signal().await;
            stop.store(true, Ordering::Relaxed);
        });
    }
    loop {
        let today = args
            .as_of
            .unwrap_or_else(|| vietnam_date(chrono::Utc::now()));
        for milestone in &milestones {
            let options = RemindOptions {
                registry: &registry,
                campaign: &campaign,
                milestone,
                today,
                dry_run: args.dry_run,
                stop: &stop,
            };
            let summary = remind_milestone(&config.remind, &index, &mut log, &options).await?;
            print_summary(
                &config.remind,
                &registry,
                milestone,
                today,
                &summary,
                args.dry_run,
            );
            if !args.dry_run {
                log.catch_up().await?;
                write_sent(&out, &log, &campaign, milestone).await?;
            }
        }
        let Some(every) = args.every_minutes else {
            break;
        };
        if !pause_unless_stopped(every, &stop).await {
            break;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Waits `minutes`, or less when asked to stop; whether to go on.
async fn pause_unless_stopped(minutes: u64, stop: &AtomicBool) -> bool {
    if stop.load(Ordering::Relaxed) {
        return false;
    }
    let pause = tokio::time::sleep(std::time::Duration::from_secs(minutes * 60));
    tokio::pin!(pause);
    while !stop.load(Ordering::Relaxed)
        && tokio::time::timeout(std::time::Duration::from_millis(500), &mut pause)
            .await
            .is_err()
    {}
    !stop.load(Ordering::Relaxed)
}

/// Writes the reminders sent for `milestone` beside its summaries (`reminders.json`),
/// which the next rollup's late list reads.
async fn write_sent(
    out: &baocao_store::Store,
    log: &ReminderLog,
    campaign: &Campaign,
    milestone: &Milestone,
) -> anyhow::Result<()> {
    let sent: Vec<_> = log
        .sent()
        .iter()
        .filter(|r| r.campaign == campaign.id && r.milestone == milestone.id)
        .collect();
    if sent.is_empty() {
        return Ok(());
    }
    let dir = out.join(&format!("{}/{}", campaign.id, milestone.id));
    dir.put("reminders.json", serde_json::to_vec_pretty(&sent)?)
        .await
        .with_context(|| format!("writing {}", dir.join("reminders.json")))?;
    Ok(())
}

fn chosen_milestones(campaign: &Campaign, wanted: Option<&str>) -> anyhow::Result<Vec<Milestone>> {
    match wanted {
        None => Ok(campaign.milestones.clone()),
        Some(id) => {
            let known: Vec<&str> = campaign.milestones.iter().map(|m| m.id.as_str()).collect();
            let milestone = campaign.milestone(id).with_context(|| {
                format!(
                    "campaign `{}` has no milestone `{id}` (has: {})",
                    campaign.id,
                    known.join(", ")
                )
            })?;
            Ok(vec![milestone.clone()])
        }
    }
}

/// The milestone's reminder steps and the one due, so a run says why it sends or not.
fn print_steps(milestone: &Milestone, today: NaiveDate, due: Option<&str>) {
    let steps: Vec<String> = milestone
        .reminder_steps()
        .iter()
        .map(|s| format!("{} {}", s.id, s.date.format("%d/%m")))
        .collect();
    println!(
        "{}: reminder steps {}; on {today} {}",
        milestone.id,
        if steps.is_empty() {
            "none (the schedule has no step inside the milestone's window)".to_string()
        } else {
            steps.join(", ")
        },
        due.map_or_else(
            || "no step is due (the first is later)".to_string(),
            |step| format!("step {step} is due")
        )
    );
}

/// Per channel, how many a dry run would send and why not, naming a missing setting.
fn print_channels(config: &RemindConfig, summary: &RemindSummary) {
    let emails = summary
        .planned
        .iter()
        .filter(|r| r.channel == "email")
        .count();
    if config.smtp_host.is_empty() {
        println!(
            "  e-mail: not configured (set remind.smtp_host / BAOCAO_REMIND__SMTP_HOST and remind.from): \
             {} of the {} units have an address and would be e-mailed",
            summary.with_address, summary.late
        );
    } else {
        println!(
            "  e-mail: {emails} would be sent; {} units have no address in the units file",
            summary.no_address.len()
        );
    }
    if config.webhook_url.is_empty() {
        println!(
            "  webhook: not configured (set remind.webhook_url / BAOCAO_REMIND__WEBHOOK_URL): {} units would be posted",
            summary.late
        );
    } else {
        println!(
            "  webhook: {} would be posted",
            summary.planned.len() - emails
        );
    }
}

/// What a run did, for the DIC.
fn print_summary(
    config: &RemindConfig,
    registry: &Registry,
    milestone: &Milestone,
    today: NaiveDate,
    summary: &RemindSummary,
    dry_run: bool,
) {
    print_steps(milestone, today, summary.step.as_deref());
    let Some(step) = &summary.step else {
        println!("  {} units late; nothing to send today", summary.late);
        return;
    };
    println!(
        "{}: step {step} on {today}: {} units have not reported",
        milestone.id, summary.late
    );
    if dry_run {
        print_channels(config, summary);
        for reminder in &summary.planned {
            let unit = &reminder.planned.unit;
            let to = match reminder.channel {
                "email" => unit.contact.email.as_str(),
                _ => "webhook",
            };
            println!(
                "  would send {:<7} {:<14} {:<40} {to}",
                reminder.channel, unit.code, unit.name
            );
        }
        println!(
            "  {} reminders would be sent (dry run: nothing sent or recorded)",
            summary.planned.len()
        );
    } else {
        println!(
            "  sent: {} e-mails, {} webhook calls; already sent before: {}; held by another run: {}; reported meanwhile: {}{}",
            summary.emails_sent,
            summary.webhooks_sent,
            summary.already_sent,
            summary.held_elsewhere,
            summary.reported_meanwhile,
            if summary.stopped {
                "; stopped when asked (run again to send the rest)"
            } else {
                ""
            }
        );
        for failure in &summary.failed {
            println!("  FAILED (retried by the next run): {failure}");
        }
    }
    if !summary.no_address.is_empty() {
        let names: Vec<String> = summary
            .no_address
            .iter()
            .take(10)
            .map(|code| {
                registry
                    .unit(code)
                    .map_or(code.clone(), |u| format!("{code} {}", u.name))
            })
            .collect();
        println!(
            "  no e-mail address in the units file for {} units: {}{}",
            summary.no_address.len(),
            names.join("; "),
            if summary.no_address.len() > names.len() {
                "; …"
            } else {
                ""
            }
        );
    }
}
