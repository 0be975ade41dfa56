//! From alerts to people: find each alert's recipient in the registry, send one grouped message per
//! recipient (now, or in the next digest), and keep every outcome in the alert history.

use super::deliver::Deliverer;
use super::message::compose;
use super::Alert;
use crate::domain::{Contact, UnitKind, UnitTree};
use crate::store::{AlertRecord, Store, StoreError};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Mutex;

pub struct Dispatcher {
    store: Arc<dyn Store>,
    /// Stamps the history's records.
    clock: crate::clock::Clock,
    deliverer: Deliverer,
    /// With a digest, messages wait and go out together every period.
    digest: Option<Duration>,
    queue: Mutex<BTreeMap<String, Vec<Alert>>>,
}

/// Which unit's head an alert is for: the province leader for escalations and source problems,
/// otherwise the unit's own head.
fn recipient_unit(a: &Alert, tree: &UnitTree) -> Option<String> {
    let unit = a.label("unit");
    if a.label("recipient") == Some("province") {
        if let Some(p) = a.label("province").filter(|p| !p.is_empty()) {
            return Some(p.to_string());
        }
        return unit.and_then(|u| tree.ancestor_of_kind(u, UnitKind::Province)).map(|u| u.code.clone());
    }
    unit.or(a.label("province")).map(String::from)
}

/// What a report sent through the dispatcher is recorded as in the alert history.
pub struct ReportNote<'a> {
    /// The history's alert name, e.g. `WeeklyReport`.
    pub name: &'a str,
    pub summary: &'a str,
    pub province: Option<&'a str>,
    /// `YYYY-MM`: the month it speaks of.
    pub period: Option<&'a str>,
}

impl Dispatcher {
    pub fn new(store: Arc<dyn Store>, clock: crate::clock::Clock, deliverer: Deliverer, digest: Option<Duration>) -> Arc<Dispatcher> {
        Arc::new(Dispatcher { store, clock, deliverer, digest, queue: Mutex::new(BTreeMap::new()) })
    }

    /// With a digest, sends what waits every period, until the task is dropped. Started by the serve
    /// command (`AppState::start_background`), never by the constructor.
    pub async fn run_digest(self: Arc<Self>) {
        let Some(every) = self.digest else { return };
        let mut tick = tokio::time::interval(every);
        tick.tick().await;
        loop {
            tick.tick().await;
            if let Err(e) = self.flush().await {
                tracing::warn!(error = %e, "alert digest failed");
            }
        }
    }

    /// Sends (or queues for the digest) the alerts, grouped by recipient. Returns what was recorded.
    pub async fn dispatch(&self, alerts: Vec<Alert>) -> Result<Vec<AlertRecord>, StoreError> {
        if alerts.is_empty() {
            return Ok(Vec::new());
        }
        let tree = UnitTree::new(self.store.units().await?);
        let mut groups: BTreeMap<String, Vec<Alert>> = BTreeMap::new();
        for a in alerts {
            groups.entry(recipient_unit(&a, &tree).unwrap_or_default()).or_default().push(a);
        }
        if self.digest.is_some() {
            let mut q = self.queue.lock().await;
            for (unit, alerts) in groups {
                q.entry(unit).or_default().extend(alerts);
            }
            return Ok(Vec::new());
        }
        self.send(groups).await
    }

    /// Sends a report (not an alert) to the head of `unit` by every channel they can be reached on
    /// (the email carries the message's attachment), and records each outcome in the alert history.
    pub async fn send_report(&self, unit: &str, message: &super::message::Message, note: &ReportNote<'_>) -> Result<Vec<AlertRecord>, StoreError> {
        let contact = self.store.contacts().await?.into_iter().find(|c| c.unit == unit);
        let mut outcomes: Vec<(String, String, Result<String, String>)> = Vec::new();
        match contact.filter(|c| c.webhook.is_some() || (c.email.is_some() && self.deliverer.can_email())) {
            None => outcomes.push((unit.to_string(), "none".into(), Err(format!("no head of unit {unit:?} with a reachable email or webhook in the registry")))),
            Some(c) => {
                let who = |addr: &Option<String>| format!("{} <{}>", c.name, addr.clone().unwrap_or_default());
                if c.email.is_some() && self.deliverer.can_email() {
                    outcomes.push((who(&c.email), "email".into(), self.deliverer.email(&c, message).await));
                }
                if c.webhook.is_some() {
                    outcomes.push((who(&c.webhook), "webhook".into(), self.deliverer.webhook(&c, message, &[]).await));
                }
            }
        }
        let now = self.clock.now_ms();
        let records: Vec<AlertRecord> = outcomes
            .into_iter()
            .map(|(recipient, channel, result)| AlertRecord {
                at: now,
                alertname: note.name.to_string(),
                unit: Some(unit.to_string()),
                state: "report".into(),
                recipient,
                channel,
                outcome: if result.is_ok() { "sent" } else { "failed" }.to_string(),
                detail: result.unwrap_or_else(|e| e),
                summary: note.summary.to_string(),
                province: note.province.map(String::from),
                indicator: Some("completion".into()),
                period: note.period.map(String::from),
            })
            .collect();
        self.store.record_alerts(&records).await?;
        Ok(records)
    }

