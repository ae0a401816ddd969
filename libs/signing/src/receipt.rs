//! The receipt: what a gateway certifies it accepted, as canonical bytes (compact JSON,
//! fields in a fixed order, the time in UTC with nanoseconds), so that the same
//! acceptance always gives the same bytes.

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// The receipt format's name and version, the first field of every receipt.
pub const RECEIPT_SCHEMA: &str = "baocao.receipt.v1";

/// What a gateway certifies: it accepted this report, at this time, and wrote it here.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Receipt {
    /// Always [`RECEIPT_SCHEMA`].
    pub schema: String,
    /// The reporting unit.
    pub unit_code: String,
    /// The campaign.
    pub campaign_id: String,
    /// The submission id (canonical).
    pub submission_id: String,
    /// SHA-256 of the canonical report (protobuf), hex.
    pub report_sha256: String,
    /// When it was first accepted, UTC, RFC 3339 with nanoseconds.
    pub received_at: String,
    /// The gateway that first accepted it.
    pub gateway_id: String,
    /// The Kafka topic it was written to.
    pub topic: String,
    /// Its partition.
    pub partition: i32,
    /// Its offset.
    pub offset: i64,
}

impl Receipt {
    /// A receipt of these facts; `received_at` as (seconds, nanoseconds) since the epoch.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        unit_code: &str,
        campaign_id: &str,
        submission_id: &str,
        report_sha256: [u8; 32],
        received_at: (i64, i32),
        gateway_id: &str,
        (topic, partition, offset): (&str, i32, i64),
    ) -> Self {
        let at = chrono::DateTime::from_timestamp(received_at.0, received_at.1.max(0) as u32)
            .unwrap_or_default();
        Receipt {
            schema: RECEIPT_SCHEMA.to_string(),
            unit_code: unit_code.to_string(),
            campaign_id: campaign_id.to_string(),
            submission_id: submission_id.to_string(),
            report_sha256: hex::encode(report_sha256),
            received_at: at.to_rfc3339_opts(chrono::SecondsFormat::Nanos, true),
            gateway_id: gateway_id.to_string(),
            topic: topic.to_string(),
            partition,
            offset,
        }
    }

    /// The bytes that are signed: compact JSON, fields in declaration order.
    pub fn to_bytes(&self) -> Vec<u8> {
        // Serialising a struct of strings and integers cannot fail.
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// The receipt of signed bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        serde_json::from_slice(bytes).map_err(Error::Receipt)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_facts_give_the_same_bytes() {
        let receipt = || {
            Receipt::new(
                "14755",
                "th-open",
                "0190f3c2-7d2a-7c3e-9a55-1d2e3f405060",
                [7; 32],
                (1_765_135_800, 123_456_789),
                "commune-38",
                ("reports", 2, 41),
            )
        };
        let bytes = receipt().to_bytes();
        assert_eq!(bytes, receipt().to_bytes());
        let text = String::from_utf8(bytes.clone()).unwrap_or_default();
        assert!(
            text.starts_with(r#"{"schema":"baocao.receipt.v1","unit_code":"14755","#),
            "{text}"
        );
        assert!(
            text.contains(r#""received_at":"2025-12-07T19:30:00.123456789Z""#),
            "{text}"
        );
        assert_eq!(Receipt::from_bytes(&bytes).ok(), Some(receipt()));
    }
}
