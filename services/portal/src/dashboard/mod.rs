//! The dashboard of district offices, the DIC and analysts: per milestone, completeness and
//! timeliness of the areas under the one shown (province → districts → communes → units,
//! with drill-down), a bar chart, the late and missing units with their contacts, and CSV
//! downloads. Read from the summaries `baocao rollup` writes, through the analysts' catalog
//! with the person's scope: the same code that decides what Flight SQL shows.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use baocao_accounts::Session;
use baocao_errors::Chain;
use baocao_registry::{CountBasis, Registry};

use crate::admin::Pager;
use crate::auth::{SignedIn, signed_in, user_bar};
use crate::cache::ScopeCatalog;
use crate::charts::{bar_chart, weekly_chart};
use crate::pages::{self, AreaRow, DashboardPage, LateRow, ViewTables};
use crate::state::AppState;

mod rows;
pub(crate) mod scoped;

use rows::{area_rows, contacts, late_rows, note_reminders, weekly};
use scoped::scope_catalog;

/// What the dashboard is asked to show (query parameters).
#[derive(Clone, Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct View {
    campaign: String,
    milestone: String,
    area: String,
    kind: String,
    /// The areas table's order: `rate` (lowest share reported first), else by code.
    sort: String,
    /// Only the areas and units whose name or code contains this (accents optional).
    q: String,
    /// The page of the areas table, and of the late list.
    apage: String,
    lpage: String,
}

/// Rows of the areas table and of the late list per page.
const AREAS_PER_PAGE: usize = 30;
const LATE_PER_PAGE: usize = 50;

impl View {
    /// The query's fields as given (the pagers' links keep them).
    fn fields(&self) -> std::collections::HashMap<String, String> {
        [
            ("campaign", &self.campaign),
            ("milestone", &self.milestone),
            ("area", &self.area),
            ("kind", &self.kind),
            ("sort", &self.sort),
            ("q", &self.q),
            ("apage", &self.apage),
            ("lpage", &self.lpage),
        ]
        .into_iter()
        .filter(|(_, value)| !value.is_empty())
        .map(|(key, value)| (key.to_string(), value.clone()))
        .collect()
    }
}

/// The areas table as asked: the area's own row first, then the rows under it matching
/// `q`, in `sort` order, one page of them; and the pager.
fn areas_shown(rows: &[AreaRow], view: &View) -> (Vec<AreaRow>, Pager) {
    let wanted = baocao_registry::search_key(&view.q);
    let mut under: Vec<&AreaRow> = rows
        .iter()
        .filter(|r| !r.is_total)
        .filter(|r| {
            wanted.is_empty()
                || baocao_registry::search_key(&r.name).contains(&wanted)
                || r.code.contains(view.q.trim())
        })
        .collect();
    if view.sort == "rate" {
        under.sort_by(|a, b| {
            let rate = |r: &AreaRow| r.completeness.unwrap_or(f64::INFINITY);
            rate(a)
                .total_cmp(&rate(b))
                .then_with(|| a.code.cmp(&b.code))
        });
    }
    let pager = Pager::keyed(
        &view.fields(),
        (under.len(), AREAS_PER_PAGE),
        "/dashboard",
        "apage",
    );
    let shown = rows
        .iter()
        .filter(|r| r.is_total)
        .chain(under[pager.range()].iter().copied())
        .cloned()
        .collect();
    (shown, pager)
}

/// A view checked against the register and the person's scope: safe to put in SQL.
struct Checked {
    campaign: String,
    milestone: String,
    milestone_name: String,
    deadline: String,
    area: String,
    kind: String,
    /// The summaries the campaign's report counts (`count`): every accepted version
    /// (`summaries`) or approved versions only (`summaries_approved`), so the dashboard
    /// and the Chairman's report say the same.
    summaries: &'static str,
}

fn forbidden(state: &AppState, session: &Session, text: &str) -> Response {
    pages::message(
        StatusCode::FORBIDDEN,
        Some(user_bar(state, session)),
        "Không có quyền",
        text,
    )
}

/// Whether the area `code` lies inside `scope` (empty: everywhere).
fn area_within(registry: &Registry, code: &str, scope: &str) -> bool {
    scope.is_empty() || registry.area_chain(code).iter().any(|a| a.code == scope)
}

