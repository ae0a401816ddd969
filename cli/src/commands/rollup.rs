//! `baocao rollup`: the summaries and the Chairman's report of one milestone.

use std::process::ExitCode;

use anyhow::Context;
use baocao_catalog::outputs::reminders_sent;
use baocao_errors::Chain;
use baocao_registry::{
    AreaMap, Campaign, Milestone, RegisterChoice, Registry, vn_number, vn_percent,
};
use baocao_report::ReportData;
use baocao_rollup::documents::{write_reports, write_urging_letters};
use baocao_rollup::{RollupOutput, RollupRequest, run_rollup, units_late_at_earlier_milestones};
use baocao_signing::PdfSigner;
use baocao_store::{Store, StoredFile};
use chrono::NaiveDate;

use crate::commands::compare::EarlierCampaign;
use crate::config::{Config, LogSection};
use crate::progress::ProgressDisplay;

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
    /// Landing directory or `s3://bucket/prefix` (overrides `landing.dir`).
    #[arg(long)]
    landing_dir: Option<String>,
    /// Output root, a directory or `s3://bucket/prefix` (overrides `rollup.out_dir`).
    #[arg(long)]
    out: Option<String>,
    /// Run again every this many minutes until Ctrl-C or SIGTERM (a scheduled rollup in
    /// a container; Kubernetes uses a CronJob instead). Each run cuts off at today or the
    /// milestone's report deadline, whichever is earlier, unless --as-of is given.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    every_minutes: Option<u64>,
    /// Roll up again whenever the landed files change, until Ctrl-C or SIGTERM: summaries
    /// that follow continuous landing within seconds (for the last days before a
    /// deadline). Each run cuts off as with --every-minutes.
    #[arg(long, conflicts_with = "every_minutes")]
    follow: bool,
    /// With --follow: how often to list the landed files, in milliseconds (on a bucket
    /// each look is one LIST request per 1,000 files).
    #[arg(long, default_value_t = 500, requires = "follow")]
    follow_poll_ms: u64,
    /// Write the summaries and the Chairman's report even when no submission of the
    /// campaign is landed (every unit "missing"). Without it such a rollup is refused:
    /// it is almost always a wrong --landing-dir or a landing that has not run.
    #[arg(long)]
    allow_empty: bool,
    /// Roll up under another register's map (e.g. 2025 for a 2023 campaign): the
    /// campaign's units placed on it by `maps/<its register>-<ID>/` (each unit in one
    /// area, so totals are unchanged), summaries and report under `<out>/under-<ID>/`.
    #[arg(long)]
    register: Option<String>,
    /// Also write the urging letters (công văn đôn đốc), one per area with units that
    /// have not reported, as DOCX and PDF under `cong-van-don-doc/` (docs/reminders.md).
    #[arg(long)]
    letters: bool,
}

impl RollupArgs {
    /// Whether this rollup repeats (a long-running process, with metrics).
    pub fn is_scheduled(&self) -> bool {
        self.every_minutes.is_some() || self.follow
    }
}

/// What a repeated rollup rolls up, and where it reads and writes.
struct RollupTarget<'a> {
    /// The registry.
    registry: &'a Registry,
    /// The campaign.
    campaign: &'a Campaign,
    /// Its milestones to roll up.
    milestones: Vec<&'a Milestone>,
    /// Fixed cut-off; `None`: min(report deadline, today) at each run.
    as_of: Option<NaiveDate>,
    /// Landing root.
    landing: &'a Store,
    /// Output root.
    out: &'a Store,
    /// Whether an all-missing report may be written.
    allow_empty: bool,
    /// Whether to write the urging letters too.
    letters: bool,
    /// The department's PDF signer (`[document.signing]`), if configured.
    signer: Option<&'a PdfSigner>,
    /// The earlier campaign the reports compare with (`compare_with`), if any.
    earlier: Option<&'a EarlierCampaign>,
}

/// The landed files' names, sizes and modification times: it changes whenever landing
/// or compaction adds, replaces or removes a file.
async fn landing_fingerprint(landing: &Store) -> anyhow::Result<Vec<StoredFile>> {
    Ok(landing.list_parquet().await?)
}

