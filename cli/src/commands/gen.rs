//! `baocao gen`: a national-scale synthetic workload, deterministic by seed. Writes a data
//! directory (the 2023 administrative register, synthetic units of every kind for every
//! province, a national campaign) and lands every planned submission into raw Parquet
//! through the landing's own decode → Arrow → Parquet path (no broker), printing that
//! path's throughput and peak memory: the landing benchmark without the broker's cost.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use baocao_landing::batch::{PendingBatch, decode_envelope};
use baocao_proto::v1::{ReportEnvelope, StatusReport};
use baocao_registry::Registry;
use baocao_store::{Progress, Store};
use baocao_workload::national::{AdminRow, national_units};
use baocao_workload::{SubmissionKind, plan_campaign};
use chrono::{DateTime, Utc};

use crate::progress::ProgressDisplay;
use crate::sysinfo::proc_kib;
use prost::Message;

/// The national campaign's id in generated workloads.
pub const NATIONAL_CAMPAIGN: &str = "national-2023";

/// Flags of `baocao gen`.
#[derive(clap::Args)]
pub struct GenArgs {
    /// Output directory: `data/` (registry) and `landing/` (raw Parquet) go inside.
    #[arg(long, default_value = "state/national")]
    out: PathBuf,
    /// Copies of the commune-level units (1 ≈ 85,000 units; the scaling benchmark uses
    /// 2, 4, 8).
    #[arg(long, default_value_t = 1)]
    copies: usize,
    /// Only these provinces (comma-separated codes); default: all 63.
    #[arg(long, value_delimiter = ',')]
    provinces: Vec<String>,
    /// Seed of the synthetic activity.
    #[arg(long, default_value_t = 2023)]
    seed: u64,
    /// Submissions per Parquet write (as `landing.flush_rows`).
    #[arg(long, default_value_t = 20_000)]
    flush_rows: usize,
    /// The map the workload is on: a register of --data-dir (`registers/<ID>`, e.g.
    /// `2025`: communes right under the 34 provinces); default: the one in force on
    /// 1/1/2023 (63 provinces, three tiers).
    #[arg(long)]
    register: Option<String>,
}

/// Reads the administrative register (`#` lines are comments).
pub fn read_admin(path: &Path) -> anyhow::Result<Vec<AdminRow>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let body: String = text
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| format!("{l}\n"))
        .collect();
    let mut reader = csv::Reader::from_reader(body.as_bytes());
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.with_context(|| format!("parsing {}", path.display()))?;
        let field = |i: usize| record.get(i).unwrap_or_default().to_string();
        rows.push(AdminRow {
            code: field(0),
            level: field(1),
            name: field(2),
            name_with_type: field(3),
            unit_type: field(4),
            parent_code: field(5),
        });
    }
    Ok(rows)
}

/// The register of the workload's dates (2023) in the data directory `shipped`: the one
/// in force on the national campaign's first day, or the directory itself when it holds
/// a single register.
fn register_of_2023(shipped: &Path) -> anyhow::Result<std::path::PathBuf> {
    if !shipped.join("registers").is_dir() {
        return Ok(shipped.to_path_buf());
    }
    let opens = chrono::NaiveDate::from_ymd_opt(2023, 1, 1).context("a date")?;
    baocao_registry::register_versions(shipped)?
        .into_iter()
        .find(|v| v.in_force_on(opens))
        .map(|v| v.dir)
        .with_context(|| format!("no register of {} in force on {opens}", shipped.display()))
}

/// The register directory of `--register` (`registers/<ID>`), or the one in force on
/// 1/1/2023.
fn register_dir(shipped: &Path, register: Option<&str>) -> anyhow::Result<std::path::PathBuf> {
    let Some(id) = register else {
        return register_of_2023(shipped);
    };
    let dir = shipped.join("registers").join(id);
    anyhow::ensure!(
        dir.join("admin_units.csv").is_file(),
        "--register {id}: {} has no register `{id}` (registers/{id}/admin_units.csv)",
        shipped.display()
    );
    Ok(dir)
}

/// The kinds the national campaign expects to report, quoted for TOML: those of the
/// list that the register's `unit_kinds.toml` (`kinds_text`) has (2025 has no district
/// office).
fn required_kinds(kinds_text: &str) -> Vec<String> {
    [
        "people_committee",
        "department",
        "dic",
        "police",
        "market_management",
        "media",
        "telecom",
        "soe",
        "district_office",
        "public_service_unit",
        "school",
    ]
    .into_iter()
    .filter(|kind| kinds_text.contains(&format!("code = \"{kind}\"")))
    .map(|kind| format!("\"{kind}\""))
    .collect()
}

