//! `baocao account`: the portal's person accounts — issued in bulk from a staff list
//! (CSV or Excel; a list imported again updates its people) with a printable sheet of
//! one-time passwords, listed, administered (a new one-time password, unlock, stop,
//! restore, delete) and their audit log read.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use baocao_accounts::{
    AccountAction, AccountStore, AuditFilter, IssuedAccount, audit_csv, event_label, roster, sheet,
};

use crate::config::{Config, Overrides};

/// The accounts database, shared by every subcommand.
#[derive(clap::Args)]
pub struct Database {
    /// The accounts database (overrides `portal.accounts_db`).
    #[arg(long)]
    accounts_db: Option<PathBuf>,
}

/// An administrator's action on one account.
#[derive(clap::Args)]
pub struct Target {
    /// The account's user name.
    username: String,
    /// Who does it, for the audit log (e.g. the DIC officer's user name).
    #[arg(long)]
    by: String,
    #[command(flatten)]
    database: Database,
}

/// `baocao account …`
#[derive(clap::Subcommand)]
pub enum AccountCommand {
    /// Create the accounts of a staff list (CSV or XLSX: unit_code, full_name, and
    /// optionally username, role, scope, email, phone) and write their one-time
    /// passwords to a print-ready workbook. People who already have an account (same
    /// user name, or same e-mail, phone or name in the same unit) are updated instead,
    /// and each change is printed. All rows or none.
    Import {
        /// The staff list.
        #[arg(long)]
        file: PathBuf,
        /// Where to write the one-time-password workbook.
        #[arg(long, default_value = "mat-khau-mot-lan.xlsx")]
        passwords_out: PathBuf,
        /// Who imports it, for the audit log.
        #[arg(long, default_value = "")]
        by: String,
        #[command(flatten)]
        database: Database,
    },
    /// List the accounts (never passwords): role, unit, state, wrong passwords in a row.
    List {
        #[command(flatten)]
        database: Database,
    },
    /// Issue a new one-time password (the old password and open sessions end); printed,
    /// or written to a print-ready workbook with --passwords-out.
    Reset {
        #[command(flatten)]
        target: Target,
        /// Write the new password to this workbook instead of printing it.
        #[arg(long, conflicts_with = "email")]
        passwords_out: Option<PathBuf>,
        /// Send it to the account's e-mail through the reminders' SMTP settings
        /// (`[remind]`) instead of printing it.
        #[arg(long)]
        email: bool,
    },
    /// End the waits repeated wrong passwords put on an account's sign-in (at its next
    /// attempt, on every portal using this database) and reset its count.
    Unlock(Target),
    /// Stop an account (a person who left): it cannot sign in; its sessions end.
    Disable(Target),
    /// Let a stopped account sign in again.
    Enable(Target),
    /// Delete an account (its audit events stay).
    Delete {
        #[command(flatten)]
        target: Target,
        /// Confirms the deletion.
        #[arg(long)]
        yes: bool,
    },
    /// The audit log, newest first: sign-ins, password changes, administrators' actions.
    Audit(AuditArgs),
}

/// `baocao account audit`
#[derive(clap::Args)]
pub struct AuditArgs {
    /// A user name (the account's or the administrator's), or part of a full name.
    #[arg(long, default_value = "")]
    person: String,
    /// A unit's code.
    #[arg(long, default_value = "")]
    unit: String,
    /// An event code (login, login_failed, password_reset, account_disabled, …).
    #[arg(long, default_value = "")]
    event: String,
    /// From this day on (dd/mm/yyyy or yyyy-mm-dd, Vietnam's time).
    #[arg(long, value_parser = parse_day)]
    since: Option<chrono::NaiveDate>,
    /// Up to and including this day.
    #[arg(long, value_parser = parse_day)]
    until: Option<chrono::NaiveDate>,
    /// At most this many events.
    #[arg(long, default_value_t = 1000)]
    limit: usize,
    /// `text` (tab-separated) or `csv` (UTF-8 with BOM, for Excel).
    #[arg(long, default_value = "text", value_parser = ["text", "csv"])]
    format: String,
    #[command(flatten)]
    database: Database,
}

/// A day as people write it: `20/03/2026` or `2026-03-20`.
fn parse_day(text: &str) -> Result<chrono::NaiveDate, String> {
    baocao_registry::parse_day(text)
        .ok_or_else(|| format!("`{text}` is not a day (dd/mm/yyyy or yyyy-mm-dd)"))
}

