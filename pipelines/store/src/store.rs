//! [`Store`]: one location of Parquet state (a local directory or an `s3://bucket/prefix`)
//! and the few operations the landing, compaction and the rollups need on it: list,
//! put whole files, read, delete. Every file appears whole: locally by fsync + rename,
//! in a bucket because a PUT is atomic (an object is visible complete or not at all).

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::RecordBatch;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures::{StreamExt, TryStreamExt};
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};

use crate::files::{parquet_bytes, remove_temporary_files, write_atomic, write_parquet_atomic};
use crate::s3::{S3Config, parse_s3_url};
use crate::{Error, Result};

/// A location of Parquet state: a local directory or a prefix in an S3-compatible bucket.
/// Cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    location: Location,
}

#[derive(Clone, Debug)]
enum Location {
    Local(PathBuf),
    Bucket {
        client: Arc<dyn ObjectStore>,
        bucket: String,
        /// Key prefix without leading or trailing `/` (empty: the bucket's root).
        prefix: String,
    },
}

/// A file found by [`Store::list`].
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct StoredFile {
    /// Path relative to the store, `/`-separated.
    pub relative: String,
    /// Size in bytes.
    pub size: u64,
    /// Last modification (local mtime, or the object's `Last-Modified`).
    pub modified: Option<DateTime<Utc>>,
}

impl StoredFile {
    /// Whether this is a Parquet file (what readers take; `.tmp` files never are).
    pub fn is_parquet(&self) -> bool {
        self.relative.ends_with(".parquet")
    }
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Whether a file name is one a reader may see (and a backup copies): not a writer's
/// `.tmp` file, not hidden (scratch-directory markers).
pub fn is_visible(name: &str) -> bool {
    !name.ends_with(".tmp") && !name.starts_with('.')
}

impl Store {
    /// Opens `location` for the configuration key `key` (named in errors):
    /// `s3://bucket/prefix` (reached with the `[s3]` settings) or a local directory.
    /// Nothing is contacted: see [`Store::prepare`].
    pub fn open(location: &str, s3: &S3Config, key: &'static str) -> Result<Self> {
        let raw = location.trim();
        if raw.is_empty() {
            return Err(Error::Config {
                key,
                reason: "is empty: give a directory or s3://bucket/prefix".into(),
            });
        }
        if raw.starts_with("s3://") {
            let (bucket, prefix) = parse_s3_url(raw, key)?;
            let client = Arc::new(s3.bucket(&bucket)?);
            return Ok(Store {
                location: Location::Bucket {
                    client,
                    bucket,
                    prefix,
                },
            });
        }
        if let Some((scheme, _)) = raw.split_once("://") {
            return Err(Error::Config {
                key,
                reason: format!(
                    "{raw:?}: scheme {scheme}:// is not supported (a directory, or s3://bucket/prefix)"
                ),
            });
        }
        Ok(Store::local(raw))
    }

    /// A local directory.
    pub fn local(dir: impl Into<PathBuf>) -> Self {
        Store {
            location: Location::Local(dir.into()),
        }
    }

    /// The store of a bucket client under `prefix` (tests and tools that build their own
    /// client; configuration goes through [`Store::open`]).
    pub fn bucket(client: Arc<dyn ObjectStore>, bucket: &str, prefix: &str) -> Self {
        Store {
            location: Location::Bucket {
                client,
                bucket: bucket.to_string(),
                prefix: prefix.trim_matches('/').to_string(),
            },
        }
    }

    /// The local directory, when this store is one.
    pub fn as_local(&self) -> Option<&Path> {
        match &self.location {
            Location::Local(dir) => Some(dir),
            Location::Bucket { .. } => None,
        }
    }

    /// The store of the sub-path `relative` (`/`-separated).
    pub fn join(&self, relative: &str) -> Self {
        let location = match &self.location {
            Location::Local(dir) => Location::Local(
                relative
                    .split('/')
                    .filter(|part| !part.is_empty())
                    .fold(dir.clone(), |dir, part| dir.join(part)),
            ),
            Location::Bucket {
                client,
                bucket,
                prefix,
            } => Location::Bucket {
                client: client.clone(),
                bucket: bucket.clone(),
                prefix: join_key(prefix, relative),
            },
        };
        Store { location }
    }

    /// The bucket's client and its URL (`s3://bucket`), for registering with a query
    /// engine; `None` for a local directory.
    pub fn object_store(&self) -> Option<(url::Url, Arc<dyn ObjectStore>)> {
        match &self.location {
            Location::Local(_) => None,
            Location::Bucket { client, bucket, .. } => url::Url::parse(&format!("s3://{bucket}"))
                .ok()
                .map(|url| (url, client.clone())),
        }
    }

