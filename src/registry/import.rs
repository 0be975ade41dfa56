//! CSV imports of the registry (api.md). A file is parsed and checked whole before anything is
//! written; the first bad row is reported with its line and column and nothing changes.

use crate::domain::contact::{check_email, check_webhook};
use crate::domain::{Contact, Indicator, Procedure, Ratio, SenderCode, Target, TargetScope, Unit, UnitKind, UnitTree};
use std::collections::HashSet;
use std::io::Read;

#[derive(Debug, thiserror::Error)]
#[error("{file}: line {line}{}: {reason}", column.map(|c| format!(", column {c}")).unwrap_or_default())]
pub struct ImportError {
    pub file: String,
    pub line: u64,
    pub column: Option<usize>,
    pub reason: String,
}

struct Rows<'a> {
    file: &'a str,
    records: Vec<(u64, csv::StringRecord)>,
}

impl<'a> Rows<'a> {
    /// Reads a CSV with exactly the expected header (a UTF-8 byte-order mark is tolerated, as Excel writes one).
    fn read(file: &'a str, input: impl Read, header: &[&str]) -> Result<Rows<'a>, ImportError> {
        Rows::read_any(file, input, &[header]).map(|(rows, _)| rows)
    }

    /// Like `read`, for a file that may have any one of several headers; returns which one it has.
    fn read_any(file: &'a str, mut input: impl Read, headers: &[&[&str]]) -> Result<(Rows<'a>, usize), ImportError> {
        let mut text = String::new();
        input.read_to_string(&mut text).map_err(|e| err(file, 1, None, format!("cannot read: {e}")))?;
        let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
        let mut reader = csv::ReaderBuilder::new().flexible(false).trim(csv::Trim::All).from_reader(text.as_bytes());
        let got: Vec<String> =
            reader.headers().map_err(|e| err(file, 1, None, e.to_string()))?.iter().map(String::from).collect();
        let Some(which) = headers.iter().position(|h| got == *h) else {
            let expected: Vec<String> = headers.iter().map(|h| h.join(",")).collect();
            return Err(err(file, 1, None, format!("header must be {:?}, found {:?}", expected.join("\" or \""), got.join(","))));
        };
        let mut records = Vec::new();
        for r in reader.records() {
            let r = r.map_err(|e| {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                err(file, line, None, e.to_string())
            })?;
            let line = r.position().map(|p| p.line()).unwrap_or(0);
            if r.iter().all(str::is_empty) {
                continue;
            }
            records.push((line, r));
        }
        Ok((Rows { file, records }, which))
    }

    fn fail(&self, line: u64, column: usize, reason: impl Into<String>) -> ImportError {
        err(self.file, line, Some(column + 1), reason.into())
    }
}

fn err(file: &str, line: u64, column: Option<usize>, reason: String) -> ImportError {
    ImportError { file: file.to_string(), line, column, reason }
}

/// Codes travel in URLs, CSV cells and token scopes: keep them to a plain alphabet.
fn check_code(code: &str) -> Result<(), String> {
    if code.is_empty() || code.len() > 64 {
        return Err("code must be 1 to 64 characters".into());
    }
    if !code.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')) {
        return Err(format!("code {code:?} may hold only letters, digits, '-', '_' and '.'"));
    }
    Ok(())
}

fn required<'r>(rows: &Rows, line: u64, r: &'r csv::StringRecord, col: usize, what: &str) -> Result<&'r str, ImportError> {
    match r.get(col) {
        Some(v) if !v.is_empty() => Ok(v),
        _ => Err(rows.fail(line, col, format!("{what} is empty"))),
    }
}

/// A units file: the units, and the heads of those that name one.
#[derive(Debug, Default)]
pub struct UnitsFile {
    pub units: Vec<Unit>,
    pub contacts: Vec<Contact>,
}

pub const UNIT_HEADER: [&str; 4] = ["code", "name", "kind", "parent"];
/// The units CSV extended with each unit's head, for alerts.
pub const UNIT_CONTACT_HEADER: [&str; 7] = ["code", "name", "kind", "parent", "head_name", "head_email", "head_webhook"];

