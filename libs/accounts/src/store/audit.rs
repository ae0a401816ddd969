//! The audit log: who did what to which account and when, written in the transaction of
//! the change it records, and read back filtered and paged for the department (the
//! portal's audit page, `baocao account audit`).

use chrono::{DateTime, Utc};
use libsql::{Connection, params};

use super::{AccountStore, instant, seconds};
use crate::Result;

/// One event of the audit log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditEntry {
    /// When it happened.
    pub at: DateTime<Utc>,
    /// What happened: `login`, `login_failed`, `password_reset`, `account_disabled`…
    pub event: String,
    /// The account it is about (the name typed, for a failed sign-in).
    pub username: String,
    /// Who did it, when someone other than the account's person did (an administrator).
    pub actor: String,
    /// The account's unit when it happened (empty for a name without an account).
    pub unit_code: String,
    /// What else is worth knowing (the fields a staff list changed, a deleted person).
    pub detail: String,
}

/// The events of the log and how people read them (the audit page's choices).
pub const AUDIT_EVENTS: [(&str, &str); 11] = [
    ("login", "Đăng nhập"),
    ("login_failed", "Đăng nhập không thành công"),
    ("logout", "Đăng xuất"),
    ("password_changed", "Đổi mật khẩu"),
    ("password_reset", "Cấp lại mật khẩu"),
    ("account_unlocked", "Mở khóa đăng nhập"),
    ("account_disabled", "Ngừng sử dụng tài khoản"),
    ("account_enabled", "Cho sử dụng lại tài khoản"),
    ("account_deleted", "Xóa tài khoản"),
    ("account_updated", "Cập nhật thông tin"),
    ("accounts_issued", "Cấp tài khoản"),
];

/// How people read an event (its code when it is not one of [`AUDIT_EVENTS`]).
pub fn event_label(event: &str) -> &str {
    AUDIT_EVENTS
        .iter()
        .find(|(code, _)| *code == event)
        .map_or(event, |(_, label)| label)
}

/// The events as a CSV file Excel opens (UTF-8 with its mark), Vietnamese headers, times
/// in Vietnam's time.
pub fn audit_csv(entries: &[AuditEntry]) -> String {
    use baocao_sheets::csv;
    let mut out = String::from(csv::BOM);
    out.push_str(&csv::line(&[
        "Thời gian",
        "Hoạt động",
        "Mã hoạt động",
        "Tài khoản",
        "Người thực hiện",
        "Mã đơn vị",
        "Chi tiết",
    ]));
    for e in entries {
        out.push_str(&csv::line(&[
            &baocao_registry::vn_time(e.at),
            event_label(&e.event),
            &e.event,
            &e.username,
            &e.actor,
            &e.unit_code,
            &e.detail,
        ]));
    }
    out
}

/// Which events to read. Empty texts and `None`s do not filter.
#[derive(Clone, Debug, Default)]
pub struct AuditFilter {
    /// A user name (the account's or the actor's), or part of an account's full name.
    pub person: String,
    /// The unit's code.
    pub unit: String,
    /// The event's code.
    pub event: String,
    /// From this instant on.
    pub from: Option<DateTime<Utc>>,
    /// Before this instant.
    pub until: Option<DateTime<Utc>>,
    /// Only these units' events (an administrator's area); `None`: every event.
    pub units: Option<Vec<String>>,
}

/// A page of events, newest first, and how many match in all.
#[derive(Clone, Debug, Default)]
pub struct AuditPage {
    /// The events of the page.
    pub entries: Vec<AuditEntry>,
    /// Events matching the filter, on every page.
    pub total: usize,
}

/// The `WHERE` clause of a filter: `?1` person, `?2` unit, `?3` event, `?4` from, `?5`
/// until, `?6` the scope's units as a JSON array (or NULL).
const FILTER_SQL: &str = "WHERE (?1 = '' OR username = ?1 OR actor = ?1 \
         OR username IN (SELECT username FROM accounts WHERE instr(full_name, ?1) > 0)) \
     AND (?2 = '' OR unit_code = ?2) \
     AND (?3 = '' OR event = ?3) \
     AND (?4 IS NULL OR at >= ?4) \
     AND (?5 IS NULL OR at < ?5) \
     AND (?6 IS NULL OR unit_code IN (SELECT value FROM json_each(?6)))";

fn filter_params(filter: &AuditFilter) -> Vec<libsql::Value> {
    let units = filter.units.as_ref().map(|units| json_array(units));
    let at = |at: Option<DateTime<Utc>>| at.map_or(libsql::Value::Null, |t| seconds(t).into());
    vec![
        filter.person.trim().to_string().into(),
        filter.unit.trim().to_string().into(),
        filter.event.trim().to_string().into(),
        at(filter.from),
        at(filter.until),
        units.map_or(libsql::Value::Null, Into::into),
    ]
}

