//! The demo's units that send through the national-sync door: a dossier's native events, as its
//! provincial system pushes them to the national portal (`shared/spec/national-sync.md`).
//!
//! At each moment some of the dossier's events are delivered, the system sends what it knows by then: the
//! dossier's snapshot (`NgayNopHoSo`, `NgayTiepNhan` with `KenhThucHien` and `NgayHenTra`, `NgayTuChoi`,
//! `NgayKetThucXuLy` with `TrangThaiHoSo`, `NgayTra` with `HinhThuc` or a result link, the fee and
//! `DuocThanhToanTrucTuyen`, the digitised and re-used documents, the supplement requests with their
//! answers in `DanhSachHoSoBoSung`) with its processing steps in `tienTrinhDongBo`; when nothing of the snapshot is known yet (its intake arrives late), the steps alone, which the
//! collector holds until the snapshot comes. Every snapshot carries the applicant's personal fields filled
//! with obviously fake values, which the collector must drop. The snapshots map to the same facts as the
//! native events, so the figures are those of an all-native run.

use super::simulator::{Door, Wire};
use crate::domain::event::Status;
use chrono::DateTime;
use serde_json::{json, Map, Value};

/// The fake applicant every snapshot names: none of it may reach the database, a log or an answer.
pub const FAKE_PERSON: [(&str, &str); 6] = [
    ("ChuHoSo", "Nguyễn Văn Giả Lập"),
    ("SoGiayToChuHoSo", "000000000999"),
    ("SoDienThoai", "0999000999"),
    ("Email", "nguoi.gia.lap@example.invalid"),
    ("DiaChi", "Số 0 Đường Giả Lập"),
    ("TrichYeuHoSo", "Hồ sơ giả lập của bản demo"),
];

/// A time as the shape writes it: local time, `yyyyMMddHHmmss`.
fn local(ms: i64) -> String {
    DateTime::from_timestamp_millis(ms).unwrap_or_default().with_timezone(&crate::domain::month::vn_offset()).format("%Y%m%d%H%M%S").to_string()
}

fn status_of(w: &Wire) -> Status {
    w.status.parse().expect("the simulator writes known statuses")
}

fn channel_code(channel: &str) -> &'static str {
    match channel {
        "online" => "2",
        "postal" => "3",
        _ => "1",
    }
}

