//! The dashboard of district offices, the DIC and analysts: per milestone, completeness and
//! timeliness of the areas under the one shown (province → districts → communes → units,
//! with drill-down), a bar chart, the late and missing units with their contacts, and CSV
//! downloads. Read from the summaries `baocao rollup` writes, through the analysts' catalog
//! with the person's scope: the same code that decides what Flight SQL shows.

use std::collections::HashSet;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, RecordBatch};
use arrow::datatypes::{DataType, Float64Type, Int64Type};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use baocao_accounts::Session;
use baocao_registry::{AdminLevel, Registry};
use baocao_rollup::catalog::{CatalogSources, ScopeRule, catalog_session, run_query};
use chrono::Datelike;
use datafusion::dataframe::DataFrame;
use datafusion::datasource::MemTable;
use datafusion::prelude::SessionContext;

use crate::auth::{signed_in, user_bar};
use crate::cache::{Contacts, FirstReport, ScopeCatalog};
use crate::charts::{bar_chart, weekly_chart};
use crate::pages::{self, AreaRow, DashboardPage, LateRow, ViewTables};
use crate::state::AppState;

/// What the dashboard is asked to show (query parameters).
#[derive(Clone, Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct View {
    campaign: String,
    milestone: String,
    area: String,
    kind: String,
}

/// A view checked against the register and the person's scope: safe to put in SQL.
struct Checked {
    campaign: String,
    milestone: String,
    milestone_name: String,
    deadline: String,
    area: String,
    area_level: AdminLevel,
    kind: String,
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
        area_level: area_unit.level,
        kind: view.kind.clone(),
    })
}

/// The catalog as the person's scope sees it, with what every view of it needs; kept
/// until the next summary.
async fn scope_catalog(
    state: &AppState,
    registry: &Registry,
    scope: &str,
) -> Result<Arc<ScopeCatalog>, baocao_rollup::Error> {
    let cache = state.dashboards();
    cache.follow(&state.sources().summaries).await;
    let base = base_catalog(state, registry).await?;
    if scope.is_empty() {
        return Ok(base);
    }
    cache
        .scope(scope, async {
            let started = std::time::Instant::now();
            let cut = cut_to_scope(&base, scope).await;
            tracing::debug!(%scope, ms = started.elapsed().as_millis(), "portal: dashboard scope cut");
            cut
        })
        .await
}

/// Everything the dashboards may show, read once per summary into memory through the
/// analysts' catalog without a scope (what an account whose scope is the whole register
/// sees).
async fn base_catalog(
    state: &AppState,
    registry: &Registry,
) -> Result<Arc<ScopeCatalog>, baocao_rollup::Error> {
    state
        .dashboards()
        .scope("", async {
            let started = std::time::Instant::now();
            let catalog = catalog_session(&CatalogSources {
                registry,
                landing: &state.sources().landing,
                summaries: &state.sources().summaries,
                as_of: None,
                scope: None,
            })
            .await?;
            let ctx = SessionContext::new();
            for table in ["units", "summaries", "late_and_missing"] {
                if catalog.table_exist(table)? {
                    into_memory(&ctx, table, catalog.table(table).await?).await?;
                }
            }
            let units = ctx.table("units").await?;
            let schema = Arc::new(units.schema().as_arrow().clone());
            let units = arrow::compute::concat_batches(&schema, &units.collect().await?)?;
            let base = ScopeCatalog {
                written: written(&ctx).await,
                firsts: first_reports(&catalog).await?,
                kinds: unit_kinds(registry),
                units,
                ctx,
            };
            tracing::debug!(
                ms = started.elapsed().as_millis(),
                "portal: dashboard tables read"
            );
            Ok(base)
        })
        .await
}

/// `frame`'s rows, collected, as table `name` of `ctx`.
async fn into_memory(
    ctx: &SessionContext,
    name: &str,
    frame: DataFrame,
) -> Result<(), baocao_rollup::Error> {
    let schema = Arc::new(frame.schema().as_arrow().clone());
    let batches = frame.collect().await?;
    ctx.register_table(name, Arc::new(MemTable::try_new(schema, vec![batches])?))?;
    Ok(())
}

