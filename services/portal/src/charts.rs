//! The dashboard's two charts, drawn by the server as SVG (no script, no chart library):
//! the share of units reported per area, and units reported week by week.

use std::fmt::Write as _;

use crate::pages::{self, AreaRow};

/// At most this many bars in the areas' chart.
pub const MAX_BARS: usize = 30;

/// A horizontal bar per area: reported (on time darker), of expected; and the chart's
/// caption.
///
/// A province of the 2025 map has 166 communes: past [`MAX_BARS`] areas the chart shows
/// the lowest rates (the table below has every area) and its caption says so.
pub fn bar_chart(rows: &[AreaRow]) -> (String, String) {
    let mut bars: Vec<&AreaRow> = rows
        .iter()
        .filter(|r| !r.is_total && r.tier != "unit")
        .collect();
    if bars.is_empty() {
        return (String::new(), String::new());
    }
    let caption = if bars.len() > MAX_BARS {
        let all = bars.len();
        bars.sort_by(|a, b| {
            let rate = |r: &AreaRow| r.completeness.unwrap_or(0.0);
            rate(a)
                .total_cmp(&rate(b))
                .then_with(|| a.name.cmp(&b.name))
        });
        bars.truncate(MAX_BARS);
        format!(
            "Tỉ lệ đơn vị đã báo cáo: {MAX_BARS} địa bàn thấp nhất trong {all} (đậm: đúng hạn; đủ cả trong bảng dưới)"
        )
    } else {
        "Tỉ lệ đơn vị đã báo cáo (đậm: đúng hạn)".to_string()
    };
    let (label_w, bar_w, row_h) = (150.0, 190.0, 22.0);
    let height = row_h * bars.len() as f64 + 8.0;
    let mut svg = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {height}" role="img" aria-label="Tỉ lệ đơn vị đã báo cáo theo địa bàn" class="chart">"#,
        w = label_w + bar_w + 50.0
    );
    for (i, r) in bars.iter().enumerate() {
        let y = row_h * i as f64 + 4.0;
        let share = |n: i64| {
            if r.expected > 0 {
                n as f64 / r.expected as f64
            } else {
                0.0
            }
        };
        let name = pages::escape(&r.name);
        let _ = write!(
            svg,
            r##"<text x="{tx}" y="{ty}" text-anchor="end" font-size="11">{name}</text><rect x="{label_w}" y="{y}" width="{bar_w}" height="14" fill="#e3e8ee"/><rect x="{label_w}" y="{y}" width="{rw:.1}" height="14" fill="#8fb3d9"/><rect x="{label_w}" y="{y}" width="{ow:.1}" height="14" fill="#0b4f8a"/><text x="{px}" y="{ty}" font-size="11">{pct:.0}%</text>"##,
            tx = label_w - 4.0,
            ty = y + 11.0,
            rw = bar_w * share(r.reported),
            ow = bar_w * share(r.on_time),
            px = label_w + bar_w + 4.0,
            pct = share(r.reported) * 100.0,
        );
    }
    svg.push_str("</svg>");
    (svg, caption)
}

/// Columns of units reported per week, against the units expected (a dashed line).
pub fn weekly_chart(weeks: &[(String, i64)], expected: i64) -> String {
    if weeks.is_empty() {
        return String::new();
    }
    let top = weeks
        .iter()
        .map(|(_, n)| *n)
        .max()
        .unwrap_or(0)
        .max(expected)
        .max(1) as f64;
    let (left, width, height, bottom) = (30.0, 320.0, 120.0, 30.0);
    let step = width / weeks.len() as f64;
    let y = |n: f64| height - n / top * height + 8.0;
    let mut svg = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" role="img" aria-label="Số đơn vị đã báo cáo theo tuần" class="chart">"#,
        w = left + width + 10.0,
        h = height + bottom + 8.0
    );
    for (i, (week, n)) in weeks.iter().enumerate() {
        let x = left + step * i as f64;
        let _ = write!(
            svg,
            r##"<rect x="{x:.1}" y="{top_y:.1}" width="{bw:.1}" height="{bh:.1}" fill="#0b4f8a"><title>{week}: {n}</title></rect>"##,
            top_y = y(*n as f64),
            bw = (step * 0.7).max(1.0),
            bh = height + 8.0 - y(*n as f64),
        );
        if weeks.len() <= 12 || i % (weeks.len() / 6).max(1) == 0 {
            let _ = write!(
                svg,
                r#"<text x="{x:.1}" y="{ty}" font-size="9">{week}</text>"#,
                ty = height + 22.0
            );
        }
    }
    let _ = write!(
        svg,
        r##"<line x1="{left}" x2="{x2}" y1="{ey:.1}" y2="{ey:.1}" stroke="#b3261e" stroke-dasharray="4 3"/><text x="0" y="{ty:.1}" font-size="9">{expected}</text></svg>"##,
        x2 = left + width,
        ey = y(expected as f64),
        ty = y(expected as f64) + 3.0,
    );
    svg
}
