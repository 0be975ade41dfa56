//! `/alerts`: who was warned about what, and whether the message arrived. Filtered by province, unit and
//! alert with a plain GET form (the filter stays in the URL, no JavaScript), and repeats of the same alert
//! about the same unit and month shown once, with their count and first and last time.

use super::layout::{layout_styled, query_string};
use super::runbook::ENTRIES;
use crate::alerting::mask;
use crate::alerting::repeats::{self, AlertGroup};
use crate::domain::UnitKind;
use crate::registry::Registry;
use crate::store::{AlertFilter, AlertRecord};
use crate::web::error::Result;
use crate::web::params::{Query, ReadParams};
use crate::web::AppState;
use axum::extract::State;
use maud::{html, Markup};

/// Notifications read for the page: the groups count within them.
const READ: i64 = 2000;

pub async fn page(State(state): State<AppState>, Query(p): Query<ReadParams>) -> Result<Markup> {
    let filter = p.alert_filter()?;
    let rows = state.store.alert_history(&filter, p.alert_limit(READ)).await?;
    let registry = state.store.registry().await?;
    let groups = repeats::group(&rows);
    Ok(layout_styled("Lịch sử cảnh báo", ".recipient { margin: 0 0 .4rem; } .recipient:last-child { margin-bottom: 0; }", html! {
        h1 { "Lịch sử cảnh báo" }
        p.muted {
            "Mỗi dòng là một cảnh báo về một chỉ số của một đơn vị trong một tháng; các lần gửi lặp lại (sau mỗi lần khởi động lại, "
            "hoặc khi cảnh báo hết rồi xuất hiện lại) được gộp, kèm số lần và thời điểm lần đầu, lần cuối. Mới nhất trước."
        }
        @if state.settings.demo_inbox {
            p { "Bản demo: thư gửi thủ trưởng (giả lập) các đơn vị đến " a href="/demo/inbox" { "hộp thư demo" } "." }
        }
        (filters(&filter, &registry))
        (grouped(&groups, &registry, rows.len()))
        p { a href={ "/api/v1/alerts?" (query_string(&[("province", filter.province.as_deref()), ("unit", filter.unit.as_deref()), ("alert", filter.alertname.as_deref())])) } {
            "Từng thông báo (JSON)"
        } }
    }))
}

/// The filter form: province and alert from lists, the unit by its code (suggested from the province's units).
fn filters(f: &AlertFilter, registry: &Registry) -> Markup {
    let provinces = registry.units.of_kind(UnitKind::Province, None);
    let units: Vec<_> = match f.province.as_deref() {
        Some(p) => registry.units.all().iter().filter(|u| u.parent.as_deref() == Some(p)).collect(),
        None => Vec::new(),
    };
    html! {
        form.filters method="get" action="/alerts" aria-label="Lọc cảnh báo" {
            label { "Tỉnh, thành phố"
                select name="province" {
                    option value="" selected[f.province.is_none()] { "Tất cả" }
                    @for u in &provinces {
                        option value=(u.code) selected[f.province.as_deref() == Some(u.code.as_str())] { (u.name) }
                    }
                }
            }
            label { "Mã đơn vị"
                input type="text" name="unit" value=[f.unit.as_deref()] list="don-vi" placeholder="vd. 31-STP" autocomplete="off";
            }
            datalist id="don-vi" {
                @for u in &units { option value=(u.code) { (u.name) } }
            }
            label { "Cảnh báo"
                select name="alert" {
                    option value="" selected[f.alertname.is_none()] { "Tất cả" }
                    @for (name, title, _) in ENTRIES {
                        option value=(name) selected[f.alertname.as_deref() == Some(*name)] { (title) " (" (name) ")" }
                    }
                }
            }
            button type="submit" { "Lọc" }
            @if f != &AlertFilter::default() { " " a href="/alerts" { "Bỏ lọc" } }
        }
    }
}

fn grouped(groups: &[AlertGroup], registry: &Registry, read: usize) -> Markup {
    let name = |code: &Option<String>| code.as_deref().and_then(|c| registry.units.get(c)).map(|u| u.name.clone());
    super::layout::scroll_box("cap-nhom-canh-bao", html! {
        table {
            caption id="cap-nhom-canh-bao" { (groups.len()) " cảnh báo, từ " (read) " thông báo, mới nhất trước." }
            thead { tr {
                th scope="col" { "Cảnh báo" } th scope="col" { "Tháng" } th scope="col" { "Số lần gửi" }
                th scope="col" { "Lần đầu" } th scope="col" { "Lần cuối" } th scope="col" { "Trạng thái" }
                th scope="col" { "Người nhận, kết quả lần cuối" }
            } }
            tbody {
                @for g in groups { tr {
                    td {
                        (g.latest.summary) br;
                        span.muted {
                            (g.alertname)
                            @if let Some(u) = &g.unit {
                                " · " a href={ "/units/" (u) @if let Some(m) = &g.period { "?month=" (m) } } { (name(&g.unit).unwrap_or_else(|| u.clone())) }
                            }
                        }
                    }
                    td.num { (period_vi(g.period.as_deref())) }
                    td.num { (g.count) @if g.failed > 0 { br; span.muted { (g.failed) " không gửi được" } } }
                    td { (when(g.first_at)) }
                    td { (when(g.last_at)) }
                    td { (state(&g.latest)) }
                    td { @for r in &g.recipients {
                        p.recipient { (mask::text(&r.recipient)) " " span.muted { "(" (r.channel) ")" } br; (outcome(r)) }
                    } }
                } }
                @if groups.is_empty() { tr { td colspan="7" { "Không có cảnh báo nào." } } }
            }
        }
    })
}

/// `2026-10` as `10/2026`; a dash when the alert speaks of no month.
fn period_vi(period: Option<&str>) -> String {
    match period.and_then(|p| p.parse::<crate::domain::Month>().ok()) {
        Some(m) => format!("{}/{}", m.month(), m.year()),
        None => "—".into(),
    }
}

fn state(r: &AlertRecord) -> &'static str {
    if r.state == "resolved" {
        "Đã hết"
    } else {
        "Đang cảnh báo"
    }
}

fn outcome(r: &AlertRecord) -> Markup {
    html! {
        @if r.outcome == "sent" { span.status.ok { "Đã gửi" } } @else { span.status.bad { "Không gửi được" } br; span.muted { (mask::text(&r.detail)) } }
    }
}

/// The history table, shown on each unit's page. Addresses are masked (`alerting::mask`).
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
                    td { (r.summary) br; span.muted { (r.alertname) @if let Some(u) = &r.unit {
                        " · " a href={ "/units/" (u) @if let Some(m) = &r.period { "?month=" (m) } } { (u) }
                    } } }
                    td { (state(r)) }
                    td { (mask::text(&r.recipient)) }
                    td { (r.channel) }
                    td { (outcome(r)) }
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