    /// The URL a query engine lists this store's files under (ends with `/`): an
    /// absolute local path, or `s3://bucket/prefix/`.
    pub fn listing_url(&self) -> Result<String> {
        self.file_url("")
    }

    /// The URL of the file `relative` in this store, for a query engine.
    pub fn file_url(&self, relative: &str) -> Result<String> {
        match &self.location {
            Location::Local(dir) => {
                let absolute = dir.canonicalize().map_err(io(dir))?;
                let url = format!("{}/{relative}", absolute.display());
                Ok(url)
            }
            Location::Bucket { bucket, prefix, .. } => {
                let key = join_key(prefix, relative);
                Ok(if relative.is_empty() && !key.is_empty() {
                    format!("s3://{bucket}/{key}/")
                } else {
                    format!("s3://{bucket}/{key}")
                })
            }
        }
    }

    fn key(&self, relative: &str) -> ObjectPath {
        match &self.location {
            Location::Local(_) => ObjectPath::default(),
            Location::Bucket { prefix, .. } => key_path(&join_key(prefix, relative)),
        }
    }

    fn object_error(
        &self,
        operation: &'static str,
        relative: &str,
    ) -> impl FnOnce(object_store::Error) -> Error {
        let location = self.join(relative).to_string();
        move |source| Error::Store {
            operation,
            location,
            source,
        }
    }

    /// Gets the store ready before anything is written: a local directory is created and
    /// the `.tmp` leftovers of an interrupted writer are removed (their count returned);
    /// a bucket is listed once, so that a wrong bucket, endpoint or key fails now, named,
    /// instead of at the first write.
    pub async fn prepare(&self) -> Result<usize> {
        match &self.location {
            Location::Local(dir) => {
                std::fs::create_dir_all(dir).map_err(io(dir))?;
                remove_temporary_files(dir)
            }
            Location::Bucket { client, .. } => {
                client
                    .list_with_delimiter(Some(&self.key("")))
                    .await
                    .map_err(self.object_error("list", ""))?;
                Ok(0)
            }
        }
    }

    /// Every file under this store (recursively), sorted by path; writers' `.tmp` files
    /// and hidden files are not listed, and a missing local directory has none.
    pub async fn list(&self) -> Result<Vec<StoredFile>> {
        let mut found = match &self.location {
            Location::Local(dir) => {
                let mut found = Vec::new();
                list_local(dir, "", &mut found)?;
                found
            }
            Location::Bucket { client, prefix, .. } => {
                let listed: Vec<_> = client
                    .list(Some(&self.key("")))
                    .try_collect()
                    .await
                    .map_err(self.object_error("list", ""))?;
                let mut found = Vec::new();
                for meta in listed {
                    let key = meta.location.as_ref();
                    let relative = if prefix.is_empty() {
                        key
                    } else {
                        match key
                            .strip_prefix(prefix.as_str())
                            .and_then(|k| k.strip_prefix('/'))
                        {
                            Some(relative) => relative,
                            None => continue,
                        }
                    };
                    if relative.split('/').all(is_visible) {
                        found.push(StoredFile {
                            relative: relative.to_string(),
                            size: meta.size,
                            modified: Some(meta.last_modified),
                        });
                    }
                }
                found
            }
        };
        found.sort();
        Ok(found)
    }

    /// The Parquet files under this store (what a query engine reads), sorted by path.
    pub async fn list_parquet(&self) -> Result<Vec<StoredFile>> {
        let mut files = self.list().await?;
        files.retain(StoredFile::is_parquet);
        Ok(files)
    }

    /// Writes `batch` as the Parquet file `relative`, whole and durable (encoded off the
    /// async threads).
    pub async fn put_parquet(&self, relative: &str, batch: RecordBatch) -> Result<()> {
        match &self.location {
            Location::Local(dir) => {
                let path = self.local_path(dir, relative);
                join_blocking(tokio::task::spawn_blocking(move || {
                    write_parquet_atomic(&path, &batch)
                }))
                .await
            }
            Location::Bucket { .. } => {
                let bytes =
                    join_blocking(tokio::task::spawn_blocking(move || parquet_bytes(&batch)))
                        .await?;
                self.put(relative, bytes).await
            }
        }
    }

    /// Writes the file `relative` with `bytes`, whole and durable.
    pub async fn put(&self, relative: &str, bytes: Vec<u8>) -> Result<()> {
        match &self.location {
            Location::Local(dir) => write_atomic(&self.local_path(dir, relative), &bytes),
            Location::Bucket { client, .. } => {
                client
                    .put(&self.key(relative), PutPayload::from(bytes))
                    .await
                    .map_err(self.object_error("put", relative))?;
                Ok(())
            }
        }
    }

