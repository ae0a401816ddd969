//! Spreadsheets in the portal: the offline Excel form of the units a person reports for
//! (their own unit, or a district office's communes and schools), pre-filled with each
//! unit's last accepted report, and the upload of a filled form — read and checked cell
//! by cell, each unit through the same submission core as the web form and gRPC.

use std::collections::HashMap;

use axum::extract::{Multipart, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use baocao_accounts::Session;
use baocao_errors::Chain;
use baocao_registry::{Registry, vietnam_date};
use baocao_sheets::{Answer, FormSpec, FormUnit, ImportResult, Parsed};
use baocao_submission::Refusal;

use crate::auth::{SignedIn, csrf_matches, forbidden_form, user_bar};
use crate::pages::{self, SheetsPage, SheetsResult};
use crate::report::on_behalf_units;
use crate::state::AppState;
use baocao_rules::{Door, said};

/// Largest upload: the reader's own bound on a file, plus the form's other fields.
pub const MAX_UPLOAD_BYTES: usize = baocao_sheets::read::MAX_FILE_BYTES as usize + 64 * 1024;

/// Reports sent through the core at once from one upload.
const CONCURRENCY: usize = 64;

/// The units `session`'s person may report for (their own, then an office's communes'),
/// by code.
fn reporting_units(state: &AppState, session: &Session) -> Vec<String> {
    on_behalf_units(state, session)
        .into_iter()
        .map(|(code, _, _)| code)
        .collect()
}

/// Those of `units` that `campaign` expects, in form order.
fn form_unit_codes(registry: &Registry, units: &[String], campaign: &str) -> Vec<String> {
    let Some(campaign) = registry.campaign(campaign) else {
        return Vec::new();
    };
    units
        .iter()
        .filter(|code| {
            registry
                .unit(code)
                .is_some_and(|u| registry.expects(campaign, u))
        })
        .cloned()
        .collect()
}

/// `GET /sheets`: the download links and the upload form.
pub async fn page(State(state): State<AppState>, SignedIn(session): SignedIn) -> Response {
    render(&state, &session, StatusCode::OK, None, "")
}

fn render(
    state: &AppState,
    session: &Session,
    status: StatusCode,
    result: Option<SheetsResult>,
    message: &str,
) -> Response {
    // The campaigns open today that expect any of the person's units (an office's own
    // kind may report in no campaign while its communes do).
    let core = state.core();
    let registry = core.registry();
    let today = vietnam_date(core.now());
    let units = reporting_units(state, session);
    let forms: Vec<((String, String), usize)> = registry
        .campaigns()
        .iter()
        .filter(|c| c.is_open_on(today))
        .map(|c| {
            let expected = form_unit_codes(&registry, &units, &c.id).len();
            ((c.id.clone(), c.name.clone()), expected)
        })
        .filter(|(_, expected)| *expected > 0)
        .collect();
    let units = forms.first().map_or(0, |(_, expected)| *expected);
    let campaigns = forms.into_iter().map(|(campaign, _)| campaign).collect();
    let page = SheetsPage {
        user: user_bar(state, session),
        campaigns,
        units,
        result,
        message: message.to_string(),
    };
    pages::render(status, &page)
}

/// `GET /sheets/form.xlsx?campaign=`: the form of every unit the person reports for.
pub async fn download(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let campaign = query.get("campaign").map_or("", String::as_str);
    let codes = form_unit_codes(
        &state.core().registry(),
        &reporting_units(&state, &session),
        campaign,
    );
    if !session.account.person.role.submits() || codes.is_empty() {
        return pages::message(
            StatusCode::NOT_FOUND,
            Some(user_bar(&state, &session)),
            "Không có biểu mẫu",
            "Tài khoản của bạn không có đơn vị nào phải báo cáo trong đợt này.",
        );
    }
    match form_bytes(&state, &session, campaign, &codes) {
        Ok(bytes) => xlsx_response(bytes, &session.account.person.unit_code, campaign),
        Err(err) => {
            tracing::error!(error = %Chain(&err), "portal: the form could not be written");
            pages::message(
                StatusCode::INTERNAL_SERVER_ERROR,
                Some(user_bar(&state, &session)),
                "Chưa tạo được biểu mẫu",
                "Hệ thống chưa tạo được biểu mẫu. Hãy thử lại sau ít phút.",
            )
        }
    }
}

fn form_bytes(
    state: &AppState,
    session: &Session,
    campaign_id: &str,
    codes: &[String],
) -> baocao_sheets::Result<Vec<u8>> {
    let core = state.core();
    let registry: std::sync::Arc<Registry> = core.registry();
    let lasts: Vec<_> = codes
        .iter()
        .map(|code| core.latest(code, campaign_id).map(|l| l.report))
        .collect();
    let campaign_name = registry
        .campaign(campaign_id)
        .map_or_else(|| campaign_id.to_string(), |c| c.name.clone());
    let for_whom = registry
        .unit(&session.account.person.unit_code)
        .map_or_else(String::new, |u| u.name.clone());
    let units = codes
        .iter()
        .zip(&lasts)
        .filter_map(|(code, last)| {
            let unit = registry.unit(code)?;
            Some(FormUnit {
                unit,
                blocks: registry.indicator_blocks(unit),
                last: last.as_ref(),
            })
        })
        .collect();
    baocao_sheets::write_form(&FormSpec {
        campaign_id,
        campaign_name: &campaign_name,
        for_whom: &for_whom,
        units,
        today: vietnam_date(core.now()),
    })
}

fn xlsx_response(bytes: Vec<u8>, unit: &str, campaign: &str) -> Response {
    let safe = |s: &str| -> String {
        s.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' {
                    c
                } else {
                    '-'
                }
            })
            .collect()
    };
    let disposition = format!(
        "attachment; filename=\"bieu-mau-{}-{}.xlsx\"",
        safe(unit),
        safe(campaign)
    );
    let mut response = (
        [(
            header::CONTENT_TYPE,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )],
        bytes,
    )
        .into_response();
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        response
            .headers_mut()
            .insert(header::CONTENT_DISPOSITION, value);
    }
    response
}

