//! The in-memory batch between flushes: decoded envelopes grouped by (campaign, received
//! day) into Arrow columns, written as one Parquet file per partition directory. Shared by
//! the Kafka lander and by `baocao gen` (which lands a synthetic workload without a
//! broker), so both measure and run the same decode → Arrow → Parquet path.

use std::collections::BTreeMap;
use std::time::Instant;

use baocao_proto::v1::ReportEnvelope;
use baocao_store::Store;
use chrono::NaiveDate;
use prost::Message as _;

use crate::Result;
use baocao_tables::layout::{self, partition_key};
use baocao_tables::rows::{PartitionRows, check_envelope, received_at};

/// Decodes a record's payload into an envelope this build understands, or says why not
/// (the reason a dead letter carries).
pub fn decode_envelope(payload: &[u8]) -> Result<ReportEnvelope, String> {
    let envelope = ReportEnvelope::decode(payload)
        .map_err(|err| format!("not a baocao.v1.ReportEnvelope: {err}"))?;
    check_envelope(&envelope)?;
    Ok(envelope)
}

/// What one [`PendingBatch::write`] wrote.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WrittenBatch {
    /// Parquet files written.
    pub files: usize,
    /// Submission rows.
    pub submissions: usize,
    /// Camera-system rows.
    pub systems: usize,
}

/// Envelopes accumulated since the last write.
#[derive(Default)]
pub struct PendingBatch {
    partitions: BTreeMap<(String, NaiveDate), PartitionRows>,
    records: usize,
    oldest: Option<Instant>,
}

impl PendingBatch {
    /// Adds one envelope (from Kafka `partition`/`offset`).
    pub fn push(&mut self, envelope: &ReportEnvelope, partition: i32, offset: i64) {
        let campaign = envelope
            .report
            .as_ref()
            .map(|r| r.campaign_id.clone())
            .unwrap_or_default();
        let day = baocao_registry::vietnam_date(received_at(envelope));
        self.partitions
            .entry((campaign, day))
            .or_default()
            .push(envelope, partition, offset);
        self.records += 1;
        self.oldest.get_or_insert_with(Instant::now);
    }

    /// Envelopes held.
    pub fn records(&self) -> usize {
        self.records
    }

    /// When the oldest held envelope arrived.
    pub fn oldest(&self) -> Option<Instant> {
        self.oldest
    }

    /// Writes every partition into `landing` (systems before submissions: a submission
    /// row is visible only once its systems are) and empties the batch.
    pub async fn write(&mut self, landing: &Store) -> Result<WrittenBatch> {
        let mut written = WrittenBatch::default();
        let batch_id = uuid::Uuid::now_v7();
        for ((campaign, day), rows) in std::mem::take(&mut self.partitions) {
            let (submissions, systems) = rows.finish()?;
            let name = format!("part-{batch_id}.parquet");
            if systems.num_rows() > 0 {
                let key = format!("{}/{name}", partition_key(layout::SYSTEMS, &campaign, day));
                landing.put_parquet(&key, systems.clone()).await?;
                written.files += 1;
            }
            let key = format!(
                "{}/{name}",
                partition_key(layout::SUBMISSIONS, &campaign, day)
            );
            landing.put_parquet(&key, submissions.clone()).await?;
            written.files += 1;
            written.submissions += submissions.num_rows();
            written.systems += systems.num_rows();
        }
        self.records = 0;
        self.oldest = None;
        Ok(written)
    }
}
