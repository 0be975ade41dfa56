//! The dossiers to chase as one table: codes as codes, times in Vietnam time, the failed steps in words
//! (and as the API's keys for machines).

use super::sheet::{columns, Cell, Sheet};
use crate::report::chase::{step_vi, ChaseList};
use crate::web::pages::dossiers::{channel_vi, payment_vi};

const COLUMNS: [(&str, &str); 13] = [
    ("Mã hồ sơ", "code"),
    ("Mã đơn vị", "unit"),
    ("Đơn vị", "unit_name"),
    ("Mã thủ tục", "procedure"),
    ("Thủ tục", "procedure_name"),
    ("Tiếp nhận", "received_at"),
    ("Trả kết quả", "returned_at"),
    ("Hạn giải quyết", "due"),
    ("Kênh nộp", "channel"),
    ("Nhận kết quả", "result_delivery"),
    ("Phí, lệ phí", "payment"),
    ("Bước chưa đạt", "failed_vi"),
    ("Mã bước chưa đạt", "failed"),
];

pub fn dossiers_sheet(l: &ChaseList) -> Sheet {
    let time = |t: &Option<String>| {
        Cell::text(t.as_deref().and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok()).map(|t| t.format("%d/%m/%Y %H:%M").to_string()).unwrap_or_default())
    };
    let rows = l
        .dossiers
        .iter()
        .map(|d| {
            vec![
                Cell::code(&d.code),
                Cell::code(&d.unit),
                Cell::text(&d.unit_name),
                Cell::code(&d.procedure),
                Cell::text(&d.procedure_name),
                time(&d.received_at),
                time(&d.returned_at),
                time(&d.due),
                Cell::text(channel_vi(d.channel)),
                Cell::text(channel_vi(d.result_delivery)),
                Cell::text(payment_vi(d.payment)),
                Cell::text(d.failed.iter().map(|s| step_vi(*s)).collect::<Vec<_>>().join("; ")),
                Cell::text(d.failed.iter().map(|s| s.code()).collect::<Vec<_>>().join(";")),
            ]
        })
        .collect();
    Sheet {
        name: format!("Hồ sơ {}", l.period.short_label().to_string().replace('/', "-")),
        title: format!("{} ({}): hồ sơ cần xử lý — {}", l.name, l.unit, l.indicator.label_vi()),
        columns: columns(&COLUMNS),
        rows,
        total: None,
    }
}