impl AccountCommand {
    fn database(&self) -> &Database {
        match self {
            AccountCommand::Import { database, .. }
            | AccountCommand::List { database }
            | AccountCommand::Audit(AuditArgs { database, .. }) => database,
            AccountCommand::Reset { target, .. } | AccountCommand::Delete { target, .. } => {
                &target.database
            }
            AccountCommand::Unlock(target)
            | AccountCommand::Disable(target)
            | AccountCommand::Enable(target) => &target.database,
        }
    }

    pub fn overrides(&self) -> Overrides {
        match &self.database().accounts_db {
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
            by,
            ..
        } => import(config, &store, &file, &passwords_out, &by).await,
        AccountCommand::List { .. } => list(&store).await,
        AccountCommand::Reset {
            target,
            passwords_out,
            email,
        } => {
            let delivery = match (passwords_out, email) {
                (Some(path), _) => Delivery::Sheet(path),
                (None, true) => Delivery::Email,
                (None, false) => Delivery::Print,
            };
            reset(config, &store, &target, delivery).await
        }
        AccountCommand::Unlock(target) => act(&store, &target, AccountAction::Unlock).await,
        AccountCommand::Disable(target) => act(&store, &target, AccountAction::Disable).await,
        AccountCommand::Enable(target) => act(&store, &target, AccountAction::Enable).await,
        AccountCommand::Delete { target, yes } => {
            anyhow::ensure!(
                yes,
                "deleting account `{}` cannot be undone: add --yes to confirm (or `account disable` to stop it and keep it)",
                target.username
            );
            act(&store, &target, AccountAction::Delete).await
        }
        AccountCommand::Audit(args) => audit(&store, &args).await,
    }
}

/// What the terminal says after an action.
fn said(action: AccountAction) -> &'static str {
    match action {
        AccountAction::ResetPassword => "new one-time password issued; its sessions ended",
        AccountAction::Unlock => "unlocked; the next sign-in is checked at once",
        AccountAction::Disable => "stopped: it cannot sign in; its sessions ended",
        AccountAction::Enable => "may sign in again",
        AccountAction::Delete => "deleted (its audit events stay)",
    }
}

async fn act(
    store: &AccountStore,
    target: &Target,
    action: AccountAction,
) -> anyhow::Result<ExitCode> {
    let username = target.username.trim().to_lowercase();
    store
        .administer(&username, action, target.by.trim(), chrono::Utc::now())
        .await?;
    eprintln!("{username}: {}", said(action));
    Ok(ExitCode::SUCCESS)
}

/// Where a new one-time password goes.
enum Delivery {
    /// Printed on standard output.
    Print,
    /// Written to a print-ready workbook.
    Sheet(PathBuf),
    /// Mailed to the account's address.
    Email,
}

/// The e-mail that carries a new one-time password.
fn password_mail(person: &baocao_accounts::Person, one_time: &str, by: &str) -> (String, String) {
    let subject = "Mật khẩu dùng một lần mới — hệ thống báo cáo baocao".to_string();
    let body = format!(
        "Kính gửi {name},\n\n\
         Tài khoản của anh/chị trên hệ thống báo cáo camera giám sát (Chỉ thị 23/CT-TTg) \
         vừa được cấp mật khẩu dùng một lần mới.\n\n\
         Tên đăng nhập: {username}\n\
         Mật khẩu dùng một lần: {one_time}\n\n\
         Hãy đăng nhập và đổi mật khẩu ngay ở lần đầu; mật khẩu cũ không còn dùng được. \
         Nếu anh/chị không đề nghị cấp lại mật khẩu, hãy báo ngay cho người quản lý tài khoản ({by}).\n",
        name = person.full_name,
        username = person.username,
    );
    (subject, body)
}

