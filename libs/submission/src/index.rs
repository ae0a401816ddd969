//! The gateway's record of every accepted submission of the units it serves, keyed by
//! (unit, submission id) and rebuilt from the reports topic: read to its end before the
//! gateway serves, then followed, so a repeat is answered as a repeat and a reused id
//! with other content is refused whichever replica accepted the first one, and after any
//! restart. The topic is the truth; this is a view of it, and it knows how far it has
//! read each partition ([`SubmissionIndex::read_back`]): a gateway that wrote a record
//! waits until the view holds it, then answers OK only if its record is the first of its
//! key in the log (the copy the rollup counts).

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use baocao_proto::canonical::{canonical_submission_id, content_digest};
use baocao_proto::v1::{ReportEnvelope, StatusReport};
use prost::Message;

use crate::Result;
pub use crate::follow::IndexFollower;
pub(crate) use crate::follow::follow_records;
use baocao_kafka::KafkaConfig;

/// The idempotency key of a report: two units may use the same id.
#[derive(Clone, Debug, Hash, PartialEq, Eq)]
pub struct SubmissionKey {
    /// The unit reported on.
    pub unit: String,
    /// The canonical submission id.
    pub id: String,
}

/// What was accepted under a key: the content digest and the receipt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Accepted {
    /// [`content_digest`] of the accepted report.
    pub digest: [u8; 32],
    /// When it was accepted.
    pub received_at: pbjson_types::Timestamp,
    /// The campaign it was for.
    pub campaign: String,
    /// Where the record is in the log (partition, offset), when read from it.
    pub position: Option<(i32, i64)>,
    /// The front door that wrote it (its receipt names it, whoever answers a repeat).
    pub front_door: String,
}

/// How a read-back ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReadBack {
    /// The follower has applied the record at the offset waited for.
    Reached,
    /// The follower does not read that partition (added after it started).
    NotFollowed,
    /// The follower did not get there in time.
    TimedOut,
}

/// How far a follower has read each partition it follows (the next offset to read), and a
/// wake-up for whoever waits for it to move.
#[derive(Default)]
pub struct ReadPositions {
    next: std::sync::Mutex<HashMap<i32, i64>>,
    moved: tokio::sync::Notify,
    /// Wakes the follower to look for partitions added to the topic.
    pub(crate) unknown: tokio::sync::Notify,
}

impl ReadPositions {
    pub(crate) fn follow(&self, partitions: impl IntoIterator<Item = i32>) {
        if let Ok(mut next) = self.next.lock() {
            for partition in partitions {
                next.entry(partition).or_insert(0);
            }
        }
        self.moved.notify_waiters();
    }

    pub(crate) fn advance(&self, partition: i32, offset: i64) {
        if let Ok(mut next) = self.next.lock() {
            let at = next.entry(partition).or_insert(0);
            *at = (*at).max(offset + 1);
        }
        self.moved.notify_waiters();
    }

    fn state(&self, partition: i32, offset: i64) -> Option<bool> {
        let next = self.next.lock().ok()?;
        next.get(&partition).map(|next| *next > offset)
    }

    /// Waits until the record at `offset` of `partition` has been applied. A partition
    /// not followed yet (added to the topic since the follower started) wakes the
    /// follower to look for it, and is waited for like the others.
    pub async fn reached(&self, partition: i32, offset: i64, wait: Duration) -> ReadBack {
        let deadline = tokio::time::Instant::now() + wait;
        let mut followed;
        loop {
            let moved = self.moved.notified();
            match self.state(partition, offset) {
                None => {
                    followed = false;
                    self.unknown.notify_one();
                }
                Some(true) => return ReadBack::Reached,
                Some(false) => followed = true,
            }
            if tokio::time::timeout_at(deadline, moved).await.is_err() {
                return if followed {
                    ReadBack::TimedOut
                } else {
                    ReadBack::NotFollowed
                };
            }
        }
    }
}

