//! Review by the level above: a reviewer approves or returns one version (unit,
//! submission id) of a report with a reason. Decisions are events on the reviews topic,
//! keyed by the reviewed unit; the first decision in the log for a version is the one
//! that counts (a desk answers OK only after reading its own decision back as that
//! first), and a unit's status is its latest version with that version's decision (a
//! correction after an approval is pending again).

mod queue;

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use baocao_kafka::{KafkaConfig, ReportProducer};
use baocao_proto::canonical::canonical_submission_id;
use baocao_proto::v1::ReviewEvent;
use baocao_registry::Registry;
use prost::Message;

use crate::index::{
    IndexFollower, LatestVersion, ReadBack, ReadPositions, SubmissionIndex, SubmissionKey,
    follow_records,
};
use crate::{Refusal, Result, SubmissionCore};
use baocao_rules::validate::{Violation, shown};
use baocao_rules::{Decision, ReviewState};

pub use queue::{
    AreaBacklog, Queue, QueueFilter, QueueItem, QueueOrder, StateCounts, Timing, current_milestone,
};

/// The longest reason a reviewer may give, in characters.
pub const MAX_REASON_CHARS: usize = 2_000;

/// Longest wait for a desk's own decision to come back from the reviews topic.
const READ_BACK_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// How long a review waits for a version accepted a moment ago to arrive from the topic.
pub const VERSION_WAIT: std::time::Duration = std::time::Duration::from_secs(3);

/// Version of [`ReviewEvent`]'s schema written here.
pub const REVIEW_SCHEMA_VERSION: u32 = 1;

/// A decision and its (partition, offset) in the reviews topic.
type Logged = (ReviewEvent, (i32, i64));

/// The first decision on each version in the reviews topic, and how far the topic has
/// been read.
#[derive(Default)]
pub struct ReviewIndex {
    first: RwLock<HashMap<SubmissionKey, Logged>>,
    positions: Arc<ReadPositions>,
}

impl ReviewIndex {
    /// The decision on `key`, if one was recorded.
    pub fn decision(&self, key: &SubmissionKey) -> Option<ReviewEvent> {
        self.first
            .read()
            .ok()?
            .get(key)
            .map(|(event, _)| event.clone())
    }

    /// Where the decision on `key` is in the log.
    fn position(&self, key: &SubmissionKey) -> Option<(i32, i64)> {
        self.first.read().ok()?.get(key).map(|(_, at)| *at)
    }

    /// Records `event`, read at `position` of the reviews topic, unless its version has a
    /// decision earlier in the log. The log's order is the rollup's
    /// (`baocao_rollup::sql::DECISION_ORDER`): a version's decisions share its unit's
    /// partition, so the desk, the SQL views and the summaries count the same decision
    /// whatever the replicas' clocks say.
    pub fn record(&self, event: ReviewEvent, position: (i32, i64)) {
        let key = SubmissionKey {
            unit: event.unit_code.clone(),
            id: canonical_submission_id(&event.submission_id)
                .unwrap_or_else(|| event.submission_id.clone()),
        };
        if let Ok(mut first) = self.first.write() {
            match first.get(&key) {
                Some((_, kept)) if *kept <= position => {}
                _ => {
                    first.insert(key, (event, position));
                }
            }
        }
    }

    fn apply(&self, payload: &[u8], position: (i32, i64)) {
        if let Ok(event) = ReviewEvent::decode(payload) {
            self.record(event, position);
        }
        self.positions.advance(position.0, position.1);
    }
}

/// What a reviewer asks: a decision on one version.
#[derive(Clone, Debug)]
pub struct ReviewRequest {
    /// The reviewed unit.
    pub unit_code: String,
    /// The campaign.
    pub campaign_id: String,
    /// The version's submission id.
    pub submission_id: String,
    /// Approve or return; `None` (a decision the door could not read) is refused.
    pub decision: Option<Decision>,
    /// Why.
    pub reason: String,
}

/// A unit's latest version of a campaign's report and its review.
#[derive(Clone, Debug)]
pub struct ReviewStatus {
    /// The latest accepted version, if any.
    pub latest: Option<(String, LatestVersion)>,
    /// The decision on it, if any.
    pub decision: Option<ReviewEvent>,
}

impl ReviewStatus {
    /// The state of the unit's latest version.
    pub fn state(&self) -> ReviewState {
        ReviewState::of(
            self.latest.is_some(),
            self.decision.as_ref().map(|d| d.decision.as_str()),
        )
    }
}

