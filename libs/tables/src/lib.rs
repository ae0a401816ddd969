//! The raw tables' contract, shared by the landing (which writes them), compaction, the
//! rollup, the SQL catalog and the tests (which read them): the schemas of `submissions`
//! and `systems` with the envelope → rows code that fills them, and the partition layout.
//! Pure: no Kafka, no I/O; `docs/schema.md` documents every column.

mod error;
pub mod layout;
pub mod rows;

pub use error::{Error, Result};
pub use rows::{
    LoggedReview, REVIEWS_SCHEMA, SUBMISSIONS_SCHEMA, SYSTEMS_SCHEMA, date32, review_rows,
};
