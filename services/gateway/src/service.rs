//! The `ReportingService` a tier gateway serves: authenticate the unit, check it belongs
//! to this gateway's tier and jurisdiction, validate, write to Kafka, answer OK only once
//! the write is acknowledged.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use baocao_proto::canonical::{canonical_digest, normalize_report};
use baocao_proto::v1::reporting_service_server::ReportingService;
use baocao_proto::v1::{
    Campaign as CampaignMessage, Date, GetUnitRequest, ListCampaignsRequest, ListCampaignsResponse,
    ListUnitsRequest, ListUnitsResponse, Milestone as MilestoneMessage, ReportEnvelope,
    SubmitReportRequest, SubmitReportResponse, Unit,
};
use baocao_registry::{AdminLevel, LiveRegistry, Registry, ReportingUnit, vietnam_date};
use chrono::{Datelike, NaiveDate, Utc};
use prost::Message;
use tonic::{Code, Request, Response, Status};

use crate::Error;
use crate::index::{Accepted, SubmissionIndex, SubmissionKey};
use crate::rate_limit::RateLimiter;
use crate::status::{
    field_error, invalid_report, permission_denied, rate_limited, unauthenticated,
};
use crate::validate::{ReportLimits, ValidationContext, shown, validate_report};
use baocao_access::TokenRecord;
use baocao_kafka::ReportProducer;

/// Where a gateway reads the time: receipts, "today" for date checks and campaign windows.
/// Production gateways use [`SystemClock`]; `baocao demo` replays a past campaign with a
/// simulated clock so its deadlines fall inside the replay.
pub trait Clock: Send + Sync + 'static {
    /// The current instant.
    fn now(&self) -> chrono::DateTime<Utc>;
}

/// The machine's clock.
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> chrono::DateTime<Utc> {
        Utc::now()
    }
}

/// One tier gateway: which units it serves and where it writes.
pub struct ReportingGateway {
    clock: Arc<dyn Clock>,
    /// The registry, reloaded when campaign files change.
    registry: LiveRegistry,
    producer: Arc<ReportProducer>,
    tier: AdminLevel,
    jurisdiction: String,
    gateway_id: String,
    limits: ReportLimits,
    index: Arc<SubmissionIndex>,
    rate_limiter: RateLimiter,
    /// (unit, submission id) keys being written now: a concurrent retry waits for the
    /// first attempt's outcome instead of writing a second copy.
    in_flight: Mutex<HashMap<SubmissionKey, Arc<tokio::sync::Mutex<()>>>>,
}

/// Everything a gateway needs, already opened.
pub struct GatewayParts {
    /// The loaded registry.
    pub registry: Arc<Registry>,
    /// The Kafka producer.
    pub producer: Arc<ReportProducer>,
    /// Tier of units served.
    pub tier: AdminLevel,
    /// Administrative code whose subtree is served.
    pub jurisdiction: String,
    /// Identity written into envelopes.
    pub gateway_id: String,
    /// Report size limits.
    pub limits: ReportLimits,
    /// Accepted submissions of the units served, kept current from the topic.
    pub index: Arc<SubmissionIndex>,
    /// Reports per unit per minute (0: unlimited).
    pub rate_limit: u32,
    /// The time source.
    pub clock: Arc<dyn Clock>,
}

impl ReportingGateway {
    /// Builds the service from its parts.
    pub fn new(parts: GatewayParts) -> Self {
        ReportingGateway {
            clock: parts.clock,
            registry: LiveRegistry::new(parts.registry),
            producer: parts.producer,
            tier: parts.tier,
            jurisdiction: parts.jurisdiction,
            gateway_id: parts.gateway_id,
            limits: parts.limits,
            index: parts.index,
            in_flight: Mutex::new(HashMap::new()),
            rate_limiter: RateLimiter::new(parts.rate_limit),
        }
    }

    /// The caller, authenticated by the guard before the body was decoded
    /// ([`crate::guard`]).
    fn caller<T>(request: &Request<T>) -> Result<TokenRecord, Status> {
        request
            .extensions()
            .get::<TokenRecord>()
            .cloned()
            .ok_or_else(|| unauthenticated("missing `authorization: Bearer <token>` metadata"))
    }

    fn serves(&self, registry: &Registry, unit: &ReportingUnit) -> bool {
        serves(registry, unit, self.tier, &self.jurisdiction)
    }
}

/// Whether a gateway of `tier` for `jurisdiction` serves `unit`: the unit is of that tier
/// and inside that area. The one rule for submissions and the submission index.
pub fn serves(
    registry: &Registry,
    unit: &ReportingUnit,
    tier: AdminLevel,
    jurisdiction: &str,
) -> bool {
    unit.tier == tier && registry.is_within(unit, jurisdiction)
}

fn date_message(day: NaiveDate) -> Date {
    Date {
        year: day.year(),
        month: day.month() as i32,
        day: day.day() as i32,
    }
}

