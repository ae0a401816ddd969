//! Approving many versions at once: the reviewer ticks versions on the review page (or
//! takes every one the page lists), sees them named on one confirmation page, and on
//! confirming each is approved through the review desk — one event per version, exactly
//! as if approved one by one; a version decided meanwhile or replaced by a newer one is
//! named with its reason and left alone.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use baocao_rules::{Decision, Door, said};
use baocao_submission::reviews::ReviewRequest;

use super::{back_query, link_with, reviewer_unit};
use crate::auth::{PostedForm, user_bar};
use crate::pages::{self, UserBar};
use crate::state::AppState;

/// Versions one bulk decision approves at most (a province's backlog is a few pages).
pub const MAX_BULK: usize = 500;

#[derive(Template)]
#[template(path = "review_bulk.html")]
pub struct BulkPage {
    pub user: UserBar,
    pub campaign: String,
    pub back: String,
    /// (pick value, unit name and code) of each chosen version.
    pub picks: Vec<(String, String)>,
    /// Why some could not be approved, one line each (after confirming).
    pub refused: Vec<String>,
    pub approved: usize,
    pub done: bool,
    pub problem: String,
}

/// The (unit, submission id) pairs chosen: the ticked ones, or with `all` every one the
/// page listed.
fn picks_of(form: &PostedForm) -> Vec<(String, String)> {
    let name = if form.field("all") == "page" {
        "listed"
    } else {
        "pick"
    };
    let mut seen = std::collections::HashSet::new();
    form.pairs
        .iter()
        .filter(|(k, _)| k == name)
        .filter_map(|(_, v)| v.split_once('|'))
        .map(|(unit, id)| (unit.trim().to_string(), id.trim().to_string()))
        .filter(|pick| seen.insert(pick.clone()))
        .collect()
}

/// `POST /review/bulk`: the confirmation page of the chosen versions, then (with
/// `confirmed=yes`) their approval.
pub async fn bulk(State(state): State<AppState>, form: PostedForm) -> Response {
    let session = &form.session;
    let reviewer = match reviewer_unit(&state, session) {
        Ok(unit) => unit,
        Err(answer) => return *answer,
    };
    let campaign = form.field("campaign_id").to_string();
    let back = back_query(&form.pairs, &campaign);
    let picks = picks_of(&form);
    let registry = state.core().registry();
    let named: Vec<(String, String)> = picks
        .iter()
        .map(|(unit, id)| {
            let name = registry.unit(unit).map_or("", |u| u.name.as_str());
            (format!("{unit}|{id}"), format!("{name} ({unit})"))
        })
        .collect();
    let mut page = BulkPage {
        user: user_bar(&state, session),
        campaign: campaign.clone(),
        back: link_with(&back, "page", "1"),
        picks: named,
        refused: Vec::new(),
        approved: 0,
        done: false,
        problem: String::new(),
    };
    if picks.is_empty() || picks.len() > MAX_BULK {
        page.problem = if picks.is_empty() {
            "Chưa chọn báo cáo nào. Đánh dấu ô “Chọn” của từng báo cáo, hoặc chọn phê duyệt tất cả trên trang.".into()
        } else {
            format!(
                "Mỗi lần phê duyệt tối đa {MAX_BULK} báo cáo (đã chọn {}).",
                picks.len()
            )
        };
        return pages::render(StatusCode::UNPROCESSABLE_ENTITY, &page);
    }
    if form.field("confirmed") != "yes" {
        return pages::render(StatusCode::OK, &page);
    }
    for (unit, id) in picks {
        let request = ReviewRequest {
            unit_code: unit.clone(),
            campaign_id: campaign.clone(),
            submission_id: id,
            decision: Some(Decision::Approve),
            reason: String::new(),
        };
        match state.reviews().review(&reviewer.code, request).await {
            Ok(_) => page.approved += 1,
            Err(refusal) => page.refused.push(format!(
                "Đơn vị {unit}: {}",
                said(refusal.refused(), Door::Review).sentence()
            )),
        }
    }
    tracing::info!(target: "audit", event = "review_bulk", username = %session.account.person.username, approved = page.approved, refused = page.refused.len(), "audit");
    if page.refused.is_empty() {
        return Redirect::to(&link_with(&back, "approved", &page.approved.to_string()))
            .into_response();
    }
    page.done = true;
    pages::render(StatusCode::OK, &page)
}
