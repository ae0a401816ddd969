//! The report form: which unit and campaign, pre-filled from the last accepted version,
//! rows of camera systems added and removed without JavaScript, and the submit that goes
//! through the submission core — a receipt only after Kafka acknowledged, every refusal
//! shown at its field, what was typed always kept.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use baocao_accounts::Session;
use baocao_errors::Chain;
use baocao_registry::{Registry, ReportingUnit, vietnam_date};
use baocao_submission::Refusal;
use chrono::NaiveDate;

use crate::auth::{PostedForm, SignedIn, user_bar};
use crate::metrics;
use crate::pages::{self, BlockField, ChooseUnitPage, FieldErrors, ReceiptPage, ReportPage};
use crate::state::AppState;
use baocao_rules::typed::{self as form, BLOCK_FIELDS, FormAction, ReportInput, SystemInput};
use baocao_rules::{Door, said};

/// The open campaigns that expect `unit`'s report on `today`: (id, name).
fn open_campaigns(
    registry: &Registry,
    unit: &ReportingUnit,
    today: NaiveDate,
) -> Vec<(String, String)> {
    registry
        .campaigns()
        .iter()
        .filter(|c| c.is_open_on(today) && registry.expects(c, unit))
        .map(|c| (c.id.clone(), c.name.clone()))
        .collect()
}

/// Why nothing can be sent when no campaign expecting `unit` is open on `today`: the
/// campaign that closed last and its day, or that none has opened yet.
fn closed_sentence(registry: &Registry, unit: &ReportingUnit, today: NaiveDate) -> String {
    let expecting: Vec<_> = registry
        .campaigns()
        .iter()
        .filter(|c| registry.expects(c, unit))
        .collect();
    let closed = expecting
        .iter()
        .filter_map(|c| c.closes_on.filter(|day| *day < today).map(|day| (day, c)))
        .max_by_key(|(day, _)| *day);
    match closed {
        Some((day, campaign)) => format!(
            "Đợt báo cáo “{}” đã kết thúc ngày {}: biểu mẫu chỉ để xem, không gửi được. \
             Nếu cần gửi bổ sung, liên hệ cơ quan tổng hợp.",
            campaign.name,
            baocao_registry::vn_date(day)
        ),
        None => "Chưa có đợt báo cáo nào mở cho đơn vị này: biểu mẫu chỉ để xem.".to_string(),
    }
}

/// The unit a request is about (the person's own when none is named), if the person may
/// report for it; otherwise the 403 page.
pub(crate) fn permitted_unit(
    state: &AppState,
    session: &Session,
    unit: &str,
) -> Result<String, Box<Response>> {
    let code = if unit.is_empty() {
        session.account.person.unit_code.as_str()
    } else {
        unit
    };
    if session.account.person.role.submits()
        && state
            .core()
            .may_submit(&session.account.person.unit_code, code)
    {
        return Ok(code.to_string());
    }
    tracing::info!(target: "audit", event = "report_forbidden", username = %session.account.person.username, unit = %baocao_rules::validate::shown(code), "audit");
    Err(Box::new(pages::message(
        StatusCode::FORBIDDEN,
        Some(user_bar(state, session)),
        "Không có quyền",
        "Tài khoản của bạn không được nhập báo cáo cho đơn vị này.",
    )))
}

/// `GET /report?unit=&campaign=`: the form, or the list of units a district office
/// reports for.
pub async fn form(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let asked = query.get("unit").map_or("", String::as_str);
    if asked.is_empty() && on_behalf_units(&state, &session).len() > 1 {
        return choose_unit(&state, &session);
    }
    let unit = match permitted_unit(&state, &session, asked) {
        Ok(unit) => unit,
        Err(answer) => return *answer,
    };
    let input = starting_input(
        &state,
        &unit,
        query.get("campaign").map_or("", String::as_str),
    );
    let latest = latest_note(&state, &input);
    render_form(
        &state,
        &session,
        StatusCode::OK,
        input,
        FieldErrors::default(),
        "",
        &latest,
    )
}

/// The units `session`'s person may report for: their own, then (for a district office)
/// the units of its communes.
pub(crate) fn on_behalf_units(
    state: &AppState,
    session: &Session,
) -> Vec<(String, String, String)> {
    let registry = state.core().registry();
    let Some(own) = registry.unit(&session.account.person.unit_code) else {
        return Vec::new();
    };
    let mut units: Vec<&ReportingUnit> = registry
        .units()
        .filter(|u| u.code != own.code && registry.may_submit_for(own, u))
        .collect();
    units.sort_by(|a, b| (&a.area_code, &a.code).cmp(&(&b.area_code, &b.code)));
    std::iter::once(own)
        .chain(units)
        .map(|u| {
            let area = registry
                .admin_unit(&u.area_code)
                .map_or_else(String::new, |a| a.name_with_type.clone());
            (u.code.clone(), u.name.clone(), area)
        })
        .collect()
}

fn choose_unit(state: &AppState, session: &Session) -> Response {
    let page = ChooseUnitPage {
        user: user_bar(state, session),
        units: on_behalf_units(state, session),
    };
    pages::render(StatusCode::OK, &page)
}