    /// The contents of the file `relative`.
    pub async fn get(&self, relative: &str) -> Result<Bytes> {
        match &self.location {
            Location::Local(dir) => {
                let path = self.local_path(dir, relative);
                Ok(Bytes::from(std::fs::read(&path).map_err(io(&path))?))
            }
            Location::Bucket { client, .. } => {
                let fetched = client
                    .get(&self.key(relative))
                    .await
                    .map_err(self.object_error("get", relative))?;
                fetched
                    .bytes()
                    .await
                    .map_err(self.object_error("get", relative))
            }
        }
    }

    /// Rows in the Parquet file `file`, read from its footer only.
    pub async fn parquet_rows(&self, file: &StoredFile) -> Result<usize> {
        let metadata = match &self.location {
            Location::Local(dir) => {
                let path = self.local_path(dir, &file.relative);
                let opened = std::fs::File::open(&path).map_err(io(&path))?;
                parquet::file::metadata::ParquetMetaDataReader::new().parse_and_finish(&opened)?
            }
            Location::Bucket { client, .. } => {
                let key = self.key(&file.relative);
                let fetch = |range: std::ops::Range<u64>| {
                    let key = key.clone();
                    let error = self.object_error("get", &file.relative);
                    async move { client.get_range(&key, range).await.map_err(error) }
                };
                let not_parquet = || Error::NotParquet {
                    location: self.join(&file.relative).to_string(),
                    reason: "not a Parquet file",
                };
                let size = file.size;
                if size < 12 {
                    return Err(not_parquet());
                }
                let tail = fetch(size - 8..size).await?;
                if &tail[4..] != b"PAR1" {
                    return Err(not_parquet());
                }
                let length = u64::from(u32::from_le_bytes([tail[0], tail[1], tail[2], tail[3]]));
                if length + 8 > size {
                    return Err(not_parquet());
                }
                let footer = fetch(size - 8 - length..size - 8).await?;
                parquet::file::metadata::ParquetMetaDataReader::decode_metadata(&footer)?
            }
        };
        Ok(usize::try_from(metadata.file_metadata().num_rows()).unwrap_or(0))
    }

    /// Deletes the files `relatives` (a local directory is fsynced once per directory
    /// touched, so the removals are durable; a bucket gets bulk deletes, up to 1,000 keys
    /// per request on S3).
    pub async fn delete(&self, relatives: &[String]) -> Result<()> {
        match &self.location {
            Location::Local(dir) => {
                let mut touched: Vec<PathBuf> = Vec::new();
                for relative in relatives {
                    let path = self.local_path(dir, relative);
                    std::fs::remove_file(&path).map_err(io(&path))?;
                    if let Some(parent) = path.parent()
                        && !touched.iter().any(|d| d == parent)
                    {
                        touched.push(parent.to_path_buf());
                    }
                }
                for dir in &touched {
                    std::fs::File::open(dir)
                        .and_then(|d| d.sync_all())
                        .map_err(io(dir))?;
                }
                Ok(())
            }
            Location::Bucket { client, .. } => {
                let keys: Vec<_> = relatives.iter().map(|r| Ok(self.key(r))).collect();
                client
                    .delete_stream(futures::stream::iter(keys).boxed())
                    .try_collect::<Vec<_>>()
                    .await
                    .map_err(self.object_error("delete", ""))?;
                Ok(())
            }
        }
    }

    fn local_path(&self, dir: &Path, relative: &str) -> PathBuf {
        relative
            .split('/')
            .filter(|part| !part.is_empty())
            .fold(dir.to_path_buf(), |path, part| path.join(part))
    }
}

impl fmt::Display for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.location {
            Location::Local(dir) => write!(f, "{}", dir.display()),
            Location::Bucket { bucket, prefix, .. } if prefix.is_empty() => {
                write!(f, "s3://{bucket}")
            }
            Location::Bucket { bucket, prefix, .. } => write!(f, "s3://{bucket}/{prefix}"),
        }
    }
}

fn join_key(prefix: &str, relative: &str) -> String {
    prefix
        .split('/')
        .chain(relative.split('/'))
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join("/")
}

fn key_path(key: &str) -> ObjectPath {
    key.split('/')
        .filter(|part| !part.is_empty())
        .fold(ObjectPath::default(), |path, part| path.join(part))
}

