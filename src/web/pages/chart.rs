//! Inline SVG: a sparkline of recent periods per league row, and a unit's period-by-period chart against
//! target. Rates are plotted on a fixed 0–100 % scale so that rows compare at a glance; a period
//! without dossiers is a gap in the line, never a zero.

use crate::domain::{Figures, Period, Ratio};
use crate::report::history::PeriodPoint;
use crate::web::format::percent;
use maud::{html, Markup, PreEscaped};
use std::fmt::Write;

const SPARK_W: f64 = 96.0;
const SPARK_H: f64 = 26.0;

/// `M x,y L x,y …` for runs of present points, a new run after each gap; lone points as dots.
fn path_and_dots(points: &[Option<(f64, f64)>]) -> (String, Vec<(f64, f64)>) {
    let mut d = String::new();
    let mut dots = Vec::new();
    for (i, p) in points.iter().enumerate() {
        let Some((x, y)) = p else { continue };
        let before = i > 0 && points[i - 1].is_some();
        let after = points.get(i + 1).is_some_and(Option::is_some);
        if !before {
            let _ = write!(d, "M{x:.1} {y:.1}");
            if !after {
                dots.push((*x, *y));
            }
        } else {
            let _ = write!(d, "L{x:.1} {y:.1}");
        }
    }
    (d, dots)
}

