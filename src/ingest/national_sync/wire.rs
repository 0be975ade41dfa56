//! The national-sync shape as it arrives, reduced to the fields dvc-monitor needs while it is read.
//!
//! Every struct here names only the fields the mapping uses; serde skips the rest of each object
//! without keeping it (the applicant's name, identity numbers, phone, e-mail, addresses, free text,
//! civil servants' names, file names and links of submitted documents). Unknown fields are accepted:
//! real systems send dozens. Every field is read leniently (any JSON value is taken, the wrong kind
//! becomes `Scalar::Other`), so that no serde error can quote a value back: the checks that follow
//! give reasons that name fields, never their content.

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;
use std::fmt;

/// One JSON value where a code, a number or a time is expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scalar {
    Text(String),
    Int(i64),
    /// null or an empty string: the field is absent.
    Empty,
    /// A fraction, a boolean, an object or a list: not what the field holds.
    Other,
}

impl Scalar {
    /// The value as text (a number written in decimal), trimmed; None when absent.
    pub fn text(field: &Option<Scalar>) -> Result<Option<String>, NotText> {
        match field {
            None | Some(Scalar::Empty) => Ok(None),
            Some(Scalar::Text(s)) => Ok(Some(s.trim().to_string()).filter(|s| !s.is_empty())),
            Some(Scalar::Int(n)) => Ok(Some(n.to_string())),
            Some(Scalar::Other) => Err(NotText),
        }
    }
}

