//! Inline SVG: a sparkline of recent periods per league row, and a unit's period-by-period chart against
//! target. Rates are plotted on a fixed 0–100 % scale so that rows compare at a glance; a period
//! without dossiers is a gap in the line, never a zero.

use crate::domain::{Figures, Period, Ratio};
use crate::report::history::PeriodPoint;
use crate::web::format::{percent, push_fixed, push_percent};
use maud::{html, Markup, PreEscaped, Render};
use smallvec::SmallVec;
use std::fmt::Write;

const SPARK_W: f64 = 96.0;
const SPARK_H: f64 = 26.0;

/// A chart coordinate with one decimal ("14.1"), written at the end of `out`.
fn push_coordinate(out: &mut String, v: f64) {
    push_fixed(out, v, 1, '.', None);
}

/// Whether point `i` is present.
fn present(ys: &[Option<f64>], i: usize) -> bool {
    ys.get(i).is_some_and(Option::is_some)
}

/// A point with gaps on both sides: no line shows it, so it is drawn as a dot.
fn lone(ys: &[Option<f64>], i: usize) -> bool {
    present(ys, i) && !(i > 0 && present(ys, i - 1)) && !present(ys, i + 1)
}

/// `M x y L x y …` for the runs of present points, a new run after each gap, written at the end of
/// `out`; `push_x` writes point `i`'s x coordinate.
fn write_path(out: &mut String, ys: &[Option<f64>], push_x: impl Fn(&mut String, usize)) {
    for (i, y) in ys.iter().enumerate() {
        let Some(y) = *y else { continue };
        out.push(if i > 0 && present(ys, i - 1) { 'L' } else { 'M' });
        push_x(out, i);
        out.push(' ');
        push_coordinate(out, y);
    }
}

/// What the sparklines of one table share: the opening of the SVG and of its title, and each period's
/// label in the title ("; 01/2026: "), written once for thousands of rows.
pub struct Sparklines {
    head: String,
    labels: Vec<String>,
    /// The end of the title and the background; the opening of the target line.
    background: String,
    target_line: String,
    /// Each period's x coordinate, the same on every row.
    xs: Vec<String>,
}

