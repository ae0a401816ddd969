//! The report's charts as SVG: one drawing, placed as vectors in the PDF, as a picture in
//! the DOCX and inline in the HTML, so every format shows the same chart. Horizontal bars
//! (names of Vietnamese areas are long), values written at the end of each bar, and an
//! optional reference line (the province's rate).

use std::fmt::Write;

use baocao_registry::vn_number;

use crate::model::ReportData;
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
}

impl BarChart {
    /// Height of the drawing in SVG units.
    pub(crate) fn height(&self) -> f32 {
        TOP + ROW * self.bars.len() as f32 + if self.reference.is_some() { 18.0 } else { 6.0 }
    }

    /// The chart as a standalone SVG document.
    pub(crate) fn svg(&self) -> String {
        let height = self.height();
        let plot = CHART_WIDTH - LABEL_WIDTH - 50.0;
        let x_of =
            |value: f64| LABEL_WIDTH + plot * (value / self.max.max(1e-9)).clamp(0.0, 1.0) as f32;
        let mut svg = format!(
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="{CHART_WIDTH}" height="{height}" viewBox="0 0 {CHART_WIDTH} {height}" font-family="Liberation Serif" font-size="10"><rect width="100%" height="100%" fill="white"/><text x="{}" y="14" text-anchor="middle" font-weight="bold" font-size="11">{}</text>"#,
            CHART_WIDTH / 2.0,
            html_escape(&self.title)
        );
        // The reference line first, so the bars' values are written over it (on a halo).
        if let Some((value, label)) = &self.reference {
            let x = x_of(*value);
            let bottom = TOP + ROW * self.bars.len() as f32;
            let _ = write!(
                svg,
                r##"<line x1="{x}" y1="{}" x2="{x}" y2="{bottom}" stroke="#b22222" stroke-width="1" stroke-dasharray="3 2"/><text x="{x}" y="{}" text-anchor="middle" fill="#b22222" font-size="9">{}</text>"##,
                TOP - 2.0,
                bottom + 12.0,
                html_escape(label)
            );
        }
        for (i, (label, value, shown)) in self.bars.iter().enumerate() {
            let y = TOP + ROW * i as f32;
            let width = x_of(*value) - LABEL_WIDTH;
            let _ = write!(
                svg,
                r##"<text x="{}" y="{}" text-anchor="end">{}</text>"##,
                LABEL_WIDTH - 4.0,
                y + 10.5,
                html_escape(&shorten(label, 34)),
            );
            // A zero bar is no rectangle at all (SVG forbids a zero width; renderers warn).
            if width > 0.0 {
                let _ = write!(
                    svg,
                    r##"<rect x="{LABEL_WIDTH}" y="{}" width="{width}" height="{}" fill="#3a6ea5"/>"##,
                    y + 2.0,
                    ROW - 4.0,
                );
            }
            // A white halo under the value, so the reference line passes behind it
            // instead of striking it through.
            let _ = write!(
                svg,
                r##"<text x="{}" y="{}" stroke="white" stroke-width="3" stroke-linejoin="round" paint-order="stroke">{}</text>"##,
                x_of(*value) + 3.0,
                y + 10.5,
                html_escape(shown)
            );
        }
        svg.push_str("</svg>");
        svg
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
/// [`MAX_BARS`] when there are more), against the province's rate.
pub(crate) fn completeness_chart(data: &ReportData) -> BarChart {
    let rate = |reported: i64, expected: i64| {
        if expected == 0 {
            0.0
        } else {
            100.0 * reported as f64 / expected as f64
        }
    };
    let mut areas: Vec<(String, f64)> = data
        .areas
        .iter()
        .filter(|a| a.units_expected > 0)
        .map(|a| (a.name.clone(), rate(a.units_reported, a.units_expected)))
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
    let province = &data.province;
    BarChart {
        title,
        bars: areas
            .into_iter()
            .map(|(name, value)| (name, value, percent(value)))
            .collect(),
        max: 100.0,
        reference: Some((
            rate(province.units_reported, province.units_expected),
            format!(
                "{} {}",
                province.name,
                percent(rate(province.units_reported, province.units_expected))
            ),
        )),
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
