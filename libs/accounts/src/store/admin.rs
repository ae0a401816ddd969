//! What an administrator does to an account: re-issue a one-time password, end the sign-in
//! waits, stop or restore the account, delete it. Each is one transaction with its audit
//! event naming who did it; a stopped, reset or deleted account's sessions end with it.

use chrono::{DateTime, Utc};
use libsql::params;

use super::audit::audit_on;
use super::{AccountStore, seconds};
use crate::{Error, Result, password};

/// An administrator's action on an account.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AccountAction {
    /// A new one-time password, to be changed at the next sign-in; ends the sign-in waits.
    ResetPassword,
    /// Ends the waits repeated wrong passwords put on the name's sign-in.
    Unlock,
    /// Stops the account: it cannot sign in and its sessions end (a person who left).
    Disable,
    /// Lets a stopped account sign in again.
    Enable,
    /// Deletes the account (its audit events stay).
    Delete,
}

impl AccountAction {
    /// Every action, in the order the portal offers them.
    pub const ALL: [AccountAction; 5] = [
        AccountAction::ResetPassword,
        AccountAction::Unlock,
        AccountAction::Disable,
        AccountAction::Enable,
        AccountAction::Delete,
    ];

    /// The code forms and the CLI use.
    pub fn as_str(self) -> &'static str {
        match self {
            AccountAction::ResetPassword => "reset",
            AccountAction::Unlock => "unlock",
            AccountAction::Disable => "disable",
            AccountAction::Enable => "enable",
            AccountAction::Delete => "delete",
        }
    }

    /// The action of a code, if it is one.
    pub fn parse(code: &str) -> Option<AccountAction> {
        Self::ALL.into_iter().find(|a| a.as_str() == code.trim())
    }

    /// The audit log's event of the action.
    pub fn event(self) -> &'static str {
        match self {
            AccountAction::ResetPassword => "password_reset",
            AccountAction::Unlock => "account_unlocked",
            AccountAction::Disable => "account_disabled",
            AccountAction::Enable => "account_enabled",
            AccountAction::Delete => "account_deleted",
        }
    }

    /// The action as a button says it.
    pub fn label(self) -> &'static str {
        match self {
            AccountAction::ResetPassword => "Cấp lại mật khẩu",
            AccountAction::Unlock => "Mở khóa đăng nhập",
            AccountAction::Disable => "Ngừng sử dụng",
            AccountAction::Enable => "Cho sử dụng lại",
            AccountAction::Delete => "Xóa tài khoản",
        }
    }

    /// What was done, as the page after it says.
    pub fn done(self) -> &'static str {
        match self {
            AccountAction::ResetPassword => "Đã cấp mật khẩu dùng một lần mới",
            AccountAction::Unlock => "Đã mở khóa đăng nhập",
            AccountAction::Disable => "Đã ngừng sử dụng tài khoản",
            AccountAction::Enable => "Đã cho sử dụng lại tài khoản",
            AccountAction::Delete => "Đã xóa tài khoản",
        }
    }

    /// Whether the action takes something away and is confirmed first.
    pub fn needs_confirmation(self) -> bool {
        matches!(
            self,
            AccountAction::ResetPassword | AccountAction::Disable | AccountAction::Delete
        )
    }
}

/// The SQL of an action and how many of its parameters it takes: `?1` the user name,
/// `?2` now, `?3` a new password hash. Run after the audit event, so that a deleted
/// account's unit is still read.
fn statement(action: AccountAction) -> (&'static str, usize) {
    match action {
        AccountAction::ResetPassword => (
            "UPDATE accounts SET password_hash = ?3, must_change_password = 1, \
             failed_logins = 0, locked_until = NULL, unlocked_at = ?2 WHERE username = ?1",
            3,
        ),
        AccountAction::Unlock => (
            "UPDATE accounts SET failed_logins = 0, locked_until = NULL, unlocked_at = ?2 \
             WHERE username = ?1",
            2,
        ),
        AccountAction::Disable => (
            "UPDATE accounts SET disabled_at = COALESCE(disabled_at, ?2) WHERE username = ?1",
            2,
        ),
        AccountAction::Enable => (
            "UPDATE accounts SET disabled_at = NULL, failed_logins = 0, unlocked_at = ?2 \
             WHERE username = ?1",
            2,
        ),
        AccountAction::Delete => ("DELETE FROM accounts WHERE username = ?1", 1),
    }
}

impl AccountStore {
    /// Does `action` to `username`'s account on behalf of `by` (who is named in the audit
    /// log). A password reset answers the new one-time password, shown once.
    pub async fn administer(
        &self,
        username: &str,
        action: AccountAction,
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<String>> {
        let (one_time, hash) = if action == AccountAction::ResetPassword {
            let (one_time, hash) = tokio::task::spawn_blocking(|| {
                let one_time = password::one_time_password()?;
                let hash = password::hash(&one_time)?;
                Ok::<_, Error>((one_time, hash))
            })
            .await??;
            (Some(one_time), hash)
        } else {
            (None, String::new())
        };
        let connection = self.connection.lock().await;
        let tx = connection.transaction().await.map_err(self.db_error())?;
        let who = self.who_is(&tx, username).await?;
        let detail = if action == AccountAction::Delete {
            who
        } else {
            String::new()
        };
        audit_on(&tx, now, action.event(), username, by, &detail)
            .await
            .map_err(self.db_error())?;
        if matches!(
            action,
            AccountAction::ResetPassword | AccountAction::Disable | AccountAction::Delete
        ) {
            tx.execute(
                "DELETE FROM sessions WHERE username = ?1",
                params![username],
            )
            .await
            .map_err(self.db_error())?;
        }
        let (sql, taken) = statement(action);
        let mut values: Vec<libsql::Value> =
            vec![username.into(), seconds(now).into(), hash.into()];
        values.truncate(taken);
        let changed = tx.execute(sql, values).await.map_err(self.db_error())?;
        if changed == 0 {
            return Err(Error::UnknownAccount(username.to_string()));
        }
        tx.commit().await.map_err(self.db_error())?;
        Ok(one_time)
    }

    /// Who the account is, for the audit log of a deletion (`full name, role, e-mail,
    /// phone`); an unknown name is refused before anything is written.
    async fn who_is(&self, tx: &libsql::Transaction, username: &str) -> Result<String> {
        let mut rows = tx
            .query(
                "SELECT full_name, role, email, phone FROM accounts WHERE username = ?1",
                params![username],
            )
            .await
            .map_err(self.db_error())?;
        let Some(row) = rows.next().await.map_err(self.db_error())? else {
            return Err(Error::UnknownAccount(username.to_string()));
        };
        let read = || -> std::result::Result<String, libsql::Error> {
            let parts: [String; 4] = [row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?];
            Ok(parts
                .into_iter()
                .filter(|p| !p.is_empty())
                .collect::<Vec<_>>()
                .join(", "))
        };
        read().map_err(self.db_error())
    }

    /// Ends the waits the sign-in throttle imposes on `username` (the portals see it at
    /// the name's next attempt) and resets its failure count; `by` is who did it.
    pub async fn unlock(&self, username: &str, by: &str, now: DateTime<Utc>) -> Result<()> {
        self.administer(username, AccountAction::Unlock, by, now)
            .await
            .map(|_| ())
    }
}
