//! "Nhật ký hoạt động": the department reads the audit log of the accounts within its
//! reach — sign-ins, password changes, administrators' actions — filtered by person,
//! unit, action and dates, paged, and as a CSV file Excel opens.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use baocao_accounts::{AUDIT_EVENTS, AuditFilter, Role, Session, audit_csv, event_label};
use baocao_errors::Chain;
use baocao_registry::vietnam_day_start;
use chrono::{NaiveDate, Utc};

use super::{Pager, Reach};
use crate::auth::{SignedIn, user_bar};
use crate::pages::{self, UserBar};
use crate::state::AppState;

/// Events shown per page.
const PAGE_SIZE: usize = 100;
/// Events a CSV file holds at most (the filters narrow a longer log).
const CSV_MAX: usize = 200_000;

/// One event's row.
pub struct AuditRow {
    pub at: String,
    pub event: String,
    pub username: String,
    pub actor: String,
    pub unit: String,
    pub detail: String,
}

#[derive(Template)]
#[template(path = "audit.html")]
pub struct AuditPageView {
    pub user: UserBar,
    pub person: String,
    pub unit: String,
    pub event: String,
    pub from: String,
    pub to: String,
    pub events: Vec<(&'static str, &'static str)>,
    pub rows: Vec<AuditRow>,
    pub total: usize,
    pub pager: Pager,
    pub csv_href: String,
    pub problem: String,
}

/// The department's reach, or the page refusing anyone else.
fn reader(state: &AppState, session: &Session) -> Result<Reach, Box<Response>> {
    match Reach::of(session) {
        Some(reach) if session.account.person.role == Role::Province => Ok(reach),
        _ => Err(Box::new(pages::message(
            StatusCode::FORBIDDEN,
            Some(user_bar(state, session)),
            "Không có quyền",
            "Nhật ký hoạt động chỉ dành cho Sở (cán bộ cấp tỉnh).",
        ))),
    }
}

/// A day field (`yyyy-mm-dd` from a date input, or `dd/mm/yyyy` typed), or the problem
/// naming the field.
fn day_of(
    query: &HashMap<String, String>,
    field: &str,
    label: &str,
) -> Result<Option<NaiveDate>, String> {
    let text = query.get(field).map_or("", |t| t.trim());
    if text.is_empty() {
        return Ok(None);
    }
    baocao_registry::parse_day(text)
        .map(Some)
        .ok_or_else(|| format!("{label}: “{text}” không phải là ngày (ngày/tháng/năm)."))
}

/// The filter a query asks for, within `reach`.
fn filter_of(
    state: &AppState,
    reach: &Reach,
    query: &HashMap<String, String>,
) -> Result<AuditFilter, String> {
    let text = |field: &str| query.get(field).map_or("", |t| t.trim()).to_string();
    let from = day_of(query, "from", "Từ ngày")?;
    let to = day_of(query, "to", "Đến ngày")?;
    Ok(AuditFilter {
        person: text("person").to_lowercase(),
        unit: text("unit"),
        event: text("event"),
        from: from.map(vietnam_day_start),
        until: to.and_then(|d| d.succ_opt()).map(vietnam_day_start),
        units: reach.units(&state.core().registry()),
    })
}

/// `GET /audit?person=&unit=&event=&from=&to=&page=`
pub async fn page(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let reach = match reader(&state, &session) {
        Ok(reach) => reach,
        Err(answer) => return *answer,
    };
    let (filter, problem) = match filter_of(&state, &reach, &query) {
        Ok(filter) => (Some(filter), String::new()),
        Err(problem) => (None, problem),
    };
    let found = match &filter {
        Some(filter) => {
            let wanted = Pager::new(&query, usize::MAX / 2, PAGE_SIZE, "/audit");
            let offset = (wanted.page - 1) * PAGE_SIZE;
            match state.accounts().audit_page(filter, offset, PAGE_SIZE).await {
                Ok(found) => found,
                Err(err) => return broken(&state, &session, &err),
            }
        }
        None => Default::default(),
    };
    let registry = state.core().registry();
    let rows = found
        .entries
        .iter()
        .map(|e| AuditRow {
            at: pages::vn_time_seconds(e.at),
            event: event_label(&e.event).to_string(),
            username: e.username.clone(),
            actor: e.actor.clone(),
            unit: registry.unit(&e.unit_code).map_or_else(
                || e.unit_code.clone(),
                |u| format!("{} ({})", u.name, u.code),
            ),
            detail: e.detail.clone(),
        })
        .collect();
    let text = |field: &str| query.get(field).cloned().unwrap_or_default();
    let csv_query: String = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(
            ["person", "unit", "event", "from", "to"]
                .iter()
                .map(|f| (*f, text(f))),
        )
        .finish();
    let view = AuditPageView {
        user: user_bar(&state, &session),
        person: text("person"),
        unit: text("unit"),
        event: text("event"),
        from: text("from"),
        to: text("to"),
        events: AUDIT_EVENTS.to_vec(),
        rows,
        total: found.total,
        pager: Pager::new(&query, found.total, PAGE_SIZE, "/audit"),
        csv_href: format!("/audit.csv?{csv_query}"),
        problem: problem.clone(),
    };
    let status = if problem.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    pages::render(status, &view)
}

/// `GET /audit.csv?…`: the filtered events as a CSV file (UTF-8 with its mark).
pub async fn csv(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let reach = match reader(&state, &session) {
        Ok(reach) => reach,
        Err(answer) => return *answer,
    };
    let filter = match filter_of(&state, &reach, &query) {
        Ok(filter) => filter,
        Err(problem) => {
            return pages::message(
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(user_bar(&state, &session)),
                "Bộ lọc không hợp lệ",
                &problem,
            );
        }
    };
    let found = match state.accounts().audit_page(&filter, 0, CSV_MAX).await {
        Ok(found) => found,
        Err(err) => return broken(&state, &session, &err),
    };
    let name = format!(
        "nhat-ky-{}.csv",
        baocao_registry::vietnam_date(Utc::now()).format("%Y-%m-%d")
    );
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        audit_csv(&found.entries),
    )
        .into_response()
}

fn broken(state: &AppState, session: &Session, err: &baocao_accounts::Error) -> Response {
    tracing::error!(error = %Chain(err), "portal: reading the audit log failed");
    pages::message(
        StatusCode::INTERNAL_SERVER_ERROR,
        Some(user_bar(state, session)),
        "Lỗi hệ thống",
        "Không đọc được nhật ký hoạt động. Hãy thử lại sau ít phút.",
    )
}
