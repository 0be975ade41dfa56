//! A processing step becomes a status change of its dossier at `ThoiDiemXuLy`.
//!
//! A step names only the dossier: its unit and procedure are those of the dossier's snapshot (sent
//! beside it, or stored before from the same system). Steps of status 2 (received) and 10 (returned)
//! carry no channel or result delivery; the snapshot's `NgayTiepNhan` and `NgayTra` are the intake and
//! the return, so such steps are counted in the answer and left to the snapshot. A step without a
//! status is a 4 (processing), as one known sender writes it.

use super::snapshot::{dossier_code, Draft, Reader, Refused};
use super::wire::{self, Scalar};
use crate::domain::event::Status;

/// A step read: its dossier, and its event unless the snapshot holds that fact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub dossier: String,
    pub draft: Option<Draft>,
}

impl Reader<'_> {
    pub fn step(&self, s: &wire::Step) -> Result<Step, Refused> {
        let dossier = dossier_code(&s.MaHoSo, "MaHoSo").map_err(|m| Refused::new(None, format!("a step: {m}")))?;
        let refuse = |m: String| Refused::new(Some(&dossier), m);
        let status = match Scalar::text(&s.TrangThai) {
            Ok(None) => Status::Processing,
            Ok(Some(t)) => t.parse::<i64>().ok().and_then(Status::from_code).ok_or_else(|| refuse("a step's TrangThai must be a status code from 1 to 10".into()))?,
            Err(wire::NotText) => return Err(refuse("a step's TrangThai must be a status code from 1 to 10".into())),
        };
        let at = self.time(&s.ThoiDiemXuLy, "ThoiDiemXuLy").map_err(refuse)?.ok_or_else(|| refuse("a step's ThoiDiemXuLy is missing".into()))?;
        let draft = (!matches!(status, Status::Received | Status::Returned)).then(|| Draft::step(status, at));
        Ok(Step { dossier, draft })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::Registry;
    use serde_json::json;

    fn read(v: serde_json::Value) -> Result<Step, Refused> {
        let registry = Registry::new(vec![], vec![], vec![]);
        let now = chrono::DateTime::parse_from_rfc3339("2025-03-20T12:00:00+07:00").unwrap().timestamp_millis();
        let reader = Reader { source: "igate", registry: &registry, now_ms: now };
        let raw = serde_json::to_string(&v).unwrap();
        reader.step(&wire::step(&serde_json::from_str::<Box<serde_json::value::RawValue>>(&raw).unwrap()).unwrap())
    }

    #[test]
    fn steps_are_status_changes_at_their_time() {
        let s = read(json!({"MaHoSo": "H31-1", "TrangThai": "9", "ThoiDiemXuLy": "20250305100000", "NguoiXuLy": "Trần Thị B"})).unwrap();
        assert_eq!(s.draft.unwrap().status, Status::Resolved);
        assert_eq!(read(json!({"MaHoSo": "H31-1", "ThoiDiemXuLy": "20250305100000"})).unwrap().draft.unwrap().status, Status::Processing);
        assert_eq!(read(json!({"MaHoSo": "H31-1", "TrangThai": 2, "ThoiDiemXuLy": "20250305100000"})).unwrap().draft, None);
        assert_eq!(read(json!({"MaHoSo": "H31-1", "TrangThai": 10, "ThoiDiemXuLy": "20250305100000"})).unwrap().draft, None);
    }

    #[test]
    fn bad_steps_are_refused_without_quoting_them() {
        let e = read(json!({"MaHoSo": "H31-1", "TrangThai": "xong", "ThoiDiemXuLy": "20250305100000"})).unwrap_err();
        assert_eq!((e.dossier.as_deref(), e.message.contains("xong")), (Some("H31-1"), false));
        assert!(read(json!({"MaHoSo": "H31-1", "TrangThai": 4})).unwrap_err().message.contains("ThoiDiemXuLy is missing"));
        assert_eq!(read(json!({"MaHoSo": "Trần Thị B"})).unwrap_err().dossier, None);
    }
}
