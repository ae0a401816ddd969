//! Year over year: the earlier campaign a report compares with (the campaign's
//! `compare_with`), counted on the report's own map, and the sentences that compare the
//! two (units reporting; systems and the milestone's measure, with the change in
//! percentage points).

use baocao_catalog::RollupOutput;
use baocao_registry::{Campaign, Milestone, MilestoneMeasure, vn_date, vn_number, vn_percent};
use chrono::{Datelike, NaiveDate};

use crate::Result;
use crate::document::lower_first;
use crate::model::{Figures, ReportData, summary_figures};

/// The earlier campaign's figures at its own milestone of the same measure, on the map of
/// the report that compares with it.
#[derive(Clone, Debug)]
pub struct EarlierCampaign {
    /// Its title.
    pub campaign_name: String,
    /// The milestone compared with (same measure as the report's).
    pub milestone_name: String,
    /// Last day its figures count (its report deadline: what was reported then).
    pub cut_off: NaiveDate,
    /// Whether it ran on another register and was re-rolled up on the report's map.
    pub remapped: bool,
    /// The province's (or nation's) figures.
    pub province: Figures,
    /// The provincial units' figures.
    pub provincial_units: Figures,
    /// Its areas on the report's map (the same codes as the report's areas).
    pub areas: Vec<Figures>,
}

impl EarlierCampaign {
    /// The year its figures are of, as people say it ("năm 2023").
    pub fn year(&self) -> i32 {
        self.cut_off.year()
    }
}

impl ReportData {
    /// Compares with `campaign`'s `milestone`, rolled up on this report's map into
    /// `output`; `remapped` says it ran on another register. Fails when a column it reads
    /// is missing.
    pub fn compare_with(
        &mut self,
        campaign: &Campaign,
        milestone: &Milestone,
        output: &RollupOutput,
        remapped: bool,
    ) -> Result<()> {
        let figures = summary_figures(output, self.national)?;
        self.earlier = Some(EarlierCampaign {
            campaign_name: campaign.name.clone(),
            milestone_name: milestone.name.clone(),
            cut_off: output.lineage.cut_off_date,
            remapped,
            province: figures.province,
            provincial_units: figures.provincial_units,
            areas: figures.areas,
        });
        Ok(())
    }

    /// The earlier campaign's figures of the area `code` (on this report's map).
    pub(crate) fn earlier_area(&self, code: &str) -> Option<&Figures> {
        self.earlier
            .as_ref()?
            .areas
            .iter()
            .find(|area| area.code == code)
    }
}

/// `part` of `whole` in percent (`None` when `whole` is 0).
pub(crate) fn share(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| 100.0 * part as f64 / whole as f64)
}

/// The change from `then` to `now` in percentage points, in words.
pub(crate) fn change_in_points(now: Option<f64>, then: Option<f64>) -> String {
    let (Some(now), Some(then)) = (now, then) else {
        return "không so sánh được".to_string();
    };
    let points = now - then;
    let amount = format!("{:.1}", points.abs()).replace('.', ",");
    if amount == "0,0" {
        "không đổi".to_string()
    } else if points > 0.0 {
        format!("tăng {amount} điểm phần trăm")
    } else {
        format!("giảm {amount} điểm phần trăm")
    }
}

/// "đợt <milestone> của <campaign> (số liệu đến hết ngày …[, tính lại theo …])".
fn earlier_named(earlier: &EarlierCampaign) -> String {
    format!(
        "{} năm {} ({}, số liệu đến hết ngày {}{})",
        lower_first(&earlier.milestone_name),
        earlier.year(),
        earlier.campaign_name,
        vn_date(earlier.cut_off),
        if earlier.remapped {
            ", tính lại theo địa giới hành chính hiện nay"
        } else {
            ""
        }
    )
}

/// Section I.1's comparison: the share of units that reported, now and then.
pub(crate) fn units_comparison(data: &ReportData) -> Option<String> {
    let earlier = data.earlier.as_ref()?;
    let (now, then) = (&data.province, &earlier.province);
    Some(format!(
        "So với {}: đã báo cáo {} ({}) so với {} ({}), {}",
        earlier_named(earlier),
        vn_number(now.units_reported),
        vn_percent(now.units_reported, now.units_expected),
        vn_number(then.units_reported),
        vn_percent(then.units_reported, then.units_expected),
        change_in_points(
            share(now.units_reported, now.units_expected),
            share(then.units_reported, then.units_expected)
        )
    ))
}

/// Section I.2's comparison: systems, and the milestone's measure (levels approved or
/// plans implemented) as a share of systems, now and then.
pub(crate) fn systems_comparison(data: &ReportData) -> Option<String> {
    let earlier = data.earlier.as_ref()?;
    let (now, then) = (&data.province, &earlier.province);
    let (what, measured): (&str, fn(&Figures) -> i64) = match data.measure {
        MilestoneMeasure::LevelsApproved => ("đã được phê duyệt cấp độ", |f| {
            f.dossiers_approved
        }),
        MilestoneMeasure::PlansImplemented => (
            "đã triển khai đầy đủ phương án bảo đảm an toàn theo cấp độ",
            |f| f.plans_implemented,
        ),
    };
    Some(format!(
        "So với năm {}: hệ thống thông tin có sử dụng camera giám sát {} (năm {}: {}); hệ thống {what} {} ({}) so với {} ({}), {}",
        earlier.year(),
        vn_number(now.systems),
        earlier.year(),
        vn_number(then.systems),
        vn_number(measured(now)),
        vn_percent(measured(now), now.systems),
        vn_number(measured(then)),
        vn_percent(measured(then), then.systems),
        change_in_points(
            share(measured(now), now.systems),
            share(measured(then), then.systems)
        )
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_are_said_in_percentage_points() {
        assert_eq!(
            change_in_points(Some(75.0), Some(62.5)),
            "tăng 12,5 điểm phần trăm"
        );
        assert_eq!(
            change_in_points(Some(50.0), Some(52.04)),
            "giảm 2,0 điểm phần trăm"
        );
        assert_eq!(change_in_points(Some(50.0), Some(50.01)), "không đổi");
        assert_eq!(change_in_points(None, Some(50.0)), "không so sánh được");
    }
}