async fn join_blocking<T>(task: tokio::task::JoinHandle<Result<T>>) -> Result<T> {
    task.await.map_err(|err| Error::Writer(err.to_string()))?
}

fn list_local(dir: &Path, relative: &str, found: &mut Vec<StoredFile>) -> Result<()> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(err) => return Err(io(dir)(err)),
    };
    for entry in entries {
        let entry = entry.map_err(io(dir))?;
        let name = entry.file_name().to_string_lossy().to_string();
        if !is_visible(&name) {
            continue;
        }
        let path = entry.path();
        let child = if relative.is_empty() {
            name
        } else {
            format!("{relative}/{name}")
        };
        let metadata = match entry.metadata() {
            Ok(metadata) => metadata,
            // Removed since the directory was read (compaction merged it).
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => continue,
            Err(err) => return Err(io(&path)(err)),
        };
        if metadata.is_dir() {
            list_local(&path, &child, found)?;
        } else {
            found.push(StoredFile {
                relative: child,
                size: metadata.len(),
                modified: metadata.modified().ok().map(DateTime::<Utc>::from),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::Int64Array;
    use arrow::datatypes::{DataType, Field, Schema};
    use object_store::local::LocalFileSystem;

    use super::*;

    fn batch(rows: i64) -> RecordBatch {
        let schema = Arc::new(Schema::new(vec![Field::new("n", DataType::Int64, false)]));
        RecordBatch::try_new(
            schema,
            vec![Arc::new(Int64Array::from_iter_values(0..rows))],
        )
        .expect("batch")
    }

    /// The same operations on a local directory and on an object store (object_store's
    /// own local-filesystem client stands in for the bucket API here; the S3 protocol
    /// itself is tested end to end in `tests/object_store_e2e.rs`).
    #[tokio::test]
    async fn both_kinds_list_put_read_count_and_delete_alike() -> Result<()> {
        let root = tempfile::tempdir().map_err(io(Path::new("tempdir")))?;
        let local = Store::local(root.path().join("local"));
        let bucket_dir = root.path().join("bucket");
        std::fs::create_dir_all(&bucket_dir).map_err(io(&bucket_dir))?;
        let client =
            LocalFileSystem::new_with_prefix(&bucket_dir).map_err(|source| Error::Store {
                operation: "open",
                location: bucket_dir.display().to_string(),
                source,
            })?;
        let bucket = Store::bucket(Arc::new(client), "b", "/state/landing/");
        for store in [&local, &bucket] {
            store.prepare().await?;
            store
                .join("submissions")
                .put_parquet("campaign=c/part-1.parquet", batch(7))
                .await?;
            store.put("lineage.json", b"{}".to_vec()).await?;
            let listed = store.list().await?;
            let names: Vec<_> = listed.iter().map(|f| f.relative.as_str()).collect();
            assert_eq!(
                names,
                ["lineage.json", "submissions/campaign=c/part-1.parquet"],
                "{store}"
            );
            assert!(listed[1].is_parquet() && listed[1].size > 0);
            assert_eq!(store.parquet_rows(&listed[1]).await?, 7, "{store}");
            assert_eq!(&store.get("lineage.json").await?[..], b"{}");
            store.delete(&["lineage.json".to_string()]).await?;
            assert_eq!(store.list().await?.len(), 1, "{store}");
        }
        assert_eq!(bucket.to_string(), "s3://b/state/landing");
        assert_eq!(
            bucket.join("submissions").listing_url()?,
            "s3://b/state/landing/submissions/"
        );
        Ok(())
    }

    #[test]
    fn locations_name_their_key_when_wrong() {
        let s3 = S3Config::default();
        for (location, reason) in [
            ("", "is empty"),
            ("gs://b/x", "not supported"),
            ("s3:///x", "names no bucket"),
        ] {
            let err = Store::open(location, &s3, "landing.dir")
                .expect_err(location)
                .to_string();
            assert!(err.contains("landing.dir") && err.contains(reason), "{err}");
        }
    }

    #[test]
    fn a_local_leftover_tmp_file_is_not_listed() -> Result<()> {
        let root = tempfile::tempdir().map_err(io(Path::new("tempdir")))?;
        let dir = root.path().join("a");
        std::fs::create_dir_all(&dir).map_err(io(&dir))?;
        std::fs::write(dir.join("part.parquet.tmp"), b"x").map_err(io(&dir))?;
        std::fs::write(dir.join("part.parquet"), b"x").map_err(io(&dir))?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .map_err(io(&dir))?;
        let listed = runtime.block_on(Store::local(root.path()).list())?;
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].relative, "a/part.parquet");
        Ok(())
    }
}
