//! A signed-in person's browser, as far as the portal benchmark needs one: it signs in
//! through the pages (one-time password, then the forced change), keeps the cookies and
//! the session's CSRF token, and never follows a redirect (a page that answers "sign in
//! first" is a failure, not a fast page).

use anyhow::Context;
use reqwest::StatusCode;
use reqwest::header::{COOKIE, SET_COOKIE};

/// One person's HTTP client of the portal.
pub struct WebClient {
    http: reqwest::Client,
    base: String,
    /// (name, value) of the cookies the portal set.
    cookies: Vec<(String, String)>,
    /// The session's CSRF token (read from a page once signed in).
    csrf: String,
    /// The person's unit.
    pub unit: String,
    /// The person's dashboard scope.
    pub scope: String,
}

/// The value of the page's hidden `csrf` input.
fn csrf_of(page: &str) -> anyhow::Result<String> {
    let marker = "name=\"csrf\" value=\"";
    let start = page.find(marker).context("the page has no CSRF token")? + marker.len();
    let end = page[start..].find('"').context("unterminated CSRF token")?;
    Ok(page[start..start + end].to_string())
}

impl WebClient {
    pub fn new(base: &str, unit: &str, scope: &str) -> anyhow::Result<Self> {
        Ok(WebClient {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()?,
            base: base.trim_end_matches('/').to_string(),
            cookies: Vec::new(),
            csrf: String::new(),
            unit: unit.to_string(),
            scope: scope.to_string(),
        })
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// Keeps the cookies a response sets (`Max-Age=0` removes one).
    fn keep_cookies(&mut self, response: &reqwest::Response) {
        for set in response.headers().get_all(SET_COOKIE) {
            let Some((name, rest)) = set.to_str().ok().and_then(|s| s.split_once('=')) else {
                continue;
            };
            let value = rest.split(';').next().unwrap_or_default();
            self.cookies.retain(|(kept, _)| kept != name);
            if !rest.contains("Max-Age=0") {
                self.cookies.push((name.to_string(), value.to_string()));
            }
        }
    }

    /// A request of the sign-in: its status and body, cookies kept.
    async fn exchange(
        &mut self,
        path: &str,
        form: Option<&[(&str, &str)]>,
    ) -> anyhow::Result<(StatusCode, String)> {
        let url = format!("{}{path}", self.base);
        let request = match form {
            Some(form) => self.http.post(&url).form(form),
            None => self.http.get(&url),
        };
        let response = request.header(COOKIE, self.cookie_header()).send().await?;
        self.keep_cookies(&response);
        let status = response.status();
        Ok((status, response.text().await?))
    }

    /// Signs in with the one-time password and sets a password of its own.
    pub async fn sign_in(&mut self, username: &str, one_time_password: &str) -> anyhow::Result<()> {
        let (_, page) = self.exchange("/login", None).await?;
        let csrf = csrf_of(&page)?;
        let login = [
            ("csrf", csrf.as_str()),
            ("username", username),
            ("password", one_time_password),
        ];
        let (status, _) = self.exchange("/login", Some(&login)).await?;
        anyhow::ensure!(status == StatusCode::SEE_OTHER, "login answered {status}");
        let (_, page) = self.exchange("/password", None).await?;
        let csrf = csrf_of(&page)?;
        let chosen = format!("do-hieu-nang-{}", uuid::Uuid::new_v4().simple());
        let change = [
            ("csrf", csrf.as_str()),
            ("current", one_time_password),
            ("new", chosen.as_str()),
            ("confirm", chosen.as_str()),
        ];
        let (status, _) = self.exchange("/password", Some(&change)).await?;
        anyhow::ensure!(
            status == StatusCode::SEE_OTHER,
            "password change answered {status}"
        );
        let (_, page) = self.exchange("/password", None).await?;
        self.csrf = csrf_of(&page)?;
        Ok(())
    }

    /// Sends `request` with the cookies; its status and body.
    async fn answer(
        &self,
        request: reqwest::RequestBuilder,
    ) -> anyhow::Result<(StatusCode, String)> {
        let response = request.header(COOKIE, self.cookie_header()).send().await?;
        let status = response.status();
        Ok((status, response.text().await?))
    }

    /// The bytes of the page at `path` as sent: plain, and compressed when the client
    /// accepts gzip (what a phone's browser gets).
    pub async fn page_weight(&self, path: &str) -> anyhow::Result<(usize, usize)> {
        let mut sizes = [0; 2];
        for (size, encoding) in sizes.iter_mut().zip(["identity", "gzip"]) {
            let response = self
                .http
                .get(format!("{}{path}", self.base))
                .header(COOKIE, self.cookie_header())
                .header(reqwest::header::ACCEPT_ENCODING, encoding)
                .send()
                .await?;
            anyhow::ensure!(
                response.status() == StatusCode::OK,
                "{path}: {}",
                response.status()
            );
            *size = response.bytes().await?.len();
        }
        Ok((sizes[0], sizes[1]))
    }

    /// Loads `path`; anything but a 200 page is an error.
    pub async fn get_page(&self, path: &str) -> anyhow::Result<()> {
        let (status, body) = self
            .answer(self.http.get(format!("{}{path}", self.base)))
            .await?;
        anyhow::ensure!(status == StatusCode::OK, "{status}: {}", first_line(&body));
        Ok(())
    }

    /// Posts the report form `pairs` with the session's CSRF token and the submit
    /// button; anything but the receipt page is an error.
    pub async fn submit_report(&self, pairs: &[(String, String)]) -> anyhow::Result<()> {
        let mut form: Vec<(&str, &str)> = pairs
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_str()))
            .collect();
        form.extend([("csrf", self.csrf.as_str()), ("action", "submit")]);
        let (status, body) = self
            .answer(self.http.post(format!("{}/report", self.base)).form(&form))
            .await?;
        anyhow::ensure!(
            status == StatusCode::OK && body.contains("Đã tiếp nhận"),
            "{status}: {}",
            first_line(&body)
        );
        Ok(())
    }
}

/// What a refusal page says, shortly: its alert's text, with the fields it links to.
fn first_line(body: &str) -> String {
    let Some(start) = body.find("role=\"alert\"") else {
        return body.chars().take(200).collect();
    };
    let alert = &body[start..];
    let alert = &alert[..alert
        .find("</div>")
        .or(alert.find("</p>"))
        .unwrap_or(alert.len())];
    let mut text = String::new();
    let mut in_tag = true;
    for part in alert.split_inclusive(['<', '>']) {
        if !in_tag {
            text.push_str(part.trim_end_matches('<'));
        } else if let Some(field) = part.strip_prefix("a href=\"#f-") {
            text.push_str(&format!(" [{}] ", field.trim_end_matches(['"', '>'])));
        }
        in_tag = part.ends_with('<');
    }
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .take(400)
        .collect()
}
