//! A dossier snapshot becomes the facts of native events (the mapping table of the README).
//!
//! | snapshot | event |
//! | --- | --- |
//! | `NgayNopHoSo`, when `KenhThucHien` = 2 | `registered` |
//! | `NgayTiepNhan`, `KenhThucHien` (empty: at the counter), `NgayHenTra` | `received` with `channel` and `due` |
//! | `NgayTuChoi` | `refused` |
//! | `DanhSachHoSoBoSung`: `NgayBoSung`, `NgayTiepNhanBoSung` | `supplement_requested`, then `processing` marked `supplement_answered` |
//! | `NgayKetThucXuLy` | `resolved` (`withdrawn` or `stopped` when `TrangThaiHoSo` is 7 or 8) |
//! | `NgayTra` (else `NgayKetThucXuLy` when `TrangThaiHoSo` = 10), `HinhThuc`, `DanhSachGiayToKetQua` | `returned` with `result_delivery`: `online` when a result paper has a link, else `postal` for `HinhThuc` = 1, else `in_person` |
//! | `DuocThanhToanTrucTuyen`, `DanhSachLePhi` | `payment_requested` at the snapshot's latest time, with `payment` `online` (1, 2) or `offline` (0 or empty with a fee above 0); none for 3 or no fee |
//! | `DanhSachGiayToKetQua`, `HoSoCoThanhPhanSoHoa`, `TaiLieuNop`, `DanhSachLePhi` | `processing` at the snapshot's latest time with the marks `result_file` (a result paper with a link), `digitised` (`HoSoCoThanhPhanSoHoa` = 1 or a document with `DuocSoHoa` = 1), `reused_data` (the same, as the portal's index notes read it, or a document with `DuocTaiSuDung` 1 or 2 or `DuocLayTuKhoDMQG` = 1), `fee` (a fee above 0) |

use super::wire::{self, Scalar};
use crate::domain::event::{Channel, Marks, Payment, Status, DUE_BEFORE_MS, EARLIEST_TIME_MS, MAX_FUTURE_MS};
use crate::domain::sender;
use crate::registry::Registry;

/// What an event of a snapshot stands for: the three facts that corrections replace, or the rest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The intake: unit, procedure, channel and due date (kpi.md: the earliest `received`).
    Received,
    /// The return and how the result was delivered (the earliest `returned`).
    Returned,
    /// How the fee was paid (the latest event carrying a payment).
    Payment,
    /// The index's marks: result file, digitised, re-used data, fee (the latest event carrying each).
    Marks,
    /// Any other status change: never a fact of its own, so its id is its content.
    Step,
}

/// One event before it has an id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    pub kind: Kind,
    pub status: Status,
    pub at: i64,
    pub channel: Option<Channel>,
    pub result_delivery: Option<Channel>,
    pub due: Option<i64>,
    pub payment: Option<Payment>,
    pub marks: Marks,
}

impl Draft {
    pub fn step(status: Status, at: i64) -> Draft {
        Draft { kind: Kind::Step, status, at, channel: None, result_delivery: None, due: None, payment: None, marks: Marks::default() }
    }
}

/// A snapshot read and mapped: the dossier, where it belongs, and its events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dossier {
    pub code: String,
    pub unit: String,
    pub procedure: String,
    pub drafts: Vec<Draft>,
}

/// Why a snapshot (or step) was refused. `dossier` is its `MaHoSo` when that is a code (never free
/// text); `unmapped` the sender code that has no mapping, to be recorded for the operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    pub dossier: Option<String>,
    pub message: String,
    pub unmapped: Option<String>,
}

impl Refused {
    pub fn new(dossier: Option<&str>, message: impl Into<String>) -> Refused {
        Refused { dossier: dossier.map(String::from), message: message.into(), unmapped: None }
    }
}

/// Longest dossier code: the native contract's limit.
const MAX_DOSSIER_CHARS: usize = crate::domain::event::MAX_DOSSIER_CHARS;
/// Supplement requests one snapshot may carry (a dossier has a handful at most).
const MAX_SUPPLEMENTS: usize = 50;

