//! The S3-compatible backend of a [`Store`](crate::Store): a key prefix in a bucket, each
//! file one whole-object PUT (visible complete or not at all).

use std::path::Path;
use std::sync::Arc;

use arrow::array::RecordBatch;
use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};

use crate::backend::{Backend, StoredFile, is_visible};
use crate::files::parquet_bytes;
use crate::local::blocking;
use crate::{Error, Result};

/// A prefix in an S3-compatible bucket.
#[derive(Clone, Debug)]
pub(crate) struct Bucket {
    client: Arc<dyn ObjectStore>,
    bucket: String,
    /// Key prefix without leading or trailing `/` (empty: the bucket's root).
    prefix: String,
}

impl Bucket {
    pub(crate) fn new(client: Arc<dyn ObjectStore>, bucket: String, prefix: &str) -> Self {
        Bucket {
            client,
            bucket,
            prefix: join_key(prefix, ""),
        }
    }

    fn key(&self, relative: &str) -> ObjectPath {
        join_key(&self.prefix, relative)
            .split('/')
            .filter(|part| !part.is_empty())
            .fold(ObjectPath::default(), |path, part| path.join(part))
    }

    /// `s3://bucket/key` of the file `relative`, as errors name it.
    fn url(&self, relative: &str) -> String {
        let key = join_key(&self.prefix, relative);
        if key.is_empty() {
            format!("s3://{}", self.bucket)
        } else {
            format!("s3://{}/{key}", self.bucket)
        }
    }

    fn error(
        &self,
        operation: &'static str,
        relative: &str,
    ) -> impl FnOnce(object_store::Error) -> Error + use<> {
        let location = self.url(relative);
        move |source| Error::Store {
            operation,
            location,
            source,
        }
    }

    /// The object's key relative to this prefix; `None` when it lies outside it.
    fn relative<'k>(&self, key: &'k str) -> Option<&'k str> {
        if self.prefix.is_empty() {
            return Some(key);
        }
        key.strip_prefix(self.prefix.as_str())?.strip_prefix('/')
    }

    /// The bytes `range` of the object `relative`.
    async fn get_range(&self, relative: &str, range: std::ops::Range<u64>) -> Result<Bytes> {
        self.client
            .get_range(&self.key(relative), range)
            .await
            .map_err(self.error("get", relative))
    }
}

#[async_trait::async_trait]
impl Backend for Bucket {
    fn join(&self, relative: &str) -> Arc<dyn Backend> {
        Arc::new(Bucket {
            client: self.client.clone(),
            bucket: self.bucket.clone(),
            prefix: join_key(&self.prefix, relative),
        })
    }

    fn as_local(&self) -> Option<&Path> {
        None
    }

    fn object_store(&self) -> Option<(url::Url, Arc<dyn ObjectStore>)> {
        let url = url::Url::parse(&format!("s3://{}", self.bucket)).ok()?;
        Some((url, self.client.clone()))
    }

    fn file_url(&self, relative: &str) -> Result<String> {
        let key = join_key(&self.prefix, relative);
        Ok(if relative.is_empty() && !key.is_empty() {
            format!("s3://{}/{key}/", self.bucket)
        } else {
            format!("s3://{}/{key}", self.bucket)
        })
    }

    fn describe(&self) -> String {
        self.url("")
    }

    async fn prepare(&self) -> Result<usize> {
        self.client
            .list_with_delimiter(Some(&self.key("")))
            .await
            .map_err(self.error("list", ""))?;
        Ok(0)
    }

    async fn list(&self) -> Result<Vec<StoredFile>> {
        let listed: Vec<_> = self
            .client
            .list(Some(&self.key("")))
            .try_collect()
            .await
            .map_err(self.error("list", ""))?;
        let found = listed.into_iter().filter_map(|meta| {
            let relative = self.relative(meta.location.as_ref())?;
            relative.split('/').all(is_visible).then(|| StoredFile {
                relative: relative.to_string(),
                size: meta.size,
                modified: Some(meta.last_modified),
            })
        });
        Ok(found.collect())
    }

    async fn put(&self, relative: &str, bytes: Vec<u8>) -> Result<()> {
        self.client
            .put(&self.key(relative), PutPayload::from(bytes))
            .await
            .map_err(self.error("put", relative))?;
        Ok(())
    }

    async fn put_parquet(&self, relative: &str, batch: RecordBatch) -> Result<()> {
        let bytes = blocking(move || parquet_bytes(&batch)).await?;
        self.put(relative, bytes).await
    }

    async fn get(&self, relative: &str) -> Result<Bytes> {
        let fetched = self
            .client
            .get(&self.key(relative))
            .await
            .map_err(self.error("get", relative))?;
        fetched.bytes().await.map_err(self.error("get", relative))
    }

    /// Two range GETs: the footer's length and magic, then the footer.
    async fn parquet_rows(&self, file: &StoredFile) -> Result<i64> {
        let not_parquet = || Error::NotParquet {
            location: self.url(&file.relative),
            reason: "not a Parquet file",
        };
        let size = file.size;
        if size < 12 {
            return Err(not_parquet());
        }
        let tail = self.get_range(&file.relative, size - 8..size).await?;
        if &tail[4..] != b"PAR1" {
            return Err(not_parquet());
        }
        let length = u64::from(u32::from_le_bytes([tail[0], tail[1], tail[2], tail[3]]));
        if length + 8 > size {
            return Err(not_parquet());
        }
        let footer = self
            .get_range(&file.relative, size - 8 - length..size - 8)
            .await?;
        let metadata = parquet::file::metadata::ParquetMetaDataReader::decode_metadata(&footer)?;
        Ok(metadata.file_metadata().num_rows())
    }

    /// Bulk deletes (up to 1,000 keys per request on S3).
    async fn delete(&self, relatives: &[String]) -> Result<()> {
        let keys: Vec<_> = relatives.iter().map(|r| Ok(self.key(r))).collect();
        self.client
            .delete_stream(futures::stream::iter(keys).boxed())
            .try_collect::<Vec<_>>()
            .await
            .map_err(self.error("delete", ""))?;
        Ok(())
    }
}

/// `prefix` and `relative` joined with single `/`s, without leading or trailing ones.
fn join_key(prefix: &str, relative: &str) -> String {
    prefix
        .split('/')
        .chain(relative.split('/'))
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join("/")
}
