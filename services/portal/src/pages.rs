//! The pages, as askama templates (`templates/`, checked at compile time) and the small
//! view models they read; Vietnamese formats for dates and numbers.

use std::collections::HashMap;

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use baocao_accounts::Session;
use baocao_errors::Chain;

use baocao_rules::typed::ReportInput;

/// The signed-in person, as the page header shows them.
pub struct UserBar {
    pub full_name: String,
    pub unit_name: String,
    pub role: &'static str,
    pub csrf: String,
    pub submits: bool,
    pub dashboard: bool,
    /// The person's unit reviews other units' reports.
    pub reviews: bool,
    /// The person administers accounts (the department, an office its own staff).
    pub accounts: bool,
}

impl UserBar {
    pub fn of(session: &Session, unit_name: String) -> Self {
        UserBar {
            full_name: session.account.person.full_name.clone(),
            unit_name,
            role: session.account.person.role.label(),
            csrf: crate::auth::masked_csrf(&session.csrf_token),
            submits: session.account.person.role.submits(),
            dashboard: session.account.person.role.views_dashboard(),
            reviews: false,
            accounts: crate::admin::Reach::of(session).is_some(),
        }
    }
}

/// Messages by field name, shown next to their inputs.
#[derive(Default)]
pub struct FieldErrors {
    by_field: HashMap<String, Vec<String>>,
    /// Every message in order, with its field, for the summary at the top.
    pub all: Vec<(String, String)>,
}

impl FieldErrors {
    pub fn add(&mut self, field: &str, message: &str) {
        self.by_field
            .entry(field.to_string())
            .or_default()
            .push(message.to_string());
        self.all.push((field.to_string(), message.to_string()));
    }

    pub fn is_empty(&self) -> bool {
        self.all.is_empty()
    }

    /// The messages of `field`, one line.
    pub fn at(&self, field: &str) -> String {
        self.by_field
            .get(field)
            .map(|m| m.join(" "))
            .unwrap_or_default()
    }

    /// The messages of system row `index`'s `field`.
    pub fn system(&self, index: impl std::fmt::Display, field: &str) -> String {
        self.at(&format!("systems.{index}.{field}"))
    }
}

/// Whether two texts are equal (templates compare `String`s, `&str`s and references).
pub fn same(a: impl AsRef<str>, b: impl AsRef<str>) -> bool {
    a.as_ref() == b.as_ref()
}

pub use baocao_rules::typed::{
    DOSSIER_OPTIONS, LEVEL_OPTIONS, Options, PLAN_OPTIONS, YES_NO_OPTIONS,
};

/// An indicator field the unit's kind reports.
pub struct BlockField {
    pub name: &'static str,
    pub label: &'static str,
    pub value: String,
}

/// What an upload did, as the sheets page shows it.
pub struct SheetsResult {
    pub file: String,
    pub summary: String,
    pub complete: bool,
    /// (cell, message), in reading order.
    pub problems: Vec<(String, String)>,
    pub notes: Vec<String>,
}

#[derive(Template)]
#[template(path = "sheets.html")]
pub struct SheetsPage {
    pub user: UserBar,
    /// Open campaigns: (id, name).
    pub campaigns: Vec<(String, String)>,
    /// Units in the form of the first campaign.
    pub units: usize,
    pub result: Option<SheetsResult>,
    pub message: String,
}

#[derive(Template)]
#[template(path = "login.html")]
pub struct LoginPage {
    pub csrf: String,
    pub username: String,
    pub message: String,
}

#[derive(Template)]
#[template(path = "password.html")]
pub struct PasswordPage {
    pub user: UserBar,
    pub forced: bool,
    pub message: String,
}

#[derive(Template)]
#[template(path = "choose_unit.html")]
pub struct ChooseUnitPage {
    pub user: UserBar,
    /// (code, name, area) of each unit the person may report for.
    pub units: Vec<(String, String, String)>,
}

#[derive(Template)]
#[template(path = "report.html")]
pub struct ReportPage {
    pub user: UserBar,
    pub unit_name: String,
    pub kind_name: String,
    pub on_behalf: bool,
    /// (id, name) of the open campaigns the unit reports in.
    pub campaigns: Vec<(String, String)>,
    /// Why nothing can be sent, when no campaign is open (the form is then read-only).
    pub closed: String,
    pub input: ReportInput,
    pub blocks: Vec<BlockField>,
    pub errors: FieldErrors,
    /// A message above the form (why it was not received).
    pub notice: String,
    /// "Last accepted version received at …", when the form starts from one.
    pub latest: String,
    pub dossier_options: Options,
    pub plan_options: Options,
    pub level_options: Options,
    pub yes_no_options: Options,
    /// Most systems a report may list (no "add" button past it).
    pub max_systems: usize,
}

#[derive(Template)]
#[template(path = "receipt.html")]
pub struct ReceiptPage {
    pub user: UserBar,
    pub unit_code: String,
    pub unit_name: String,
    pub campaign_name: String,
    pub submission_id: String,
    pub received_at: String,
    pub repeat: bool,
    pub systems: usize,
    pub cameras: String,
    /// The portal signs receipts: the page offers the signed receipt.
    pub signed: bool,
}

