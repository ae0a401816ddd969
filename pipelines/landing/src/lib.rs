//! Landing: report envelopes from Kafka into raw Parquet tables, partitioned by campaign
//! and received date, with bounded memory. Offsets are committed only after the files are
//! durable; records that cannot be decoded go to a dead-letter topic with the reason.
//! The raw tables are the history every rollup and audit query reads (`docs/schema.md`).

pub mod batch;
pub mod compact;
mod error;
mod landing;
mod reviews;

pub use error::{Error, Result};
pub use landing::{Lander, LandingConfig, LandingStats, RunMode};
pub use reviews::{ReviewsLanded, land_reviews};
