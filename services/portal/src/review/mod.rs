//! Review in the portal at province scale: a reviewer (an office for the units of its
//! area, the DIC for its campaign) works through its queue — filtered by area at any
//! tier, unit kind, state, timing and "changed since approval", searched, paged, oldest
//! first — sees each version's figures and what moved since the version it approved,
//! and approves or returns one (with a reason), or approves a chosen set at once after
//! one confirmation ([`bulk`]). Every decision goes through the same review desk as the
//! gateways' `ReviewReport`, one event per version; a unit sees its status and the reason
//! on its report form.

mod bulk;
mod rows;

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use baocao_accounts::Session;
use baocao_errors::Chain;
use baocao_registry::{Campaign, Registry, ReportingUnit, vietnam_date};
use baocao_submission::Refusal;
use baocao_submission::reviews::{Queue, QueueFilter, QueueOrder, ReviewRequest, Timing};

use crate::admin::Pager;
use crate::auth::{PostedForm, SignedIn, field, user_bar};
use crate::pages;
use crate::state::AppState;
use baocao_rules::{Decision, Door, ReviewState, said};
pub use bulk::bulk;
use rows::{BacklogRow, ReviewFilters, ReviewPage, SORTS, STATES, TIMINGS, row_of};

/// Versions shown per page.
const PAGE_SIZE: usize = 25;

/// The campaigns a reviewer works on today: begun and not past their last day.
fn review_campaigns(registry: &Registry, today: chrono::NaiveDate) -> Vec<&Campaign> {
    registry
        .campaigns()
        .iter()
        .filter(|c| c.opens_on <= today && today <= c.last_day())
        .collect()
}

/// The person's unit, if it reviews anyone; otherwise the 403 page.
fn reviewer_unit(state: &AppState, session: &Session) -> Result<ReportingUnit, Box<Response>> {
    let registry = state.core().registry();
    match registry.unit(&session.account.person.unit_code) {
        Some(unit) if session.account.person.role.submits() && registry.reviews_anyone(unit) => {
            Ok(unit.clone())
        }
        _ => Err(Box::new(pages::message(
            StatusCode::FORBIDDEN,
            Some(user_bar(state, session)),
            "Không có quyền",
            "Đơn vị của bạn không duyệt báo cáo của đơn vị nào.",
        ))),
    }
}

/// `GET /review?campaign=&area=&kind=&state=&timing=&changed=&q=&sort=&page=&done=`
pub async fn page(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let notice = match (query.get("done"), query.get("approved")) {
        (Some(done), _) => Decision::parse(done)
            .map_or("", Decision::done_vi)
            .to_string(),
        (None, Some(count)) => format!(
            "Đã phê duyệt {} báo cáo.",
            count.parse::<usize>().unwrap_or(0)
        ),
        _ => String::new(),
    };
    render(&state, &session, StatusCode::OK, &query, &notice, "")
}

/// The filter a page's query asks for (`state` defaults to pending, the work to do).
fn filter_of(query: &HashMap<String, String>, campaign: &str) -> QueueFilter {
    let text = |key: &str| query.get(key).map_or("", |v| v.trim()).to_string();
    let state = match text("state").as_str() {
        "all" => None,
        word => Some(ReviewState::parse(word).unwrap_or(ReviewState::Pending)),
    };
    QueueFilter {
        campaign: campaign.to_string(),
        area: text("area"),
        kind: text("kind"),
        state,
        timing: Timing::parse(&text("timing")),
        changed_since_approval: text("changed") == "1",
        text: text("q"),
        order: QueueOrder::parse(&text("sort")).unwrap_or_default(),
    }
}

/// The areas a reviewer narrows to: its whole reach, the area chosen, and every area one
/// tier below it that has units to review, each with what waits there.
fn area_choices(
    registry: &Registry,
    reviewer: &ReportingUnit,
    area: &str,
    queue: &Queue,
) -> Vec<(String, String)> {
    let name = |code: &str| {
        registry
            .admin_unit(code)
            .map_or_else(|| code.to_string(), |a| a.name_with_type.clone())
    };
    let mut out = vec![(
        String::new(),
        format!("Toàn bộ ({})", name(&reviewer.area_code)),
    )];
    if !area.is_empty() {
        out.push((area.to_string(), name(area)));
    }
    let mut children: Vec<(String, String)> = queue
        .backlog
        .iter()
        .filter(|b| b.code != area)
        .map(|b| {
            let label = match b.pending {
                0 => format!("— {}", b.name),
                n => format!("— {} ({n} chờ duyệt)", b.name),
            };
            (b.code.clone(), label)
        })
        .collect();
    children.sort_by(|a, b| a.1.cmp(&b.1));
    out.extend(children);
    out
}

