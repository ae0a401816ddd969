//! The rows a dashboard shows: the areas under the one shown with their completeness
//! and review backlog, the late and missing units with whom to call and the reminders
//! sent, and the weekly trend, each read from the scope's tables with a reader that
//! refuses a missing column.

use std::sync::Arc;

use baocao_catalog::{Columns, run_query};
use baocao_registry::{AdminLevel, Registry};
use chrono::Datelike;
use datafusion::prelude::SessionContext;

use super::Checked;
use crate::cache::{Contacts, FirstReport};
use crate::pages::{self, AreaRow, LateRow};
use crate::state::AppState;

/// The review columns of the summary: the reviewers' backlog (latest versions nobody has
/// decided on) and the returned reports, per area. Absent from summaries written before
/// review: the dashboard shows zeros until the next rollup.
const REVIEW_COLUMNS: &str = "units_review_pending, units_review_returned";

/// The rows under the area: its districts, communes or units, then the units attached to
/// the area itself (a province's departments, a district's offices).
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
        REVIEW_COLUMNS.to_string()
    } else {
        "0 AS units_review_pending, 0 AS units_review_returned".to_string()
    };
    format!(
        "SELECT tier, code, name, units_expected, units_reported, units_on_time, units_late, units_missing, \
         completeness_pct, timeliness_pct, report_status, {review} FROM summaries \
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

pub(super) async fn area_rows(
    ctx: &SessionContext,
    c: &Checked,
) -> Result<Vec<AreaRow>, baocao_catalog::Error> {
    let with_review = ctx
        .table("summaries")
        .await?
        .schema()
        .has_column_with_unqualified_name("units_review_pending");
    let mut rows = Vec::new();
    for b in run_query(ctx, &area_sql(c, with_review)).await? {
        let columns = Columns::new("summaries", &b);
        rows.extend((0..columns.rows()).map(|row| area_row(&columns, row, &c.area)));
        columns.finish()?;
    }
    Ok(rows)
}

/// Row `row` of the area table, `area` being the area shown.
fn area_row(columns: &Columns<'_>, row: usize, area: &str) -> AreaRow {
    let (tier, code) = (columns.string("tier", row), columns.string("code", row));
    let count = |name: &str| columns.int(name, row);
    AreaRow {
        drill: tier != "unit" && code != area,
        is_total: code == area,
        name: columns.string("name", row),
        expected: count("units_expected"),
        reported: count("units_reported"),
        on_time: count("units_on_time"),
        late: count("units_late"),
        missing: count("units_missing"),
        completeness: columns.float("completeness_pct", row),
        status: pages::status_label(&columns.string("report_status", row)),
        review_pending: count("units_review_pending"),
        review_returned: count("units_review_returned"),
        tier,
        code,
    }
}

/// How to reach the people of each unit, from their accounts (kept for a while).
pub(super) async fn contacts(state: &AppState) -> Arc<Contacts> {
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
pub(super) async fn late_rows(
    registry: &Registry,
    ctx: &SessionContext,
    c: &Checked,
) -> Result<Vec<LateRow>, baocao_catalog::Error> {
    let mut rows = Vec::new();
    for b in run_query(ctx, &late_sql(c)).await? {
        let columns = Columns::new("late_and_missing", &b);
        for row in 0..columns.rows() {
            let place: Vec<String> = ["commune_name", "district_name"]
                .into_iter()
                .map(|name| columns.string(name, row))
                .filter(|s| !s.is_empty())
                .collect();
            let kind = columns.string("unit_kind", row);
            rows.push(LateRow {
                contact: String::new(),
                reminded: String::new(),
                code: columns.string("unit_code", row),
                name: columns.string("unit_name", row),
                kind: registry.kind(&kind).map_or(kind, |k| k.name.clone()),
                status: pages::status_label(&columns.string("report_status", row)),
                place: place.join(", "),
            });
        }
        columns.finish()?;
    }
    Ok(rows)
}

/// Notes on each late row the reminders sent to its unit (`baocao remind` writes them
/// beside the milestone's summaries).
pub(super) async fn note_reminders(
    state: &AppState,
    registry: &Registry,
    c: &Checked,
    late: &mut [LateRow],
) -> Result<(), baocao_catalog::Error> {
    let Some(campaign) = registry.campaign(&c.campaign) else {
        return Ok(());
    };
    let Some(milestone) = campaign.milestone(&c.milestone) else {
        return Ok(());
    };
    let sent =
        baocao_catalog::outputs::reminders_sent(&state.sources().summaries, campaign, milestone)
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
pub(super) fn weekly(firsts: &[FirstReport], campaign: &str) -> Vec<(String, i64)> {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn first(campaign: &str, unit: &str, vietnam: (i32, u32, u32, u32)) -> FirstReport {
        let (y, m, d, h) = vietnam;
        let at = chrono::NaiveDate::from_ymd_opt(y, m, d)
            .and_then(|day| day.and_hms_opt(h, 0, 0))
            .map(|t| {
                t.and_utc().timestamp() - i64::from(baocao_registry::VIETNAM_UTC_OFFSET_SECONDS)
            })
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
}
