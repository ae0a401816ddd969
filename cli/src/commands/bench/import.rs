//! `baocao bench import`: spreadsheets in. The import rate of the busiest district
//! office's XLSX (read, every cell checked, each unit's report through the gateway to the
//! broker), round after round with new content; and the peak memory of `baocao import`
//! refusing hostile files (50 MB, a zip bomb, a million rows, 16,384 columns).

use std::path::{Path, PathBuf};
use std::process::{ExitCode, Stdio};
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use baocao_proto::v1::StatusReport;
use baocao_proto::v1::reporting_service_client::ReportingServiceClient;
use baocao_registry::{AdminLevel, Registry, ReportingUnit, vietnam_date};
use baocao_sheets::{FormSpec, FormUnit, Outcome, hostile, write_form};

use super::ingest::clock_at_close;
use super::kafka::KafkaChoice;
use super::landing::children_peak_rss_mib;
use super::rig::{Rig, RigSpec};
use crate::commands::embedded::{CampaignClock, prepare_scratch_dir, registry_and_campaign};
use crate::commands::import::{import, read_form};
use crate::config::Config;
use crate::sysinfo::machine;

/// Flags of `baocao bench import`.
#[derive(clap::Args)]
pub struct ImportBenchArgs {
    /// Scratch directory (created; wiped if it holds an earlier run).
    #[arg(long, default_value = "bench-import")]
    dir: PathBuf,
    /// Campaign whose planned reports fill the form.
    #[arg(long, default_value = "thanh-hoa-2023")]
    campaign: String,
    /// Imports of the office's file, each with new content (a new version of every unit).
    #[arg(long, default_value_t = 8)]
    rounds: usize,
    /// Reports in flight at once (the rate is bound by the broker's acknowledgements:
    /// more in flight, larger batches).
    #[arg(long, default_value_t = 256)]
    concurrency: usize,
}

pub async fn run(config: &Config, args: ImportBenchArgs) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(args.rounds > 0, "--rounds must be at least 1");
    prepare_scratch_dir(&args.dir, "bench-import")?;
    println!("baocao bench import");
    println!("  {}", machine());
    // First, before any other child process: getrusage's children peak is theirs alone.
    hostile_files(&args.dir)?;
    let (registry, campaign) = registry_and_campaign(config, &args.campaign)?;
    let at = clock_at_close(&campaign);
    let rig = Rig::start(
        config,
        registry.clone(),
        RigSpec {
            dir: &args.dir,
            kafka: &KafkaChoice::default(),
            campaign: &campaign,
            topic: format!("baocao.bench.import.{}", uuid::Uuid::new_v4().simple()),
            clock: Arc::new(CampaignClock::standing_at(at)),
            reports_until: at,
        },
    )
    .await?;
    let (office, reports) = busiest_office(&registry, &rig)?;
    let token = baocao_access::tokens::issue_token(&args.dir.join("tokens.json"), &office.code)?.0;
    println!(
        "\nimport: {} ({}), {} units in its file, {} rounds, {} in flight, {}",
        office.name,
        office.code,
        reports.len(),
        args.rounds,
        args.concurrency,
        rig.describe()
    );
    let client = rig.connections(1).await?.remove(0);
    let mut rates = Vec::new();
    for round in 0..args.rounds {
        let file = write_round(&args.dir, &registry, &campaign, office, &reports, round, at)?;
        rates.push(import_round(client.clone(), &token, &file, round, args.concurrency).await?);
    }
    println!(
        "  median: {:.0} reports/s (goal ≥ 1,000 from one XLSX on 2 cores)",
        super::median(&mut rates)
    );
    rig.gateway.stop().await?;
    Ok(ExitCode::SUCCESS)
}

/// The district office whose district has the most planned commune-tier reports, and
/// the last planned report of each of those units.
fn busiest_office<'r>(
    registry: &'r Registry,
    rig: &Rig,
) -> anyhow::Result<(&'r ReportingUnit, Vec<StatusReport>)> {
    let mut by_district: std::collections::BTreeMap<
        String,
        std::collections::BTreeMap<String, StatusReport>,
    > = Default::default();
    for template in &rig.templates {
        let Some(unit) = registry.unit(&template.report.unit_code) else {
            continue;
        };
        if let Some(district) = registry.area_at(unit, AdminLevel::District) {
            by_district
                .entry(district.code.clone())
                .or_default()
                .insert(unit.code.clone(), template.report.clone());
        }
    }
    let office_of = |district: &str| {
        let mut offices: Vec<&ReportingUnit> = registry
            .units()
            .filter(|u| u.kind == "district_office" && u.area_code == district)
            .collect();
        offices.sort_by(|a, b| a.code.cmp(&b.code));
        offices.first().copied()
    };
    by_district
        .into_iter()
        .filter_map(|(district, units)| Some((office_of(&district)?, units)))
        .max_by_key(|(_, units)| units.len())
        .map(|(office, units)| (office, units.into_values().collect()))
        .context("no district office has units with planned reports")
}

