//! The alert rules, evaluated on a metrics snapshot: the built-in evaluator's twin of `alerts/*.yml`.
//! Statuses come from the kpi core, so an alert and the league table never disagree.

use super::{Alert, AlertState};
use crate::domain::kpi::Status;
use crate::domain::{Indicator, Month, UnitKind};
use crate::report::snapshot::Snapshot;
use crate::web::format::{percent, points};
use std::collections::BTreeMap;

#[derive(Debug, Clone)]
pub struct Settings {
    /// Base URL of this service, for links to unit pages and the runbook.
    pub public_url: String,
    /// Base URL of Grafana, for dashboard links.
    pub grafana_url: String,
    /// A source is stale after this many seconds without a valid event.
    pub stale_after_seconds: f64,
    /// Months behind in a row before the province leader is told.
    pub escalate_after_months: u32,
    /// Share of rejected events over the last window that raises DvcSourceHighRejectRate.
    pub reject_share: f64,
    /// Events a source must have sent in the window before its reject share counts.
    pub reject_min_events: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            public_url: "http://127.0.0.1:8080".into(),
            grafana_url: "http://127.0.0.1:3000".into(),
            stale_after_seconds: 4.0 * 3600.0,
            escalate_after_months: 3,
            reject_share: 0.05,
            reject_min_events: 20,
        }
    }
}

/// Events a source sent in the evaluation window, and how many were rejected.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct SourceWindow {
    pub events: u64,
    pub rejected: u64,
}

fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn month_vi(m: Month) -> String {
    format!("{}/{}", m.month(), m.year())
}