/// A new form for `unit`: its last accepted report of the campaign when there is one
/// (a correction is an edit), else an empty report with one system row; a fresh
/// submission id either way.
fn starting_input(state: &AppState, unit: &str, campaign: &str) -> ReportInput {
    let core = state.core();
    let registry = core.registry();
    let today = vietnam_date(core.now());
    let blocks = unit_blocks(&registry, unit);
    let campaigns = registry
        .unit(unit)
        .map(|u| open_campaigns(&registry, u, today))
        .unwrap_or_default();
    let campaign = if campaign.is_empty() {
        campaigns.first().map_or("", |(id, _)| id.as_str())
    } else {
        campaign
    };
    let mut input = match core.latest(unit, campaign) {
        Some(latest) => ReportInput::from_report(&latest.report, &blocks),
        None => ReportInput {
            unit_code: unit.to_string(),
            campaign_id: campaign.to_string(),
            systems: vec![SystemInput::default()],
            ..ReportInput::default()
        },
    };
    input.show_blocks(&blocks);
    input.as_of = form::date_text(Some(&proto_date(today)));
    input.submission_id = uuid::Uuid::now_v7().to_string();
    input
}

fn proto_date(day: NaiveDate) -> baocao_proto::v1::Date {
    use chrono::Datelike;
    baocao_proto::v1::Date {
        year: day.year(),
        month: day.month() as i32,
        day: day.day() as i32,
    }
}

/// The indicator blocks `unit`'s kind reports.
fn unit_blocks(registry: &Registry, unit: &str) -> Vec<String> {
    registry
        .unit(unit)
        .map(|u| registry.indicator_blocks(u).to_vec())
        .unwrap_or_default()
}

fn latest_note(state: &AppState, input: &ReportInput) -> String {
    let Some(latest) = state.core().latest(&input.unit_code, &input.campaign_id) else {
        return String::new();
    };
    let at = chrono::DateTime::from_timestamp(latest.received_at.seconds, 0).unwrap_or_default();
    let review = crate::review::status_note(
        state,
        &input.unit_code,
        &input.unit_code,
        &input.campaign_id,
    );
    format!(
        "Biểu mẫu đã điền sẵn theo báo cáo tiếp nhận lúc {}. {review}{}Sửa những gì đã thay đổi rồi gửi: bản gửi mới sẽ thay thế bản cũ.",
        pages::vn_time(at),
        if review.is_empty() { "" } else { " " }
    )
}

fn render_form(
    state: &AppState,
    session: &Session,
    status: StatusCode,
    input: ReportInput,
    errors: FieldErrors,
    notice: &str,
    latest: &str,
) -> Response {
    let core = state.core();
    let registry = core.registry();
    let today = vietnam_date(core.now());
    let unit = registry.unit(&input.unit_code);
    let kind_name = unit
        .and_then(|u| registry.kind(&u.kind))
        .map_or_else(String::new, |k| k.name.clone());
    let blocks = BLOCK_FIELDS
        .iter()
        .filter(|(_, field, _)| input.blocks.contains_key(*field))
        .map(|(_, name, label)| BlockField {
            name,
            label,
            value: input.block(name).to_string(),
        })
        .collect();
    let page = ReportPage {
        user: user_bar(state, session),
        unit_name: unit.map_or_else(|| input.unit_code.clone(), |u| u.name.clone()),
        kind_name,
        on_behalf: input.unit_code != session.account.person.unit_code,
        campaigns: unit
            .map(|u| open_campaigns(&registry, u, today))
            .unwrap_or_default(),
        closed: unit
            .map(|u| closed_sentence(&registry, u, today))
            .unwrap_or_default(),
        input,
        blocks,
        errors,
        notice: notice.to_string(),
        latest: latest.to_string(),
        dossier_options: pages::DOSSIER_OPTIONS,
        plan_options: pages::PLAN_OPTIONS,
        level_options: pages::LEVEL_OPTIONS,
        yes_no_options: pages::YES_NO_OPTIONS,
        max_systems: form::MAX_ROWS,
    };
    pages::render(status, &page)
}

/// `POST /report`: add or remove a row, or submit.
pub async fn submit(
    State(state): State<AppState>,
    PostedForm { session, pairs }: PostedForm,
) -> Response {
    let (mut input, action) = ReportInput::from_pairs(&pairs);
    let unit = match permitted_unit(&state, &session, &input.unit_code) {
        Ok(unit) => unit,
        Err(answer) => return *answer,
    };
    input.unit_code = unit;
    let mut errors = FieldErrors::default();
    match action {
        FormAction::AddSystem if input.systems.len() >= form::MAX_ROWS => {
            errors.add("systems", &form::too_many_systems(input.systems.len() + 1));
        }
        FormAction::AddSystem => input.systems.push(SystemInput::default()),
        FormAction::RemoveSystem(index) if index < input.systems.len() => {
            input.systems.remove(index);
        }
        FormAction::RemoveSystem(_) => {}
        FormAction::Submit => return send(&state, &session, input).await,
    }
    // A row added or removed: the same form again, everything typed kept.
    render_form(&state, &session, StatusCode::OK, input, errors, "", "")
}

