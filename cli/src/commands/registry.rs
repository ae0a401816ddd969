//! `baocao registry check`: load the data directory — each of its dated registers and
//! the maps between them — and print what it holds.

use std::path::Path;
use std::process::ExitCode;

use baocao_registry::{AdminLevel, RegisterChoice, Registry, area_maps, register_versions};

use crate::config::Config;

/// Registry subcommands.
#[derive(clap::Subcommand)]
pub enum RegistryCommand {
    /// Load and cross-check every data file; print counts, and which register each
    /// campaign runs on.
    Check {
        /// Check only this register (its directory under `registers/`).
        #[arg(long)]
        register: Option<String>,
    },
}

pub fn run(config: &Config, command: RegistryCommand) -> anyhow::Result<ExitCode> {
    let RegistryCommand::Check { register } = command;
    let dir = &config.data_dir;
    if !dir.join("registers").is_dir() {
        let registry = Registry::load(dir)?;
        print_register(dir, &registry);
        return Ok(ExitCode::SUCCESS);
    }
    let versions = register_versions(dir)?;
    for version in &versions {
        if register
            .as_ref()
            .is_some_and(|wanted| wanted != &version.id)
        {
            continue;
        }
        let registry = Registry::load_register(dir, &RegisterChoice::Named(version.id.clone()))?;
        print_register(dir, &registry);
    }
    if let Some(wanted) = &register {
        anyhow::ensure!(
            versions.iter().any(|v| &v.id == wanted),
            "no register `{wanted}` in {} (has: {})",
            dir.join("registers").display(),
            versions
                .iter()
                .map(|v| v.id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    check_maps(dir)?;
    Ok(ExitCode::SUCCESS)
}

/// One register's counts, period and campaigns.
fn print_register(dir: &Path, registry: &Registry) {
    let count = |level| {
        registry
            .units()
            .filter(|u| u.kind == "people_committee" && u.tier == level)
            .count()
    };
    let label = match registry.register_id() {
        Some(id) => format!("{} register {id}", dir.display()),
        None => dir.display().to_string(),
    };
    println!(
        "{label}: {} provinces, {} districts, {} communes; {} reporting units",
        count(AdminLevel::Province),
        count(AdminLevel::District),
        count(AdminLevel::Commune),
        registry.unit_count()
    );
    if let Some(register) = registry.register() {
        let period = match (register.valid_from, register.valid_until) {
            (None, None) => "period of validity not given".to_string(),
            (Some(from), None) => format!("in force since {from}"),
            (None, Some(until)) => format!("in force until {until}"),
            (Some(from), Some(until)) => format!("in force {from} → {until}"),
        };
        println!(
            "  register: {} ({period}; {})",
            register.name, register.source
        );
    }
    for campaign in registry.campaigns() {
        let expected = registry.expected_units(campaign).count();
        let on = registry
            .register_id()
            .map(|id| format!(" on register {id}"))
            .unwrap_or_default();
        println!(
            "  campaign {}{on} ({}): {expected} units expected",
            campaign.id, campaign.name
        );
        for m in &campaign.milestones {
            println!(
                "    {}: units by {}, report to the Chairman by {}",
                m.id, m.unit_deadline, m.report_deadline
            );
        }
    }
    for warning in registry.register_warnings() {
        eprintln!("warning: {warning}");
    }
}

/// Every `maps/<from>-<to>/`: each of its areas lands on an area of `to`, and each area
/// of `from` is placed (the ones that are not are counted: units there need overrides).
fn check_maps(dir: &Path) -> anyhow::Result<()> {
    for map in area_maps(dir)? {
        let (from, to) = (map.from.as_str(), map.to.as_str());
        let name = format!("{from}-{to}");
        let older = Registry::load_register(dir, &RegisterChoice::Named(from.to_string()))?;
        let newer = Registry::load_register(dir, &RegisterChoice::Named(to.to_string()))?;
        if let Some(area) = map.areas().find(|a| newer.admin_unit(&a.to_code).is_none()) {
            anyhow::bail!(
                "maps/{name}/areas.csv: area {} goes to {}, which register {to} does not have",
                area.from_code,
                area.to_code
            );
        }
        let mut homeless: Vec<&str> = older
            .units()
            .filter(|u| {
                map.area_of_unit(u)
                    .is_none_or(|code| newer.admin_unit(code).is_none())
            })
            .map(|u| u.code.as_str())
            .collect();
        homeless.sort_unstable();
        println!(
            "map {from} → {to}: {} areas placed; {} of {} reporting units of register {from} have no place{}",
            map.areas().count(),
            homeless.len(),
            older.unit_count(),
            if homeless.is_empty() {
                String::new()
            } else {
                format!(
                    " ({}; see maps/{name}/unmapped.csv, add unit_overrides.csv rows to re-roll their campaigns)",
                    homeless.join(", ")
                )
            }
        );
    }
    Ok(())
}
