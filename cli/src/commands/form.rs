//! `baocao form`: the offline Excel form of one unit, or of every expected unit of an
//! area (a district office's communes and schools), pre-filled with each unit's last
//! accepted report read from the reports topic.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use baocao_registry::{Registry, ReportingUnit, vietnam_date};
use baocao_sheets::{FormSpec, FormUnit, write_form};
use baocao_submission::{Scope, follow_scope};

use crate::config::Config;

/// Flags of `baocao form`.
#[derive(clap::Args)]
#[command(group(clap::ArgGroup::new("who").required(true).args(["unit", "area"])))]
pub struct FormArgs {
    /// The campaign reported in.
    #[arg(long)]
    campaign: String,
    /// One unit's form.
    #[arg(long)]
    unit: Option<String>,
    /// The form of every unit expected in the campaign inside this administrative code
    /// (a district: its People's Committee, offices, communes and schools).
    #[arg(long)]
    area: Option<String>,
    /// With --area, only the units of this tier (a district office's form: `--area
    /// <district> --tier commune`, the communes and schools it may submit for).
    #[arg(long, requires = "area", value_parser = ["province", "district", "commune"])]
    tier: Option<String>,
    /// Where to write the .xlsx.
    #[arg(long)]
    out: PathBuf,
    /// Do not read the reports topic: a form without the last accepted reports.
    #[arg(long)]
    blank: bool,
}

pub async fn run(config: &Config, args: FormArgs) -> anyhow::Result<ExitCode> {
    let registry = Arc::new(config.campaign_registry(&args.campaign)?);
    let campaign = registry
        .campaign(&args.campaign)
        .with_context(|| format!("--campaign: unknown campaign `{}`", args.campaign))?;
    let (units, for_whom, jurisdiction) = form_units(&registry, campaign, &args)?;
    let latest = if args.blank {
        None
    } else {
        let scope = Scope {
            tier: None,
            jurisdiction,
        };
        let (index, _follower) = follow_scope(&config.kafka, &registry, &scope, true)
            .await
            .context("reading the last accepted reports from Kafka (or pass --blank)")?;
        Some(index)
    };
    let lasts: Vec<_> = units
        .iter()
        .map(|u| {
            latest
                .as_ref()
                .and_then(|index| index.latest(&u.code, &campaign.id))
                .map(|v| v.report)
        })
        .collect();
    let spec = FormSpec {
        campaign_id: &campaign.id,
        campaign_name: &campaign.name,
        for_whom: &for_whom,
        units: units
            .iter()
            .zip(&lasts)
            .map(|(unit, last)| FormUnit {
                unit,
                blocks: registry.indicator_blocks(unit),
                last: last.as_ref(),
            })
            .collect(),
        today: vietnam_date(chrono::Utc::now()),
    };
    let bytes = write_form(&spec)?;
    std::fs::write(&args.out, bytes).with_context(|| format!("writing {}", args.out.display()))?;
    let prefilled = lasts.iter().filter(|l| l.is_some()).count();
    println!(
        "{}: form of {} unit(s) for {for_whom} in campaign {} ({prefilled} pre-filled with \
         their last accepted report)",
        args.out.display(),
        units.len(),
        campaign.id
    );
    Ok(ExitCode::SUCCESS)
}

/// The form's units (sorted by area, then code), who it is for, and the jurisdiction
/// whose reports pre-fill it.
fn form_units<'r>(
    registry: &'r Registry,
    campaign: &'r baocao_registry::Campaign,
    args: &FormArgs,
) -> anyhow::Result<(Vec<&'r ReportingUnit>, String, String)> {
    if let Some(code) = &args.unit {
        let unit = registry
            .unit(code)
            .with_context(|| format!("--unit: unknown unit `{code}`"))?;
        return Ok((vec![unit], unit.name.clone(), unit.area_code.clone()));
    }
    let area = args.area.clone().unwrap_or_default();
    let name = registry
        .area_chain(&area)
        .first()
        .map(|a| a.name_with_type.clone())
        .with_context(|| format!("--area: unknown administrative code `{area}`"))?;
    let mut units: Vec<&ReportingUnit> = registry
        .expected_units(campaign)
        .filter(|u| registry.is_within(u, &area))
        .filter(|u| args.tier.as_deref().is_none_or(|t| u.tier.as_str() == t))
        .collect();
    anyhow::ensure!(
        !units.is_empty(),
        "--area {area}: no unit of {name} is expected in campaign `{}`",
        campaign.id
    );
    units.sort_by(|a, b| (&a.area_code, &a.code).cmp(&(&b.area_code, &b.code)));
    Ok((units, name, area))
}
