//! [`AccountStore`]: accounts, sessions and the audit log in one SQLite database (WAL,
//! busy timeout, every change in a transaction), so that restarts keep everything and
//! concurrent requests never see half a change.

mod admin;
mod audit;
mod schema;
mod staff;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use libsql::{Connection, params};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tokio::sync::Mutex;

use crate::password;
use crate::signing::ServerKey;
use crate::{Error, Result};

pub use admin::AccountAction;
use audit::audit_on;
pub use audit::{AUDIT_EVENTS, AuditEntry, AuditFilter, AuditPage, audit_csv, event_label};

/// What a person may do in the portal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Fills and corrects their own unit's report.
    Clerk,
    /// An office that watches an area and enters reports for others in it: a district
    /// office on the 2023 map, a commune's People's Committee on the 2025 map (the word
    /// `district_office` is kept for the accounts already issued): its own report and
    /// those the register lets it enter for others, and its area's dashboard.
    DistrictOffice,
    /// A provincial officer (the DIC): its own report and the province's dashboard.
    Province,
    /// Reads the dashboard of a subtree; submits nothing.
    Analyst,
}

impl Role {
    /// The code used in staff lists and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Clerk => "clerk",
            Role::DistrictOffice => "district_office",
            Role::Province => "province",
            Role::Analyst => "analyst",
        }
    }

    /// The role of a code, if it is one.
    pub fn parse(code: &str) -> Option<Role> {
        [
            Role::Clerk,
            Role::DistrictOffice,
            Role::Province,
            Role::Analyst,
        ]
        .into_iter()
        .find(|role| role.as_str() == code.trim())
    }

    /// The role as people read it.
    pub fn label(self) -> &'static str {
        match self {
            Role::Clerk => "Cán bộ đơn vị",
            Role::DistrictOffice => "Cơ quan theo dõi địa bàn",
            Role::Province => "Cán bộ cấp tỉnh",
            Role::Analyst => "Phân tích số liệu",
        }
    }

    /// Whether the role sends reports.
    pub fn submits(self) -> bool {
        self != Role::Analyst
    }

    /// Whether the role sees a dashboard.
    pub fn views_dashboard(self) -> bool {
        self != Role::Clerk
    }
}

/// A person's account (never its password).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Account {
    /// Who the person is and what they may do.
    pub person: Person,
    /// The one-time password must be replaced before anything else.
    pub must_change_password: bool,
    /// An administrator stopped the account: it cannot sign in.
    pub disabled: bool,
    /// Wrong passwords in a row since the last sign-in or unlock.
    pub failed_logins: i64,
    /// The last sign-in, if any.
    pub last_login: Option<DateTime<Utc>>,
}

/// Who an account's person is and what they may do: what a staff list says of them,
/// and what an account is created from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Person {
    /// Login name, unique.
    pub username: String,
    /// The person's name.
    pub full_name: String,
    /// The unit the person works for.
    pub unit_code: String,
    /// What the person may do.
    pub role: Role,
    /// Administrative code whose subtree the dashboard shows (empty: the whole register).
    pub scope: String,
    /// Contact e-mail (for the urging of late units).
    pub email: String,
    /// Contact phone.
    pub phone: String,
}

/// A created account and its one-time password (shown once, then only its hash is kept).
#[derive(Clone, Debug)]
pub struct IssuedAccount {
    /// The account.
    pub account: Person,
    /// The one-time password to hand over.
    pub one_time_password: String,
}

/// A signed-in person.
#[derive(Clone, Debug)]
pub struct Session {
    /// Who.
    pub account: Account,
    /// The token every form of this session must carry.
    pub csrf_token: String,
    /// When the session ends.
    pub expires_at: DateTime<Utc>,
}

/// The answer to a login attempt.
#[derive(Debug)]
pub enum LoginOutcome {
    /// Signed in: the new session's cookie value (shown once) and the session.
    SignedIn {
        /// The cookie value.
        cookie: String,
        /// The session.
        session: Box<Session>,
    },
    /// Wrong user name or password (not said which). Nothing here ever locks an account:
    /// repeated failures are slowed by the portal's [`crate::throttle`], which an
    /// attacker cannot turn against the account's owner.
    Refused,
}

/// Session settings.
#[derive(Clone, Copy, Debug)]
pub struct LoginPolicy {
    /// How long a session lasts.
    pub session_lifetime: Duration,
}

