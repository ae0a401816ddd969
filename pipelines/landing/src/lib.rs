//! Landing: report envelopes from Kafka into raw Parquet tables, partitioned by campaign
//! and received date, with bounded memory. Offsets are committed only after the files are
//! durable; records that cannot be decoded go to a dead-letter topic with the reason.
//! The raw tables are the history every rollup and audit query reads (`docs/schema.md`).

pub mod batch;
pub mod compact;
mod error;
mod landing;
pub mod rows;

pub use error::{Error, Result};
pub use landing::{Lander, LandingConfig, LandingStats, RunMode, partition_dir, partition_key};
pub use rows::{SUBMISSIONS_SCHEMA, SYSTEMS_SCHEMA};