/// A JSON array of strings (for `json_each`), escaped by hand: the crate has no JSON
/// dependency and codes are plain text.
fn json_array(items: &[String]) -> String {
    let quoted: Vec<String> = items
        .iter()
        .map(|item| {
            let mut out = String::from('"');
            for c in item.chars() {
                match c {
                    '"' => out.push_str("\\\""),
                    '\\' => out.push_str("\\\\"),
                    c if u32::from(c) < 0x20 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
                    c => out.push(c),
                }
            }
            out.push('"');
            out
        })
        .collect();
    format!("[{}]", quoted.join(","))
}

fn entry_of(row: &libsql::Row) -> std::result::Result<AuditEntry, libsql::Error> {
    Ok(AuditEntry {
        at: instant(row.get(0)?),
        event: row.get(1)?,
        username: row.get(2)?,
        actor: row.get(3)?,
        unit_code: row.get(4)?,
        detail: row.get(5)?,
    })
}

impl AccountStore {
    /// Writes one audit event (also to the log, target `audit`).
    pub async fn audit(
        &self,
        now: DateTime<Utc>,
        event: &str,
        username: &str,
        detail: &str,
    ) -> Result<()> {
        let connection = self.connection.lock().await;
        audit_on(&connection, now, event, username, "", detail)
            .await
            .map_err(self.db_error())
    }

    /// The audit events of `username` (all when empty), oldest first.
    pub async fn audit_events(&self, username: &str) -> Result<Vec<AuditEntry>> {
        let filter = AuditFilter {
            person: username.to_string(),
            ..AuditFilter::default()
        };
        let mut page = self.audit_page(&filter, 0, usize::MAX).await?;
        page.entries.reverse();
        Ok(page.entries)
    }

    /// The events `filter` selects, newest first: `limit` of them from `offset` on.
    pub async fn audit_page(
        &self,
        filter: &AuditFilter,
        offset: usize,
        limit: usize,
    ) -> Result<AuditPage> {
        let connection = self.connection.lock().await;
        let count_sql = format!("SELECT count(*) FROM audit {FILTER_SQL}");
        let mut rows = connection
            .query(&count_sql, filter_params(filter))
            .await
            .map_err(self.db_error())?;
        let total = match rows.next().await.map_err(self.db_error())? {
            Some(row) => row.get::<i64>(0).map_err(self.db_error())?,
            None => 0,
        };
        let mut values = filter_params(filter);
        values.push(i64::try_from(limit).unwrap_or(i64::MAX).into());
        values.push(i64::try_from(offset).unwrap_or(i64::MAX).into());
        let sql = format!(
            "SELECT at, event, username, actor, unit_code, detail FROM audit {FILTER_SQL} \
             ORDER BY at DESC, rowid DESC LIMIT ?7 OFFSET ?8"
        );
        let mut rows = connection
            .query(&sql, values)
            .await
            .map_err(self.db_error())?;
        let mut entries = Vec::new();
        while let Some(row) = rows.next().await.map_err(self.db_error())? {
            entries.push(entry_of(&row).map_err(self.db_error())?);
        }
        Ok(AuditPage {
            entries,
            total: usize::try_from(total).unwrap_or(0),
        })
    }
}

/// Writes one audit event on `connection` (a transaction's, so that it commits with the
/// change it records). The unit is the account's, read as it is now.
pub(super) async fn audit_on(
    connection: &Connection,
    now: DateTime<Utc>,
    event: &str,
    username: &str,
    actor: &str,
    detail: &str,
) -> std::result::Result<(), libsql::Error> {
    tracing::info!(target: "audit", event, username, actor, detail, "audit");
    connection
        .execute(
            "INSERT INTO audit (at, event, username, actor, detail, unit_code) \
             VALUES (?1, ?2, ?3, ?4, ?5, \
                     COALESCE((SELECT unit_code FROM accounts WHERE username = ?3), ''))",
            params![seconds(now), event, username, actor, detail],
        )
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_csv_reads_in_excel_and_names_events_in_vietnamese() {
        let entry = AuditEntry {
            at: DateTime::from_timestamp(1_767_225_600, 0).unwrap_or_default(),
            event: "password_reset".into(),
            username: "14755".into(),
            actor: "38.stttt".into(),
            unit_code: "14755".into(),
            detail: "=cmd".into(),
        };
        let csv = audit_csv(&[entry]);
        assert!(csv.starts_with('\u{feff}'));
        assert!(
            csv.ends_with(
                "\"07:00 01/01/2026\",\"Cấp lại mật khẩu\",\"password_reset\",\"14755\",\"38.stttt\",\"14755\",\"'=cmd\"\r\n"
            ),
            "{csv}"
        );
    }

    #[test]
    fn codes_become_a_json_array_that_quotes_what_it_must() {
        let codes = ["38".to_string(), "a\"b\\c".to_string(), "x\ny".to_string()];
        assert_eq!(json_array(&codes), r#"["38","a\"b\\c","x\u000ay"]"#);
        assert_eq!(json_array(&[]), "[]");
    }
}
