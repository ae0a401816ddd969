//! The rows a dashboard shows: the areas under the one shown with their completeness
//! and review backlog, the late and missing units with whom to call and the reminders
//! sent, and the weekly trend, each read from the scope's tables with a reader that
//! refuses a missing column.

use std::sync::Arc;

use baocao_catalog::{Columns, run_query};
use baocao_registry::Registry;
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

/// The code of a summary row's parent: a district's province, a commune's district (its
/// province where the register has no districts), a unit's commune, district or
/// province. One expression for every register, whatever its tiers.
const PARENT_CODE: &str = "CASE tier WHEN 'district' THEN province_code \
     WHEN 'commune' THEN COALESCE(district_code, province_code) \
     WHEN 'unit' THEN COALESCE(commune_code, district_code, province_code) END";

/// The rows of the area shown: its own total first, then the areas directly under it
/// (districts, or communes where the register has no districts), then the units attached
/// to the area itself (a province's departments, a district's offices, a commune's
/// schools). A unit whose code equals an area's (a People's Committee) is never taken
/// for the area: the total is the row of an area tier.
fn area_sql(c: &Checked, with_review: bool) -> String {
    let review = if with_review {
        REVIEW_COLUMNS.to_string()
    } else {
        "0 AS units_review_pending, 0 AS units_review_returned".to_string()
    };
    format!(
        "SELECT tier, code, name, units_expected, units_reported, units_on_time, units_late, units_missing, \
         units_not_updated, completeness_pct, timeliness_pct, report_status, {review} FROM {table} \
         WHERE campaign_id = '{campaign}' AND milestone_id = '{milestone}' \
         AND ((tier <> 'unit' AND code = '{a}') OR ({PARENT_CODE}) = '{a}') \
         ORDER BY CASE WHEN tier <> 'unit' AND code = '{a}' THEN 0 WHEN tier = 'unit' THEN 2 ELSE 1 END, code",
        table = c.summaries,
        campaign = c.campaign,
        milestone = c.milestone,
        a = c.area
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
        .table(c.summaries)
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
    let is_total = tier != "unit" && code == area;
    AreaRow {
        drill: tier != "unit" && !is_total,
        is_total,
        name: columns.string("name", row),
        expected: count("units_expected"),
        reported: count("units_reported"),
        on_time: count("units_on_time"),
        late: count("units_late"),
        missing: count("units_missing"),
        not_updated: count("units_not_updated"),
        completeness: columns.float("completeness_pct", row),
        status: pages::status_label(&columns.string("report_status", row)),
        review_pending: count("units_review_pending"),
        review_returned: count("units_review_returned"),
        tier,
        code,
    }
}

/// "Name (phone, e-mail)", or the name alone.
fn reach_line(name: &str, phone: &str, email: &str) -> String {
    let reach: Vec<&str> = [phone, email]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect();
    if reach.is_empty() {
        name.to_string()
    } else {
        format!("{name} ({})", reach.join(", "))
    }
}

/// How to reach the people of each unit: the contact the units file names (as the
/// Chairman's report lists it), then the people with an account (kept for a while).
pub(super) async fn contacts(state: &AppState) -> Arc<Contacts> {
    let accounts = state.accounts();
    let registry = state.core().registry();
    state
        .dashboards()
        .contacts(async {
            let mut contacts = Contacts::new();
            for unit in registry.units().filter(|u| !u.contact.is_empty()) {
                let c = &unit.contact;
                let name = [c.person.as_str(), c.position.as_str()]
                    .into_iter()
                    .filter(|s| !s.is_empty())
                    .collect::<Vec<_>>()
                    .join(", ");
                contacts.insert(unit.code.clone(), reach_line(&name, &c.phone, &c.email));
            }
            let Ok(accounts) = accounts.accounts().await else {
                return contacts;
            };
            for a in accounts.into_iter().map(|a| a.person) {
                let line = reach_line(&a.full_name, &a.phone, &a.email);
                let all = contacts.entry(a.unit_code).or_default();
                if !all.contains(&line) {
                    if !all.is_empty() {
                        all.push_str("; ");
                    }
                    all.push_str(&line);
                }
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
