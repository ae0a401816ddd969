//! Review in the portal: a reviewer (a district office for its communes' units, the DIC
//! for its campaign) sees the latest version of each unit it reviews with the figures to
//! check, and approves or returns it with a reason — through the same review desk as the
//! gateways' `ReviewReport`; a unit sees its status and the reason on its report form.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use baocao_accounts::Session;
use baocao_errors::Chain;
use baocao_registry::{Campaign, Registry, ReportingUnit, vietnam_date};
use baocao_submission::Refusal;
use baocao_submission::reviews::{ReviewRequest, ReviewStatus};

use crate::auth::{PostedForm, SignedIn, field, user_bar};
use crate::pages::{self, ReviewPage, ReviewRow};
use crate::state::AppState;
use baocao_rules::{Decision, Door, ReviewState, said};

/// Rows shown at most per state; the rest are counted.
const MAX_ROWS: usize = 300;

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

/// The figures a reviewer checks before approving: systems, cameras and proposed levels.
fn figures_of(status: &ReviewStatus) -> String {
    let Some((_, latest)) = &status.latest else {
        return String::new();
    };
    let systems = &latest.report.systems;
    let cameras: i64 = systems.iter().map(|s| s.camera_count).sum();
    let mut levels = [0usize; 5];
    for s in systems {
        if let Some(count) = usize::try_from(s.proposed_level - 1)
            .ok()
            .and_then(|i| levels.get_mut(i))
        {
            *count += 1;
        }
    }
    let levels = levels
        .iter()
        .enumerate()
        .filter(|(_, n)| **n > 0)
        .map(|(i, n)| format!("cấp {}: {n}", i + 1))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "{} hệ thống, {} camera{}",
        systems.len(),
        cameras,
        if levels.is_empty() {
            String::new()
        } else {
            format!(" ({levels})")
        }
    )
}

/// The Vietnamese label of `value` among `options` (the form's own words).
fn label(options: baocao_rules::typed::Options, value: &str) -> String {
    options
        .iter()
        .find(|(v, _)| *v == value)
        .map_or_else(|| "—".to_string(), |(_, l)| (*l).to_string())
}

/// Each system of the version as a reviewer reads it: name and code, where, cameras,
/// proposed level, dossier, plan.
fn system_lines(status: &ReviewStatus) -> Vec<String> {
    use baocao_proto::v1::{DossierStatus, PlanStatus};
    use baocao_rules::typed::{DOSSIER_OPTIONS, PLAN_OPTIONS};
    let Some((_, latest)) = &status.latest else {
        return Vec::new();
    };
    latest
        .report
        .systems
        .iter()
        .map(|s| {
            let dossier = DossierStatus::try_from(s.dossier_status).map_or("", |d| d.as_str_name());
            let plan = PlanStatus::try_from(s.plan_status).map_or("", |p| p.as_str_name());
            format!(
                "{} ({}) · {} · {} camera · đề xuất cấp độ {} · {} · phương án: {}",
                s.name,
                s.system_code,
                s.location,
                s.camera_count,
                s.proposed_level,
                label(DOSSIER_OPTIONS, dossier),
                label(PLAN_OPTIONS, plan).to_lowercase()
            )
        })
        .collect()
}

/// Who reported the version and how to reach them.
fn reporter_of(status: &ReviewStatus) -> String {
    let Some(reporter) = status
        .latest
        .as_ref()
        .and_then(|(_, latest)| latest.report.reporter.as_ref())
    else {
        return String::new();
    };
    [
        &reporter.full_name,
        &reporter.position,
        &reporter.phone,
        &reporter.email,
    ]
    .into_iter()
    .filter(|part| !part.trim().is_empty())
    .map(String::as_str)
    .collect::<Vec<_>>()
    .join(" · ")
}

/// One unit's row, or `None` when it has sent nothing.
fn row_of(registry: &Registry, unit: &ReportingUnit, status: &ReviewStatus) -> Option<ReviewRow> {
    let (id, latest) = status.latest.as_ref()?;
    let received = chrono::DateTime::from_timestamp(latest.received_at.seconds, 0)
        .map(pages::vn_time)
        .unwrap_or_default();
    let decision = status.decision.as_ref();
    Some(ReviewRow {
        code: unit.code.clone(),
        name: unit.name.clone(),
        place: registry
            .admin_unit(&unit.area_code)
            .map_or_else(String::new, |a| a.name_with_type.clone()),
        submission_id: id.clone(),
        received,
        figures: figures_of(status),
        systems: system_lines(status),
        reporter: reporter_of(status),
        state: status.state(),
        reviewer: decision.map_or_else(String::new, |d| {
            registry
                .unit(&d.reviewer_unit)
                .map_or_else(|| d.reviewer_unit.clone(), |u| u.name.clone())
        }),
        reason: decision.map_or_else(String::new, |d| d.reason.clone()),
    })
}

/// `GET /review?campaign=&done=`: the versions to review and those decided.
pub async fn page(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let notice = query
        .get("done")
        .and_then(|done| Decision::parse(done))
        .map_or("", Decision::done_vi);
    let campaign = query.get("campaign").map_or("", String::as_str);
    render(&state, &session, StatusCode::OK, campaign, notice, "")
}

/// The review page for `campaign` (the first the reviewer works on when empty).
fn render(
    state: &AppState,
    session: &Session,
    status: StatusCode,
    campaign: &str,
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
    let chosen = campaigns
        .iter()
        .find(|c| c.id == campaign)
        .or_else(|| campaigns.first())
        .copied();
    let mut rows: Vec<ReviewRow> = Vec::new();
    let mut not_reported = 0usize;
    if let Some(chosen) = chosen {
        for unit in registry
            .units()
            .filter(|u| registry.may_review(&reviewer, u, chosen) && registry.expects(chosen, u))
        {
            let Ok(status) = state
                .reviews()
                .status(&reviewer.code, &unit.code, &chosen.id)
            else {
                continue;
            };
            match row_of(&registry, unit, &status) {
                Some(row) => rows.push(row),
                None => not_reported += 1,
            }
        }
    }
    rows.sort_by(|a, b| (a.order(), &a.place, &a.code).cmp(&(b.order(), &b.place, &b.code)));
    let count = |state: ReviewState| rows.iter().filter(|r| r.state == state).count();
    let counts = [
        count(ReviewState::Pending),
        count(ReviewState::Approved),
        count(ReviewState::Returned),
        not_reported,
    ];
    let mut shown: HashMap<ReviewState, usize> = HashMap::new();
    rows.retain(|r| {
        let n = shown.entry(r.state).or_default();
        *n += 1;
        *n <= MAX_ROWS
    });
    let page = ReviewPage {
        user: user_bar(state, session),
        campaigns: campaigns
            .iter()
            .map(|c| (c.id.clone(), c.name.clone()))
            .collect(),
        campaign: chosen.map_or_else(String::new, |c| c.id.clone()),
        rows,
        pending: counts[0],
        approved: counts[1],
        returned: counts[2],
        not_reported: counts[3],
        max_rows: MAX_ROWS,
        notice: notice.to_string(),
        problem: problem.to_string(),
    };
    pages::render(status, &page)
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
            let to = format!(
                "/review?campaign={}&done={}",
                url::form_urlencoded::byte_serialize(campaign.as_bytes()).collect::<String>(),
                event.decision
            );
            Redirect::to(&to).into_response()
        }
        Err(refusal) => {
            let (status, text) = refusal_text(&refusal);
            render(
                &state,
                &session,
                status,
                &campaign,
                "",
                &format!("Đơn vị {unit}: {text}"),
            )
        }
    }
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
