//! The submission core: what happens to a report whichever door it came in by —
//! authorise the (already authenticated) submitter, validate the report in canonical
//! form, write it to Kafka once per (unit, submission id) and answer with the receipt.
//! Front doors authenticate their callers their own way (a bearer token, a session
//! cookie, a spreadsheet's credential) and translate [`Refusal`]s into their own answers.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use baocao_kafka::ReportProducer;
use baocao_proto::canonical::{canonical_digest, canonical_submission_id, normalize_report};
use baocao_proto::v1::{ReportEnvelope, StatusReport};
use baocao_registry::{AdminLevel, LiveRegistry, Registry, ReportingUnit, vietnam_date};
use chrono::Utc;
use prost::Message;

use crate::Refusal;
use crate::clock::Clock;
use crate::index::{Accepted, ReadBack, SubmissionIndex, SubmissionKey};
use crate::rate_limit::RateLimiter;
use baocao_rules::validate::{ReportLimits, ValidationContext, shown, validate_report};

/// Which units a front door takes reports for: those of `tier` (any tier when `None`)
/// inside `jurisdiction` (the whole country when empty).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scope {
    /// The tier served, if one.
    pub tier: Option<AdminLevel>,
    /// Administrative code whose subtree is served.
    pub jurisdiction: String,
}

impl Scope {
    /// Whether a front door with this scope serves `unit`. The one rule for submissions
    /// and the submission index.
    pub fn serves(&self, registry: &Registry, unit: &ReportingUnit) -> bool {
        self.tier.is_none_or(|tier| unit.tier == tier)
            && registry.is_within(unit, &self.jurisdiction)
    }

    /// The tier written into envelopes (`all` for a front door of every tier).
    pub fn tier_label(&self) -> &'static str {
        self.tier.map_or("all", AdminLevel::as_str)
    }
}

/// Every accepted submission of the units `scope` serves, read from the reports topic
/// before a front door serves (so a reused id is refused after a restart or when another
/// replica accepted it), then followed while the returned follower lives. With
/// `keep_latest`, each unit's newest report per campaign is kept too.
pub async fn follow_scope(
    kafka: &baocao_kafka::KafkaConfig,
    registry: &Arc<Registry>,
    scope: &Scope,
    keep_latest: bool,
) -> crate::Result<(Arc<SubmissionIndex>, crate::index::IndexFollower)> {
    let index = Arc::new(if keep_latest {
        SubmissionIndex::keeping_latest()
    } else {
        SubmissionIndex::default()
    });
    let serves = {
        let registry = registry.clone();
        let scope = scope.clone();
        Arc::new(move |code: &str| {
            registry
                .unit(code)
                .is_some_and(|unit| scope.serves(&registry, unit))
        })
    };
    let follower = crate::index::follow_topic(kafka, index.clone(), serves).await?;
    Ok((index, follower))
}

/// Longest wait for a front door's own record to come back from the log before it
/// answers: past it the client hears UNAVAILABLE and retries with the same id (the retry
/// finds the record and is answered from it).
const READ_BACK_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// This front door's record, just written: where, what, and the receipt it earns if it
/// is the first of its key.
struct Written {
    position: (i32, i64),
    digest: [u8; 32],
    campaign: String,
    receipt: Receipt,
}

/// Everything the core needs, already opened.
pub struct CoreParts {
    /// The loaded registry (followed for campaign changes).
    pub registry: Arc<Registry>,
    /// The Kafka producer.
    pub producer: Arc<ReportProducer>,
    /// The units this front door serves.
    pub scope: Scope,
    /// Identity written into envelopes and receipts (e.g. `province-38`, `portal`).
    pub front_door_id: String,
    /// Report size limits.
    pub limits: ReportLimits,
    /// Accepted submissions of the units served, kept current from the topic.
    pub index: Arc<SubmissionIndex>,
    /// Reports per submitting unit per minute (0: unlimited).
    pub rate_limit: u32,
    /// The time source.
    pub clock: Arc<dyn Clock>,
}