impl Default for LoginPolicy {
    fn default() -> Self {
        LoginPolicy {
            session_lifetime: Duration::from_secs(8 * 3600),
        }
    }
}

const ACCOUNT_COLUMNS: &str = "username, full_name, unit_code, role, scope, email, phone, \
     must_change_password, disabled_at, failed_logins, last_login_at";
/// How many columns [`ACCOUNT_COLUMNS`] has (a query's next column is at this index).
const ACCOUNT_COLUMN_COUNT: i32 = 11;

/// The accounts database. Cheap to clone; one connection, used by one request at a time
/// (SQLite writes one at a time anyway), with password hashing done outside it.
#[derive(Clone)]
pub struct AccountStore {
    path: PathBuf,
    connection: Arc<Mutex<Connection>>,
    _database: Arc<libsql::Database>,
    policy: LoginPolicy,
    key: ServerKey,
    dummy_hash: Arc<str>,
}

fn random_hex(bytes: usize) -> Result<String> {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf)?;
    Ok(hex::encode(buf))
}

fn sha256_hex(value: &str) -> String {
    hex::encode(Sha256::digest(value.as_bytes()))
}

fn seconds(at: DateTime<Utc>) -> i64 {
    at.timestamp()
}

fn instant(seconds: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(seconds, 0).unwrap_or_default()
}

fn account_of(row: &libsql::Row) -> std::result::Result<Account, libsql::Error> {
    let role: String = row.get(3)?;
    Ok(Account {
        person: Person {
            username: row.get(0)?,
            full_name: row.get(1)?,
            unit_code: row.get(2)?,
            role: Role::parse(&role).unwrap_or(Role::Analyst),
            scope: row.get(4)?,
            email: row.get(5)?,
            phone: row.get(6)?,
        },
        must_change_password: row.get::<i64>(7)? != 0,
        disabled: row.get::<Option<i64>>(8)?.is_some(),
        failed_logins: row.get(9)?,
        last_login: row.get::<Option<i64>>(10)?.map(instant),
    })
}

impl AccountStore {
    /// Opens the database at `path`, refusing when it is not there: a command that only
    /// reads or changes accounts must not create an empty database (and its folders) at
    /// a mistyped path.
    pub async fn open_existing(path: &Path, policy: LoginPolicy) -> Result<Self> {
        if !path.is_file() {
            return Err(Error::NoDatabase {
                path: path.to_path_buf(),
            });
        }
        Self::open(path, policy).await
    }