/// Checks `view` (defaults: the newest campaign and milestone with a summary, the person's
/// own area).
fn check(
    registry: &Registry,
    session: &Session,
    view: &View,
    written: &[(String, String)],
) -> Result<Checked, &'static str> {
    let (campaign_id, milestone_id) = if view.campaign.is_empty() {
        written
            .last()
            .cloned()
            .ok_or("Chưa có số liệu tổng hợp nào: chạy `baocao rollup` trước.")?
    } else {
        (view.campaign.clone(), view.milestone.clone())
    };
    let campaign = registry
        .campaign(&campaign_id)
        .ok_or("Không có đợt báo cáo này.")?;
    let milestone = match campaign.milestone(&milestone_id) {
        Some(m) => m,
        None => campaign
            .milestones
            .first()
            .ok_or("Đợt báo cáo không có mốc nào.")?,
    };
    let scope = session.account.person.scope.as_str();
    let area = match (view.area.as_str(), scope) {
        ("", "") => campaign.province.clone(),
        ("", scope) => scope.to_string(),
        (area, _) => area.to_string(),
    };
    let area_unit = registry.admin_unit(&area).ok_or("Không có địa bàn này.")?;
    if !area_within(registry, &area, scope) {
        return Err("Địa bàn này nằm ngoài phạm vi tài khoản của bạn.");
    }
    if !view.kind.is_empty() && registry.kind(&view.kind).is_none() {
        return Err("Không có loại đơn vị này.");
    }
    Ok(Checked {
        campaign: campaign.id.clone(),
        milestone: milestone.id.clone(),
        milestone_name: milestone.name.clone(),
        deadline: milestone.unit_deadline.format("%d/%m/%Y").to_string(),
        area: area_unit.code.clone(),
        kind: view.kind.clone(),
        summaries: match campaign.count {
            CountBasis::Received => "summaries",
            CountBasis::Approved => "summaries_approved",
        },
    })
}

/// The signed-in person of a dashboard request, if their role sees dashboards;
/// otherwise the answer (to the login page, or 403).
async fn viewer(state: &AppState, headers: &HeaderMap) -> Result<Session, Box<Response>> {
    let session = signed_in(state, headers).await.map_err(Box::new)?;
    if !session.account.person.role.views_dashboard() {
        let text = "Tài khoản của bạn không xem được bảng tổng hợp.";
        return Err(Box::new(forbidden(state, &session, text)));
    }
    Ok(session)
}

/// `GET /dashboard?campaign=&milestone=&area=&kind=`.
pub async fn dashboard(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(view): Query<View>,
) -> Response {
    let session = match viewer(&state, &headers).await {
        Ok(session) => session,
        Err(answer) => return *answer,
    };
    match build(&state, &session, &view).await {
        Ok(page) => pages::render(StatusCode::OK, &page),
        Err(Failure::Refused(text)) => forbidden(&state, &session, text),
        Err(Failure::Broken(err)) => {
            tracing::error!(error = %Chain(&err), "portal: dashboard query failed");
            pages::message(
                StatusCode::INTERNAL_SERVER_ERROR,
                Some(user_bar(&state, &session)),
                "Lỗi hệ thống",
                "Không đọc được số liệu tổng hợp. Hãy thử lại sau ít phút.",
            )
        }
    }
}

