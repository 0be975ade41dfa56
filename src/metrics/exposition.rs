//! The snapshot's families in the Prometheus text format (0.0.4), written straight from it: one
//! `# HELP` and `# TYPE` per family, then one line per series, label names in alphabetical order as
//! the client library writes them.

use crate::domain::kpi::{self, Judgement, Status};
use crate::domain::{Indicator, Unit};
use crate::report::snapshot::{Snapshot, UnitSeries};
use std::fmt::Write;

/// A family being written: its header once, then its series.
struct Family<'a> {
    out: &'a mut String,
    name: &'static str,
}

impl<'a> Family<'a> {
    fn new(out: &'a mut String, name: &'static str, kind: &str, help: &str) -> Family<'a> {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
        Family { out, name }
    }

    /// One series; `labels` in alphabetical order of their names.
    fn series(&mut self, labels: &[(&str, &str)], value: impl std::fmt::Display) {
        self.out.push_str(self.name);
        if !labels.is_empty() {
            self.out.push('{');
            for (i, (name, v)) in labels.iter().enumerate() {
                if i > 0 {
                    self.out.push(',');
                }
                self.out.push_str(name);
                self.out.push_str("=\"");
                escape(self.out, v);
                self.out.push('"');
            }
            self.out.push('}');
        }
        let _ = writeln!(self.out, " {value}");
    }
}

/// Label values escape backslash, double quote and line feed.
fn escape(out: &mut String, v: &str) {
    for c in v.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
}

/// Every unit with its series (the snapshot gives each unit one), in code order.
fn units(s: &Snapshot) -> Vec<(&Unit, &UnitSeries)> {
    let mut out: Vec<(&Unit, &UnitSeries)> = s.units.iter().filter_map(|u| Some((u, s.series.get(&u.code)?.as_ref()))).collect();
    out.sort_by(|a, b| a.0.code.cmp(&b.0.code));
    out
}

