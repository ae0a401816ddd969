//! The signed receipt of an accepted report, downloaded from the receipt page: the
//! receipt (JSON) and its detached CMS signature, made again from the submission index —
//! the same bytes every time, and the same as a gateway with the same certificate gives —
//! for a person who may report for the unit.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use baocao_errors::Chain;

use crate::auth::{SignedIn, user_bar};
use crate::pages;
use crate::report::permitted_unit;
use crate::state::AppState;

/// `GET /receipt?unit=&id=[&part=signature]`
pub async fn download(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let field = |key: &str| query.get(key).map_or("", |v| v.trim());
    let not_found = |text: &str| {
        pages::message(
            StatusCode::NOT_FOUND,
            Some(user_bar(&state, &session)),
            "Không có biên nhận",
            text,
        )
    };
    let Some((signer, topic)) = state.receipts() else {
        return not_found("Cổng báo cáo này chưa cấu hình chữ ký số cho biên nhận.");
    };
    let unit = match permitted_unit(&state, &session, field("unit")) {
        Ok(unit) => unit,
        Err(answer) => return *answer,
    };
    let Some(receipt) = state.core().receipt_of(&unit, field("id")) else {
        return not_found("Không có báo cáo nào của đơn vị với mã lần gửi này.");
    };
    let bytes = receipt.signed(topic).to_bytes();
    let name = format!("bien-nhan-{unit}-{}.json", receipt.submission_id);
    let (body, kind, name) = if field("part") == "signature" {
        match signer.sign(&bytes) {
            Ok(signature) => (
                signature,
                "application/pkcs7-signature",
                format!("{name}.p7s"),
            ),
            Err(err) => {
                tracing::error!(error = %Chain(&err), "portal: signing a receipt failed");
                return pages::message(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    Some(user_bar(&state, &session)),
                    "Lỗi hệ thống",
                    "Không ký được biên nhận. Hãy thử lại sau ít phút.",
                );
            }
        }
    } else {
        (bytes, "application/json", name)
    };
    (
        [
            (header::CONTENT_TYPE, kind.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        body,
    )
        .into_response()
}
