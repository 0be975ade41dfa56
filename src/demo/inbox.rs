//! The demo's local inbox: every unit of the demo province has a head (a made-up name, an
//! `example.invalid` address) whose webhook is this inbox, so the alerts the service raises travel the
//! production path (evaluator → dispatcher → webhook delivery) and land where a first-time user can read
//! them, at `/demo/inbox`. Messages are kept in memory, the latest 500.

use crate::clock::Clock;
use crate::domain::{Contact, Unit, UnitKind};
use crate::web::pages::alerts::when;
use crate::web::pages::layout::layout_styled;
use crate::web::params::Path;
use axum::extract::Extension;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use maud::{html, Markup};
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

const STYLE: &str = "
.message { border: 1px solid var(--line); border-radius: 6px; padding: .2rem 1rem .8rem; margin: 0 0 1rem; }
.message h2 { font-size: 1.05rem; }
.message .meta { display: grid; grid-template-columns: max-content 1fr; gap: .15rem .8rem; margin: 0 0 .5rem; }
.message .meta dt { color: var(--muted); }
.message .meta dd { margin: 0; }
.message-body { white-space: pre-wrap; overflow-wrap: anywhere; }
";

/// Messages kept; older ones are dropped.
const KEEP: usize = 500;

pub struct Inbox {
    messages: Mutex<VecDeque<Received>>,
    /// The receiver's path holds this secret: only the dispatcher, which the contacts give it to, can post.
    secret: String,
    clock: Clock,
    /// How often alerts are evaluated, to tell the reader when to expect the first message.
    every_seconds: u64,
}

/// One message as the head's webhook received it.
#[derive(Debug, Clone, Serialize)]
pub struct Received {
    /// Milliseconds since the epoch, by the demo's clock.
    pub at: i64,
    pub unit: String,
    pub name: String,
    pub subject: String,
    pub text: String,
    pub alerts: usize,
}

/// The body `alerting::deliver::Deliverer::webhook` posts.
#[derive(Deserialize)]
struct Hook {
    recipient: Recipient,
    title: String,
    text: String,
    #[serde(default)]
    alerts: Vec<serde_json::Value>,
}

#[derive(Deserialize)]
struct Recipient {
    unit: String,
    name: String,
}

impl Inbox {
    pub fn new(clock: Clock, every_seconds: u64) -> Arc<Inbox> {
        Arc::new(Inbox { messages: Mutex::new(VecDeque::new()), secret: crate::ingest::token::generate(), clock, every_seconds })
    }

    /// Newest first.
    pub fn messages(&self) -> Vec<Received> {
        self.messages.lock().expect("not poisoned").iter().rev().cloned().collect()
    }

    /// A made-up head for each unit, reachable at this inbox (`base`: the demo's own address).
    pub fn heads(&self, base: &str, units: &[Unit]) -> Vec<Contact> {
        let webhook = format!("{base}/demo/inbox/hook/{}", self.secret);
        units
            .iter()
            .map(|u| Contact {
                unit: u.code.clone(),
                name: format!("{} (giả lập)", head_of(u)),
                email: Some(format!("thutruong.{}@demo.example.invalid", u.code.to_lowercase())),
                webhook: Some(webhook.clone()),
            })
            .collect()
    }

    fn keep(&self, message: Received) {
        let mut messages = self.messages.lock().expect("not poisoned");
        if messages.len() == KEEP {
            messages.pop_front();
        }
        messages.push_back(message);
    }
}

/// Who heads a unit: the chair of the people's committee of a commune or province, else its head.
fn head_of(u: &Unit) -> String {
    const CHAIR: &str = "Chủ tịch Ủy ban nhân dân";
    match u.kind {
        UnitKind::Province => crate::registry::names::department(CHAIR, &u.name),
        UnitKind::Commune => {
            let mut name = u.name.chars();
            let first = name.next().map(|c| c.to_lowercase().collect::<String>()).unwrap_or_default();
            format!("{CHAIR} {first}{}", name.as_str())
        }
        _ => format!("Thủ trưởng {}", u.name),
    }
}

/// The receiver (outside the viewer credential: the dispatcher has none), and the pages that read the
/// inbox (behind it when one is set), for `web::build_router_with` (or any router: they use no state).
pub fn routes<S: Clone + Send + Sync + 'static>(inbox: Arc<Inbox>) -> (Router<S>, Router<S>) {
    let open = Router::new().route("/demo/inbox/hook/{secret}", post(receive)).layer(Extension(inbox.clone()));
    let read = Router::new()
        .route("/demo/inbox", get(page))
        .route("/demo/inbox.json", get(|Extension(inbox): Extension<Arc<Inbox>>| async move { Json(inbox.messages()) }))
        .layer(Extension(inbox));
    (open, read)
}

async fn receive(Extension(inbox): Extension<Arc<Inbox>>, Path(secret): Path<String>, Json(hook): Json<Hook>) -> StatusCode {
    if !crate::web::credential::matches(&secret, &inbox.secret) {
        return StatusCode::NOT_FOUND;
    }
    inbox.keep(Received {
        at: inbox.clock.now_ms(),
        unit: hook.recipient.unit,
        name: hook.recipient.name,
        subject: hook.title,
        text: hook.text,
        alerts: hook.alerts.len(),
    });
    StatusCode::OK
}