/// The answer to an accepted report (or to a repeat of one).
#[derive(Clone, Debug, PartialEq)]
pub struct Receipt {
    /// The submission id, canonical.
    pub submission_id: String,
    /// When the report was first accepted.
    pub received_at: pbjson_types::Timestamp,
    /// True when this was a repeat of an accepted report (nothing new written).
    pub repeat: bool,
    /// The front door that accepted it first here.
    pub front_door_id: String,
    /// How long Kafka took to acknowledge the write (none for a repeat).
    pub produce_time: Option<Duration>,
    /// The unit, and the campaign of the report (a signed receipt names them).
    pub unit_code: String,
    /// The campaign.
    pub campaign_id: String,
    /// SHA-256 of the canonical report.
    pub digest: [u8; 32],
    /// Where the accepted record is in the reports topic (partition, offset), when known.
    pub position: Option<(i32, i64)>,
    /// The front door that wrote the accepted record (for a repeat, maybe another).
    pub written_by: String,
}

impl Receipt {
    /// What a signed receipt certifies of this acceptance, naming `topic` (the reports
    /// topic); the same for a repeat as for the first answer.
    pub fn signed(&self, topic: &str) -> baocao_signing::Receipt {
        let (partition, offset) = self.position.unwrap_or((-1, -1));
        baocao_signing::Receipt::new(
            &self.unit_code,
            &self.campaign_id,
            &self.submission_id,
            self.digest,
            (self.received_at.seconds, self.received_at.nanos),
            &self.written_by,
            (topic, partition, offset),
        )
    }
}

/// The answer to a report checked without writing (see [`SubmissionCore::check`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checked {
    /// The submission id, canonical.
    pub submission_id: String,
    /// True when this (unit, id) was accepted before with the same content.
    pub repeat: bool,
}

/// The submission core of one front door.
pub struct SubmissionCore {
    clock: Arc<dyn Clock>,
    registry: LiveRegistry,
    producer: Arc<ReportProducer>,
    scope: Scope,
    front_door_id: String,
    limits: ReportLimits,
    index: Arc<SubmissionIndex>,
    rate_limiter: RateLimiter,
    /// (unit, submission id) keys being written now: a concurrent retry waits for the
    /// first attempt's outcome instead of writing a second copy.
    in_flight: Mutex<HashMap<SubmissionKey, Arc<tokio::sync::Mutex<()>>>>,
}

fn timestamp(now: chrono::DateTime<Utc>) -> pbjson_types::Timestamp {
    pbjson_types::Timestamp {
        seconds: now.timestamp(),
        nanos: now.timestamp_subsec_nanos() as i32,
    }
}

impl SubmissionCore {
    /// Builds the core from its parts.
    pub fn new(parts: CoreParts) -> Self {
        SubmissionCore {
            clock: parts.clock,
            registry: LiveRegistry::new(parts.registry),
            producer: parts.producer,
            scope: parts.scope,
            front_door_id: parts.front_door_id,
            limits: parts.limits,
            index: parts.index,
            rate_limiter: RateLimiter::new(parts.rate_limit),
            in_flight: Mutex::new(HashMap::new()),
        }
    }

    /// The registry in use now (campaign files are followed).
    pub fn registry(&self) -> Arc<Registry> {
        self.registry.current()
    }

    /// The current instant of the core's clock.
    pub fn now(&self) -> chrono::DateTime<Utc> {
        self.clock.now()
    }

    /// The newest accepted report of `unit` for `campaign` (when the index keeps them).
    pub fn latest(&self, unit: &str, campaign: &str) -> Option<crate::index::LatestVersion> {
        self.index.latest(unit, campaign)
    }

    /// Whether `submitter` may send `unit`'s report through this front door (itself, or a
    /// commune of a district office's district; and a unit this door serves).
    pub fn may_submit(&self, submitter: &str, unit: &str) -> bool {
        let registry = self.registry.current();
        self.authorise(&registry, submitter, unit).is_ok()
    }

    /// The identity written into envelopes and receipts.
    pub fn front_door_id(&self) -> &str {
        &self.front_door_id
    }