/// `base` cut to `scope` by the analysts' catalog's own scope rule ([`ScopeRule`]): the
/// same code decides what a person sees here and in Flight SQL.
async fn cut_to_scope(
    base: &ScopeCatalog,
    scope: &str,
) -> Result<ScopeCatalog, baocao_rollup::Error> {
    let (rule, units) = ScopeRule::new(base.units.clone(), Some(scope))?;
    let ctx = SessionContext::new();
    ctx.register_batch("units", units.clone())?;
    if base.ctx.table_exist("summaries")? {
        let frame = rule.summaries(base.ctx.table("summaries").await?)?;
        into_memory(&ctx, "summaries", frame).await?;
    }
    if base.ctx.table_exist("late_and_missing")? {
        let frame = rule.per_unit(base.ctx.table("late_and_missing").await?)?;
        into_memory(&ctx, "late_and_missing", frame).await?;
    }
    let inside: HashSet<String> = strings(&units, "unit_code").into_iter().collect();
    Ok(ScopeCatalog {
        written: written(&ctx).await,
        firsts: base
            .firsts
            .iter()
            .filter(|f| inside.contains(&f.unit_code))
            .cloned()
            .collect(),
        kinds: base.kinds.clone(),
        units,
        ctx,
    })
}

/// When each unit first reported, per campaign, for the weekly chart.
async fn first_reports(catalog: &SessionContext) -> Result<Vec<FirstReport>, baocao_rollup::Error> {
    let sql = "SELECT campaign_id, unit_code, to_unixtime(min(received_at)) AS first_at \
               FROM submissions GROUP BY campaign_id, unit_code";
    let mut firsts = Vec::new();
    for b in run_query(catalog, sql).await? {
        let (campaigns, units) = (strings(&b, "campaign_id"), strings(&b, "unit_code"));
        let at = ints(&b, "first_at");
        for ((campaign, unit_code), at) in campaigns.into_iter().zip(units).zip(at) {
            firsts.push(FirstReport {
                campaign,
                unit_code,
                at,
            });
        }
    }
    Ok(firsts)
}

/// (code, name) of the unit kinds the register has units of, by code.
fn unit_kinds(registry: &Registry) -> Vec<(String, String)> {
    registry
        .units()
        .map(|u| u.kind.as_str())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .filter_map(|k| {
            registry
                .kind(k)
                .map(|kind| (k.to_string(), kind.name.clone()))
        })
        .collect()
}

/// `column` of `batch` cast to `to` (empty when the column is missing: a summary of an
/// older version).
fn cast_column(batch: &RecordBatch, column: &str, to: &DataType) -> Option<ArrayRef> {
    arrow::compute::cast(batch.column_by_name(column)?, to).ok()
}

fn strings(batch: &RecordBatch, column: &str) -> Vec<String> {
    let Some(array) = cast_column(batch, column, &DataType::Utf8) else {
        return Vec::new();
    };
    let values = array.as_string::<i32>();
    (0..values.len())
        .map(|i| {
            if values.is_valid(i) {
                values.value(i).to_string()
            } else {
                String::new()
            }
        })
        .collect()
}

fn ints(batch: &RecordBatch, column: &str) -> Vec<i64> {
    let Some(array) = cast_column(batch, column, &DataType::Int64) else {
        return Vec::new();
    };
    let values = array.as_primitive::<Int64Type>();
    (0..values.len())
        .map(|i| {
            if values.is_valid(i) {
                values.value(i)
            } else {
                0
            }
        })
        .collect()
}

fn floats(batch: &RecordBatch, column: &str) -> Vec<Option<f64>> {
    let Some(array) = cast_column(batch, column, &DataType::Float64) else {
        return Vec::new();
    };
    let values = array.as_primitive::<Float64Type>();
    (0..values.len())
        .map(|i| values.is_valid(i).then(|| values.value(i)))
        .collect()
}

/// The (campaign, milestone) pairs with a summary the person can see, oldest first.
async fn written(ctx: &SessionContext) -> Vec<(String, String)> {
    let sql = "SELECT DISTINCT campaign_id, milestone_id FROM summaries ORDER BY campaign_id, milestone_id";
    let Ok(batches) = run_query(ctx, sql).await else {
        return Vec::new();
    };
    batches
        .iter()
        .flat_map(|b| {
            strings(b, "campaign_id")
                .into_iter()
                .zip(strings(b, "milestone_id"))
        })
        .collect()
}