async fn page(Extension(inbox): Extension<Arc<Inbox>>) -> Markup {
    view(&inbox.messages(), inbox.every_seconds)
}

/// The inbox, newest message first, each with its recipient, time, subject and body (links clickable).
pub fn view(messages: &[Received], every_seconds: u64) -> Markup {
    layout_styled("Hộp thư demo", STYLE, html! {
        h1 { "Hộp thư demo" }
        p {
            "Thư cảnh báo mà dvc-monitor gửi cho thủ trưởng (giả lập) của các đơn vị trong bản demo. Mỗi đơn vị có một "
            "người nhận với địa chỉ không có thật (…@demo.example.invalid) và một webhook trỏ về chính bản demo, nên thư "
            "đi đúng đường của bản chính thức (bộ đánh giá → bộ điều phối → gửi webhook) và đến đây. Cảnh báo được đánh giá "
            "mỗi " (every_seconds) " giây. Mọi lần gửi cũng có trong " a href="/alerts" { "lịch sử cảnh báo" } "."
        }
        @if messages.is_empty() {
            p { "Chưa có thư nào. Thư đầu tiên đến trong khoảng " (every_seconds) " giây sau khi lịch sử được nạp xong." }
        } @else {
            p.muted { (messages.len()) " thư, mới nhất trước." }
        }
        @for (i, m) in messages.iter().enumerate() {
            article.message aria-labelledby={ "thu-" (i) } {
                h2 id={ "thu-" (i) } { (m.subject) }
                dl.meta {
                    dt { "Người nhận" } dd { (m.name) " · " a href={ "/units/" (m.unit) } { (m.unit) } }
                    dt { "Nhận lúc" } dd { (when(m.at)) }
                    dt { "Số cảnh báo" } dd { (m.alerts) }
                }
                div.message-body { (linked(&m.text)) }
            }
        }
    })
}

/// The text with each http(s) address made a link; everything else as it is (HTML-escaped).
fn linked(text: &str) -> Markup {
    let mut parts: Vec<(bool, &str)> = Vec::new();
    let mut rest = text;
    while let Some(start) = ["http://", "https://"].iter().filter_map(|p| rest.find(p)).min() {
        let end = rest[start..].find(char::is_whitespace).map_or(rest.len(), |e| start + e);
        parts.push((false, &rest[..start]));
        parts.push((true, &rest[start..end]));
        rest = &rest[end..];
    }
    parts.push((false, rest));
    html! {
        @for (is_link, part) in parts {
            @if is_link { a href=(part) { (part) } } @else { (part) }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_in_the_body_are_clickable_and_the_rest_escaped() {
        let html = linked("Xem <tại> http://127.0.0.1:8080/units/31-STP?month=2026-10\n  Biểu đồ: https://g/d?x=1&y=2").into_string();
        assert_eq!(
            html,
            "Xem &lt;tại&gt; <a href=\"http://127.0.0.1:8080/units/31-STP?month=2026-10\">http://127.0.0.1:8080/units/31-STP?month=2026-10</a>\n  \
             Biểu đồ: <a href=\"https://g/d?x=1&amp;y=2\">https://g/d?x=1&amp;y=2</a>"
        );
    }

    #[test]
    fn the_inbox_keeps_the_latest_messages_newest_first() {
        let inbox = Inbox::new(Clock::Fixed(1_795_000_000_000), 60);
        for i in 0..KEEP + 2 {
            inbox.keep(Received { at: i as i64, unit: "31-STP".into(), name: "X".into(), subject: format!("{i}"), text: String::new(), alerts: 1 });
        }
        let messages = inbox.messages();
        assert_eq!(messages.len(), KEEP);
        assert_eq!((messages[0].subject.as_str(), messages[KEEP - 1].subject.as_str()), ("501", "2"));
        let unit = |code: &str, name: &str, kind| Unit { code: code.into(), name: name.into(), kind, parent: None };
        let units = [
            unit("31-STP", "Sở Tư pháp thành phố Hải Phòng", UnitKind::Department),
            unit("31", "Thành phố Hải Phòng", UnitKind::Province),
            unit("40", "Nghệ An", UnitKind::Province),
            unit("11311", "Phường Hồng Bàng", UnitKind::Commune),
        ];
        let heads = inbox.heads("http://127.0.0.1:9", &units);
        let names: Vec<&str> = heads.iter().map(|h| h.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "Thủ trưởng Sở Tư pháp thành phố Hải Phòng (giả lập)",
                "Chủ tịch Ủy ban nhân dân thành phố Hải Phòng (giả lập)",
                "Chủ tịch Ủy ban nhân dân tỉnh Nghệ An (giả lập)",
                "Chủ tịch Ủy ban nhân dân phường Hồng Bàng (giả lập)",
            ]
        );
        assert!(heads.iter().all(|h| h.email.as_deref().unwrap().ends_with("@demo.example.invalid")));
        assert!(heads[0].webhook.as_deref().unwrap().starts_with("http://127.0.0.1:9/demo/inbox/hook/"));
    }
}