/// `code,name,kind,parent`, optionally followed by `head_name,head_email,head_webhook`; a parent must
/// exist in the file or among `existing` units, and the tree that results must have no cycle.
pub fn units(file: &str, input: impl Read, existing: &[Unit]) -> Result<UnitsFile, ImportError> {
    let (rows, which) = Rows::read_any(file, input, &[&UNIT_HEADER, &UNIT_CONTACT_HEADER])?;
    let mut contacts = Vec::new();
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    for (line, r) in &rows.records {
        let code = required(&rows, *line, r, 0, "code")?;
        check_code(code).map_err(|e| rows.fail(*line, 0, e))?;
        if !seen.insert(code.to_string()) {
            return Err(rows.fail(*line, 0, format!("unit {code:?} appears twice")));
        }
        let name = required(&rows, *line, r, 1, "name")?;
        let kind: UnitKind = required(&rows, *line, r, 2, "kind")?.parse().map_err(|e: String| rows.fail(*line, 2, e))?;
        let parent = r.get(3).filter(|p| !p.is_empty()).map(String::from);
        if parent.as_deref() == Some(code) {
            return Err(rows.fail(*line, 3, "a unit cannot be its own parent"));
        }
        if which == 1 {
            let cell = |i: usize| r.get(i).filter(|v| !v.is_empty()).map(String::from);
            let (head, email, webhook) = (cell(4), cell(5), cell(6));
            if let Some(e) = &email {
                check_email(e).map_err(|m| rows.fail(*line, 5, m))?;
            }
            if let Some(w) = &webhook {
                check_webhook(w).map_err(|m| rows.fail(*line, 6, m))?;
            }
            match head {
                Some(name) => contacts.push(Contact { unit: code.into(), name, email, webhook }),
                None if email.is_some() || webhook.is_some() => {
                    return Err(rows.fail(*line, 4, "head_name is empty but an email or webhook is given"))
                }
                None => {}
            }
        }
        out.push((*line, Unit { code: code.into(), name: name.into(), kind, parent }));
    }
    let mut merged: Vec<Unit> = existing.iter().filter(|u| !seen.contains(&u.code)).cloned().collect();
    merged.extend(out.iter().map(|(_, u)| u.clone()));
    let tree = UnitTree::new(merged);
    for (line, u) in &out {
        if let Some(p) = &u.parent {
            if !tree.contains(p) {
                return Err(rows.fail(*line, 3, format!("parent {p:?} is not a known unit")));
            }
            if tree.ancestors_or_self(p).any(|a| a.code == u.code) {
                return Err(rows.fail(*line, 3, format!("parent {p:?} would make a cycle")));
            }
        }
    }
    Ok(UnitsFile { units: out.into_iter().map(|(_, u)| u).collect(), contacts })
}

/// Reads a `paper_result` cell: `yes`/`no` (also `1`/`0`, `true`/`false`); empty is `no`.
pub fn paper_result(cell: &str) -> Result<bool, String> {
    match cell.trim().to_ascii_lowercase().as_str() {
        "yes" | "1" | "true" => Ok(true),
        "no" | "0" | "false" | "" => Ok(false),
        other => Err(format!("paper_result must be yes or no (got {other:?})")),
    }
}

/// `code,name,level`, optionally with `paper_result` (`yes` when the procedure's result is a paper,
/// which the national index expects issued electronically too).
pub fn procedures(file: &str, input: impl Read) -> Result<Vec<Procedure>, ImportError> {
    let (rows, which) = Rows::read_any(file, input, &[&["code", "name", "level"], &["code", "name", "level", "paper_result"]])?;
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    for (line, r) in &rows.records {
        let code = required(&rows, *line, r, 0, "code")?;
        check_code(code).map_err(|e| rows.fail(*line, 0, e))?;
        if !seen.insert(code.to_string()) {
            return Err(rows.fail(*line, 0, format!("procedure {code:?} appears twice")));
        }
        let name = required(&rows, *line, r, 1, "name")?;
        let level = required(&rows, *line, r, 2, "level")?.parse().map_err(|e: String| rows.fail(*line, 2, e))?;
        let paper_result = match which {
            1 => paper_result(r.get(3).unwrap_or_default()).map_err(|e| rows.fail(*line, 3, e))?,
            _ => false,
        };
        out.push(Procedure { code: code.into(), name: name.into(), level, paper_result });
    }
    Ok(out)
}