/// The rows under the area: its districts, communes or units, then the units attached to
/// the area itself (a province's departments, a district's offices).
/// The review columns of the summary: the reviewers' backlog (latest versions nobody has
/// decided on) and the returned reports, per area. Absent from summaries written before
/// review: the dashboard shows zeros until the next rollup.
const REVIEW_COLUMNS: &str = "units_review_pending, units_review_returned";

fn area_sql(c: &Checked, with_review: bool) -> String {
    let (child_tier, parent_column) = match c.area_level {
        AdminLevel::Province => ("district", "province_code"),
        AdminLevel::District => ("commune", "district_code"),
        AdminLevel::Commune => ("unit", "commune_code"),
    };
    let own_units = match c.area_level {
        AdminLevel::Province => "tier = 'unit' AND province_code = '{a}' AND district_code IS NULL",
        AdminLevel::District => "tier = 'unit' AND district_code = '{a}' AND commune_code IS NULL",
        AdminLevel::Commune => "FALSE",
    }
    .replace("{a}", &c.area);
    let review = if with_review {
        format!(", {REVIEW_COLUMNS}")
    } else {
        String::new()
    };
    format!(
        "SELECT tier, code, name, units_expected, units_reported, units_on_time, units_late, units_missing, \
         completeness_pct, timeliness_pct, report_status{review} FROM summaries \
         WHERE campaign_id = '{}' AND milestone_id = '{}' \
         AND ((tier = '{child_tier}' AND {parent_column} = '{}') OR ({own_units}) OR code = '{}') \
         ORDER BY CASE WHEN code = '{}' THEN 0 WHEN tier = 'unit' THEN 2 ELSE 1 END, code",
        c.campaign, c.milestone, c.area, c.area, c.area
    )
}

fn late_sql(c: &Checked) -> String {
    let kind = if c.kind.is_empty() {
        String::new()
    } else {
        format!(" AND l.unit_kind = '{}'", c.kind)
    };
    format!(
        "SELECT l.unit_code, l.unit_name, l.unit_kind, l.report_status, l.district_name, l.commune_name \
         FROM late_and_missing l JOIN units u ON u.unit_code = l.unit_code \
         WHERE l.campaign_id = '{}' AND l.milestone_id = '{}' \
         AND (u.province_code = '{a}' OR u.district_code = '{a}' OR u.commune_code = '{a}' OR u.unit_code = '{a}'){kind} \
         ORDER BY l.district_code, l.commune_code, l.unit_code",
        c.campaign,
        c.milestone,
        a = c.area
    )
}

async fn area_rows(
    ctx: &SessionContext,
    c: &Checked,
) -> Result<Vec<AreaRow>, baocao_rollup::Error> {
    let with_review = ctx
        .table("summaries")
        .await?
        .schema()
        .has_column_with_unqualified_name("units_review_pending");
    let mut rows = Vec::new();
    for b in run_query(ctx, &area_sql(c, with_review)).await? {
        let (tier, code, name) = (
            strings(&b, "tier"),
            strings(&b, "code"),
            strings(&b, "name"),
        );
        let (expected, reported) = (ints(&b, "units_expected"), ints(&b, "units_reported"));
        let (on_time, late, missing) = (
            ints(&b, "units_on_time"),
            ints(&b, "units_late"),
            ints(&b, "units_missing"),
        );
        let (completeness, status) = (floats(&b, "completeness_pct"), strings(&b, "report_status"));
        let (pending, returned) = (
            ints(&b, "units_review_pending"),
            ints(&b, "units_review_returned"),
        );
        for i in 0..b.num_rows() {
            rows.push(AreaRow {
                drill: tier[i] != "unit" && code[i] != c.area,
                is_total: code[i] == c.area,
                tier: tier[i].clone(),
                code: code[i].clone(),
                name: name[i].clone(),
                expected: expected[i],
                reported: reported[i],
                on_time: on_time[i],
                late: late[i],
                missing: missing[i],
                completeness: completeness[i],
                status: pages::status_label(&status[i]),
                review_pending: pending.get(i).copied().unwrap_or(0),
                review_returned: returned.get(i).copied().unwrap_or(0),
            });
        }
    }
    Ok(rows)
}

