//! The report's charts as SVG: one drawing, placed as vectors in the PDF, as a picture in
//! the DOCX and inline in the HTML, so every format shows the same chart. Horizontal bars
//! (names of Vietnamese areas are long), values written at the end of each bar, and an
//! optional reference line (the province's rate).

use std::fmt::Write;

use baocao_registry::vn_number;

use chrono::Datelike;

use crate::compare::share;
use crate::model::{Figures, ReportData};
use crate::text::html_escape;

/// Width of every chart in SVG units (points in the PDF).
pub(crate) const CHART_WIDTH: f32 = 440.0;
/// At most this many bars: a commune-tier register lists hundreds of communes, so the
/// chart shows the lowest rates and says so.
const MAX_BARS: usize = 30;
const ROW: f32 = 15.0;
const LABEL_WIDTH: f32 = 150.0;
const TOP: f32 = 26.0;

/// A horizontal bar chart.
#[derive(Clone, Debug)]
pub(crate) struct BarChart {
    /// Title above the bars.
    pub title: String,
    /// (label, value, value as written).
    pub bars: Vec<(String, f64, String)>,
    /// The value of a full-width bar.
    pub max: f64,
    /// A vertical reference line: (value, label).
    pub reference: Option<(f64, String)>,
    /// The same bars a year before, drawn under each bar in grey.
    pub earlier: Option<EarlierBars>,
}

/// A second series under the bars: the earlier campaign's values of the same rows.
#[derive(Clone, Debug)]
pub(crate) struct EarlierBars {
    /// Legend of the bars (this report's year) and of the earlier ones.
    pub legend: (String, String),
    /// (value, value as written) per bar; `None` where the earlier campaign had no
    /// figure (the area did not exist or expected no unit).
    pub values: Vec<Option<(f64, String)>>,
}

/// Height of a row with an earlier bar under the bar.
const PAIRED_ROW: f32 = 26.0;
const LEGEND: f32 = 14.0;
const EARLIER_FILL: &str = "#a9a9a9";

impl BarChart {
    /// Height of a row: one bar, or a bar and the earlier one under it.
    fn row(&self) -> f32 {
        if self.earlier.is_some() {
            PAIRED_ROW
        } else {
            ROW
        }
    }

    /// Where the bars start: under the title, and the legend when there are two series.
    fn top(&self) -> f32 {
        TOP + if self.earlier.is_some() { LEGEND } else { 0.0 }
    }

    /// Height of the drawing in SVG units.
    pub(crate) fn height(&self) -> f32 {
        self.top()
            + self.row() * self.bars.len() as f32
            + if self.reference.is_some() { 18.0 } else { 6.0 }
    }

    /// The chart as a standalone SVG document.
    pub(crate) fn svg(&self) -> String {
        let height = self.height();
        let mut svg = format!(
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="{CHART_WIDTH}" height="{height}" viewBox="0 0 {CHART_WIDTH} {height}" font-family="Liberation Serif" font-size="10"><rect width="100%" height="100%" fill="white"/><text x="{}" y="14" text-anchor="middle" font-weight="bold" font-size="11">{}</text>"#,
            CHART_WIDTH / 2.0,
            html_escape(&self.title)
        );
        if let Some(earlier) = &self.earlier {
            legend(&mut svg, earlier);
        }
        // The reference line first, so the bars' values are written over it (on a halo).
        if let Some((value, label)) = &self.reference {
            let x = self.x_of(*value);
            let bottom = self.top() + self.row() * self.bars.len() as f32;
            let _ = write!(
                svg,
                r##"<line x1="{x}" y1="{}" x2="{x}" y2="{bottom}" stroke="#b22222" stroke-width="1" stroke-dasharray="3 2"/><text x="{x}" y="{}" text-anchor="middle" fill="#b22222" font-size="9">{}</text>"##,
                self.top() - 2.0,
                bottom + 12.0,
                html_escape(label)
            );
        }
        for (i, (label, value, shown)) in self.bars.iter().enumerate() {
            let y = self.top() + self.row() * i as f32;
            let _ = write!(
                svg,
                r##"<text x="{}" y="{}" text-anchor="end">{}</text>"##,
                LABEL_WIDTH - 4.0,
                y + 10.5,
                html_escape(&shorten(label, 34)),
            );
            self.bar(&mut svg, y + 2.0, (*value, shown), "#3a6ea5");
            let earlier = self.earlier.as_ref().and_then(|e| e.values.get(i)).cloned();
            if let Some(Some((value, shown))) = earlier {
                self.bar(&mut svg, y + ROW - 2.0, (value, &shown), EARLIER_FILL);
            }
        }
        svg.push_str("</svg>");
        svg
    }

    /// The x of `value` on the plot.
    fn x_of(&self, value: f64) -> f32 {
        let plot = CHART_WIDTH - LABEL_WIDTH - 50.0;
        LABEL_WIDTH + plot * (value / self.max.max(1e-9)).clamp(0.0, 1.0) as f32
    }