/// A value that is neither text nor a whole number where one is expected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotText;

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Scalar, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Scalar;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Scalar, E> {
                Ok(if v.trim().is_empty() { Scalar::Empty } else { Scalar::Text(v.to_string()) })
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Scalar, E> {
                Ok(Scalar::Int(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Scalar, E> {
                Ok(i64::try_from(v).map_or(Scalar::Other, Scalar::Int))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Scalar, E> {
                Ok(Scalar::Other)
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Scalar, E> {
                Ok(Scalar::Other)
            }
            fn visit_unit<E: de::Error>(self) -> Result<Scalar, E> {
                Ok(Scalar::Empty)
            }
            fn visit_none<E: de::Error>(self) -> Result<Scalar, E> {
                Ok(Scalar::Empty)
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Scalar, D::Error> {
                Scalar::deserialize(d)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Scalar, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Scalar::Other)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Scalar, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Scalar::Other)
            }
        }
        d.deserialize_any(V)
    }
}

/// A list of objects: null, an empty string or a missing field is an empty list; an element that is
/// not an object, or a value that is not a list, makes it `invalid` (its content is skipped, not kept).
#[derive(Debug)]
pub struct List<T> {
    pub items: Vec<T>,
    pub invalid: bool,
}

impl<T> Default for List<T> {
    fn default() -> Self {
        List { items: Vec::new(), invalid: false }
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for List<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<List<T>, D::Error> {
        struct V<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = List<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a list")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<List<T>, A::Error> {
                let mut list = List::default();
                while let Some(item) = seq.next_element::<Object<T>>()? {
                    match item.0 {
                        Some(t) => list.items.push(t),
                        None => list.invalid = true,
                    }
                }
                Ok(list)
            }
            fn visit_unit<E: de::Error>(self) -> Result<List<T>, E> {
                Ok(List::default())
            }
            fn visit_none<E: de::Error>(self) -> Result<List<T>, E> {
                Ok(List::default())
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<List<T>, D::Error> {
                List::deserialize(d)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<List<T>, E> {
                Ok(List { items: Vec::new(), invalid: !v.trim().is_empty() })
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<List<T>, E> {
                Ok(List { items: Vec::new(), invalid: true })
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<List<T>, E> {
                Ok(List { items: Vec::new(), invalid: true })
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<List<T>, E> {
                Ok(List { items: Vec::new(), invalid: true })
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<List<T>, E> {
                Ok(List { items: Vec::new(), invalid: true })
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<List<T>, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(List { items: Vec::new(), invalid: true })
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

/// An element of a list: `Some` when it is an object, None (its content skipped) otherwise.
struct Object<T>(Option<T>);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Object<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Object<T>, D::Error> {
        struct V<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = Object<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Object<T>, A::Error> {
                T::deserialize(de::value::MapAccessDeserializer::new(map)).map(|t| Object(Some(t)))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Object<T>, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Object(None))
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<Object<T>, E> {
                Ok(Object(None))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Object<T>, E> {
                Ok(Object(None))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Object<T>, E> {
                Ok(Object(None))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Object<T>, E> {
                Ok(Object(None))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Object<T>, E> {
                Ok(Object(None))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Object<T>, E> {
                Ok(Object(None))
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

/// A dossier snapshot (`HoSoDongBoDVC`): only what the mapping reads.
#[allow(non_snake_case)]
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Snapshot {
    pub MaHoSo: Option<Scalar>,
    pub MaTTHC: Option<Scalar>,
    pub DonViXuLy: Option<Scalar>,
    pub KenhThucHien: Option<Scalar>,
    pub NgayNopHoSo: Option<Scalar>,
    pub NgayTiepNhan: Option<Scalar>,
    pub NgayHenTra: Option<Scalar>,
    pub TrangThaiHoSo: Option<Scalar>,
    pub NgayKetThucXuLy: Option<Scalar>,
    pub NgayTra: Option<Scalar>,
    pub HinhThuc: Option<Scalar>,
    pub NgayTuChoi: Option<Scalar>,
    pub DuocThanhToanTrucTuyen: Option<Scalar>,
    pub DanhSachLePhi: List<Fee>,
    pub DanhSachGiayToKetQua: List<ResultPaper>,
    pub DanhSachHoSoBoSung: List<Supplement>,
    pub TaiLieuNop: List<Document>,
    pub HoSoCoThanhPhanSoHoa: Option<Scalar>,
}

/// A submitted document: only whether it was digitised or re-used (never its name, file or link).
#[allow(non_snake_case)]
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Document {
    pub DuocSoHoa: Option<Scalar>,
    pub DuocTaiSuDung: Option<Scalar>,
    pub DuocLayTuKhoDMQG: Option<Scalar>,
}

/// A fee: only its amount (names and codes of fees are not needed).
#[allow(non_snake_case)]
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Fee {
    pub Gia: Option<Scalar>,
}

/// A result paper: only whether it links to an electronic result (the link itself is not kept).
#[allow(non_snake_case)]
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ResultPaper {
    pub DuongDanTepTinKetQua: Option<Scalar>,
}

/// A supplement request: when it was made and when the applicant answered.
#[allow(non_snake_case)]
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Supplement {
    pub NgayBoSung: Option<Scalar>,
    pub NgayTiepNhanBoSung: Option<Scalar>,
}

/// A processing step (`QuaTrinhXuLyDongBoDVC`): dossier, status and time; never who handled it or what
/// they wrote (`NguoiXuLy`, `ChucDanh`, `NoiDungXuLy`).
#[allow(non_snake_case)]
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Step {
    pub MaHoSo: Option<Scalar>,
    pub TrangThai: Option<Scalar>,
    pub ThoiDiemXuLy: Option<Scalar>,
}

/// The keys that tell the wrappings apart; everything else of the wrapping object is skipped.
#[allow(non_snake_case)]
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Wrapping<'a> {
    #[serde(borrow)]
    hoSo: Option<&'a RawValue>,
    #[serde(borrow)]
    tienTrinhDongBo: Option<&'a RawValue>,
    #[serde(borrow)]
    data: Option<&'a RawValue>,
    madonvi: Option<Scalar>,
}

/// Most snapshots, and most steps, one request may carry; a longer list is refused whole (as a body
/// over `--max-body-bytes` is), so one request's work stays bounded.
pub const MAX_SNAPSHOTS: usize = 1000;
pub const MAX_STEPS: usize = 10_000;

/// One snapshot of a body, with the steps sent beside it and the unit code of the wrapping.
pub struct Envelope<'a> {
    pub snapshot: &'a RawValue,
    pub steps: Vec<&'a RawValue>,
    /// OpenCPS's `madonvi`: the sender's unit, used when a snapshot has no `DonViXuLy`.
    pub madonvi: Option<Scalar>,
}

/// What a body of the dossier call holds: its snapshots, and whether the sender sent a list (then the
/// answer lists each dossier).
pub struct Dossiers<'a> {
    pub envelopes: Vec<Envelope<'a>>,
    pub listed: bool,
}

/// Reads the wrapping of a dossier body: a bare snapshot; a list of snapshots (each possibly a
/// `{"hoSo", "tienTrinhDongBo"}`); OpenCPS's `{"session", "madonvi", "service", "isUpdating", "data"}`
/// with one snapshot or a list in `data`; or `{"hoSo": {...}, "tienTrinhDongBo": [...]}`. Err is a
/// reason for refusing the whole body (never quoting it).
pub fn dossiers(body: &str) -> Result<Dossiers<'_>, String> {
    let raw = whole(body)?;
    let (items, listed, madonvi) = match first_byte(raw) {
        b'[' => (list(raw, "the body")?, true, None),
        b'{' => {
            let w: Wrapping = serde_json::from_str(raw.get()).map_err(|e| format!("the body cannot be read: {}", position(&e)))?;
            match w.data {
                Some(data) if first_byte(data) == b'[' => (list(data, "data")?, true, w.madonvi),
                Some(data) if first_byte(data) == b'{' => (vec![data], false, w.madonvi),
                Some(_) => return Err("data must be a snapshot or a list of snapshots".into()),
                None => (vec![raw], false, None),
            }
        }
        _ => return Err("the body must be a JSON object (a snapshot or a wrapping of snapshots) or a list of snapshots".into()),
    };
    if items.len() > MAX_SNAPSHOTS {
        return Err(format!("{} snapshots in one request; send at most {MAX_SNAPSHOTS}", items.len()));
    }
    let mut envelopes = Vec::with_capacity(items.len());
    for item in items {
        envelopes.push(envelope(item, madonvi.clone())?);
    }
    let steps: usize = envelopes.iter().map(|e| e.steps.len()).sum();
    if steps > MAX_STEPS {
        return Err(format!("{steps} steps in one request; send at most {MAX_STEPS}"));
    }
    Ok(Dossiers { envelopes, listed })
}

/// A snapshot, or `{"hoSo", "tienTrinhDongBo"}`; anything that is not an object is left to the
/// snapshot's reading, which refuses it for its dossier alone.
fn envelope(item: &RawValue, madonvi: Option<Scalar>) -> Result<Envelope<'_>, String> {
    if first_byte(item) != b'{' {
        return Ok(Envelope { snapshot: item, steps: Vec::new(), madonvi });
    }
    let w: Wrapping = serde_json::from_str(item.get()).map_err(|e| format!("a snapshot cannot be read: {}", position(&e)))?;
    match w.hoSo {
        Some(snapshot) => {
            let steps = match w.tienTrinhDongBo {
                Some(s) => steps_of(s, "tienTrinhDongBo")?,
                None => Vec::new(),
            };
            Ok(Envelope { snapshot, steps, madonvi: w.madonvi.or(madonvi) })
        }
        None => Ok(Envelope { snapshot: item, steps: Vec::new(), madonvi }),
    }
}

/// Reads the steps of a body of the steps call: a list of steps, one step, or a wrapping with the list
/// in `data` or `tienTrinhDongBo`. Returns the steps and whether they came as a list.
pub fn steps(body: &str) -> Result<(Vec<&RawValue>, bool), String> {
    let raw = whole(body)?;
    let (steps, listed) = match first_byte(raw) {
        b'[' => (list(raw, "the body")?, true),
        b'{' => {
            let w: Wrapping = serde_json::from_str(raw.get()).map_err(|e| format!("the body cannot be read: {}", position(&e)))?;
            match w.data.or(w.tienTrinhDongBo) {
                Some(inner) => (steps_of(inner, "data")?, first_byte(inner) == b'['),
                None => (vec![raw], false),
            }
        }
        _ => return Err("the body must be a step, a list of steps, or a wrapping with the list in data".into()),
    };
    if steps.len() > MAX_STEPS {
        return Err(format!("{} steps in one request; send at most {MAX_STEPS}", steps.len()));
    }
    Ok((steps, listed))
}

fn steps_of<'a>(raw: &'a RawValue, what: &str) -> Result<Vec<&'a RawValue>, String> {
    match first_byte(raw) {
        b'[' => list(raw, what),
        b'{' => Ok(vec![raw]),
        b'n' => Ok(Vec::new()),
        _ => Err(format!("{what} must be a list of steps")),
    }
}

fn whole(body: &str) -> Result<&RawValue, String> {
    if body.trim().is_empty() {
        return Err("the body is empty: send a snapshot, a list of snapshots or a wrapping of them".into());
    }
    serde_json::from_str::<&RawValue>(body).map_err(|e| format!("the body is not one whole JSON document: {}; nothing was stored", position(&e)))
}

fn list<'a>(raw: &'a RawValue, what: &str) -> Result<Vec<&'a RawValue>, String> {
    serde_json::from_str::<Vec<&RawValue>>(raw.get()).map_err(|e| format!("{what} cannot be read as a list: {}", position(&e)))
}

fn first_byte(raw: &RawValue) -> u8 {
    raw.get().bytes().find(|b| !b.is_ascii_whitespace()).unwrap_or(b' ')
}

/// Where reading broke off, and what kind of fault it was, without serde's wording (which may quote
/// what it read).
fn position(e: &serde_json::Error) -> String {
    use serde_json::error::Category;
    let kind = match e.classify() {
        Category::Io => "cannot be read",
        Category::Syntax => "malformed JSON",
        Category::Data => "a value of the wrong kind",
        Category::Eof => "the document ends too early",
    };
    format!("{kind} at line {}, column {}", e.line(), e.column())
}

/// Reads one snapshot: Err when the element is not an object (its content is not quoted).
pub fn snapshot(raw: &RawValue) -> Result<Snapshot, String> {
    if first_byte(raw) != b'{' {
        return Err("a snapshot must be a JSON object".into());
    }
    serde_json::from_str(raw.get()).map_err(|e| format!("the snapshot cannot be read: {}", position(&e)))
}

/// Reads one step: Err when the element is not an object.
pub fn step(raw: &RawValue) -> Result<Step, String> {
    if first_byte(raw) != b'{' {
        return Err("a step must be a JSON object".into());
    }
    serde_json::from_str(raw.get()).map_err(|e| format!("the step cannot be read: {}", position(&e)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_wrapping_gives_its_snapshots() {
        let bare = r#"{"MaHoSo": "H31-1", "ChuHoSo": "Nguyễn Văn A"}"#;
        let d = dossiers(bare).unwrap();
        assert_eq!((d.envelopes.len(), d.listed), (1, false));
        assert_eq!(Scalar::text(&snapshot(d.envelopes[0].snapshot).unwrap().MaHoSo), Ok(Some("H31-1".into())));

        let d = dossiers(r#"[{"MaHoSo": "H31-1"}, {"MaHoSo": "H31-2"}]"#).unwrap();
        assert_eq!((d.envelopes.len(), d.listed), (2, true));

        let opencps = r#"{"session": "x", "madonvi": "000.00.31.H31", "service": "DongBoHoSoMC", "isUpdating": true,
                          "data": [{"MaHoSo": "H31-1"}, {"MaHoSo": "H31-2"}, 7]}"#;
        let d = dossiers(opencps).unwrap();
        assert_eq!((d.envelopes.len(), d.listed), (3, true));
        assert_eq!(d.envelopes[0].madonvi, Some(Scalar::Text("000.00.31.H31".into())));
        assert!(snapshot(d.envelopes[2].snapshot).is_err(), "a non-object element is refused on its own");

        let d = dossiers(r#"{"data": {"MaHoSo": "H31-1"}, "madonvi": 31}"#).unwrap();
        assert_eq!((d.envelopes.len(), d.listed, d.envelopes[0].madonvi.clone()), (1, false, Some(Scalar::Int(31))));

        let combined = r#"{"hoSo": {"MaHoSo": "H31-1"}, "tienTrinhDongBo": [{"MaHoSo": "H31-1", "TrangThai": "4"}, {"MaHoSo": "H31-1"}]}"#;
        let d = dossiers(combined).unwrap();
        assert_eq!((d.envelopes.len(), d.envelopes[0].steps.len()), (1, 2));
        let listed = format!("[{combined}, {combined}]");
        let d = dossiers(&listed).unwrap();
        assert_eq!((d.envelopes.len(), d.envelopes[1].steps.len(), d.listed), (2, 2, true));
    }

    #[test]
    fn bodies_that_cannot_be_read_are_refused_without_quoting_them() {
        for body in ["", "  ", "\"Nguyễn Văn A\"", "[{\"MaHoSo\": \"Nguyễn Văn A\"", "{\"data\": \"Nguyễn Văn A\"}", "{} {}", "42"] {
            let e = dossiers(body).err().unwrap_or_else(|| panic!("{body} accepted"));
            assert!(!e.contains("Nguy") && !e.contains("42"), "{e}");
        }
        let many = format!("[{}]", vec!["{}"; MAX_SNAPSHOTS + 1].join(","));
        assert!(dossiers(&many).err().unwrap().contains("at most 1000"));
    }

    #[test]
    fn fields_of_any_kind_are_read_without_error() {
        let s = snapshot(
            &serde_json::from_str::<Box<RawValue>>(
                r#"{"MaHoSo": 123, "KenhThucHien": 2, "TrangThaiHoSo": "10", "HinhThuc": true, "NgayTra": {"x": "Nguyễn"},
                    "DanhSachLePhi": [{"Gia": "50000"}, "Nguyễn", {"Gia": 0}], "DanhSachGiayToKetQua": "Nguyễn",
                    "DanhSachHoSoBoSung": null, "TaiLieuNop": [{"TenTepDinhKem": "cmnd.pdf"}], "DiaChiThuongTru": {"a": [1]}}"#,
            )
            .unwrap(),
        )
        .unwrap();
        assert_eq!(Scalar::text(&s.MaHoSo), Ok(Some("123".into())));
        assert_eq!(Scalar::text(&s.KenhThucHien), Ok(Some("2".into())));
        assert_eq!(Scalar::text(&s.HinhThuc), Err(NotText));
        assert_eq!(Scalar::text(&s.NgayTra), Err(NotText));
        assert_eq!((s.DanhSachLePhi.items.len(), s.DanhSachLePhi.invalid), (2, true));
        assert!(s.DanhSachGiayToKetQua.invalid && s.DanhSachGiayToKetQua.items.is_empty());
        assert!(!s.DanhSachHoSoBoSung.invalid);
    }

    #[test]
    fn steps_come_as_a_list_one_step_or_a_wrapping() {
        assert_eq!(steps(r#"[{"MaHoSo": "a"}, {"MaHoSo": "b"}]"#).unwrap().0.len(), 2);
        assert!(!steps(r#"{"MaHoSo": "a"}"#).unwrap().1);
        assert_eq!(steps(r#"{"data": [{"MaHoSo": "a"}]}"#).unwrap().0.len(), 1);
        assert_eq!(steps(r#"{"tienTrinhDongBo": [{"MaHoSo": "a"}, {"MaHoSo": "a"}]}"#).unwrap().0.len(), 2);
        let s = step(steps(r#"[{"MaHoSo": "a", "TrangThai": 9, "NguoiXuLy": "Trần Thị B", "NoiDungXuLy": "..."}]"#).unwrap().0[0]).unwrap();
        assert_eq!(s.TrangThai, Some(Scalar::Int(9)));
    }
}
