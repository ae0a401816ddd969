//! The `ReportingService` a tier gateway serves: authenticate the unit, check it belongs
//! to this gateway's tier and jurisdiction, validate, write to Kafka, answer OK only once
//! the write is acknowledged.

use std::sync::Arc;

use baocao_access::TokenRecord;
use baocao_proto::v1::reporting_service_server::ReportingService;
use baocao_proto::v1::{
    Campaign as CampaignMessage, Date, GetReportStatusRequest, GetUnitRequest,
    ListCampaignsRequest, ListCampaignsResponse, ListReviewsRequest, ListReviewsResponse,
    ListUnitsRequest, ListUnitsResponse, Milestone as MilestoneMessage, ReportStatus,
    ReviewDecision, ReviewReportRequest, ReviewReportResponse, SubmitReportRequest,
    SubmitReportResponse, Unit,
};
use baocao_registry::{ReportingUnit, vietnam_date};
use baocao_rules::Decision;
use baocao_rules::validate::shown;
use baocao_signing::Signer;
use baocao_submission::reviews::{ReviewDesk, ReviewRequest};
use baocao_submission::{Receipt, Refusal, SubmissionCore};
use chrono::{Datelike, NaiveDate};
use tonic::{Code, Request, Response, Status};

use crate::status::{field_error, refusal_status, unauthenticated};

/// One tier gateway: the gRPC door of a [`SubmissionCore`] serving one tier of one
/// jurisdiction.
pub struct ReportingGateway {
    core: Arc<SubmissionCore>,
    reviews: Arc<ReviewDesk>,
    /// Signs receipts, when configured; with the reports topic receipts name.
    receipts: Option<(Arc<Signer>, String)>,
}

impl ReportingGateway {
    /// The gRPC service over `core`, with `reviews` for the review calls.
    pub fn new(core: Arc<SubmissionCore>, reviews: Arc<ReviewDesk>) -> Self {
        ReportingGateway {
            core,
            reviews,
            receipts: None,
        }
    }

    /// The gateway signing each accepted report's receipt with `signer` (none: unsigned);
    /// `topic` is the reports topic the receipts name.
    pub fn with_receipts(mut self, signer: Option<Arc<Signer>>, topic: String) -> Self {
        self.receipts = signer.map(|s| (s, topic));
        self
    }

