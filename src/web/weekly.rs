//! The weekly quick report, sent on a schedule (`--weekly-report "mon 07:30"`): to each province's
//! leader the province's digest of the month so far and the last seven days, with the workbook
//! attached; to each head of a department or commune, their unit's part. Every delivery is kept in the
//! alert history as `WeeklyReport`, which is also how a restart knows this week's report went out.

use super::pages::period::local_time;
use super::AppState;
use crate::alerting::dispatch::ReportNote;
use crate::alerting::message::{Attachment, Message};
use crate::alerting::schedule::WeeklySchedule;
use crate::report::digest::{self, Digest};
use crate::store::{AlertFilter, AlertRecord};
use crate::web::format::{integer, percent};
use std::fmt::Write;
use std::time::Duration;

pub const NAME: &str = "WeeklyReport";
/// A report missed (the service was down at the hour) still goes out within this long after it.
const CATCH_UP_MS: i64 = 24 * 3_600_000;

/// Sends the report when it is due and not yet sent, checking every minute, until the task is dropped.
pub async fn run(state: AppState, schedule: WeeklySchedule) {
    let mut tick = tokio::time::interval(Duration::from_secs(60));
    loop {
        tick.tick().await;
        match send_if_due(&state, schedule).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(deliveries = n, "weekly quick report sent"),
            Err(e) => tracing::warn!(error = %e, "weekly quick report not sent"),
        }
    }
}

/// Sends this week's report if its hour has come within the last day and no delivery of it is
/// recorded since. Returns the deliveries recorded.
pub async fn send_if_due(state: &AppState, schedule: WeeklySchedule) -> anyhow::Result<usize> {
    let now = state.clock.now_ms();
    let due = schedule.last_due(now);
    if now - due > CATCH_UP_MS {
        return Ok(0);
    }
    let filter = AlertFilter { alertname: Some(NAME.into()), ..Default::default() };
    if state.store.alert_history(&filter, 1).await?.first().is_some_and(|r| r.at >= due) {
        return Ok(0);
    }
    Ok(send(state).await?.len())
}

/// Sends the report of every province now.
pub async fn send(state: &AppState) -> anyhow::Result<Vec<AlertRecord>> {
    let registry = state.store.registry().await?;
    let now = state.clock.now_ms();
    let updated_at = state.store.sources().await?.into_iter().map(|(_, at)| at).max();
    let public = state.settings.alerts.rules.public_url.clone();
    let reachable: std::collections::HashSet<String> = state.store.contacts().await?.into_iter().map(|c| c.unit).collect();
    let mut records = Vec::new();
    for province in registry.units.of_kind(crate::domain::UnitKind::Province, None) {
        let d = digest::weekly(state.store.as_ref(), &registry, province, state.settings.min_volume, now).await?;
        let (bytes, filename) = super::export::report_workbook(&d, now, updated_at).map_err(|e| anyhow::anyhow!("{e:?}"))?;
        let month = d.period.to_string();
        let mut leader = leader_message(&d, &public);
        leader.attachment = Some(Attachment { filename, content_type: XLSX.into(), bytes });
        // The leader's report is recorded even when it cannot be delivered (the operator sees why); a
        // head without an address is simply not written to.
        let mut parts = vec![(province.code.clone(), leader)];
        parts.extend(head_messages(&d, &public).into_iter().filter(|(unit, _)| reachable.contains(unit)));
        for (unit, message) in &parts {
            let note = ReportNote { name: NAME, summary: &message.subject, province: Some(&province.code), period: Some(&month) };
            records.extend(state.dispatcher.send_report(unit, message, &note).await?);
        }
    }
    Ok(records)
}

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

fn line(out: &mut String, text: impl AsRef<str>) {
    out.push_str(text.as_ref());
    out.push('\n');
}

