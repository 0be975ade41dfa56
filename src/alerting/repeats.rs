//! Repeats in the alert history: the same alert about the same unit, indicator and month is notified again after
//! every restart of the service and every time it ends and starts again. The alert list shows it once,
//! with how many notifications there were and when the first and the last went out.

use crate::store::AlertRecord;
use serde::Serialize;
use std::collections::HashMap;

/// Every notification of one alert (rule) about one unit (or agency system), indicator and month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct AlertGroup {
    pub alertname: String,
    pub unit: Option<String>,
    pub province: Option<String>,
    pub indicator: Option<String>,
    /// `YYYY-MM`, when the alert speaks of a month.
    pub period: Option<String>,
    /// Notifications in the group (each recipient and channel counts once per sending).
    pub count: usize,
    /// Of them, how many could not be delivered.
    pub failed: usize,
    /// Milliseconds since the epoch: the first and the last notification.
    pub first_at: i64,
    pub last_at: i64,
    /// The last notification as it was recorded (its state, recipient, outcome and summary).
    pub latest: AlertRecord,
    /// Each recipient and channel the alert went to, with its last notification: newest first.
    pub recipients: Vec<AlertRecord>,
}

/// Groups `rows` (newest first, as `Store::alert_history` reads them) by alert, unit, indicator and month, in the
/// order of each group's latest notification.
pub fn group(rows: &[AlertRecord]) -> Vec<AlertGroup> {
    type Key<'a> = (&'a str, Option<&'a str>, Option<&'a str>, Option<&'a str>);
    let mut index: HashMap<Key, usize> = HashMap::new();
    let mut groups: Vec<AlertGroup> = Vec::new();
    for r in rows {
        let key = (r.alertname.as_str(), r.unit.as_deref(), r.indicator.as_deref(), r.period.as_deref());
        let failed = usize::from(r.outcome != "sent");
        match index.get(&key) {
            Some(&i) => {
                let g = &mut groups[i];
                g.count += 1;
                g.failed += failed;
                g.first_at = g.first_at.min(r.at);
                g.last_at = g.last_at.max(r.at);
                if !g.recipients.iter().any(|x| x.recipient == r.recipient && x.channel == r.channel) {
                    g.recipients.push(r.clone());
                }
            }
            None => {
                index.insert(key, groups.len());
                groups.push(AlertGroup {
                    alertname: r.alertname.clone(),
                    unit: r.unit.clone(),
                    province: r.province.clone(),
                    indicator: r.indicator.clone(),
                    period: r.period.clone(),
                    count: 1,
                    failed,
                    first_at: r.at,
                    last_at: r.at,
                    latest: r.clone(),
                    recipients: vec![r.clone()],
                });
            }
        }
    }
    groups
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(at: i64, alertname: &str, unit: &str, period: &str, outcome: &str) -> AlertRecord {
        with_indicator(at, alertname, unit, "completion", period, outcome)
    }

    fn with_indicator(at: i64, alertname: &str, unit: &str, indicator: &str, period: &str, outcome: &str) -> AlertRecord {
        AlertRecord {
            at,
            alertname: alertname.into(),
            unit: Some(unit.into()),
            state: "firing".into(),
            recipient: "Giám đốc <giamdoc@example.invalid>".into(),
            channel: "email".into(),
            outcome: outcome.into(),
            detail: String::new(),
            summary: format!("{unit} {alertname} {period}"),
            province: Some("31".into()),
            indicator: Some(indicator.into()),
            period: Some(period.into()),
        }
    }

    #[test]
    fn repeats_of_one_alert_unit_indicator_and_month_are_one_group() {
        let rows = [
            record(50, "DvcUnitAtRisk", "31-STP", "2026-11", "sent"),
            record(40, "DvcUnitBehindLastMonth", "31-STP", "2026-10", "sent"),
            record(30, "DvcUnitAtRisk", "31-STP", "2026-11", "failed"),
            record(20, "DvcUnitAtRisk", "31-SYT", "2026-11", "sent"),
            record(10, "DvcUnitAtRisk", "31-STP", "2026-11", "sent"),
            record(5, "DvcUnitAtRisk", "31-STP", "2026-10", "sent"),
            with_indicator(4, "DvcUnitAtRisk", "31-STP", "intake", "2026-11", "sent"),
        ];
        let groups = group(&rows);
        let seen: Vec<(&str, &str, &str, usize, usize, i64, i64)> = groups
            .iter()
            .map(|g| (g.alertname.as_str(), g.unit.as_deref().unwrap(), g.period.as_deref().unwrap(), g.count, g.failed, g.first_at, g.last_at))
            .collect();
        assert_eq!(
            seen,
            [
                ("DvcUnitAtRisk", "31-STP", "2026-11", 3, 1, 10, 50),
                ("DvcUnitBehindLastMonth", "31-STP", "2026-10", 1, 0, 40, 40),
                ("DvcUnitAtRisk", "31-SYT", "2026-11", 1, 0, 20, 20),
                ("DvcUnitAtRisk", "31-STP", "2026-10", 1, 0, 5, 5),
                ("DvcUnitAtRisk", "31-STP", "2026-11", 1, 0, 4, 4),
            ]
        );
        assert_eq!(groups[0].latest, rows[0]);
        assert_eq!(groups[0].recipients, [rows[0].clone()], "one recipient and channel, its last notification");
        let mut webhook = rows[2].clone();
        webhook.channel = "webhook".into();
        let both = group(&[rows[0].clone(), webhook.clone(), rows[4].clone()]);
        assert_eq!((both.len(), both[0].count), (1, 3));
        assert_eq!(both[0].recipients, [rows[0].clone(), webhook], "by email, and by webhook");
    }
}