/// Round `round`'s file: every unit's report with the round in its notes (new content,
/// so new versions), as the office would fill the form.
fn write_round(
    dir: &Path,
    registry: &Registry,
    campaign: &baocao_registry::Campaign,
    office: &ReportingUnit,
    reports: &[StatusReport],
    round: usize,
    at: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<PathBuf> {
    let filled: Vec<StatusReport> = reports
        .iter()
        .map(|r| StatusReport {
            notes: format!("Lần nhập {}", round + 1),
            ..r.clone()
        })
        .collect();
    let units: Vec<(&ReportingUnit, &StatusReport)> = filled
        .iter()
        .filter_map(|r| Some((registry.unit(&r.unit_code)?, r)))
        .collect();
    let bytes = write_form(&FormSpec {
        campaign_id: &campaign.id,
        campaign_name: &campaign.name,
        for_whom: &office.name,
        units: units
            .iter()
            .map(|(unit, report)| FormUnit {
                unit,
                blocks: registry.indicator_blocks(unit),
                last: Some(report),
            })
            .collect(),
        today: vietnam_date(at),
    })?;
    let file = dir.join(format!("round-{}.xlsx", round + 1));
    std::fs::write(&file, bytes)?;
    Ok(file)
}

/// Imports one round's file; prints and returns its rate in reports/s.
async fn import_round(
    client: ReportingServiceClient<tonic::transport::Channel>,
    token: &str,
    file: &Path,
    round: usize,
    concurrency: usize,
) -> anyhow::Result<f64> {
    let started = Instant::now();
    let parsed = read_form(&[file.to_path_buf()], None)?;
    let read = started.elapsed();
    let result = import(client, token, parsed, false, concurrency).await?;
    let elapsed = started.elapsed();
    let written = result
        .units
        .iter()
        .filter(|(_, o)| *o == Outcome::Accepted { repeat: false })
        .count();
    let refused: Vec<_> = result
        .units
        .iter()
        .filter_map(|(code, o)| match o {
            Outcome::Refused(problems) => Some((code, problems.first().cloned())),
            Outcome::Accepted { .. } => None,
        })
        .collect();
    let rate = written as f64 / elapsed.as_secs_f64();
    println!(
        "  round {}: {written} reports written in {:.0} ms (file read and checked in {:.0} ms): {rate:.0} reports/s{}",
        round + 1,
        elapsed.as_secs_f64() * 1e3,
        read.as_secs_f64() * 1e3,
        match refused.first() {
            Some((code, problem)) => format!(
                "; {} refused, first {code}: {}",
                refused.len(),
                problem
                    .as_ref()
                    .map(ToString::to_string)
                    .unwrap_or_default()
            ),
            None => String::new(),
        }
    );
    Ok(rate)
}

/// Each hostile file through `baocao import --dry-run` as a child process: its answer,
/// and the children's peak resident memory.
fn hostile_files(dir: &Path) -> anyhow::Result<()> {
    let files: [(&str, Vec<u8>); 4] = [
        ("50mb.csv", hostile::oversized_csv(50 * 1024 * 1024)),
        ("zip-bomb.xlsx", hostile::zip_bomb(1024)?),
        ("million-rows.xlsx", hostile::many_rows(1_000_000)?),
        ("16384-columns.xlsx", hostile::wide_row(16_384)?),
    ];
    println!("\nhostile files (`baocao import --dry-run`, each a child process):");
    for (name, bytes) in files {
        let path = dir.join(name);
        std::fs::write(&path, &bytes)?;
        let started = Instant::now();
        let output = std::process::Command::new(std::env::current_exe()?)
            .args([
                "import",
                "--dry-run",
                "--token",
                "none",
                "--gateway",
                "http://127.0.0.1:9",
            ])
            .arg("--file")
            .arg(&path)
            .env("RUST_LOG", "error")
            .stdout(Stdio::null())
            .output()
            .context("running baocao import")?;
        let answer = String::from_utf8_lossy(&output.stderr);
        println!(
            "  {name} ({:.1} MB): exit {:?} in {:.0} ms: {}",
            bytes.len() as f64 / 1e6,
            output.status.code(),
            started.elapsed().as_secs_f64() * 1e3,
            answer.lines().next().unwrap_or("").trim()
        );
        std::fs::remove_file(&path)?;
    }
    println!(
        "  peak resident memory of those imports: {:.0} MiB (bound: 256 MiB)",
        children_peak_rss_mib()?
    );
    Ok(())
}
