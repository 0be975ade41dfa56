//! The points of the national index (Decision 766/QĐ-TTg) for its dossier-based components: which
//! indicator feeds each component, its maximum points, and the rate that earns them all (points are
//! proportional below it). Shipped as `data/index-766.csv` with its source and date; an operator
//! replaces the file when the ministry changes the scheme. Points computed here are an estimate from
//! the province's own dossiers, never the portal's published figure.

use super::indicator::{Figures, Indicator};
use super::target::{Ratio, RATIO_SCALE};
use serde::Serialize;

/// The shipped scheme.
pub const SHIPPED: &str = include_str!("../../data/index-766.csv");

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Component {
    /// A short key (`tien_do`).
    pub key: String,
    pub indicator: Indicator,
    /// The index's group of indicators it belongs to.
    pub group: String,
    pub name: String,
    pub max_points: f64,
    /// The rate at which the component earns `max_points`.
    pub full_at: Ratio,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Scheme {
    /// Where the points come from (the file's `# source:` line) and its date (`# date:`).
    pub source: String,
    pub date: String,
    pub components: Vec<Component>,
}

/// One component's figures scored.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Score {
    #[serde(flatten)]
    pub figures: Figures,
    pub rate: Option<f64>,
    /// None without dossiers: the component does not apply to the unit in the period.
    pub points: Option<f64>,
    pub lost: Option<f64>,
    /// More dossiers, among the same ones, that would have to pass for full points.
    pub needed: Option<i64>,
}

impl Component {
    /// The component's points for these figures: `max_points × min(1, rate / full_at)`.
    pub fn score(&self, f: Figures) -> Score {
        let rate = f.rate();
        let full = self.full_at.millionths() as i128;
        let points = rate.map(|_| {
            if full == 0 {
                return self.max_points;
            }
            // n / (full_at × d), compared exactly before dividing.
            let (n, d) = (f.numerator as i128 * RATIO_SCALE as i128, full * f.denominator as i128);
            if n >= d { self.max_points } else { self.max_points * n as f64 / d as f64 }
        });
        let needed = (f.denominator > 0).then(|| {
            // The least k with (n + k) / d ≥ full_at: ceil((full_at × d − n)), in millionths.
            let short = full * f.denominator as i128 - f.numerator as i128 * RATIO_SCALE as i128;
            if short <= 0 { 0 } else { ((short + RATIO_SCALE as i128 - 1) / RATIO_SCALE as i128) as i64 }
        });
        Score { figures: f, rate, points, lost: points.map(|p| self.max_points - p), needed }
    }
}

impl Scheme {
    pub fn shipped() -> Scheme {
        Scheme::parse("data/index-766.csv", SHIPPED).expect("the shipped scheme reads")
    }

