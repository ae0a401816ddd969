//! The accounts crate's error type: the database, a staff list that cannot be read (named
//! by file, row and column), hashing, randomness.

use std::path::PathBuf;

/// Errors from the accounts database and the staff lists.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The accounts database refused an operation.
    #[error("accounts database {path}")]
    Database {
        /// The database file.
        path: PathBuf,
        /// The engine's error.
        source: libsql::Error,
    },
    /// A staff list cannot be opened or read.
    #[error("{path}")]
    File {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A staff list cannot be read as a spreadsheet (not UTF-8 CSV or XLSX, too large,
    /// a zip bomb).
    #[error("reading the staff list {path}")]
    Spreadsheet {
        /// The file.
        path: PathBuf,
        /// The bounded reader's error.
        source: baocao_sheets::Error,
    },
    /// The accounts database named is not there (a command that does not create one).
    #[error(
        "no accounts database at {path} (check --accounts-db or portal.accounts_db; `baocao account import` creates one)"
    )]
    NoDatabase {
        /// The path given.
        path: PathBuf,
    },
    /// A staff list has problems: every problem, each naming its row and column.
    #[error("{path}: {} problem(s):\n  {}", problems.len(), problems.join("\n  "))]
    Roster {
        /// The file.
        path: PathBuf,
        /// One line per problem, e.g. `row 7, column unit_code: unit 38.XYZ is not in the register`.
        problems: Vec<String>,
    },
    /// Writing the one-time-password sheet failed.
    #[error("{path}")]
    Sheet {
        /// The workbook being written.
        path: PathBuf,
        /// The writer's error.
        source: rust_xlsxwriter::XlsxError,
    },
    /// Hashing or checking a password failed (not a wrong password: a broken hash).
    #[error("password hashing")]
    Hash(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The operating system gave no randomness.
    #[error("no randomness from the operating system")]
    Random(#[from] getrandom::Error),
    /// A hashing task ended without a result.
    #[error("a hashing task failed")]
    Task(#[from] tokio::task::JoinError),
    /// The database's `server_keys` row is not a 32-byte key.
    #[error(
        "accounts database {0}: the portal's server key is not 32 bytes (delete the row of table server_keys to make a new one)"
    )]
    BadServerKey(PathBuf),
    /// An account named in a command does not exist.
    #[error("no account `{0}`")]
    UnknownAccount(String),
}

/// Result with the accounts [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
