//! `baocao demo`: the whole job on embedded defaults. Starts the embedded broker (a child
//! `baocao broker` process), a gateway per tier of the campaign's register for its
//! province, replays the campaign's submissions from its units over gRPC (on a simulated
//! campaign clock), lands them, rolls up every milestone and writes the summaries and the
//! Chairman's reports.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use baocao_gateway::{GatewayConfig, RunningGateway, start_gateway_with_clock};
use baocao_kafka::KafkaConfig;
use baocao_landing::{Lander, LandingConfig, RunMode};
use baocao_registry::{AdminLevel, Campaign, Registry};
use baocao_store::Store;
use baocao_workload::{PlannedSubmission, SubmissionKind, plan_campaign};
use chrono::Utc;
use tonic::Code;
use tonic::transport::Endpoint;

use crate::commands::compare::EarlierCampaign;
use crate::commands::embedded::{
    CampaignClock, prepare_scratch_dir, registry_and_campaign, start_broker,
};
use crate::commands::r#gen::{campaign_envelopes, land_without_broker};
use crate::commands::rollup::{print_headline, rollup_and_report};
use crate::commands::submit::submit_once;
use crate::config::Config;
use baocao_report::ReportData;
use baocao_rollup::{RollupOutput, RollupRequest};

/// Flags of `baocao demo`.
#[derive(clap::Args)]
pub struct DemoArgs {
    /// Output directory (replaced if it holds an earlier demo).
    #[arg(long, default_value = "demo-output")]
    dir: PathBuf,
    /// Campaign to replay; default: today's, the campaign of the register in force today
    /// (or `register`) that opened last (`thanh-hoa-2026` on the shipped data;
    /// `--campaign thanh-hoa-2023` replays the 2023 one on the abolished three-tier map).
    #[arg(long)]
    campaign: Option<String>,
    /// Seed of the synthetic activity (same seed, same figures).
    #[arg(long, default_value_t = 2023)]
    seed: u64,
    /// Then serve the web portal on the demo's data (accounts for a commune clerk, a
    /// district office and the DIC are printed) until Ctrl-C.
    #[arg(long)]
    serve: bool,
}

#[derive(Default)]
struct Tally {
    accepted: usize,
    repeats: usize,
    refused: usize,
}

pub async fn run(config: &Config, args: DemoArgs) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let dir = args.dir.clone();
    prepare_scratch_dir(&dir, "demo")?;
    let campaign_id = match &args.campaign {
        Some(id) => id.clone(),
        None => todays_campaign(config)?,
    };
    let (registry, campaign) = registry_and_campaign(config, &campaign_id)?;

    println!("[1/6] embedded broker");
    let (_broker, brokers) = start_broker(&dir)?;
    println!(
        "      Kafka protocol on {brokers} (data in {})",
        dir.join("broker").display()
    );

    let tiers: Vec<&str> = registry.tiers().iter().map(|t| t.as_str()).collect();
    println!(
        "[2/6] gateways for province {} ({}: {}) and unit tokens",
        campaign.province,
        registry
            .register_id()
            .map(|id| format!("register {id}"))
            .unwrap_or_else(|| "its register".to_string()),
        tiers.join(", ")
    );
    let plan = plan_campaign(&registry, &campaign, args.seed);
    let first_at = plan.first().map(|p| p.at).unwrap_or_else(Utc::now);
    let clock = Arc::new(CampaignClock::standing_at(first_at));
    let kafka = KafkaConfig {
        brokers: brokers.clone(),
        ..config.kafka.clone()
    };
    let tokens_file = dir.join("tokens.json");
    let (gateways, endpoints) =
        start_gateways(config, &kafka, &registry, &campaign, &tokens_file, &clock).await?;
    let tokens = issue_demo_tokens(&plan, &tokens_file)?;

    print_replay_plan(&plan, tokens.len());
    let tally = replay(&plan, &registry, &endpoints, &tokens, &clock).await?;
    println!(
        "      accepted {}, repeats answered without a second write {}, refused {}",
        tally.accepted, tally.repeats, tally.refused
    );

    println!("[4/6] landing Kafka → raw Parquet");
    let (landing_dir, _lander) = land_demo(config, &kafka, &dir).await?;

    land_earlier_archive(config, &campaign, &dir.join("landing"), args.seed).await?;

    println!("[5/6] rollups and the Chairman's reports");
    let out_dir = Store::local(dir.join("summaries"));
    let earlier = EarlierCampaign::of(config, &campaign, None, &out_dir)?;
    let outputs = roll_up_every_milestone(
        (&registry, &campaign),
        &landing_dir,
        &out_dir,
        earlier.as_ref(),
    )
    .await?;
    for gateway in gateways {
        gateway.stop().await?;
    }

    println!("[6/6] done in {:.1} s", started.elapsed().as_secs_f64());
    print_outputs(&campaign, &outputs);
    if args.serve {
        crate::commands::demo_serve::serve(config, &kafka, registry.clone(), &campaign, &dir)
            .await?;
    }
    Ok(ExitCode::SUCCESS)
}

