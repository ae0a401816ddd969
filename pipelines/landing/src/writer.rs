//! Durable Parquet files: write to a temporary name, fsync, rename into place, fsync the
//! directory. A file under its final name is always complete, so readers never see a
//! partial file and a crash leaves at most a `.tmp` file behind (ignored by readers,
//! removed at the next start).

use std::fs::File;
use std::path::{Path, PathBuf};

use arrow::array::RecordBatch;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;

use crate::{Error, Result};

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Writes `batch` to `path` atomically and durably (zstd-compressed Parquet).
pub fn write_parquet_atomic(path: &Path, batch: &RecordBatch) -> Result<()> {
    let dir = path
        .parent()
        .ok_or_else(|| Error::Config(format!("{} has no parent directory", path.display())))?;
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let tmp: PathBuf = path.with_extension("parquet.tmp");
    let file = File::create(&tmp).map_err(io(&tmp))?;
    let properties = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::try_new(3)?))
        .build();
    let mut writer = ArrowWriter::try_new(file, batch.schema(), Some(properties))?;
    writer.write(batch)?;
    let file = writer.into_inner()?;
    file.sync_all().map_err(io(&tmp))?;
    drop(file);
    std::fs::rename(&tmp, path).map_err(io(path))?;
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io(dir))?;
    Ok(())
}

/// Removes `.parquet.tmp` leftovers of a crashed writer under `root`.
pub fn remove_temporary_files(root: &Path) -> Result<usize> {
    let mut removed = 0;
    let Ok(entries) = std::fs::read_dir(root) else {
        return Ok(0);
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            removed += remove_temporary_files(&path)?;
        } else if path.to_string_lossy().ends_with(".parquet.tmp") {
            std::fs::remove_file(&path).map_err(io(&path))?;
            removed += 1;
        }
    }
    Ok(removed)
}