fn unit_message(unit: &ReportingUnit) -> Unit {
    Unit {
        code: unit.code.clone(),
        name: unit.name.clone(),
        kind: unit.kind.clone(),
        tier: unit.tier.as_str().to_string(),
        area_code: unit.area_code.clone(),
        parent_code: unit.parent_code.clone(),
    }
}

fn timestamp(now: chrono::DateTime<Utc>) -> pbjson_types::Timestamp {
    pbjson_types::Timestamp {
        seconds: now.timestamp(),
        nanos: now.timestamp_subsec_nanos() as i32,
    }
}

impl ReportingGateway {
    /// Answers a valid report: a repeat of an accepted (unit, id), a refusal of a reused
    /// one, or a durable write to Kafka. Called with the key's lock held, so concurrent
    /// attempts with one key produce one record.
    async fn accept(
        &self,
        report: baocao_proto::v1::StatusReport,
        key: &SubmissionKey,
        digest: [u8; 32],
        caller: &TokenRecord,
        now: chrono::DateTime<Utc>,
    ) -> Result<Response<SubmitReportResponse>, Status> {
        if let Some(known) = self.index.get(key) {
            if known.digest != digest {
                return Err(field_error(
                    Code::AlreadyExists,
                    "report.submission_id",
                    &format!(
                        "unit `{}` already sent this submission_id with different content (accepted at {}); a correction needs a new submission_id",
                        key.unit,
                        chrono::DateTime::from_timestamp(known.received_at.seconds, 0)
                            .unwrap_or_default()
                            .format("%Y-%m-%dT%H:%M:%SZ")
                    ),
                ));
            }
            return Ok(Response::new(SubmitReportResponse {
                submission_id: report.submission_id,
                received_at: Some(known.received_at),
                repeat: true,
                gateway_id: self.gateway_id.clone(),
            }));
        }

        let received_at = timestamp(now);
        let submission_id = report.submission_id.clone();
        // Keyed by the unit reported on (its versions stay in order on one partition),
        // which differs from the caller when an office submits on a commune's behalf.
        let envelope = ReportEnvelope {
            schema_version: baocao_proto::ENVELOPE_SCHEMA_VERSION,
            report: Some(report),
            received_at: Some(received_at),
            gateway_tier: self.tier.as_str().to_string(),
            gateway_id: self.gateway_id.clone(),
            authenticated_unit: caller.unit.clone(),
        };
        let started = std::time::Instant::now();
        let (partition, offset) = self
            .producer
            .send(&key.unit, &envelope.encode_to_vec())
            .await
            .map_err(Error::from)?;
        crate::metrics::record_produce_latency(&self.gateway_id, started.elapsed());
        tracing::info!(
            unit = %key.unit,
            submitted_by = %caller.unit,
            submission_id = %submission_id,
            partition,
            offset,
            produce_ms = started.elapsed().as_millis() as u64,
            "report accepted"
        );
        self.index.record(
            key.clone(),
            Accepted {
                digest,
                received_at,
            },
        );
        Ok(Response::new(SubmitReportResponse {
            submission_id,
            received_at: Some(received_at),
            repeat: false,
            gateway_id: self.gateway_id.clone(),
        }))
    }

    /// SubmitReport without the metrics: the caller (authenticated by the guard), the
    /// unit, validation of the report in canonical form, then
    /// [`ReportingGateway::accept`] under the (unit, submission id) lock.
    async fn submit(
        &self,
        request: Request<SubmitReportRequest>,
    ) -> Result<Response<SubmitReportResponse>, Status> {
        let caller = Self::caller(&request)?;
        let Some(mut report) = request.into_inner().report else {
            return Err(field_error(Code::InvalidArgument, "report", "is required"));
        };
        if report.unit_code.is_empty() {
            return Err(field_error(
                Code::InvalidArgument,
                "report.unit_code",
                "is required",
            ));
        }

        if let Err(wait) = self
            .rate_limiter
            .check(&caller.unit, std::time::Instant::now())
        {
            return Err(rate_limited(&caller.unit, wait));
        }
        let registry = self.registry.current();
        let Some(unit) = registry.unit(&report.unit_code) else {
            return Err(field_error(
                Code::InvalidArgument,
                "report.unit_code",
                &format!("unknown unit `{}`", shown(&report.unit_code)),
            ));
        };
        // A unit submits for itself; a district office also for the communes of its
        // district. The envelope's authenticated_unit records who actually submitted.
        let submitter = registry.unit(&caller.unit);
        if !submitter.is_some_and(|s| registry.may_submit_for(s, unit)) {
            return Err(permission_denied(format!(
                "the token of unit `{}` cannot submit for unit `{}`",
                caller.unit,
                shown(&report.unit_code)
            )));
        }
        if !self.serves(&registry, unit) {
            return Err(permission_denied(format!(
                "unit `{}` ({} tier) is not served by this gateway ({} tier, jurisdiction {})",
                unit.code, unit.tier, self.tier, self.jurisdiction
            )));
        }

        // One spelling of the id and of line breaks, before validation and the digest.
        normalize_report(&mut report);
        let encoded_len = report.encoded_len();
        let now = self.clock.now();
        let context = ValidationContext {
            registry: &registry,
            today: vietnam_date(now),
            limits: self.limits,
            encoded_len,
        };
        let violations = validate_report(&report, unit, &context);
        if !violations.is_empty() {
            tracing::info!(unit = %unit.code, problems = violations.len(), "report refused");
            return Err(invalid_report(&violations));
        }

        // Already in canonical form (above): the digest the index and the landing compute.
        let digest = canonical_digest(&report);
        let key = SubmissionKey {
            unit: unit.code.clone(),
            id: report.submission_id.clone(),
        };
        // Released on drop, so also when the client goes away mid-produce.
        let id_lock = IdLock {
            gateway: self,
            lock: self.id_lock(&key),
            key,
        };
        let _attempt = id_lock.lock.lock().await;
        self.accept(report, &id_lock.key, digest, &caller, now)
            .await
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
    gateway: &'a ReportingGateway,
    key: SubmissionKey,
    lock: Arc<tokio::sync::Mutex<()>>,
}

impl Drop for IdLock<'_> {
    fn drop(&mut self) {
        if let Ok(mut map) = self.gateway.in_flight.lock() {
            // Two references: the map's and ours. More means another attempt is waiting.
            if Arc::strong_count(&self.lock) <= 2 {
                map.remove(&self.key);
            }
        }
    }
}