/// A dossier code as the shape writes it (`H22.39-250301-0012`): 1 to 64 letters, digits and `.-_/`.
/// Stricter than the native contract on purpose: only a value shaped like a code is stored or
/// quoted back, so an applicant's name or free text put in `MaHoSo` is refused, not kept.
pub fn dossier_code(field: &Option<Scalar>, name: &str) -> Result<String, String> {
    let code = Scalar::text(field).map_err(|_| format!("{name} must be a dossier code"))?.ok_or_else(|| format!("{name} is missing"))?;
    let shaped = code.chars().count() <= MAX_DOSSIER_CHARS && code.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '/'));
    if !shaped {
        return Err(format!("{name} must be 1 to {MAX_DOSSIER_CHARS} letters, digits, '.', '-', '_' or '/'"));
    }
    Ok(code)
}

/// What reading a snapshot needs: who sends it, the registry, and now (bounds on times).
pub struct Reader<'a> {
    pub source: &'a str,
    pub registry: &'a Registry,
    pub now_ms: i64,
}

impl Reader<'_> {
    /// Maps one snapshot. `madonvi` is the wrapping's unit code, used when `DonViXuLy` is empty.
    pub fn read(&self, s: &wire::Snapshot, madonvi: Option<&Scalar>) -> Result<Dossier, Refused> {
        let code = dossier_code(&s.MaHoSo, "MaHoSo").map_err(|m| Refused::new(None, m))?;
        let refuse = |m: String| Refused::new(Some(&code), m);
        let procedure = Scalar::text(&s.MaTTHC)
            .ok()
            .flatten()
            .filter(|p| sender::is_code(p))
            .ok_or_else(|| refuse("MaTTHC must be a procedure code (1 to 64 letters, digits, '.', '-', '_')".into()))?;
        let unit = self.unit(s, madonvi).map_err(|(message, unmapped)| Refused { dossier: Some(code.clone()), message, unmapped })?;
        let drafts = self.drafts(s).map_err(refuse)?;
        Ok(Dossier { code, unit, procedure, drafts })
    }

    /// The registry unit of the snapshot's `DonViXuLy` (else the wrapping's `madonvi`); Err with the
    /// reason, and the code when it is one that lacks a mapping.
    fn unit(&self, s: &wire::Snapshot, madonvi: Option<&Scalar>) -> Result<String, (String, Option<String>)> {
        let own = Scalar::text(&s.DonViXuLy).map_err(|_| ("DonViXuLy must be a unit code".to_string(), None))?;
        let wrapping = madonvi.map(|m| Scalar::text(&Some(m.clone()))).transpose().map_err(|_| ("madonvi must be a unit code".to_string(), None))?.flatten();
        let (field, code) = match (own, wrapping) {
            (Some(c), _) => ("DonViXuLy", c),
            (None, Some(c)) => ("madonvi", c),
            (None, None) => return Err(("DonViXuLy is missing (and no madonvi wraps the snapshot)".into(), None)),
        };
        if !sender::is_code(&code) {
            return Err((format!("{field} must be a unit code (1 to 64 letters, digits, '.', '-', '_')"), None));
        }
        match self.registry.sender_codes.resolve(self.source, &code, &self.registry.units) {
            Some(unit) => Ok(unit.to_string()),
            None => Err((
                format!(
                    "{field} {code:?} is not mapped to a unit of the registry: the operator adds it with \
                     `dvc-monitor sender-codes import`; nothing of this dossier was stored"
                ),
                Some(code),
            )),
        }
    }

    fn drafts(&self, s: &wire::Snapshot) -> Result<Vec<Draft>, String> {
        let time = |field: &Option<Scalar>, name: &str| self.time(field, name);
        let status = match Scalar::text(&s.TrangThaiHoSo) {
            Ok(None) => None,
            Ok(Some(t)) => Some(t.parse::<i64>().ok().and_then(Status::from_code).ok_or("TrangThaiHoSo must be a status code from 1 to 10")?),
            Err(wire::NotText) => return Err("TrangThaiHoSo must be a status code from 1 to 10".into()),
        };
        let channel = match code_of(&s.KenhThucHien, "KenhThucHien")? {
            None => Channel::InPerson, // the shape: empty counts as at the counter
            Some(c) => Channel::from_code(c).ok_or("KenhThucHien must be 1 (at the counter), 2 (online) or 3 (public post)")?,
        };
        let submitted = time(&s.NgayNopHoSo, "NgayNopHoSo")?;
        let received = time(&s.NgayTiepNhan, "NgayTiepNhan")?;
        let refused = time(&s.NgayTuChoi, "NgayTuChoi")?;
        let finished = time(&s.NgayKetThucXuLy, "NgayKetThucXuLy")?;
        let returned = match time(&s.NgayTra, "NgayTra")? {
            Some(t) => Some(t),
            None if status == Some(Status::Returned) => {
                Some(finished.ok_or("TrangThaiHoSo is 10 (returned) but neither NgayTra nor NgayKetThucXuLy is given")?)
            }
            None => None,
        };
        let due = match Scalar::text(&s.NgayHenTra).map_err(|_| "NgayHenTra is not a time (yyyyMMddHHmmss or dd/MM/yyyy HH:mm:ss)")? {
            None => None,
            Some(t) => {
                let due = super::time::parse(&t).ok_or("NgayHenTra is not a time (yyyyMMddHHmmss or dd/MM/yyyy HH:mm:ss)")?;
                if !(EARLIEST_TIME_MS..DUE_BEFORE_MS).contains(&due) {
                    return Err("NgayHenTra lies outside 2000-01-01 to 2099-12-31".into());
                }
                Some(due)
            }
        };

        let mut drafts = Vec::new();
        if let (Some(at), Channel::Online) = (submitted, channel) {
            drafts.push(Draft::step(Status::Registered, at));
        }
        if let Some(at) = received {
            drafts.push(Draft { kind: Kind::Received, channel: Some(channel), due, ..Draft::step(Status::Received, at) });
        }
        if let Some(at) = refused {
            drafts.push(Draft::step(Status::Refused, at));
        }
        if s.DanhSachHoSoBoSung.invalid {
            return Err("DanhSachHoSoBoSung must be a list of supplement requests".into());
        }
        if s.DanhSachHoSoBoSung.items.len() > MAX_SUPPLEMENTS {
            return Err(format!("DanhSachHoSoBoSung holds more than {MAX_SUPPLEMENTS} supplement requests"));
        }
        for request in &s.DanhSachHoSoBoSung.items {
            if let Some(at) = time(&request.NgayBoSung, "DanhSachHoSoBoSung.NgayBoSung")? {
                drafts.push(Draft::step(Status::SupplementRequested, at));
            }
            if let Some(at) = time(&request.NgayTiepNhanBoSung, "DanhSachHoSoBoSung.NgayTiepNhanBoSung")? {
                let answered = Marks { supplement_answered: Some(true), ..Marks::default() };
                drafts.push(Draft { marks: answered, ..Draft::step(Status::Processing, at) });
            }
        }
        if let Some(at) = finished {
            let ended = match status {
                Some(s @ (Status::Withdrawn | Status::Stopped)) => s,
                _ => Status::Resolved,
            };
            drafts.push(Draft::step(ended, at));
        }
        if let Some(at) = returned {
            let delivery = result_delivery(s)?;
            drafts.push(Draft { kind: Kind::Returned, result_delivery: Some(delivery), ..Draft::step(Status::Returned, at) });
        }
        // The payment rides on an event of its own, dated at the snapshot's latest time: a later
        // snapshot of the dossier's life names a later time, so its payment is the latest (kpi.md).
        let latest = drafts.iter().map(|d| d.at).max();
        match (payment(s)?, latest) {
            (Some(p), Some(at)) => drafts.push(Draft { kind: Kind::Payment, payment: Some(p), ..Draft::step(Status::PaymentRequested, at) }),
            (_, None) => return Err("the snapshot names no time (NgayNopHoSo, NgayTiepNhan, NgayTuChoi, NgayKetThucXuLy, NgayTra): nothing to record".into()),
            (None, Some(_)) => {}
        }
        // The marks likewise, on a `processing` event of their own (a status no fact reads).
        if let Some(at) = latest {
            drafts.push(Draft { kind: Kind::Marks, marks: marks(s)?, ..Draft::step(Status::Processing, at) });
        }
        Ok(drafts)
    }

    /// A time of an event: from 2000 to 10 minutes after now, as the native contract accepts.
    pub(super) fn time(&self, field: &Option<Scalar>, name: &str) -> Result<Option<i64>, String> {
        let not_a_time = || format!("{name} is not a time (yyyyMMddHHmmss or dd/MM/yyyy HH:mm:ss)");
        let Some(text) = Scalar::text(field).map_err(|_| not_a_time())? else {
            return Ok(None);
        };
        let at = super::time::parse(&text).ok_or_else(not_a_time)?;
        if at < EARLIEST_TIME_MS {
            return Err(format!("{name} lies before 2000-01-01"));
        }
        let latest = self.now_ms.saturating_add(MAX_FUTURE_MS);
        if at > latest {
            return Err(format!("{name} lies more than 10 minutes after now ({})", super::time::rfc3339(latest)));
        }
        Ok(Some(at))
    }
}