/// The review page for the query (the first campaign the reviewer works on when it
/// names none).
fn render(
    state: &AppState,
    session: &Session,
    status: StatusCode,
    query: &HashMap<String, String>,
    notice: &str,
    problem: &str,
) -> Response {
    let reviewer = match reviewer_unit(state, session) {
        Ok(unit) => unit,
        Err(answer) => return *answer,
    };
    let registry = state.core().registry();
    let today = vietnam_date(state.core().now());
    let campaigns = review_campaigns(&registry, today);
    let wanted = query.get("campaign").map_or("", String::as_str);
    let chosen = campaigns
        .iter()
        .find(|c| c.id == wanted)
        .or_else(|| campaigns.first())
        .copied();
    let filter = filter_of(query, chosen.map_or("", |c| c.id.as_str()));
    let queue = match chosen {
        Some(_) => match state.reviews().queue(&reviewer.code, &filter) {
            Ok(queue) => queue,
            Err(refusal) => {
                let (status, text) = refusal_text(&refusal);
                return pages::message(
                    status,
                    Some(user_bar(state, session)),
                    "Không xem được",
                    &text,
                );
            }
        },
        None => Queue::default(),
    };
    let pager = Pager::new(query, queue.items.len(), PAGE_SIZE, "/review");
    let page = ReviewPage {
        user: user_bar(state, session),
        filters: filters_view(&registry, &reviewer, &campaigns, chosen, query, &queue),
        states: STATES.to_vec(),
        timings: TIMINGS.to_vec(),
        sorts: SORTS.to_vec(),
        any_pending: queue.items[pager.range()]
            .iter()
            .any(|i| i.state == ReviewState::Pending),
        rows: queue.items[pager.range()]
            .iter()
            .map(|i| row_of(&registry, i))
            .collect(),
        pending: queue.counts.pending,
        approved: queue.counts.approved,
        returned: queue.counts.returned,
        not_reported: queue.counts.not_reported,
        matching: queue.items.len(),
        backlog: backlog_rows(query, &queue),
        milestone: queue
            .milestone
            .as_ref()
            .map_or_else(String::new, |(name, deadline)| {
                format!(
                    "{name}: hạn gửi của đơn vị {}",
                    baocao_registry::vn_date(*deadline)
                )
            }),
        pager,
        notice: notice.to_string(),
        problem: problem.to_string(),
    };
    pages::render(status, &page)
}

/// The query with `key` set to `value` (and the page and notices dropped), as a link.
fn link_with(query: &HashMap<String, String>, key: &str, value: &str) -> String {
    crate::admin::link_with(
        "/review",
        query,
        &["page", "done", "approved"],
        (key, value),
    )
}

fn backlog_rows(query: &HashMap<String, String>, queue: &Queue) -> Vec<BacklogRow> {
    queue
        .backlog
        .iter()
        .filter(|b| b.pending > 0)
        .map(|b| BacklogRow {
            name: b.name.clone(),
            pending: b.pending,
            href: link_with(query, "area", &b.code),
        })
        .collect()
}

fn filters_view(
    registry: &Registry,
    reviewer: &ReportingUnit,
    campaigns: &[&Campaign],
    chosen: Option<&Campaign>,
    query: &HashMap<String, String>,
    queue: &Queue,
) -> ReviewFilters {
    let text = |key: &str| query.get(key).map_or("", |v| v.trim()).to_string();
    let kinds = crate::dashboard::scoped::unit_kinds(registry);
    let here = link_with(query, "page", "1");
    ReviewFilters {
        campaigns: campaigns
            .iter()
            .map(|c| (c.id.clone(), c.name.clone()))
            .collect(),
        campaign: chosen.map_or_else(String::new, |c| c.id.clone()),
        areas: area_choices(registry, reviewer, &text("area"), queue),
        area: text("area"),
        kinds,
        kind: text("kind"),
        state: match text("state").as_str() {
            "" => "pending".to_string(),
            word => word.to_string(),
        },
        timing: text("timing"),
        changed: text("changed") == "1",
        q: text("q"),
        sort: text("sort"),
        here,
    }
}

