//! `baocao token`: issue, list and revoke bearer tokens; only their hashes are stored.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use baocao_access::tokens::{TokenRequest, TokenRole, issue, list_tokens, revoke_token};
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
        /// Days the token works; 0: until revoked.
        #[arg(long, default_value_t = 400)]
        valid_days: i64,
        /// Token file (overrides `gateway.tokens_file`).
        #[arg(long)]
        tokens_file: Option<PathBuf>,
    },
    /// Issue the tokens of a staff list at once (the CSV or XLSX of `baocao account
    /// import`: a unit token per unit listed, an analyst token per analyst row with its
    /// scope) in one rewrite of the token file, and write them to a CSV readable only by
    /// you, for the units' systems to be configured with.
    Import {
        /// The staff list.
        #[arg(long)]
        file: PathBuf,
        /// Where to write the tokens (created with permissions 0600).
        #[arg(long, default_value = "tokens.csv")]
        out: PathBuf,
        /// Days the tokens work; 0: until revoked.
        #[arg(long, default_value_t = 400)]
        valid_days: i64,
        /// Token file (overrides `gateway.tokens_file`).
        #[arg(long)]
        tokens_file: Option<PathBuf>,
    },
    /// List tokens: id, role, unit or scope, issued, expires, revoked (never the tokens).
    List {
        /// Token file (overrides `gateway.tokens_file`).
        #[arg(long)]
        tokens_file: Option<PathBuf>,
    },
    /// Revoke a token by its id; running gateways and SQL endpoints refuse it at once.
    Revoke {
        /// The token's id (from `issue` or `list`).
        #[arg(long)]
        id: String,
        /// Token file (overrides `gateway.tokens_file`).
        #[arg(long)]
        tokens_file: Option<PathBuf>,
    },
}

impl TokenCommand {
    pub fn overrides(&self) -> Overrides {
        let (TokenCommand::Issue { tokens_file, .. }
        | TokenCommand::Import { tokens_file, .. }
        | TokenCommand::List { tokens_file }
        | TokenCommand::Revoke { tokens_file, .. }) = self;
        match tokens_file {
            Some(path) => vec![("gateway.tokens_file", path.display().to_string().into())],
            None => Vec::new(),
        }
    }
}

