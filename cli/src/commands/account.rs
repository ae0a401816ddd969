//! `baocao account`: the portal's person accounts — issued in bulk from a staff list
//! (CSV or Excel) with a printable sheet of one-time passwords, listed, and unlocked
//! (the sign-in throttle's waits on a name ended by the department).

use std::collections::HashSet;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use baocao_accounts::{AccountStore, roster, sheet};

use crate::config::{Config, Overrides};

/// `baocao account …`
#[derive(clap::Subcommand)]
pub enum AccountCommand {
    /// Create the accounts of a staff list (CSV or XLSX: unit_code, full_name, and
    /// optionally username, role, scope, email, phone) and write their one-time
    /// passwords to a print-ready workbook. All rows or none.
    Import {
        /// The staff list.
        #[arg(long)]
        file: PathBuf,
        /// Where to write the one-time-password workbook.
        #[arg(long, default_value = "mat-khau-mot-lan.xlsx")]
        passwords_out: PathBuf,
        /// The accounts database (overrides `portal.accounts_db`).
        #[arg(long)]
        accounts_db: Option<PathBuf>,
    },
    /// List the accounts (never passwords), with wrong passwords in a row.
    List {
        /// The accounts database (overrides `portal.accounts_db`).
        #[arg(long)]
        accounts_db: Option<PathBuf>,
    },
    /// End the waits repeated wrong passwords put on an account's sign-in (at its next
    /// attempt, on every portal using this database) and reset its count; recorded in
    /// the audit log with who did it.
    Unlock {
        /// The account's user name.
        username: String,
        /// Who unlocks it, for the audit log (e.g. the DIC officer's user name).
        #[arg(long)]
        by: String,
        /// The accounts database (overrides `portal.accounts_db`).
        #[arg(long)]
        accounts_db: Option<PathBuf>,
    },
}

impl AccountCommand {
    pub fn overrides(&self) -> Overrides {
        let (AccountCommand::Import { accounts_db, .. }
        | AccountCommand::List { accounts_db }
        | AccountCommand::Unlock { accounts_db, .. }) = self;
        match accounts_db {
            Some(path) => vec![("portal.accounts_db", path.display().to_string().into())],
            None => Vec::new(),
        }
    }
}

pub async fn run(config: &Config, command: AccountCommand) -> anyhow::Result<ExitCode> {
    let (path, policy) = (&config.portal.accounts_db, config.portal.login_policy());
    // Only an import creates the database; the others refuse a path that has none.
    let store = match &command {
        AccountCommand::Import { .. } => AccountStore::open(path, policy).await?,
        _ => AccountStore::open_existing(path, policy).await?,
    };
    match command {
        AccountCommand::Import {
            file,
            passwords_out,
            ..
        } => import(config, &store, &file, &passwords_out).await,
        AccountCommand::Unlock { username, by, .. } => {
            let username = username.trim().to_lowercase();
            store
                .unlock(&username, by.trim(), chrono::Utc::now())
                .await?;
            eprintln!("{username}: unlocked; the next sign-in is checked at once");
            Ok(ExitCode::SUCCESS)
        }
        AccountCommand::List { .. } => {
            let failed: std::collections::HashMap<String, i64> =
                store.failed_logins().await?.into_iter().collect();
            for a in store.accounts().await? {
                let wrong = failed.get(&a.person.username).copied().unwrap_or(0);
                println!(
                    "{}\t{}\t{}\t{}\t{}{}{}",
                    a.person.username,
                    a.person.role.as_str(),
                    a.person.unit_code,
                    a.person.scope,
                    a.person.full_name,
                    if a.must_change_password {
                        "\t(one-time password not yet changed)"
                    } else {
                        ""
                    },
                    if wrong > 0 {
                        format!("\t({wrong} wrong password(s) in a row)")
                    } else {
                        String::new()
                    }
                );
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

async fn import(
    config: &Config,
    store: &AccountStore,
    file: &std::path::Path,
    passwords_out: &std::path::Path,
) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let registry = config.registry()?;
    let taken: HashSet<String> = store
        .accounts()
        .await?
        .into_iter()
        .map(|a| a.person.username)
        .collect();
    let accounts = roster::read(file, &registry, &taken)?;
    let issued = store.issue(accounts, chrono::Utc::now()).await?;
    sheet::write(passwords_out, &registry, &issued).with_context(|| {
        format!(
            "{} accounts were created but their passwords could not be written; \
             issue new ones after fixing {}",
            issued.len(),
            passwords_out.display()
        )
    })?;
    eprintln!(
        "{} account(s) created in {:.1} s; one-time passwords in {} (print it, hand each person their line, then delete the file)",
        issued.len(),
        started.elapsed().as_secs_f64(),
        passwords_out.display()
    );
    Ok(ExitCode::SUCCESS)
}
