//! The one submission core: every front door (the gRPC gateways today; the web portal and
//! the spreadsheet import next) hands an authenticated submitter and a report to
//! [`SubmissionCore::submit`], which authorises, validates, writes durably to Kafka once
//! per (unit, submission id) and returns the [`Receipt`] — or a [`Refusal`] that the door
//! words its own way. Rules live here once: `validate.rs` (every field), `index.rs` (which
//! ids were accepted with which content), `rate_limit.rs`.

mod clock;
mod core;
mod error;
pub mod index;
pub mod rate_limit;
pub mod reviews;
pub mod typed;
pub mod validate;

pub use crate::clock::{CampaignClock, Clock, SystemClock};
pub use crate::core::{Checked, CoreParts, Receipt, Scope, SubmissionCore, follow_scope};
pub use error::{Error, Refusal, Result};