pub fn run(config: &Config, command: TokenCommand) -> anyhow::Result<ExitCode> {
    let path = &config.gateway.tokens_file;
    match command {
        TokenCommand::Issue {
            unit,
            scope,
            valid_days,
            ..
        } => {
            anyhow::ensure!(valid_days >= 0, "--valid-days must not be negative");
            let registry = config.registry()?;
            let valid_for = (valid_days > 0).then(|| chrono::Duration::days(valid_days));
            let (request, holder) = match unit {
                Some(unit) => unit_request(&registry, &unit, valid_for)?,
                None => analyst_request(&registry, scope.unwrap_or_default(), valid_for)?,
            };
            let (token, record) = issue(path, request)?;
            eprintln!(
                "issued token {} for {holder}, expires {}; hash stored in {}",
                record.id,
                record.expires_at.as_deref().unwrap_or("never"),
                path.display()
            );
            println!("{token}");
        }
        TokenCommand::Import {
            file,
            out,
            valid_days,
            ..
        } => import_tokens(config, &file, &out, valid_days)?,
        TokenCommand::List { .. } => print_tokens(path)?,
        TokenCommand::Revoke { id, .. } => {
            let record = revoke_token(path, &id)?;
            eprintln!(
                "token {} revoked at {}",
                record.id,
                record.revoked_at.as_deref().unwrap_or_default()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `token import`: a staff list's tokens in one rewrite of the token file.
fn import_tokens(
    config: &Config,
    file: &std::path::Path,
    out: &std::path::Path,
    valid_days: i64,
) -> anyhow::Result<()> {
    anyhow::ensure!(valid_days >= 0, "--valid-days must not be negative");
    let started = std::time::Instant::now();
    let registry = config.registry()?;
    let rows = baocao_accounts::roster::read(file, &registry, &[])?.create;
    let valid_for = (valid_days > 0).then(|| chrono::Duration::days(valid_days));
    let mut seen = std::collections::HashSet::new();
    let requests: Vec<TokenRequest> = rows
        .iter()
        .filter_map(|row| {
            let analyst = row.role == baocao_accounts::Role::Analyst;
            let key = if analyst {
                format!("scope:{}", row.scope)
            } else {
                row.unit_code.clone()
            };
            seen.insert(key).then(|| TokenRequest {
                role: if analyst {
                    TokenRole::Analyst
                } else {
                    TokenRole::Unit
                },
                unit: if analyst {
                    String::new()
                } else {
                    row.unit_code.clone()
                },
                scope: if analyst {
                    row.scope.clone()
                } else {
                    String::new()
                },
                valid_for,
            })
        })
        .collect();
    let path = &config.gateway.tokens_file;
    let issued = baocao_access::tokens::issue_all(path, requests)?;
    let mut csv = String::from("unit_code,unit_name,role,scope,token_id,expires_at,token\n");
    for (token, r) in &issued {
        let name = registry.unit(&r.unit).map_or("", |u| u.name.as_str());
        let role = if r.role == TokenRole::Analyst {
            "analyst"
        } else {
            "unit"
        };
        let expires = r.expires_at.as_deref().unwrap_or("");
        csv.push_str(&format!(
            "{},\"{}\",{role},{},{},{expires},{token}\n",
            r.unit,
            name.replace('"', "\"\""),
            r.scope,
            r.id
        ));
    }
    write_private(out, csv.as_bytes())?;
    eprintln!(
        "{} token(s) issued in {:.1} s; hashes in {}, tokens in {} (readable only by you: hand each over, then delete it)",
        issued.len(),
        started.elapsed().as_secs_f64(),
        path.display(),
        out.display()
    );
    Ok(())
}

/// Writes `bytes` to a new file only its owner can read.
fn write_private(path: &std::path::Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("writing {}", path.display()))?;
    file.write_all(bytes)
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

/// A unit token's request, and who holds it (for the message).
fn unit_request(
    registry: &Registry,
    unit: &str,
    valid_for: Option<chrono::Duration>,
) -> anyhow::Result<(TokenRequest, String)> {
    let Some(found) = registry.unit(unit) else {
        anyhow::bail!(
            "unknown unit `{unit}` in this register (see data/registers/<id>/units/*.csv and admin_units.csv; `register` chooses the register)"
        );
    };
    let request = TokenRequest {
        role: TokenRole::Unit,
        unit: found.code.clone(),
        scope: String::new(),
        valid_for,
    };
    Ok((request, format!("unit {} ({})", found.code, found.name)))
}

/// An analyst token's request for `scope` (empty: the whole country), and its reader.
fn analyst_request(
    registry: &Registry,
    scope: String,
    valid_for: Option<chrono::Duration>,
) -> anyhow::Result<(TokenRequest, String)> {
    let area = if scope.is_empty() {
        "the whole country".to_string()
    } else {
        registry
            .admin_unit(&scope)
            .with_context(|| format!("--scope `{scope}` is not an administrative code"))?
            .name_with_type
            .clone()
    };
    let request = TokenRequest {
        role: TokenRole::Analyst,
        unit: String::new(),
        scope,
        valid_for,
    };
    Ok((request, format!("an analyst reading {area}")))
}

/// `token list`: one line per token.
fn print_tokens(path: &std::path::Path) -> anyhow::Result<()> {
    println!(
        "{:<13} {:<8} {:<14} {:<21} {:<21} revoked",
        "id", "role", "unit/scope", "issued", "expires"
    );
    for t in list_tokens(path)? {
        let role = match t.role {
            TokenRole::Unit => "unit",
            TokenRole::Analyst => "analyst",
        };
        let holder = if t.role == TokenRole::Unit {
            &t.unit
        } else {
            &t.scope
        };
        println!(
            "{:<13} {:<8} {:<14} {:<21} {:<21} {}",
            t.id,
            role,
            if holder.is_empty() { "(all)" } else { holder },
            t.issued_at,
            t.expires_at.as_deref().unwrap_or("never"),
            t.revoked_at.as_deref().unwrap_or("")
        );
    }
    Ok(())
}