    /// Takes `report` from `submitter` (a unit code, authenticated by the front door):
    /// checks who may send it, validates it, and writes it durably unless this (unit,
    /// submission id) was accepted before.
    pub async fn submit(&self, submitter: &str, report: StatusReport) -> Result<Receipt, Refusal> {
        let (report, key, now) = self.admit(submitter, report)?;
        // Released on drop, so also when the caller goes away mid-produce.
        let id_lock = IdLock {
            core: self,
            lock: self.id_lock(&key),
            key,
        };
        let _attempt = id_lock.lock.lock().await;
        self.accept(report, &id_lock.key, submitter, now).await
    }

    /// Everything [`Self::submit`] checks, without writing: whether `submitter` may send
    /// `report`, whether it is valid, and whether it would be a repeat (the dry run of a
    /// spreadsheet import, and its check of units it will not write).
    pub fn check(&self, submitter: &str, report: StatusReport) -> Result<Checked, Refusal> {
        let (report, key, _) = self.admit(submitter, report)?;
        let repeat = match self.index.get(&key) {
            Some(known) => self
                .repeat(
                    report.submission_id.clone(),
                    &key,
                    known,
                    canonical_digest(&report),
                )
                .map(|receipt| receipt.repeat)?,
            None => false,
        };
        Ok(Checked {
            submission_id: report.submission_id,
            repeat,
        })
    }

    /// The checks before a write: a unit named, the rate of reports on that unit, who may
    /// send it, and the report's validity (in canonical form). Returns the canonical
    /// report, its key and the time of the decision.
    fn admit(
        &self,
        submitter: &str,
        mut report: StatusReport,
    ) -> Result<(StatusReport, SubmissionKey, chrono::DateTime<Utc>), Refusal> {
        if report.unit_code.is_empty() {
            return Err(Refusal::Missing {
                field: "report.unit_code",
            });
        }
        let registry = self.registry.current();
        let unit = self.authorise(&registry, submitter, &report.unit_code)?;
        // Counted per unit reported on: an office sending its forty communes' reports from
        // one spreadsheet is forty units, each within its own limit.
        if let Err(wait) = self
            .rate_limiter
            .check(&unit.code, std::time::Instant::now())
        {
            return Err(Refusal::RateLimited {
                unit: unit.code.clone(),
                wait,
            });
        }
        // One spelling of the id and of line breaks, before validation and the digest.
        normalize_report(&mut report);
        let now = self.clock.now();
        let context = ValidationContext {
            registry: &registry,
            today: vietnam_date(now),
            limits: self.limits,
            encoded_len: report.encoded_len(),
        };
        let violations = validate_report(&report, unit, &context);
        if !violations.is_empty() {
            tracing::info!(unit = %unit.code, problems = violations.len(), "report refused");
            return Err(Refusal::Invalid(violations));
        }
        let key = SubmissionKey {
            unit: unit.code.clone(),
            id: report.submission_id.clone(),
        };
        Ok((report, key, now))
    }

