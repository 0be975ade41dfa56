//! Quarters, halves and years through HTTP, on both backends: figures are the sums of the period's
//! months (a closed month as published), the year's target applies (a month override does not), ranks
//! and changes are against the period before of the same kind; and the pages open on the last finished
//! month until the current one tells something, marking a running period provisional.

mod common;

use common::{create_token, seed_registry, Backend, TestDb, TestServer};
use dvc_monitor::Settings;
use serde_json::{json, Value};

fn at(year: i32, month: u32, day: u32, hour: u32) -> String {
    format!("{year}-{month:02}-{day:02}T{hour:02}:00:00+07:00")
}

/// A dossier received and returned two days later: fully online, or with its result handed over at the
/// counter.
fn dossier(code: &str, unit: &str, (year, month, day): (i32, u32, u32), fully_online: bool) -> Vec<Value> {
    let delivery = if fully_online { "online" } else { "in_person" };
    vec![
        json!({"id": format!("{code}-r"), "dossier": code, "unit": unit, "procedure": "1.001612", "status": "received",
               "at": at(year, month, day, 8), "channel": "online"}),
        json!({"id": format!("{code}-t"), "dossier": code, "unit": unit, "procedure": "1.001612", "status": "returned",
               "at": at(year, month, day + 2, 10), "result_delivery": delivery}),
    ]
}

/// `n` dossiers of `unit` in a month, the first `online` of them fully online.
fn month_of(unit: &str, year: i32, month: u32, n: usize, online: usize) -> Vec<Value> {
    (0..n).flat_map(|i| dossier(&format!("{unit}-{year}{month:02}-{i}"), unit, (year, month, 1 + i as u32 % 20), i < online)).collect()
}

async fn post_all(server: &TestServer, token: &str, events: &[Value]) {
    for chunk in events.chunks(500) {
        let (status, body) = server.post(token, "application/json", serde_json::to_string(chunk).unwrap()).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["rejected"].as_array().map(Vec::len), Some(0), "{body}");
    }
}

fn row<'a>(table: &'a Value, unit: &str) -> &'a Value {
    table["rows"].as_array().unwrap().iter().find(|r| r["unit"] == unit).unwrap_or_else(|| panic!("{unit} in {table}"))
}

fn figures(r: &Value) -> (i64, i64) {
    (r["numerator"].as_i64().unwrap(), r["denominator"].as_i64().unwrap())
}