/// A whole-number code (`"2"` or `2`); None when absent.
fn code_of(field: &Option<Scalar>, name: &str) -> Result<Option<i64>, String> {
    match Scalar::text(field) {
        Ok(None) => Ok(None),
        Ok(Some(t)) => t.parse().map(Some).map_err(|_| format!("{name} must be a whole-number code")),
        Err(wire::NotText) => Err(format!("{name} must be a whole-number code")),
    }
}

/// How the result reached the applicant: a result paper with a link is an electronic result (online);
/// otherwise `HinhThuc` 1 is by post and 0 or empty at the counter.
fn result_delivery(s: &wire::Snapshot) -> Result<Channel, String> {
    if s.DanhSachGiayToKetQua.invalid {
        return Err("DanhSachGiayToKetQua must be a list of result papers".into());
    }
    let handed = match code_of(&s.HinhThuc, "HinhThuc")? {
        None | Some(0) => Channel::InPerson,
        Some(1) => Channel::Postal,
        Some(_) => return Err("HinhThuc must be 0 (at the counter) or 1 (by post)".into()),
    };
    let linked = s.DanhSachGiayToKetQua.items.iter().any(|p| matches!(Scalar::text(&p.DuongDanTepTinKetQua), Ok(Some(_))));
    Ok(if linked { Channel::Online } else { handed })
}