    /// The unit `submitter` sends a report for, if it may: itself, or — for a district
    /// office — a commune of its district; and only a unit this front door serves.
    fn authorise<'r>(
        &self,
        registry: &'r Registry,
        submitter: &str,
        unit_code: &str,
    ) -> Result<&'r ReportingUnit, Refusal> {
        let unit = registry
            .unit(unit_code)
            .ok_or_else(|| Refusal::UnknownUnit {
                field: "report.unit_code",
                code: shown(unit_code),
            })?;
        if !registry
            .unit(submitter)
            .is_some_and(|s| registry.may_submit_for(s, unit))
        {
            return Err(Refusal::NotPermitted(format!(
                "unit `{submitter}` may not submit for unit `{}`",
                shown(unit_code)
            )));
        }
        if !self.scope.serves(registry, unit) {
            return Err(Refusal::NotPermitted(format!(
                "unit `{}` ({} tier) is not served by front door {} ({} tier, jurisdiction {})",
                unit.code,
                unit.tier,
                self.front_door_id,
                self.scope.tier_label(),
                self.scope.jurisdiction
            )));
        }
        Ok(unit)
    }

    /// Answers a valid report: a repeat of an accepted (unit, id), a refusal of a reused
    /// one, or a durable write to Kafka. Called with the key's lock held, so concurrent
    /// attempts with one key produce one record.
    async fn accept(
        &self,
        report: StatusReport,
        key: &SubmissionKey,
        submitter: &str,
        now: chrono::DateTime<Utc>,
    ) -> Result<Receipt, Refusal> {
        // Already in canonical form: the digest the index and the landing compute.
        let digest = canonical_digest(&report);
        if let Some(known) = self.index.get(key) {
            return self.repeat(report.submission_id, key, known, digest);
        }
        let received_at = timestamp(now);
        let submission_id = report.submission_id.clone();
        // Keyed by the unit reported on (its versions stay in order on one partition),
        // which differs from the submitter when an office submits on a commune's behalf.
        let envelope = ReportEnvelope {
            schema_version: baocao_proto::ENVELOPE_SCHEMA_VERSION,
            report: Some(report),
            received_at: Some(received_at),
            gateway_tier: self.scope.tier_label().to_string(),
            gateway_id: self.front_door_id.clone(),
            authenticated_unit: submitter.to_string(),
        };
        let started = std::time::Instant::now();
        let (partition, offset) = self
            .producer
            .send(&key.unit, &envelope.encode_to_vec())
            .await
            .map_err(refusal_of_produce)?;
        let produce_time = started.elapsed();
        let read_back = self
            .index
            .read_back(partition, offset, READ_BACK_WAIT)
            .await;
        tracing::info!(
            unit = %key.unit,
            submitted_by = %submitter,
            submission_id = %submission_id,
            partition,
            offset,
            produce_ms = produce_time.as_millis() as u64,
            read_back_ms = (started.elapsed() - produce_time).as_millis() as u64,
            ?read_back,
            "report written"
        );
        let written = Written {
            position: (partition, offset),
            digest,
            campaign: envelope
                .report
                .as_ref()
                .map(|r| r.campaign_id.clone())
                .unwrap_or_default(),
            receipt: Receipt {
                submission_id,
                received_at,
                repeat: false,
                front_door_id: self.front_door_id.clone(),
                produce_time: Some(produce_time),
                unit_code: key.unit.clone(),
                campaign_id: envelope
                    .report
                    .as_ref()
                    .map(|r| r.campaign_id.clone())
                    .unwrap_or_default(),
                digest,
                position: Some((partition, offset)),
                written_by: self.front_door_id.clone(),
            },
        };
        self.arbitrate(key, read_back, written)
    }

    /// The answer to this front door's own record once read back: OK only if it is the
    /// key's first in the log (the copy the rollup counts); otherwise what came first
    /// answers (its receipt for the same content, `ALREADY_EXISTS` for other content).
    fn arbitrate(
        &self,
        key: &SubmissionKey,
        read_back: ReadBack,
        written: Written,
    ) -> Result<Receipt, Refusal> {
        let (partition, offset) = written.position;
        match read_back {
            ReadBack::Reached => {}
            ReadBack::TimedOut => {
                return Err(Refusal::Unavailable(baocao_kafka::Error::Unavailable(
                    format!(
                        "the report was written (partition {partition}, offset {offset}) but not read back within {} s",
                        READ_BACK_WAIT.as_secs()
                    ),
                )));
            }
            ReadBack::NotFollowed => {
                // A partition added to the topic that the follower did not find within
                // the wait (it looks at once when asked, and every 10 s): nothing to
                // arbitrate with yet; answered as before the read-back.
                tracing::warn!(
                    partition,
                    "read-back: partition not followed yet (added to the topic just now?)"
                );
                let accepted = Accepted {
                    digest: written.digest,
                    received_at: written.receipt.received_at,
                    campaign: written.campaign,
                    position: Some(written.position),
                    front_door: self.front_door_id.clone(),
                };
                self.index.record(key.clone(), accepted);
                return Ok(written.receipt);
            }
        }
        match self.index.get(key) {
            Some(first) if first.position != Some(written.position) => {
                tracing::info!(unit = %key.unit, submission_id = %key.id, "read-back: another copy came first");
                self.repeat(written.receipt.submission_id, key, first, written.digest)
            }
            _ => Ok(written.receipt),
        }
    }

    /// The answer to a (unit, id) accepted before: its receipt when the content is the
    /// same, a refusal when it differs.
    fn repeat(
        &self,
        submission_id: String,
        key: &SubmissionKey,
        known: Accepted,
        digest: [u8; 32],
    ) -> Result<Receipt, Refusal> {
        if known.digest != digest {
            return Err(Refusal::IdReused {
                unit: key.unit.clone(),
                accepted_at: chrono::DateTime::from_timestamp(known.received_at.seconds, 0)
                    .unwrap_or_default()
                    .format("%Y-%m-%dT%H:%M:%SZ")
                    .to_string(),
            });
        }
        Ok(Receipt {
            submission_id,
            received_at: known.received_at,
            repeat: true,
            front_door_id: self.front_door_id.clone(),
            produce_time: None,
            unit_code: key.unit.clone(),
            campaign_id: known.campaign,
            digest: known.digest,
            position: known.position,
            written_by: known.front_door,
        })
    }

    /// The receipt of `unit`'s accepted submission `submission_id`, if this front door
    /// has seen it accepted (to hand the signed receipt out again).
    pub fn receipt_of(&self, unit: &str, submission_id: &str) -> Option<Receipt> {
        let id = canonical_submission_id(submission_id)
            .unwrap_or_else(|| submission_id.trim().to_string());
        let key = SubmissionKey {
            unit: unit.to_string(),
            id: id.clone(),
        };
        let known = self.index.get(&key)?;
        Some(Receipt {
            submission_id: id,
            received_at: known.received_at,
            repeat: true,
            front_door_id: self.front_door_id.clone(),
            produce_time: None,
            unit_code: key.unit,
            campaign_id: known.campaign,
            digest: known.digest,
            position: known.position,
            written_by: known.front_door,
        })
    }

    /// The lock serializing attempts with the same (unit, submission id).
    fn id_lock(&self, key: &SubmissionKey) -> Arc<tokio::sync::Mutex<()>> {
        match self.in_flight.lock() {
            Ok(mut map) => map.entry(key.clone()).or_default().clone(),
            Err(_) => Arc::new(tokio::sync::Mutex::new(())),
        }
    }
}

