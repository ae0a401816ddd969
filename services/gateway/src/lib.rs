//! The tier gateway: the gRPC front door of the submission core. It authenticates
//! reporting units by bearer token before a body is read ([`guard`]), hands each report
//! to [`baocao_submission::SubmissionCore`] (authorise, validate, durable produce,
//! receipt) and words the core's refusals as gRPC statuses ([`status`]); it also answers
//! the registry lookups of `ReportingService`.

mod error;
pub mod guard;
pub mod metrics;
mod queue;
mod server;
mod service;
pub mod status;

pub use baocao_submission::{Clock, SystemClock};
pub use error::{Error, Result};
pub use server::{GatewayConfig, RunningGateway, start_gateway, start_gateway_with_clock};
pub use service::ReportingGateway;