    /// Opens (creating if needed) the database at `path`.
    pub async fn open(path: &Path, policy: LoginPolicy) -> Result<Self> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|source| Error::File {
                path: parent.to_path_buf(),
                source,
            })?;
        }
        let db_error = |source| Error::Database {
            path: path.to_path_buf(),
            source,
        };
        let database = libsql::Builder::new_local(path)
            .build()
            .await
            .map_err(db_error)?;
        let connection = database.connect().map_err(db_error)?;
        connection
            .busy_timeout(Duration::from_secs(5))
            .map_err(db_error)?;
        schema::migrate(&connection).await.map_err(db_error)?;
        let key = schema::server_key(&connection, path).await?;
        // The hash an unknown name is checked against, made now so that the first
        // unknown name costs what every sign-in costs.
        let dummy_hash =
            tokio::task::spawn_blocking(|| password::hash(&password::one_time_password()?))
                .await??;
        Ok(AccountStore {
            path: path.to_path_buf(),
            connection: Arc::new(Mutex::new(connection)),
            _database: Arc::new(database),
            policy,
            key,
            dummy_hash: dummy_hash.into(),
        })
    }

    /// The portal's secret key (signs login forms and device cookies).
    pub fn server_key(&self) -> &ServerKey {
        &self.key
    }

    fn db_error(&self) -> impl FnOnce(libsql::Error) -> Error + use<> {
        let path = self.path.clone();
        move |source| Error::Database { path, source }
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The session settings.
    pub fn policy(&self) -> LoginPolicy {
        self.policy
    }

    /// The account `username`, if there is one.
    pub async fn account(&self, username: &str) -> Result<Option<Account>> {
        let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE username = ?1");
        match self.row_of(&sql, username).await? {
            Some(row) => Ok(Some(account_of(&row).map_err(self.db_error())?)),
            None => Ok(None),
        }
    }

    /// The row `sql` finds for `username` (its one parameter, `?1`), if any.
    async fn row_of(&self, sql: &str, username: &str) -> Result<Option<libsql::Row>> {
        let connection = self.connection.lock().await;
        let mut rows = connection
            .query(sql, params![username])
            .await
            .map_err(self.db_error())?;
        rows.next().await.map_err(self.db_error())
    }

    /// Every account, by user name.
    pub async fn accounts(&self) -> Result<Vec<Account>> {
        let connection = self.connection.lock().await;
        let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM accounts ORDER BY username");
        let mut rows = connection.query(&sql, ()).await.map_err(self.db_error())?;
        let mut out = Vec::new();
        while let Some(row) = rows.next().await.map_err(self.db_error())? {
            out.push(account_of(&row).map_err(self.db_error())?);
        }
        Ok(out)
    }

    /// Checks a login; on success opens a new session (any session the browser had is
    /// ended by the caller through [`AccountStore::end_session`]). The same work whatever
    /// the name: one lookup, one hash check at the one cost, one write.
    pub async fn login(
        &self,
        username: &str,
        password: &str,
        now: DateTime<Utc>,
    ) -> Result<LoginOutcome> {
        let found = self.credentials(username).await?;
        let stored: Arc<str> = match &found {
            Some(stored) => stored.as_str().into(),
            None => self.dummy_hash.clone(),
        };
        let typed = password.to_string();
        let matches =
            tokio::task::spawn_blocking(move || password::verify(&typed, &stored)).await??;
        if !(matches && found.is_some()) {
            self.record_failure(username, now).await?;
            return Ok(LoginOutcome::Refused);
        }
        let (cookie, session) = self.open_session(username, now).await?;
        self.audit(now, "login", username, "").await?;
        Ok(LoginOutcome::SignedIn {
            cookie,
            session: Box::new(session),
        })
    }

    async fn credentials(&self, username: &str) -> Result<Option<String>> {
        // A stopped account is checked like a name without one: same work, same answer.
        let sql = "SELECT password_hash FROM accounts WHERE username = ?1 AND disabled_at IS NULL";
        let Some(row) = self.row_of(sql, username).await? else {
            return Ok(None);
        };
        Ok(Some(row.get(0).map_err(self.db_error())?))
    }

    /// Counts a wrong password (for the audit log and `account list`) and writes the
    /// event, in one transaction whether or not the name has an account.
    async fn record_failure(&self, username: &str, now: DateTime<Utc>) -> Result<()> {
        let connection = self.connection.lock().await;
        let tx = connection.transaction().await.map_err(self.db_error())?;
        let changed = tx
            .execute(
                "UPDATE accounts SET failed_logins = failed_logins + 1 WHERE username = ?1",
                params![username],
            )
            .await
            .map_err(self.db_error())?;
        let detail = if changed == 0 {
            "unknown user"
        } else {
            "wrong password"
        };
        audit_on(&tx, now, "login_failed", username, "", detail)
            .await
            .map_err(self.db_error())?;
        tx.commit().await.map_err(self.db_error())
    }

    /// When `username` was last unlocked, if ever (none for a name without an account).
    pub async fn unlocked_at(&self, username: &str) -> Result<Option<DateTime<Utc>>> {
        let sql = "SELECT unlocked_at FROM accounts WHERE username = ?1";
        let Some(row) = self.row_of(sql, username).await? else {
            return Ok(None);
        };
        let at = row.get::<Option<i64>>(0).map_err(self.db_error())?;
        Ok(at.map(instant))
    }

    /// Wrong passwords in a row per account (since its last sign-in or unlock).
    pub async fn failed_logins(&self) -> Result<Vec<(String, i64)>> {
        let connection = self.connection.lock().await;
        let mut rows = connection
            .query(
                "SELECT username, failed_logins FROM accounts ORDER BY username",
                (),
            )
            .await
            .map_err(self.db_error())?;
        let mut out = Vec::new();
        while let Some(row) = rows.next().await.map_err(self.db_error())? {
            let read =
                || -> std::result::Result<_, libsql::Error> { Ok((row.get(0)?, row.get(1)?)) };
            out.push(read().map_err(self.db_error())?);
        }
        Ok(out)
    }

    async fn open_session(&self, username: &str, now: DateTime<Utc>) -> Result<(String, Session)> {
        let cookie = random_hex(32)?;
        let csrf_token = random_hex(32)?;
        let expires_at =
            now + chrono::Duration::from_std(self.policy.session_lifetime).unwrap_or_default();
        {
            let connection = self.connection.lock().await;
            let tx = connection.transaction().await.map_err(self.db_error())?;
            tx.execute(
                "UPDATE accounts SET failed_logins = 0, locked_until = NULL, last_login_at = ?2 \
                 WHERE username = ?1",
                params![username, seconds(now)],
            )
            .await
            .map_err(self.db_error())?;
            tx.execute(
                "DELETE FROM sessions WHERE expires_at <= ?1",
                params![seconds(now)],
            )
            .await
            .map_err(self.db_error())?;
            tx.execute(
                "INSERT INTO sessions (id_sha256, username, csrf_token, expires_at) VALUES (?1, ?2, ?3, ?4)",
                params![sha256_hex(&cookie), username, csrf_token.as_str(), seconds(expires_at)],
            )
            .await
            .map_err(self.db_error())?;
            tx.commit().await.map_err(self.db_error())?;
        }
        let account = self
            .account(username)
            .await?
            .ok_or_else(|| Error::UnknownAccount(username.to_string()))?;
        Ok((
            cookie,
            Session {
                account,
                csrf_token,
                expires_at,
            },
        ))
    }

    /// The live session of a cookie value, if there is one.
    pub async fn session(&self, cookie: &str, now: DateTime<Utc>) -> Result<Option<Session>> {
        let connection = self.connection.lock().await;
        let sql = format!(
            "SELECT {}, s.csrf_token, s.expires_at FROM sessions s JOIN accounts a ON a.username = s.username \
             WHERE s.id_sha256 = ?1 AND s.expires_at > ?2 AND a.disabled_at IS NULL",
            ACCOUNT_COLUMNS
                .split(", ")
                .map(|c| format!("a.{c}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let mut rows = connection
            .query(&sql, params![sha256_hex(cookie), seconds(now)])
            .await
            .map_err(self.db_error())?;
        let Some(row) = rows.next().await.map_err(self.db_error())? else {
            return Ok(None);
        };
        let read = || -> std::result::Result<Session, libsql::Error> {
            Ok(Session {
                account: account_of(&row)?,
                csrf_token: row.get(ACCOUNT_COLUMN_COUNT)?,
                expires_at: instant(row.get(ACCOUNT_COLUMN_COUNT + 1)?),
            })
        };
        Ok(Some(read().map_err(self.db_error())?))
    }

    /// Ends the session of a cookie value (logout, or a new login in the same browser).
    pub async fn end_session(&self, cookie: &str, now: DateTime<Utc>) -> Result<()> {
        let username = self
            .session(cookie, now)
            .await?
            .map(|s| s.account.person.username);
        {
            let connection = self.connection.lock().await;
            connection
                .execute(
                    "DELETE FROM sessions WHERE id_sha256 = ?1",
                    params![sha256_hex(cookie)],
                )
                .await
                .map_err(self.db_error())?;
        }
        if let Some(username) = username {
            self.audit(now, "logout", &username, "").await?;
        }
        Ok(())
    }

    /// Replaces `username`'s password with `chosen` (at the chosen-password cost) and
    /// clears the must-change flag; the account's other sessions are ended.
    pub async fn change_password(
        &self,
        username: &str,
        chosen: &str,
        keep_session: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let chosen = chosen.to_string();
        let hash = tokio::task::spawn_blocking(move || password::hash(&chosen)).await??;
        {
            let connection = self.connection.lock().await;
            let tx = connection.transaction().await.map_err(self.db_error())?;
            let changed = tx
                .execute(
                    "UPDATE accounts SET password_hash = ?2, must_change_password = 0 WHERE username = ?1",
                    params![username, hash.as_str()],
                )
                .await
                .map_err(self.db_error())?;
            if changed == 0 {
                return Err(Error::UnknownAccount(username.to_string()));
            }
            tx.execute(
                "DELETE FROM sessions WHERE username = ?1 AND id_sha256 <> ?2",
                params![username, sha256_hex(keep_session)],
            )
            .await
            .map_err(self.db_error())?;
            tx.commit().await.map_err(self.db_error())?;
        }
        self.audit(now, "password_changed", username, "").await
    }

    /// Checks `password` against `username`'s current one (for a password change).
    pub async fn password_matches(&self, username: &str, password: &str) -> Result<bool> {
        let Some(stored) = self.credentials(username).await? else {
            return Ok(false);
        };
        let typed = password.to_string();
        tokio::task::spawn_blocking(move || password::verify(&typed, &stored)).await?
    }
}
