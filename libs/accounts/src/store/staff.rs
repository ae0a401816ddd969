//! Staff lists applied to the database: new people get accounts with one-time passwords
//! (hashed on every core), people already there get their details updated, all in one
//! transaction with the audit events of each change.

use chrono::{DateTime, Utc};
use libsql::params;

use super::audit::audit_on;
use super::{AccountStore, IssuedAccount, Person, seconds};
use crate::reimport::{PersonUpdate, StaffPlan};
use crate::{Error, Result, password};

impl AccountStore {
    /// Creates `accounts` in one transaction, each with a fresh one-time password (hashed
    /// on every core): all or none. An existing user name is refused, naming it.
    pub async fn issue(
        &self,
        accounts: Vec<Person>,
        now: DateTime<Utc>,
    ) -> Result<Vec<IssuedAccount>> {
        let plan = StaffPlan {
            create: accounts,
            ..StaffPlan::default()
        };
        self.apply_staff_plan(plan, "", now).await
    }

    /// Applies a staff list's plan in one transaction, all or none: creates its new
    /// accounts (their one-time passwords are answered, shown once) and updates the
    /// details of the people already there; `by` is who imported it.
    pub async fn apply_staff_plan(
        &self,
        plan: StaffPlan,
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<Vec<IssuedAccount>> {
        let create = plan.create;
        let issued = tokio::task::spawn_blocking(move || hash_one_time(create)).await??;
        let connection = self.connection.lock().await;
        let tx = connection.transaction().await.map_err(self.db_error())?;
        for (issued, hash) in &issued {
            insert(&tx, &issued.account, hash, now)
                .await
                .map_err(self.db_error())?;
        }
        for update in &plan.update {
            self.update_on(&tx, update, by, now).await?;
        }
        if !issued.is_empty() {
            let detail = format!("{} account(s)", issued.len());
            audit_on(&tx, now, "accounts_issued", "", by, &detail)
                .await
                .map_err(self.db_error())?;
        }
        tx.commit().await.map_err(self.db_error())?;
        Ok(issued.into_iter().map(|(issued, _)| issued).collect())
    }

    /// Writes one person's new details and the audit event naming what changed.
    async fn update_on(
        &self,
        tx: &libsql::Transaction,
        update: &PersonUpdate,
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let a = &update.after;
        let changed = tx
            .execute(
                "UPDATE accounts SET full_name = ?2, unit_code = ?3, role = ?4, scope = ?5, \
                 email = ?6, phone = ?7 WHERE username = ?1",
                params![
                    a.username.as_str(),
                    a.full_name.as_str(),
                    a.unit_code.as_str(),
                    a.role.as_str(),
                    a.scope.as_str(),
                    a.email.as_str(),
                    a.phone.as_str()
                ],
            )
            .await
            .map_err(self.db_error())?;
        if changed == 0 {
            return Err(Error::UnknownAccount(a.username.clone()));
        }
        let detail = update.changes().join("; ");
        audit_on(tx, now, "account_updated", &a.username, by, &detail)
            .await
            .map_err(self.db_error())
    }
}

async fn insert(
    tx: &libsql::Transaction,
    a: &Person,
    hash: &str,
    now: DateTime<Utc>,
) -> std::result::Result<u64, libsql::Error> {
    tx.execute(
        "INSERT INTO accounts (username, full_name, unit_code, role, scope, email, phone, \
         password_hash, must_change_password, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 1, ?9)",
        params![
            a.username.as_str(),
            a.full_name.as_str(),
            a.unit_code.as_str(),
            a.role.as_str(),
            a.scope.as_str(),
            a.email.as_str(),
            a.phone.as_str(),
            hash,
            seconds(now)
        ],
    )
    .await
}

/// One-time passwords for `accounts` and their hashes, hashed on every core.
fn hash_one_time(accounts: Vec<Person>) -> Result<Vec<(IssuedAccount, String)>> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = accounts.len().div_ceil(threads).max(1);
    let chunks: Vec<Vec<Person>> = accounts.chunks(chunk).map(<[_]>::to_vec).collect();
    std::thread::scope(|scope| {
        let workers: Vec<_> = chunks
            .into_iter()
            .map(|chunk| {
                scope.spawn(move || {
                    chunk
                        .into_iter()
                        .map(|account| {
                            let one_time_password = password::one_time_password()?;
                            let hash = password::hash(&one_time_password)?;
                            Ok((
                                IssuedAccount {
                                    account,
                                    one_time_password,
                                },
                                hash,
                            ))
                        })
                        .collect::<Result<Vec<_>>>()
                })
            })
            .collect();
        let mut out = Vec::new();
        for worker in workers {
            let hashed = worker
                .join()
                .map_err(|_| Error::Hash("a hashing thread panicked".into()))??;
            out.extend(hashed);
        }
        Ok(out)
    })
}