async fn quarters_halves_and_years(backend: Backend) {
    let db = TestDb::new(backend).await;
    seed_registry(db.store.as_ref()).await;
    let token = create_token(db.store.as_ref(), "igate-hp", &["31"]).await;
    // 2027-01-20: the fourth quarter of 2026 and the year are finished.
    let server = TestServer::start(db, "2027-01-20T12:00:00+07:00", Settings { min_volume: 3, ..Settings::default() }).await;
    let mut events = Vec::new();
    // Q3: STP 9/10, SYT 2/10. Q4: STP 4/10 + 3/10 + 2/10 = 9/30, SYT 8/10 + 8/10 + 9/10 = 25/30.
    events.extend(month_of("31-STP", 2026, 8, 10, 9));
    events.extend(month_of("31-SYT", 2026, 9, 10, 2));
    for (m, stp, syt) in [(10, 4, 8), (11, 3, 8), (12, 2, 9)] {
        events.extend(month_of("31-STP", 2026, m, 10, stp));
        events.extend(month_of("31-SYT", 2026, m, 10, syt));
    }
    post_all(&server, &token, &events).await;

    let q4 = server.get_json("/api/v1/league?period=2026-Q4&kind=department&parent=31").await;
    assert_eq!(q4["period"], "2026-Q4");
    assert_eq!(q4["month"], Value::Null, "a quarter is not a month");
    let (stp, syt) = (row(&q4, "31-STP"), row(&q4, "31-SYT"));
    assert_eq!(figures(stp), (9, 30));
    assert_eq!(figures(syt), (25, 30));
    // The year's target of departments (0.7) applies to the quarter, not SYT's November override (0.5).
    assert_eq!(syt["target"], 0.7);
    assert_eq!((syt["status"].as_str(), syt["rank"].as_i64()), (Some("met"), Some(1)));
    assert_eq!((stp["status"].as_str(), stp["rank"].as_i64()), (Some("behind"), Some(2)));
    // Against the third quarter: STP was first (9/10), SYT second (2/10).
    assert_eq!((stp["rank_change"].as_i64(), syt["rank_change"].as_i64()), (Some(-1), Some(1)));
    assert!((stp["rate_change"].as_f64().unwrap() - (0.3 - 0.9)).abs() < 1e-9, "{stp}");

    // `month=2026-11` and `period=2026-11` are the same table.
    let by_month = server.get_json("/api/v1/league?month=2026-11&kind=department&parent=31").await;
    let by_period = server.get_json("/api/v1/league?period=2026-11&kind=department&parent=31").await;
    assert_eq!(by_month, by_period);
    assert_eq!(by_month["month"], "2026-11");
    assert_eq!(row(&by_month, "31-SYT")["target"], 0.5, "a month keeps its override");

    // The second half and the year: every month summed.
    let h2 = server.get_json("/api/v1/units/31-STP?period=2026-H2").await;
    let completion = &h2["indicators"][0];
    assert_eq!((completion["numerator"].as_i64(), completion["denominator"].as_i64()), (Some(18), Some(40)));
    assert_eq!(h2["period"], "2026-H2");
    let year = server.get_json("/api/v1/aggregate?period=2026&level=province").await;
    let hp = row(&year, "31");
    assert_eq!(figures(hp), (18 + 27, 80));
    let nation = server.get_json("/api/v1/aggregate?period=2026-H2&level=nation").await;
    assert_eq!(figures(&nation["rows"][0]), (45, 80));

    // Clear refusals.
    for (query, says) in [
        ("period=2026-Q5", "invalid period"),
        ("period=2026-H3", "invalid period"),
        ("period=2026-Q4&month=2026-07", "disagree"),
        ("period=2101", "outside"),
    ] {
        let (status, body) = server.get_text(&format!("/api/v1/league?{query}")).await;
        assert_eq!(status, 400, "{query}: {body}");
        assert!(body.contains(says), "{query}: {body}");
    }

    // The page and the exports speak of the quarter.
    let (status, page) = server.get_text("/?period=2026-Q4&kind=department&parent=31").await;
    assert_eq!(status, 200);
    assert!(page.contains("quý IV/2026"), "the page names the quarter");
    assert!(page.contains("So với quý trước"));
    assert!(page.contains(r#"<option value="2026-Q4" selected>"#), "the selector keeps the quarter");
    assert!(!page.contains("Số liệu tạm tính"), "a finished quarter is not provisional");
    let (status, csv) = server.get_text("/export/league.csv?period=2026-Q4&kind=department&parent=31").await;
    assert_eq!(status, 200, "{csv}");
    assert!(csv.contains("Q4/2026") || csv.contains("quý IV/2026"), "{csv}");
    let (status, unit) = server.get_text("/units/31-STP?period=2026").await;
    assert_eq!(status, 200);
    assert!(unit.contains("Sở Tư pháp — năm 2026"), "the unit page names the year");

    // The same department across provinces: Hà Nội's "Sở Tư pháp Hà Nội" is Hải Phòng's "Sở Tư pháp".
    let hanoi = create_token(server.db.store.as_ref(), "igate-hn", &["01"]).await;
    post_all(&server, &hanoi, &month_of("01-STP", 2026, 11, 10, 6)).await;
    let peers = server.get_json("/api/v1/league?period=2026-Q4&kind=department&peer=so%20tu%20phap").await;
    let units: Vec<&str> = peers["rows"].as_array().unwrap().iter().map(|r| r["unit"].as_str().unwrap()).collect();
    assert_eq!(units, ["01-STP", "31-STP"], "6/10 ranks above 9/30");
    let (status, page) = server.get_text("/?period=2026-Q4&kind=department&peer=so+tu+phap").await;
    assert_eq!(status, 200);
    assert!(page.contains("Sở Tư pháp các tỉnh, thành phố"), "the title names the function");
    assert!(page.contains("/units/01-STP") && !page.contains("/units/31-SYT"), "only the peers are listed");
    let (status, _) = server.get_text("/?kind=department&peer=so+khong+co").await;
    assert_eq!(status, 404, "an unknown function");

    // The provinces view ends with the nation's total: the sums of every province, and the mean rate.
    let (_, provinces) = server.get_text("/?period=2026-Q4&kind=province").await;
    let foot = &provinces[provinces.find("<tfoot>").expect("a total row")..];
    assert!(foot.contains("Toàn quốc"), "{foot}");
    assert!(foot.contains("<td class=\"num opt\">70</td><td class=\"num opt\">40</td>"), "Q4: 60 of Hải Phòng + 10 of Hà Nội dossiers, 34 + 6 fully online: {foot}");
    assert!(foot.contains("57,1 %"), "40 / 70: {foot}");

    // The scorecard: the three indicators of the quarter, coloured, in words, with trends and totals.
    let (status, card) = server.get_text("/scorecard?period=2026-Q4&kind=department&parent=31").await;
    assert_eq!(status, 200);
    assert!(card.contains("Bảng điểm quý IV/2026"), "its title");
    let syt = &card[card.find("Sở Y tế</a>").expect("SYT's row")..];
    let syt = &syt[..syt.find("</tr>").unwrap()];
    assert!(syt.contains("ok-cell") && syt.contains("Đạt") && syt.contains("83,3 %"), "25/30 met, coloured and in words: {syt}");
    assert!(syt.contains("▲") && syt.contains("tăng so với kỳ trước"), "up from 2/10 in Q3: {syt}");
    assert!(card.contains("Trung bình các đơn vị"), "an average row");
    let (status, by_period) = server.get_text("/scorecard?view=periods&indicator=completion&period=2026-Q4&kind=department&parent=31").await;
    assert_eq!(status, 200);
    for q in ["Quý I/2025", "Quý III/2026", "Quý IV/2026"] {
        assert!(by_period.contains(&format!("<th scope=\"col\">{q}</th>")), "{q} is a column");
    }
    let (status, _) = server.get_text("/scorecard?view=sideways").await;
    assert_eq!(status, 400);
}

/// Early in December (2 December), one department has a day of data while four were ranked in
/// November: `/` opens on November and says why; later in the month it opens on December, provisional.
async fn honest_default(backend: Backend) {
    async fn start(backend: Backend, now: &str) -> TestServer {
        let db = TestDb::new(backend).await;
        seed_registry(db.store.as_ref()).await;
        let token = create_token(db.store.as_ref(), "igate-hp", &["31"]).await;
        let server = TestServer::start(db, now, Settings { min_volume: 3, ..Settings::default() }).await;
        let mut events = Vec::new();
        for unit in ["31-STP", "31-SYT", "31-SXD", "31-SCT"] {
            events.extend(month_of(unit, 2026, 11, 5, 4));
        }
        // 1 December: three dossiers of STP, enough for one unit only.
        events.extend((0..3).flat_map(|i| {
            let code = format!("STP-D{i}");
            vec![json!({"id": format!("{code}-r"), "dossier": code, "unit": "31-STP", "procedure": "1.001612", "status": "received",
                        "at": "2026-12-01T08:00:00+07:00", "channel": "online"}),
                 json!({"id": format!("{code}-t"), "dossier": code, "unit": "31-STP", "procedure": "1.001612", "status": "returned",
                        "at": "2026-12-01T15:00:00+07:00", "result_delivery": "online"})]
        }));
        post_all(&server, &token, &events).await;
        server
    }

    let early = start(backend, "2026-12-02T09:00:00+07:00").await;
    let (status, page) = early.get_text("/?kind=department&parent=31").await;
    assert_eq!(status, 200);
    assert!(page.contains("Bảng xếp hạng tháng 11/2026"), "opens on the last finished month");
    assert!(page.contains("Tháng 12/2026 mới bắt đầu: mới có 1 trong 5 đơn vị đủ dữ liệu"), "and says why");
    assert!(page.contains("period=2026-12"), "the current month is a link away");
    assert!(!page.contains("Số liệu tạm tính:"), "November is final");
    // Asked for explicitly, December shows, provisional, with the time of the last event received.
    let (_, december) = early.get_text("/?period=2026-12&kind=department&parent=31").await;
    assert!(december.contains("Bảng xếp hạng tháng 12/2026"));
    assert!(december.contains("Số liệu tạm tính"), "a running month is provisional");
    assert!(december.contains("Cập nhật lần cuối lúc 09:00 02/12/2026"), "{}", &december[december.find("tạm tính").unwrap()..][..400]);
    // A unit's page likewise: SYT has nothing in December yet, so its page opens on November; STP has
    // the minimum volume, so its page opens on December.
    let (_, syt) = early.get_text("/units/31-SYT").await;
    assert!(syt.contains("Sở Y tế — tháng 11/2026") && syt.contains("Tháng 12/2026 chưa đủ hồ sơ để đánh giá đơn vị này"), "SYT opens on November");
    let (_, stp) = early.get_text("/units/31-STP").await;
    assert!(stp.contains("Sở Tư pháp — tháng 12/2026") && stp.contains("Số liệu tạm tính"), "STP opens on December, provisional");
    // The read API keeps api.md's default: the current month.
    assert_eq!(early.get_json("/api/v1/league?kind=department&parent=31").await["month"], "2026-12");
    drop(early);

    // With three of four departments ranked, December tells something: the page opens on it.
    let later = start(backend, "2026-12-20T09:00:00+07:00").await;
    let token = create_token(later.db.store.as_ref(), "igate-hp2", &["31"]).await;
    post_all(&later, &token, &[month_of("31-SYT", 2026, 12, 4, 4), month_of("31-SXD", 2026, 12, 4, 1)].concat()).await;
    let (_, page) = later.get_text("/?kind=department&parent=31").await;
    assert!(page.contains("Bảng xếp hạng tháng 12/2026"), "opens on the current month");
    assert!(page.contains("Số liệu tạm tính"), "marked provisional");
}

backend_tests! {
    quarters_halves_and_years_sum_their_months => super::quarters_halves_and_years,
    pages_open_on_a_month_that_tells_something => super::honest_default,
}
