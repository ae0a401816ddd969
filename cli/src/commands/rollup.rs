//! `baocao rollup`: the summaries and the Chairman's report of one milestone.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use baocao_registry::{Campaign, Milestone, Registry};
use baocao_rollup::report::{ReportData, vn_number, vn_percent, write_reports};
use baocao_rollup::{RollupOutput, RollupRequest, run_rollup};
use chrono::NaiveDate;

use crate::config::Config;

/// Flags of `baocao rollup`.
#[derive(clap::Args)]
pub struct RollupArgs {
    /// Campaign id (see `baocao registry check`).
    #[arg(long)]
    campaign: String,
    /// Milestone id, e.g. levels-approved; default: every milestone of the campaign.
    #[arg(long)]
    milestone: Option<String>,
    /// Last day counted (YYYY-MM-DD, Vietnam time); default: the milestone's report
    /// deadline, or today if that is later than today.
    #[arg(long)]
    as_of: Option<NaiveDate>,
    /// Landing directory (overrides `landing.dir`).
    #[arg(long)]
    landing_dir: Option<PathBuf>,
    /// Output root (overrides `rollup.out_dir`).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Run again every this many minutes until Ctrl-C or SIGTERM (a scheduled rollup in
    /// a container; Kubernetes uses a CronJob instead). Each run cuts off at today or the
    /// milestone's report deadline, whichever is earlier, unless --as-of is given.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    every_minutes: Option<u64>,
}

impl RollupArgs {
    /// Whether this rollup repeats (a long-running process, with metrics).
    pub fn is_scheduled(&self) -> bool {
        self.every_minutes.is_some()
    }
}

/// Rolls up, writes the Chairman's report next to the summaries, returns both.
pub async fn rollup_and_report(
    registry: &Registry,
    campaign: &Campaign,
    milestone: &Milestone,
    cut_off: NaiveDate,
    landing_dir: &Path,
    out_dir: &Path,
) -> anyhow::Result<(RollupOutput, ReportData, Vec<PathBuf>)> {
    let output = run_rollup(&RollupRequest {
        registry,
        campaign,
        milestone,
        cut_off,
        landing_dir,
        out_dir,
    })
    .await?;
    let data = ReportData::from_rollup(campaign, milestone, &output);
    let files = write_reports(&data, &output.dir)?;
    Ok((output, data, files))
}

/// Prints the headline figures of a report.
pub fn print_headline(data: &ReportData) {
    let p = &data.province;
    println!(
        "  {} (cut-off {})",
        data.milestone_name, data.lineage.cut_off_date
    );
    println!(
        "    units: {} expected, {} reported ({} on time, {} late), {} missing — completeness {}",
        vn_number(p.units_expected),
        vn_number(p.units_reported),
        vn_number(p.units_on_time),
        vn_number(p.units_late),
        vn_number(p.units_missing),
        vn_percent(p.units_reported, p.units_expected)
    );
    println!(
        "    systems: {} ({} cameras); levels approved {} ({}); plans implemented {} ({})",
        vn_number(p.systems),
        vn_number(p.cameras),
        vn_number(p.dossiers_approved),
        vn_percent(p.dossiers_approved, p.systems),
        vn_number(p.plans_implemented),
        vn_percent(p.plans_implemented, p.systems)
    );
    println!(
        "    from {} submissions of {} units ({} landed rows)",
        vn_number(data.lineage.submissions),
        vn_number(data.lineage.units),
        vn_number(data.lineage.landed_rows)
    );
}

pub async fn run(config: &Config, args: RollupArgs) -> anyhow::Result<ExitCode> {
    let registry = Registry::load(&config.data_dir)
        .with_context(|| format!("loading registry from {}", config.data_dir.display()))?;
    let campaign = registry
        .campaign(&args.campaign)
        .with_context(|| format!("unknown campaign `{}`", args.campaign))?;
    let milestones: Vec<&Milestone> = match &args.milestone {
        None => campaign.milestones.iter().collect(),
        Some(id) => vec![campaign.milestone(id).with_context(|| {
            let known: Vec<_> = campaign.milestones.iter().map(|m| m.id.as_str()).collect();
            format!(
                "campaign `{}` has no milestone `{id}` (has: {})",
                campaign.id,
                known.join(", ")
            )
        })?],
    };
    let landing_dir = args
        .landing_dir
        .clone()
        .unwrap_or_else(|| config.landing.dir.clone());
    let out_dir = args
        .out
        .clone()
        .unwrap_or_else(|| config.rollup.out_dir.clone());
    let roll_up = || {
        roll_up_milestones(
            &registry,
            campaign,
            &milestones,
            &args,
            &landing_dir,
            &out_dir,
        )
    };
    let Some(every) = args.every_minutes else {
        roll_up().await?;
        return Ok(ExitCode::SUCCESS);
    };
    // Scheduled: a failed run is logged and retried at the next tick, never fatal (the
    // previous summaries stay in place, written atomically).
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(every * 60));
    let shutdown = crate::commands::shutdown_signal();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            _ = &mut shutdown => return Ok(ExitCode::SUCCESS),
            _ = tick.tick() => {}
        }
        if let Err(err) = roll_up().await {
            metrics::counter!("baocao_rollup_failures_total").increment(1);
            tracing::error!(error = %format!("{err:#}"), campaign = %campaign.id, "scheduled rollup failed");
        }
    }
}

/// One rollup of each milestone, cut off at `--as-of` or min(report deadline, today).
async fn roll_up_milestones(
    registry: &Registry,
    campaign: &Campaign,
    milestones: &[&Milestone],
    args: &RollupArgs,
    landing_dir: &Path,
    out_dir: &Path,
) -> anyhow::Result<()> {
    let today = baocao_registry::vietnam_date(chrono::Utc::now());
    for milestone in milestones {
        let cut_off = args.as_of.unwrap_or(milestone.report_deadline.min(today));
        if cut_off < campaign.opens_on {
            println!(
                "{}: nothing to roll up before the campaign opens ({})",
                milestone.id, campaign.opens_on
            );
            continue;
        }
        let (output, data, files) =
            rollup_and_report(registry, campaign, milestone, cut_off, landing_dir, out_dir).await?;
        println!("summaries in {}", output.dir.display());
        for file in files {
            println!("  {}", file.display());
        }
        print_headline(&data);
    }
    Ok(())
}