/// Writes the registry of the national workload into `data`.
fn write_data_dir(shipped: &Path, data: &Path, args: &GenArgs) -> anyhow::Result<usize> {
    std::fs::create_dir_all(data.join("units"))?;
    std::fs::create_dir_all(data.join("campaigns"))?;
    let register = register_dir(shipped, args.register.as_deref())?;
    std::fs::copy(
        register.join("admin_units.csv"),
        data.join("admin_units.csv"),
    )
    .context("copying admin_units.csv")?;
    // A register's own unit kinds when it has them (2025's say who reports for whom).
    let kinds = [
        register.join("unit_kinds.toml"),
        shipped.join("unit_kinds.toml"),
    ]
    .into_iter()
    .find(|path| path.is_file())
    .context("no unit_kinds.toml")?;
    std::fs::copy(&kinds, data.join("unit_kinds.toml")).context("copying unit_kinds.toml")?;
    let required = required_kinds(&std::fs::read_to_string(&kinds)?);
    let admin = read_admin(&register.join("admin_units.csv"))?;
    let units = national_units(&admin, &args.provinces, args.copies);
    let mut writer = csv::Writer::from_path(data.join("units/national.csv"))?;
    writer.write_record(["code", "kind", "name", "area_code"])?;
    for unit in &units {
        writer.write_record([&unit.code, &unit.kind, &unit.name, &unit.area_code])?;
    }
    writer.flush()?;
    let consolidating = units
        .iter()
        .find(|u| u.kind == "dic")
        .map(|u| u.code.clone())
        .context("no DIC among the generated units")?;
    std::fs::write(
        data.join(format!("campaigns/{NATIONAL_CAMPAIGN}.toml")),
        format!(
            "# Synthetic national campaign of `baocao gen` (Thanh Hóa's 2023 dates).\n\
             id = \"{NATIONAL_CAMPAIGN}\"\n\
             name = \"Bảo đảm an toàn thông tin cho camera giám sát - toàn quốc 2023\"\n\
             legal_basis = \"Chỉ thị 23/CT-TTg ngày 26/12/2022\"\n\
             province = \"\"\n\
             consolidating_unit = \"{consolidating}\"\n\
             opens_on = \"2023-01-01\"\n\
             closes_on = \"2023-12-31\"\n\
             required_unit_kinds = [{}]\n\n\
             [[milestones]]\nid = \"levels-approved\"\nname = \"Phê duyệt cấp độ\"\n\
             measure = \"levels_approved\"\nunit_deadline = \"2023-03-20\"\n\
             report_deadline = \"2023-03-22\"\n\n\
             [[milestones]]\nid = \"plans-implemented\"\nname = \"Triển khai phương án\"\n\
             measure = \"plans_implemented\"\nunit_deadline = \"2023-09-10\"\n\
             report_deadline = \"2023-09-20\"\n",
            required.join(", ")
        ),
    )?;
    Ok(units.len())
}

/// Peak resident memory of this process since the last reset (VmHWM), in MiB.
fn peak_rss_mib() -> f64 {
    proc_kib("/proc/self/status", "VmHWM:") / 1024.0
}

/// Current resident memory (VmRSS), in MiB.
fn rss_mib() -> f64 {
    proc_kib("/proc/self/status", "VmRSS:") / 1024.0
}

/// One record as a gateway would have put it on the topic: key and encoded envelope.
pub struct TopicRecord {
    /// The unit reported on (the partition key the benchmarks produce with).
    #[cfg(feature = "bench")]
    pub key: String,
    /// The encoded `ReportEnvelope`.
    pub payload: Vec<u8>,
}

impl TopicRecord {
    /// What a gateway of `tier` named `gateway_id` writes for `report`, sent by the unit
    /// it is about and received at `received_at`.
    pub fn accepted(
        report: StatusReport,
        received_at: DateTime<Utc>,
        tier: &str,
        gateway_id: &str,
    ) -> Self {
        let key = report.unit_code.clone();
        let payload = ReportEnvelope {
            schema_version: baocao_proto::ENVELOPE_SCHEMA_VERSION,
            received_at: Some(pbjson_types::Timestamp {
                seconds: received_at.timestamp(),
                nanos: received_at.timestamp_subsec_nanos() as i32,
            }),
            gateway_tier: tier.to_string(),
            gateway_id: gateway_id.to_string(),
            authenticated_unit: key.clone(),
            report: Some(report),
        }
        .encode_to_vec();
        TopicRecord {
            #[cfg(feature = "bench")]
            key,
            payload,
        }
    }
}

/// A campaign's planned submissions (invalid ones left out: a gateway refuses them) as
/// topic records in arrival order, and the number of system rows they carry.
pub fn campaign_envelopes(
    registry: &Registry,
    campaign: &baocao_registry::Campaign,
    seed: u64,
) -> (Vec<TopicRecord>, usize) {
    let mut plan = plan_campaign(registry, campaign, seed);
    plan.retain(|p| !matches!(p.kind, SubmissionKind::Invalid(_)));
    plan.sort_by_key(|p| p.at);
    let systems = plan.iter().map(|p| p.report.systems.len()).sum::<usize>();
    let records = plan
        .into_iter()
        .map(|p| TopicRecord::accepted(p.report, p.at, "province", "gen"))
        .collect();
    (records, systems)
}

