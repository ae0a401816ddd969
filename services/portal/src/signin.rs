//! Signing in: the login form (its CSRF token signed by the server), the throttle that
//! slows repeated failures without ever locking an account, the device cookie that marks
//! a browser which signed in to a name before, and the one answer for every refusal (same
//! status, same page, same work whether or not the name has an account).

use std::net::IpAddr;

use axum::Extension;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use baocao_accounts::LoginOutcome;
use baocao_accounts::strength::nfc;
use baocao_accounts::throttle::{Origin, Verdict, WaitReason};
use baocao_errors::Chain;
use chrono::{DateTime, Utc};

use crate::auth::{SESSION_COOKIE, cookie, field, form_pairs, set_cookie};
use crate::client::PeerAddr;
use crate::metrics;
use crate::pages::{self, LoginPage};
use crate::state::AppState;

/// The login form's CSRF cookie (the same signed token as the form's field).
const LOGIN_COOKIE: &str = "baocao_login";
/// The device cookie: this browser signed in to a name before.
const DEVICE_COOKIE: &str = "baocao_device";
/// How long a browser stays a known device of a name after its last sign-in.
const DEVICE_DAYS: i64 = 180;

/// The one refusal of a wrong name or password.
const REFUSED: &str = "Tên đăng nhập hoặc mật khẩu không đúng.";

fn login_form(state: &AppState, status: StatusCode, username: &str, message: &str) -> Response {
    let token = match state.accounts().server_key().login_token(Utc::now()) {
        Ok(token) => token,
        Err(err) => {
            tracing::error!(error = %Chain(&err), "portal: no randomness for a login form");
            return pages::message(
                StatusCode::INTERNAL_SERVER_ERROR,
                None,
                "Lỗi hệ thống",
                "Không tạo được phiên đăng nhập.",
            );
        }
    };
    let page = LoginPage {
        csrf: token.clone(),
        username: username.to_string(),
        message: message.to_string(),
    };
    let mut response = pages::render(status, &page);
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(LOGIN_COOKIE, &token, 3600, state.secure_cookies()),
    );
    response
}

pub async fn login_page(State(state): State<AppState>) -> Response {
    login_form(&state, StatusCode::OK, "", "")
}

/// Whether the form carries the login token of its own cookie, and the server made it.
fn login_token_ok(state: &AppState, headers: &HeaderMap, given: &str, now: DateTime<Utc>) -> bool {
    let in_cookie = cookie(headers, LOGIN_COOKIE).unwrap_or_default();
    !given.is_empty()
        && crate::auth::constant_time_eq(given, &in_cookie)
        && state
            .accounts()
            .server_key()
            .login_token_is_valid(given, now)
}

/// Where the attempt comes from: this name's known device, or the client's address.
fn origin_of(state: &AppState, headers: &HeaderMap, peer: IpAddr, username: &str) -> Origin {
    let known = cookie(headers, DEVICE_COOKIE)
        .and_then(|value| state.accounts().server_key().device_of(&value, username));
    match known {
        Some(device) => Origin::KnownDevice(device),
        None => Origin::address(state.proxies().client(peer, headers)),
    }
}

/// The throttle's verdict, after ending waits the department lifted (`account unlock`).
async fn verdict(state: &AppState, username: &str, origin: &Origin, now: DateTime<Utc>) -> Verdict {
    let first = state.throttle(|t| t.check(username, origin, now));
    let Verdict::Wait {
        reason: WaitReason::Name | WaitReason::NameFromHere,
        ..
    } = first
    else {
        return first;
    };
    match state.accounts().unlocked_at(username).await {
        Ok(Some(at)) if state.throttle(|t| t.clear_before(username, at)) => {
            state.throttle(|t| t.check(username, origin, now))
        }
        Ok(_) => first,
        Err(err) => {
            tracing::error!(error = %Chain(&err), "portal: reading an unlock failed");
            first
        }
    }
}