/// Rolls up every milestone of `target` each time the landed files change (looking every
/// `poll`) or the day changes, until `shutdown`. A failed run is logged and counted,
/// never fatal: the previous summaries stay in place (written atomically) and the next
/// look retries.
async fn follow_landing(
    target: &RollupTarget<'_>,
    poll: std::time::Duration,
    shutdown: impl std::future::Future<Output = ()>,
) {
    tokio::pin!(shutdown);
    // What the last successful run saw: the landed files, and the day (a cut-off of
    // "today" moves at midnight even when nothing lands).
    let mut rolled_up = None;
    loop {
        match landing_fingerprint(target.landing).await {
            Ok(files) if !files.is_empty() => {
                let seen = (files, baocao_registry::vietnam_date(chrono::Utc::now()));
                if rolled_up.as_ref() != Some(&seen) {
                    match roll_up_milestones(target, false, None).await {
                        Ok(()) => rolled_up = Some(seen),
                        Err(err) => {
                            metrics::counter!("baocao_rollup_failures_total").increment(1);
                            tracing::error!(error = %Chain(err.as_ref()), campaign = %target.campaign.id, "following rollup failed");
                        }
                    }
                }
            }
            Ok(_) => {}
            Err(err) => {
                tracing::warn!(error = %Chain(err.as_ref()), landing = %target.landing, "cannot list the landed files; looking again");
            }
        }
        tokio::select! {
            _ = &mut shutdown => return,
            _ = tokio::time::sleep(poll) => {}
        }
    }
}

/// Says whether the PDFs were signed, and by whom.
pub fn print_signing(signer: Option<&PdfSigner>) {
    match signer {
        Some(signer) => println!("  PDFs signed (PAdES-B-B) by {}", signer.subject()),
        None => println!(
            "  PDFs not signed: [document.signing] names no certificate (a person signs later: baocao sign prepare/finish)"
        ),
    }
}

/// Rolls up, writes the Chairman's report next to the summaries (its PDF signed by
/// `signer` when there is one), returns both.
pub async fn rollup_and_report(
    request: &RollupRequest<'_>,
    signer: Option<&PdfSigner>,
    earlier: Option<&EarlierCampaign>,
) -> anyhow::Result<(RollupOutput, ReportData, Vec<String>)> {
    let output = run_rollup(request).await?;
    if let Some(progress) = request.progress {
        progress.stage("the Chairman's report");
    }
    let late_before = units_late_at_earlier_milestones(
        request.registry,
        request.campaign,
        request.milestone,
        request.landing,
    )
    .await?;
    let mut data = ReportData::from_rollup(
        request.registry,
        request.campaign,
        request.milestone,
        &output,
        &late_before,
    )?;
    data.note_reminders(&reminders_sent(request.out, request.campaign, request.milestone).await?);
    if let Some(earlier) = earlier {
        earlier
            .compare(&mut data, request.milestone, request.landing)
            .await?;
    }
    let files = write_reports(&data, &output.dir, signer).await?;
    Ok((output, data, files))
}

