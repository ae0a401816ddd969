//! What a kind of storage must do for a [`Store`](crate::Store): the two backends
//! ([`LocalDir`](crate::local::LocalDir) and [`Bucket`](crate::bucket::Bucket)) implement
//! it, so each operation is written once per kind and the store only delegates.

use std::path::Path;
use std::sync::Arc;

use arrow::array::RecordBatch;
use bytes::Bytes;
use object_store::ObjectStore;

use crate::Result;
use crate::store::StoredFile;

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
