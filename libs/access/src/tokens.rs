//! Per-unit bearer tokens. A token is shown once when issued; only its SHA-256 is stored
//! (in a JSON file), so a leaked token file does not let anyone submit.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::RwLock;
use std::time::SystemTime;

use baocao_errors::Chain;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::{Error, Result};

/// Prefix of every token, so a token is recognisable in a leak scan.
pub const TOKEN_PREFIX: &str = "bcv1_";

/// What a token may do.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum TokenRole {
    /// A reporting unit: submits its own reports, reads the registry.
    #[default]
    Unit,
    /// An analyst: reads the rollups and the history (SQL), within `scope`; never submits.
    Analyst,
}

/// A stored token: who it belongs to, never the token itself.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct TokenRecord {
    /// Short public id of the token (first hex digits of its hash), for audit and revocation.
    pub id: String,
    /// The unit the token authenticates (empty for an analyst).
    pub unit: String,
    /// What the token may do.
    #[serde(default)]
    pub role: TokenRole,
    /// For an analyst: the administrative code whose subtree they may read (empty: all).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub scope: String,
    /// Hex SHA-256 of the whole token string.
    pub sha256: String,
    /// When it was issued (RFC 3339, UTC).
    pub issued_at: String,
    /// When it stops working (RFC 3339, UTC); none: it does not expire.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
    /// When it was revoked (RFC 3339, UTC); a revoked token never works again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<String>,
}

impl TokenRecord {
    /// Why the token does not work at `now`, if it does not.
    pub fn refusal(&self, now: chrono::DateTime<chrono::Utc>) -> Option<String> {
        if let Some(revoked) = &self.revoked_at {
            return Some(format!("token {} was revoked at {revoked}", self.id));
        }
        let expires = self
            .expires_at
            .as_deref()
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())?;
        (expires <= now).then(|| format!("token {} expired at {expires}", self.id))
    }
}

/// What to issue: see [`issue`].
#[derive(Clone, Debug)]
pub struct TokenRequest {
    /// Unit or analyst.
    pub role: TokenRole,
    /// The unit (unit tokens).
    pub unit: String,
    /// The administrative subtree (analyst tokens; empty: all).
    pub scope: String,
    /// How long it works; none: until revoked.
    pub valid_for: Option<chrono::Duration>,
}

#[derive(Default, Serialize, Deserialize)]
struct TokenFile {
    tokens: Vec<TokenRecord>,
}

fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn read_file(path: &Path) -> Result<TokenFile> {
    match std::fs::read_to_string(path) {
        Ok(text) => serde_json::from_str(&text).map_err(|source| Error::TokenJson {
            path: path.to_path_buf(),
            source,
        }),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(TokenFile::default()),
        Err(source) => Err(Error::TokenFile {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// Issues a new token for `unit`, appends its hash to the file at `path` (created if
/// missing, replaced atomically) and returns the token, which is not stored anywhere.
pub fn issue_token(path: &Path, unit: &str) -> Result<(String, TokenRecord)> {
    issue(path, unit_request(unit))
}

/// Issues a read-only analyst token limited to the subtree of administrative code
/// `scope` (empty: the whole country).
pub fn issue_analyst_token(path: &Path, scope: &str) -> Result<(String, TokenRecord)> {
    issue(
        path,
        TokenRequest {
            role: TokenRole::Analyst,
            unit: String::new(),
            scope: scope.to_string(),
            valid_for: None,
        },
    )
}

fn unit_request(unit: &str) -> TokenRequest {
    TokenRequest {
        role: TokenRole::Unit,
        unit: unit.to_string(),
        scope: String::new(),
        valid_for: None,
    }
}

/// Issues one token as requested (see [`issue_token`]).
pub fn issue(path: &Path, request: TokenRequest) -> Result<(String, TokenRecord)> {
    let mut issued = issue_records(path, vec![request])?;
    issued.pop().ok_or_else(|| Error::Tokens {
        path: path.to_path_buf(),
        reason: "no token issued".to_string(),
    })
}

fn rfc3339(instant: chrono::DateTime<chrono::Utc>) -> String {
    instant.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn new_token(path: &Path, request: TokenRequest) -> Result<(String, TokenRecord)> {
    let mut secret = [0u8; 32];
    getrandom::fill(&mut secret).map_err(|source| Error::Randomness {
        path: path.to_path_buf(),
        source,
    })?;
    let token = format!("{TOKEN_PREFIX}{}", hex::encode(secret));
    let digest = hash(&token);
    let record = TokenRecord {
        id: digest[..12].to_string(),
        unit: request.unit,
        role: request.role,
        scope: request.scope,
        sha256: digest,
        issued_at: rfc3339(chrono::Utc::now()),
        expires_at: request.valid_for.map(|d| rfc3339(chrono::Utc::now() + d)),
        revoked_at: None,
    };
    Ok((token, record))
}

/// Issues one token per unit in a single rewrite of the token file (provisioning a whole
/// province at once). Returns (token, record) in the order of `units`.
pub fn issue_tokens(path: &Path, units: &[&str]) -> Result<Vec<(String, TokenRecord)>> {
    issue_records(path, units.iter().map(|unit| unit_request(unit)).collect())
}

/// Issues every requested token in a single rewrite of the token file (a staff list's
/// units and analysts at once). Returns (token, record) in the order of `wanted`.
pub fn issue_all(path: &Path, wanted: Vec<TokenRequest>) -> Result<Vec<(String, TokenRecord)>> {
    issue_records(path, wanted)
}

/// Creates the tokens and appends their hashes to the file in one atomic rewrite.
fn issue_records(path: &Path, wanted: Vec<TokenRequest>) -> Result<Vec<(String, TokenRecord)>> {
    let issued = wanted
        .into_iter()
        .map(|request| new_token(path, request))
        .collect::<Result<Vec<_>>>()?;
    let mut file = read_file(path)?;
    file.tokens
        .extend(issued.iter().map(|(_, record)| record.clone()));
    write_file(path, &file)?;
    Ok(issued)
}

/// Replaces the token file atomically (temp file, then rename).
fn write_file(path: &Path, file: &TokenFile) -> Result<()> {
    let io_err = |source: std::io::Error| Error::TokenFile {
        path: path.to_path_buf(),
        source,
    };
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(io_err)?;
    }
    // The temporary name is this process's own: two `token` commands at once never
    // rename each other's half-written file.
    let tmp = path.with_extension(format!("json.{}.tmp", std::process::id()));
    let json = serde_json::to_string_pretty(file).map_err(|source| Error::TokenJson {
        path: path.to_path_buf(),
        source,
    })?;
    std::fs::write(&tmp, json).map_err(io_err)?;
    std::fs::rename(&tmp, path).map_err(io_err)?;
    Ok(())
}

/// Revokes the token with public id `id` (as printed by `baocao token issue`/`list`).
/// Running gateways and SQL endpoints refuse it from their next call on.
pub fn revoke_token(path: &Path, id: &str) -> Result<TokenRecord> {
    let mut file = read_file(path)?;
    let unknown = || Error::Tokens {
        path: path.to_path_buf(),
        reason: format!("no token with id `{id}`"),
    };
    let record = file
        .tokens
        .iter_mut()
        .find(|t| t.id == id)
        .ok_or_else(unknown)?;
    if record.revoked_at.is_none() {
        record.revoked_at = Some(rfc3339(chrono::Utc::now()));
    }
    let revoked = record.clone();
    write_file(path, &file)?;
    Ok(revoked)
}

/// Every token record of the file (never the tokens themselves).
pub fn list_tokens(path: &Path) -> Result<Vec<TokenRecord>> {
    Ok(read_file(path)?.tokens)
}

struct Loaded {
    modified: Option<SystemTime>,
    by_hash: HashMap<String, TokenRecord>,
}

/// A server's view of the token file. It re-reads the file when it changed, so a token
/// issued or revoked while the server runs takes effect without a restart.
pub struct TokenStore {
    path: PathBuf,
    loaded: RwLock<Loaded>,
}

fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

impl TokenStore {
    /// Opens the token file (a missing file means no tokens yet).
    pub fn open(path: impl Into<PathBuf>) -> Result<Self> {
        let path = path.into();
        let loaded = Self::load(&path)?;
        Ok(TokenStore {
            path,
            loaded: RwLock::new(loaded),
        })
    }

    fn load(path: &Path) -> Result<Loaded> {
        let modified = modified(path);
        let file = read_file(path)?;
        let by_hash = file
            .tokens
            .into_iter()
            .map(|t| (t.sha256.clone(), t))
            .collect();
        Ok(Loaded { modified, by_hash })
    }

    /// The record of `token` if it is known, not revoked and not expired.
    ///
    /// The file is re-read whenever it changed (one `stat` per call), so tokens issued
    /// or revoked while a server runs take effect at once.
    pub fn authenticate(&self, token: &str) -> Option<TokenRecord> {
        let current = modified(&self.path);
        let stale = self
            .loaded
            .read()
            .map(|l| l.modified != current)
            .unwrap_or(true);
        if stale {
            match Self::load(&self.path) {
                Ok(fresh) => {
                    if let Ok(mut guard) = self.loaded.write() {
                        *guard = fresh;
                    }
                }
                Err(err) => {
                    tracing::warn!(error = %Chain(&err), "token file reload failed; keeping the tokens already loaded")
                }
            }
        }
        let record = self.lookup(&hash(token))?;
        if let Some(reason) = record.refusal(chrono::Utc::now()) {
            tracing::warn!(token = %record.id, %reason, "token refused");
            return None;
        }
        Some(record)
    }

    fn lookup(&self, digest: &str) -> Option<TokenRecord> {
        self.loaded.read().ok()?.by_hash.get(digest).cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issued_tokens_authenticate_and_only_hashes_are_stored() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("tokens.json");
        let store = TokenStore::open(&path).expect("open");
        let (token, record) = issue_token(&path, "38.STTTT").expect("issue");
        assert!(token.starts_with(TOKEN_PREFIX));
        let text = std::fs::read_to_string(&path).expect("read");
        assert!(
            !text.contains(&token[TOKEN_PREFIX.len()..]),
            "token must not be stored"
        );
        // Issued after the store was opened: picked up by the reload.
        assert_eq!(store.authenticate(&token), Some(record));
        assert_eq!(store.authenticate("bcv1_00"), None);
        let (second, _) = issue_token(&path, "380").expect("issue");
        assert_eq!(
            store.authenticate(&second).map(|r| r.unit),
            Some("380".to_string())
        );
        assert_eq!(
            store.authenticate(&token).map(|r| r.unit),
            Some("38.STTTT".to_string())
        );
    }

    #[test]
    fn revoked_and_expired_tokens_stop_working_without_a_restart() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("tokens.json");
        let (token, record) = issue_token(&path, "380").expect("issue");
        let store = TokenStore::open(&path).expect("open");
        assert!(store.authenticate(&token).is_some());
        let revoked = revoke_token(&path, &record.id).expect("revoke");
        assert!(revoked.revoked_at.is_some());
        assert_eq!(
            store.authenticate(&token),
            None,
            "revocation seen by the running store"
        );
        assert!(revoke_token(&path, "nope").is_err());

        let request = |valid_for| TokenRequest {
            role: TokenRole::Unit,
            unit: "381".into(),
            scope: String::new(),
            valid_for: Some(valid_for),
        };
        let (expired, _) = issue(&path, request(chrono::Duration::seconds(-1))).expect("issue");
        assert_eq!(store.authenticate(&expired), None, "expired");
        let (valid, _) = issue(&path, request(chrono::Duration::days(30))).expect("issue");
        assert!(store.authenticate(&valid).is_some());
        assert_eq!(list_tokens(&path).expect("list").len(), 3);
    }
}
