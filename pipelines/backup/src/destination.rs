//! Where backups go: an S3-compatible bucket (`s3://bucket/prefix`, any endpoint: AWS,
//! MinIO, Ceph RGW, a provincial cloud) or a mounted directory (`file:///srv/backup`),
//! opened through `object_store` from the `[backup]` section and the shared `[s3]`
//! section (endpoint, region; credentials from the environment, never from a file).

use std::sync::Arc;

use object_store::ObjectStore;
use object_store::local::LocalFileSystem;
use object_store::path::Path as ObjectPath;
use serde::{Deserialize, Serialize};

use baocao_store::S3Config;

use crate::{Error, Result};

/// The `[backup]` section: where `baocao backup` copies the landed Parquet and the
/// summaries, and where `baocao restore` reads them back.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct BackupConfig {
    /// `s3://<bucket>/<prefix>` (reached with the `[s3]` settings) or
    /// `file:///<absolute directory>`; empty: no backup configured (the commands then
    /// need `--to` / `--from`).
    pub url: String,
}

/// An opened backup destination: a store and the key prefix under it.
#[derive(Debug, Clone)]
pub struct Destination {
    store: Arc<dyn ObjectStore>,
    prefix: ObjectPath,
    url: String,
}

impl Destination {
    /// Opens the destination `url` (overriding `config.url` when given) with the S3
    /// settings `s3`. Nothing is contacted yet: a wrong bucket or wrong credentials show
    /// up at the first listing, named there.
    pub fn open(config: &BackupConfig, s3: &S3Config, url: Option<&str>) -> Result<Self> {
        let raw = url.unwrap_or(&config.url).trim();
        let bad_url = |reason: String| Error::Config {
            key: "backup.url",
            reason,
        };
        if raw.is_empty() {
            return Err(bad_url(
                "is empty: set [backup] url (s3://bucket/prefix or file:///dir) or pass it on the command line"
                    .into(),
            ));
        }
        let parsed = url::Url::parse(raw).map_err(|err| bad_url(format!("{raw:?}: {err}")))?;
        let prefix_text = parsed.path().trim_matches('/').to_string();
        let (store, prefix): (Arc<dyn ObjectStore>, ObjectPath) = match parsed.scheme() {
            // The one reading of an s3:// location, the store layer's (bucket, prefix).
            "s3" => {
                let (bucket, prefix) = baocao_store::s3::parse_s3_url(raw, "backup.url")?;
                (Arc::new(s3.bucket(&bucket)?), object_path(&prefix))
            }
            "file" => {
                if parsed.host_str().is_some_and(|h| !h.is_empty()) {
                    return Err(bad_url(format!(
                        "{raw:?}: a file URL has no host; use file:///absolute/dir"
                    )));
                }
                let dir = std::path::PathBuf::from(format!("/{prefix_text}"));
                std::fs::create_dir_all(&dir).map_err(|source| Error::Io {
                    path: dir.clone(),
                    source,
                })?;
                let store = LocalFileSystem::new_with_prefix(&dir)
                    .map_err(|err| bad_url(format!("{}: {err}", dir.display())))?;
                (Arc::new(store), ObjectPath::default())
            }
            other => {
                return Err(bad_url(format!(
                    "{raw:?}: scheme {other:?} is not supported (s3:// or file://)"
                )));
            }
        };
        Ok(Destination {
            store,
            prefix,
            url: raw.trim_end_matches('/').to_string(),
        })
    }

    /// The store.
    pub(crate) fn store(&self) -> &Arc<dyn ObjectStore> {
        &self.store
    }

    /// The key of `relative` (a `/`-separated path) under this destination's prefix.
    pub(crate) fn key(&self, relative: &str) -> ObjectPath {
        relative
            .split('/')
            .filter(|part| !part.is_empty())
            .fold(self.prefix.clone(), |path, part| path.join(part))
    }

    /// `<url>/<relative>`, for messages.
    pub(crate) fn display(&self, relative: &str) -> String {
        format!("{}/{relative}", self.url)
    }

    /// The destination as configured, e.g. `s3://baocao-backup/thanh-hoa`.
    pub fn url(&self) -> &str {
        &self.url
    }
}

fn object_path(text: &str) -> ObjectPath {
    text.split('/')
        .filter(|part| !part.is_empty())
        .fold(ObjectPath::default(), |path, part| path.join(part))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error_of(url: &str) -> String {
        Destination::open(&BackupConfig::default(), &S3Config::default(), Some(url))
            .expect_err(url)
            .to_string()
    }

    #[test]
    fn bad_urls_are_refused_naming_the_key_and_the_reason() {
        assert!(error_of("").contains("backup.url: is empty"));
        assert!(error_of("not a url").contains("backup.url"));
        assert!(error_of("gs://bucket/x").contains("scheme \"gs\" is not supported"));
        assert!(error_of("s3:///prefix").contains("names no bucket"));
        assert!(error_of("file://host/dir").contains("has no host"));
    }

    #[test]
    fn keys_sit_under_the_prefix() -> Result<()> {
        let s3 = S3Config {
            region: "us-east-1".into(),
            ..S3Config::default()
        };
        let destination = Destination::open(
            &BackupConfig::default(),
            &s3,
            Some("s3://bucket/thanh-hoa/2026/"),
        )?;
        assert_eq!(destination.url(), "s3://bucket/thanh-hoa/2026");
        assert_eq!(
            destination
                .key("landing/submissions/campaign=c/part-1.parquet")
                .as_ref(),
            "thanh-hoa/2026/landing/submissions/campaign=c/part-1.parquet"
        );
        let root = tempfile::tempdir().map_err(|source| Error::Io {
            path: "tempdir".into(),
            source,
        })?;
        let url = format!("file://{}", root.path().join("backup").display());
        let local = Destination::open(&BackupConfig::default(), &S3Config::default(), Some(&url))?;
        assert_eq!(
            local.key("summaries/a/b.json").as_ref(),
            "summaries/a/b.json"
        );
        assert!(root.path().join("backup").is_dir());
        Ok(())
    }
}
