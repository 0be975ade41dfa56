//! `/alerts`: who was warned about what, and whether the message arrived.

use super::layout::layout;
use crate::alerting::mask;
use crate::store::AlertRecord;
use crate::web::error::Result;
use crate::web::AppState;
use axum::extract::State;
use maud::{html, Markup};

pub async fn page(State(state): State<AppState>) -> Result<Markup> {
    let rows = state.store.alert_history(None, 500).await?;
    Ok(layout("Lịch sử cảnh báo", html! {
        h1 { "Lịch sử cảnh báo" }
        p.muted { "Mọi thông báo đã gửi, đã hết hoặc gửi không thành công, mới nhất trước." }
        (history(&rows))
    }))
}

/// The history table, also shown on each unit's page. Addresses are masked (`alerting::mask`).
pub fn history(rows: &[AlertRecord]) -> Markup {
    super::layout::scroll_box("cap-canh-bao", html! {
        table {
            caption id="cap-canh-bao" { "Thông báo cảnh báo, mới nhất trước." }
            thead { tr {
                th scope="col" { "Thời điểm" } th scope="col" { "Cảnh báo" } th scope="col" { "Trạng thái" }
                th scope="col" { "Người nhận" } th scope="col" { "Kênh" } th scope="col" { "Kết quả" }
            } }
            tbody {
                @for r in rows { tr {
                    td { (when(r.at)) }
                    td { (r.summary) br; span.muted { (r.alertname) @if let Some(u) = &r.unit { " · " a href={ "/units/" (u) } { (u) } } } }
                    td { @if r.state == "resolved" { "Đã hết" } @else { "Đang cảnh báo" } }
                    td { (mask::text(&r.recipient)) }
                    td { (r.channel) }
                    td { @if r.outcome == "sent" { span.status.ok { "Đã gửi" } } @else { span.status.bad { "Không gửi được" } br; span.muted { (mask::text(&r.detail)) } } }
                } }
                @if rows.is_empty() { tr { td colspan="6" { "Chưa có cảnh báo nào." } } }
            }
        }
    })
}

/// An instant as pages show it: Vietnam's local day and minute.
pub fn when(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.with_timezone(&crate::domain::month::vn_offset()).format("%d/%m/%Y %H:%M").to_string())
        .unwrap_or_default()
}