/// The newest accepted version of a unit's report for a campaign (what a form pre-fills).
#[derive(Clone, Debug, PartialEq)]
pub struct LatestVersion {
    /// When it was accepted.
    pub received_at: pbjson_types::Timestamp,
    /// The unit that sent it (a district office for its commune, or the unit itself).
    pub submitted_by: String,
    /// The report, in canonical form.
    pub report: StatusReport,
}

/// Each (unit, campaign)'s accepted versions, oldest first.
type VersionsByUnit = HashMap<(String, String), Vec<Arc<LatestVersion>>>;

/// Accepted submissions by key; the first acceptance of a key wins, as in the rollup.
/// Built [`SubmissionIndex::keeping_latest`], it also keeps each unit's versions per
/// campaign, oldest first (the web portal's forms start from the newest; review compares
/// it with the last approved one).
#[derive(Default)]
pub struct SubmissionIndex {
    entries: RwLock<HashMap<SubmissionKey, Accepted>>,
    versions: Option<RwLock<VersionsByUnit>>,
    positions: Arc<ReadPositions>,
}

impl SubmissionIndex {
    /// An index that also keeps each unit's versions per campaign.
    pub fn keeping_latest() -> Self {
        SubmissionIndex {
            entries: RwLock::default(),
            versions: Some(RwLock::default()),
            positions: Arc::default(),
        }
    }

    /// The newest accepted report of `unit` for `campaign`, when this index keeps them.
    pub fn latest(&self, unit: &str, campaign: &str) -> Option<LatestVersion> {
        self.versions(unit, campaign)
            .last()
            .map(|newest| LatestVersion::clone(newest))
    }

    /// Every accepted version of `unit`'s report for `campaign`, oldest first (empty when
    /// this index does not keep them).
    pub fn versions(&self, unit: &str, campaign: &str) -> Vec<Arc<LatestVersion>> {
        let Some(versions) = self.versions.as_ref().and_then(|v| v.read().ok()) else {
            return Vec::new();
        };
        versions
            .get(&(unit.to_string(), campaign.to_string()))
            .cloned()
            .unwrap_or_default()
    }

    /// Keeps `report` among its unit's versions for its campaign, in the order received
    /// (records of a unit arrive in Kafka order, so an equal time means newer); a
    /// submission id already kept is not a new version.
    pub fn note_latest(
        &self,
        report: &StatusReport,
        received_at: pbjson_types::Timestamp,
        submitted_by: &str,
    ) {
        let Some(mut versions) = self.versions.as_ref().and_then(|v| v.write().ok()) else {
            return;
        };
        let key = (report.unit_code.clone(), report.campaign_id.clone());
        let kept = versions.entry(key).or_default();
        let canonical =
            |raw: &str| canonical_submission_id(raw).unwrap_or_else(|| raw.trim().to_string());
        let id = canonical(&report.submission_id);
        if kept
            .iter()
            .any(|v| canonical(&v.report.submission_id) == id)
        {
            return;
        }
        let at = (received_at.seconds, received_at.nanos);
        let place = kept.partition_point(|v| (v.received_at.seconds, v.received_at.nanos) <= at);
        kept.insert(
            place,
            Arc::new(LatestVersion {
                received_at,
                submitted_by: submitted_by.to_string(),
                report: report.clone(),
            }),
        );
    }

    /// What was accepted under `key`, if anything.
    pub fn get(&self, key: &SubmissionKey) -> Option<Accepted> {
        self.entries.read().ok()?.get(key).cloned()
    }

    /// Records an acceptance unless the key already has one.
    pub fn record(&self, key: SubmissionKey, accepted: Accepted) {
        if let Ok(mut entries) = self.entries.write() {
            entries.entry(key).or_insert(accepted);
        }
    }

    /// Waits until the follower has applied the record at `offset` of `partition` (this
    /// front door's own record, just written).
    pub async fn read_back(&self, partition: i32, offset: i64, wait: Duration) -> ReadBack {
        self.positions.reached(partition, offset, wait).await
    }

