//! Where the raw tables' Parquet files go under a landing root, in one place: the landing
//! writes there, compaction merges there, the rollup and the catalog read there.
//!
//! `<table>/campaign=<id>/received_date=<day>/part-….parquet` for landed batches, and
//! `<table>/campaign=<id>/segment=compacted/…` for compacted segments (DataFusion's
//! listing skips subdirectories whose name is not `key=value`, so both have that shape).

use std::path::{Path, PathBuf};

use chrono::NaiveDate;

/// The two raw tables, by directory name.
pub const SUBMISSIONS: &str = "submissions";
/// See [`SUBMISSIONS`].
pub const SYSTEMS: &str = "systems";
/// The review decisions (`reviews/campaign=<id>/part-….parquet`, not compacted).
pub const REVIEWS: &str = "reviews";

/// Directory of a campaign's compacted segments, beside the `received_date=` folders.
pub const COMPACTED_DIR: &str = "segment=compacted";

/// How a campaign's directory name starts: `campaign=<id>`.
pub const CAMPAIGN_DIR_PREFIX: &str = "campaign=";

/// A campaign's directory of a raw table, relative to the landing root:
/// `<table>/campaign=<id>`.
pub fn campaign_key(table: &str, campaign: &str) -> String {
    format!("{table}/{CAMPAIGN_DIR_PREFIX}{campaign}")
}

/// A raw table's partition, relative to the landing root:
/// `<table>/campaign=<id>/received_date=<day>`.
pub fn partition_key(table: &str, campaign: &str, received_date: NaiveDate) -> String {
    format!(
        "{}/received_date={received_date}",
        campaign_key(table, campaign)
    )
}

/// Path of a raw table's partition directory under a local landing root.
pub fn partition_dir(
    root: &Path,
    table: &str,
    campaign: &str,
    received_date: NaiveDate,
) -> PathBuf {
    root.join(partition_key(table, campaign, received_date))
}