/// The province leader's message: the whole digest in a few lines, and where to read more.
pub fn leader_message(d: &Digest, public: &str) -> Message {
    let mut t = String::new();
    let subject = format!("[dvc-monitor] Báo cáo nhanh tuần — {} — {} đến nay", d.province.name, d.period.label_vi());
    line(&mut t, "Kính gửi lãnh đạo ".to_string() + &d.province.name + ",");
    line(&mut t, "");
    let h = &d.headline[0];
    line(&mut t, format!("Tỷ lệ hồ sơ trực tuyến toàn trình của {}:", d.province.name));
    if let Some(w) = &d.week {
        line(&mut t, format!("• 7 ngày qua ({} – {}): {} ({} / {} hồ sơ trả kết quả).", local_time(w.from_ms), local_time(w.to_ms), percent(w.province.rate()), integer(w.province.numerator), integer(w.province.denominator)));
    }
    line(&mut t, format!("• {} đến nay: {} ({} / {} hồ sơ), chỉ tiêu {}, {}.", capital(&d.period.label_vi()), percent(h.judged.rate), integer(h.judged.figures.numerator), integer(h.judged.figures.denominator), percent(h.judged.target.map(|t| t.as_f64())), h.judged.status.label_vi().to_lowercase()));
    if let Some(w) = &d.week {
        let mut low: Vec<&(String, String, crate::domain::Figures)> = w.departments.iter().filter(|(_, _, f)| f.denominator > 0).collect();
        low.sort_by(|a, b| a.2.rate().partial_cmp(&b.2.rate()).unwrap_or(std::cmp::Ordering::Equal));
        if !low.is_empty() {
            line(&mut t, "");
            line(&mut t, "Năm sở, ban, ngành thấp nhất trong tuần:");
            for (i, (_, name, f)) in low.iter().take(digest::LOWEST).enumerate() {
                line(&mut t, format!("{}. {name}: {} ({} hồ sơ)", i + 1, percent(f.rate()), integer(f.denominator)));
            }
        }
    }
    line(&mut t, "");
    let mut bands = String::new();
    for (band, n) in &d.communes.bands {
        let _ = write!(bands, "{}: {n}; ", band.label_vi().to_lowercase());
    }
    let span = if d.communes.over_week { ", 7 ngày qua" } else { "" };
    line(&mut t, format!("Xã, phường, đặc khu ({}{span}): {bands}chưa đủ dữ liệu: {}.", d.communes.total, d.communes.unranked));
    if !d.communes.lowest.is_empty() {
        let names: Vec<String> = d.communes.lowest.iter().map(|r| format!("{} {}", r.name, percent(r.figures.rate()))).collect();
        line(&mut t, format!("Thấp nhất: {}.", names.join("; ")));
    }
    if !d.fell_behind.is_empty() {
        line(&mut t, "");
        line(&mut t, format!("Tụt xuống dưới chỉ tiêu so với {}:", d.period.prev().label_vi()));
        for f in &d.fell_behind {
            line(&mut t, format!("• {}: {} → {}, {}", f.name, f.before.label_vi().to_lowercase(), f.now.label_vi().to_lowercase(), percent(f.rate)));
        }
    }
    line(&mut t, "");
    line(&mut t, format!("Báo cáo đầy đủ: {public}/report/week?parent={} (bảng tính đính kèm thư điện tử).", d.province.code));
    line(&mut t, format!("Bảng xếp hạng: {public}/?month={}&kind=department&parent={}", d.period, d.province.code));
    line(&mut t, "—");
    line(&mut t, "Thư tự động từ dvc-monitor. Vui lòng không trả lời thư này.");
    Message { subject, text: t, attachment: None }
}

/// Each head's part: their unit's week and month so far, its rank, and the links to act on.
pub fn head_messages(d: &Digest, public: &str) -> Vec<(String, Message)> {
    let mut out = Vec::new();
    let period = d.period.to_string();
    for (board, kind) in [(&d.departments, "sở, ban, ngành"), (&d.communes_board, "xã, phường, đặc khu")] {
        for r in board.rows() {
            let x = &r.row;
            let mut t = String::new();
            line(&mut t, format!("Kính gửi thủ trưởng {},", x.name));
            line(&mut t, "");
            if let Some(f) = d.week.as_ref().and_then(|w| w.by_unit.get(&x.unit)) {
                line(&mut t, format!("• 7 ngày qua: {} ({} / {} hồ sơ trả kết quả trực tuyến toàn trình).", percent(f.rate()), integer(f.numerator), integer(f.denominator)));
            }
            line(&mut t, format!("• {} đến nay: {} ({} / {} hồ sơ), chỉ tiêu {}, {}.", capital(&d.period.label_vi()), percent(x.judged.rate), integer(x.judged.figures.numerator), integer(x.judged.figures.denominator), percent(x.judged.target.map(|t| t.as_f64())), x.judged.status.label_vi().to_lowercase()));
            if let Some(rank) = x.rank {
                line(&mut t, format!("• Hạng {rank} / {} trong các {kind} của {} được xếp hạng.", board.ranked_total, d.province.name));
            }
            line(&mut t, "");
            // The month in the links, as alerts carry it: they open the month the report speaks of.
            line(&mut t, format!("Hồ sơ cần xử lý: {public}/units/{}/dossiers?month={period}", x.unit));
            line(&mut t, format!("Trang đơn vị: {public}/units/{}?month={period}", x.unit));
            line(&mut t, "—");
            line(&mut t, "Thư tự động từ dvc-monitor. Vui lòng không trả lời thư này.");
            out.push((x.unit.clone(), Message { subject: format!("[dvc-monitor] Báo cáo nhanh tuần — {} — {} đến nay", x.name, d.period.label_vi()), text: t, attachment: None }));
        }
    }
    out
}

fn capital(s: &str) -> String {
    super::pages::period::capitalised(s)
}