    /// Keys held.
    pub fn len(&self) -> usize {
        self.entries.read().map(|e| e.len()).unwrap_or(0)
    }

    /// Whether nothing is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Records the envelope of the record at `position` if its unit is one of `serves`,
    /// and that the follower has read that far. Records that are not envelopes are
    /// skipped (the landing dead-letters them).
    fn apply(&self, payload: &[u8], position: (i32, i64), serves: &dyn Fn(&str) -> bool) {
        self.record_envelope(payload, position, serves);
        self.positions.advance(position.0, position.1);
    }

    fn record_envelope(&self, payload: &[u8], position: (i32, i64), serves: &dyn Fn(&str) -> bool) {
        let Ok(envelope) = ReportEnvelope::decode(payload) else {
            return;
        };
        let (Some(report), Some(received_at)) = (envelope.report, envelope.received_at) else {
            return;
        };
        if !serves(&report.unit_code) {
            return;
        }
        self.note_latest(&report, received_at, &envelope.authenticated_unit);
        let id = canonical_submission_id(&report.submission_id)
            .unwrap_or_else(|| report.submission_id.clone());
        let accepted = Accepted {
            digest: content_digest(&report),
            received_at,
            campaign: report.campaign_id.clone(),
            position: Some(position),
            front_door: envelope.gateway_id.clone(),
        };
        self.record(
            SubmissionKey {
                unit: report.unit_code,
                id,
            },
            accepted,
        );
    }
}

/// Reads the reports topic from its beginning into `index` (units for which `serves` is
/// true) up to the end it had when called, then follows it in the background.
pub async fn follow_topic(
    kafka: &KafkaConfig,
    index: Arc<SubmissionIndex>,
    serves: Arc<dyn Fn(&str) -> bool + Send + Sync>,
) -> Result<IndexFollower> {
    let apply = {
        let index = index.clone();
        Arc::new(move |payload: &[u8], position: (i32, i64)| {
            index.apply(payload, position, serves.as_ref())
        })
    };
    let follower =
        follow_records(kafka, &kafka.reports_topic, apply, index.positions.clone()).await?;
    tracing::info!(
        submissions = index.len(),
        "submission index read from the topic"
    );
    Ok(follower)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(unit: &str, id: &str, notes: &str) -> StatusReport {
        let as_of = baocao_fixtures::date(2023, 3, 1);
        StatusReport {
            notes: notes.into(),
            ..baocao_fixtures::report("c", unit, id, as_of, vec![])
        }
    }

    fn envelope(unit: &str, id: &str, notes: &str, seconds: i64) -> Vec<u8> {
        let received_at = pbjson_types::Timestamp { seconds, nanos: 0 };
        baocao_fixtures::envelope(report(unit, id, notes), received_at).encode_to_vec()
    }

    #[test]
    fn keys_are_per_unit_in_canonical_form_and_the_first_acceptance_wins() {
        let index = SubmissionIndex::default();
        let id = "0192f0c1-7a4e-7cc2-9f0e-5b1d2c3e4f50";
        let serves = |unit: &str| unit != "other";
        index.apply(&envelope("a", id, "first", 1), (0, 0), &serves);
        index.apply(
            &envelope("a", &id.to_uppercase(), "second", 2),
            (0, 1),
            &serves,
        );
        index.apply(&envelope("b", id, "b's own", 3), (0, 2), &serves);
        index.apply(&envelope("other", id, "not served", 4), (0, 3), &serves);
        index.apply(b"\xff\xff not an envelope", (0, 4), &serves);
        assert_eq!(index.len(), 2);
        let key = |unit: &str| SubmissionKey {
            unit: unit.into(),
            id: id.into(),
        };
        let a = index.get(&key("a")).expect("a");
        assert_eq!(a.received_at.seconds, 1);
        assert_eq!(a.digest, content_digest(&report("a", id, "first")));
        assert_eq!(index.get(&key("b")).map(|b| b.received_at.seconds), Some(3));
        assert_eq!(index.get(&key("other")), None);
    }
}