    /// Sends everything the digest holds.
    pub async fn flush(&self) -> Result<Vec<AlertRecord>, StoreError> {
        let groups = std::mem::take(&mut *self.queue.lock().await);
        self.send(groups).await
    }

    async fn send(&self, groups: BTreeMap<String, Vec<Alert>>) -> Result<Vec<AlertRecord>, StoreError> {
        if groups.is_empty() {
            return Ok(Vec::new());
        }
        let contacts: BTreeMap<String, Contact> = self.store.contacts().await?.into_iter().map(|c| (c.unit.clone(), c)).collect();
        let now = self.clock.now_ms();
        let mut records = Vec::new();
        for (unit, alerts) in groups {
            let contact = contacts.get(&unit).filter(|c| c.webhook.is_some() || (c.email.is_some() && self.deliverer.can_email()));
            let mut outcomes: Vec<(String, String, Result<String, String>)> = Vec::new();
            match contact {
                None => outcomes.push((
                    unit.clone(),
                    "none".into(),
                    Err(format!("no head of unit {unit:?} with a reachable email or webhook in the registry")),
                )),
                Some(c) => {
                    let message = compose(&c.name, &alerts);
                    let who = |addr: &Option<String>| format!("{} <{}>", c.name, addr.clone().unwrap_or_default());
                    if c.email.is_some() && self.deliverer.can_email() {
                        outcomes.push((who(&c.email), "email".into(), self.deliverer.email(c, &message).await));
                    }
                    if c.webhook.is_some() {
                        outcomes.push((who(&c.webhook), "webhook".into(), self.deliverer.webhook(c, &message, &alerts).await));
                    }
                }
            }
            for (recipient, channel, result) in outcomes {
                if let Err(e) = &result {
                    tracing::warn!(%recipient, %channel, error = %e, "alert not delivered");
                }
                for a in &alerts {
                    records.push(AlertRecord {
                        at: now,
                        alertname: a.name().to_string(),
                        unit: a.label("unit").or(a.label("source")).map(String::from),
                        state: a.state.as_str().to_string(),
                        recipient: recipient.clone(),
                        channel: channel.clone(),
                        outcome: if result.is_ok() { "sent" } else { "failed" }.to_string(),
                        detail: match &result {
                            Ok(address) => address.clone(),
                            Err(e) => e.clone(),
                        },
                        summary: a.annotation("summary").to_string(),
                        province: a.label("province").filter(|p| !p.is_empty()).map(String::from),
                        indicator: a.label("indicator").map(String::from),
                        period: Some(a.annotation("month")).filter(|m| !m.is_empty()).map(String::from),
                    });
                }
            }
        }
        self.store.record_alerts(&records).await?;
        Ok(records)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alerting::AlertState;
    use crate::clock::Clock;
    use crate::domain::{Unit, UnitKind};

    /// 2027-01-01T00:05:00+07:00, while UTC is still in 2026.
    const NOW: i64 = 1_798_736_700_000;

    #[tokio::test]
    async fn records_are_stamped_by_the_clock_it_is_given() {
        let dir = tempfile::tempdir().unwrap();
        let store: Arc<dyn Store> =
            Arc::new(crate::store::SqliteStore::connect(&format!("sqlite://{}", dir.path().join("t.db").display())).await.unwrap());
        let unit = |code: &str, kind, parent: Option<&str>| Unit { code: code.into(), name: code.into(), kind, parent: parent.map(String::from) };
        store
            .upsert_units(&[unit("VN", UnitKind::Nation, None), unit("31", UnitKind::Province, Some("VN")), unit("31-STP", UnitKind::Department, Some("31"))])
            .await
            .unwrap();
        let dispatcher = Dispatcher::new(store.clone(), Clock::Fixed(NOW), Deliverer::new(None, "dvc <dvc@localhost>").unwrap(), None);
        let alert = Alert {
            state: AlertState::Firing,
            labels: [("alertname", "DvcUnitAtRisk"), ("unit", "31-STP"), ("indicator", "completion")]
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            annotations: BTreeMap::from([("summary".to_string(), "31-STP at risk".to_string())]),
            starts_at: "2026-12-31T17:05:00Z".into(),
        };
        let records = dispatcher.dispatch(vec![alert]).await.unwrap();
        assert_eq!(records.len(), 1);
        assert_eq!((records[0].at, records[0].channel.as_str(), records[0].outcome.as_str()), (NOW, "none", "failed"));
        let filter = crate::store::AlertFilter { unit: Some("31-STP".into()), ..Default::default() };
        assert_eq!(store.alert_history(&filter, 10).await.unwrap()[0].at, NOW);
    }
}