/// What [`land_without_broker`] wrote and how long it took.
pub struct LandedWithoutBroker {
    /// Submission rows.
    pub submissions: usize,
    /// System rows.
    pub systems: usize,
    /// Parquet files.
    pub files: usize,
    /// Wall time, seconds.
    pub seconds: f64,
}

/// The landing's own path without a broker: decode → Arrow → Parquet into `landing`,
/// flushing every `flush_rows` (records numbered as offsets of partition 0), counting
/// the records landed in `progress`.
pub async fn land_without_broker(
    records: &[TopicRecord],
    landing: &Path,
    flush_rows: usize,
    progress: &Progress,
) -> anyhow::Result<LandedWithoutBroker> {
    progress.set_total(records.len() as u64);
    let landing = Store::local(landing);
    let started = Instant::now();
    let mut batch = PendingBatch::default();
    let mut landed = LandedWithoutBroker {
        submissions: 0,
        systems: 0,
        files: 0,
        seconds: 0.0,
    };
    let mut add = |written: baocao_landing::batch::WrittenBatch| {
        landed.submissions += written.submissions;
        landed.systems += written.systems;
        landed.files += written.files;
    };
    for (offset, record) in records.iter().enumerate() {
        let envelope = decode_envelope(&record.payload).map_err(anyhow::Error::msg)?;
        batch.push(&envelope, 0, offset as i64);
        if batch.records() >= flush_rows {
            let records = batch.records() as u64;
            add(batch.write(&landing).await?);
            progress.add(records);
        }
    }
    add(batch.write(&landing).await?);
    landed.seconds = started.elapsed().as_secs_f64();
    Ok(landed)
}

pub async fn run(config: &crate::config::Config, args: GenArgs) -> anyhow::Result<ExitCode> {
    // The administrative register and unit kinds come from the data directory
    // (`--data-dir`, default `data`).
    let shipped = config.data_dir.as_path();
    anyhow::ensure!(
        register_of_2023(shipped)?.join("admin_units.csv").exists(),
        "{} has no admin_units.csv (set --data-dir)",
        shipped.display()
    );
    let data = args.out.join("data");
    let landing = args.out.join("landing");
    if landing.exists() {
        std::fs::remove_dir_all(&landing)
            .with_context(|| format!("clearing {}", landing.display()))?;
    }
    let started = Instant::now();
    let display = ProgressDisplay::start("gen", "records", &config.log);
    display.progress().stage("planning the campaign");
    let units = write_data_dir(shipped, &data, &args)?;
    let registry = Registry::load(&data).context("loading the generated registry")?;
    let campaign = registry
        .campaign(NATIONAL_CAMPAIGN)
        .context("national campaign")?;
    let (records, systems_planned) = campaign_envelopes(&registry, campaign, args.seed);
    let generated_in = started.elapsed();
    let payload_mib =
        records.iter().map(|r| r.payload.len()).sum::<usize>() as f64 / (1024.0 * 1024.0);
    let rss_before = rss_mib();
    // Reset the peak-RSS mark (Linux: `5` to clear_refs), so the peak below is the
    // landing path's, not the generator's.
    let _ = std::fs::write("/proc/self/clear_refs", "5");

    display.progress().stage("landing");
    let landed = land_without_broker(&records, &landing, args.flush_rows, display.progress()).await;
    display.finish().await;
    let landed = landed?;
    let (submissions, systems, files) = (landed.submissions, landed.systems, landed.files);
    let landing_secs = landed.seconds;

    println!("baocao gen: national workload in {}", args.out.display());
    println!(
        "  registry: {} reporting units ({} + People's Committees), campaign {NATIONAL_CAMPAIGN}",
        registry.unit_count(),
        units
    );
    println!(
        "  activity: {} submissions (corrections and retries included), {} camera-system rows planned; generated in {:.1} s",
        records.len(),
        systems_planned,
        generated_in.as_secs_f64()
    );
    println!(
        "  landing path (decode → Arrow → Parquet, flush every {} rows, no broker):",
        args.flush_rows
    );
    println!(
        "    {submissions} submission rows + {systems} system rows in {files} files, {:.2} s: {:.0} submissions/s, {:.0} rows/s",
        landing_secs,
        submissions as f64 / landing_secs,
        (submissions + systems) as f64 / landing_secs
    );
    println!(
        "    memory: {:.0} MiB resident before landing ({payload_mib:.0} MiB of envelopes held by the generator), peak {:.0} MiB",
        rss_before,
        peak_rss_mib()
    );
    println!("  {}", crate::sysinfo::machine());
    Ok(ExitCode::SUCCESS)
}