    /// The receipt of an accepted report and its signature, when receipts are signed.
    fn signed_receipt(&self, receipt: &Receipt) -> Result<(Vec<u8>, Vec<u8>), Status> {
        let Some((signer, topic)) = &self.receipts else {
            return Ok((Vec::new(), Vec::new()));
        };
        let bytes = receipt.signed(topic).to_bytes();
        let signature = signer.sign(&bytes).map_err(|err| {
            tracing::error!(error = %baocao_errors::Chain(&err), "signing a receipt failed");
            Status::internal("the report was accepted but its receipt could not be signed; send it again for the receipt")
        })?;
        Ok((bytes, signature))
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
}

/// A refused review as a status: as a refused report's, worded for a review.
fn review_refusal(refusal: Refusal) -> Status {
    let status = refusal_status(refusal);
    match status.message().strip_prefix("report refused") {
        Some(rest) => Status::with_details(
            status.code(),
            format!("review refused{rest}"),
            status.details().to_vec().into(),
        ),
        None => status,
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

impl ReportingGateway {
    /// SubmitReport without the metrics: the caller (authenticated by the guard) and the
    /// report go to the submission core; its refusals become statuses (`status.rs`).
    async fn submit(
        &self,
        request: Request<SubmitReportRequest>,
    ) -> Result<Response<SubmitReportResponse>, Status> {
        let caller = Self::caller(&request)?;
        let SubmitReportRequest {
            report,
            validate_only,
        } = request.into_inner();
        let Some(report) = report else {
            return Err(refusal_status(Refusal::Missing { field: "report" }));
        };
        if validate_only {
            let checked = self
                .core
                .check(&caller.unit, report)
                .map_err(refusal_status)?;
            return Ok(Response::new(SubmitReportResponse {
                submission_id: checked.submission_id,
                received_at: None,
                repeat: checked.repeat,
                gateway_id: self.core.front_door_id().to_string(),
                ..SubmitReportResponse::default()
            }));
        }
        let receipt = self
            .core
            .submit(&caller.unit, report)
            .await
            .map_err(refusal_status)?;
        if let Some(elapsed) = receipt.produce_time {
            crate::metrics::record_produce_latency(self.core.front_door_id(), elapsed);
        }
        let (signed, signature) = self.signed_receipt(&receipt)?;
        Ok(Response::new(SubmitReportResponse {
            submission_id: receipt.submission_id,
            received_at: Some(receipt.received_at),
            repeat: receipt.repeat,
            gateway_id: receipt.front_door_id,
            receipt: signed,
            receipt_signature: signature,
        }))
    }
}

#[tonic::async_trait]
impl ReportingService for ReportingGateway {
    async fn submit_report(
        &self,
        request: Request<SubmitReportRequest>,
    ) -> Result<Response<SubmitReportResponse>, Status> {
        let result = self.submit(request).await;
        crate::metrics::record_submission(self.core.front_door_id(), &result);
        result
    }

    async fn review_report(
        &self,
        request: Request<ReviewReportRequest>,
    ) -> Result<Response<ReviewReportResponse>, Status> {
        let caller = Self::caller(&request)?;
        let r = request.into_inner();
        let decision = match ReviewDecision::try_from(r.decision) {
            Ok(ReviewDecision::Approve) => Some(Decision::Approve),
            Ok(ReviewDecision::Return) => Some(Decision::Return),
            _ => None,
        };
        let event = self
            .reviews
            .review(
                &caller.unit,
                ReviewRequest {
                    unit_code: r.unit_code,
                    campaign_id: r.campaign_id,
                    submission_id: r.submission_id,
                    decision,
                    reason: r.reason,
                },
            )
            .await
            .map_err(review_refusal)?;
        Ok(Response::new(ReviewReportResponse {
            reviewed_at: event.reviewed_at,
            reviewer_unit: event.reviewer_unit,
            gateway_id: event.gateway_id,
        }))
    }

    async fn get_report_status(
        &self,
        request: Request<GetReportStatusRequest>,
    ) -> Result<Response<ReportStatus>, Status> {
        let caller = Self::caller(&request)?;
        let r = request.into_inner();
        let status = self
            .reviews
            .status(&caller.unit, &r.unit_code, &r.campaign_id)
            .map_err(refusal_status)?;
        let decision = status.decision.clone().unwrap_or_default();
        Ok(Response::new(ReportStatus {
            review_state: status.state().as_str().to_string(),
            submission_id: status
                .latest
                .as_ref()
                .map(|(id, _)| id.clone())
                .unwrap_or_default(),
            received_at: status.latest.as_ref().map(|(_, v)| v.received_at),
            reviewer_unit: decision.reviewer_unit,
            reason: decision.reason,
            reviewed_at: decision.reviewed_at,
            unit_code: r.unit_code,
            campaign_id: r.campaign_id,
        }))
    }

    async fn list_reviews(
        &self,
        request: Request<ListReviewsRequest>,
    ) -> Result<Response<ListReviewsResponse>, Status> {
        let caller = Self::caller(&request)?;
        let registry = self.core.registry();
        crate::queue::list_reviews(&self.reviews, &registry, &caller.unit, request.get_ref())
            .map(Response::new)
    }

    async fn get_unit(&self, request: Request<GetUnitRequest>) -> Result<Response<Unit>, Status> {
        Self::caller(&request)?;
        let code = request.into_inner().code;
        self.core
            .registry()
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
        let registry = self.core.registry();
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
        let today = vietnam_date(self.core.now());
        let campaigns = self
            .core
            .registry()
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