async fn reset(
    config: &Config,
    store: &AccountStore,
    target: &Target,
    delivery: Delivery,
) -> anyhow::Result<ExitCode> {
    let username = target.username.trim().to_lowercase();
    let Some(account) = store.account(&username).await? else {
        anyhow::bail!("no account `{username}` (see `baocao account list`)");
    };
    // Checked before the password is changed: a reset that cannot be delivered is not made.
    if let Delivery::Email = delivery {
        anyhow::ensure!(
            !account.person.email.trim().is_empty(),
            "account `{username}` has no e-mail: add it to the staff list and import it again, or use --passwords-out"
        );
        anyhow::ensure!(
            !config.remind.smtp_host.is_empty(),
            "--email: no e-mail server (set remind.smtp_host, remind.from)"
        );
    }
    let action = AccountAction::ResetPassword;
    let by = target.by.trim();
    let one_time = store
        .administer(&username, action, by, chrono::Utc::now())
        .await?
        .unwrap_or_default();
    match delivery {
        Delivery::Sheet(out) => {
            let issued = [IssuedAccount {
                account: account.person,
                one_time_password: one_time,
            }];
            sheet::write(&out, &config.registry()?, &issued).with_context(|| {
                format!(
                    "the password was reset but not written; reset it again after fixing {}",
                    out.display()
                )
            })?;
            eprintln!("{username}: {}; written to {}", said(action), out.display());
        }
        Delivery::Email => {
            let person = &account.person;
            let (subject, body) = password_mail(person, &one_time, by);
            baocao_remind::send_mail(&config.remind, &person.full_name, &person.email, &subject, &body)
                .await
                .context("the password was reset but not mailed; reset it again (--passwords-out to print it)")?;
            eprintln!("{username}: {}; sent to {}", said(action), person.email);
        }
        Delivery::Print => {
            eprintln!("{username}: {}", said(action));
            println!("{username}\t{one_time}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn list(store: &AccountStore) -> anyhow::Result<ExitCode> {
    for a in store.accounts().await? {
        let mut notes = Vec::new();
        if a.disabled {
            notes.push("stopped".to_string());
        }
        if a.must_change_password {
            notes.push("one-time password not yet changed".to_string());
        }
        if a.failed_logins > 0 {
            notes.push(format!("{} wrong password(s) in a row", a.failed_logins));
        }
        let p = &a.person;
        println!(
            "{}\t{}\t{}\t{}\t{}{}",
            p.username,
            p.role.as_str(),
            p.unit_code,
            p.scope,
            p.full_name,
            if notes.is_empty() {
                String::new()
            } else {
                format!("\t({})", notes.join("; "))
            }
        );
    }
    Ok(ExitCode::SUCCESS)
}

async fn audit(store: &AccountStore, args: &AuditArgs) -> anyhow::Result<ExitCode> {
    let filter = AuditFilter {
        person: args.person.trim().to_lowercase(),
        unit: args.unit.clone(),
        event: args.event.clone(),
        from: args.since.map(baocao_registry::vietnam_day_start),
        until: args
            .until
            .and_then(|d| d.succ_opt())
            .map(baocao_registry::vietnam_day_start),
        units: None,
    };
    let page = store.audit_page(&filter, 0, args.limit).await?;
    if args.format == "csv" {
        print!("{}", audit_csv(&page.entries));
    } else {
        for e in &page.entries {
            println!(
                "{}\t{}\t{}\t{}\t{}\t{}",
                baocao_registry::vn_time(e.at),
                event_label(&e.event),
                e.username,
                e.actor,
                e.unit_code,
                e.detail
            );
        }
    }
    if page.total > page.entries.len() {
        eprintln!(
            "{} of {} event(s) shown (--limit)",
            page.entries.len(),
            page.total
        );
    }
    Ok(ExitCode::SUCCESS)
}

async fn import(
    config: &Config,
    store: &AccountStore,
    file: &Path,
    passwords_out: &Path,
    by: &str,
) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let registry = config.registry()?;
    let plan = roster::read(file, &registry, &store.accounts().await?)?;
    let (updated, unchanged) = (plan.update.clone(), plan.unchanged.len());
    let issued = store
        .apply_staff_plan(plan, by.trim(), chrono::Utc::now())
        .await?;
    for update in &updated {
        eprintln!(
            "updated {}: {}",
            update.after.username,
            update.changes().join("; ")
        );
    }
    if !issued.is_empty() {
        sheet::write(passwords_out, &registry, &issued).with_context(|| {
            format!(
                "{} accounts were created but their passwords could not be written; \
                 issue new ones (`baocao account reset`) after fixing {}",
                issued.len(),
                passwords_out.display()
            )
        })?;
    }
    eprintln!(
        "{} account(s) created, {} updated, {} unchanged in {:.1} s{}",
        issued.len(),
        updated.len(),
        unchanged,
        started.elapsed().as_secs_f64(),
        if issued.is_empty() {
            String::new()
        } else {
            format!(
                "; one-time passwords in {} (print it, hand each person their line, then delete the file)",
                passwords_out.display()
            )
        }
    );
    Ok(ExitCode::SUCCESS)
}
