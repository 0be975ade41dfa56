//! The words a head of unit reads: one message per recipient, grouping every alert about them.

use super::{Alert, AlertState};

pub struct Message {
    pub subject: String,
    pub text: String,
    /// A file sent with an email (the weekly report's workbook); a webhook gets the text only.
    pub attachment: Option<Attachment>,
}

pub struct Attachment {
    pub filename: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

/// One message for one recipient about one or more alerts.
pub fn compose(recipient_name: &str, alerts: &[Alert]) -> Message {
    let firing: Vec<&Alert> = alerts.iter().filter(|a| a.state == AlertState::Firing).collect();
    let resolved: Vec<&Alert> = alerts.iter().filter(|a| a.state == AlertState::Resolved).collect();
    let subject = match (firing.len(), resolved.len()) {
        (1, 0) => format!("[dvc-monitor] Cảnh báo: {}", firing[0].annotation("summary")),
        (0, 1) => format!("[dvc-monitor] Đã hết cảnh báo: {}", resolved[0].annotation("summary")),
        (f, 0) => format!("[dvc-monitor] {f} cảnh báo về tỷ lệ hồ sơ trực tuyến toàn trình"),
        (0, r) => format!("[dvc-monitor] {r} cảnh báo đã hết"),
        (f, r) => format!("[dvc-monitor] {f} cảnh báo, {r} cảnh báo đã hết"),
    };
    let mut text = format!("Kính gửi {recipient_name},\n\n");
    if !firing.is_empty() {
        text.push_str("Cảnh báo đang có hiệu lực:\n\n");
        for a in &firing {
            text.push_str(&item(a));
        }
    }
    if !resolved.is_empty() {
        text.push_str("Các cảnh báo sau đã hết (chỉ số đã trở lại mức chỉ tiêu hoặc tháng đã chuyển):\n\n");
        for a in &resolved {
            text.push_str(&item(a));
        }
    }
    text.push_str("—\nThư tự động từ dvc-monitor, hệ thống theo dõi dịch vụ công trực tuyến toàn trình. Vui lòng không trả lời thư này.\n");
    Message { subject, text, attachment: None }
}

fn item(a: &Alert) -> String {
    let mut s = format!("• {}\n  {}\n", a.annotation("summary"), a.annotation("description"));
    // The unit and league links carry the alert's month (`?month=`), so they open the month it speaks of.
    for (key, label) in [("unit_url", "Trang đơn vị"), ("league_url", "Bảng xếp hạng"), ("dashboard_url", "Biểu đồ"), ("runbook_url", "Hướng dẫn xử lý")] {
        let v = a.annotation(key);
        if !v.is_empty() {
            s.push_str(&format!("  {label}: {v}\n"));
        }
    }
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn alert(state: AlertState, summary: &str) -> Alert {
        let mut annotations = BTreeMap::new();
        annotations.insert("summary".to_string(), summary.to_string());
        annotations.insert("description".to_string(), "Tháng 11/2026 đến nay: 55,0 %".to_string());
        Alert { state, labels: BTreeMap::new(), annotations, starts_at: String::new() }
    }

    #[test]
    fn grouped_message() {
        let one = compose("Bà Trần Thị B", &[alert(AlertState::Firing, "Sở Tư pháp: có nguy cơ không đạt")]);
        assert_eq!(one.subject, "[dvc-monitor] Cảnh báo: Sở Tư pháp: có nguy cơ không đạt");
        assert!(one.text.starts_with("Kính gửi Bà Trần Thị B,"));
        let two = compose("X", &[alert(AlertState::Firing, "a"), alert(AlertState::Resolved, "b")]);
        assert_eq!(two.subject, "[dvc-monitor] 1 cảnh báo, 1 cảnh báo đã hết");
        assert!(two.text.contains("• a") && two.text.contains("• b") && two.text.contains("đã hết"));
    }
}
