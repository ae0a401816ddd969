//! Signing out, the first-login password change, and the session and CSRF checks every
//! other page relies on (signing in is [`crate::signin`]). The session cookie is
//! HttpOnly, SameSite=Strict (and Secure under TLS) and a new one is issued at every
//! login; every form carries the session's CSRF token.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use baocao_accounts::{Role, Session, password};
use baocao_errors::Chain;
use chrono::Utc;

use crate::form::parse_form;
use crate::pages::{self, PasswordPage, UserBar};
use crate::state::AppState;

/// The session cookie.
pub const SESSION_COOKIE: &str = "baocao_session";

/// The value of cookie `name`, if the request has it.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.to_string())
}

/// A `Set-Cookie` value; `max_age` 0 deletes the cookie.
pub fn set_cookie(name: &str, value: &str, max_age: i64, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    let text =
        format!("{name}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}");
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// The decoded fields of a form body, or the page refusing a body that is not UTF-8
/// (naming the field).
pub fn form_pairs(
    body: &[u8],
    user: Option<UserBar>,
) -> Result<Vec<(String, String)>, Box<Response>> {
    parse_form(body).map_err(|bad| {
        Box::new(pages::message(
            StatusCode::BAD_REQUEST,
            user,
            "Nội dung gửi không đọc được",
            &bad.message(),
        ))
    })
}

/// The value of field `name`.
pub fn field<'a>(pairs: &'a [(String, String)], name: &str) -> &'a str {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map_or("", |(_, v)| v.as_str())
}

/// Whether the form carries `expected` as its CSRF token, masked ([`masked_csrf`]) or as
/// it is (compared in constant time).
pub fn csrf_matches(pairs: &[(String, String)], expected: &str) -> bool {
    let given = field(pairs, "csrf");
    let unmasked = unmask_csrf(given).unwrap_or_default();
    !expected.is_empty()
        && (constant_time_eq(&unmasked, expected) | constant_time_eq(given, expected))
}

/// The session's CSRF token as a page carries it: a fresh random pad and the token
/// XOR the pad, hex. Every page shows different bytes for the same token, so a
/// compressed page's length tells nothing about it (BREACH), while the form still
/// proves the session ([`csrf_matches`] unmasks it).
pub fn masked_csrf(token: &str) -> String {
    let mut pad = vec![0u8; token.len()];
    if getrandom::fill(&mut pad).is_err() {
        // No randomness: the token as it is (still checked; only not masked).
        return token.to_string();
    }
    let masked: Vec<u8> = token.bytes().zip(&pad).map(|(t, p)| t ^ p).collect();
    format!("{}{}", hex::encode(&pad), hex::encode(masked))
}

/// The token a masked field carries; `None` when it is not a masked token.
fn unmask_csrf(given: &str) -> Option<String> {
    let bytes = hex::decode(given).ok()?;
    if bytes.is_empty() || bytes.len() % 2 != 0 {
        return None;
    }
    let (pad, masked) = bytes.split_at(bytes.len() / 2);
    let token: Vec<u8> = masked.iter().zip(pad).map(|(m, p)| m ^ p).collect();
    String::from_utf8(token).ok()
}

/// Whether two strings are equal, in time that depends on their length only.
pub fn constant_time_eq(given: &str, expected: &str) -> bool {
    let (given, expected) = (given.as_bytes(), expected.as_bytes());
    given.len() == expected.len()
        && given
            .iter()
            .zip(expected)
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

/// The live session of the request, if any.
pub async fn session(state: &AppState, headers: &HeaderMap) -> Option<Session> {
    let cookie = cookie(headers, SESSION_COOKIE)?;
    match state.accounts().session(&cookie, Utc::now()).await {
        Ok(session) => session,
        Err(err) => {
            tracing::error!(error = %Chain(&err), "portal: reading a session failed");
            None
        }
    }
}

/// The session of a page that needs one: otherwise the answer (to the login page, or to
/// the password change a new account must make first).
pub async fn signed_in(state: &AppState, headers: &HeaderMap) -> Result<Session, Response> {
    match session(state, headers).await {
        None => Err(Redirect::to("/login").into_response()),
        Some(s) if s.account.must_change_password => Err(Redirect::to("/password").into_response()),
        Some(s) => Ok(s),
    }
}

/// The header bar of a signed-in person.
pub fn user_bar(state: &AppState, session: &Session) -> UserBar {
    let registry = state.core().registry();
    let unit = registry.unit(&session.account.person.unit_code);
    let unit_name = unit.map_or_else(
        || session.account.person.unit_code.clone(),
        |u| u.name.clone(),
    );
    let mut bar = UserBar::of(session, unit_name);
    bar.reviews = bar.submits && unit.is_some_and(|u| registry.reviews_anyone(u));
    bar
}

/// A refused form (no or a wrong CSRF token).
pub fn forbidden_form(user: Option<UserBar>) -> Response {
    pages::message(
        StatusCode::FORBIDDEN,
        user,
        "Biểu mẫu không hợp lệ",
        "Biểu mẫu đã hết hạn hoặc không được gửi từ trang của hệ thống. Hãy tải lại trang và thực hiện lại.",
    )
}

/// `GET /`: where a person starts. The department and analysts land on their dashboard
/// (their work is watching the province); a clerk on the unit's report form, an office
/// on the list of the units it reports for.
pub async fn home(SignedIn(session): SignedIn) -> Response {
    let role = session.account.person.role;
    if role == Role::Province || !role.submits() {
        Redirect::to("/dashboard").into_response()
    } else {
        Redirect::to("/report").into_response()
    }
}

pub async fn logout(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let Some(session) = session(&state, &headers).await else {
        return Redirect::to("/login").into_response();
    };
    let pairs = match form_pairs(&body, Some(user_bar(&state, &session))) {
        Ok(pairs) => pairs,
        Err(answer) => return *answer,
    };
    if !csrf_matches(&pairs, &session.csrf_token) {
        return forbidden_form(Some(user_bar(&state, &session)));
    }
    if let Some(value) = cookie(&headers, SESSION_COOKIE)
        && let Err(err) = state.accounts().end_session(&value, Utc::now()).await
    {
        tracing::warn!(error = %Chain(&err), "portal: ending a session failed");
    }
    let mut response = Redirect::to("/login").into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(SESSION_COOKIE, "", 0, state.secure_cookies()),
    );
    response
}

