//! The local-directory backend of a [`Store`](crate::Store): files written to a temporary
//! name, fsynced and renamed into place; every file-system call runs on tokio's blocking
//! threads, never on the async ones.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::RecordBatch;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use object_store::ObjectStore;

use crate::backend::{Backend, StoredFile, is_visible};
use crate::files::{remove_temporary_files, write_atomic, write_parquet_atomic};
use crate::{Error, Result};

/// A local directory of Parquet state.
#[derive(Clone, Debug)]
pub(crate) struct LocalDir {
    dir: PathBuf,
}

impl LocalDir {
    pub(crate) fn new(dir: PathBuf) -> Self {
        LocalDir { dir }
    }

    /// The path of the file `relative` (`/`-separated) under this directory.
    fn path(&self, relative: &str) -> PathBuf {
        relative
            .split('/')
            .filter(|part| !part.is_empty())
            .fold(self.dir.clone(), |path, part| path.join(part))
    }
}

pub(crate) fn io(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Runs `work` (file-system calls) on a blocking thread.
pub(crate) async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T> {
    tokio::task::spawn_blocking(work).await?
}

#[async_trait::async_trait]
impl Backend for LocalDir {
    fn join(&self, relative: &str) -> Arc<dyn Backend> {
        Arc::new(LocalDir::new(self.path(relative)))
    }

    fn as_local(&self) -> Option<&Path> {
        Some(&self.dir)
    }

    fn object_store(&self) -> Option<(url::Url, Arc<dyn ObjectStore>)> {
        None
    }

    fn file_url(&self, relative: &str) -> Result<String> {
        let absolute = self.dir.canonicalize().map_err(io(&self.dir))?;
        Ok(format!("{}/{relative}", absolute.display()))
    }

    fn describe(&self) -> String {
        self.dir.display().to_string()
    }

    async fn prepare(&self) -> Result<usize> {
        let dir = self.dir.clone();
        blocking(move || {
            std::fs::create_dir_all(&dir).map_err(io(&dir))?;
            remove_temporary_files(&dir)
        })
        .await
    }

    async fn list(&self) -> Result<Vec<StoredFile>> {
        let dir = self.dir.clone();
        blocking(move || {
            let mut found = Vec::new();
            list_local(&dir, "", &mut found)?;
            Ok(found)
        })
        .await
    }

    async fn put(&self, relative: &str, bytes: Vec<u8>) -> Result<()> {
        let path = self.path(relative);
        blocking(move || write_atomic(&path, &bytes)).await
    }

    async fn put_parquet(&self, relative: &str, batch: RecordBatch) -> Result<()> {
        let path = self.path(relative);
        blocking(move || write_parquet_atomic(&path, &batch)).await
    }

    async fn get(&self, relative: &str) -> Result<Bytes> {
        let path = self.path(relative);
        blocking(move || Ok(Bytes::from(std::fs::read(&path).map_err(io(&path))?))).await
    }

    async fn parquet_rows(&self, file: &StoredFile) -> Result<i64> {
        let path = self.path(&file.relative);
        blocking(move || {
            let opened = std::fs::File::open(&path).map_err(io(&path))?;
            let metadata =
                parquet::file::metadata::ParquetMetaDataReader::new().parse_and_finish(&opened)?;
            Ok(metadata.file_metadata().num_rows())
        })
        .await
    }

    async fn delete(&self, relatives: &[String]) -> Result<()> {
        let paths: Vec<PathBuf> = relatives.iter().map(|r| self.path(r)).collect();
        blocking(move || delete_durably(&paths)).await
    }
}

/// Removes `paths`, then fsyncs each directory touched once, so the removals are durable.
fn delete_durably(paths: &[PathBuf]) -> Result<()> {
    let mut touched: Vec<&Path> = Vec::new();
    for path in paths {
        std::fs::remove_file(path).map_err(io(path))?;
        if let Some(parent) = path.parent()
            && !touched.contains(&parent)
        {
            touched.push(parent);
        }
    }
    for dir in touched {
        std::fs::File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(io(dir))?;
    }
    Ok(())
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
