//! The accounts database's tables, the columns later versions added (so a database made
//! by an older baocao opens and keeps working), and the portal's server key.

use std::path::Path;

use libsql::{Connection, TransactionBehavior, params};

use crate::signing::ServerKey;
use crate::{Error, Result};

pub(super) const SCHEMA: &str = "
PRAGMA journal_mode = WAL;
CREATE TABLE IF NOT EXISTS accounts (
    username TEXT PRIMARY KEY,
    full_name TEXT NOT NULL,
    unit_code TEXT NOT NULL,
    role TEXT NOT NULL,
    scope TEXT NOT NULL,
    email TEXT NOT NULL,
    phone TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    must_change_password INTEGER NOT NULL,
    failed_logins INTEGER NOT NULL DEFAULT 0,
    locked_until INTEGER,
    created_at INTEGER NOT NULL,
    unlocked_at INTEGER
);
CREATE TABLE IF NOT EXISTS sessions (
    id_sha256 TEXT PRIMARY KEY,
    username TEXT NOT NULL REFERENCES accounts(username),
    csrf_token TEXT NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS server_keys (
    name TEXT PRIMARY KEY,
    key BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS audit (
    at INTEGER NOT NULL,
    event TEXT NOT NULL,
    username TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_at ON audit (at);
";

/// Columns added after the first release: (table, column, declaration).
const ADDED_COLUMNS: [(&str, &str, &str); 5] = [
    ("accounts", "unlocked_at", "INTEGER"),
    // Set while an administrator has stopped the account: it cannot sign in.
    ("accounts", "disabled_at", "INTEGER"),
    ("accounts", "last_login_at", "INTEGER"),
    // Who made the change (an administrator's user name, or `--by` of the CLI).
    ("audit", "actor", "TEXT NOT NULL DEFAULT ''"),
    // The unit of the account the event is about, when it happened (kept after a delete).
    ("audit", "unit_code", "TEXT NOT NULL DEFAULT ''"),
];

/// Creates the tables and adds the columns a database made by an older version lacks,
/// in one immediate transaction (two processes opening an old database at once do not
/// both add a column).
pub(super) async fn migrate(connection: &Connection) -> std::result::Result<(), libsql::Error> {
    connection.execute_batch(SCHEMA).await?;
    let tx = connection
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .await?;
    for (table, column, declaration) in ADDED_COLUMNS {
        let mut rows = tx
            .query(
                &format!("SELECT 1 FROM pragma_table_info('{table}') WHERE name = ?1"),
                params![column],
            )
            .await?;
        if rows.next().await?.is_none() {
            tx.execute(
                &format!("ALTER TABLE {table} ADD COLUMN {column} {declaration}"),
                (),
            )
            .await?;
        }
    }
    tx.commit().await
}

/// The portal's secret key: created by the first process to open the database, read by
/// every other.
pub(super) async fn server_key(connection: &Connection, path: &Path) -> Result<ServerKey> {
    let db_error = |source| Error::Database {
        path: path.to_path_buf(),
        source,
    };
    let fresh = ServerKey::generate()?;
    connection
        .execute(
            "INSERT OR IGNORE INTO server_keys (name, key) VALUES ('portal', ?1)",
            params![fresh.as_bytes().to_vec()],
        )
        .await
        .map_err(db_error)?;
    let mut rows = connection
        .query("SELECT key FROM server_keys WHERE name = 'portal'", ())
        .await
        .map_err(db_error)?;
    let stored: Vec<u8> = match rows.next().await.map_err(db_error)? {
        Some(row) => row.get(0).map_err(db_error)?,
        None => Vec::new(),
    };
    ServerKey::from_bytes(&stored).ok_or_else(|| Error::BadServerKey(path.to_path_buf()))
}
