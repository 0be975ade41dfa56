//! Ranking units of one kind for one month and indicator, with the change against the previous month.

use super::indicator::Figures;
use super::kpi::Judgement;
use serde::Serialize;
use std::cmp::Ordering;

/// One unit's judged month (`kpi::judge`), the input of a league table.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub unit: String,
    pub judgement: Judgement,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Row {
    pub rank: Option<u32>,
    pub unit: String,
    /// Figures, rate, target, gap and status, as `kpi::judge` judged them (serialized flat).
    #[serde(flatten)]
    pub judged: Judgement,
    /// rate − last month's rate.
    pub rate_change: Option<f64>,
    /// last month's rank − this month's rank: positive means the unit moved up.
    pub rank_change: Option<i64>,
}

/// Compares two rates a/b and c/d exactly (both denominators positive).
fn cmp_rate(a: Figures, b: Figures) -> Ordering {
    (a.numerator as i128 * b.denominator as i128).cmp(&(b.numerator as i128 * a.denominator as i128))
}

fn is_ranked(e: &Entry) -> bool {
    e.judgement.status.is_ranked() && e.judgement.figures.denominator > 0
}

/// Orders entries and assigns ranks: rate descending, ties share a rank (1, 2, 2, 4) and are listed by
/// denominator descending, then unit code; unranked entries follow.
fn order(entries: Vec<Entry>) -> Vec<(Option<u32>, Entry)> {
    // An entry is large (its whole judgement): their places are sorted, then each is moved once.
    let mut places: Vec<usize> = (0..entries.len()).collect();
    places.sort_by(|&i, &j| {
        let (a, b) = (&entries[i], &entries[j]);
        is_ranked(b)
            .cmp(&is_ranked(a))
            .then_with(|| match (a.judgement.figures.denominator > 0, b.judgement.figures.denominator > 0) {
                (true, true) => cmp_rate(b.judgement.figures, a.judgement.figures),
                (x, y) => y.cmp(&x),
            })
            .then_with(|| b.judgement.figures.denominator.cmp(&a.judgement.figures.denominator))
            .then_with(|| a.unit.cmp(&b.unit))
    });
    let mut entries: Vec<Option<Entry>> = entries.into_iter().map(Some).collect();
    let mut out: Vec<(Option<u32>, Entry)> = Vec::with_capacity(entries.len());
    for (i, place) in places.into_iter().enumerate() {
        let e = entries[place].take().expect("each place once");
        let rank = is_ranked(&e).then(|| match out.last() {
            Some((Some(prev_rank), prev)) if cmp_rate(prev.judgement.figures, e.judgement.figures) == Ordering::Equal => *prev_rank,
            _ => i as u32 + 1,
        });
        out.push((rank, e));
    }
    out
}

/// The league table of `current`, with changes against `previous` (the same units, a month earlier).
pub fn league(current: Vec<Entry>, previous: Vec<Entry>) -> Vec<Row> {
    let before: foldhash::HashMap<String, (Option<u32>, Option<f64>)> =
        order(previous).into_iter().map(|(rank, e)| (e.unit, (rank, e.judgement.rate))).collect();
    order(current)
        .into_iter()
        .map(|(rank, e)| {
            let j = e.judgement;
            let rate = j.rate;
            let (prev_rank, prev_rate) = before.get(&e.unit).copied().unwrap_or((None, None));
            Row {
                rank,
                rate_change: rate.zip(prev_rate).map(|(r, p)| r - p),
                rank_change: rank.zip(prev_rank).map(|(r, p)| p as i64 - r as i64),
                unit: e.unit,
                judged: j,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::domain::kpi::{self, Status};

    /// A unit judged against 0.5 in a finished month, its status given as the test needs it.
    fn e(unit: &str, n: i64, d: i64, status: Status) -> Entry {
        let judgement = kpi::Judgement { status, ..kpi::judge(Figures::new(n, d), "0.5".parse().ok(), 0, crate::domain::Progress::Finished) };
        Entry { unit: unit.into(), judgement }
    }

    #[test]
    fn ties_share_a_rank_and_list_by_volume_then_code() {
        let rows = league(
            vec![
                e("D", 1, 2, Status::Met),
                e("A", 9, 10, Status::Met),
                e("C", 10, 20, Status::Met),
                e("B", 5, 10, Status::Met),
                e("E", 2, 10, Status::Behind),
                e("F", 5, 10, Status::Met),
            ],
            vec![],
        );
        let got: Vec<_> = rows.iter().map(|r| (r.unit.as_str(), r.rank)).collect();
        assert_eq!(got, [("A", Some(1)), ("C", Some(2)), ("B", Some(2)), ("F", Some(2)), ("D", Some(2)), ("E", Some(6))]);
    }

    #[test]
    fn insufficient_and_empty_units_follow_unranked() {
        let rows = league(
            vec![
                e("Z", 0, 0, Status::InsufficientData),
                e("Y", 3, 3, Status::InsufficientData),
                e("X", 1, 10, Status::Behind),
            ],
            vec![],
        );
        let got: Vec<_> = rows.iter().map(|r| (r.unit.as_str(), r.rank)).collect();
        assert_eq!(got, [("X", Some(1)), ("Y", None), ("Z", None)]);
        assert_eq!(rows[2].judged.rate, None);
        assert_eq!(rows[2].judged.gap, None);
    }

    #[test]
    fn gap_and_changes_against_previous_month() {
        let rows = league(
            vec![e("A", 6, 10, Status::Met), e("B", 8, 10, Status::Met), e("C", 5, 10, Status::Met)],
            vec![e("A", 9, 10, Status::Met), e("B", 7, 10, Status::Met), e("C", 1, 2, Status::InsufficientData)],
        );
        let b = &rows[0];
        assert_eq!((b.unit.as_str(), b.rank, b.rank_change), ("B", Some(1), Some(1)));
        assert!((b.rate_change.unwrap() - 0.1).abs() < 1e-12);
        assert!((b.judged.gap.unwrap() - 0.3).abs() < 1e-12);
        let a = &rows[1];
        assert_eq!((a.rank, a.rank_change), (Some(2), Some(-1)));
        let c = &rows[2];
        // Last month C had a rate but no rank.
        assert_eq!((c.rank, c.rank_change), (Some(3), None));
        assert_eq!(c.rate_change, Some(0.0));
    }
}
