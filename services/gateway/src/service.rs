//! The `ReportingService` a tier gateway serves: authenticate the unit, check it belongs
//! to this gateway's tier and jurisdiction, validate, write to Kafka, answer OK only once
//! the write is acknowledged.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use baocao_proto::v1::reporting_service_server::ReportingService;
use baocao_proto::v1::{
    Campaign as CampaignMessage, Date, GetUnitRequest, ListCampaignsRequest, ListCampaignsResponse,
    ListUnitsRequest, ListUnitsResponse, Milestone as MilestoneMessage, ReportEnvelope,
    SubmitReportRequest, SubmitReportResponse, Unit,
};
use baocao_registry::{AdminLevel, Registry, ReportingUnit, vietnam_date};
use chrono::{Datelike, NaiveDate, Utc};
use prost::Message;
use sha2::{Digest, Sha256};
use tonic::{Code, Request, Response, Status};

use crate::producer::ReportProducer;
use crate::rate_limit::RateLimiter;
use crate::status::{
    field_error, invalid_report, permission_denied, rate_limited, unauthenticated,
};
use crate::tokens::{TokenRecord, TokenRole, TokenStore};
use crate::validate::{ReportLimits, ValidationContext, shown, validate_report};

/// Submission ids this gateway accepted recently, with a digest of their content, so a
/// retry is answered without writing again and a reused id with other content is refused.
struct RecentSubmissions {
    capacity: usize,
    by_id: HashMap<String, ([u8; 32], pbjson_types::Timestamp)>,
    order: VecDeque<String>,
}

impl RecentSubmissions {
    fn get(&self, id: &str) -> Option<&([u8; 32], pbjson_types::Timestamp)> {
        self.by_id.get(id)
    }

    fn insert(&mut self, id: String, digest: [u8; 32], received_at: pbjson_types::Timestamp) {
        if self.capacity == 0 {
            return;
        }
        if self
            .by_id
            .insert(id.clone(), (digest, received_at))
            .is_none()
        {
            self.order.push_back(id);
        }
        while self.order.len() > self.capacity {
            if let Some(old) = self.order.pop_front() {
                self.by_id.remove(&old);
            }
        }
    }
}

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
    registry: Arc<Registry>,
    tokens: Arc<TokenStore>,
    producer: Arc<ReportProducer>,
    tier: AdminLevel,
    jurisdiction: String,
    gateway_id: String,
    limits: ReportLimits,
    recent: Mutex<RecentSubmissions>,
    rate_limiter: RateLimiter,
    /// Submission ids being written now: a concurrent retry of the same id waits for the
    /// first attempt's outcome instead of writing a second copy.
    in_flight: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

