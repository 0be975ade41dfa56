//! The benchmark's stream as national-sync snapshots: each dossier's native events folded into the
//! snapshot its one-door system would send once it stands as the events leave it, so the collector is
//! measured on the same dossiers as native ingest.

use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// `yyyyMMddHHmmss` in Vietnam's time, from an RFC 3339 time.
fn local(rfc3339: &str) -> Option<String> {
    let t = chrono::DateTime::parse_from_rfc3339(rfc3339).ok()?;
    Some(t.with_timezone(&crate::domain::month::vn_offset()).format("%Y%m%d%H%M%S").to_string())
}

fn channel_code(channel: &str) -> &'static str {
    match channel {
        "online" | "2" => "2",
        "postal" | "3" => "3",
        _ => "1",
    }
}

/// One snapshot per dossier of the NDJSON event lines, in order of first appearance.
pub fn from_events(lines: &[String]) -> Vec<Value> {
    let mut order: Vec<String> = Vec::new();
    let mut dossiers: BTreeMap<String, Map<String, Value>> = BTreeMap::new();
    for line in lines {
        let Ok(e) = serde_json::from_str::<Value>(line) else { continue };
        let (Some(code), Some(status), Some(at)) = (e["dossier"].as_str(), e["status"].as_str(), e["at"].as_str().and_then(local)) else { continue };
        let s = dossiers.entry(code.to_string()).or_insert_with(|| {
            order.push(code.to_string());
            let mut s = Map::new();
            s.insert("MaHoSo".into(), json!(code));
            s.insert("MaTTHC".into(), e["procedure"].clone());
            s.insert("DonViXuLy".into(), e["unit"].clone());
            s.insert("TrangThaiHoSo".into(), json!("4"));
            s
        });
        match status {
            "received" => {
                s.insert("NgayTiepNhan".into(), json!(at));
                s.insert("KenhThucHien".into(), json!(channel_code(e["channel"].as_str().unwrap_or(""))));
                if let Some(due) = e["due"].as_str().and_then(local) {
                    s.insert("NgayHenTra".into(), json!(due));
                }
            }
            "returned" => {
                s.insert("TrangThaiHoSo".into(), json!("10"));
                s.insert("NgayTra".into(), json!(at));
                match e["result_delivery"].as_str() {
                    Some("online") => {
                        s.insert("DanhSachGiayToKetQua".into(), json!([{"TenGiayTo": "Kết quả", "DuongDanTepTinKetQua": format!("https://example.invalid/{code}.pdf")}]));
                    }
                    Some("postal") => {
                        s.insert("HinhThuc".into(), json!("1"));
                    }
                    _ => {
                        s.insert("HinhThuc".into(), json!("0"));
                    }
                }
            }
            "refused" => {
                s.insert("TrangThaiHoSo".into(), json!("3"));
                s.insert("NgayTuChoi".into(), json!(at));
            }
            _ => {}
        }
        match e["payment"].as_str() {
            Some("online") => {
                s.insert("DuocThanhToanTrucTuyen".into(), json!("1"));
                s.insert("DanhSachLePhi".into(), json!([{"TenPhiLePhi": "Lệ phí", "Gia": 50000}]));
            }
            Some("offline") => {
                s.insert("DuocThanhToanTrucTuyen".into(), json!("0"));
                s.insert("DanhSachLePhi".into(), json!([{"TenPhiLePhi": "Lệ phí", "Gia": 50000}]));
            }
            _ => {}
        }
    }
    order.into_iter().filter_map(|c| dossiers.remove(&c).map(Value::Object)).collect()
}