/// What the snapshot says for the national index's indicators (national-sync.md, last section).
fn marks(s: &wire::Snapshot) -> Result<Marks, String> {
    if s.TaiLieuNop.invalid {
        return Err("TaiLieuNop must be a list of submitted documents".into());
    }
    if s.DanhSachGiayToKetQua.invalid {
        return Err("DanhSachGiayToKetQua must be a list of result papers".into());
    }
    let flag = |v: &Option<Scalar>, name: &str, allowed: &[i64]| -> Result<i64, String> {
        match code_of(v, name)? {
            None => Ok(0),
            Some(c) if allowed.contains(&c) => Ok(c),
            Some(_) => Err(format!("{name} must be one of {}", allowed.iter().map(|c| c.to_string()).collect::<Vec<_>>().join(", "))),
        }
    };
    let mut digitised = flag(&s.HoSoCoThanhPhanSoHoa, "HoSoCoThanhPhanSoHoa", &[0, 1])? == 1;
    let mut reused = false;
    for d in &s.TaiLieuNop.items {
        digitised |= flag(&d.DuocSoHoa, "TaiLieuNop.DuocSoHoa", &[0, 1])? == 1;
        reused |= flag(&d.DuocTaiSuDung, "TaiLieuNop.DuocTaiSuDung", &[0, 1, 2])? > 0;
        reused |= flag(&d.DuocLayTuKhoDMQG, "TaiLieuNop.DuocLayTuKhoDMQG", &[0, 1])? == 1;
    }
    let result_file = s.DanhSachGiayToKetQua.items.iter().any(|p| matches!(Scalar::text(&p.DuongDanTepTinKetQua), Ok(Some(_))));
    Ok(Marks {
        result_file: Some(result_file),
        digitised: Some(digitised),
        // The portal's notes count a digitised component as re-used data; stored data re-used counts too.
        reused_data: Some(reused || digitised),
        fee: Some(fee_due(s)?),
        supplement_answered: None,
    })
}