/// One row of the dashboard's area table.
#[derive(Clone)]
pub struct AreaRow {
    pub tier: String,
    pub code: String,
    pub name: String,
    pub expected: i64,
    pub reported: i64,
    pub on_time: i64,
    pub late: i64,
    pub missing: i64,
    /// Expected units whose last report predates the milestone's window.
    pub not_updated: i64,
    pub completeness: Option<f64>,
    /// A unit row's status, in Vietnamese.
    pub status: &'static str,
    /// The row links to its own dashboard (an area under the one shown).
    pub drill: bool,
    /// The row of the area shown itself (the total).
    pub is_total: bool,
    /// Expected units whose latest version awaits review (the reviewers' backlog).
    pub review_pending: i64,
    /// Expected units whose latest version was returned.
    pub review_returned: i64,
}

impl AreaRow {
    /// Completeness as shown: `87,5 %`, or `—`.
    pub fn percent(&self) -> String {
        self.completeness.map_or_else(
            || "—".to_string(),
            |p| format!("{p:.1} %").replace('.', ","),
        )
    }
}

/// One late or missing unit.
#[derive(Clone)]
pub struct LateRow {
    pub code: String,
    pub name: String,
    pub kind: String,
    pub status: &'static str,
    pub place: String,
    pub contact: String,
    /// Reminders sent ("2 lần, gần nhất 01/07/2026"); empty when none.
    pub reminded: String,
}

/// What one dashboard view shows as read from the summaries: kept between requests (the
/// late units' contacts are added to each answer).
pub struct ViewTables {
    pub areas: Vec<AreaRow>,
    pub late: Vec<LateRow>,
    /// The bar chart (SVG).
    pub chart: String,
    /// What the bar chart shows (all areas, or the lowest of how many).
    pub chart_caption: String,
    /// Units reported week by week (SVG), or empty.
    pub trend: String,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
pub struct DashboardPage {
    pub user: UserBar,
    pub title: String,
    pub area_name: String,
    /// (query, name) from the widest area the person sees down to the one shown.
    pub trail: Vec<(String, String)>,
    /// (query, label) of every campaign milestone with a summary.
    pub milestones: Vec<(String, String)>,
    /// The query of the milestone shown.
    pub current: String,
    /// The query of the page shown (for downloads).
    pub here: String,
    /// The area's own row, then a page of the rows under it.
    pub areas: Vec<AreaRow>,
    pub area_pager: crate::admin::Pager,
    /// The areas table's search, and whether it is ordered by rate.
    pub area_search: String,
    pub by_rate: bool,
    /// A page of the late list, and how many it has in all.
    pub late: Vec<LateRow>,
    pub late_pager: crate::admin::Pager,
    pub late_total: usize,
    /// The bar chart, SVG markup built by the server (names escaped).
    pub chart: String,
    /// Its caption.
    pub chart_caption: String,
    /// Units reported week by week (the person's whole scope), SVG; empty below it.
    pub trend: String,
    /// (code, name) of the unit kinds, for the filter.
    pub kinds: Vec<(String, String)>,
    /// The person may download the Chairman's report (they see the whole province).
    pub chairman_report: bool,
    /// Its PDF carries the department's digital signature.
    pub report_signed: bool,
    pub kind: String,
    pub campaign: String,
    pub milestone: String,
    pub area: String,
}

/// A report status in Vietnamese.
pub fn status_label(status: &str) -> &'static str {
    match status {
        "on_time" => "Đúng hạn",
        "late" => "Muộn",
        "missing" => "Chưa báo cáo",
        "not_updated" => "Chưa cập nhật",
        "not_required" => "Không thuộc diện",
        _ => "",
    }
}

/// Text made safe inside HTML or SVG markup.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[derive(Template)]
#[template(path = "message.html")]
pub struct MessagePage {
    pub user: Option<UserBar>,
    pub title: String,
    pub text: String,
}

/// Renders `page` with `status`; a template failure becomes a plain 500.
pub fn render(status: StatusCode, page: &impl Template) -> Response {
    match page.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(err) => {
            tracing::error!(error = %Chain(&err), "page template failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Lỗi hệ thống: không hiển thị được trang.",
            )
                .into_response()
        }
    }
}

/// A message page.
pub fn message(status: StatusCode, user: Option<UserBar>, title: &str, text: &str) -> Response {
    render(
        status,
        &MessagePage {
            user,
            title: title.to_string(),
            text: text.to_string(),
        },
    )
}

pub use baocao_registry::{vn_number, vn_time, vn_time_seconds};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vietnamese_formats() {
        assert_eq!(vn_number(150_000_000), "150.000.000");
        assert_eq!(vn_number(-1234), "-1.234");
        assert_eq!(vn_number(12), "12");
        let at = chrono::DateTime::from_timestamp(1_678_417_200, 0).unwrap_or_default();
        assert_eq!(vn_time(at), "10:00 10/03/2023");
    }
}
