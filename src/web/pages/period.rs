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

/// For a period still running: the day of it `now_ms` is on, and how many days it has.
fn running_days(period: Period, now_ms: i64) -> Option<(i64, i64)> {
    const DAY: i64 = 86_400_000;
    match period.progress(now_ms) {
        Progress::Current { elapsed_ms, length_ms } => Some(((elapsed_ms + DAY - 1) / DAY, length_ms / DAY)),
        _ => None,
    }
}

/// The period in words and how final its figures are, for the title lines of an export:
/// provisional while it runs (with the time of the last event), as published once closed.
pub fn when_vi(period: Period, now_ms: i64, updated_at: Option<i64>, closed_at: Option<i64>) -> String {
    let label = period.label_vi();
    if let Some((days, of)) = running_days(period, now_ms) {
        let updated = match updated_at {
            Some(at) => format!("cập nhật lần cuối lúc {}", local_time(at)),
            None => "chưa nhận được hồ sơ nào".into(),
        };
        return format!("{label} — SỐ LIỆU TẠM TÍNH: kỳ chưa kết thúc (ngày {days} trong {of} ngày), trạng thái là dự báo đến cuối kỳ; {updated}");
    }
    match (period.progress(now_ms), closed_at) {
        (Progress::NotStarted, _) => format!("{label} — kỳ chưa bắt đầu"),
        (_, Some(at)) => format!("{label} — số liệu đã chốt, công bố lúc {}", local_time(at)),
        _ => format!("{label} — kỳ đã kết thúc"),
    }
}

/// The note over a period's figures: provisional while the period runs (with how much of it has
/// passed and when the last event arrived), nothing once it is over.
pub fn provisional_note(period: Period, now_ms: i64, updated_at: Option<i64>) -> Markup {
    let Some((days, of)) = running_days(period, now_ms) else { return html! {} };
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

#[cfg(test)]
mod tests {
    use super::*;

    fn at(rfc3339: &str) -> i64 {
        chrono::DateTime::parse_from_rfc3339(rfc3339).unwrap().timestamp_millis()
    }

    #[test]
    fn says_whether_figures_are_provisional_final_or_published() {
        let now = at("2026-12-16T09:30:00+07:00");
        let p = |s: &str| s.parse::<Period>().unwrap();
        assert_eq!(
            when_vi(p("2026-Q4"), now, Some(at("2026-12-16T08:05:00+07:00")), None),
            "quý IV/2026 — SỐ LIỆU TẠM TÍNH: kỳ chưa kết thúc (ngày 77 trong 92 ngày), trạng thái là dự báo đến cuối kỳ; cập nhật lần cuối lúc 08:05 16/12/2026"
        );
        assert!(when_vi(p("2026-12"), now, None, None).ends_with("chưa nhận được hồ sơ nào"));
        assert_eq!(when_vi(p("2026-11"), now, None, None), "tháng 11/2026 — kỳ đã kết thúc");
        assert_eq!(
            when_vi(p("2026-11"), now, None, Some(at("2026-12-05T10:00:00+07:00"))),
            "tháng 11/2026 — số liệu đã chốt, công bố lúc 10:00 05/12/2026"
        );
        assert_eq!(when_vi(p("2027"), now, None, None), "năm 2027 — kỳ chưa bắt đầu");
    }
}