enum Failure {
    Refused(&'static str),
    Broken(baocao_catalog::Error),
}

impl From<baocao_catalog::Error> for Failure {
    fn from(err: baocao_catalog::Error) -> Self {
        Failure::Broken(err)
    }
}

/// The tables of the view `c` (the trend only on the person's own area); kept until the
/// next summary, shared by everyone whose account has `account_scope`.
async fn view_tables(
    state: &AppState,
    registry: &Registry,
    account_scope: &str,
    scope: &ScopeCatalog,
    c: &Checked,
    with_trend: bool,
) -> Result<Arc<ViewTables>, baocao_catalog::Error> {
    let key = format!(
        "{}/{}/{}/{}/{with_trend}",
        c.campaign, c.milestone, c.area, c.kind
    );
    let make = async {
        let started = std::time::Instant::now();
        let areas = area_rows(&scope.ctx, c).await?;
        let areas_done = started.elapsed();
        let scope_expected = areas.iter().find(|r| r.is_total).map_or(0, |r| r.expected);
        let trend = if with_trend {
            weekly_chart(&weekly(&scope.firsts, &c.campaign), scope_expected)
        } else {
            String::new()
        };
        let trend_done = started.elapsed();
        let mut late = late_rows(registry, &scope.ctx, c).await?;
        note_reminders(state, registry, c, &mut late).await?;
        tracing::debug!(
            area = %c.area,
            areas_ms = areas_done.as_millis(),
            trend_ms = (trend_done - areas_done).as_millis(),
            late_ms = (started.elapsed() - trend_done).as_millis(),
            "portal: dashboard view computed"
        );
        let (chart, chart_caption) = bar_chart(&areas);
        Ok(ViewTables {
            chart,
            chart_caption,
            late,
            areas,
            trend,
        })
    };
    state.dashboards().view(account_scope, key, make).await
}

/// A page of the late list, with whom to call, and the pager.
async fn late_shown(state: &AppState, late: &[LateRow], view: &View) -> (Vec<LateRow>, Pager) {
    let contacts = contacts(state).await;
    let pager = Pager::keyed(
        &view.fields(),
        (late.len(), LATE_PER_PAGE),
        "/dashboard",
        "lpage",
    );
    let shown = late[pager.range()]
        .iter()
        .map(|row| LateRow {
            contact: contacts.get(&row.code).cloned().unwrap_or_default(),
            ..row.clone()
        })
        .collect();
    (shown, pager)
}

async fn build(state: &AppState, session: &Session, view: &View) -> Result<DashboardPage, Failure> {
    let registry = state.core().registry();
    let scope = scope_catalog(state, &registry, &session.account.person.scope).await?;
    let c = check(&registry, session, view, &scope.written).map_err(Failure::Refused)?;
    let with_trend = view.area.is_empty() || view.area == session.account.person.scope;
    let tables = view_tables(
        state,
        &registry,
        &session.account.person.scope,
        &scope,
        &c,
        with_trend,
    )
    .await?;
    let (areas, area_pager) = areas_shown(&tables.areas, view);
    let (late, late_pager) = late_shown(state, &tables.late, view).await;
    let query = |area: &str| {
        format!(
            "campaign={}&milestone={}&area={area}",
            c.campaign, c.milestone
        )
    };
    let trail = registry
        .area_chain(&c.area)
        .into_iter()
        .rev()
        .filter(|a| area_within(&registry, &a.code, &session.account.person.scope))
        .map(|a| (query(&a.code), a.name_with_type.clone()))
        .collect();
    let chairman_report = area_within(
        &registry,
        &registry
            .campaign(&c.campaign)
            .map_or(String::new(), |k| k.province.clone()),
        &session.account.person.scope,
    );
    let report_signed = chairman_report && report_is_signed(state, &c.campaign, &c.milestone).await;
    Ok(DashboardPage {
        user: user_bar(state, session),
        chart: tables.chart.clone(),
        chart_caption: tables.chart_caption.clone(),
        trend: tables.trend.clone(),
        milestones: scope
            .written
            .iter()
            .map(|(c, m)| {
                (
                    format!("campaign={c}&milestone={m}"),
                    milestone_label(&registry, c, m),
                )
            })
            .collect(),
        current: format!("campaign={}&milestone={}", c.campaign, c.milestone),
        here: query(&c.area),
        title: format!("{} — hạn của đơn vị {}", c.milestone_name, c.deadline),
        area_name: registry
            .admin_unit(&c.area)
            .map_or_else(String::new, |a| a.name_with_type.clone()),
        trail,
        areas,
        area_pager,
        area_search: view.q.clone(),
        by_rate: view.sort == "rate",
        late_total: tables.late.len(),
        late,
        late_pager,
        chairman_report,
        report_signed,
        kinds: scope.kinds.clone(),
        kind: c.kind.clone(),
        campaign: c.campaign.clone(),
        milestone: c.milestone.clone(),
        area: c.area.clone(),
    })
}

/// Whether the milestone's Chairman's report PDF carries a digital signature (the
/// rollup signs it when `[document.signing]` names a certificate).
async fn report_is_signed(state: &AppState, campaign: &str, milestone: &str) -> bool {
    let dir = state
        .sources()
        .summaries
        .join(&format!("{campaign}/{milestone}"));
    dir.get("bao-cao.pdf")
        .await
        .is_ok_and(|pdf| baocao_signing::is_signed(&pdf))
}

/// "Campaign name · milestone name" as people read it (the ids when unknown).
fn milestone_label(registry: &Registry, campaign: &str, milestone: &str) -> String {
    match registry.campaign(campaign) {
        Some(c) => {
            let name = c
                .milestone(milestone)
                .map_or(milestone, |m| m.name.as_str());
            format!("{} · {name}", c.name)
        }
        None => format!("{campaign} · {milestone}"),
    }
}

/// The Chairman's report files `baocao rollup` writes beside each summary, with their
/// content types.
const REPORT_FILES: [(&str, &str); 5] = [
    (
        "bao-cao.docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
    ("bao-cao.pdf", "application/pdf"),
    (
        "bao-cao.xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ),
    ("bao-cao.html", "text/html; charset=utf-8"),
    ("bao-cao.md", "text/markdown; charset=utf-8"),
];

/// `GET /dashboard/report/{file}?campaign=&milestone=`: the Chairman's report of a rolled
/// up milestone, for accounts that see the campaign's whole province (it is the
/// province's report: a district office downloads its own tables as CSV instead).
pub async fn chairman_report(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
    axum::extract::Path(file): axum::extract::Path<String>,
    Query(view): Query<View>,
) -> Response {
    let registry = state.core().registry();
    let (Some((name, content_type)), Some(campaign)) = (
        REPORT_FILES.iter().find(|(name, _)| *name == file),
        registry.campaign(&view.campaign),
    ) else {
        return pages::message(
            StatusCode::NOT_FOUND,
            Some(user_bar(&state, &session)),
            "Không tìm thấy",
            "Không có báo cáo này.",
        );
    };
    let scope = session.account.person.scope.as_str();
    if !session.account.person.role.views_dashboard()
        || !area_within(&registry, &campaign.province, scope)
    {
        return forbidden(
            &state,
            &session,
            "Báo cáo gửi Chủ tịch UBND tỉnh chỉ dành cho cán bộ cấp tỉnh.",
        );
    }
    let Some(milestone) = campaign.milestone(&view.milestone) else {
        return pages::message(
            StatusCode::NOT_FOUND,
            Some(user_bar(&state, &session)),
            "Không tìm thấy",
            "Không có mốc báo cáo này.",
        );
    };
    let dir = state
        .sources()
        .summaries
        .join(&format!("{}/{}", campaign.id, milestone.id));
    match dir.get(name).await {
        Ok(bytes) => {
            let disposition = format!(
                "attachment; filename=\"{}-{}-{name}\"",
                campaign.id, milestone.id
            );
            (
                [
                    (header::CONTENT_TYPE, content_type.to_string()),
                    (header::CONTENT_DISPOSITION, disposition),
                ],
                bytes,
            )
                .into_response()
        }
        Err(err) => {
            tracing::info!(error = %Chain(&err), "portal: no Chairman's report to download");
            pages::message(
                StatusCode::NOT_FOUND,
                Some(user_bar(&state, &session)),
                "Chưa có báo cáo",
                "Mốc này chưa được tổng hợp: chạy `baocao rollup` trước.",
            )
        }
    }
}

/// `GET /dashboard/areas.csv` and `/dashboard/late.csv`: the tables as Excel opens them
/// (UTF-8 with a byte-order mark, so the diacritics show).
pub async fn csv(
    State(state): State<AppState>,
    headers: HeaderMap,
    axum::extract::Path(table): axum::extract::Path<String>,
    Query(view): Query<View>,
) -> Response {
    let session = match viewer(&state, &headers).await {
        Ok(session) => session,
        Err(answer) => return *answer,
    };
    let page = match build(&state, &session, &view).await {
        Ok(page) => page,
        Err(Failure::Refused(text)) => return forbidden(&state, &session, text),
        Err(Failure::Broken(err)) => {
            tracing::error!(error = %Chain(&err), "portal: dashboard query failed");
            return (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Không đọc được số liệu tổng hợp.",
            )
                .into_response();
        }
    };
    let mut out = String::from(baocao_sheets::csv::BOM);
    match table.as_str() {
        "areas.csv" => {
            out.push_str("Mã,Tên,Phải báo cáo,Đã báo cáo,Đúng hạn,Muộn,Chưa báo cáo,Chưa cập nhật,Tỉ lệ đã báo cáo (%),Chờ duyệt,Bị trả lại\r\n");
            for r in &page.areas {
                let pct = r.completeness.map_or(String::new(), |p| format!("{p:.1}"));
                out.push_str(&baocao_sheets::csv::line(&[
                    &r.code,
                    &r.name,
                    &r.expected.to_string(),
                    &r.reported.to_string(),
                    &r.on_time.to_string(),
                    &r.late.to_string(),
                    &r.missing.to_string(),
                    &r.not_updated.to_string(),
                    &pct,
                    &r.review_pending.to_string(),
                    &r.review_returned.to_string(),
                ]));
            }
        }
        "late.csv" => {
            out.push_str("Mã đơn vị,Tên đơn vị,Loại,Tình trạng,Địa bàn,Liên hệ,Đã đôn đốc\r\n");
            for r in &page.late {
                out.push_str(&baocao_sheets::csv::line(&[
                    &r.code,
                    &r.name,
                    &r.kind,
                    r.status,
                    &r.place,
                    &r.contact,
                    &r.reminded,
                ]));
            }
        }
        _ => {
            return pages::message(
                StatusCode::NOT_FOUND,
                Some(user_bar(&state, &session)),
                "Không tìm thấy",
                "Không có bảng này.",
            );
        }
    }
    let disposition = format!("attachment; filename=\"{table}\"");
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        out,
    )
        .into_response()
}