/// The review door of one gateway: every accepted version in its jurisdiction, every
/// decision, and the producer of decisions.
pub struct ReviewDesk {
    core: Arc<SubmissionCore>,
    submissions: Arc<SubmissionIndex>,
    reviews: Arc<ReviewIndex>,
    producer: ReportProducer,
    /// One decision at a time: a second decision on a version waits for the first and
    /// is then refused.
    deciding: tokio::sync::Mutex<()>,
    /// Administrative code whose units this desk decides on (empty: all).
    jurisdiction: String,
    _followers: (IndexFollower, IndexFollower),
}

fn violation(field: &str, reason: String, reason_vi: String) -> Refusal {
    Refusal::Invalid(vec![Violation {
        field: field.to_string(),
        reason,
        reason_vi,
    }])
}

/// The checks of a decision that need nothing but the request: the version is named,
/// the decision is one of the two, and the reason is plain text of a bounded length
/// (required to return).
fn check_request(request: &ReviewRequest) -> Result<(), Refusal> {
    for (field, value) in [
        ("unit_code", &request.unit_code),
        ("campaign_id", &request.campaign_id),
        ("submission_id", &request.submission_id),
    ] {
        if value.trim().is_empty() {
            return Err(Refusal::Missing { field });
        }
    }
    let Some(decision) = request.decision else {
        return Err(violation(
            "decision",
            "must be APPROVE or RETURN".to_string(),
            "Chọn phê duyệt hoặc trả lại.".to_string(),
        ));
    };
    let reason_chars = request.reason.chars().count();
    if reason_chars > MAX_REASON_CHARS {
        return Err(violation(
            "reason",
            format!("at most {MAX_REASON_CHARS} characters (got {reason_chars})"),
            format!("Lý do tối đa {MAX_REASON_CHARS} ký tự (đang có {reason_chars})."),
        ));
    }
    if request
        .reason
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err(violation(
            "reason",
            "contains control characters (NUL, ESC, C1 …)".to_string(),
            "Lý do chứa ký tự điều khiển không hợp lệ.".to_string(),
        ));
    }
    if decision == Decision::Return && request.reason.trim().is_empty() {
        return Err(violation(
            "reason",
            "is required to return a report".to_string(),
            "Ghi lý do trả lại báo cáo.".to_string(),
        ));
    }
    Ok(())
}

impl ReviewDesk {
    /// Opens the desk of `core`'s jurisdiction: reads every accepted report in it (any
    /// tier) and every decision, and follows both topics.
    pub async fn open(
        kafka: &KafkaConfig,
        core: Arc<SubmissionCore>,
        jurisdiction: &str,
    ) -> Result<Self> {
        if kafka.create_topic {
            baocao_kafka::ensure_kept_topic(kafka, &kafka.reviews_topic, kafka.topic_partitions)
                .await?;
        }
        let registry = core.registry();
        let scope = crate::Scope {
            tier: None,
            jurisdiction: jurisdiction.to_string(),
        };
        let (submissions, submissions_follower) =
            crate::follow_scope(kafka, &registry, &scope, true).await?;
        let reviews = Arc::new(ReviewIndex::default());
        let apply = {
            let reviews = reviews.clone();
            Arc::new(move |payload: &[u8], position: (i32, i64)| reviews.apply(payload, position))
        };
        let reviews_follower = follow_records(
            kafka,
            &kafka.reviews_topic,
            apply,
            reviews.positions.clone(),
        )
        .await?;
        let producer = ReportProducer::new(&KafkaConfig {
            reports_topic: kafka.reviews_topic.clone(),
            ..kafka.clone()
        })?;
        Ok(ReviewDesk {
            core,
            submissions,
            reviews,
            producer,
            deciding: tokio::sync::Mutex::new(()),
            jurisdiction: jurisdiction.to_string(),
            _followers: (submissions_follower, reviews_follower),
        })
    }