/// The sparkline of one league row: the rate of each period (`history` aligned with `periods`), the
/// current target as a dashed line, the last period as a dot. Its title (the accessible name, and a
/// tooltip) lists every period. Written straight into a string (thousands of rows on a national page);
/// every piece of text in it is a month or a formatted number, nothing to escape. Colours and strokes
/// come from the stylesheet (`svg.spark`).
pub fn sparkline(history: &[Figures], periods: &[Period], target: Option<Ratio>) -> Markup {
    let n = history.len().max(2) as f64;
    let x = |i: usize| 2.0 + i as f64 * (SPARK_W - 4.0) / (n - 1.0);
    let y = |r: f64| 2.0 + (1.0 - r.clamp(0.0, 1.0)) * (SPARK_H - 4.0);
    let points: Vec<Option<(f64, f64)>> = history.iter().enumerate().map(|(i, f)| f.rate().map(|r| (x(i), y(r)))).collect();
    let (d, dots) = path_and_dots(&points);
    let mut out = String::with_capacity(700);
    let _ = write!(out, r#"<svg class="spark" width="{SPARK_W}" height="{SPARK_H}" viewBox="0 0 {SPARK_W} {SPARK_H}" role="img"><title>Tỷ lệ {} {} — "#, periods.len(), periods.first().map_or("", |p| p.kind().unit_vi()));
    for (i, (f, p)) in history.iter().zip(periods).enumerate() {
        let sep = if i > 0 { "; " } else { "" };
        let _ = write!(out, "{sep}{}: ", p.short_label());
        match f.rate() {
            Some(r) => out.push_str(&percent(Some(r))),
            None => out.push_str("không có hồ sơ"),
        }
    }
    let _ = write!(out, r#"</title><rect width="{SPARK_W}" height="{SPARK_H}"/>"#);
    if let Some(t) = target {
        let ty = y(t.as_f64());
        let _ = write!(out, r#"<line class="target" x1="0" x2="{SPARK_W}" y1="{ty:.1}" y2="{ty:.1}"/>"#);
    }
    if !d.is_empty() {
        let _ = write!(out, r#"<path d="{d}"/>"#);
    }
    for (cx, cy) in &dots {
        let _ = write!(out, r#"<circle cx="{cx:.1}" cy="{cy:.1}" r="1.6"/>"#);
    }
    if let Some((cx, cy)) = points.last().copied().flatten() {
        let _ = write!(out, r#"<circle cx="{cx:.1}" cy="{cy:.1}" r="2.6"/>"#);
    }
    out.push_str("</svg>");
    PreEscaped(out)
}

/// A unit's indicator over the periods of `points`: the rate as a line with its points, the target of
/// each period as a dashed step line, 0–100 % grid lines and period labels. The table beside it carries
/// the same figures with each period's status in words.
pub fn period_chart(title: &str, points: &[PeriodPoint]) -> Markup {
    const W: f64 = 640.0;
    const H: f64 = 220.0;
    const LEFT: f64 = 50.0;
    const RIGHT: f64 = 10.0;
    const TOP: f64 = 10.0;
    const BOTTOM: f64 = 30.0;
    let n = points.len().max(2) as f64;
    let x = |i: usize| LEFT + (i as f64 + 0.5) * (W - LEFT - RIGHT) / n;
    let y = |r: f64| TOP + (1.0 - r.clamp(0.0, 1.0)) * (H - TOP - BOTTOM);
    let rate_points: Vec<Option<(f64, f64)>> = points.iter().enumerate().map(|(i, p)| p.judged.rate.map(|r| (x(i), y(r)))).collect();
    let (d, _) = path_and_dots(&rate_points);
    let step = (W - LEFT - RIGHT) / n;
    let mut target_path = String::new();
    let mut previous: Option<f64> = None;
    for (i, p) in points.iter().enumerate() {
        match p.judged.target {
            Some(t) => {
                let ty = y(t.as_f64());
                let x0 = x(i) - step / 2.0;
                if previous.is_some() {
                    let _ = write!(target_path, "L{x0:.1} {ty:.1}");
                } else {
                    let _ = write!(target_path, "M{x0:.1} {ty:.1}");
                }
                let _ = write!(target_path, "L{:.1} {ty:.1}", x0 + step);
                previous = Some(ty);
            }
            None => previous = None,
        }
    }
    let summary = points
        .iter()
        .map(|p| {
            format!(
                "{}: {}{}",
                p.period.short_label(),
                p.judged.rate.map_or("không có hồ sơ".to_string(), |r| percent(Some(r))),
                p.judged.target.map_or(String::new(), |t| format!(" (chỉ tiêu {})", percent(Some(t.as_f64()))))
            )
        })
        .collect::<Vec<_>>()
        .join("; ");
    html! {
        svg.chart viewBox={ "0 0 " (W) " " (H) } role="img" {
            title { (title) " — " (summary) }
            @for g in [0.0, 0.25, 0.5, 0.75, 1.0] {
                line x1=(LEFT) x2=(W - RIGHT) y1=(format!("{:.1}", y(g))) y2=(format!("{:.1}", y(g))) stroke="#d7dce2" stroke-width="1" {}
                text x=(LEFT - 6.0) y=(format!("{:.1}", y(g) + 4.0)) text-anchor="end" font-size="13" fill="#525a65" { (format!("{:.0} %", g * 100.0)) }
            }
            @for (i, p) in points.iter().enumerate() {
                text x=(format!("{:.1}", x(i))) y=(H - 10.0) text-anchor="middle" font-size="13" fill="#525a65" {
                    (p.period.axis_label())
                }
            }
            @if !target_path.is_empty() {
                path d=(target_path) fill="none" stroke="#8a4b00" stroke-width="2" stroke-dasharray="6 4" {}
            }
            @if !d.is_empty() {
                path d=(d) fill="none" stroke="#0b4f8a" stroke-width="2.5" stroke-linejoin="round" {}
            }
            @for (cx, cy) in rate_points.iter().flatten() {
                circle cx=(format!("{cx:.1}")) cy=(format!("{cy:.1}")) r="3.5" fill="#0b4f8a" {}
            }
        }
        p.note aria-hidden="true" {
            span style="color:#0b4f8a" { (PreEscaped("&#9473;&#9473;")) } " tỷ lệ   "
            span style="color:#8a4b00" { (PreEscaped("&#9476;&#9476;")) } " chỉ tiêu"
        }
    }
}