    /// Reads a scheme file: `# source:` and `# date:` comment lines, then a CSV with the header
    /// `component,indicator,group,name,max_points,full_at`. Errors name the file and line.
    pub fn parse(file: &str, text: &str) -> Result<Scheme, String> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let (mut source, mut date) = (None, None);
        let mut rows = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if let Some(comment) = line.strip_prefix('#') {
                let comment = comment.trim();
                if let Some(s) = comment.strip_prefix("source:") {
                    source = Some(s.trim().to_string());
                } else if let Some(d) = comment.strip_prefix("date:") {
                    date = Some(d.trim().to_string());
                }
                continue;
            }
            if line.is_empty() {
                continue;
            }
            rows.push((i + 1, line.to_string()));
        }
        let fail = |line: usize, m: String| format!("{file}: line {line}: {m}");
        let mut rows = rows.into_iter();
        let header = "component,indicator,group,name,max_points,full_at";
        match rows.next() {
            Some((_, h)) if h.replace(' ', "") == header => {}
            Some((line, h)) => return Err(fail(line, format!("header must be {header:?}, found {h:?}"))),
            None => return Err(format!("{file}: no components")),
        }
        let mut components: Vec<Component> = Vec::new();
        for (line, row) in rows {
            let mut reader = csv::ReaderBuilder::new().has_headers(false).trim(csv::Trim::All).from_reader(row.as_bytes());
            let record = reader.records().next().and_then(Result::ok).ok_or_else(|| fail(line, "cannot read the row".into()))?;
            if record.len() != 6 {
                return Err(fail(line, format!("expected 6 columns, found {}", record.len())));
            }
            let indicator: Indicator = record[1].parse().map_err(|e: String| fail(line, e))?;
            let max_points: f64 = record[4]
                .parse()
                .ok()
                .filter(|p: &f64| p.is_finite() && *p > 0.0 && *p <= 100.0)
                .ok_or_else(|| fail(line, format!("max_points must be a number above 0 and at most 100, found {:?}", &record[4])))?;
            let full_at: Ratio = record[5].parse().map_err(|e: String| fail(line, format!("full_at: {e}")))?;
            if full_at.millionths() == 0 {
                return Err(fail(line, "full_at must be above 0".into()));
            }
            if record[0].is_empty() || components.iter().any(|c| c.key == record[0]) {
                return Err(fail(line, format!("component {:?} is empty or appears twice", &record[0])));
            }
            components.push(Component { key: record[0].into(), indicator, group: record[2].into(), name: record[3].into(), max_points, full_at });
        }
        if components.is_empty() {
            return Err(format!("{file}: no components"));
        }
        let total: f64 = components.iter().map(|c| c.max_points).sum();
        if total > 100.0 + 1e-9 {
            return Err(format!("{file}: the components' points add up to {total}, more than the index's 100"));
        }
        Ok(Scheme {
            source: source.ok_or_else(|| format!("{file}: a '# source:' line is required"))?,
            date: date.ok_or_else(|| format!("{file}: a '# date:' line is required"))?,
            components,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn component(max: f64, full: &str) -> Component {
        Component { key: "k".into(), indicator: Indicator::OnlinePayment, group: "g".into(), name: "n".into(), max_points: max, full_at: full.parse().unwrap() }
    }

    #[test]
    fn the_shipped_scheme_reads() {
        let s = Scheme::shipped();
        assert_eq!(s.components.len(), 6);
        assert!(s.source.contains("766/QĐ-TTg"));
        assert_eq!(s.date, "2023-06-23");
        assert!(s.components.iter().all(|c| c.indicator.is_index()));
    }

    #[test]
    fn points_are_proportional_below_the_full_rate() {
        let c = component(10.0, "0.5");
        assert_eq!(c.score(Figures::new(5, 10)).points, Some(10.0));
        assert_eq!(c.score(Figures::new(9, 10)).points, Some(10.0));
        let s = c.score(Figures::new(2, 10));
        assert_eq!((s.points, s.lost, s.needed), (Some(4.0), Some(6.0), Some(3)));
        assert_eq!(c.score(Figures::new(0, 0)), Score { figures: Figures::new(0, 0), rate: None, points: None, lost: None, needed: None });
        // 2/3 against a full rate of 2/3 rounded up: one more dossier needed.
        let c = component(6.0, "0.666667");
        assert_eq!(c.score(Figures::new(2, 3)).needed, Some(1));
        assert_eq!(c.score(Figures::new(3, 3)).needed, Some(0));
    }

    #[test]
    fn bad_files_are_refused_with_their_line() {
        let head = "# source: s\n# date: d\ncomponent,indicator,group,name,max_points,full_at\n";
        assert!(Scheme::parse("f", &format!("{head}a,completion_x,g,n,1,1\n")).unwrap_err().starts_with("f: line 4: unknown indicator"));
        assert!(Scheme::parse("f", &format!("{head}a,digitised,g,n,0,1\n")).unwrap_err().contains("max_points"));
        assert!(Scheme::parse("f", &format!("{head}a,digitised,g,n,1,0\n")).unwrap_err().contains("full_at must be above 0"));
        assert!(Scheme::parse("f", &format!("{head}a,digitised,g,n,60,1\nb,reused_data,g,n,60,1\n")).unwrap_err().contains("more than the index's 100"));
        assert!(Scheme::parse("f", "component,indicator,group,name,max_points,full_at\na,digitised,g,n,1,1\n").unwrap_err().contains("source"));
        assert!(Scheme::parse("f", &format!("{head}a,digitised,g,n,1,1\na,reused_data,g,n,1,1\n")).unwrap_err().contains("twice"));
    }
}
