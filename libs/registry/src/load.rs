//! Shared helpers for reading data files: CSV with `#` comments and line numbers, TOML
//! with spans turned into line numbers, and strict ISO calendar dates.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;

use crate::{Error, Result};

pub(crate) fn read_to_string(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// Parses CSV text whose lines starting with `#` are comments; yields each record with the
/// 1-based line number it starts on, so errors can point into the file.
pub(crate) fn csv_records<T: serde::de::DeserializeOwned>(
    path: &Path,
    text: &str,
) -> Result<Vec<(usize, T)>> {
    let mut reader = csv::ReaderBuilder::new()
        .comment(Some(b'#'))
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|err| Error::data(path, 1, err.to_string()))?
        .clone();
    let mut out = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|err| {
            let line = err.position().map(|p| p.line() as usize).unwrap_or(0);
            Error::data(path, line, err.to_string())
        })?;
        let line = record.position().map(|p| p.line() as usize).unwrap_or(0);
        let value = record
            .deserialize(Some(&headers))
            .map_err(|err| Error::data(path, line, err.to_string()))?;
        out.push((line, value));
    }
    Ok(out)
}

/// 1-based line number of a byte offset in `text`.
pub(crate) fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

/// Parses a TOML document, turning a syntax or type error into file:line: reason.
pub(crate) fn toml_document<T: serde::de::DeserializeOwned>(path: &Path, text: &str) -> Result<T> {
    toml::from_str(text).map_err(|err| {
        let line = err.span().map(|s| line_of(text, s.start)).unwrap_or(0);
        Error::data(path, line, err.message().to_string())
    })
}

/// Parses a strict ISO date (`YYYY-MM-DD`), rejecting impossible dates such as 2023-02-30.
pub(crate) fn iso_date(text: &str) -> std::result::Result<NaiveDate, String> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| {
        format!("`{text}` is not a calendar date (expected YYYY-MM-DD, e.g. 2023-03-20)")
    })
}

/// The entries of `dir` that `keep` accepts, sorted; none when `dir` does not exist.
pub(crate) fn sorted_entries(dir: &Path, keep: impl Fn(&Path) -> bool) -> Result<Vec<PathBuf>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => {
            return Err(Error::Io {
                path: dir.to_path_buf(),
                source,
            });
        }
    };
    let mut found = Vec::new();
    for entry in entries {
        let path = entry
            .map_err(|source| Error::Io {
                path: dir.to_path_buf(),
                source,
            })?
            .path();
        if keep(&path) {
            found.push(path);
        }
    }
    found.sort();
    Ok(found)
}
