//! The tier gateway: a tonic gRPC service that authenticates reporting units by bearer
//! token, checks that the unit belongs to this gateway's tier and jurisdiction, validates
//! the report ([`validate`]) and writes it to Kafka ([`producer`]), answering OK only
//! once the broker has acknowledged it (acks=all, idempotent producer).

mod error;
pub mod guard;
pub mod index;
pub mod metrics;
pub mod rate_limit;
mod server;
mod service;
pub mod status;
pub mod validate;

pub use error::{Error, Result};
pub use server::{GatewayConfig, RunningGateway, start_gateway, start_gateway_with_clock};
pub use service::{Clock, GatewayParts, ReportingGateway, SystemClock};