/// `scope,year,month,indicator,target`: scope a unit code or `kind:KIND`; month empty for the whole
/// year; indicator empty for `completion`; target a decimal in 0..1.
pub fn targets(file: &str, input: impl Read, units: &UnitTree) -> Result<Vec<Target>, ImportError> {
    let rows = Rows::read(file, input, &["scope", "year", "month", "indicator", "target"])?;
    let name = std::path::Path::new(file).file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or(file.into());
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    for (line, r) in &rows.records {
        let scope: TargetScope =
            required(&rows, *line, r, 0, "scope")?.parse().map_err(|e: String| rows.fail(*line, 0, e))?;
        if let TargetScope::Unit(code) = &scope {
            if !units.contains(code) {
                return Err(rows.fail(*line, 0, format!("unit {code:?} is not a known unit")));
            }
        }
        let year: i32 = required(&rows, *line, r, 1, "year")?
            .parse()
            .ok()
            .filter(|y| (2000..=2100).contains(y))
            .ok_or_else(|| rows.fail(*line, 1, "year must be a number from 2000 to 2100"))?;
        let month = match r.get(2).unwrap_or("") {
            "" => None,
            m => Some(
                m.parse::<u32>()
                    .ok()
                    .filter(|m| (1..=12).contains(m))
                    .ok_or_else(|| rows.fail(*line, 2, "month must be empty (whole year) or 1 to 12"))?,
            ),
        };
        let indicator = match r.get(3).unwrap_or("") {
            "" => Indicator::Completion,
            i => i.parse().map_err(|e: String| rows.fail(*line, 3, e))?,
        };
        let value: Ratio = required(&rows, *line, r, 4, "target")?.parse().map_err(|e: String| rows.fail(*line, 4, e))?;
        if !seen.insert((scope.clone(), year, month, indicator)) {
            return Err(rows.fail(*line, 0, "the same scope, year, month and indicator appear twice"));
        }
        out.push(Target { scope, year, month, indicator, value, source: format!("{name}, dòng {line}") });
    }
    Ok(out)
}