/// What a refused decision tells the reviewer, in Vietnamese.
fn refusal_text(refusal: &Refusal) -> (StatusCode, String) {
    let status = match refusal {
        Refusal::Invalid(_) | Refusal::Missing { .. } => StatusCode::UNPROCESSABLE_ENTITY,
        Refusal::AlreadyReviewed(_) | Refusal::IdReused { .. } => StatusCode::CONFLICT,
        Refusal::Unavailable(err) => {
            tracing::warn!(error = %Chain(err), "portal: review not recorded (Kafka)");
            StatusCode::SERVICE_UNAVAILABLE
        }
        Refusal::UnknownUnit { .. } | Refusal::NotPermitted(_) | Refusal::RateLimited { .. } => {
            StatusCode::FORBIDDEN
        }
    };
    (status, said(refusal.refused(), Door::Review).sentence())
}

/// `POST /review`: approve or return one version.
pub async fn decide(
    State(state): State<AppState>,
    PostedForm { session, pairs }: PostedForm,
) -> Response {
    let reviewer = match reviewer_unit(&state, &session) {
        Ok(unit) => unit,
        Err(answer) => return *answer,
    };
    let campaign = field(&pairs, "campaign_id").to_string();
    let request = ReviewRequest {
        unit_code: field(&pairs, "unit_code").to_string(),
        campaign_id: campaign.clone(),
        submission_id: field(&pairs, "submission_id").to_string(),
        decision: Decision::parse(field(&pairs, "decision")),
        reason: field(&pairs, "reason").to_string(),
    };
    let unit = baocao_rules::validate::shown(&request.unit_code);
    match state
        .reviews()
        .review(&reviewer.code, request.clone())
        .await
    {
        Ok(event) => {
            tracing::info!(target: "audit", event = "review", username = %session.account.person.username, unit = %unit, decision = %event.decision, "audit");
            let back = back_query(&pairs, &campaign);
            Redirect::to(&link_with(&back, "done", &event.decision)).into_response()
        }
        Err(refusal) => {
            let (status, text) = refusal_text(&refusal);
            let back = back_query(&pairs, &campaign);
            render(
                &state,
                &session,
                status,
                &back,
                "",
                &format!("Đơn vị {unit}: {text}"),
            )
        }
    }
}

/// The page's filters a posted form carries back (`back`: the page's query), with the
/// campaign decided on.
fn back_query(pairs: &[(String, String)], campaign: &str) -> HashMap<String, String> {
    let mut back: HashMap<String, String> = url::form_urlencoded::parse(
        field(pairs, "back")
            .trim_start_matches("/review?")
            .as_bytes(),
    )
    .into_owned()
    .filter(|(k, _)| !["page", "done", "approved"].contains(&k.as_str()))
    .collect();
    back.insert("campaign".into(), campaign.to_string());
    back
}

/// The review status of the unit's latest version, as its report form says it; empty
/// when nothing was sent or nobody reviews it.
pub fn status_note(state: &AppState, caller: &str, unit: &str, campaign: &str) -> String {
    let Ok(status) = state.reviews().status(caller, unit, campaign) else {
        return String::new();
    };
    let Some(decision) = &status.decision else {
        return if status.latest.is_some() {
            "Báo cáo gần nhất đang chờ cấp trên xem xét, phê duyệt.".to_string()
        } else {
            String::new()
        };
    };
    let registry = state.core().registry();
    let by = registry
        .unit(&decision.reviewer_unit)
        .map_or_else(|| decision.reviewer_unit.clone(), |u| u.name.clone());
    if status.state() == ReviewState::Approved {
        format!("Báo cáo gần nhất đã được {by} phê duyệt.")
    } else {
        format!(
            "Báo cáo gần nhất đã bị {by} trả lại. Lý do: {} Sửa theo yêu cầu rồi gửi lại.",
            decision.reason
        )
    }
}
