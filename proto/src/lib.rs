//! The baocao.v1 contracts: the `ReportingService` gRPC API, the `StatusReport` a unit
//! submits and the `ReportEnvelope` written to Kafka. Generated from `proto/baocao/v1/`;
//! messages serialize with serde in the protobuf JSON mapping (so report files in JSON or
//! TOML use the same field names as the `.proto`).

pub mod canonical;
pub mod codec;

/// Generated code for package `baocao.v1`.
#[allow(missing_docs, clippy::all, clippy::pedantic)]
pub mod v1 {
    tonic::include_proto!("baocao.v1");
    include!(concat!(env!("OUT_DIR"), "/baocao.v1.serde.rs"));

    /// Encoded `FileDescriptorSet` of baocao.v1, for gRPC server reflection.
    pub const FILE_DESCRIPTOR_SET: &[u8] =
        include_bytes!(concat!(env!("OUT_DIR"), "/baocao_v1_descriptor.bin"));
}

impl v1::ReviewEvent {
    /// When the decision was made, in milliseconds since the epoch (0 when unset): the
    /// instant the `reviews` table lands and the order in which decisions on one version
    /// count (the earliest).
    pub fn reviewed_at_ms(&self) -> i64 {
        self.reviewed_at.as_ref().map_or(0, |t| {
            t.seconds.saturating_mul(1000) + i64::from(t.nanos / 1_000_000)
        })
    }
}

/// The envelope schema version this build writes and understands.
pub const ENVELOPE_SCHEMA_VERSION: u32 = 1;

/// Default Kafka topic for accepted reports.
pub const DEFAULT_REPORTS_TOPIC: &str = "baocao.reports.v1";
