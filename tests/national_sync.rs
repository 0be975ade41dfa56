//! The national-sync collector end to end: snapshots and steps as provincial systems send them, the
//! figures they give on both backends, and personal data that never enters (with the real binary).

mod common;

use common::{create_token, seed_registry, Backend, TestDb, TestServer};
use dvc_monitor::registry::import;
use dvc_monitor::Settings;
use serde_json::{json, Value};
use std::collections::BTreeMap;

const NOW: &str = "2025-03-31T12:00:00+07:00";
const SENDER_CODES: &str = "code,unit\n000.00.31.STP,31-STP\n000.00.31.SYT,31-SYT\n";

async fn start(backend: Backend) -> (TestServer, String) {
    let db = TestDb::new(backend).await;
    seed_registry(db.store.as_ref()).await;
    let tree = dvc_monitor::domain::UnitTree::new(db.store.units().await.unwrap());
    let codes = import::sender_codes("sender-codes.csv", SENDER_CODES.as_bytes(), &tree).unwrap();
    db.store.upsert_sender_codes(&codes).await.unwrap();
    let token = create_token(db.store.as_ref(), "igate-hp", &["31"]).await;
    (TestServer::start(db, NOW, Settings::default()).await, token)
}

async fn send(server: &TestServer, token: &str, call: &str, body: &Value) -> (u16, Value) {
    let r = server.client.post(server.url(&format!("/api/v1/national-sync/{call}"))).bearer_auth(token).json(body).send().await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

/// An online dossier of the Department of Justice, received 3 March, due 10 March, finished and
/// returned on 6 March with an electronic result, its fee paid online; with personal fields as real
/// systems send them.
fn online(code: &str) -> Value {
    json!({
        "MaHoSo": code, "MaTTHC": "1.001612", "TenTTHC": "Cấp phiếu lý lịch tư pháp", "DonViXuLy": "000.00.31.STP",
        "KenhThucHien": "2", "NgayNopHoSo": "20250303070000", "NgayTiepNhan": "20250303080000", "NgayHenTra": "20250310170000",
        "TrangThaiHoSo": "10", "NgayKetThucXuLy": "20250306090000", "NgayTra": "20250306100000", "HinhThuc": "0",
        "DuocThanhToanTrucTuyen": "1", "DanhSachLePhi": [{"TenPhiLePhi": "Lệ phí", "MaPhiLePhi": "LP1", "Gia": "200000"}],
        "DanhSachGiayToKetQua": [{"TenGiayTo": "Phiếu LLTP", "GiayToId": "1", "DuongDanTepTinKetQua": "https://kq.example.vn/1.pdf"}],
        "ChuHoSo": "Lê Văn Chủ", "SoGiayToChuHoSo": "001099000111", "SoDienThoai": "0900000111", "Email": "chu@example.vn",
    })
}

/// Each unit's (numerator, denominator) for an indicator in March 2025, units with dossiers only.
async fn figures(server: &TestServer, indicator: &str) -> BTreeMap<String, (i64, i64)> {
    let league = server.get_json(&format!("/api/v1/league?month=2025-03&kind=department&indicator={indicator}&parent=31")).await;
    league["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["denominator"].as_i64() > Some(0))
        .map(|r| (r["unit"].as_str().unwrap().to_string(), (r["numerator"].as_i64().unwrap(), r["denominator"].as_i64().unwrap())))
        .collect()
}

async fn all_figures(server: &TestServer) -> Vec<BTreeMap<String, (i64, i64)>> {
    let mut out = Vec::new();
    for indicator in ["completion", "intake", "on_time"] {
        out.push(figures(server, indicator).await);
    }
    out
}

fn stp(c: (i64, i64), i: (i64, i64), t: (i64, i64)) -> [(i64, i64); 3] {
    [c, i, t]
}

fn of(all: &[BTreeMap<String, (i64, i64)>], unit: &str) -> [(i64, i64); 3] {
    let get = |m: &BTreeMap<String, (i64, i64)>| m.get(unit).copied().unwrap_or((0, 0));
    [get(&all[0]), get(&all[1]), get(&all[2])]
}

fn ok(answer: &Value) {
    assert_eq!(answer["error_code"], "0", "{answer}");
}

async fn fixtures(backend: Backend) {
    let (server, token) = start(backend).await;

    // 1. Online, finished on time, electronic result, fee paid online: fully online.
    let (status, a) = send(&server, &token, "dossiers", &online("H31.05-250303-0001")).await;
    assert_eq!(status, 200);
    ok(&a);
    assert!(a.get("results").is_none(), "one snapshot, one answer: {a}");
    assert_eq!(of(&all_figures(&server).await, "31-STP"), stp((1, 1), (1, 1), (1, 1)));

    // 2. At the counter, fee paid online through the province's gateway, result collected in person.
    let mut counter = online("H31.05-250303-0002");
    counter["KenhThucHien"] = json!(1);
    counter["DuocThanhToanTrucTuyen"] = json!(2);
    counter["DanhSachGiayToKetQua"] = json!([]);
    counter.as_object_mut().unwrap().remove("NgayNopHoSo");
    // OpenCPS's wrapping, with the unit in madonvi.
    counter.as_object_mut().unwrap().remove("DonViXuLy");
    let wrapped = json!({"session": "s-1", "madonvi": "000.00.31.STP", "service": "DongBoHoSoMC", "isUpdating": false, "data": [counter]});
    let (_, a) = send(&server, &token, "dossiers", &wrapped).await;
    ok(&a);
    assert_eq!(a["results"][0]["MaHoSo"], "H31.05-250303-0002", "{a}");
    assert_eq!(of(&all_figures(&server).await, "31-STP"), stp((1, 2), (1, 2), (2, 2)));

    // 3. By public post to the Department of Health, a supplement request, returned by post late.
    let postal = json!({"hoSo": {
        "MaHoSo": "H31.07-250304-0003", "MaTTHC": "2.000001", "DonViXuLy": "000.00.31.SYT", "KenhThucHien": 3,
        "NgayTiepNhan": "04/03/2025 09:00:00", "NgayHenTra": "12/03/2025 17:00:00", "TrangThaiHoSo": 10,
        "DanhSachHoSoBoSung": [{"NgayBoSung": "05/03/2025 10:00:00", "NgayTiepNhanBoSung": "07/03/2025 10:00:00", "NoiDungBoSung": "thiếu giấy"}],
        "NgayKetThucXuLy": "14/03/2025 10:00:00", "NgayTra": "15/03/2025 10:00:00", "HinhThuc": 1, "DuocThanhToanTrucTuyen": 0},
        "tienTrinhDongBo": [{"MaHoSo": "H31.07-250304-0003", "TrangThai": "5", "ThoiDiemXuLy": "20250305100000", "NguoiXuLy": "Cán bộ A"}]});
    let (_, a) = send(&server, &token, "dossiers", &postal).await;
    ok(&a);
    let after_postal = all_figures(&server).await;
    // Returned by post but not submitted online: not fully online; late against its due date.
    assert_eq!(of(&after_postal, "31-SYT"), stp((0, 1), (0, 1), (0, 1)));

    // 4. Refused at intake (never received): counted nowhere.
    let refused = json!({"MaHoSo": "H31.05-250305-0004", "MaTTHC": "1.001612", "DonViXuLy": "000.00.31.STP", "KenhThucHien": "2",
        "NgayNopHoSo": "20250305080000", "NgayTuChoi": "20250305150000", "TrangThaiHoSo": "3"});
    let (_, a) = send(&server, &token, "dossiers", &refused).await;
    ok(&a);
    assert_eq!(all_figures(&server).await, after_postal);

    // 5. One snapshot sent five times: the same answer, the same figures.
    let mut late = online("H31.05-250306-0005");
    late["NgayHenTra"] = json!("20250305170000");
    let (_, first) = send(&server, &token, "dossiers", &late).await;
    ok(&first);
    // registered, received, resolved, returned, payment, and the index's marks.
    assert!(first["message"].as_str().unwrap().contains("6 new events, 0 stored before"), "{first}");
    let once = all_figures(&server).await;
    for _ in 0..4 {
        let (_, again) = send(&server, &token, "dossiers", &late).await;
        ok(&again);
        assert!(again["message"].as_str().unwrap().contains("0 new events, 6 stored before"), "{again}");
    }
    assert_eq!(all_figures(&server).await, once);
    assert_eq!(of(&once, "31-STP"), stp((2, 3), (2, 3), (2, 3)));

    // 6. A correction: first sent as a counter dossier collected in person, then corrected to online
    // with an electronic result; the figures follow the correction, and a re-send of it changes nothing.
    let mut wrong = online("H31.05-250307-0006");
    wrong["KenhThucHien"] = json!("1");
    wrong["DanhSachGiayToKetQua"] = json!(null);
    ok(&send(&server, &token, "dossiers", &wrong).await.1);
    assert_eq!(of(&all_figures(&server).await, "31-STP"), stp((2, 4), (2, 4), (3, 4)));
    let corrected = online("H31.05-250307-0006");
    ok(&send(&server, &token, "dossiers", &corrected).await.1);
    assert_eq!(of(&all_figures(&server).await, "31-STP"), stp((3, 4), (3, 4), (3, 4)));
    ok(&send(&server, &token, "dossiers", &corrected).await.1);
    assert_eq!(of(&all_figures(&server).await, "31-STP"), stp((3, 4), (3, 4), (3, 4)));

    // 7. Twenty-five steps in chunks of ten before their snapshot: held (answered "0", nothing counted
    // yet), then folded in when the snapshot arrives; a re-send of the same chunks is a duplicate.
    let code = "H31.05-250308-0007";
    let before = all_figures(&server).await;
    for chunk in seventh_steps(code).chunks(10) {
        let (status, a) = send(&server, &token, "steps", &json!(chunk)).await;
        assert_eq!(status, 200);
        ok(&a);
        assert_eq!(a["results"][0]["error_code"], "0");
        assert!(a["results"][0]["message"].as_str().unwrap().contains("wait for this dossier's snapshot"), "{a}");
    }
    assert_eq!(all_figures(&server).await, before);
    assert_eq!(held(&server).await, json!([{"source": "igate-hp", "steps": 25}]));
    let (status, page) = server.get_text("/sender-codes").await;
    assert!(status == 200 && page.contains("Bước xử lý chờ hồ sơ") && page.contains("<th scope=\"row\">igate-hp</th><td>25</td>"), "{page}");
    let (_, a) = send(&server, &token, "dossiers", &seventh(code)).await;
    ok(&a);
    assert!(a["message"].as_str().unwrap().contains("25 steps held before the snapshot are events now"), "{a}");
    assert_eq!(held(&server).await, json!([]));
    let with_seventh = all_figures(&server).await;
    assert_eq!(of(&with_seventh, "31-STP"), stp((4, 5), (4, 5), (4, 5)));
    for chunk in seventh_steps(code).chunks(10) {
        let (_, a) = send(&server, &token, "steps", &json!(chunk)).await;
        ok(&a);
        assert!(a["results"][0]["message"].as_str().unwrap().contains("0 new events"), "{a}");
    }
    assert_eq!(all_figures(&server).await, with_seventh);
    assert_eq!(held(&server).await, json!([]));

    // The stored figures are what a recomputation from the events gives.
    let drift = server.db.store.verify(false).await.unwrap();
    assert!(!drift.found(), "{drift:?}");
}

/// Twenty-five steps of one dossier, as a sender with a ten-step chunk size sends them, with the civil
/// servants' names and free text real systems send.
fn seventh_steps(code: &str) -> Vec<Value> {
    const STEP_STATUSES: [u8; 4] = [4, 5, 4, 9];
    (0..25)
        .map(|i| json!({"MaHoSo": code, "TrangThai": STEP_STATUSES[i % 4].to_string(), "ThoiDiemXuLy": format!("202503081{:01}{:02}00", i / 10, i % 60), "NguoiXuLy": "Cán bộ B", "ChucDanh": "Chuyên viên", "NoiDungXuLy": "đã xử lý"}))
        .collect()
}

/// The snapshot those steps belong to: received 8 March, finished and returned the day after.
fn seventh(code: &str) -> Value {
    let mut v = online(code);
    v["NgayTiepNhan"] = json!("20250308080000");
    v["NgayNopHoSo"] = json!("20250308070000");
    v["NgayKetThucXuLy"] = json!("20250309090000");
    v["NgayTra"] = json!("20250309100000");
    v
}

/// The steps each source holds, without the time of the oldest.
async fn held(server: &TestServer) -> Value {
    let listed = server.get_json("/api/v1/sender-codes/unmapped").await;
    json!(listed["held_steps"].as_array().unwrap().iter().map(|r| json!({"source": r["source"], "steps": r["steps"]})).collect::<Vec<_>>())
}

/// Every figure of every unit kind and indicator for March 2025, and the ids of the events stored.
async fn everything(server: &TestServer) -> (Vec<Value>, Vec<String>) {
    let mut tables = Vec::new();
    for kind in ["department", "commune"] {
        for indicator in ["completion", "intake", "on_time"] {
            let league = server.get_json(&format!("/api/v1/league?month=2025-03&kind={kind}&indicator={indicator}&parent=31")).await;
            tables.push(json!(league["rows"].as_array().map(|rows| rows.iter().map(|r| json!([r["unit"], r["numerator"], r["denominator"], r["rate"]])).collect::<Vec<_>>())));
        }
    }
    let mut ids: Vec<String> =
        server.db.store.events_with_id_prefix("igate-hp", &["ns/".to_string()]).await.unwrap().into_iter().map(|e| e.id).collect();
    ids.sort();
    (tables, ids)
}

/// Steps before their snapshot give what steps after it give: the same figures, the same events.
async fn held_steps_give_the_other_orders_figures(backend: Backend) {
    let code = "H31.05-250308-0007";
    let (after, token) = start(backend).await;
    ok(&send(&after, &token, "dossiers", &seventh(code)).await.1);
    for chunk in seventh_steps(code).chunks(10) {
        ok(&send(&after, &token, "steps", &json!(chunk)).await.1);
    }
    let (before, token) = start(backend).await;
    for chunk in seventh_steps(code).chunks(10) {
        ok(&send(&before, &token, "steps", &json!(chunk)).await.1);
    }
    // Before the snapshot: nothing counted, no event.
    assert!(everything(&before).await.1.is_empty());
    ok(&send(&before, &token, "dossiers", &seventh(code)).await.1);
    let (a, b) = (everything(&after).await, everything(&before).await);
    assert!(a.1.len() > 25, "the snapshot's events and the 25 steps: {:?}", a.1);
    assert_eq!(a, b);
    for server in [&after, &before] {
        let drift = server.db.store.verify(false).await.unwrap();
        assert!(!drift.found(), "{drift:?}");
    }
}

/// The bounds of the held steps, at the store: at most N a source, dropped after their age.
async fn held_steps_are_bounded(backend: Backend) {
    use dvc_monitor::domain::event::Status;
    use dvc_monitor::domain::HeldStep;
    let db = common::TestDb::new(backend).await;
    let store = db.store.as_ref();
    let step = |d: &str, at: i64| HeldStep { dossier: d.into(), status: Status::Processing, at };
    const DAY: i64 = 86_400_000;
    let t0 = 1_740_000_000_000;
    let first: Vec<HeldStep> = (0..8).map(|i| step("H31-1", i)).collect();
    assert!(store.hold_steps("a", &first, t0, 10, 90 * DAY).await.unwrap());
    // The same steps again are held once; three more would pass the bound of ten: none is held.
    assert!(store.hold_steps("a", &first[..2], t0, 10, 90 * DAY).await.unwrap());
    assert!(!store.hold_steps("a", &[step("H31-2", 1), step("H31-2", 2), step("H31-2", 3)], t0, 10, 90 * DAY).await.unwrap());
    // Another source has a bound of its own.
    assert!(store.hold_steps("b", &[step("H31-2", 1)], t0 + DAY, 10, 90 * DAY).await.unwrap());
    let counts: Vec<(String, i64, i64)> = store.held_step_counts().await.unwrap().into_iter().map(|h| (h.source, h.steps, h.oldest)).collect();
    assert_eq!(counts, vec![("a".into(), 8, t0), ("b".into(), 1, t0 + DAY)]);
    assert_eq!(store.held_steps("a", &["H31-1".into(), "H31-2".into()], t0).await.unwrap(), first);
    // Read with a later cut-off, the old ones are not folded in.
    assert!(store.held_steps("a", &["H31-1".into()], t0 + 1).await.unwrap().is_empty());
    // Ninety days and a bit later, holding drops what is older than ninety days.
    assert!(store.hold_steps("b", &[step("H31-3", 1)], t0 + 90 * DAY + 1, 10, 90 * DAY).await.unwrap());
    let counts: Vec<(String, i64)> = store.held_step_counts().await.unwrap().into_iter().map(|h| (h.source, h.steps)).collect();
    assert_eq!(counts, vec![("b".into(), 2)]);
    store.release_held_steps("b", &["H31-2".into(), "H31-3".into()]).await.unwrap();
    assert!(store.held_step_counts().await.unwrap().is_empty());
}

async fn refusals(backend: Backend) {
    let (server, token) = start(backend).await;
    // A list: one good dossier, one whose unit code has no mapping, one not a code at all.
    let mut unmapped = online("H31.05-250303-0010");
    unmapped["DonViXuLy"] = json!("000.00.31.XYZ");
    let mut bad = online("Nguyễn Văn Sai");
    bad["NgayTiepNhan"] = json!("hôm qua");
    let body = json!([online("H31.05-250303-0009"), unmapped.clone(), bad]);
    let (status, a) = send(&server, &token, "dossiers", &body).await;
    assert_eq!(status, 200);
    assert_eq!(a["error_code"], "1", "{a}");
    let results = a["results"].as_array().unwrap();
    assert_eq!(results.len(), 3);
    assert_eq!((results[0]["MaHoSo"].as_str(), results[0]["error_code"].as_str()), (Some("H31.05-250303-0009"), Some("0")));
    assert_eq!(results[1]["error_code"], "1");
    assert!(results[1]["message"].as_str().unwrap().contains("DonViXuLy \"000.00.31.XYZ\" is not mapped"), "{a}");
    assert_eq!((results[2]["MaHoSo"].clone(), results[2]["error_code"].as_str()), (Value::Null, Some("1")));
    assert!(!a.to_string().contains("Nguyễn") && !a.to_string().contains("hôm qua"), "{a}");
    assert_eq!(of(&all_figures(&server).await, "31-STP"), stp((1, 1), (1, 1), (1, 1)));

    // The unmapped code is listed for the operator, counted each time it comes.
    send(&server, &token, "dossiers", &unmapped).await;
    let listed = server.get_json("/api/v1/sender-codes/unmapped").await;
    let row = &listed["unmapped"][0];
    assert_eq!((row["code"].as_str(), row["source"].as_str(), row["seen"].as_i64()), (Some("000.00.31.XYZ"), Some("igate-hp"), Some(2)), "{listed}");
    let (status, page) = server.get_text("/sender-codes").await;
    assert!(status == 200 && page.contains("000.00.31.XYZ"), "{page}");

    // Mapped: off the list, and the snapshot is taken.
    let tree = dvc_monitor::domain::UnitTree::new(server.db.store.units().await.unwrap());
    let codes = import::sender_codes("more.csv", "source,code,unit\nigate-hp,000.00.31.XYZ,31-SYT\n".as_bytes(), &tree).unwrap();
    server.db.store.upsert_sender_codes(&codes).await.unwrap();
    assert_eq!(server.get_json("/api/v1/sender-codes/unmapped").await["unmapped"], json!([]));
    ok(&send(&server, &token, "dossiers", &unmapped).await.1);
    assert_eq!(of(&all_figures(&server).await, "31-SYT"), stp((1, 1), (1, 1), (1, 1)));

    // A unit outside the token's scope, an unknown procedure: refused for their dossier, nothing stored.
    let narrow = create_token(server.db.store.as_ref(), "stp-only", &["31-STP"]).await;
    let mut health = online("H31.05-250303-0011");
    health["DonViXuLy"] = json!("000.00.31.SYT");
    let (_, a) = send(&server, &narrow, "dossiers", &health).await;
    assert_eq!(a["error_code"], "1");
    assert!(a["message"].as_str().unwrap().contains("outside the scope"), "{a}");
    let mut unknown = online("H31.05-250303-0012");
    unknown["MaTTHC"] = json!("9.999999");
    let (_, a) = send(&server, &token, "dossiers", &unknown).await;
    assert!(a["message"].as_str().unwrap().contains("unknown procedure \"9.999999\""), "{a}");
    assert_eq!(of(&all_figures(&server).await, "31-STP"), stp((1, 1), (1, 1), (1, 1)));

    // Bodies: not JSON, no token, too long a list.
    let r = server.client.post(server.url("/api/v1/national-sync/dossiers")).bearer_auth(&token).body("{\"MaHoSo\": ").send().await.unwrap();
    assert_eq!(r.status(), 400);
    let a: Value = r.json().await.unwrap();
    assert_eq!(a["error_code"], "400", "{a}");
    let r = server.client.post(server.url("/api/v1/national-sync/steps")).body("[]").send().await.unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(r.json::<Value>().await.unwrap()["error_code"], "401");
    let many = json!((0..1001).map(|_| json!({})).collect::<Vec<_>>());
    let (status, a) = send(&server, &token, "dossiers", &many).await;
    assert_eq!((status, a["error_code"].as_str()), (400, Some("400")), "{a}");
}

/// Every fact of the national index through the collector: the result link, digitised and re-used
/// documents, the fee, the end of processing and the supplement requests with their answer, each in
/// the figure it feeds (March 2025, Sở Tư pháp; 1.001612 has a paper result in this catalogue).
async fn index_facts(backend: Backend) {
    let (server, token) = start(backend).await;
    let catalogue = "code,name,level,paper_result\n1.001612,Cấp phiếu lý lịch tư pháp,full,yes\n";
    server.db.store.upsert_procedures(&import::procedures("p.csv", catalogue.as_bytes()).unwrap()).await.unwrap();
    let send_ok = |v: Value| {
        let (server, token) = (&server, &token);
        async move {
            let (_, a) = send(server, token, "dossiers", &v).await;
            ok(&a);
        }
    };
    // A: online with a result link, digitised, fee paid online, finished on time.
    let mut a = online("H31-IX-A");
    a["HoSoCoThanhPhanSoHoa"] = json!("1");
    send_ok(a).await;
    // B: at the counter, no result link, a document re-used from stored data, fee paid at the counter,
    // one supplement request answered after 3 days, finished 2 days late: on time once the applicant's
    // 3 days are subtracted.
    let b = json!({"MaHoSo": "H31-IX-B", "MaTTHC": "1.001612", "DonViXuLy": "000.00.31.STP", "KenhThucHien": "1",
        "NgayTiepNhan": "20250303080000", "NgayHenTra": "20250310170000", "TrangThaiHoSo": "10",
        "NgayKetThucXuLy": "20250312090000", "NgayTra": "20250312100000", "HinhThuc": "0",
        "DuocThanhToanTrucTuyen": "0", "DanhSachLePhi": [{"Gia": "50000"}],
        "TaiLieuNop": [{"TenTepDinhKem": "to-khai.pdf", "DuocSoHoa": "0", "DuocTaiSuDung": "1"}],
        "DanhSachHoSoBoSung": [{"NgayBoSung": "20250304080000", "NgayTiepNhanBoSung": "20250307080000"}]});
    send_ok(b).await;
    // C: online, no fee, two supplement requests, still open: late once March has ended (it has not
    // at the test's now, 31 March), and counted in no on-time figure yet.
    let c = json!({"MaHoSo": "H31-IX-C", "MaTTHC": "1.001612", "DonViXuLy": "000.00.31.STP", "KenhThucHien": "2",
        "NgayTiepNhan": "20250305080000", "NgayHenTra": "20250320170000", "TrangThaiHoSo": "5",
        "DanhSachHoSoBoSung": [{"NgayBoSung": "20250306080000"}, {"NgayBoSung": "20250310080000", "NgayTiepNhanBoSung": "20250311080000"}]});
    send_ok(c).await;
    let stp = |m: BTreeMap<String, (i64, i64)>| m.get("31-STP").copied().unwrap_or((0, 0));
    // Online submission: A (online with a result file); C is online but its paper result has no file yet.
    assert_eq!(stp(figures(&server, "online_submission").await), (1, 3));
    assert_eq!(stp(figures(&server, "online_payment").await), (1, 2));
    // Electronic result over the finished dossiers (A, B).
    assert_eq!(stp(figures(&server, "electronic_result").await), (1, 2));
    // Digitised with a result file: A only.
    assert_eq!(stp(figures(&server, "digitised").await), (1, 3));
    // Re-used data: A (its digitised component, as the portal reads it) and B (a re-used document).
    assert_eq!(stp(figures(&server, "reused_data").await), (2, 3));
    // On time for the index: A and B; C is open in a month not yet ended.
    assert_eq!(stp(figures(&server, "on_time_index").await), (2, 2));
    // kpi.md's on_time knows no supplement time: B is late there.
    assert_eq!(stp(figures(&server, "on_time").await), (1, 2));
    // The list already shows C, open past its due date, for the head to chase; the figure counts it
    // once March has ended (tests/index_indicators.rs counts open dossiers of ended months).
    let list = server.get_json("/api/v1/units/31-STP/dossiers?month=2025-03&indicator=on_time_index").await;
    assert_eq!(list["total"], 1, "{list}");
    assert_eq!((list["dossiers"][0]["code"].as_str(), list["dossiers"][0]["failed"].clone()), (Some("H31-IX-C"), json!(["open_past_due"])));
}

backend_tests!(
    index_facts_through_the_collector => crate::index_facts,
    fixtures_give_the_expected_figures => crate::fixtures,
    refusals_are_per_dossier_and_change_nothing => crate::refusals,
    steps_before_their_snapshot_give_the_figures_of_the_other_order => crate::held_steps_give_the_other_orders_figures,
    held_steps_are_bounded_per_source_and_by_age => crate::held_steps_are_bounded,
);

// ---------------------------------------------------------------------------------------------------
// Personal data never enters: the real binary, a SQLite file, its logs and every answer.

/// Values that must appear nowhere: names, identity numbers, phones, e-mails, addresses, free text,
/// civil servants, submitted files and the result's link.
const PERSONAL: &[&str] = &[
    "Phạm Thị Riêng Tư",
    "079188001234",
    "0912345678",
    "rieng.tu@example.vn",
    "Số 7 Ngõ Bí Mật",
    "Phường Kín Đáo",
    "Ghi chú bí mật",
    "Trích yếu bí mật",
    "Thông tin trả bí mật",
    "Đối tượng bí mật",
    "Trần Văn Cán Bộ",
    "Chuyên viên bí mật",
    "Nội dung xử lý bí mật",
    "cccd-rieng-tu.pdf",
    "/uploads/rieng-tu/",
    "https://kq.example.vn/rieng-tu",
    "0243999888",
];

fn personal_snapshot(code: &str) -> Value {
    json!({
        "MaHoSo": code, "MaTTHC": "1.001612", "DonViXuLy": "000.00.31.STP", "KenhThucHien": "2",
        "NgayNopHoSo": "20250303070000", "NgayTiepNhan": "20250303080000", "NgayHenTra": "20250310170000",
        "TrangThaiHoSo": "10", "NgayKetThucXuLy": "20250306090000", "NgayTra": "20250306100000", "HinhThuc": "0",
        "DuocThanhToanTrucTuyen": "1", "DanhSachLePhi": [{"TenPhiLePhi": "Lệ phí", "Gia": "200000"}],
        "ChuHoSo": "Phạm Thị Riêng Tư", "SoGiayToChuHoSo": "079188001234",
        "DinhDanhCHS": [{"LoaiDinhDanh": "1", "SoDinhDanh": "079188001234"}],
        "SoDienThoai": "0912345678", "Email": "rieng.tu@example.vn", "Fax": "0243999888",
        "MaDoiTuong": "Đối tượng bí mật", "LoaiDoiTuong": "Đối tượng bí mật", "ThongTinKhac": "Ghi chú bí mật",
        "TrichYeuHoSo": "Trích yếu bí mật", "GhiChu": "Ghi chú bí mật", "ThongTinTra": "Thông tin trả bí mật",
        "DiaChiThuongTru": "Số 7 Ngõ Bí Mật", "DiaChiLienHe": {"SoNha": "Số 7 Ngõ Bí Mật", "PhuongXa": "Phường Kín Đáo"},
        "TinhThanh": "Phường Kín Đáo", "QuanHuyen": "Phường Kín Đáo", "PhuongXa": "Phường Kín Đáo",
        "TaiLieuNop": [{"TepDinhKemId": "1", "TenTepDinhKem": "cccd-rieng-tu.pdf", "DuongDanTaiTepTin": "/uploads/rieng-tu/cccd.pdf", "DuocSoHoa": 1}],
        "DanhSachGiayToKetQua": [{"TenGiayTo": "Phiếu", "DuongDanTepTinKetQua": "https://kq.example.vn/rieng-tu/kq.pdf"}],
        "DanhSachHoSoBoSung": [{"NguoiYeuCauBoSung": "Trần Văn Cán Bộ", "NoiDungBoSung": "Nội dung xử lý bí mật", "NgayBoSung": "20250304100000", "NgayTiepNhanBoSung": "20250304150000"}],
    })
}

#[test]
fn personal_data_never_enters() {
    use std::io::{BufRead, BufReader, Read};
    use std::process::{Command, Stdio};
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let bin = || {
        let mut c = Command::new(env!("CARGO_BIN_EXE_dvc-monitor"));
        c.current_dir(d).env_remove("DVC_DATABASE_URL").env_remove("DVC_LISTEN").env("DVC_LOG", "debug");
        c
    };
    let run = |args: &[&str]| {
        let out = bin().args(args).output().unwrap();
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr)
    };
    std::fs::write(d.join("units.csv"), common::UNITS_CSV).unwrap();
    std::fs::write(d.join("procedures.csv"), common::PROCEDURES_CSV).unwrap();
    std::fs::write(d.join("codes.csv"), SENDER_CODES).unwrap();
    let mut output = String::new();
    output += &run(&["units", "import", "units.csv"]);
    output += &run(&["procedures", "import", "procedures.csv"]);
    output += &run(&["sender-codes", "import", "codes.csv"]);
    let token = run(&["tokens", "create", "--source", "igate-hp", "--scope", "31"]).lines().find(|l| l.starts_with("dvc_")).unwrap().to_string();

    let mut child = bin().args(["serve", "--listen", "127.0.0.1:0"]).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    output += &line;
    let base = line.trim().strip_prefix("dvc-monitor listening on ").expect("address line").to_string();
    // Drained all along, so a chatty log never blocks the service.
    let mut stderr = child.stderr.take().unwrap();
    let log = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });

    let mut answers = String::new();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let client = reqwest::Client::new();
        let post = |call: &'static str, body: Value| {
            let (client, base, token) = (client.clone(), base.clone(), token.clone());
            async move {
                let r = client.post(format!("{base}/api/v1/national-sync/{call}")).bearer_auth(token).json(&body).send().await.unwrap();
                format!("{} {}\n", r.status(), r.text().await.unwrap())
            }
        };
        answers += &post("dossiers", personal_snapshot("H31.05-250303-0100")).await;
        answers += &post("dossiers", json!([personal_snapshot("H31.05-250303-0101"), personal_snapshot("H31.05-250303-0101")])).await;
        let opencps = json!({"session": "s", "madonvi": "000.00.31.STP", "data": [personal_snapshot("H31.05-250303-0102")]});
        answers += &post("dossiers", opencps).await;
        // Refusals quote nothing of what they refuse.
        let mut bad = personal_snapshot("Phạm Thị Riêng Tư");
        bad["DonViXuLy"] = json!("Số 7 Ngõ Bí Mật");
        answers += &post("dossiers", bad).await;
        let mut bad = personal_snapshot("H31.05-250303-0103");
        bad["DonViXuLy"] = json!("rieng.tu@example.vn");
        bad["NgayTiepNhan"] = json!("Ghi chú bí mật");
        answers += &post("dossiers", bad).await;
        let mut bad = personal_snapshot("H31.05-250303-0104");
        bad["KenhThucHien"] = json!("0912345678");
        bad["DanhSachLePhi"] = json!([{"Gia": "Ghi chú bí mật"}]);
        answers += &post("dossiers", bad).await;
        answers += &post("dossiers", json!("Phạm Thị Riêng Tư")).await;
        answers += &post("dossiers", json!({"hoSo": personal_snapshot("H31.05-250303-0105"), "tienTrinhDongBo": [
            {"MaHoSo": "H31.05-250303-0105", "TrangThai": "4", "ThoiDiemXuLy": "20250304090000", "NguoiXuLy": "Trần Văn Cán Bộ", "ChucDanh": "Chuyên viên bí mật", "PhongBanXuLy": "P1", "NoiDungXuLy": "Nội dung xử lý bí mật"}]})).await;
        answers += &post("steps", json!([
            {"MaHoSo": "H31.05-250303-0100", "TrangThai": "9", "ThoiDiemXuLy": "20250306090000", "NguoiXuLy": "Trần Văn Cán Bộ", "ChucDanh": "Chuyên viên bí mật", "NoiDungXuLy": "Nội dung xử lý bí mật"},
            {"MaHoSo": "H31.05-250303-0100", "TrangThai": "Nội dung xử lý bí mật", "ThoiDiemXuLy": "0912345678"},
            {"MaHoSo": "Trần Văn Cán Bộ", "TrangThai": "4"}])).await;
        for path in ["/api/v1/sender-codes/unmapped", "/sender-codes", "/api/v1/league?month=2025-03&kind=department&parent=31", "/metrics"] {
            answers += &client.get(format!("{base}{path}")).send().await.unwrap().text().await.unwrap();
        }
    });
    assert!(answers.contains("\"error_code\":\"0\""), "{answers}");
    assert!(answers.contains("\"error_code\":\"1\""), "refusals were answered: {answers}");
    assert!(answers.contains("dvc_national_sync_dossiers_total"), "the collector's metric is exposed");

    // The files while the service runs (the write-ahead log not yet copied back) and after it stops.
    let database_files = || {
        let mut all = Vec::new();
        for entry in std::fs::read_dir(d).unwrap() {
            let path = entry.unwrap().path();
            if path.file_name().unwrap().to_string_lossy().starts_with("dvc-monitor.db") {
                all.push((path.display().to_string(), std::fs::read(&path).unwrap()));
            }
        }
        assert!(all.iter().any(|(p, _)| p.ends_with("-wal")), "the WAL is searched too");
        all
    };
    let running = database_files();
    let _ = child.kill();
    let _ = child.wait();
    let stopped = database_files();
    let mut rest = String::new();
    let _ = stdout.read_to_string(&mut rest);
    output += &rest;
    output += &log.join().unwrap();
    output += &run(&["sender-codes", "unmapped"]);
    output += &run(&["verify"]);
    assert!(output.contains("events of"), "verify ran: {output}");

    // Positive controls: what the search reads does hold the stored dossiers and the service's log.
    let code = b"H31.05-250303-0100";
    assert!(running.iter().any(|(_, b)| b.windows(code.len()).any(|w| w == code)), "the stored dossier is in the files searched");
    assert!(output.contains("DEBUG") || output.contains("INFO"), "the log was captured: {output}");
    for value in PERSONAL {
        assert!(!answers.contains(value), "{value:?} in an answer:\n{answers}");
        assert!(!output.contains(value), "{value:?} in the service's output:\n{output}");
        for (path, bytes) in running.iter().chain(&stopped) {
            assert!(!bytes.windows(value.len()).any(|w| w == value.as_bytes()), "{value:?} in {path}");
        }
    }
}
