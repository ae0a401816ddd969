//! Rollups: DataFusion SQL over the raw landing tables and the registry computes each
//! unit's state as of a cut-off (its latest accepted submission), completeness and
//! timeliness against a milestone, and sums every indicator up the hierarchy (unit →
//! commune → district → province). Results are Parquet summaries with a stable schema
//! (`docs/schema.md`) and the Chairman's report ([`report`]).

pub mod catalog;
mod error;
pub mod history;
pub mod latest;
mod raw;
pub mod report;
mod rollup;
pub mod sql;
mod units_table;

pub use error::{Error, Result};
pub use raw::end_of_vietnam_day_ms;
pub use rollup::{
    Lineage, RollupOutput, RollupRequest, register_per_unit, run_rollup, session, summary_file,
};
pub use units_table::units_batch;
