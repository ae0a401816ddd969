//! Copying a local tree (the landing directory, the summaries directory) to a
//! [`Destination`] and back.
//!
//! Nothing accepted is lost or counted twice, while the lander and compaction keep
//! running:
//! - A file is uploaded only under its final name (`.tmp` files are unfinished) and an
//!   object appears whole or not at all (a PUT, or a completed multipart upload).
//! - Compaction removes small files only after their rows are durable in a new segment.
//!   A file that vanishes before its upload was therefore merged into a segment written
//!   earlier: the backup lists the tree again and uploads that segment, and is complete
//!   only after a pass in which nothing vanished.
//! - The backup never deletes an object, so it may hold a small file and the segment it
//!   was merged into: the rollup counts a submission once however many copies are landed
//!   (`docs/data.md`), and a restore adds only files missing locally.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use baocao_store::{Progress, Store, is_visible};
use futures::{StreamExt, TryStreamExt};
use object_store::buffered::BufWriter;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt};
use tokio::io::AsyncWriteExt;

use crate::destination::Destination;
use crate::{Error, Result};

/// Uploads in flight at once (bounded memory: each buffers at most one multipart part).
const PARALLEL_TRANSFERS: usize = 4;
/// Passes over a tree before giving up on files that keep vanishing under compaction.
const MAX_PASSES: usize = 5;

/// How the files of a tree change, which decides what is uploaded again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TreeKind {
    /// Every file name is written once and never rewritten (landed files and segments
    /// are named by a fresh UUID): a file already stored with its size is skipped.
    WriteOnce,
    /// Files are rewritten in place (each rollup rewrites `summary.parquet`): every
    /// file is uploaded at every backup. They are few and small.
    Rewritten,
}

/// A local directory tree and its name under the destination.
#[derive(Clone, Copy, Debug)]
pub struct Tree<'a> {
    /// Key prefix under the destination, e.g. `landing`.
    pub name: &'static str,
    /// The local root.
    pub local: &'a Path,
    /// How its files change.
    pub kind: TreeKind,
    /// Where files copied (and their bytes) are counted for display, if anywhere.
    pub progress: Option<&'a Progress>,
}

impl<'a> Tree<'a> {
    /// The landing directory (`landing.dir`), stored under `landing/`.
    pub fn landing(local: &'a Path) -> Self {
        Tree {
            name: "landing",
            local,
            kind: TreeKind::WriteOnce,
            progress: None,
        }
    }

    /// The summaries directory (`rollup.out_dir`), stored under `summaries/`.
    pub fn summaries(local: &'a Path) -> Self {
        Tree {
            name: "summaries",
            local,
            kind: TreeKind::Rewritten,
            progress: None,
        }
    }

    /// The same tree, counting each file copied (and its bytes) in `progress`; the total
    /// is the number of files to copy.
    pub fn with_progress(self, progress: &'a Progress) -> Self {
        Tree {
            progress: Some(progress),
            ..self
        }
    }

    /// Counts one file of `bytes` copied.
    fn copied(&self, bytes: u64) {
        if let Some(progress) = self.progress {
            progress.add(1);
            progress.add_bytes(bytes);
        }
    }

    /// Starts counting a pass of `files` to copy.
    fn start_copying(&self, files: usize) {
        if let Some(progress) = self.progress {
            progress.stage(self.name);
            progress.set_total(files as u64);
        }
    }
}

/// What a backup of one tree did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BackupStats {
    /// Local files found in the last pass.
    pub files: usize,
    /// Files uploaded.
    pub uploaded: usize,
    /// Bytes uploaded.
    pub bytes: u64,
    /// Files already stored with the same size (write-once trees only).
    pub unchanged: usize,
    /// Files that vanished before their upload (merged by compaction meanwhile).
    pub vanished: usize,
}

/// What a restore of one tree did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RestoreStats {
    /// Objects found under the tree.
    pub objects: usize,
    /// Files written locally.
    pub downloaded: usize,
    /// Bytes written.
    pub bytes: u64,
    /// Objects not written because a local file of that name exists (it is kept).
    pub kept: usize,
}

