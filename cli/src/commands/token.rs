//! `baocao token issue`: create a unit's bearer token; only its hash is stored.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use baocao_registry::Registry;

use crate::config::{Config, Overrides};

/// Token subcommands.
#[derive(clap::Subcommand)]
pub enum TokenCommand {
    /// Issue a token and print it once (store it securely: it is not kept): a unit token
    /// (`--unit CODE`) submits that unit's reports; an analyst token (`--analyst
    /// [--scope CODE]`) reads the SQL endpoint within an administrative subtree.
    Issue {
        /// Unit code, e.g. 38.STTTT or 14758.
        #[arg(long, required_unless_present = "analyst", conflicts_with = "analyst")]
        unit: Option<String>,
        /// Issue a read-only analyst token instead.
        #[arg(long)]
        analyst: bool,
        /// The analyst's administrative subtree, e.g. 38 (a province) or 380 (a district);
        /// without it the token reads everything.
        #[arg(long, requires = "analyst")]
        scope: Option<String>,
        /// Token file (overrides `gateway.tokens_file`).
        #[arg(long)]
        tokens_file: Option<PathBuf>,
    },
}

impl TokenCommand {
    pub fn overrides(&self) -> Overrides {
        match self {
            TokenCommand::Issue {
                tokens_file: Some(path),
                ..
            } => vec![("gateway.tokens_file", path.display().to_string().into())],
            TokenCommand::Issue { .. } => Vec::new(),
        }
    }
}

pub fn run(config: &Config, command: TokenCommand) -> anyhow::Result<ExitCode> {
    match command {
        TokenCommand::Issue {
            unit: None, scope, ..
        } => {
            let registry = Registry::load(&config.data_dir)
                .with_context(|| format!("loading registry from {}", config.data_dir.display()))?;
            let scope = scope.unwrap_or_default();
            let area = if scope.is_empty() {
                "the whole country".to_string()
            } else {
                let area = registry
                    .admin_unit(&scope)
                    .with_context(|| format!("--scope `{scope}` is not an administrative code"))?;
                area.name_with_type.clone()
            };
            let (token, record) =
                baocao_gateway::tokens::issue_analyst_token(&config.gateway.tokens_file, &scope)?;
            eprintln!(
                "issued analyst token {} reading {area}; hash stored in {}",
                record.id,
                config.gateway.tokens_file.display()
            );
            println!("{token}");
            Ok(ExitCode::SUCCESS)
        }
        TokenCommand::Issue {
            unit: Some(unit), ..
        } => {
            let registry = Registry::load(&config.data_dir)
                .with_context(|| format!("loading registry from {}", config.data_dir.display()))?;
            let Some(found) = registry.unit(&unit) else {
                anyhow::bail!(
                    "unknown unit `{unit}` (see data/units/*.csv and data/admin_units.csv)"
                );
            };
            let (token, record) =
                baocao_gateway::tokens::issue_token(&config.gateway.tokens_file, &found.code)?;
            eprintln!(
                "issued token {} for {} ({}); hash stored in {}",
                record.id,
                found.code,
                found.name,
                config.gateway.tokens_file.display()
            );
            println!("{token}");
            Ok(ExitCode::SUCCESS)
        }
    }
}