/// Prints the headline figures of a report.
pub fn print_headline(data: &ReportData) {
    let p = &data.province;
    println!(
        "  {} (cut-off {})",
        data.milestone_name, data.lineage.cut_off_date
    );
    let not_updated = if p.units_not_updated > 0 {
        format!(
            ", {} not updated since {}",
            vn_number(p.units_not_updated),
            data.lineage.window_opens_on
        )
    } else {
        String::new()
    };
    println!(
        "    units: {} expected, {} reported ({} on time, {} late){not_updated}, {} missing — completeness {}",
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
    if !data.lineage.stray_units.is_empty() {
        println!(
            "    left out: reports of {} units not in the register (lineage.json)",
            vn_number(data.lineage.stray_units.len() as i64)
        );
    }
    if !data.lineage.conflicts.is_empty() {
        println!(
            "    CONFLICTS: {} submission ids accepted with different contents; first acceptance counted (lineage.json, baocao history)",
            vn_number(data.lineage.conflicts.len() as i64)
        );
    }
}

/// The campaign's registry, placed on `register`'s map when that is another register,
/// and the output root's part for it (`under-<register>/`, or none).
pub(crate) fn registry_on_map(
    config: &Config,
    campaign: &str,
    register: Option<&str>,
) -> anyhow::Result<(Registry, Option<String>)> {
    let own = config.campaign_registry(campaign)?;
    let Some(wanted) = register.filter(|r| Some(*r) != own.register_id()) else {
        return Ok((own, None));
    };
    let from = own.register_id().with_context(|| {
        format!(
            "--register {wanted}: {} holds a single register (no registers/ directory)",
            config.data_dir.display()
        )
    })?;
    let target =
        Registry::load_register(&config.data_dir, &RegisterChoice::Named(wanted.to_string()))
            .with_context(|| format!("loading register {wanted}"))?;
    let map = AreaMap::load(&config.data_dir, from, wanted)?;
    let province = own
        .campaign(campaign)
        .map(|c| c.province.clone())
        .unwrap_or_default();
    let placed = own
        .on_map(&target, &map, &province)
        .with_context(|| format!("placing campaign {campaign}'s units on register {wanted}"))?;
    println!(
        "campaign {campaign} (register {from}) rolled up under register {wanted}: its units placed by {}",
        map.dir.display()
    );
    Ok((placed, Some(format!("under-{wanted}"))))
}

pub async fn run(config: &Config, args: RollupArgs) -> anyhow::Result<ExitCode> {
    let (registry, under) = registry_on_map(config, &args.campaign, args.register.as_deref())?;
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
    let landing = config.landing_store(args.landing_dir.as_deref())?;
    let root = config.summaries_store(args.out.as_deref())?;
    let out = match &under {
        Some(under) => root.join(under),
        None => root.clone(),
    };
    let signer = config
        .document
        .signing
        .signer()
        .context("[document.signing]")?;
    let earlier = EarlierCampaign::of(config, campaign, args.register.as_deref(), &root)?;
    let target = RollupTarget {
        registry: &registry,
        campaign,
        milestones,
        as_of: args.as_of,
        landing: &landing,
        out: &out,
        allow_empty: args.allow_empty,
        letters: args.letters,
        signer: signer.as_ref(),
        earlier: earlier.as_ref(),
    };
    if args.follow {
        follow_landing(
            &target,
            std::time::Duration::from_millis(args.follow_poll_ms.max(10)),
            crate::commands::shutdown_signal(),
        )
        .await;
        return Ok(ExitCode::SUCCESS);
    }
    let Some(every) = args.every_minutes else {
        roll_up_milestones(&target, true, Some(&config.log)).await?;
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
        if let Err(err) = roll_up_milestones(&target, true, None).await {
            metrics::counter!("baocao_rollup_failures_total").increment(1);
            tracing::error!(error = %Chain(err.as_ref()), campaign = %campaign.id, "scheduled rollup failed");
        }
    }
}

/// One rollup of each milestone, cut off at `as_of` or min(report deadline, today);
/// `announce` prints the files and headline figures (a following rollup only logs);
/// `show_progress` shows each rollup's stage (a one-off rollup).
async fn roll_up_milestones(
    target: &RollupTarget<'_>,
    announce: bool,
    show_progress: Option<&LogSection>,
) -> anyhow::Result<()> {
    let today = baocao_registry::vietnam_date(chrono::Utc::now());
    for milestone in &target.milestones {
        let cut_off = target.as_of.unwrap_or(milestone.report_deadline.min(today));
        if cut_off < target.campaign.opens_on {
            if announce {
                println!(
                    "{}: nothing to roll up before the campaign opens ({})",
                    milestone.id, target.campaign.opens_on
                );
            }
            continue;
        }
        let display = show_progress.map(|log| ProgressDisplay::start("rollup", "", log));
        let rolled_up = rollup_and_report(
            &RollupRequest {
                registry: target.registry,
                campaign: target.campaign,
                milestone,
                cut_off,
                landing: target.landing,
                out: target.out,
                allow_empty: target.allow_empty,
                progress: display.as_ref().map(ProgressDisplay::progress),
            },
            target.signer,
            target.earlier,
        )
        .await;
        if let Some(display) = display {
            display.finish().await;
        }
        let (output, data, mut files) = rolled_up?;
        if target.letters {
            files.extend(write_urging_letters(&data, &output.dir, target.signer).await?);
        }
        if !announce {
            tracing::info!(milestone = %milestone.id, %cut_off, submissions = data.lineage.submissions, dir = %output.dir, "summaries updated");
            continue;
        }
        println!("summaries in {}", output.dir);
        for file in files {
            println!("  {file}");
        }
        print_signing(target.signer);
        print_headline(&data);
    }
    Ok(())
}