/// The sends of one dossier: `(deliver_at, door, body)`, one for each moment some of its events are
/// delivered. `deliveries[i]` is when `events[i]` is delivered.
pub(super) fn sends(events: &[(i64, Wire)], deliveries: &[i64]) -> Vec<(i64, Door, String)> {
    let mut moments: Vec<i64> = deliveries.to_vec();
    moments.sort_unstable();
    moments.dedup();
    // The channel rides on the intake; a dossier refused before intake was submitted online.
    let registered = events.iter().any(|(_, w)| w.status == "registered");
    let channel = events.iter().find_map(|(_, w)| w.channel).unwrap_or(if registered { "online" } else { "in_person" });
    let first = &events[0].1;
    let mut out = Vec::new();
    for moment in moments {
        let known: Vec<&(i64, Wire)> = events.iter().zip(deliveries).filter(|(_, d)| **d <= moment).map(|(e, _)| e).collect();
        let mut snapshot = Map::new();
        let mut steps = Vec::new();
        let mut timed = false;
        // Supplement requests with their answers, paired in order.
        let mut supplements: Vec<Map<String, Value>> = Vec::new();
        for (at, w) in &known {
            let at = local(*at);
            match status_of(w) {
                Status::Registered => {
                    snapshot.insert("NgayNopHoSo".into(), at.into());
                }
                Status::Received => {
                    snapshot.insert("NgayTiepNhan".into(), at.into());
                    // The index's marks of the submission: a digitised component, or stored data re-used alone.
                    let digitised = w.digitised == Some(true);
                    let reused_alone = w.reused_data == Some(true) && !digitised;
                    snapshot.insert("HoSoCoThanhPhanSoHoa".into(), if digitised { "1" } else { "0" }.into());
                    snapshot.insert(
                        "TaiLieuNop".into(),
                        json!([{"TenTepDinhKem": "Tờ khai giả lập.pdf", "DuocSoHoa": digitised as u8, "DuocTaiSuDung": reused_alone as u8}]),
                    );
                    if let Some(due) = &w.due {
                        let due = DateTime::parse_from_rfc3339(due).expect("the simulator writes RFC 3339").timestamp_millis();
                        snapshot.insert("NgayHenTra".into(), local(due).into());
                    }
                }
                Status::Refused => {
                    snapshot.insert("NgayTuChoi".into(), at.into());
                }
                Status::Resolved | Status::Withdrawn | Status::Stopped => {
                    snapshot.insert("NgayKetThucXuLy".into(), at.into());
                }
                Status::Returned => {
                    snapshot.insert("NgayTra".into(), at.into());
                    let delivery = w.result_delivery.unwrap_or("in_person");
                    snapshot.insert("HinhThuc".into(), if delivery == "postal" { "1" } else { "0" }.into());
                    if delivery == "online" {
                        let link = format!("https://ketqua.example.invalid/{}.pdf", w.dossier);
                        snapshot.insert("DanhSachGiayToKetQua".into(), json!([{"TenGiayTo": "Kết quả", "DuongDanTepTinKetQua": link}]));
                    }
                }
                Status::PaymentRequested => {
                    snapshot.insert("DanhSachLePhi".into(), json!([{"TenPhiLePhi": "Lệ phí", "Gia": "50000"}]));
                    let paid = if w.payment == Some("online") { "1" } else { "0" };
                    snapshot.insert("DuocThanhToanTrucTuyen".into(), paid.into());
                    continue;
                }
                Status::SupplementRequested => {
                    supplements.push(Map::from_iter([("NgayBoSung".to_string(), Value::from(at))]));
                    continue;
                }
                Status::Processing if w.supplement_answered == Some(true) => {
                    if let Some(open) = supplements.iter_mut().find(|s| !s.contains_key("NgayTiepNhanBoSung")) {
                        open.insert("NgayTiepNhanBoSung".into(), at.into());
                    }
                    continue;
                }
                s @ Status::Processing => {
                    steps.push(json!({"MaHoSo": w.dossier, "TrangThai": s.code().to_string(), "ThoiDiemXuLy": at,
                        "NguoiXuLy": "Cán Bộ Giả Lập", "NoiDungXuLy": "Nội dung giả lập"}));
                    continue;
                }
            }
            timed = true;
        }
        if !timed {
            // Nothing of the snapshot is known yet (a fee alone names no time): the steps alone, held.
            if !steps.is_empty() {
                out.push((moment, Door::Steps, Value::Array(steps).to_string()));
            }
            continue;
        }
        // The status now: that of the latest event known (a payment request included).
        let latest = known.iter().max_by_key(|(at, _)| *at).map(|(_, w)| status_of(w)).expect("known");
        snapshot.insert("MaHoSo".into(), first.dossier.into());
        snapshot.insert("MaTTHC".into(), first.procedure.into());
        snapshot.insert("DonViXuLy".into(), first.unit.into());
        snapshot.insert("KenhThucHien".into(), channel_code(channel).into());
        snapshot.insert("TrangThaiHoSo".into(), latest.code().to_string().into());
        if !supplements.is_empty() {
            snapshot.insert("DanhSachHoSoBoSung".into(), Value::Array(supplements.into_iter().map(Value::Object).collect()));
        }
        for (field, value) in FAKE_PERSON {
            snapshot.insert(field.into(), value.into());
        }
        let body = json!({"hoSo": snapshot, "tienTrinhDongBo": steps});
        out.push((moment, Door::Snapshot, body.to_string()));
    }
    out
}
