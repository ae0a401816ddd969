//! `ListReviews`: a reviewer's queue through the gateway, the same queue the portal's
//! review page reads ([`ReviewDesk::queue`]), a page at a time.

use baocao_proto::v1::{ListReviewsRequest, ListReviewsResponse, ReviewItem};
use baocao_registry::Registry;
use baocao_rules::ReviewState;
use baocao_submission::reviews::{QueueFilter, QueueItem, QueueOrder, ReviewDesk, Timing};
use tonic::{Code, Status};

use crate::status::{field_error, refusal_status};

/// Items per page when the request says none, and at most.
const DEFAULT_PAGE: usize = 100;
const MAX_PAGE: usize = 1000;

/// The queue filter of a request, or the field that cannot be read.
fn filter_of(r: &ListReviewsRequest) -> Result<QueueFilter, Status> {
    let state = match r.state.trim() {
        "" | "pending" => Some(ReviewState::Pending),
        "all" => None,
        word => match ReviewState::parse(word) {
            Some(state) if state != ReviewState::None => Some(state),
            _ => {
                return Err(field_error(
                    Code::InvalidArgument,
                    "state",
                    "must be pending, approved, returned or all",
                ));
            }
        },
    };
    let timing = match r.timing.trim() {
        "" => None,
        word => Some(Timing::parse(word).ok_or_else(|| {
            field_error(
                Code::InvalidArgument,
                "timing",
                "must be on_time, late or not_updated",
            )
        })?),
    };
    let order = match r.order.trim() {
        "" => QueueOrder::Oldest,
        word => QueueOrder::parse(word).ok_or_else(|| {
            field_error(
                Code::InvalidArgument,
                "order",
                "must be oldest, newest or place",
            )
        })?,
    };
    Ok(QueueFilter {
        campaign: r.campaign_id.clone(),
        area: r.area_code.clone(),
        kind: r.unit_kind.clone(),
        state,
        timing,
        changed_since_approval: r.changed_since_approval,
        text: r.query.clone(),
        order,
    })
}

fn item_message(registry: &Registry, item: &QueueItem) -> ReviewItem {
    let decision = item.decision.clone().unwrap_or_default();
    let systems = &item.latest.report.systems;
    ReviewItem {
        unit_code: item.unit.code.clone(),
        unit_name: item.unit.name.clone(),
        unit_kind: item.unit.kind.clone(),
        area_code: item.unit.area_code.clone(),
        area_name: registry
            .admin_unit(&item.unit.area_code)
            .map_or_else(String::new, |a| a.name_with_type.clone()),
        submission_id: item.submission_id.clone(),
        received_at: Some(item.latest.received_at),
        review_state: item.state.as_str().to_string(),
        timing: item.timing.as_str().to_string(),
        systems: i32::try_from(systems.len()).unwrap_or(i32::MAX),
        cameras: systems.iter().map(|s| s.camera_count).sum(),
        reviewer_unit: decision.reviewer_unit,
        reason: decision.reason,
        after_approval: item.approved.is_some(),
        changes: item.changes().iter().map(ToString::to_string).collect(),
    }
}

fn count(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

/// The page of `caller`'s queue the request asks for.
pub fn list_reviews(
    desk: &ReviewDesk,
    registry: &Registry,
    caller: &str,
    r: &ListReviewsRequest,
) -> Result<ListReviewsResponse, Status> {
    let filter = filter_of(r)?;
    let size = match usize::try_from(r.page_size) {
        Ok(0) => DEFAULT_PAGE,
        Ok(size) if size <= MAX_PAGE => size,
        _ => {
            return Err(field_error(
                Code::InvalidArgument,
                "page_size",
                "must be between 0 and 1000",
            ));
        }
    };
    let offset = match r.page_token.trim() {
        "" => 0,
        token => token.parse::<usize>().map_err(|_| {
            field_error(
                Code::InvalidArgument,
                "page_token",
                "is not a token this call returned",
            )
        })?,
    };
    let queue = desk.queue(caller, &filter).map_err(refusal_status)?;
    let end = offset.saturating_add(size).min(queue.items.len());
    let items = queue
        .items
        .get(offset.min(end)..end)
        .unwrap_or_default()
        .iter()
        .map(|item| item_message(registry, item))
        .collect();
    Ok(ListReviewsResponse {
        items,
        next_page_token: if end < queue.items.len() {
            end.to_string()
        } else {
            String::new()
        },
        total: count(queue.items.len()),
        pending: count(queue.counts.pending),
        approved: count(queue.counts.approved),
        returned: count(queue.counts.returned),
        not_reported: count(queue.counts.not_reported),
    })
}
