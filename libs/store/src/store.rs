//! [`Store`]: one location of Parquet state (a local directory or an `s3://bucket/prefix`)
//! and the few operations the landing, compaction and the rollups need on it: list,
//! put whole files, read, delete. Every file appears whole: locally by fsync + rename,
//! in a bucket because a PUT is atomic (an object is visible complete or not at all).
//! Each kind is its own backend (`local.rs`, `bucket.rs`); the store delegates.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::RecordBatch;
use bytes::Bytes;
use object_store::ObjectStore;

use crate::backend::{Backend, StoredFile};
use crate::bucket::Bucket;
use crate::local::LocalDir;
use crate::s3::{S3Config, parse_s3_url};
use crate::{Error, Result};

/// A location of Parquet state: a local directory or a prefix in an S3-compatible bucket.
/// Cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    backend: Arc<dyn Backend>,
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
            return Ok(Store::bucket(client, &bucket, &prefix));
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
            backend: Arc::new(LocalDir::new(dir.into())),
        }
    }

    /// The store of a bucket client under `prefix` (tests and tools that build their own
    /// client; configuration goes through [`Store::open`]).
    pub fn bucket(client: Arc<dyn ObjectStore>, bucket: &str, prefix: &str) -> Self {
        Store {
            backend: Arc::new(Bucket::new(client, bucket.to_string(), prefix)),
        }
    }

    /// The local directory, when this store is one.
    pub fn as_local(&self) -> Option<&Path> {
        self.backend.as_local()
    }

    /// The store of the sub-path `relative` (`/`-separated).
    pub fn join(&self, relative: &str) -> Self {
        Store {
            backend: self.backend.join(relative),
        }
    }

    /// The bucket's client and its URL (`s3://bucket`), for registering with a query
    /// engine; `None` for a local directory.
    pub fn object_store(&self) -> Option<(url::Url, Arc<dyn ObjectStore>)> {
        self.backend.object_store()
    }

    /// The URL a query engine lists this store's files under (ends with `/`): an
    /// absolute local path, or `s3://bucket/prefix/`.
    pub fn listing_url(&self) -> Result<String> {
        self.file_url("")
    }

    /// The URL of the file `relative` in this store, for a query engine.
    pub fn file_url(&self, relative: &str) -> Result<String> {
        self.backend.file_url(relative)
    }

    /// Gets the store ready before anything is written: a local directory is created and
    /// the `.tmp` leftovers of an interrupted writer are removed (their count returned);
    /// a bucket is listed once, so that a wrong bucket, endpoint or key fails now, named,
    /// instead of at the first write.
    pub async fn prepare(&self) -> Result<usize> {
        self.backend.prepare().await
    }

    /// Every file under this store (recursively), sorted by path; writers' `.tmp` files
    /// and hidden files are not listed, and a missing local directory has none.
    pub async fn list(&self) -> Result<Vec<StoredFile>> {
        let mut found = self.backend.list().await?;
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
        self.backend.put_parquet(relative, batch).await
    }

    /// Writes the file `relative` with `bytes`, whole and durable.
    pub async fn put(&self, relative: &str, bytes: Vec<u8>) -> Result<()> {
        self.backend.put(relative, bytes).await
    }

    /// The contents of the file `relative`.
    pub async fn get(&self, relative: &str) -> Result<Bytes> {
        self.backend.get(relative).await
    }

    /// Rows in the Parquet file `file`, read from its footer only.
    pub async fn parquet_rows(&self, file: &StoredFile) -> Result<usize> {
        let rows = self.backend.parquet_rows(file).await?;
        Ok(usize::try_from(rows).unwrap_or(0))
    }

    /// Deletes the files `relatives`, durably: a local directory is fsynced once per
    /// directory touched; a bucket gets bulk deletes.
    pub async fn delete(&self, relatives: &[String]) -> Result<()> {
        self.backend.delete(relatives).await
    }
}

impl fmt::Display for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.backend.describe())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::Int64Array;
    use arrow::datatypes::{DataType, Field, Schema};
    use object_store::local::LocalFileSystem;

    use super::*;
    use crate::local::io;

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