/// Whether a fee above 0 applies.
fn fee_due(s: &wire::Snapshot) -> Result<bool, String> {
    if s.DanhSachLePhi.invalid {
        return Err("DanhSachLePhi must be a list of fees".into());
    }
    let mut due = false;
    for fee in &s.DanhSachLePhi.items {
        let amount = match Scalar::text(&fee.Gia) {
            Ok(None) => 0.0,
            Ok(Some(t)) => t.parse::<f64>().ok().filter(|a| a.is_finite() && *a >= 0.0).ok_or("DanhSachLePhi: Gia must be an amount of 0 or more")?,
            Err(wire::NotText) => return Err("DanhSachLePhi: Gia must be an amount of 0 or more".into()),
        };
        due |= amount > 0.0;
    }
    Ok(due)
}

/// The payment fact: online for 1 and 2; offline for 0 (or empty) when a fee above 0 is due; none for
/// 3 (a fee recorded, not yet paid: a later snapshot tells how it was paid) or when nothing is due.
fn payment(s: &wire::Snapshot) -> Result<Option<Payment>, String> {
    let fee_due = fee_due(s)?;
    match code_of(&s.DuocThanhToanTrucTuyen, "DuocThanhToanTrucTuyen")? {
        Some(1 | 2) => Ok(Some(Payment::Online)),
        Some(3) => Ok(None),
        None | Some(0) => Ok(fee_due.then_some(Payment::Offline)),
        Some(_) => Err("DuocThanhToanTrucTuyen must be 0, 1, 2 or 3".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Level, Procedure, SenderCode, Unit, UnitKind};
    use serde_json::json;

    fn registry() -> Registry {
        let u = |code: &str, kind, parent: Option<&str>| Unit { code: code.into(), name: code.into(), kind, parent: parent.map(String::from) };
        Registry::new(
            vec![u("31", UnitKind::Province, None), u("31-STP", UnitKind::Department, Some("31"))],
            vec![Procedure { code: "1.001612".into(), name: "x".into(), level: Level::Full, paper_result: false }],
            vec![],
        )
        .with_sender_codes(vec![SenderCode { source: "".into(), code: "000.00.31.H31".into(), unit: "31-STP".into() }])
    }

    fn ms(s: &str) -> i64 {
        chrono::DateTime::parse_from_rfc3339(s).unwrap().timestamp_millis()
    }

    fn read(v: serde_json::Value) -> Result<Dossier, Refused> {
        let registry = registry();
        let reader = Reader { source: "igate", registry: &registry, now_ms: ms("2025-03-20T12:00:00+07:00") };
        let raw = serde_json::to_string(&v).unwrap();
        let s = wire::snapshot(&serde_json::from_str::<Box<serde_json::value::RawValue>>(&raw).unwrap()).unwrap();
        reader.read(&s, None)
    }

    fn online_finished() -> serde_json::Value {
        json!({"MaHoSo": "H31.05-250301-0001", "MaTTHC": "1.001612", "DonViXuLy": "000.00.31.H31", "KenhThucHien": "2",
               "NgayNopHoSo": "20250301080000", "NgayTiepNhan": "20250301083000", "NgayHenTra": "20250310170000",
               "TrangThaiHoSo": "10", "NgayKetThucXuLy": "20250305100000", "NgayTra": "20250305110000", "HinhThuc": "0",
               "DuocThanhToanTrucTuyen": "1", "DanhSachLePhi": [{"Gia": "100000"}],
               "DanhSachGiayToKetQua": [{"TenGiayTo": "Phiếu", "DuongDanTepTinKetQua": "https://x/kq.pdf"}]})
    }

    #[test]
    fn an_online_dossier_finished_with_an_electronic_result() {
        let d = read(online_finished()).unwrap();
        assert_eq!((d.code.as_str(), d.unit.as_str(), d.procedure.as_str()), ("H31.05-250301-0001", "31-STP", "1.001612"));
        let statuses: Vec<Status> = d.drafts.iter().map(|d| d.status).collect();
        assert_eq!(statuses, [Status::Registered, Status::Received, Status::Resolved, Status::Returned, Status::PaymentRequested, Status::Processing]);
        let received = &d.drafts[1];
        assert_eq!((received.at, received.channel, received.due), (ms("2025-03-01T08:30:00+07:00"), Some(Channel::Online), Some(ms("2025-03-10T17:00:00+07:00"))));
        assert_eq!(d.drafts[3].result_delivery, Some(Channel::Online));
        let payment = &d.drafts[4];
        assert_eq!((payment.payment, payment.at), (Some(Payment::Online), ms("2025-03-05T11:00:00+07:00")));
        // The index's marks ride on their own event at the same latest time.
        let marks = &d.drafts[5];
        assert_eq!((marks.kind, marks.at), (Kind::Marks, ms("2025-03-05T11:00:00+07:00")));
        let expected = Marks { result_file: Some(true), digitised: Some(false), reused_data: Some(false), fee: Some(true), supplement_answered: None };
        assert_eq!(marks.marks, expected);
    }

    #[test]
    fn marks_of_digitised_and_reused_documents() {
        let mark = |patch: serde_json::Value| {
            let mut v = online_finished();
            for (k, x) in patch.as_object().unwrap() {
                v[k] = x.clone();
            }
            read(v).map(|d| d.drafts.iter().find(|d| d.kind == Kind::Marks).unwrap().marks)
        };
        let m = mark(json!({"HoSoCoThanhPhanSoHoa": "1", "DanhSachGiayToKetQua": [], "DanhSachLePhi": [{"Gia": 0}]})).unwrap();
        assert_eq!((m.result_file, m.digitised, m.reused_data, m.fee), (Some(false), Some(true), Some(true), Some(false)));
        let m = mark(json!({"TaiLieuNop": [{"TenTepDinhKem": "a.pdf", "DuocSoHoa": 0, "DuocTaiSuDung": "2"}]})).unwrap();
        assert_eq!((m.digitised, m.reused_data), (Some(false), Some(true)));
        let m = mark(json!({"TaiLieuNop": [{"DuocSoHoa": "1"}, {"DuocLayTuKhoDMQG": 0}]})).unwrap();
        assert_eq!((m.digitised, m.reused_data), (Some(true), Some(true)));
        assert_eq!(mark(json!({"TaiLieuNop": [{"DuocSoHoa": 7}]})).unwrap_err().message, "TaiLieuNop.DuocSoHoa must be one of 0, 1");
        assert_eq!(mark(json!({"TaiLieuNop": "Nguyễn"})).unwrap_err().message, "TaiLieuNop must be a list of submitted documents");
    }

    #[test]
    fn delivery_and_payment_rules() {
        let mut v = online_finished();
        v["DanhSachGiayToKetQua"] = json!([{"DuongDanTepTinKetQua": ""}]);
        v["HinhThuc"] = json!(1);
        v["DuocThanhToanTrucTuyen"] = json!("0");
        let d = read(v.clone()).unwrap();
        assert_eq!(d.drafts.iter().find(|d| d.kind == Kind::Returned).unwrap().result_delivery, Some(Channel::Postal));
        assert_eq!(d.drafts.iter().find(|d| d.kind == Kind::Payment).unwrap().payment, Some(Payment::Offline));
        v["DanhSachLePhi"] = json!([{"Gia": 0}, {"Gia": "0"}]);
        assert!(read(v.clone()).unwrap().drafts.iter().all(|d| d.kind != Kind::Payment), "nothing to pay: no payment fact");
        v["DanhSachLePhi"] = json!([{"Gia": 5}]);
        v["DuocThanhToanTrucTuyen"] = json!(3);
        assert!(read(v.clone()).unwrap().drafts.iter().all(|d| d.kind != Kind::Payment), "not yet paid: no payment fact");
        v["HinhThuc"] = json!(0);
        v["DanhSachGiayToKetQua"] = json!(null);
        assert_eq!(read(v).unwrap().drafts.iter().find(|d| d.kind == Kind::Returned).unwrap().result_delivery, Some(Channel::InPerson));
    }

    #[test]
    fn refused_for_their_dossier_with_reasons_that_quote_no_value() {
        let cases = [
            ("MaHoSo", json!("Nguyễn Văn A"), "MaHoSo must be"),
            ("MaHoSo", json!(null), "MaHoSo is missing"),
            ("MaTTHC", json!("thủ tục"), "MaTTHC must be"),
            ("DonViXuLy", json!("Sở Tư pháp"), "DonViXuLy must be a unit code"),
            ("KenhThucHien", json!("9"), "KenhThucHien must be 1"),
            ("NgayTiepNhan", json!("mùng 1 tháng 3"), "NgayTiepNhan is not a time"),
            ("NgayTra", json!("20300101000000"), "NgayTra lies more than 10 minutes after now"),
            ("NgayTiepNhan", json!("18991230000000"), "NgayTiepNhan lies before 2000"),
            ("NgayHenTra", json!("99991231235959"), "NgayHenTra lies outside"),
            ("TrangThaiHoSo", json!(11), "TrangThaiHoSo must be"),
            ("HinhThuc", json!("7"), "HinhThuc must be"),
            ("DuocThanhToanTrucTuyen", json!("yes"), "DuocThanhToanTrucTuyen must be"),
            ("DanhSachLePhi", json!([{"Gia": "một trăm"}]), "DanhSachLePhi: Gia must be"),
        ];
        for (field, value, expected) in cases {
            let mut v = online_finished();
            v[field] = value.clone();
            let r = read(v).unwrap_err();
            assert!(r.message.starts_with(expected), "{field}: {}", r.message);
            for quoted in ["Nguy", "thủ", "Sở", "mùng", "một", "yes"] {
                assert!(!r.message.contains(quoted), "{field}: {}", r.message);
            }
        }
        let mut v = online_finished();
        v["DonViXuLy"] = json!("000.00.99.H99");
        let r = read(v).unwrap_err();
        assert_eq!((r.unmapped.as_deref(), r.dossier.as_deref()), (Some("000.00.99.H99"), Some("H31.05-250301-0001")));
        assert!(r.message.contains("\"000.00.99.H99\" is not mapped"), "{}", r.message);
    }

    #[test]
    fn a_registry_code_stands_for_itself_and_madonvi_fills_in() {
        let mut v = online_finished();
        v["DonViXuLy"] = json!("31-STP");
        assert_eq!(read(v.clone()).unwrap().unit, "31-STP");
        v["DonViXuLy"] = json!("");
        let registry = registry();
        let reader = Reader { source: "igate", registry: &registry, now_ms: ms("2025-03-20T12:00:00+07:00") };
        let raw = serde_json::to_string(&v).unwrap();
        let s = wire::snapshot(&serde_json::from_str::<Box<serde_json::value::RawValue>>(&raw).unwrap()).unwrap();
        assert_eq!(reader.read(&s, Some(&Scalar::Text("000.00.31.H31".into()))).unwrap().unit, "31-STP");
        assert!(reader.read(&s, None).unwrap_err().message.starts_with("DonViXuLy is missing"));
    }

    #[test]
    fn a_counter_dossier_with_supplements_and_a_refusal() {
        let v = json!({"MaHoSo": "H31-2", "MaTTHC": "1.001612", "DonViXuLy": "31-STP", "KenhThucHien": "",
            "NgayTiepNhan": "01/03/2025 09:00:00", "NgayTuChoi": "02/03/2025 09:00:00", "TrangThaiHoSo": 3,
            "DanhSachHoSoBoSung": [{"NgayBoSung": "20250301100000", "NgayTiepNhanBoSung": "20250301150000"}]});
        let d = read(v).unwrap();
        let statuses: Vec<Status> = d.drafts.iter().map(|d| d.status).collect();
        assert_eq!(statuses, [Status::Received, Status::Refused, Status::SupplementRequested, Status::Processing, Status::Processing]);
        assert_eq!(d.drafts[0].channel, Some(Channel::InPerson));
        // The answer to the supplement request is marked; the last event carries the index's marks.
        assert_eq!(d.drafts[3].marks, Marks { supplement_answered: Some(true), ..Marks::default() });
        assert_eq!((d.drafts[4].kind, d.drafts[4].marks.fee), (Kind::Marks, Some(false)));
    }
}