/// Everything a gateway needs, already opened.
pub struct GatewayParts {
    /// The loaded registry.
    pub registry: Arc<Registry>,
    /// The token store.
    pub tokens: Arc<TokenStore>,
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
    /// How many accepted submission ids to remember for repeat detection.
    pub recent_capacity: usize,
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
            registry: parts.registry,
            tokens: parts.tokens,
            producer: parts.producer,
            tier: parts.tier,
            jurisdiction: parts.jurisdiction,
            gateway_id: parts.gateway_id,
            limits: parts.limits,
            recent: Mutex::new(RecentSubmissions {
                capacity: parts.recent_capacity,
                by_id: HashMap::new(),
                order: VecDeque::new(),
            }),
            in_flight: Mutex::new(HashMap::new()),
            rate_limiter: RateLimiter::new(parts.rate_limit),
        }
    }

    fn authenticate<T>(&self, request: &Request<T>) -> Result<TokenRecord, Status> {
        let Some(value) = request.metadata().get("authorization") else {
            return Err(unauthenticated(
                "missing `authorization: Bearer <token>` metadata",
            ));
        };
        let token = value
            .to_str()
            .ok()
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .map(str::trim)
            .ok_or_else(|| unauthenticated("authorization metadata must be `Bearer <token>`"))?;
        let record = self
            .tokens
            .authenticate(token)
            .ok_or_else(|| unauthenticated("unknown or revoked token"))?;
        if record.role != TokenRole::Unit {
            return Err(permission_denied(
                "an analyst token cannot use the reporting service; use the SQL endpoint"
                    .to_string(),
            ));
        }
        Ok(record)
    }

    fn serves(&self, unit: &ReportingUnit) -> bool {
        unit.tier == self.tier && self.registry.is_within(unit, &self.jurisdiction)
    }

    fn recent_lookup(&self, id: &str) -> Option<([u8; 32], pbjson_types::Timestamp)> {
        self.recent.lock().ok()?.get(id).cloned()
    }
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
    /// Answers a valid report: a repeat of an accepted id, a refusal of a reused id, or a
    /// durable write to Kafka. Called with the submission id's lock held, so concurrent
    /// attempts with one id produce one record.
    async fn accept(
        &self,
        report: baocao_proto::v1::StatusReport,
        digest: [u8; 32],
        caller: &TokenRecord,
        now: chrono::DateTime<Utc>,
    ) -> Result<Response<SubmitReportResponse>, Status> {
        if let Some((known, received_at)) = self.recent_lookup(&report.submission_id) {
            if known != digest {
                return Err(field_error(
                    Code::AlreadyExists,
                    "report.submission_id",
                    "this submission_id was already accepted with different content; a correction needs a new submission_id",
                ));
            }
            return Ok(Response::new(SubmitReportResponse {
                submission_id: report.submission_id,
                received_at: Some(received_at),
                repeat: true,
                gateway_id: self.gateway_id.clone(),
            }));
        }

        let received_at = timestamp(now);
        let submission_id = report.submission_id.clone();
        // Keyed by the unit reported on (its versions stay in order on one partition),
        // which differs from the caller when an office submits on a commune's behalf.
        let key = report.unit_code.clone();
        let envelope = ReportEnvelope {
            schema_version: baocao_proto::ENVELOPE_SCHEMA_VERSION,
            report: Some(report),
            received_at: Some(received_at),
            gateway_tier: self.tier.as_str().to_string(),
            gateway_id: self.gateway_id.clone(),
            authenticated_unit: caller.unit.clone(),
        };
        let started = std::time::Instant::now();
        let (partition, offset) = self.producer.send(&key, &envelope.encode_to_vec()).await?;
        crate::metrics::record_produce_latency(&self.gateway_id, started.elapsed());
        tracing::info!(
            unit = %key,
            submitted_by = %caller.unit,
            submission_id = %submission_id,
            partition,
            offset,
            produce_ms = started.elapsed().as_millis() as u64,
            "report accepted"
        );
        if let Ok(mut recent) = self.recent.lock() {
            recent.insert(submission_id.clone(), digest, received_at);
        }
        Ok(Response::new(SubmitReportResponse {
            submission_id,
            received_at: Some(received_at),
            repeat: false,
            gateway_id: self.gateway_id.clone(),
        }))
    }

    /// SubmitReport without the metrics: authenticate, check the unit, validate, then
    /// [`ReportingGateway::accept`] under the submission id's lock.
    async fn submit(
        &self,
        request: Request<SubmitReportRequest>,
    ) -> Result<Response<SubmitReportResponse>, Status> {
        let caller = self.authenticate(&request)?;
        let Some(report) = request.into_inner().report else {
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
        let Some(unit) = self.registry.unit(&report.unit_code) else {
            return Err(field_error(
                Code::InvalidArgument,
                "report.unit_code",
                &format!("unknown unit `{}`", shown(&report.unit_code)),
            ));
        };
        // A unit submits for itself; a district office also for the communes of its
        // district. The envelope's authenticated_unit records who actually submitted.
        let submitter = self.registry.unit(&caller.unit);
        if !submitter.is_some_and(|s| self.registry.may_submit_for(s, unit)) {
            return Err(permission_denied(format!(
                "the token of unit `{}` cannot submit for unit `{}`",
                caller.unit,
                shown(&report.unit_code)
            )));
        }
        if !self.serves(unit) {
            return Err(permission_denied(format!(
                "unit `{}` ({} tier) is not served by this gateway ({} tier, jurisdiction {})",
                unit.code, unit.tier, self.tier, self.jurisdiction
            )));
        }

        let encoded = report.encode_to_vec();
        let now = self.clock.now();
        let context = ValidationContext {
            registry: &self.registry,
            today: vietnam_date(now),
            limits: self.limits,
            encoded_len: encoded.len(),
        };
        let violations = validate_report(&report, unit, &context);
        if !violations.is_empty() {
            tracing::info!(unit = %unit.code, problems = violations.len(), "report refused");
            return Err(invalid_report(&violations));
        }

        let digest: [u8; 32] = Sha256::digest(&encoded).into();
        // Released on drop, so also when the client goes away mid-produce.
        let id_lock = IdLock {
            gateway: self,
            id: report.submission_id.clone(),
            lock: self.id_lock(&report.submission_id),
        };
        let _attempt = id_lock.lock.lock().await;
        self.accept(report, digest, &caller, now).await
    }

    /// The lock serializing attempts with the same submission id.
    fn id_lock(&self, id: &str) -> Arc<tokio::sync::Mutex<()>> {
        match self.in_flight.lock() {
            Ok(mut map) => map.entry(id.to_string()).or_default().clone(),
            Err(_) => Arc::new(tokio::sync::Mutex::new(())),
        }
    }
}

/// One attempt's hold on a submission id's lock; forgets the lock when no other attempt
/// holds or waits for it.
struct IdLock<'a> {
    gateway: &'a ReportingGateway,
    id: String,
    lock: Arc<tokio::sync::Mutex<()>>,
}

impl Drop for IdLock<'_> {
    fn drop(&mut self) {
        if let Ok(mut map) = self.gateway.in_flight.lock() {
            // Two references: the map's and ours. More means another attempt is waiting.
            if Arc::strong_count(&self.lock) <= 2 {
                map.remove(&self.id);
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
        self.authenticate(&request)?;
        let code = request.into_inner().code;
        self.registry
            .unit(&code)
            .map(|u| Response::new(unit_message(u)))
            .ok_or_else(|| Status::not_found(format!("unknown unit `{code}`")))
    }

    async fn list_units(
        &self,
        request: Request<ListUnitsRequest>,
    ) -> Result<Response<ListUnitsResponse>, Status> {
        self.authenticate(&request)?;
        let request = request.into_inner();
        if !request.parent_code.is_empty() && self.registry.unit(&request.parent_code).is_none() {
            return Err(Status::not_found(format!(
                "unknown unit `{}`",
                request.parent_code
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
        let children = self.registry.children(&request.parent_code);
        let end = (start + page_size).min(children.len());
        let units = children
            .get(start..end)
            .unwrap_or(&[])
            .iter()
            .filter_map(|code| self.registry.unit(code))
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
        self.authenticate(&request)?;
        let today = vietnam_date(self.clock.now());
        let campaigns = self
            .registry
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
