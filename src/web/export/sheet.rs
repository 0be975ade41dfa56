//! An exported table, independent of its format: the cells, each column's Vietnamese heading (for
//! people) and English key (for machines, the JSON API's field names), the title lines that say what,
//! where and when, and an optional total row.

use crate::domain::kpi::Status;

/// One cell of an exported table.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    /// A code (unit, procedure): always text, even when it looks like a number (`00070`, `1.001612`).
    Code(String),
    /// A word people read in Vietnamese and machines as the API's key (an indicator, a step, a level).
    Label { vi: String, key: String },
    /// A count.
    Int(i64),
    /// A rate, 0..1; none when there is nothing to divide by.
    Rate(Option<f64>),
    /// A difference of rates, 0.031 = 3.1 percentage points.
    Points(Option<f64>),
    /// A duration in days (an average processing time); none when nothing was measured.
    Days(Option<f64>),
    /// Places gained (positive) or lost since the period before.
    RankChange(Option<i64>),
    /// A unit's status: its name, in its colour.
    Status(Status),
    /// How many rows have each status, for a total row.
    StatusCounts(Vec<(Status, usize)>),
}

impl Cell {
    pub fn text(s: impl Into<String>) -> Cell {
        Cell::Text(s.into())
    }

    pub fn code(s: impl Into<String>) -> Cell {
        Cell::Code(s.into())
    }

    pub fn label(vi: impl Into<String>, key: impl Into<String>) -> Cell {
        Cell::Label { vi: vi.into(), key: key.into() }
    }

    pub fn empty() -> Cell {
        Cell::Text(String::new())
    }
}

/// A column: its heading for people and its key for machines.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub vi: String,
    pub key: String,
}

/// Columns from `(heading, key)` pairs.
pub fn columns(pairs: &[(&str, &str)]) -> Vec<Column> {
    pairs.iter().map(|(vi, key)| Column { vi: vi.to_string(), key: key.to_string() }).collect()
}

/// An exported table: a sheet of a workbook, or a CSV file.
#[derive(Debug, Clone, PartialEq)]
pub struct Sheet {
    /// The sheet's name (at most 31 characters, none of `[]:*?/\`).
    pub name: String,
    /// What the table is ("Bảng xếp hạng Sở, ban, ngành: …", "Sở Y tế (31-SYT): theo thủ tục").
    pub title: String,
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<Cell>>,
    /// Sums over the rows shown, for people (the data CSV leaves it out).
    pub total: Option<Vec<Cell>>,
}

impl Sheet {
    /// The same table with only the columns at `keep`, in that order (a print-sized view of a wide table).
    pub fn select(&self, name: &str, title: &str, keep: &[usize]) -> Sheet {
        let pick = |row: &Vec<Cell>| keep.iter().map(|&i| row.get(i).cloned().unwrap_or_else(Cell::empty)).collect();
        Sheet {
            name: name.into(),
            title: title.into(),
            columns: keep.iter().map(|&i| self.columns[i].clone()).collect(),
            rows: self.rows.iter().map(pick).collect(),
            total: self.total.as_ref().map(pick),
        }
    }
}

/// Where and when a workbook's figures are from, said on every sheet under its title.
#[derive(Debug, Clone, PartialEq)]
pub struct Heading {
    /// The province, or "Toàn quốc".
    pub place: String,
    /// The period in words and whether its figures are provisional.
    pub when: String,
    /// When the file was made (the app's clock), for the "Nguồn" line.
    pub exported_at_ms: i64,
}

/// Each status present in `statuses`, with its count, in the order of `ORDER` (best first).
pub fn status_counts(statuses: impl Iterator<Item = Status>) -> Vec<(Status, usize)> {
    const ORDER: [Status; 7] =
        [Status::Met, Status::OnTrack, Status::AtRisk, Status::Behind, Status::Unreachable, Status::NoTarget, Status::InsufficientData];
    let all: Vec<Status> = statuses.collect();
    ORDER.iter().map(|s| (*s, all.iter().filter(|x| *x == s).count())).filter(|(_, n)| *n > 0).collect()
}

/// `a / b`, none when nothing to divide by: the rate of a total row is the rate of the sums.
pub fn rate_of(numerator: i64, denominator: i64) -> Option<f64> {
    (denominator > 0).then(|| numerator as f64 / denominator as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_statuses_best_first_and_skips_absent_ones() {
        let counts = status_counts([Status::Behind, Status::Met, Status::Behind, Status::InsufficientData].into_iter());
        assert_eq!(counts, vec![(Status::Met, 1), (Status::Behind, 2), (Status::InsufficientData, 1)]);
    }

    #[test]
    fn select_keeps_columns_rows_and_total_in_order() {
        let sheet = Sheet {
            name: "a".into(),
            title: "A".into(),
            columns: columns(&[("Một", "one"), ("Hai", "two"), ("Ba", "three")]),
            rows: vec![vec![Cell::Int(1), Cell::Int(2), Cell::Int(3)]],
            total: Some(vec![Cell::text("Tổng"), Cell::Int(2), Cell::Int(3)]),
        };
        let view = sheet.select("b", "B", &[2, 0]);
        assert_eq!(view.columns.iter().map(|c| c.key.as_str()).collect::<Vec<_>>(), ["three", "one"]);
        assert_eq!(view.rows, vec![vec![Cell::Int(3), Cell::Int(1)]]);
        assert_eq!(view.total, Some(vec![Cell::Int(3), Cell::text("Tổng")]));
        assert_eq!(rate_of(3, 0), None);
        assert_eq!(rate_of(1, 4), Some(0.25));
    }
}