/// `code,unit` (for every source) or `source,code,unit` (an empty source is every source): the codes
/// agency systems use for their units (`DonViXuLy`, `madonvi`) and the registry unit each stands for.
pub fn sender_codes(file: &str, input: impl Read, units: &UnitTree) -> Result<Vec<SenderCode>, ImportError> {
    let (rows, which) = Rows::read_any(file, input, &[&["code", "unit"], &["source", "code", "unit"]])?;
    let offset = which; // the `source` column, when present, shifts the others by one
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    for (line, r) in &rows.records {
        let source = if which == 1 { r.get(0).unwrap_or("") } else { "" };
        if source.chars().count() > 64 {
            return Err(rows.fail(*line, 0, "source must be at most 64 characters"));
        }
        let code = required(&rows, *line, r, offset, "code")?;
        if !crate::domain::sender::is_code(code) {
            return Err(rows.fail(*line, offset, format!("code {code:?} must be 1 to 64 letters, digits, '.', '-' or '_'")));
        }
        let unit = required(&rows, *line, r, offset + 1, "unit")?;
        if !units.contains(unit) {
            return Err(rows.fail(*line, offset + 1, format!("unit {unit:?} is not a known unit")));
        }
        if !seen.insert((source.to_string(), code.to_string())) {
            return Err(rows.fail(*line, offset, format!("code {code:?} appears twice for the same source")));
        }
        out.push(SenderCode { source: source.into(), code: code.into(), unit: unit.into() });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::unit::tests::sample_tree;

    #[test]
    fn units_with_parents_in_file_or_registry() {
        let csv = "code,name,kind,parent\nVN,Việt Nam,nation,\n31,Hải Phòng,province,VN\n31-STP,Sở Tư pháp,department,31\n";
        let u = units("u.csv", csv.as_bytes(), &[]).unwrap().units;
        assert_eq!(u.len(), 3);
        let more = "code,name,kind,parent\n31-SYT,Sở Y tế,department,31\n";
        assert_eq!(units("u.csv", more.as_bytes(), &u).unwrap().units[0].parent.as_deref(), Some("31"));
    }

    #[test]
    fn heads_of_units_in_the_extended_file() {
        let csv = "code,name,kind,parent,head_name,head_email,head_webhook\n\
                   31,Hải Phòng,province,,Nguyễn Văn Lãnh Đạo,lanhdao@haiphong.gov.vn,\n\
                   31-STP,Sở Tư pháp,department,31,Trần Thị Giám Đốc,,https://chat.example.vn/hook\n\
                   31-SYT,Sở Y tế,department,31,,,\n";
        let f = units("u.csv", csv.as_bytes(), &[]).unwrap();
        assert_eq!(f.units.len(), 3);
        assert_eq!(f.contacts.len(), 2);
        assert_eq!(f.contacts[1].webhook.as_deref(), Some("https://chat.example.vn/hook"));
        let bad = "code,name,kind,parent,head_name,head_email,head_webhook\n31,HP,province,,A,not-an-email,\n";
        assert_eq!(units("u.csv", bad.as_bytes(), &[]).unwrap_err().column, Some(6));
    }

    #[test]
    fn first_bad_row_has_line_and_column() {
        let csv = "code,name,kind,parent\nVN,Việt Nam,nation,\n31,Hải Phòng,city,VN\n";
        assert_eq!(units("u.csv", csv.as_bytes(), &[]).unwrap_err().to_string(), "u.csv: line 3, column 3: unknown unit kind \"city\" (expected nation, ministry, province, department or commune)");
        let csv = "code,name,kind,parent\n31,Hải Phòng,province,XX\n";
        assert!(units("u.csv", csv.as_bytes(), &[]).unwrap_err().to_string().starts_with("u.csv: line 2, column 4: parent \"XX\""));
        let csv = "code,name,kind\n";
        assert!(units("u.csv", csv.as_bytes(), &[]).unwrap_err().to_string().contains("header must be"));
        let csv = "code,name,kind,parent\na b,x,nation,\n";
        assert!(units("u.csv", csv.as_bytes(), &[]).unwrap_err().to_string().contains("column 1"));
        let csv = "code,name,kind,parent\nA,a,province,B\nB,b,province,A\n";
        assert!(units("u.csv", csv.as_bytes(), &[]).unwrap_err().to_string().contains("cycle"));
        let csv = "code,name,level\n1.001612,Thủ tục,fully\n";
        assert_eq!(procedures("p.csv", csv.as_bytes()).unwrap_err().to_string(), "p.csv: line 2, column 3: unknown level \"fully\" (expected full, partial or info)");
    }

    #[test]
    fn targets_with_kind_scope_defaults_and_overrides() {
        let csv = "scope,year,month,indicator,target\nkind:commune,2026,,,0.7\n31-STP,2026,11,completion,0.95\n31,2026,,intake,0.8\n";
        let t = targets("/tmp/t.csv", csv.as_bytes(), &sample_tree()).unwrap();
        assert_eq!(t[0].scope, TargetScope::Kind(UnitKind::Commune));
        assert_eq!((t[0].month, t[0].indicator), (None, Indicator::Completion));
        assert_eq!(t[1].month, Some(11));
        assert_eq!(t[1].source, "t.csv, dòng 3");
        assert_eq!(t[2].indicator, Indicator::Intake);
        for (bad, col) in [
            ("kind:town,2026,,,0.7", 1),
            ("ZZ,2026,,,0.7", 1),
            ("31,26,,,0.7", 2),
            ("31,2026,13,,0.7", 3),
            ("31,2026,,speed,0.7", 4),
            ("31,2026,,,1.5", 5),
        ] {
            let csv = format!("scope,year,month,indicator,target\n{bad}\n");
            let e = targets("t.csv", csv.as_bytes(), &sample_tree()).unwrap_err();
            assert_eq!((e.line, e.column), (2, Some(col)), "{bad}: {e}");
        }
    }

    #[test]
    fn sender_codes_for_every_source_or_one() {
        let csv = "code,unit\n000.00.31.H31,31-STP\n";
        let c = sender_codes("s.csv", csv.as_bytes(), &sample_tree()).unwrap();
        assert_eq!(c, [SenderCode { source: "".into(), code: "000.00.31.H31".into(), unit: "31-STP".into() }]);
        let csv = "source,code,unit\nigate-hp,STP,31-STP\n,SYT,31-SYT\n";
        let c = sender_codes("s.csv", csv.as_bytes(), &sample_tree()).unwrap();
        assert_eq!((c[0].source.as_str(), c[1].source.as_str()), ("igate-hp", ""));
        for (bad, col) in [("x,STP,99-NOPE", 3), ("x,S T P,31-STP", 2), ("x,,31-STP", 2)] {
            let csv = format!("source,code,unit\n{bad}\n");
            let e = sender_codes("s.csv", csv.as_bytes(), &sample_tree()).unwrap_err();
            assert_eq!((e.line, e.column), (2, Some(col)), "{bad}: {e}");
        }
        let twice = "code,unit\nSTP,31-STP\nSTP,31-SYT\n";
        assert!(sender_codes("s.csv", twice.as_bytes(), &sample_tree()).unwrap_err().to_string().contains("line 3, column 1: code \"STP\" appears twice"));
    }
}