/// Every alert that holds at `now_ms`.
pub fn evaluate(s: &Snapshot, windows: &BTreeMap<String, SourceWindow>, now_ms: i64, cfg: &Settings) -> Vec<Alert> {
    let now = chrono::DateTime::from_timestamp_millis(now_ms).unwrap_or_default().to_rfc3339();
    let month = Month::of_millis(now_ms);
    let last = month.prev();
    let units: BTreeMap<&str, &crate::domain::Unit> = s.units.iter().map(|u| (u.code.as_str(), u)).collect();
    let province_of = |code: &str| -> String {
        let mut cur = units.get(code).copied();
        for _ in 0..16 {
            match cur {
                Some(u) if u.kind == UnitKind::Province => return u.code.clone(),
                Some(u) => cur = u.parent.as_deref().and_then(|p| units.get(p).copied()),
                None => break,
            }
        }
        String::new()
    };
    let mut out = Vec::new();
    let mut push = |l: BTreeMap<String, String>, a: BTreeMap<String, String>| {
        out.push(Alert { state: AlertState::Firing, labels: l, annotations: a, starts_at: now.clone() })
    };
    for u in &s.units {
        let Some(series) = s.series.get(&u.code) else { continue };
        let province = province_of(&u.code);
        // Links open the month the alert speaks of, not whatever month is current when they are followed.
        let unit_url = |m: Month| format!("{}/units/{}?month={m}", cfg.public_url, u.code);
        let league_url = |m: Month, ind: &str| {
            let parent = u.parent.as_deref().map(|p| format!("&parent={p}")).unwrap_or_default();
            format!("{}/?month={m}&kind={}&indicator={ind}{parent}", cfg.public_url, u.kind.as_str())
        };
        let dashboard = format!("{}/d/dvc-unit-detail/?var-unit={}", cfg.grafana_url, u.code);
        for (i, indicator) in Indicator::ALL.iter().enumerate() {
            let ind = indicator.as_str();
            let what = indicator.label_vi().to_lowercase();
            // The figures the status was judged on: the unit's subtree (a province's units), as the league table.
            let j = series.judged[i];
            let f = j.figures;
            let annotate = |name: &str, m: Month, summary: String, description: String| -> BTreeMap<String, String> {
                labels(&[
                    ("summary", &summary),
                    ("description", &description),
                    ("runbook_url", &format!("{}/runbook#{}", cfg.public_url, name.to_lowercase())),
                    ("dashboard_url", &dashboard),
                    ("unit_url", &unit_url(m)),
                    ("league_url", &league_url(m, ind)),
                    ("month", &m.to_string()),
                    ("unit_name", &u.name),
                ])
            };
            match j.status {
                Status::AtRisk | Status::Unreachable => {
                    let target = j.target.expect("judged against a target");
                    let (name, severity, summary, outlook) = if j.status == Status::AtRisk {
                        let outlook = j.projection
                            .map(|p| format!(" Theo nhịp hiện tại, cần thêm khoảng {:.0} hồ sơ đạt trong khoảng {:.0} hồ sơ còn lại của tháng.", p.needed.max(0.0), p.remaining))
                            .unwrap_or_default();
                        ("DvcUnitAtRisk", "warning", format!("{}: có nguy cơ không đạt chỉ tiêu {what} tháng {}", u.name, month_vi(month)), outlook)
                    } else {
                        ("DvcUnitTargetUnreachable", "critical", format!("{}: không thể đạt chỉ tiêu {what} tháng {}", u.name, month_vi(month)),
                         " Kể cả khi mọi hồ sơ còn lại trong tháng đều đạt, đơn vị vẫn không đạt chỉ tiêu.".to_string())
                    };
                    let description = format!(
                        "Tháng {} đến nay: {} ({}/{} hồ sơ), chỉ tiêu {}.{outlook} Xem nguyên nhân tại {}",
                        month_vi(month), percent(f.rate()), f.numerator, f.denominator, percent(Some(target.as_f64())), unit_url(month));
                    push(
                        labels(&[("alertname", name), ("severity", severity), ("unit", &u.code), ("province", &province), ("indicator", ind), ("recipient", "unit")]),
                        annotate(name, month, summary, description),
                    );
                }
                _ => {}
            }
            let lj = series.last_judged[i];
            if lj.status == Status::Behind {
                let lf = lj.figures;
                let target = lj.target.expect("judged against a target");
                let name = "DvcUnitBehindLastMonth";
                push(
                    labels(&[("alertname", name), ("severity", "warning"), ("unit", &u.code), ("province", &province), ("indicator", ind), ("recipient", "unit")]),
                    annotate(name, last,
                        format!("{}: không đạt chỉ tiêu {what} tháng {}", u.name, month_vi(last)),
                        format!("Tháng {}: {} ({}/{} hồ sơ), chỉ tiêu {}, chênh lệch {}. Xem nguyên nhân tại {}",
                            month_vi(last), percent(lf.rate()), lf.numerator, lf.denominator, percent(Some(target.as_f64())),
                            points(lj.gap), unit_url(last))),
                );
            }
            let behind = series.months_behind.map(|b| b[i]).unwrap_or(0);
            if behind >= cfg.escalate_after_months {
                let name = "DvcUnitBehindSeveralMonths";
                push(
                    labels(&[("alertname", name), ("severity", "critical"), ("unit", &u.code), ("province", &province), ("indicator", ind), ("recipient", "province")]),
                    annotate(name, last,
                        format!("{}: không đạt chỉ tiêu {what} {behind} tháng liên tiếp", u.name),
                        format!("{} không đạt chỉ tiêu {what} {behind} tháng liên tiếp, đến hết tháng {}. Đề nghị lãnh đạo tỉnh chỉ đạo. Chi tiết: {}",
                            u.name, month_vi(last), unit_url(last))),
                );
            }
        }
    }
    let scopes: BTreeMap<&str, Vec<&str>> = s.scopes.iter().fold(BTreeMap::new(), |mut m, (src, scope)| {
        m.entry(src.as_str()).or_insert_with(Vec::new).push(scope.as_str());
        m
    });
    let runbook = |name: &str| format!("{}/runbook#{}", cfg.public_url, name.to_lowercase());
    let pipeline = format!("{}/d/dvc-ingest-pipeline/", cfg.grafana_url);
    for (source, last_seen) in &s.sources {
        let silent = now_ms as f64 / 1000.0 - last_seen;
        if silent > cfg.stale_after_seconds {
            for scope in scopes.get(source.as_str()).cloned().unwrap_or_default() {
                let province = province_of(scope);
                let name = "DvcSourceStale";
                push(
                    labels(&[("alertname", name), ("severity", "warning"), ("source", source), ("province", &province), ("recipient", "province")]),
                    labels(&[
                        ("summary", &format!("Hệ thống {source} không gửi dữ liệu từ {:.0} giờ", silent / 3600.0)),
                        ("description", &format!("Không nhận được sự kiện hợp lệ nào từ {source} trong {:.1} giờ; cảnh báo của các đơn vị do hệ thống này cung cấp dữ liệu tạm dừng cho đến khi có dữ liệu trở lại.", silent / 3600.0)),
                        ("runbook_url", &runbook(name)),
                        ("dashboard_url", &pipeline),
                    ]),
                );
            }
        }
    }
    for (source, w) in windows {
        if w.events >= cfg.reject_min_events && w.rejected as f64 > cfg.reject_share * w.events as f64 {
            let name = "DvcSourceHighRejectRate";
            let mut provinces: Vec<String> = scopes.get(source.as_str()).into_iter().flatten().map(|s| province_of(s)).collect();
            provinces.sort();
            provinces.dedup();
            if provinces.is_empty() {
                provinces.push(String::new());
            }
            for province in provinces {
                push(
                    labels(&[("alertname", name), ("severity", "warning"), ("source", source), ("province", &province), ("recipient", "province")]),
                    labels(&[
                        ("summary", &format!("Hệ thống {source}: {} sự kiện bị từ chối", percent(Some(w.rejected as f64 / w.events as f64)))),
                        ("description", &format!("{} trong {} sự kiện gần đây của {source} bị từ chối (sai định dạng, đơn vị hoặc thủ tục không tồn tại, trùng mã với nội dung khác). Lý do từng sự kiện có trong phản hồi của POST /api/v1/events.", w.rejected, w.events)),
                        ("runbook_url", &runbook(name)),
                        ("dashboard_url", &pipeline),
                    ]),
                );
            }
        }
    }
    inhibit_stale(out)
}