    /// Records `reviewer`'s decision on a version, durably, or refuses it (nothing
    /// recorded): an unknown unit or campaign, a unit `reviewer` does not review, a
    /// version never accepted in the campaign, no or a too long reason, control
    /// characters in it, a unit outside this desk's jurisdiction, a version decided
    /// already. Line breaks in the reason are kept as LF, as in reports.
    pub async fn review(
        &self,
        reviewer: &str,
        mut request: ReviewRequest,
    ) -> Result<ReviewEvent, Refusal> {
        baocao_proto::canonical::normalize_line_breaks(&mut request.reason);
        let registry = self.core.registry();
        let (key, campaign_id) = self.admit(&registry, reviewer, &request)?;
        self.accepted_version(&key, &campaign_id).await?;
        let _one_at_a_time = self.deciding.lock().await;
        if let Some(decided) = self.reviews.decision(&key) {
            return Err(already(&decided));
        }
        let now = self.core.now();
        let event = ReviewEvent {
            schema_version: REVIEW_SCHEMA_VERSION,
            unit_code: key.unit.clone(),
            campaign_id,
            submission_id: key.id.clone(),
            // Checked by `admit`: a decision the door could not read is refused there.
            decision: request
                .decision
                .map(Decision::as_str)
                .unwrap_or_default()
                .to_string(),
            reason: request.reason.trim().to_string(),
            reviewer_unit: reviewer.to_string(),
            reviewed_at: Some(pbjson_types::Timestamp {
                seconds: now.timestamp(),
                nanos: now.timestamp_subsec_nanos() as i32,
            }),
            gateway_id: self.core.front_door_id().to_string(),
        };
        let (partition, offset) = self
            .producer
            .send(&key.unit, &event.encode_to_vec())
            .await
            .map_err(crate::core::refusal_of_produce)?;
        self.read_back(&key, event, (partition, offset)).await
    }

    /// The answer to a decision written at `position`: OK only once the desk has read the
    /// reviews topic up to it and it is the version's first decision in the log (what
    /// every summary counts); otherwise the first decision is named.
    async fn read_back(
        &self,
        key: &SubmissionKey,
        event: ReviewEvent,
        position: (i32, i64),
    ) -> Result<ReviewEvent, Refusal> {
        let reached = self
            .reviews
            .positions
            .reached(position.0, position.1, READ_BACK_WAIT)
            .await;
        match reached {
            ReadBack::Reached => {}
            ReadBack::TimedOut => {
                return Err(Refusal::Unavailable(baocao_kafka::Error::Unavailable(
                    format!(
                        "the decision was written (partition {}, offset {}) but not read back within {} s; ask for the report's status before deciding again",
                        position.0,
                        position.1,
                        READ_BACK_WAIT.as_secs()
                    ),
                )));
            }
            ReadBack::NotFollowed => {
                tracing::warn!(
                    partition = position.0,
                    "review read-back: partition not followed yet (added to the topic just now?)"
                );
                self.reviews.record(event.clone(), position);
            }
        }
        if self.reviews.position(key) != Some(position)
            && let Some(first) = self.reviews.decision(key)
        {
            tracing::info!(unit = %key.unit, submission_id = %key.id, "review read-back: another decision came first");
            return Err(already(&first));
        }
        tracing::info!(unit = %key.unit, submission_id = %key.id, decision = %event.decision, reviewer = %event.reviewer_unit, "review recorded");
        Ok(event)
    }

    /// Every check of [`Self::review`] that needs no lock: the version's key and its
    /// campaign.
    fn admit(
        &self,
        registry: &Registry,
        reviewer: &str,
        request: &ReviewRequest,
    ) -> Result<(SubmissionKey, String), Refusal> {
        check_request(request)?;
        let Some(unit) = registry.unit(request.unit_code.trim()) else {
            return Err(violation(
                "unit_code",
                format!("unknown unit `{}`", shown(&request.unit_code)),
                format!("Không có đơn vị “{}”.", shown(&request.unit_code)),
            ));
        };
        if !registry.is_within(unit, &self.jurisdiction) {
            return Err(Refusal::NotPermitted(format!(
                "unit `{}` is outside this gateway's jurisdiction `{}`; send the decision to the gateway that serves it",
                unit.code, self.jurisdiction
            )));
        }
        let Some(campaign) = registry.campaign(request.campaign_id.trim()) else {
            return Err(violation(
                "campaign_id",
                format!("unknown campaign `{}`", shown(&request.campaign_id)),
                format!("Không có đợt báo cáo “{}”.", shown(&request.campaign_id)),
            ));
        };
        let Some(reviewer_unit) = registry.unit(reviewer) else {
            return Err(Refusal::NotPermitted(format!(
                "unit `{reviewer}` is not in the register"
            )));
        };
        if !registry.may_review(reviewer_unit, unit, campaign) {
            return Err(Refusal::NotPermitted(format!(
                "unit `{reviewer}` does not review the reports of unit `{}` in campaign `{}` (reviewers: the campaign's consolidating unit, and units whose kind reviews it inside their area: docs/data.md)",
                unit.code, campaign.id
            )));
        }
        let id = canonical_submission_id(&request.submission_id)
            .unwrap_or_else(|| request.submission_id.trim().to_string());
        let key = SubmissionKey {
            unit: unit.code.clone(),
            id,
        };
        Ok((key, campaign.id.clone()))
    }

