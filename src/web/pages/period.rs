//! What every page says about its period: the selector (months, quarters, halves and years, grouped),
//! and the note that figures of a period still running are provisional, with the time of the last
//! event received.

use crate::domain::{Month, Period, PeriodKind, Progress};
use maud::{html, Markup};

/// The periods a selector offers, newest first within each kind: two years of months, eight quarters,
/// four halves, three years, ending with the one `now_ms` falls in.
pub fn choices(now_ms: i64) -> Vec<(PeriodKind, Vec<Period>)> {
    let month = Month::of_millis(now_ms);
    PeriodKind::ALL
        .into_iter()
        .map(|kind| {
            let n = if kind == PeriodKind::Month { 24 } else { kind.history_len() };
            let mut list = Period::containing(kind, month).trailing(n);
            list.reverse();
            (kind, list)
        })
        .collect()
}

/// A `<select name="period">` grouped by kind; the period shown is selected (and added if it is
/// older than the choices).
pub fn select(shown: Period, choices: &[(PeriodKind, Vec<Period>)]) -> Markup {
    let listed = choices.iter().any(|(_, l)| l.contains(&shown));
    html! {
        label { "Kỳ báo cáo"
            select name="period" {
                @if !listed { option value=(shown) selected { (capitalised(&shown.label_vi())) } }
                @for (kind, list) in choices {
                    optgroup label=(kind.label_vi()) {
                        @for p in list {
                            option value=(p) selected[*p == shown] { (capitalised(&p.label_vi())) }
                        }
                    }
                }
            }
        }
    }
}

/// "tháng 11/2026" → "Tháng 11/2026", for the start of a line.
pub fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

/// A local date and time, `HH:MM dd/mm/yyyy` in Vietnam's time.
pub fn local_time(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.with_timezone(&crate::domain::month::vn_offset()).format("%H:%M %d/%m/%Y").to_string())
        .unwrap_or_default()
}

/// The note over a period's figures: provisional while the period runs (with how much of it has
/// passed and when the last event arrived), nothing once it is over.
pub fn provisional_note(period: Period, now_ms: i64, updated_at: Option<i64>) -> Markup {
    let Progress::Current { elapsed_ms, length_ms } = period.progress(now_ms) else { return html! {} };
    const DAY: i64 = 86_400_000;
    let (days, of) = ((elapsed_ms + DAY - 1) / DAY, length_ms / DAY);
    html! {
        p.provisional role="note" {
            strong { "Số liệu tạm tính" } ": " (period.label_vi()) " chưa kết thúc (ngày " (days) " trong " (of) " ngày); "
            "trạng thái là dự báo đến cuối kỳ theo nhịp hiện tại. "
            @match updated_at {
                Some(at) => { "Cập nhật lần cuối lúc " (local_time(at)) "." }
                None => { "Chưa nhận được hồ sơ nào." }
            }
        }
    }
}