/// Unit alerts of a province whose agency system has gone quiet are held back: the numbers are
/// incomplete, not the unit (Alertmanager does the same with the inhibit rule of deploy/alertmanager.yml).
fn inhibit_stale(alerts: Vec<Alert>) -> Vec<Alert> {
    let stale: std::collections::HashSet<String> =
        alerts.iter().filter(|a| a.name() == "DvcSourceStale").filter_map(|a| a.label("province").map(String::from)).collect();
    alerts
        .into_iter()
        .filter(|a| !(a.name().starts_with("DvcUnit") && a.label("province").is_some_and(|p| stale.contains(p))))
        .collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::domain::unit::tests::sample_tree;
    use crate::domain::kpi::{self, Judgement, Status};
    use crate::domain::{Figures, Progress, Ratio};
    use crate::report::snapshot::UnitSeries;

    /// `a` for the first indicator (completion), `rest` for every other.
    fn first<T: Copy>(a: T, rest: T) -> [T; crate::report::snapshot::N] {
        std::array::from_fn(|i| if i == 0 { a } else { rest })
    }

    /// 31-STP with these statuses of `completion`, fed by `igate` (scoped to 31 and 01), last seen then.
    pub(crate) fn snapshot(status: Status, last: Status, behind: u32, last_seen_s: f64) -> Snapshot {
        let t: Ratio = "0.7".parse().unwrap();
        // Statuses as given (the rules only select); figures, gap and outlook as the snapshot judges them
        // in the middle of NOW's month.
        let judged = |f: Figures, period, status| Judgement { status, ..kpi::judge(f, Some(t), 0, period) };
        let none = kpi::judge(Figures::default(), None, 0, Progress::Finished);
        // Completion first; every other indicator without dossiers.
        let series = UnitSeries {
            month: first(Figures::new(5, 10), Figures::default()),
            last_month: first(Figures::new(6, 10), Figures::default()),
            judged: first(judged(Figures::new(5, 10), Month::of_millis(NOW).progress(NOW), status), none),
            last_judged: first(judged(Figures::new(6, 10), Progress::Finished, last), none),
            months_behind: Some(first(behind, 0)),
            ..UnitSeries::default()
        };
        Snapshot {
            month: Some(Month::of_millis(NOW)),
            units: sample_tree().all().to_vec(),
            series: [("31-STP".to_string(), Box::new(series))].into_iter().collect(),
            elapsed: 0.5,
            min_volume: 10,
            sources: vec![("igate".into(), last_seen_s)],
            scopes: vec![("igate".into(), "31".into()), ("igate".into(), "01".into())],
        }
    }

    const NOW: i64 = 1_795_000_000_000; // 2026-11-18

    fn names(alerts: &[Alert]) -> Vec<(String, String)> {
        alerts.iter().map(|a| (a.name().to_string(), a.label("recipient").unwrap_or("").to_string())).collect()
    }

    #[test]
    fn unit_alerts_follow_the_kpi_statuses() {
        let fresh = NOW as f64 / 1000.0;
        let a = evaluate(&snapshot(Status::AtRisk, Status::Behind, 3, fresh), &BTreeMap::new(), NOW, &Settings::default());
        assert_eq!(
            names(&a),
            [("DvcUnitAtRisk".into(), "unit".into()), ("DvcUnitBehindLastMonth".into(), "unit".into()), ("DvcUnitBehindSeveralMonths".into(), "province".into())]
        );
        assert!(a.iter().all(|x| x.label("unit") == Some("31-STP") && x.label("province") == Some("31") && x.label("indicator") == Some("completion")));
        assert!(a[0].annotation("summary").starts_with("Đơn vị 31-STP: có nguy cơ không đạt chỉ tiêu"), "{}", a[0].annotation("summary"));
        assert!(a[0].annotation("description").contains("50,0 % (5/10 hồ sơ), chỉ tiêu 70,0 %"), "{}", a[0].annotation("description"));
        // Each link opens the month its alert is about: this month while at risk, last month once behind.
        assert_eq!(a[0].annotation("unit_url"), "http://127.0.0.1:8080/units/31-STP?month=2026-11");
        assert!(a[0].annotation("description").ends_with("Xem nguyên nhân tại http://127.0.0.1:8080/units/31-STP?month=2026-11"));
        assert_eq!(a[0].annotation("league_url"), "http://127.0.0.1:8080/?month=2026-11&kind=department&indicator=completion&parent=31");
        for later in &a[1..] {
            assert_eq!(later.annotation("unit_url"), "http://127.0.0.1:8080/units/31-STP?month=2026-10", "{}", later.name());
            assert!(later.annotation("description").ends_with("/units/31-STP?month=2026-10"), "{}", later.annotation("description"));
            assert_eq!(later.annotation("month"), "2026-10");
        }
        let b = evaluate(&snapshot(Status::OnTrack, Status::Met, 2, fresh), &BTreeMap::new(), NOW, &Settings::default());
        assert!(b.is_empty(), "{:?}", names(&b));
        let c = evaluate(&snapshot(Status::Unreachable, Status::InsufficientData, 0, fresh), &BTreeMap::new(), NOW, &Settings::default());
        assert_eq!(names(&c), [("DvcUnitTargetUnreachable".into(), "unit".into())]);
    }

    #[test]
    fn stale_source_alerts_each_province_and_holds_back_its_unit_alerts() {
        let five_hours_ago = NOW as f64 / 1000.0 - 5.0 * 3600.0;
        let a = evaluate(&snapshot(Status::AtRisk, Status::Behind, 0, five_hours_ago), &BTreeMap::new(), NOW, &Settings::default());
        let mut provinces: Vec<_> = a.iter().map(|x| (x.name(), x.label("province").unwrap())).collect();
        provinces.sort();
        assert_eq!(provinces, [("DvcSourceStale", "01"), ("DvcSourceStale", "31")], "no unit alert while the source is stale");
    }

    #[test]
    fn reject_share_needs_volume() {
        let fresh = NOW as f64 / 1000.0;
        let window = |events, rejected| BTreeMap::from([("igate".to_string(), SourceWindow { events, rejected })]);
        let s = snapshot(Status::OnTrack, Status::Met, 0, fresh);
        let count = |w| evaluate(&s, &w, NOW, &Settings::default()).iter().filter(|a| a.name() == "DvcSourceHighRejectRate").count();
        assert_eq!(count(window(100, 30)), 2, "one per province the source feeds");
        assert_eq!(count(window(100, 2)), 0);
        assert_eq!(count(window(10, 5)), 0);
    }
}