/// A local file: its path relative to the tree (`/`-separated), full path and size.
struct LocalFile {
    relative: String,
    path: PathBuf,
    size: u64,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Every data file under `root` (not unfinished `.tmp` files, not dotfiles), sorted; a
/// missing root has none, and a file that vanishes while listed (compaction) is skipped.
async fn local_files(root: &Path) -> Result<Vec<LocalFile>> {
    let listed = Store::local(root).list().await?;
    Ok(listed
        .into_iter()
        .map(|file| LocalFile {
            path: file
                .relative
                .split('/')
                .fold(root.to_path_buf(), |path, part| path.join(part)),
            relative: file.relative,
            size: file.size,
        })
        .collect())
}

/// The objects under `<tree>/`: relative key → size.
async fn stored_objects(destination: &Destination, tree: &str) -> Result<HashMap<String, u64>> {
    let prefix = destination.key(tree);
    let listed: Vec<object_store::ObjectMeta> = destination
        .store()
        .list(Some(&prefix))
        .try_collect()
        .await
        .map_err(|source| Error::Store {
            operation: "list",
            location: destination.display(tree),
            source,
        })?;
    let mut objects = HashMap::with_capacity(listed.len());
    for meta in listed {
        if let Some(parts) = meta.location.prefix_match(&prefix) {
            let relative = parts
                .map(|p| p.as_ref().to_string())
                .collect::<Vec<_>>()
                .join("/");
            objects.insert(relative, meta.size);
        }
    }
    Ok(objects)
}

/// What happened to one file.
enum Upload {
    Done(u64),
    Vanished,
}

/// Streams one local file into an object (a single PUT when small, a multipart upload
/// when large; either appears whole or not at all).
async fn upload(destination: &Destination, tree: &str, file: &LocalFile) -> Result<Upload> {
    let mut local = match tokio::fs::File::open(&file.path).await {
        Ok(local) => local,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(Upload::Vanished),
        Err(err) => return Err(io(&file.path)(err)),
    };
    let relative = format!("{tree}/{}", file.relative);
    let store_error = |source| Error::Store {
        operation: "upload",
        location: destination.display(&relative),
        source,
    };
    let mut writer = BufWriter::new(destination.store().clone(), destination.key(&relative));
    let copied = match tokio::io::copy(&mut local, &mut writer).await {
        Ok(copied) => copied,
        Err(err) => {
            let _ = writer.abort().await;
            return Err(match err.downcast::<object_store::Error>() {
                Ok(source) => store_error(source),
                Err(err) => io(&file.path)(err),
            });
        }
    };
    if let Err(err) = writer.shutdown().await {
        return Err(match err.downcast::<object_store::Error>() {
            Ok(source) => store_error(source),
            Err(err) => Error::Store {
                operation: "upload",
                location: destination.display(&relative),
                source: object_store::Error::Generic {
                    store: "backup",
                    source: Box::new(err),
                },
            },
        });
    }
    Ok(Upload::Done(copied))
}

/// Copies `tree` to the destination, until a pass finds every listed file in place.
pub async fn back_up(destination: &Destination, tree: Tree<'_>) -> Result<BackupStats> {
    if tree.kind == TreeKind::WriteOnce && !tree.local.is_dir() {
        // The landing creates its directory when it starts: a missing one is a wrong
        // path or an unmounted volume, and an empty backup would hide it.
        return Err(Error::Io {
            path: tree.local.to_path_buf(),
            source: std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!(
                    "the {} directory does not exist (check the path and the volume)",
                    tree.name
                ),
            ),
        });
    }
    let mut stats = BackupStats::default();
    let mut stored = stored_objects(destination, tree.name).await?;
    for _pass in 0..MAX_PASSES {
        let files = local_files(tree.local).await?;
        stats.files = files.len();
        let pending: Vec<&LocalFile> = files
            .iter()
            .filter(|file| {
                tree.kind == TreeKind::Rewritten || stored.get(&file.relative) != Some(&file.size)
            })
            .collect();
        if tree.kind == TreeKind::WriteOnce {
            stats.unchanged = files.len() - pending.len();
        }
        tree.start_copying(pending.len());
        let outcomes: Vec<(&LocalFile, Upload)> = futures::stream::iter(pending)
            .map(|file| async move {
                let outcome = upload(destination, tree.name, file).await?;
                if let Upload::Done(bytes) = outcome {
                    tree.copied(bytes);
                }
                Ok::<_, Error>((file, outcome))
            })
            .buffer_unordered(PARALLEL_TRANSFERS)
            .try_collect()
            .await?;
        let mut vanished = 0;
        for (file, outcome) in outcomes {
            match outcome {
                Upload::Done(bytes) => {
                    stats.uploaded += 1;
                    stats.bytes += bytes;
                    stored.insert(file.relative.clone(), bytes);
                }
                Upload::Vanished => vanished += 1,
            }
        }
        stats.vanished += vanished;
        if vanished == 0 {
            return Ok(stats);
        }
        tracing::info!(
            tree = tree.name,
            vanished,
            "files merged while uploading; listing again"
        );
    }
    Err(Error::Unsettled(format!(
        "{}: files kept vanishing during {MAX_PASSES} passes (is compaction running in a loop?); run the backup again",
        tree.local.display()
    )))
}

/// Writes `bytes` from an object to `path` durably: a temporary name, fsync, rename,
/// fsync of the directory, as the landing writes its own files.
async fn download(
    store: &dyn ObjectStore,
    key: &ObjectPath,
    path: &Path,
    location: &str,
) -> Result<u64> {
    let dir = path.parent().ok_or_else(|| Error::Io {
        path: path.to_path_buf(),
        source: std::io::Error::other("no parent directory"),
    })?;
    tokio::fs::create_dir_all(dir).await.map_err(io(dir))?;
    let store_error = |source| Error::Store {
        operation: "download",
        location: location.to_string(),
        source,
    };
    let mut stream = store.get(key).await.map_err(store_error)?.into_stream();
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!("{name}.tmp"));
    let mut file = tokio::fs::File::create(&tmp).await.map_err(io(&tmp))?;
    let mut written = 0u64;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(store_error)?;
        file.write_all(&chunk).await.map_err(io(&tmp))?;
        written += chunk.len() as u64;
    }
    file.sync_all().await.map_err(io(&tmp))?;
    drop(file);
    tokio::fs::rename(&tmp, path).await.map_err(io(path))?;
    tokio::fs::File::open(dir)
        .await
        .map_err(io(dir))?
        .sync_all()
        .await
        .map_err(io(dir))?;
    Ok(written)
}