async fn send(state: &AppState, session: &Session, mut input: ReportInput) -> Response {
    let report = match input.to_report() {
        Ok(report) => report,
        Err(problems) => {
            metrics::report("invalid");
            let mut errors = FieldErrors::default();
            for (field, message) in &problems {
                errors.add(field, message);
            }
            return render_form(
                state,
                session,
                StatusCode::UNPROCESSABLE_ENTITY,
                input,
                errors,
                "",
                "",
            );
        }
    };
    let systems = report.systems.len();
    let cameras: i64 = report.systems.iter().map(|s| s.camera_count).sum();
    let campaign_id = report.campaign_id.clone();
    let submitter = session.account.person.unit_code.clone();
    match state.core().submit(&submitter, report).await {
        Ok(receipt) => {
            metrics::report(if receipt.repeat { "repeat" } else { "accepted" });
            tracing::info!(target: "audit", event = "report_submitted", username = %session.account.person.username, unit = %input.unit_code, submission_id = %receipt.submission_id, repeat = receipt.repeat, "audit");
            let registry = state.core().registry();
            let at = chrono::DateTime::from_timestamp(receipt.received_at.seconds, 0)
                .unwrap_or_default();
            let page = ReceiptPage {
                user: user_bar(state, session),
                unit_code: input.unit_code.clone(),
                unit_name: registry
                    .unit(&input.unit_code)
                    .map_or_else(|| input.unit_code.clone(), |u| u.name.clone()),
                campaign_name: registry
                    .campaign(&campaign_id)
                    .map_or(campaign_id.clone(), |c| c.name.clone()),
                submission_id: receipt.submission_id,
                received_at: pages::vn_time(at),
                repeat: receipt.repeat,
                systems,
                cameras: pages::vn_number(cameras),
                signed: state.receipts().is_some(),
            };
            pages::render(StatusCode::OK, &page)
        }
        Err(refusal) => {
            metrics::report(refusal_kind(&refusal));
            let (status, errors, notice) = refusal_view(&refusal);
            if matches!(refusal, Refusal::IdReused { .. }) {
                input.submission_id = uuid::Uuid::now_v7().to_string();
            }
            render_form(state, session, status, input, errors, &notice, "")
        }
    }
}

/// A refusal's name in the metrics.
fn refusal_kind(refusal: &Refusal) -> &'static str {
    match refusal {
        Refusal::Invalid(_) | Refusal::Missing { .. } => "invalid",
        Refusal::Unavailable(_) => "unavailable",
        Refusal::RateLimited { .. } => "rate_limited",
        Refusal::IdReused { .. } => "id_reused",
        Refusal::UnknownUnit { .. } | Refusal::NotPermitted(_) => "not_permitted",
        Refusal::AlreadyReviewed(_) => "already_reviewed",
    }
}

/// How a refusal is shown: the status, messages at their fields, a notice above.
fn refusal_view(refusal: &Refusal) -> (StatusCode, FieldErrors, String) {
    let status = match refusal {
        Refusal::Invalid(_) | Refusal::Missing { .. } => StatusCode::UNPROCESSABLE_ENTITY,
        Refusal::Unavailable(err) => {
            tracing::warn!(error = %Chain(err), "portal: report not received (Kafka)");
            StatusCode::SERVICE_UNAVAILABLE
        }
        Refusal::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
        Refusal::IdReused { .. } | Refusal::AlreadyReviewed(_) => StatusCode::CONFLICT,
        Refusal::UnknownUnit { .. } | Refusal::NotPermitted(_) => StatusCode::FORBIDDEN,
    };
    let said = said(refusal.refused(), Door::Form);
    let mut errors = FieldErrors::default();
    for (field, message) in &said.fields {
        errors.add(&form::field_of_path(field), message);
    }
    (status, errors, said.notice)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A unit whose campaigns have all closed is told which closed and when, instead of
    /// getting a submit button that fails.
    #[test]
    fn a_closed_campaign_is_named_with_its_last_day() {
        let data = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data");
        let registry = Registry::load_register(
            data,
            &baocao_registry::RegisterChoice::Named("2023".to_string()),
        )
        .unwrap_or_else(|err| panic!("the shipped 2023 register: {err}"));
        let unit = registry
            .unit("14755")
            .unwrap_or_else(|| panic!("Phường Hàm Rồng's People's Committee"));
        let after = NaiveDate::from_ymd_opt(2026, 12, 7).unwrap_or_default();
        assert!(open_campaigns(&registry, unit, after).is_empty());
        let said = closed_sentence(&registry, unit, after);
        assert!(said.contains("đã kết thúc ngày 31/12/2023"), "{said}");
        let before = NaiveDate::from_ymd_opt(2022, 6, 1).unwrap_or_default();
        assert!(closed_sentence(&registry, unit, before).starts_with("Chưa có đợt"));
    }
}
