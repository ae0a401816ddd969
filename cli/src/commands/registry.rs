//! `baocao registry check`: load the data directory and print what it holds.

use std::process::ExitCode;

use baocao_registry::{AdminLevel, Registry};

use crate::config::Config;

/// Registry subcommands.
#[derive(clap::Subcommand)]
pub enum RegistryCommand {
    /// Load and cross-check every data file; print counts.
    Check,
}

pub fn run(config: &Config, command: RegistryCommand) -> anyhow::Result<ExitCode> {
    match command {
        RegistryCommand::Check => {
            let registry = Registry::load(&config.data_dir)?;
            let count = |level| {
                registry
                    .units()
                    .filter(|u| u.kind == "people_committee" && u.tier == level)
                    .count()
            };
            println!(
                "{}: {} provinces, {} districts, {} communes; {} reporting units",
                config.data_dir.display(),
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
                    "register: {} ({period}; {})",
                    register.name, register.source
                );
            }
            for campaign in registry.campaigns() {
                let expected = registry.expected_units(campaign).count();
                println!(
                    "campaign {} ({}): {expected} units expected",
                    campaign.id, campaign.name
                );
                for m in &campaign.milestones {
                    println!(
                        "  {}: units by {}, report to the Chairman by {}",
                        m.id, m.unit_deadline, m.report_deadline
                    );
                }
            }
            for warning in registry.register_warnings() {
                eprintln!("warning: {warning}");
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