/// Copies the destination's `tree` back into `tree.local`. A local file of the same
/// name is kept, never overwritten: a restore into a live directory only adds what is
/// missing.
pub async fn restore(destination: &Destination, tree: Tree<'_>) -> Result<RestoreStats> {
    let stored = stored_objects(destination, tree.name).await?;
    let mut stats = RestoreStats {
        objects: stored.len(),
        ..RestoreStats::default()
    };
    let mut wanted = Vec::new();
    for relative in stored.into_keys() {
        let parts: Vec<&str> = relative.split('/').collect();
        let safe = parts
            .iter()
            .all(|p| !p.is_empty() && *p != "." && *p != ".." && !p.contains('\\'));
        if !safe {
            return Err(Error::UnsafeKey {
                location: destination.display(&format!("{}/{relative}", tree.name)),
            });
        }
        let path = parts
            .iter()
            .fold(tree.local.to_path_buf(), |p, part| p.join(part));
        let name = parts.last().copied().unwrap_or_default();
        if !is_visible(name) {
            continue;
        }
        if tokio::fs::try_exists(&path).await.map_err(io(&path))? {
            stats.kept += 1;
        } else {
            wanted.push((relative, path));
        }
    }
    wanted.sort();
    tree.start_copying(wanted.len());
    let written: Vec<u64> = futures::stream::iter(wanted)
        .map(|(relative, path)| async move {
            let relative = format!("{}/{relative}", tree.name);
            let bytes = download(
                destination.store().as_ref(),
                &destination.key(&relative),
                &path,
                &destination.display(&relative),
            )
            .await?;
            tree.copied(bytes);
            Ok::<_, Error>(bytes)
        })
        .buffer_unordered(PARALLEL_TRANSFERS)
        .try_collect()
        .await?;
    stats.downloaded = written.len();
    stats.bytes = written.iter().sum();
    Ok(stats)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::BackupConfig;

    fn write(path: &Path, text: &str) -> Result<()> {
        std::fs::create_dir_all(path.parent().unwrap_or(path)).map_err(io(path))?;
        std::fs::write(path, text).map_err(io(path))
    }

    /// Through a `file://` destination: unfinished and dot files stay home, a second
    /// backup of a write-once tree uploads nothing, and a restore brings back the rest
    /// without touching a file that exists locally.
    #[tokio::test]
    async fn a_tree_goes_and_comes_back_without_its_temporary_files() -> Result<()> {
        let root = tempfile::tempdir().map_err(io(Path::new("tempdir")))?;
        let local = root.path().join("landing");
        let day = "submissions/campaign=c/received_date=2026-03-01";
        write(&local.join(format!("{day}/part-1.parquet")), "one")?;
        write(
            &local.join(format!("{day}/part-2.parquet.tmp")),
            "unfinished",
        )?;
        write(
            &local.join("systems/campaign=c/segment=compacted/part-3.parquet"),
            "three",
        )?;
        write(&local.join(".baocao-demo"), "")?;
        let url = format!("file://{}", root.path().join("backup").display());
        let destination = Destination::open(
            &BackupConfig::default(),
            &baocao_store::S3Config::default(),
            Some(&url),
        )?;

        let first = back_up(&destination, Tree::landing(&local)).await?;
        assert_eq!((first.files, first.uploaded, first.bytes), (2, 2, 8));
        let second = back_up(&destination, Tree::landing(&local)).await?;
        assert_eq!((second.uploaded, second.unchanged), (0, 2));
        assert!(
            root.path()
                .join("backup/landing/systems/campaign=c/segment=compacted/part-3.parquet")
                .is_file()
        );

        let missing = back_up(&destination, Tree::landing(&root.path().join("nowhere"))).await;
        assert!(missing.is_err_and(|err| {
            baocao_errors::Chain(&err)
                .to_string()
                .contains("the landing directory does not exist")
        }));

        let restored = root.path().join("restored");
        write(
            &restored.join("systems/campaign=c/segment=compacted/part-3.parquet"),
            "local",
        )?;
        let stats = restore(&destination, Tree::landing(&restored)).await?;
        assert_eq!((stats.objects, stats.downloaded, stats.kept), (2, 1, 1));
        let read = |path: &str| std::fs::read_to_string(restored.join(path)).unwrap_or_default();
        assert_eq!(read(&format!("{day}/part-1.parquet")), "one");
        assert_eq!(
            read("systems/campaign=c/segment=compacted/part-3.parquet"),
            "local"
        );
        assert!(!restored.join(format!("{day}/part-2.parquet.tmp")).exists());
        Ok(())
    }
}