/// What the replay will do, and a note when its campaign clock runs past today.
fn print_replay_plan(plan: &[PlannedSubmission], units: usize) {
    let first_at = plan.first().map_or_else(Utc::now, |p| p.at);
    let last_at = plan.last().map_or(first_at, |p| p.at);
    println!(
        "[3/6] {units} units submit {} reports over gRPC, {} → {} (campaign clock)",
        plan.len(),
        first_at.date_naive(),
        last_at.date_naive()
    );
    if last_at > Utc::now() {
        println!(
            "      note: the campaign clock runs past today: receipts up to {} are simulated \
             as if that day had come (the machine's clock says {})",
            baocao_registry::vn_time(last_at),
            baocao_registry::vn_time(Utc::now())
        );
    }
}

/// The earlier campaign `campaign` compares with (`compare_with`), if any: its planned
/// activity (same seed) written straight into `landing` as last year's archive, as if its
/// landing had run then, so the reports can compare year over year.
async fn land_earlier_archive(
    config: &Config,
    campaign: &Campaign,
    landing: &Path,
    seed: u64,
) -> anyhow::Result<()> {
    let Some(id) = &campaign.compare_with else {
        return Ok(());
    };
    let (registry, earlier) = registry_and_campaign(config, id)?;
    let (records, _) = campaign_envelopes(&registry, &earlier, seed);
    let landed =
        land_without_broker(&records, landing, 5_000, &baocao_store::Progress::default()).await?;
    println!(
        "      last year's archive for the comparison: campaign {id}, {} reports of {} units \
         landed directly ({} files)",
        landed.submissions,
        registry
            .units()
            .filter(|unit| registry.expects(&earlier, unit))
            .count(),
        landed.files
    );
    Ok(())
}

/// Rolls up every milestone of `campaign` at its report deadline and writes its report,
/// compared with `earlier` when the campaign names one.
async fn roll_up_every_milestone(
    (registry, campaign): (&Registry, &Campaign),
    landing_dir: &Store,
    out_dir: &Store,
    earlier: Option<&EarlierCampaign>,
) -> anyhow::Result<Vec<(RollupOutput, ReportData, Vec<String>)>> {
    let mut outputs = Vec::new();
    for milestone in &campaign.milestones {
        outputs.push(
            rollup_and_report(
                &RollupRequest {
                    registry,
                    campaign,
                    milestone,
                    cut_off: milestone.report_deadline,
                    landing: landing_dir,
                    out: out_dir,
                    allow_empty: false,
                    progress: None,
                },
                None,
                earlier,
            )
            .await?,
        );
    }
    Ok(outputs)
}

/// The campaign of today: of the register in force today (or `register`), the one that
/// opened last by today (the first listed if none has opened yet).
fn todays_campaign(config: &Config) -> anyhow::Result<String> {
    let registry = config.registry()?;
    let today = baocao_registry::vietnam_date(Utc::now());
    let campaigns = registry.campaigns();
    campaigns
        .iter()
        .filter(|c| c.opens_on <= today)
        .max_by_key(|c| c.opens_on)
        .or_else(|| campaigns.first())
        .map(|c| c.id.clone())
        .context("the data directory has no campaign on the register in force today")
}

/// The headline figures and the files of each milestone.
fn print_outputs(campaign: &Campaign, outputs: &[(RollupOutput, ReportData, Vec<String>)]) {
    println!("\n{}", campaign.name);
    for (output, data, files) in outputs {
        print_headline(data);
        println!(
            "    summaries: {} (received), {} (approved; the report counts {})",
            output.dir.join("summary.parquet"),
            output.dir.join("summary_approved.parquet"),
            output.lineage.count.as_str()
        );
        println!(
            "    late and missing units: {}",
            output.dir.join("late_and_missing.parquet")
        );
        for file in files {
            println!("    report: {file}");
        }
    }
}