/// `indicators`: the indicators whose unit families are written (`Indicator::ALL`, or kpi.md's three:
/// see `serve --metrics-index-indicators`).
/// `capacity`: the buffer to start with (the text is some 10 MB for the nation).
pub fn write(s: &Snapshot, indicators: &[Indicator], capacity: usize) -> Vec<u8> {
    let units = units(s);
    let mut out = String::with_capacity(capacity);
    // Counters: the store's totals, which only grow (the positive part of every change).
    let counters: [(&str, &str, usize, bool); 4] = [
        ("dvc_dossiers_completed_fully_online_total", "Eligible dossiers returned fully online (completion numerator), as first recorded.", 0, true),
        ("dvc_dossiers_completed_total", "Eligible dossiers returned (completion denominator), as first recorded.", 0, false),
        ("dvc_dossiers_received_online_total", "Eligible dossiers submitted online (intake numerator), as first recorded.", 1, true),
        ("dvc_dossiers_received_total", "Eligible dossiers received (intake denominator), as first recorded.", 1, false),
    ];
    for (name, help, i, numerator) in counters {
        let mut f = Family::new(&mut out, name, "counter", help);
        for (u, series) in &units {
            let figures = series.counters[i];
            f.series(&[("unit", &u.code)], if numerator { figures.numerator } else { figures.denominator }.max(0));
        }
    }
    // The indicators' names in Vietnamese, for the alert texts of alerts/ to select rather than spell out.
    let mut f = Family::new(&mut out, "dvc_indicator_info", "gauge", "The indicators and their Vietnamese names, value 1.");
    for i in indicators {
        f.series(&[("indicator", i.as_str()), ("label_vi", i.label_vi())], 1);
    }
    Family::new(&mut out, "dvc_min_volume", "gauge", "Denominators below this are insufficient_data.").series(&[], s.min_volume);
    Family::new(&mut out, "dvc_month_elapsed_ratio", "gauge", "Share of the current month (UTC+07:00) that has passed.").series(&[], s.elapsed);
    let mut f = Family::new(&mut out, "dvc_source_last_event_timestamp_seconds", "gauge", "When the last valid event from the source was received.");
    for (source, seconds) in &s.sources {
        f.series(&[("source", source)], seconds);
    }
    let mut scopes: Vec<&(String, String)> = s.scopes.iter().collect();
    scopes.sort();
    scopes.dedup();
    let mut f = Family::new(&mut out, "dvc_source_scope_info", "gauge", "Unit codes a source's tokens may write to, value 1.");
    for (source, scope) in scopes {
        f.series(&[("scope", scope), ("source", source)], 1);
    }
    let mut f = Family::new(&mut out, "dvc_unit_info", "gauge", "The unit registry: one series per unit, value 1.");
    for (u, _) in &units {
        let kind = u.kind.to_string();
        f.series(&[("kind", &kind), ("name", &u.name), ("parent", u.parent.as_deref().unwrap_or("")), ("unit", &u.code)], 1);
    }
    let per_indicator = |out: &mut String, name: &'static str, help: &str, value: &dyn Fn(&UnitSeries, usize) -> Option<String>| {
        let mut f = Family::new(out, name, "gauge", help);
        for (u, series) in &units {
            for (i, indicator) in exported(indicators) {
                if let Some(v) = value(series, i) {
                    f.series(&[("indicator", indicator.as_str()), ("unit", &u.code)], v);
                }
            }
        }
    };
    per_indicator(&mut out, "dvc_unit_last_month_denominator", "Denominator of the indicator for the previous month.", &|s, i| Some(s.last_month[i].denominator.to_string()));
    per_indicator(&mut out, "dvc_unit_last_month_numerator", "Numerator of the indicator for the previous month.", &|s, i| Some(s.last_month[i].numerator.to_string()));
    let statuses = |out: &mut String, name: &'static str, help: &str, last: bool| {
        let mut f = Family::new(out, name, "gauge", help);
        for (u, series) in &units {
            for (i, indicator) in exported(indicators) {
                let status = if last { series.last_judged[i].status } else { series.judged[i].status };
                f.series(&[("indicator", indicator.as_str()), ("status", status.as_str()), ("unit", &u.code)], 1);
            }
        }
    };
    statuses(&mut out, "dvc_unit_last_month_status", "Status of the indicator for the previous month, value 1.", true);
    per_indicator(&mut out, "dvc_unit_last_month_target_ratio", "Target rate that applied last month.", &|s, i| s.last_judged[i].target.map(|t| t.as_f64().to_string()));
    per_indicator(&mut out, "dvc_unit_month_denominator", "Denominator of the indicator for the current month to date.", &|s, i| Some(s.month[i].denominator.to_string()));
    per_indicator(&mut out, "dvc_unit_month_numerator", "Numerator of the indicator for the current month to date.", &|s, i| Some(s.month[i].numerator.to_string()));
    per_indicator(&mut out, "dvc_unit_months_behind", "Consecutive finished months behind target, up to last month.", &|s, i| {
        s.months_behind.map(|b| b[i].to_string())
    });
    statuses(&mut out, "dvc_unit_status", "Status of the indicator this month (kpi.md), value 1.", false);
    per_indicator(&mut out, "dvc_unit_target_ratio", "Target rate that applies this month.", &|s, i| s.judged[i].target.map(|t| t.as_f64().to_string()));
    write_attention(&mut out, s, &units, indicators);
    out.into_bytes()
}

/// Each indicator to write with its slot in a unit's series.
fn exported(indicators: &[Indicator]) -> impl Iterator<Item = (usize, &Indicator)> {
    indicators.iter().filter_map(|i| Indicator::ALL.iter().position(|x| x == i).map(|slot| (slot, i)))
}

/// A status that calls for action: at risk or unreachable this month, behind last month.
fn calls_for_action(j: &Judgement, period: &str) -> bool {
    match period {
        "month" => matches!(j.status, Status::AtRisk | Status::Unreachable),
        _ => j.status == Status::Behind,
    }
}

