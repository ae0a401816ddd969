//! Where baocao keeps its Parquet state: the landed raw tables and the summaries live in
//! a [`Store`], either a local directory (files written to a temporary name, fsynced and
//! renamed into place) or a prefix of an S3-compatible bucket (each file one whole-object
//! PUT). Both give what the landing and the rollups rely on: a file under its final name
//! is complete and durable, readers never see part of one. See `docs/operations.md` §7.

mod backend;
mod bucket;
mod error;
pub mod files;
mod local;
mod progress;
pub mod s3;
mod store;

pub use backend::{StoredFile, is_visible};
pub use error::{Error, Result};
pub use progress::{Progress, ProgressSnapshot};
pub use s3::S3Config;
pub use store::Store;