/// The campaign province's gateways, one per tier of its register (three on the 2023
/// map, two on the 2025 one), on free ports, on the campaign clock, and how to reach
/// each.
async fn start_gateways(
    config: &Config,
    kafka: &KafkaConfig,
    registry: &Arc<Registry>,
    campaign: &Campaign,
    tokens_file: &std::path::Path,
    clock: &Arc<CampaignClock>,
) -> anyhow::Result<(Vec<RunningGateway>, HashMap<AdminLevel, Endpoint>)> {
    let mut gateways = Vec::new();
    let mut endpoints = HashMap::new();
    for tier in registry.tiers() {
        let gateway_config = GatewayConfig {
            listen: "127.0.0.1:0".to_string(),
            tier: tier.as_str().to_string(),
            jurisdiction: campaign.province.clone(),
            tokens_file: tokens_file.to_path_buf(),
            ..config.gateway.clone()
        };
        let gateway =
            start_gateway_with_clock(&gateway_config, kafka, registry.clone(), clock.clone())
                .await?;
        println!("      {tier:<8} gateway on {}", gateway.local_addr);
        endpoints.insert(
            tier,
            Endpoint::from_shared(format!("http://{}", gateway.local_addr))?,
        );
        gateways.push(gateway);
    }
    Ok((gateways, endpoints))
}

/// A token for every unit of the plan: unit code → token.
fn issue_demo_tokens(
    plan: &[PlannedSubmission],
    tokens_file: &std::path::Path,
) -> anyhow::Result<HashMap<String, String>> {
    let mut units: Vec<&str> = plan.iter().map(|p| p.unit_code.as_str()).collect();
    units.sort_unstable();
    units.dedup();
    let issued = baocao_access::tokens::issue_tokens(tokens_file, &units)?;
    let tokens: HashMap<String, String> = issued
        .into_iter()
        .map(|(token, record)| (record.unit, token))
        .collect();
    println!(
        "      {} unit tokens issued (hashes in {})",
        tokens.len(),
        tokens_file.display()
    );
    Ok(tokens)
}

/// Lands everything the replay produced into `<dir>/landing`; the lander is returned so
/// that it closes with the broker still up.
async fn land_demo(
    config: &Config,
    kafka: &KafkaConfig,
    dir: &std::path::Path,
) -> anyhow::Result<(Store, Lander)> {
    let landing_dir = dir.join("landing");
    // The configured consumer group (`landing.group_id`), so a later `baocao land` into
    // the same directory continues where the demo's landing stopped instead of landing
    // every record a second time.
    let landing = LandingConfig {
        dir: landing_dir.display().to_string(),
        ..config.landing.clone()
    };
    let mut lander = Lander::new(kafka, &landing, &config.s3).await?;
    let landing_dir = Store::local(landing_dir);
    let stats = lander
        .run(RunMode::UntilCaughtUp, std::future::pending())
        .await?;
    println!(
        "      {} records → {} submissions, {} system rows in {} files under {}",
        stats.records, stats.submissions, stats.systems, stats.files, landing_dir
    );
    Ok((landing_dir, lander))
}

async fn replay(
    plan: &[PlannedSubmission],
    registry: &Registry,
    endpoints: &HashMap<AdminLevel, Endpoint>,
    tokens: &HashMap<String, String>,
    clock: &CampaignClock,
) -> anyhow::Result<Tally> {
    let mut tally = Tally::default();
    let mut shown_refusals = 0;
    let mut month = None;
    // Submissions go in small concurrent batches; the clock is set to the batch's last
    // instant, so no report is dated after "now".
    for batch in plan.chunks(16) {
        let Some(last) = batch.last() else { continue };
        clock.set(last.at);
        let calls = batch.iter().map(|submission| async move {
            let tier = registry
                .unit(&submission.unit_code)
                .map(|u| u.tier)
                .unwrap_or(AdminLevel::Province);
            let endpoint = &endpoints[&tier];
            let token = tokens
                .get(&submission.unit_code)
                .map(String::as_str)
                .unwrap_or_default();
            (
                submission,
                submit_once(endpoint, token, &submission.report).await,
            )
        });
        for (submission, result) in futures::future::join_all(calls).await {
            match (submission.kind, result) {
                (_, Ok(receipt)) if receipt.repeat => tally.repeats += 1,
                (_, Ok(_)) => tally.accepted += 1,
                (SubmissionKind::Invalid(why), Err(status))
                    if status.code() == Code::InvalidArgument =>
                {
                    tally.refused += 1;
                    if shown_refusals < 3 {
                        shown_refusals += 1;
                        println!(
                            "      refused as intended ({why}) from {}: {}",
                            submission.unit_code,
                            status.message()
                        );
                    }
                }
                (_, Err(status)) => anyhow::bail!(
                    "submission of {} ({:?}) failed: {:?}: {}",
                    submission.unit_code,
                    submission.kind,
                    status.code(),
                    status.message()
                ),
            }
        }
        let current = last.at.format("%m/%Y").to_string();
        if month.as_ref() != Some(&current) {
            println!("      {current}: {} accepted so far", tally.accepted);
            month = Some(current);
        }
    }
    Ok(tally)
}
