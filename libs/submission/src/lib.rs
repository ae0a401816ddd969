//! The one submission core: every front door (the gRPC gateways today; the web portal and
//! the spreadsheet import next) hands an authenticated submitter and a report to
//! [`SubmissionCore::submit`], which authorises, validates, writes durably to Kafka once
//! per (unit, submission id) and returns the [`Receipt`] — or a [`Refusal`], which each
//! door answers with its own status and says in the one wording of `baocao_rules`. The
//! rules of a report live in `baocao_rules` (every field, no I/O); here are the parts
//! that need Kafka: `index.rs` (which ids were accepted with which content), the review
//! desk, and `rate_limit.rs`.

mod clock;
mod core;
mod error;
mod follow;
pub mod index;
pub mod rate_limit;
pub mod reviews;

pub use crate::clock::{CampaignClock, Clock, SystemClock};
pub use crate::core::{Checked, CoreParts, Receipt, Scope, SubmissionCore, follow_scope};
pub use error::{Error, Refusal, Result};