/// One attempt's hold on a submission id's lock; forgets the lock when no other attempt
/// holds or waits for it.
struct IdLock<'a> {
    core: &'a SubmissionCore,
    key: SubmissionKey,
    lock: Arc<tokio::sync::Mutex<()>>,
}

impl Drop for IdLock<'_> {
    fn drop(&mut self) {
        if let Ok(mut map) = self.core.in_flight.lock() {
            // Two references: the map's and ours. More means another attempt is waiting.
            if Arc::strong_count(&self.lock) <= 2 {
                map.remove(&self.key);
            }
        }
    }
}

/// A failed write as the client hears it: a record too large is the report's fault and
/// names the limit (retrying cannot help); anything else may be retried with the same id.
pub(crate) fn refusal_of_produce(err: baocao_kafka::Error) -> Refusal {
    match err {
        baocao_kafka::Error::RecordTooLarge { bytes, limit } => {
            Refusal::Invalid(vec![baocao_rules::validate::Violation {
                field: "report".to_string(),
                reason: format!(
                    "is {bytes} bytes as a record; at most {limit} bytes (kafka.max_record_bytes): send a smaller report, do not retry"
                ),
                reason_vi: format!(
                    "Báo cáo quá lớn ({bytes} byte khi ghi); tối đa {limit} byte. Hãy giảm nội dung, không gửi lại nguyên bản này."
                ),
            }])
        }
        other => Refusal::Unavailable(other),
    }
}
