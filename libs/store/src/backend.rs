//! What a kind of storage must do for a [`Store`](crate::Store), and what it lists: the two backends
//! ([`LocalDir`](crate::local::LocalDir) and [`Bucket`](crate::bucket::Bucket)) implement
//! it, so each operation is written once per kind and the store only delegates.

use std::path::Path;
use std::sync::Arc;

use arrow::array::RecordBatch;
use bytes::Bytes;
use object_store::ObjectStore;

use chrono::{DateTime, Utc};

use crate::Result;

/// A file found by [`Store::list`](crate::Store::list).
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

/// Whether a file name is one a reader may see (and a backup copies): not a writer's
/// `.tmp` file, not hidden (scratch-directory markers).
pub fn is_visible(name: &str) -> bool {
    !name.ends_with(".tmp") && !name.starts_with('.')
}

/// One kind of storage, rooted at a directory or a key prefix. Paths are relative to it
/// and `/`-separated. See [`Store`](crate::Store) for what each operation promises.
#[async_trait::async_trait]
pub(crate) trait Backend: std::fmt::Debug + Send + Sync {
    fn join(&self, relative: &str) -> Arc<dyn Backend>;
    fn as_local(&self) -> Option<&Path>;
    fn object_store(&self) -> Option<(url::Url, Arc<dyn ObjectStore>)>;
    fn file_url(&self, relative: &str) -> Result<String>;
    /// The location as people read it: a path, or `s3://bucket/prefix`.
    fn describe(&self) -> String;
    async fn prepare(&self) -> Result<usize>;
    /// Visible files (not `.tmp`, not hidden), in any order.
    async fn list(&self) -> Result<Vec<StoredFile>>;
    async fn put(&self, relative: &str, bytes: Vec<u8>) -> Result<()>;
    async fn put_parquet(&self, relative: &str, batch: RecordBatch) -> Result<()>;
    async fn get(&self, relative: &str) -> Result<Bytes>;
    async fn parquet_rows(&self, file: &StoredFile) -> Result<i64>;
    async fn delete(&self, relatives: &[String]) -> Result<()>;
}