#[tonic::async_trait]
impl ReportingService for ReportingGateway {
    async fn submit_report(
        &self,
        request: Request<SubmitReportRequest>,
    ) -> Result<Response<SubmitReportResponse>, Status> {
        let result = self.submit(request).await;
        crate::metrics::record_submission(&self.gateway_id, &result);
        result
    }

    async fn get_unit(&self, request: Request<GetUnitRequest>) -> Result<Response<Unit>, Status> {
        Self::caller(&request)?;
        let code = request.into_inner().code;
        self.registry
            .current()
            .unit(&code)
            .map(|u| Response::new(unit_message(u)))
            .ok_or_else(|| Status::not_found(format!("unknown unit `{}`", shown(&code))))
    }

    async fn list_units(
        &self,
        request: Request<ListUnitsRequest>,
    ) -> Result<Response<ListUnitsResponse>, Status> {
        Self::caller(&request)?;
        let request = request.into_inner();
        let registry = self.registry.current();
        if !request.parent_code.is_empty() && registry.unit(&request.parent_code).is_none() {
            return Err(Status::not_found(format!(
                "unknown unit `{}`",
                shown(&request.parent_code)
            )));
        }
        let page_size = match request.page_size {
            0 => 100,
            n @ 1..=1000 => n as usize,
            n => {
                return Err(field_error(
                    Code::InvalidArgument,
                    "page_size",
                    &format!("must be between 0 and 1000 (got {n})"),
                ));
            }
        };
        let start = if request.page_token.is_empty() {
            0
        } else {
            request.page_token.parse::<usize>().map_err(|_| {
                field_error(
                    Code::InvalidArgument,
                    "page_token",
                    "is not a token from a previous page",
                )
            })?
        };
        let children = registry.children(&request.parent_code);
        if start > children.len() {
            return Err(field_error(
                Code::InvalidArgument,
                "page_token",
                "is not a token from a previous page",
            ));
        }
        let end = start.saturating_add(page_size).min(children.len());
        let units = children
            .get(start..end)
            .unwrap_or(&[])
            .iter()
            .filter_map(|code| registry.unit(code))
            .map(unit_message)
            .collect();
        let next_page_token = if end < children.len() {
            end.to_string()
        } else {
            String::new()
        };
        Ok(Response::new(ListUnitsResponse {
            units,
            next_page_token,
        }))
    }

    async fn list_campaigns(
        &self,
        request: Request<ListCampaignsRequest>,
    ) -> Result<Response<ListCampaignsResponse>, Status> {
        Self::caller(&request)?;
        let today = vietnam_date(self.clock.now());
        let campaigns = self
            .registry
            .current()
            .campaigns()
            .iter()
            .map(|c| CampaignMessage {
                id: c.id.clone(),
                name: c.name.clone(),
                province_code: c.province.clone(),
                opens_on: Some(date_message(c.opens_on)),
                closes_on: c.closes_on.map(date_message),
                required_unit_kinds: c.required_unit_kinds.clone(),
                milestones: c
                    .milestones
                    .iter()
                    .map(|m| MilestoneMessage {
                        id: m.id.clone(),
                        name: m.name.clone(),
                        measure: m.measure.as_str().to_string(),
                        unit_deadline: Some(date_message(m.unit_deadline)),
                        report_deadline: Some(date_message(m.report_deadline)),
                    })
                    .collect(),
                open: c.is_open_on(today),
            })
            .collect();
        Ok(Response::new(ListCampaignsResponse { campaigns }))
    }
}
