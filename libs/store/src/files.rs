//! Parquet encoding (columns encoded in parallel) and durable local files: write to a
//! temporary name, fsync, rename into place, fsync the directory. A file under its final
//! name is always complete, so readers never see a partial file and a crash leaves at
//! most a `.tmp` file behind (ignored by readers, removed at the next start).

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::RecordBatch;
use parquet::arrow::arrow_writer::{
    ArrowColumnChunk, ArrowColumnWriter, ArrowLeafColumn, ArrowRowGroupWriterFactory,
    compute_leaves,
};
use parquet::arrow::{ArrowSchemaConverter, add_encoded_arrow_schema_to_metadata};
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::{DEFAULT_MAX_ROW_GROUP_ROW_COUNT, WriterProperties};
use parquet::file::writer::SerializedFileWriter;

use crate::{Error, Result};

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Writes `batch` to `path` atomically and durably (zstd-compressed Parquet).
pub fn write_parquet_atomic(path: &Path, batch: &RecordBatch) -> Result<()> {
    write_durably(path, |file, _| {
        encode_parquet(file, batch, writer_properties()?)
    })
}

/// `batch` as the bytes of a zstd-compressed Parquet file (for a whole-object PUT).
pub fn parquet_bytes(batch: &RecordBatch) -> Result<Vec<u8>> {
    encode_parquet(Vec::new(), batch, writer_properties()?)
}

/// Writes `bytes` to `path` atomically and durably.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    write_durably(path, |mut file, tmp| {
        file.write_all(bytes).map_err(io(tmp))?;
        Ok(file)
    })
}

/// Creates `path`'s directory, lets `write` fill a temporary file (given with its path),
/// fsyncs it, renames it to `path` and fsyncs the directory: `path` is whole and durable,
/// or absent.
fn write_durably(path: &Path, write: impl FnOnce(File, &Path) -> Result<File>) -> Result<()> {
    let dir = parent(path)?;
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let tmp = temporary_name(path);
    let file = File::create(&tmp).map_err(io(&tmp))?;
    let file = write(file, &tmp)?;
    file.sync_all().map_err(io(&tmp))?;
    drop(file);
    std::fs::rename(&tmp, path).map_err(io(path))?;
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io(dir))?;
    Ok(())
}

fn parent(path: &Path) -> Result<&Path> {
    path.parent().ok_or_else(|| Error::Io {
        path: path.to_path_buf(),
        source: std::io::Error::new(std::io::ErrorKind::InvalidInput, "no parent directory"),
    })
}

/// Where a file is written before it is renamed into place: `<name>.<pid>-<n>.tmp`,
/// which no reader lists. The name is this writer's own, so two processes (or tasks)
/// writing the same file at once never rename each other's half-written file away.
fn temporary_name(path: &Path) -> PathBuf {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let mut name = path.as_os_str().to_owned();
    name.push(format!(".{}-{n}.tmp", std::process::id()));
    PathBuf::from(name)
}

fn writer_properties() -> Result<WriterProperties> {
    Ok(WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::try_new(3)?))
        .build())
}

/// Encodes `batch` as Parquet into `file` (what `ArrowWriter` writes, Arrow schema
/// included), with the columns of each row group encoded in parallel on every core:
/// encoding, not I/O, is most of the time of writing a wide summary.
fn encode_parquet<W: Write + Send>(
    file: W,
    batch: &RecordBatch,
    mut properties: WriterProperties,
) -> Result<W> {
    let schema = batch.schema();
    add_encoded_arrow_schema_to_metadata(&schema, &mut properties);
    let parquet_schema = ArrowSchemaConverter::new()
        .with_coerce_types(properties.coerce_types())
        .convert(&schema)?;
    let mut writer =
        SerializedFileWriter::new(file, parquet_schema.root_schema_ptr(), Arc::new(properties))?;
    let factory = ArrowRowGroupWriterFactory::new(&writer, schema.clone());
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut offset = 0;
    let mut row_group = 0;
    while offset < batch.num_rows() {
        let rows = DEFAULT_MAX_ROW_GROUP_ROW_COUNT.min(batch.num_rows() - offset);
        let slice = batch.slice(offset, rows);
        let mut jobs: Vec<Vec<(usize, ArrowColumnWriter, ArrowLeafColumn)>> =
            (0..threads).map(|_| Vec::new()).collect();
        let mut column_writers = factory.create_column_writers(row_group)?.into_iter();
        let mut index = 0;
        for (field, array) in schema.fields().iter().zip(slice.columns()) {
            for leaf in compute_leaves(field, array)? {
                let column_writer = column_writers
                    .next()
                    .ok_or_else(|| Error::Writer("fewer column writers than leaf columns"))?;
                jobs[index % threads].push((index, column_writer, leaf));
                index += 1;
            }
        }
        let mut chunks: Vec<(usize, ArrowColumnChunk)> = std::thread::scope(|scope| {
            let handles: Vec<_> = jobs
                .into_iter()
                .map(|jobs| {
                    scope.spawn(move || {
                        jobs.into_iter()
                            .map(|(index, mut column_writer, leaf)| {
                                column_writer.write(&leaf)?;
                                Ok((index, column_writer.close()?))
                            })
                            .collect::<Result<Vec<_>>>()
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|handle| {
                    handle
                        .join()
                        .map_err(|_| Error::Writer("a column encoder panicked"))?
                })
                .collect::<Result<Vec<_>>>()
        })?
        .into_iter()
        .flatten()
        .collect();
        chunks.sort_by_key(|(index, _)| *index);
        let mut row_group_writer = writer.next_row_group()?;
        for (_, chunk) in chunks {
            chunk.append_to_row_group(&mut row_group_writer)?;
        }
        row_group_writer.close()?;
        offset += rows;
        row_group += 1;
    }
    Ok(writer.into_inner()?)
}

/// Removes the `.tmp` leftovers of a crashed writer under `root`.
pub fn remove_temporary_files(root: &Path) -> Result<usize> {
    let mut removed = 0;
    let Ok(entries) = std::fs::read_dir(root) else {
        return Ok(0);
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            removed += remove_temporary_files(&path)?;
        } else if path.extension().is_some_and(|x| x == "tmp") {
            std::fs::remove_file(&path).map_err(io(&path))?;
            removed += 1;
        }
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Writers of one file at once (two `baocao remind` runs writing `reminders.json`)
    /// each succeed, and the file ends whole: one of the contents, not a mix.
    #[test]
    fn writers_of_one_file_at_once_all_succeed() -> Result<()> {
        let dir = tempfile::tempdir().map_err(io(Path::new("tempdir")))?;
        let path = dir.path().join("reminders.json");
        let contents: Vec<Vec<u8>> = (0..8u8).map(|i| vec![b'a' + i; 64 * 1024]).collect();
        std::thread::scope(|scope| {
            let writers: Vec<_> = contents
                .iter()
                .map(|bytes| scope.spawn(|| write_atomic(&path, bytes)))
                .collect();
            writers
                .into_iter()
                .map(|writer| writer.join())
                .collect::<Vec<_>>()
        })
        .into_iter()
        .try_for_each(|joined| match joined {
            Ok(written) => written,
            Err(_) => panic!("a writer panicked"),
        })?;
        let written = std::fs::read(&path).map_err(io(&path))?;
        assert!(contents.contains(&written), "the file is a mix of writers");
        assert_eq!(
            remove_temporary_files(dir.path())?,
            0,
            "a writer left its file"
        );
        Ok(())
    }
}
