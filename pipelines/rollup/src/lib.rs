//! Rollups: DataFusion SQL over the raw landing tables and the registry computes each
//! unit's state as of a cut-off (its latest accepted submission), completeness and
//! timeliness against a milestone, and sums every indicator up the hierarchy (unit →
//! commune → district → province). Results are Parquet summaries with a stable schema
//! (`docs/schema.md`), read back through `baocao_catalog`, and the Chairman's report of
//! `baocao_report`, written here ([`documents`]).

pub mod documents;
mod earlier;
mod error;
pub mod latest;
mod rollup;
pub mod sql;

pub use baocao_catalog::{Lineage, RollupOutput, summary_file};
pub use earlier::units_late_at_earlier_milestones;
pub use error::{Error, Result};
pub use rollup::{RollupRequest, register_per_unit, run_rollup, session};
