//! The portal's routes, its embedded stylesheet, and the headers every answer carries.

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use tower_http::compression::Predicate;
use tower_http::compression::predicate::{DefaultPredicate, NotForContentType};

use crate::state::AppState;
use crate::{
    admin, auth, dashboard, live, metrics, pages, receipt, report, review, sheets, signin,
};

/// The stylesheet, embedded in the binary.
const STYLE: &str = include_str!("../assets/style.css");
/// The dashboard's only script (live updates), embedded in the binary.
const LIVE_JS: &str = include_str!("../assets/live.js");

/// Every route of the portal.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(auth::home))
        .route("/login", get(signin::login_page).post(signin::login))
        .route("/logout", post(auth::logout))
        .route(
            "/password",
            get(auth::password_page).post(auth::change_password),
        )
        .route("/report", get(report::form).post(report::submit))
        .route("/receipt", get(receipt::download))
        .route("/review", get(review::page).post(review::decide))
        .route("/review/bulk", post(review::bulk))
        .route(
            "/sheets",
            get(sheets::page)
                .post(sheets::upload)
                .layer(DefaultBodyLimit::max(sheets::MAX_UPLOAD_BYTES)),
        )
        .route("/sheets/form.xlsx", get(sheets::download))
        .route("/accounts", get(admin::page).post(admin::act))
        .route("/audit", get(admin::audit::page))
        .route("/audit.csv", get(admin::audit::csv))
        .route("/dashboard", get(dashboard::dashboard))
        .route("/dashboard/events", get(live::events))
        .route("/dashboard/{table}", get(dashboard::csv))
        .route("/dashboard/report/{file}", get(dashboard::chairman_report))
        .route("/healthz", get(|| async { "ok" }))
        .route("/assets/style.css", get(style))
        .route("/assets/live.js", get(live_js))
        .route_layer(axum::middleware::from_fn(metrics::record))
        .fallback(not_found)
        .layer(axum::middleware::map_response_with_state(
            state.clone(),
            security_headers,
        ))
        .layer(compression())
        .with_state(state)
}

/// gzip or brotli, as the browser accepts, for pages, CSS and CSV: a province's dashboard
/// is hundreds of kilobytes of HTML on a commune's slow link. Not for the event stream
/// (it must flow), nor for files that are zips or PDFs already. Pages carry the CSRF
/// token masked afresh each time (`auth::masked_csrf`), so compression leaks nothing
/// about it (BREACH).
fn compression() -> tower_http::compression::CompressionLayer<impl Predicate> {
    let predicate = DefaultPredicate::new()
        .and(NotForContentType::const_new("application/vnd."))
        .and(NotForContentType::const_new("application/pdf"))
        .and(NotForContentType::const_new("application/zip"));
    tower_http::compression::CompressionLayer::new().compress_when(predicate)
}

async fn style() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        STYLE,
    )
        .into_response()
}

async fn live_js() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        LIVE_JS,
    )
        .into_response()
}

async fn not_found() -> Response {
    pages::message(
        StatusCode::NOT_FOUND,
        None,
        "Không tìm thấy trang",
        "Địa chỉ này không có trong hệ thống. Hãy quay lại trang chủ.",
    )
}

/// The content security policy of every answer: everything from the portal itself, no
/// plugins, no `<base>` that could redirect relative links, forms only to the portal, no
/// framing.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; base-uri 'none'; object-src 'none'; form-action 'self'; frame-ancestors 'none'";

/// No framing, no sniffing, no referrer to other sites, the CSP above; under TLS, HSTS
/// (a year). Nothing is cached unless its handler said so (only the embedded stylesheet
/// and script): pages, CSVs, forms and the Chairman's documents carry a person's data.
async fn security_headers(State(state): State<AppState>, mut response: Response) -> Response {
    let headers = response.headers_mut();
    let set = [
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "same-origin"),
        (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
    ];
    for (name, value) in set {
        headers.insert(name, HeaderValue::from_static(value));
    }
    if state.secure_cookies() {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        );
    }
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}