/// What an upload carries.
#[derive(Default)]
struct Upload {
    csrf: String,
    dry_run: bool,
    file_name: String,
    bytes: Vec<u8>,
}

async fn read_upload(mut multipart: Multipart) -> Result<Upload, String> {
    let mut upload = Upload::default();
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => return Ok(upload),
            Err(err) => return Err(err.body_text()),
        };
        let name = field.name().unwrap_or_default().to_string();
        if name == "file" {
            upload.file_name = field.file_name().unwrap_or("tệp").to_string();
        }
        let bytes = field.bytes().await.map_err(|err| err.body_text())?;
        match name.as_str() {
            "csrf" => upload.csrf = String::from_utf8_lossy(&bytes).into_owned(),
            "dry_run" => upload.dry_run = bytes.as_ref() == b"on",
            "file" => upload.bytes = bytes.to_vec(),
            _ => {}
        }
    }
}

/// `POST /sheets`: read the uploaded form and send each unit through the core.
pub async fn upload(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
    multipart: Multipart,
) -> Response {
    let upload = match read_upload(multipart).await {
        Ok(upload) => upload,
        Err(reason) => {
            let message = format!(
                "Không nhận được tệp ({reason}). Tệp tối đa {} MB.",
                baocao_sheets::read::MAX_FILE_BYTES / (1024 * 1024)
            );
            return render(&state, &session, StatusCode::BAD_REQUEST, None, &message);
        }
    };
    if !csrf_matches(
        &[("csrf".to_string(), upload.csrf.clone())],
        &session.csrf_token,
    ) {
        return forbidden_form(Some(user_bar(&state, &session)));
    }
    if !session.account.person.role.submits() {
        return forbidden_form(Some(user_bar(&state, &session)));
    }
    let parsed = baocao_sheets::read_file(&upload.file_name, &upload.bytes)
        .and_then(|sheets| baocao_sheets::parse(&upload.file_name, &sheets, None));
    let parsed = match parsed {
        Ok(parsed) => parsed,
        Err(err) => {
            return render(
                &state,
                &session,
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
                &err.to_string(),
            );
        }
    };
    let submitter = session.account.person.unit_code.clone();
    let result = send_through_core(&state, submitter, parsed, upload.dry_run).await;
    tracing::info!(target: "audit", event = "sheet_import", username = %session.account.person.username, file = %upload.file_name, dry_run = upload.dry_run, units = result.units.len(), refused = result.refused().len(), "audit");
    let status = if result.complete() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    render(
        &state,
        &session,
        status,
        Some(shown(&result, &upload.file_name)),
        "",
    )
}

/// Every unit of `parsed` through the submission core as `submitter` (checked only on a
/// dry run), a few at a time.
async fn send_through_core(
    state: &AppState,
    submitter: String,
    parsed: Parsed,
    dry_run: bool,
) -> ImportResult {
    let core = state.core();
    let result = baocao_sheets::send_units(parsed, dry_run, CONCURRENCY, |report, check_only| {
        let submitter = submitter.clone();
        async move {
            let answer = if check_only {
                core.check(&submitter, report)
                    .map(|checked| Answer::Accepted {
                        repeat: checked.repeat,
                    })
            } else {
                core.submit(&submitter, report)
                    .await
                    .map(|receipt| Answer::Accepted {
                        repeat: receipt.repeat,
                    })
            };
            Ok::<_, std::convert::Infallible>(answer.unwrap_or_else(|refusal| answer_of(&refusal)))
        }
    })
    .await;
    let Ok(result) = result;
    result
}

fn shown(result: &ImportResult, file: &str) -> SheetsResult {
    SheetsResult {
        file: file.to_string(),
        summary: result.summary(),
        complete: result.complete(),
        problems: result
            .problems()
            .into_iter()
            .map(|p| (p.at, p.message))
            .collect(),
        notes: result.notes.clone(),
    }
}

/// A refusal of the core as the import shows it, in Vietnamese.
fn answer_of(refusal: &Refusal) -> Answer {
    if let Refusal::Unavailable(err) = refusal {
        tracing::warn!(error = %Chain(err), "portal: imported report not received (Kafka)");
    }
    let said = said(refusal.refused(), Door::Import);
    if said.fields.is_empty() {
        Answer::Unit(said.notice)
    } else {
        Answer::Fields(said.fields)
    }
}