fn password_form(
    state: &AppState,
    session: &Session,
    status: StatusCode,
    message: &str,
) -> Response {
    let page = PasswordPage {
        user: user_bar(state, session),
        forced: session.account.must_change_password,
        message: message.to_string(),
    };
    pages::render(status, &page)
}

pub async fn password_page(State(state): State<AppState>, headers: HeaderMap) -> Response {
    match session(&state, &headers).await {
        Some(session) => password_form(&state, &session, StatusCode::OK, ""),
        None => Redirect::to("/login").into_response(),
    }
}

pub async fn change_password(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(session) = session(&state, &headers).await else {
        return Redirect::to("/login").into_response();
    };
    let pairs = match form_pairs(&body, Some(user_bar(&state, &session))) {
        Ok(pairs) => pairs,
        Err(answer) => return *answer,
    };
    if !csrf_matches(&pairs, &session.csrf_token) {
        return forbidden_form(Some(user_bar(&state, &session)));
    }
    let (current, chosen) = (field(&pairs, "current"), field(&pairs, "new"));
    let username = session.account.person.username.clone();
    let refuse =
        |message: &str| password_form(&state, &session, StatusCode::UNPROCESSABLE_ENTITY, message);
    match state.accounts().password_matches(&username, current).await {
        Ok(true) => {}
        Ok(false) => return refuse("Mật khẩu hiện tại không đúng."),
        Err(err) => {
            tracing::error!(error = %Chain(&err), "portal: checking a password failed");
            return refuse("Không kiểm tra được mật khẩu. Hãy thử lại.");
        }
    }
    if chosen != field(&pairs, "confirm") {
        return refuse("Hai lần nhập mật khẩu mới không giống nhau.");
    }
    if chosen == current {
        return refuse("Mật khẩu mới phải khác mật khẩu hiện tại.");
    }
    if let Some(reason) = password::weakness(chosen, &username) {
        return refuse(reason);
    }
    let keep = cookie(&headers, SESSION_COOKIE).unwrap_or_default();
    match state
        .accounts()
        .change_password(&username, chosen, &keep, Utc::now())
        .await
    {
        Ok(()) => Redirect::to("/").into_response(),
        Err(err) => {
            tracing::error!(error = %Chain(&err), "portal: changing a password failed");
            refuse("Không đổi được mật khẩu. Hãy thử lại.")
        }
    }
}

/// The signed-in person of a request, as an extractor: a handler that takes it runs only
/// for a live session; otherwise the answer is the login page, or the password change a
/// new account must make first ([`signed_in`]).
pub struct SignedIn(pub Session);

impl axum::extract::FromRequestParts<AppState> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        signed_in(state, &parts.headers).await.map(SignedIn)
    }
}

/// A signed-in person's posted form, as an extractor: the session, and the form's fields
/// once the body read as a form and its CSRF token proved the session. Otherwise the
/// answer is the login page, or the page refusing the form — so a handler that takes it
/// cannot forget the check.
pub struct PostedForm {
    /// Who posted it.
    pub session: Session,
    /// The form's fields, in order.
    pub pairs: Vec<(String, String)>,
}

impl PostedForm {
    /// The value of field `name`.
    pub fn field(&self, name: &str) -> &str {
        field(&self.pairs, name)
    }
}

impl axum::extract::FromRequest<AppState> for PostedForm {
    type Rejection = Response;

    async fn from_request(
        request: axum::extract::Request,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        use axum::extract::FromRequestParts;
        let (mut parts, body) = request.into_parts();
        let SignedIn(session) = SignedIn::from_request_parts(&mut parts, state).await?;
        let request = axum::extract::Request::from_parts(parts, body);
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let bar = || Some(user_bar(state, &session));
        let pairs = form_pairs(&bytes, bar()).map_err(|answer| *answer)?;
        if !csrf_matches(&pairs, &session.csrf_token) {
            return Err(forbidden_form(bar()));
        }
        Ok(PostedForm { session, pairs })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_masked_token_differs_every_time_and_still_proves_the_session() {
        let token = "0123456789abcdef0123456789abcdef";
        let (a, b) = (masked_csrf(token), masked_csrf(token));
        assert_ne!(a, b);
        assert!(!a.contains(token));
        let form = |value: &str| vec![("csrf".to_string(), value.to_string())];
        assert!(csrf_matches(&form(&a), token));
        assert!(csrf_matches(&form(&b), token));
        assert!(csrf_matches(&form(token), token));
        let other = masked_csrf("another token of 32 characters!!");
        assert!(!csrf_matches(&form(&other), token));
        assert!(!csrf_matches(&form(""), token));
    }
}