/// How to reach the people of each unit, from their accounts (kept for a while).
async fn contacts(state: &AppState) -> Arc<Contacts> {
    let accounts = state.accounts();
    state
        .dashboards()
        .contacts(async {
            let mut contacts = Contacts::new();
            let Ok(accounts) = accounts.accounts().await else {
                return contacts;
            };
            for a in accounts.into_iter().map(|a| a.person) {
                let reach: Vec<&str> = [a.phone.as_str(), a.email.as_str()]
                    .into_iter()
                    .filter(|s| !s.is_empty())
                    .collect();
                let line = if reach.is_empty() {
                    a.full_name.clone()
                } else {
                    format!("{} ({})", a.full_name, reach.join(", "))
                };
                contacts
                    .entry(a.unit_code)
                    .and_modify(|all| {
                        all.push_str("; ");
                        all.push_str(&line);
                    })
                    .or_insert(line);
            }
            contacts
        })
        .await
}

/// The late and missing units under the area (contacts left empty).
async fn late_rows(
    registry: &Registry,
    ctx: &SessionContext,
    c: &Checked,
) -> Result<Vec<LateRow>, baocao_rollup::Error> {
    let mut rows = Vec::new();
    for b in run_query(ctx, &late_sql(c)).await? {
        let (code, name, kind) = (
            strings(&b, "unit_code"),
            strings(&b, "unit_name"),
            strings(&b, "unit_kind"),
        );
        let (status, district, commune) = (
            strings(&b, "report_status"),
            strings(&b, "district_name"),
            strings(&b, "commune_name"),
        );
        for i in 0..b.num_rows() {
            let place: Vec<&str> = [commune[i].as_str(), district[i].as_str()]
                .into_iter()
                .filter(|s| !s.is_empty())
                .collect();
            let kind_name = registry
                .kind(&kind[i])
                .map_or_else(|| kind[i].clone(), |k| k.name.clone());
            rows.push(LateRow {
                contact: String::new(),
                reminded: String::new(),
                code: code[i].clone(),
                name: name[i].clone(),
                kind: kind_name,
                status: pages::status_label(&status[i]),
                place: place.join(", "),
            });
        }
    }
    Ok(rows)
}

/// Notes on each late row the reminders sent to its unit (`baocao remind` writes them
/// beside the milestone's summaries).
async fn note_reminders(
    state: &AppState,
    registry: &Registry,
    c: &Checked,
    late: &mut [LateRow],
) -> Result<(), baocao_rollup::Error> {
    let Some(campaign) = registry.campaign(&c.campaign) else {
        return Ok(());
    };
    let Some(milestone) = campaign.milestone(&c.milestone) else {
        return Ok(());
    };
    let sent =
        baocao_rollup::report::reminders_sent(&state.sources().summaries, campaign, milestone)
            .await?;
    for row in late {
        if let Some((times, last)) = sent.get(&row.code) {
            row.reminded = format!("{times} lần, gần nhất {}", last.format("%d/%m/%Y"));
        }
    }
    Ok(())
}

/// Units reported by the end of each week (Monday to Sunday, Vietnam time) from the week
/// of the campaign's first report to the week of its last, labelled by the week's Monday.
fn weekly(firsts: &[FirstReport], campaign: &str) -> Vec<(String, i64)> {
    let monday = |seconds: i64| {
        let day = chrono::DateTime::from_timestamp(seconds, 0)
            .map(baocao_registry::vietnam_date)
            .unwrap_or_default();
        day - chrono::Days::new(u64::from(day.weekday().num_days_from_monday()))
    };
    let mut weeks: Vec<chrono::NaiveDate> = firsts
        .iter()
        .filter(|f| f.campaign == campaign)
        .map(|f| monday(f.at))
        .collect();
    weeks.sort_unstable();
    let (Some(first), Some(last)) = (weeks.first().copied(), weeks.last().copied()) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut week = first;
    while week <= last {
        let reported = weeks.partition_point(|w| *w <= week) as i64;
        out.push((week.format("%d/%m").to_string(), reported));
        week = week + chrono::Days::new(7);
    }
    out
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
            tracing::error!(%err, "portal: dashboard query failed");
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
    Broken(baocao_rollup::Error),
}

