//! The rules of a report, without I/O: what makes a report valid ([`validate`], every
//! problem at once with its field path), the form people fill, typed ([`typed`]: the
//! web form and the spreadsheet read into it), and how a refusal is said to a person in
//! Vietnamese ([`wording`]), and the review vocabulary ([`review`]). The submission core, the portal, the spreadsheet reader and
//! the fuzz target share them, and none of them needs Kafka to do so.

pub mod changes;
pub mod review;
pub mod typed;
pub mod validate;
pub mod wording;

pub use review::{Decision, ReviewState};
pub use validate::Violation;
pub use wording::{Door, Refused, Said, said};