    /// Refuses a version that was never accepted in `campaign`. A version accepted a
    /// moment ago (by this or another gateway) may still be on its way through the
    /// topic: it is looked for again for up to [`VERSION_WAIT`].
    async fn accepted_version(&self, key: &SubmissionKey, campaign: &str) -> Result<(), Refusal> {
        let started = std::time::Instant::now();
        loop {
            if let Some(accepted) = self.submissions.get(key) {
                if accepted.campaign == campaign {
                    return Ok(());
                }
                break;
            }
            if started.elapsed() >= VERSION_WAIT {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        Err(violation(
            "submission_id",
            format!(
                "no accepted report of unit `{}` in campaign `{campaign}` has submission_id `{}`",
                key.unit,
                shown(&key.id)
            ),
            format!(
                "Đơn vị {} chưa có báo cáo nào với mã “{}” trong đợt này.",
                key.unit,
                shown(&key.id)
            ),
        ))
    }

    /// `unit`'s latest version of `campaign` and its decision, for `caller`: the unit,
    /// a unit that submits for it, or one of its reviewers.
    pub fn status(
        &self,
        caller: &str,
        unit: &str,
        campaign: &str,
    ) -> Result<ReviewStatus, Refusal> {
        let registry = self.core.registry();
        let Some(unit_record) = registry.unit(unit) else {
            return Err(Refusal::UnknownUnit {
                field: "unit_code",
                code: unit.to_string(),
            });
        };
        if !registry.is_within(unit_record, &self.jurisdiction) {
            return Err(Refusal::NotPermitted(format!(
                "unit `{unit}` is outside this gateway's jurisdiction `{}`",
                self.jurisdiction
            )));
        }
        let Some(campaign_record) = registry.campaign(campaign) else {
            return Err(violation(
                "campaign_id",
                format!("unknown campaign `{}`", shown(campaign)),
                format!("Không có đợt báo cáo “{}”.", shown(campaign)),
            ));
        };
        let allowed = registry.unit(caller).is_some_and(|c| {
            registry.may_submit_for(c, unit_record)
                || registry.may_review(c, unit_record, campaign_record)
        });
        if !allowed {
            return Err(Refusal::NotPermitted(format!(
                "unit `{caller}` may not see the status of unit `{unit}`"
            )));
        }
        let latest = self.submissions.latest(unit, campaign).map(|v| {
            let id = canonical_submission_id(&v.report.submission_id)
                .unwrap_or_else(|| v.report.submission_id.clone());
            (id, v)
        });
        let decision = latest.as_ref().and_then(|(id, _)| {
            self.reviews.decision(&SubmissionKey {
                unit: unit.to_string(),
                id: id.clone(),
            })
        });
        Ok(ReviewStatus { latest, decision })
    }
}

/// The refusal of a second decision, naming the first.
fn already(decided: &ReviewEvent) -> Refusal {
    let at = decided
        .reviewed_at
        .as_ref()
        .and_then(|t| chrono::DateTime::from_timestamp(t.seconds, 0))
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_default();
    Refusal::AlreadyReviewed(format!(
        "submission `{}` of unit `{}` was already {} by `{}` at {at}; a new decision needs a new version of the report",
        decided.submission_id,
        decided.unit_code,
        ReviewState::of(true, Some(&decided.decision)).as_str(),
        decided.reviewer_unit
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decision(decision: &str, seconds: i64, reviewer: &str) -> ReviewEvent {
        ReviewEvent {
            unit_code: "14755".into(),
            submission_id: "id".into(),
            decision: decision.into(),
            reviewer_unit: reviewer.into(),
            reviewed_at: Some(pbjson_types::Timestamp { seconds, nanos: 0 }),
            ..ReviewEvent::default()
        }
    }

    /// Two replicas decided one version: the first decision in the log counts, whatever
    /// its instant (the rollup's order too).
    #[test]
    fn the_first_decision_in_the_log_counts_whatever_its_instant() {
        let key = SubmissionKey {
            unit: "14755".into(),
            id: "id".into(),
        };
        // The first in the log counts, whatever the instants say.
        for (first, second, counted) in [
            (
                (decision("return", 20, "A"), (0, 1)),
                (decision("approve", 10, "B"), (0, 2)),
                "A",
            ),
            (
                (decision("approve", 10, "B"), (0, 7)),
                (decision("return", 5, "A"), (0, 3)),
                "A",
            ),
            (
                (decision("return", 10, "A"), (0, 4)),
                (decision("approve", 10, "B"), (0, 4)),
                "A",
            ),
        ] {
            let index = ReviewIndex::default();
            index.record(first.0, first.1);
            index.record(second.0, second.1);
            let kept = index.decision(&key).map(|d| d.reviewer_unit);
            assert_eq!(kept.as_deref(), Some(counted));
        }
    }
}