impl From<baocao_rollup::Error> for Failure {
    fn from(err: baocao_rollup::Error) -> Self {
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
) -> Result<Arc<ViewTables>, baocao_rollup::Error> {
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
        Ok(ViewTables {
            chart: bar_chart(&areas),
            late,
            areas,
            trend,
        })
    };
    state.dashboards().view(account_scope, key, make).await
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
    let contacts = contacts(state).await;
    let late = tables
        .late
        .iter()
        .map(|row| LateRow {
            contact: contacts.get(&row.code).cloned().unwrap_or_default(),
            ..row.clone()
        })
        .collect();
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
    Ok(DashboardPage {
        user: user_bar(state, session),
        chart: tables.chart.clone(),
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
        areas: tables.areas.clone(),
        late,
        chairman_report: area_within(
            &registry,
            &registry
                .campaign(&c.campaign)
                .map_or(String::new(), |k| k.province.clone()),
            &session.account.person.scope,
        ),
        kinds: scope.kinds.clone(),
        kind: c.kind.clone(),
        campaign: c.campaign.clone(),
        milestone: c.milestone.clone(),
        area: c.area.clone(),
    })
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
    headers: HeaderMap,
    axum::extract::Path(file): axum::extract::Path<String>,
    Query(view): Query<View>,
) -> Response {
    let session = match signed_in(&state, &headers).await {
        Ok(session) => session,
        Err(answer) => return answer,
    };
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
            tracing::info!(%err, "portal: no Chairman's report to download");
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
            tracing::error!(%err, "portal: dashboard query failed");
            return (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Không đọc được số liệu tổng hợp.",
            )
                .into_response();
        }
    };
    let mut out = String::from("\u{feff}");
    match table.as_str() {
        "areas.csv" => {
            out.push_str("Mã,Tên,Phải báo cáo,Đã báo cáo,Đúng hạn,Muộn,Chưa báo cáo,Tỉ lệ đã báo cáo (%),Chờ duyệt,Bị trả lại\r\n");
            for r in &page.areas {
                let pct = r.completeness.map_or(String::new(), |p| format!("{p:.1}"));
                out.push_str(&csv_line(&[
                    &r.code,
                    &r.name,
                    &r.expected.to_string(),
                    &r.reported.to_string(),
                    &r.on_time.to_string(),
                    &r.late.to_string(),
                    &r.missing.to_string(),
                    &pct,
                    &r.review_pending.to_string(),
                    &r.review_returned.to_string(),
                ]));
            }
        }
        "late.csv" => {
            out.push_str("Mã đơn vị,Tên đơn vị,Loại,Tình trạng,Địa bàn,Liên hệ,Đã đôn đốc\r\n");
            for r in &page.late {
                out.push_str(&csv_line(&[
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

fn csv_line(cells: &[&str]) -> String {
    let quoted: Vec<String> = cells
        .iter()
        .map(|c| {
            // A leading = + - @ would be a formula to Excel: prefix it.
            let c = if c.starts_with(['=', '+', '-', '@']) {
                format!("'{c}")
            } else {
                c.to_string()
            };
            format!("\"{}\"", c.replace('"', "\"\""))
        })
        .collect();
    format!("{}\r\n", quoted.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn first(campaign: &str, unit: &str, vietnam: (i32, u32, u32, u32)) -> FirstReport {
        let (y, m, d, h) = vietnam;
        let at = chrono::NaiveDate::from_ymd_opt(y, m, d)
            .and_then(|day| day.and_hms_opt(h, 0, 0))
            .map(|t| t.and_utc().timestamp() - 7 * 3600)
            .unwrap_or_default();
        FirstReport {
            campaign: campaign.into(),
            unit_code: unit.into(),
            at,
        }
    }

    #[test]
    fn the_weekly_chart_counts_units_by_their_first_report_every_week() {
        let firsts = [
            // Monday 6/3/2023, 06:00 Vietnam time (Sunday 23:00 UTC): the week of 6/3.
            first("c", "a", (2023, 3, 6, 6)),
            first("c", "b", (2023, 3, 12, 23)),
            // Nothing in the week of 13/3; two in the week of 20/3.
            first("c", "c", (2023, 3, 20, 8)),
            first("c", "d", (2023, 3, 26, 10)),
            first("other", "e", (2023, 1, 2, 8)),
        ];
        assert_eq!(
            weekly(&firsts, "c"),
            [
                ("06/03".to_string(), 2),
                ("13/03".to_string(), 2),
                ("20/03".to_string(), 4)
            ]
        );
        assert!(weekly(&firsts, "none").is_empty());
    }

    #[test]
    fn csv_cells_are_quoted_and_never_formulas() {
        assert_eq!(
            csv_line(&["Trường \"A\"", "=1+1", "-3", "14.5%"]),
            "\"Trường \"\"A\"\"\",\"'=1+1\",\"'-3\",\"14.5%\"\r\n"
        );
    }
}
