//! Backup and restore of baocao's Parquet state — the landed raw tables and the
//! summaries — to S3-compatible object storage or a mounted directory, through
//! `object_store`. The landing and rollups keep working on local disk (fsync and rename
//! are what make a committed Kafka offset safe); the backup copies that disk, while
//! they run, to storage that outlives the server. `docs/operations.md` §backup.

mod copy;
mod destination;
mod error;

pub use copy::{BackupStats, RestoreStats, Tree, TreeKind, back_up, restore};
pub use destination::{BackupConfig, Destination};
pub use error::{Error, Result};
