//! `baocao history`: who submitted what for a unit, when, and what changed between
//! versions (the audit trail, read from the raw history).

use std::process::ExitCode;

use anyhow::Context;
use arrow::array::Array as _;
use baocao_catalog::history::{diff, unit_history};
use baocao_catalog::{CatalogSources, catalog_session};
use baocao_rules::ReviewState;

use crate::config::Config;

/// Flags of `baocao history`.
#[derive(clap::Args)]
pub struct HistoryArgs {
    /// The unit's code.
    #[arg(long)]
    unit: String,
    /// Only this campaign.
    #[arg(long)]
    campaign: Option<String>,
    /// Landing directory or `s3://bucket/prefix` (overrides `landing.dir`).
    #[arg(long)]
    landing_dir: Option<String>,
}

pub async fn run(config: &Config, args: HistoryArgs) -> anyhow::Result<ExitCode> {
    let registry = config.registry()?;
    let unit = registry
        .unit(&args.unit)
        .with_context(|| format!("unknown unit `{}`", args.unit))?;
    let ctx = catalog_session(&CatalogSources {
        registry: &registry,
        landing: &config.landing_store(args.landing_dir.as_deref())?,
        summaries: &config.summaries_store(None)?,
        as_of: None,
        scope: None,
    })
    .await?;
    let versions = unit_history(&ctx, &unit.code, args.campaign.as_deref()).await?;
    let decisions = review_decisions(&ctx, &unit.code).await?;
    println!(
        "{} — {} ({} accepted versions)",
        unit.code,
        unit.name,
        versions.len()
    );
    let mut previous: Option<&baocao_catalog::history::Version> = None;
    for (i, version) in versions.iter().enumerate() {
        let who = |k: &str| version.who.get(k).map(String::as_str).unwrap_or("");
        println!(
            "\nv{} {} received {} (as of {}) by {} via {}, reporter {} {} {}",
            i + 1,
            version.submission_id,
            who("received_at"),
            who("as_of"),
            who("authenticated_unit"),
            who("gateway_id"),
            who("reporter_name"),
            who("reporter_position"),
            who("reporter_phone"),
        );
        if !who("content_sha256").is_empty() {
            println!(
                "  receipt: report SHA-256 {}, Kafka partition {} offset {} (what the gateway's signed receipt certifies; `baocao verify` checks a receipt file)",
                who("content_sha256"),
                who("kafka_partition"),
                who("kafka_offset")
            );
        }
        if version.contents > 1 {
            println!(
                "  CONFLICT: {} different contents were accepted under this submission_id (two gateway replicas at once); the first acceptance, shown here, is counted",
                version.contents
            );
        }
        match previous.filter(|p| p.campaign_id == version.campaign_id) {
            None => println!(
                "  first report for {}: {} systems",
                version.campaign_id,
                version.systems.len()
            ),
            Some(before) => {
                let changes = diff(before, version);
                if changes.is_empty() {
                    println!("  no change");
                }
                for change in changes {
                    println!("  {change}");
                }
            }
        }
        if let Some(decision) = decisions.get(&version.submission_id) {
            println!("  {decision}");
        }
        previous = Some(version);
    }
    Ok(ExitCode::SUCCESS)
}

/// The decision that counts on each of `unit`'s versions (submission id → a line).
async fn review_decisions(
    ctx: &datafusion::prelude::SessionContext,
    unit: &str,
) -> anyhow::Result<std::collections::HashMap<String, String>> {
    let sql = format!(
        "SELECT submission_id, decision, reviewer_unit, reason, \
           CAST(reviewed_at AS VARCHAR) AS at FROM review_decisions WHERE unit_code = '{}'",
        unit.replace('\'', "''")
    );
    let mut out = std::collections::HashMap::new();
    for batch in ctx.sql(&sql).await?.collect().await? {
        let column = |name: &str| -> anyhow::Result<Vec<String>> {
            let array = batch
                .column_by_name(name)
                .with_context(|| format!("review_decisions: no column {name}"))?;
            let strings = arrow::compute::cast(array, &arrow::datatypes::DataType::Utf8)?;
            let strings = strings
                .as_any()
                .downcast_ref::<arrow::array::StringArray>()
                .context("review_decisions: not text")?;
            Ok((0..strings.len())
                .map(|i| strings.value(i).to_string())
                .collect())
        };
        let (ids, decisions, reviewers, reasons, ats) = (
            column("submission_id")?,
            column("decision")?,
            column("reviewer_unit")?,
            column("reason")?,
            column("at")?,
        );
        for i in 0..ids.len() {
            let verb = ReviewState::of(true, Some(&decisions[i]))
                .as_str()
                .to_uppercase();
            let reason = if reasons[i].is_empty() {
                String::new()
            } else {
                format!(": {}", reasons[i])
            };
            out.insert(
                ids[i].clone(),
                format!("{verb} by {} at {}{reason}", reviewers[i], ats[i]),
            );
        }
    }
    Ok(out)
}