    /// One bar from `top`, `ROW - 4` high, and its value written after it on a white
    /// halo (so the reference line passes behind the value instead of striking it).
    fn bar(&self, svg: &mut String, top: f32, (value, shown): (f64, &str), fill: &str) {
        let width = self.x_of(value) - LABEL_WIDTH;
        // A zero bar is no rectangle at all (SVG forbids a zero width; renderers warn).
        if width > 0.0 {
            let _ = write!(
                svg,
                r##"<rect x="{LABEL_WIDTH}" y="{top}" width="{width}" height="{}" fill="{fill}"/>"##,
                ROW - 4.0,
            );
        }
        let _ = write!(
            svg,
            r##"<text x="{}" y="{}" stroke="white" stroke-width="3" stroke-linejoin="round" paint-order="stroke">{}</text>"##,
            self.x_of(value) + 3.0,
            top + 8.5,
            html_escape(shown)
        );
    }
}

/// The two series' legend under the title: a square of each colour and its year.
fn legend(svg: &mut String, earlier: &EarlierBars) {
    let y = TOP + 8.0;
    for (i, (name, fill)) in [
        (&earlier.legend.0, "#3a6ea5"),
        (&earlier.legend.1, EARLIER_FILL),
    ]
    .into_iter()
    .enumerate()
    {
        let x = LABEL_WIDTH + 110.0 * i as f32;
        let _ = write!(
            svg,
            r##"<rect x="{x}" y="{}" width="9" height="9" fill="{fill}"/><text x="{}" y="{y}">{}</text>"##,
            y - 8.0,
            x + 13.0,
            html_escape(name)
        );
    }
}

/// `text` cut to `max` characters with an ellipsis.
fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let kept: String = text.chars().take(max - 1).collect();
    format!("{kept}…")
}

/// Percentage with a decimal comma (`61,9%`).
fn percent(value: f64) -> String {
    format!("{value:.1}%").replace('.', ",")
}

/// Units that reported, as a share of units expected, per area (the lowest
/// [`MAX_BARS`] when there are more), against the province's rate; with the earlier
/// campaign's rate of each area under its bar when the report compares with one.
pub(crate) fn completeness_chart(data: &ReportData) -> BarChart {
    let rate = |f: &Figures| share(f.units_reported, f.units_expected).unwrap_or(0.0);
    let mut areas: Vec<(&Figures, f64)> = data
        .areas
        .iter()
        .filter(|a| a.units_expected > 0)
        .map(|a| (a, rate(a)))
        .collect();
    let mut title = format!(
        "Tỷ lệ đơn vị đã báo cáo theo đơn vị hành chính {}",
        data.area_tier.level_name()
    );
    if areas.len() > MAX_BARS {
        areas.sort_by(|a, b| a.1.total_cmp(&b.1));
        areas.truncate(MAX_BARS);
        title = format!("{title} ({MAX_BARS} đơn vị thấp nhất)");
    }
    let earlier = data.earlier.as_ref().map(|earlier| EarlierBars {
        legend: (
            format!("Năm {}", data.lineage.cut_off_date.year()),
            format!("Năm {}", earlier.year()),
        ),
        values: areas
            .iter()
            .map(|(area, _)| {
                let then = data.earlier_area(&area.code)?;
                let value = share(then.units_reported, then.units_expected)?;
                Some((value, percent(value)))
            })
            .collect(),
    });
    let province = rate(&data.province);
    BarChart {
        title,
        bars: areas
            .into_iter()
            .map(|(area, value)| (area.name.clone(), value, percent(value)))
            .collect(),
        max: 100.0,
        reference: Some((
            province,
            format!("{} {}", data.province.name, percent(province)),
        )),
        earlier,
    }
}

/// Systems by approved level, and those whose level is not approved yet.
pub(crate) fn levels_chart(data: &ReportData) -> BarChart {
    let p = &data.province;
    let mut bars: Vec<(String, f64, String)> = p
        .approved_levels
        .iter()
        .enumerate()
        .map(|(i, n)| (format!("Cấp độ {}", i + 1), *n as f64, vn_number(*n)))
        .collect();
    let unapproved = p.systems - p.dossiers_approved;
    bars.push((
        "Chưa được phê duyệt".to_string(),
        unapproved as f64,
        vn_number(unapproved),
    ));
    let max = bars.iter().map(|b| b.1).fold(1.0, f64::max);
    BarChart {
        title: "Hệ thống camera theo cấp độ được phê duyệt".to_string(),
        bars,
        max,
        reference: None,
        earlier: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The province's average line is drawn first and every value is written over it on
    /// a white halo, so a value next to the line stays readable (it used to be struck
    /// through in the PDF and the DOCX).
    #[test]
    fn values_are_written_over_the_average_line_on_a_halo() {
        let chart = BarChart {
            title: "Tỷ lệ".into(),
            bars: vec![
                ("Phường A".into(), 48.0, "48,0%".into()),
                ("Phường B".into(), 50.0, "50,0%".into()),
            ],
            max: 100.0,
            reference: Some((50.0, "Toàn tỉnh 49,0%".into())),
            earlier: None,
        };
        let svg = chart.svg();
        let line = svg.find("<line").unwrap_or(usize::MAX);
        for value in ["48,0%", "50,0%"] {
            let at = svg.find(&format!(">{value}</text>")).unwrap_or(0);
            assert!(at > line, "{value} is written after the line: {svg}");
            let tag = &svg[svg[..at].rfind("<text").unwrap_or(0)..at];
            assert!(
                tag.contains(r#"stroke="white""#) && tag.contains(r#"paint-order="stroke""#),
                "{tag}"
            );
        }
    }
}