/// What the alert rules show beside a status, so that they select it instead of deriving it: the months
/// by name, and for each unit and indicator whose status calls for action, the figures, rate and gap the
/// status was judged on (the unit's subtree, a closed month as published) and this month's outlook.
fn write_attention(out: &mut String, s: &Snapshot, units: &[(&Unit, &UnitSeries)], indicators: &[Indicator]) {
    let mut f = Family::new(out, "dvc_period_info", "gauge", "The months the unit families speak of (UTC+07:00), value 1.");
    if let Some(m) = s.month {
        for (period, m) in [("last_month", m.prev()), ("month", m)] {
            f.series(&[("label_vi", &format!("{}/{}", m.month(), m.year())), ("month", &m.to_string()), ("period", period)], 1);
        }
    }
    let judged = |out: &mut String, name: &'static str, help: &str, value: &dyn Fn(&Judgement) -> Option<String>| {
        let mut f = Family::new(out, name, "gauge", help);
        for (u, series) in units {
            for (i, indicator) in exported(indicators) {
                for (period, j) in [("last_month", &series.last_judged[i]), ("month", &series.judged[i])] {
                    if let Some(v) = value(j).filter(|_| calls_for_action(j, period)) {
                        f.series(&[("indicator", indicator.as_str()), ("period", period), ("unit", &u.code)], v);
                    }
                }
            }
        }
    };
    let action = "where the status calls for action (at_risk or unreachable this month, behind last month)";
    judged(out, "dvc_unit_judged_denominator", &format!("Denominator the status was judged on (the unit and every unit under it), {action}."), &|j| Some(j.figures.denominator.to_string()));
    judged(out, "dvc_unit_judged_gap", &format!("Rate minus target, {action}."), &|j| j.gap.map(|g| g.to_string()));
    judged(out, "dvc_unit_judged_numerator", &format!("Numerator the status was judged on, {action}."), &|j| Some(j.figures.numerator.to_string()));
    judged(out, "dvc_unit_judged_rate", &format!("Rate the status was judged on, {action}."), &|j| j.rate.map(|r| r.to_string()));
    let outlook = |out: &mut String, name: &'static str, help: &str, value: &dyn Fn(&kpi::Projection) -> f64| {
        let mut f = Family::new(out, name, "gauge", help);
        for (u, series) in units {
            for (i, indicator) in exported(indicators) {
                let j = &series.judged[i];
                if let Some(p) = j.projection.filter(|_| calls_for_action(j, "month")) {
                    f.series(&[("indicator", indicator.as_str()), ("unit", &u.code)], value(&p));
                }
            }
        }
    };
    outlook(out, "dvc_unit_projected_needed", "Fully-online (or on-time) dossiers still needed this month at the present pace, at least 0, where at_risk or unreachable.", &|p| p.needed.max(0.0));
    outlook(out, "dvc_unit_projected_remaining", "Dossiers still to come this month at the present pace, where at_risk or unreachable.", &|p| p.remaining);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Figures, Ratio, UnitKind};
    use std::collections::HashMap;

    #[test]
    fn text_format() {
        let unit = Unit { code: "31-STP".into(), name: "Sở \"Tư\" pháp".into(), kind: UnitKind::Department, parent: Some("31".into()) };
        let mut series = UnitSeries { months_behind: Some([2, 0, 1, 0, 0, 0, 0, 0, 0]), ..UnitSeries::default() };
        series.month[0] = Figures::new(3, 4);
        series.counters[0] = Figures::new(5, 7);
        series.judged[0].target = Some(Ratio::from_millionths(700_000).unwrap());
        let s = Snapshot {
            month: Some("2026-12".parse().unwrap()),
            units: vec![unit],
            series: HashMap::from([("31-STP".to_string(), Box::new(series))]),
            elapsed: 0.5,
            min_volume: 10,
            sources: vec![("igate".into(), 1.5)],
            scopes: vec![("igate".into(), "31".into())],
        };
        let text = String::from_utf8(write(&s, &Indicator::ALL, 0)).unwrap();
        for line in [
            "# TYPE dvc_dossiers_completed_total counter",
            "dvc_dossiers_completed_total{unit=\"31-STP\"} 7",
            "dvc_dossiers_completed_fully_online_total{unit=\"31-STP\"} 5",
            "dvc_unit_month_numerator{indicator=\"completion\",unit=\"31-STP\"} 3",
            "dvc_unit_target_ratio{indicator=\"completion\",unit=\"31-STP\"} 0.7",
            "dvc_unit_months_behind{indicator=\"on_time\",unit=\"31-STP\"} 1",
            "dvc_unit_status{indicator=\"completion\",status=\"insufficient_data\",unit=\"31-STP\"} 1",
            "dvc_unit_info{kind=\"department\",name=\"Sở \\\"Tư\\\" pháp\",parent=\"31\",unit=\"31-STP\"} 1",
            "dvc_source_scope_info{scope=\"31\",source=\"igate\"} 1",
            "dvc_month_elapsed_ratio 0.5",
            "dvc_min_volume 10",
            "dvc_indicator_info{indicator=\"on_time_index\",label_vi=\"Tỷ lệ giải quyết đúng hạn (Chỉ số 766)\"} 1",
            "dvc_period_info{label_vi=\"11/2026\",month=\"2026-11\",period=\"last_month\"} 1",
        ] {
            assert!(text.lines().any(|l| l == line), "{line} missing from\n{text}");
        }
        // No target for intake: no series.
        assert!(!text.contains("dvc_unit_target_ratio{indicator=\"intake\""));
    }
}
