//! `/sender-codes`: unit codes agency systems sent without a mapping, so the operator can map them.

use super::alerts::when;
use super::layout::layout;
use crate::domain::{HeldSteps, UnmappedCode};
use crate::web::error::Result;
use crate::web::AppState;
use axum::extract::State;
use maud::{html, Markup};

pub async fn page(State(state): State<AppState>) -> Result<Markup> {
    let rows = state.store.unmapped_codes().await?;
    let held = state.store.held_step_counts().await?;
    Ok(layout("Mã đơn vị chưa ánh xạ", html! {
        h1 { "Mã đơn vị chưa ánh xạ" }
        p.muted {
            "Mã đơn vị xử lý (DonViXuLy, madonvi) mà hệ thống của tỉnh gửi đến nhưng chưa được ánh xạ sang đơn vị trong danh mục. "
            "Hồ sơ mang các mã này bị từ chối cho đến khi được ánh xạ bằng lệnh "
            code { "dvc-monitor sender-codes import" } "."
        }
        (table(&rows))
        h2 { "Bước xử lý chờ hồ sơ" }
        p.muted {
            "Bước xử lý (tiến trình) của hồ sơ mà hệ thống gửi chưa gửi bản đồng bộ hồ sơ: được giữ lại (chỉ mã hồ sơ, trạng thái, thời điểm) "
            "và tính khi hồ sơ đến; tối đa 100.000 bước mỗi hệ thống, giữ 90 ngày."
        }
        (held_table(&held))
    }))
}

pub fn held_table(rows: &[HeldSteps]) -> Markup {
    super::layout::scroll_box("cap-buoc-cho", html! {
        table {
            caption id="cap-buoc-cho" { "Bước xử lý đang chờ hồ sơ, theo hệ thống gửi." }
            thead { tr { th scope="col" { "Hệ thống gửi" } th scope="col" { "Số bước chờ" } th scope="col" { "Bước cũ nhất đến lúc" } } }
            tbody {
                @for r in rows { tr {
                    th scope="row" { (r.source) }
                    td { (crate::web::format::integer(r.steps)) }
                    td { (when(r.oldest)) }
                } }
                @if rows.is_empty() { tr { td colspan="3" { "Không có bước nào đang chờ." } } }
            }
        }
    })
}

pub fn table(rows: &[UnmappedCode]) -> Markup {
    super::layout::scroll_box("cap-ma-chua-anh-xa", html! {
        table {
            caption id="cap-ma-chua-anh-xa" { "Mã chưa ánh xạ, gặp gần đây nhất trước." }
            thead { tr {
                th scope="col" { "Mã" } th scope="col" { "Hệ thống gửi" } th scope="col" { "Số hồ sơ bị từ chối" }
                th scope="col" { "Lần đầu" } th scope="col" { "Lần gần nhất" }
            } }
            tbody {
                @for r in rows { tr {
                    th scope="row" { (r.code) }
                    td { (r.source) }
                    td { (crate::web::format::integer(r.seen)) }
                    td { (when(r.first_seen)) }
                    td { (when(r.last_seen)) }
                } }
                @if rows.is_empty() { tr { td colspan="5" { "Không có mã nào chưa ánh xạ." } } }
            }
        }
    })
}