/// The page of an attempt that must wait (429 with `Retry-After`).
fn wait_page(
    state: &AppState,
    username: &str,
    until: DateTime<Utc>,
    reason: WaitReason,
    now: DateTime<Utc>,
) -> Response {
    metrics::login("throttled");
    let at = pages::vn_time_seconds(until);
    let text = match reason {
        WaitReason::Address => format!(
            "Có quá nhiều lần đăng nhập không thành công từ địa chỉ mạng này. Hãy thử lại sau {at}."
        ),
        WaitReason::NameFromHere | WaitReason::Name => format!(
            "Tên đăng nhập này vừa bị nhập sai mật khẩu nhiều lần. Hãy thử lại sau {at}, đăng nhập từ thiết bị đã dùng trước đây, hoặc đề nghị Sở mở khóa."
        ),
        WaitReason::Busy => format!(
            "Hệ thống đang nhận quá nhiều lần đăng nhập sai. Hãy thử lại sau {at}; thiết bị đã đăng nhập trước đây vẫn đăng nhập được."
        ),
    };
    let mut response = login_form(state, StatusCode::TOO_MANY_REQUESTS, username, &text);
    let seconds = (until - now).num_seconds().max(1);
    if let Ok(value) = HeaderValue::from_str(&seconds.to_string()) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

pub async fn login(
    State(state): State<AppState>,
    Extension(PeerAddr(peer)): Extension<PeerAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let pairs = match form_pairs(&body, None) {
        Ok(pairs) => pairs,
        Err(answer) => return *answer,
    };
    let username = nfc(field(&pairs, "username").trim()).to_lowercase();
    let now = Utc::now();
    if !login_token_ok(&state, &headers, field(&pairs, "csrf"), now) {
        metrics::login("stale_form");
        return login_form(
            &state,
            StatusCode::FORBIDDEN,
            &username,
            "Trang đăng nhập đã hết hạn. Hãy nhập lại.",
        );
    }
    let origin = origin_of(&state, &headers, peer.ip(), &username);
    if let Verdict::Wait { until, reason } = verdict(&state, &username, &origin, now).await {
        return wait_page(&state, &username, until, reason, now);
    }
    let outcome = state
        .accounts()
        .login(&username, field(&pairs, "password"), now)
        .await;
    match outcome {
        Ok(LoginOutcome::SignedIn {
            cookie: value,
            session,
        }) => {
            metrics::login("signed_in");
            state.throttle(|t| t.succeeded(&username, &origin));
            signed_in(&state, &headers, &username, &origin, &value, &session, now).await
        }
        Ok(LoginOutcome::Refused) => {
            metrics::login("refused");
            state.throttle(|t| t.failed(&username, &origin, now));
            login_form(&state, StatusCode::UNAUTHORIZED, &username, REFUSED)
        }
        Err(err) => {
            metrics::login("error");
            tracing::error!(error = %Chain(&err), "portal: login failed");
            pages::message(
                StatusCode::INTERNAL_SERVER_ERROR,
                None,
                "Lỗi hệ thống",
                "Không kiểm tra được tài khoản. Hãy thử lại sau ít phút.",
            )
        }
    }
}

/// The answer to a right password: the new session's cookie, the device cookie (a new
/// one unless this browser is already a known device of the name), on to the next page.
async fn signed_in(
    state: &AppState,
    headers: &HeaderMap,
    username: &str,
    origin: &Origin,
    session_cookie: &str,
    session: &baocao_accounts::Session,
    now: DateTime<Utc>,
) -> Response {
    if let Some(old) = cookie(headers, SESSION_COOKIE)
        && let Err(err) = state.accounts().end_session(&old, now).await
    {
        tracing::warn!(error = %Chain(&err), "portal: ending the previous session failed");
    }
    let target = if session.account.must_change_password {
        "/password"
    } else {
        "/"
    };
    let mut response = Redirect::to(target).into_response();
    let max_age = (session.expires_at - now).num_seconds();
    let secure = state.secure_cookies();
    let out = response.headers_mut();
    out.append(
        header::SET_COOKIE,
        set_cookie(SESSION_COOKIE, session_cookie, max_age, secure),
    );
    out.append(header::SET_COOKIE, set_cookie(LOGIN_COOKIE, "", 0, secure));
    let device = match origin {
        Origin::KnownDevice(_) => cookie(headers, DEVICE_COOKIE),
        Origin::Address(_) => state
            .accounts()
            .server_key()
            .device_token(username)
            .ok()
            .map(|(value, _)| value),
    };
    if let Some(device) = device {
        let max_age = DEVICE_DAYS * 24 * 3600;
        out.append(
            header::SET_COOKIE,
            set_cookie(DEVICE_COOKIE, &device, max_age, secure),
        );
    }
    response
}