impl Sparklines {
    pub fn new(periods: &[Period]) -> Sparklines {
        let head = format!(
            r#"<svg class="spark" width="{SPARK_W}" height="{SPARK_H}" viewBox="0 0 {SPARK_W} {SPARK_H}" role="img"><title>Tỷ lệ {} {} — "#,
            periods.len(),
            periods.first().map_or("", |p| p.kind().unit_vi())
        );
        let labels = periods.iter().enumerate().map(|(i, p)| format!("{}{}: ", if i > 0 { "; " } else { "" }, p.short_label())).collect();
        let background = format!(r#"</title><rect width="{SPARK_W}" height="{SPARK_H}"/>"#);
        let target_line = format!(r#"<line class="target" x1="0" x2="{SPARK_W}" y1=""#);
        let n = periods.len().max(2) as f64;
        let xs = (0..periods.len())
            .map(|i| {
                let mut x = String::new();
                push_coordinate(&mut x, 2.0 + i as f64 * (SPARK_W - 4.0) / (n - 1.0));
                x
            })
            .collect();
        Sparklines { head, labels, background, target_line, xs }
    }

    /// The sparkline of one row: the rate of each period (`history` aligned with the periods), the
    /// current target as a dashed line, the last period as a dot. Its title (the accessible name, and a
    /// tooltip) lists every period. Every piece of text in it is a period or a formatted number,
    /// nothing to escape. Colours and strokes come from the stylesheet (`svg.spark`).
    pub fn row<'a>(&'a self, history: &'a [Figures], target: Option<Ratio>) -> Sparkline<'a> {
        Sparkline { shared: self, history, target }
    }
}

/// One row's sparkline (`Sparklines::row`), written straight into the page.
pub struct Sparkline<'a> {
    shared: &'a Sparklines,
    history: &'a [Figures],
    target: Option<Ratio>,
}

impl Render for Sparkline<'_> {
    fn render_to(&self, out: &mut String) {
        let history = self.history;
        let n = history.len().max(2) as f64;
        let x = |i: usize| 2.0 + i as f64 * (SPARK_W - 4.0) / (n - 1.0);
        let y = |r: f64| 2.0 + (1.0 - r.clamp(0.0, 1.0)) * (SPARK_H - 4.0);
        out.push_str(&self.shared.head);
        for (f, label) in history.iter().zip(&self.shared.labels) {
            out.push_str(label);
            match f.rate() {
                Some(r) => push_percent(out, Some(r)),
                None => out.push_str("không có hồ sơ"),
            }
        }
        out.push_str(&self.shared.background);
        if let Some(t) = self.target {
            let ty = y(t.as_f64());
            out.push_str(&self.shared.target_line);
            push_coordinate(out, ty);
            out.push_str(r#"" y2=""#);
            push_coordinate(out, ty);
            out.push_str(r#""/>"#);
        }
        // Written in place rather than through maud: thousands of rows share the x coordinates.
        let ys: SmallVec<[Option<f64>; 24]> = history.iter().map(|f| f.rate().map(y)).collect();
        let shared_xs = (history.len() == self.shared.xs.len()).then_some(&self.shared.xs);
        let push_x = |out: &mut String, i: usize| match shared_xs {
            Some(xs) => out.push_str(&xs[i]),
            None => push_coordinate(out, x(i)),
        };
        if ys.iter().any(Option::is_some) {
            out.push_str(r#"<path d=""#);
            write_path(out, &ys, push_x);
            out.push_str(r#""/>"#);
        }
        let circle = |out: &mut String, i: usize, cy: f64, r: &str| {
            out.push_str(r#"<circle cx=""#);
            push_x(out, i);
            out.push_str(r#"" cy=""#);
            push_coordinate(out, cy);
            out.push_str(r#"" r=""#);
            out.push_str(r);
            out.push_str(r#""/>"#);
        };
        for (i, y) in ys.iter().enumerate() {
            if let (Some(y), true) = (*y, lone(&ys, i)) {
                circle(out, i, y, "1.6");
            }
        }
        if let Some(&Some(y)) = ys.last() {
            circle(out, ys.len() - 1, y, "2.6");
        }
        out.push_str("</svg>");
    }
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
    let ys: Vec<Option<f64>> = rate_points.iter().map(|p| p.map(|(_, y)| y)).collect();
    let mut d = String::with_capacity(points.len() * 12);
    write_path(&mut d, &ys, |out, i| push_coordinate(out, x(i)));
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Month;

    /// Five months: a run of two, a gap, a lone month, a gap; then the same with the last month present.
    #[test]
    fn sparkline_runs_gaps_and_lone_points() {
        let periods: Vec<Period> = "2026-07".parse::<Month>().unwrap().trailing(5).into_iter().map(Period::from).collect();
        let lines = Sparklines::new(&periods);
        let f = |n: i64, d: i64| Figures::new(n, d);
        let history = [f(1, 2), f(4, 4), f(0, 0), f(0, 5), f(0, 0)];
        let svg = lines.row(&history, None).render().into_string();
        // x: 2 + i · 23; y: 2 + (1 − rate) · 22.
        assert!(svg.contains(r#"<path d="M2.0 13.0L25.0 2.0M71.0 24.0"/>"#), "{svg}");
        assert!(svg.contains(r#"<circle cx="71.0" cy="24.0" r="1.6"/>"#), "a lone month is a dot: {svg}");
        assert_eq!(svg.matches("<circle").count(), 1, "no last dot when the last month is a gap: {svg}");
        assert!(svg.contains("03/2026: 50,0 %; 04/2026: 100,0 %; 05/2026: không có hồ sơ"), "{svg}");

        let history = [f(0, 0), f(1, 4), f(0, 0), f(0, 0), f(3, 4)];
        let svg = lines.row(&history, "0.5".parse().ok()).render().into_string();
        assert!(svg.contains(r#"<line class="target" x1="0" x2="96" y1="13.0" y2="13.0"/>"#), "{svg}");
        assert!(svg.contains(r#"<path d="M25.0 18.5M94.0 7.5"/>"#), "{svg}");
        assert!(svg.contains(r#"<circle cx="25.0" cy="18.5" r="1.6"/><circle cx="94.0" cy="7.5" r="1.6"/><circle cx="94.0" cy="7.5" r="2.6"/>"#), "{svg}");

        // A history shorter than the periods (a unit read over fewer): its own x coordinates.
        let svg = lines.row(&history[..2], None).render().into_string();
        assert!(svg.contains(r#"<path d="M94.0 18.5"/>"#), "{svg}");
    }
}
