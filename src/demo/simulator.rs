//! A province's agency systems, simulated: dossiers with plausible behaviour, turned into the events an
//! agency system would send, delivered late and out of order now and then, with a few invalid ones.
//! Deterministic for a seed; also the load generator of the benchmarks.

use super::province::SampleProcedure;
use crate::domain::{Level, Month, Unit, UnitKind};
use chrono::{DateTime, Datelike, FixedOffset, TimeZone, Weekday};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

const MINUTE: i64 = 60_000;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;
/// Average month, for the adoption curve.
const MONTH: f64 = 30.44 * DAY as f64;

/// The seed trajectory of a city's fully-online share, by months since the start of the curve:
/// 18 % at first, 62 % after a year, above 90 % after two.
const CURVE: [(f64, f64); 4] = [(0.0, 0.18), (12.0, 0.62), (24.0, 0.92), (36.0, 0.96)];

fn curve(months: f64) -> f64 {
    if months <= CURVE[0].0 {
        return (CURVE[0].1 + months * 0.02).max(0.05);
    }
    for w in CURVE.windows(2) {
        let ((x0, y0), (x1, y1)) = (w[0], w[1]);
        if months <= x1 {
            return y0 + (y1 - y0) * (months - x0) / (x1 - x0);
        }
    }
    CURVE[3].1
}

/// How one unit behaves: ahead of or behind the curve, how far it gets, how busy it is.
#[derive(Debug, Clone)]
struct Profile {
    code: String,
    /// Months ahead (+) or behind (−) the province's curve.
    offset: f64,
    /// Multiplies the share: some units plateau lower.
    factor: f64,
    /// Dossiers on an ordinary working day.
    volume: f64,
    procedures: Vec<usize>,
    serial: u32,
    kind: UnitKind,
    /// Sends its dossiers as national-sync snapshots and steps instead of native events.
    national_sync: bool,
}

#[derive(Debug, Clone)]
struct CatalogueEntry {
    code: String,
    fee: bool,
    /// Statutory processing time in days.
    statutory_days: i64,
}

/// An event on its way, keyed by when the agency system delivers it.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Pending {
    deliver_at: i64,
    seq: u64,
    line: String,
    /// Made invalid on purpose: the service must reject it.
    invalid: bool,
    door: Door,
}

/// How a delivered line goes to the service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Door {
    /// A native event, an NDJSON line for `POST /api/v1/events`.
    Event,
    /// A national-sync `{"hoSo", "tienTrinhDongBo"}` for `POST /api/v1/national-sync/dossiers`.
    Snapshot,
    /// A list of national-sync steps for `POST /api/v1/national-sync/steps`.
    Steps,
}

/// What is delivered up to a moment, by door, each in delivery order.
#[derive(Debug, Default)]
pub struct Delivery {
    pub events: Vec<String>,
    /// Snapshots and step lists, in delivery order: a dossier's steps sent before its snapshot stay before it.
    pub national_sync: Vec<(Door, String)>,
}

#[derive(Serialize)]
pub(super) struct Wire<'a> {
    pub(super) id: String,
    pub(super) dossier: &'a str,
    pub(super) unit: &'a str,
    pub(super) procedure: &'a str,
    pub(super) status: &'static str,
    pub(super) at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) channel: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) result_delivery: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) due: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) payment: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) result_file: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) digitised: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) reused_data: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) fee: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) supplement_answered: Option<bool>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Break {
    None,
    SubmittedOffline,
    ResultInPerson,
    FeeOffline,
}

pub struct Simulator {
    rng: StdRng,
    units: Vec<Profile>,
    catalogue: Vec<CatalogueEntry>,
    queue: BinaryHeap<Reverse<Pending>>,
    seq: u64,
    curve_origin: i64,
    volume: f64,
    /// Starts every dossier code, so that runs never reuse one another's codes.
    prefix: String,
    /// Invalid events delivered so far (the service must reject each of them). Counted when
    /// delivered, not when made: an invalid event waits in the queue like the others.
    pub invalid: u64,
    /// Events generated so far, valid or not.
    pub generated: u64,
}

fn offset() -> FixedOffset {
    crate::domain::month::vn_offset()
}

fn stamp(ms: i64) -> String {
    DateTime::from_timestamp_millis(ms).unwrap_or_default().with_timezone(&offset()).to_rfc3339()
}

impl Simulator {
    /// `curve_origin_ms`: when the province stood at the start of the seed curve; `volume` scales
    /// every unit's daily dossiers.
    pub fn new(units: &[Unit], procedures: &[SampleProcedure], seed: u64, curve_origin_ms: i64, volume: f64) -> Simulator {
        let mut rng = StdRng::seed_from_u64(seed);
        let usable: Vec<(usize, &SampleProcedure)> =
            procedures.iter().enumerate().filter(|(_, p)| p.procedure.level != Level::Info).collect();
        let catalogue: Vec<CatalogueEntry> = procedures
            .iter()
            .map(|p| CatalogueEntry {
                code: p.procedure.code.clone(),
                fee: rng.random_bool(0.45),
                statutory_days: rng.random_range(3..=15),
            })
            .collect();
        let profiles = units
            .iter()
            .filter(|u| matches!(u.kind, UnitKind::Department | UnitKind::Commune))
            .filter_map(|u| {
                let handled = match u.kind {
                    UnitKind::Commune => "commune",
                    _ => u.code.rsplit('-').next().unwrap_or(""),
                };
                let procedures: Vec<usize> = usable.iter().filter(|(_, p)| p.handled_by == handled).map(|(i, _)| *i).collect();
                (!procedures.is_empty()).then(|| Profile {
                    code: u.code.clone(),
                    offset: rng.random_range(-9.0..6.0),
                    factor: rng.random_range(0.88..1.04),
                    volume: match u.kind {
                        UnitKind::Commune => rng.random_range(1.5..9.0),
                        _ => rng.random_range(2.0..18.0),
                    },
                    procedures,
                    serial: 0,
                    kind: u.kind,
                    national_sync: false,
                })
            })
            .collect();
        Simulator {
            rng,
            units: profiles,
            catalogue,
            queue: BinaryHeap::new(),
            seq: 0,
            curve_origin: curve_origin_ms,
            volume,
            prefix: "H".into(),
            invalid: 0,
            generated: 0,
        }
    }

    /// Codes of the dossiers generated from now on start with `prefix` (history uses `H`).
    pub fn set_prefix(&mut self, prefix: impl Into<String>) {
        self.prefix = prefix.into();
    }

    /// From now on, every third department (the first, fourth…) and every fourth commune (the second,
    /// sixth…), in registry order, send their dossiers through the national-sync door; the others keep
    /// sending native events. The dossiers, their times and every random draw stay those of the native
    /// run: only the wrapping changes. Returns the codes of those units.
    pub fn use_national_sync_door(&mut self) -> Vec<String> {
        let (mut departments, mut communes) = (0, 0);
        let mut out = Vec::new();
        for p in &mut self.units {
            let n = if p.kind == UnitKind::Commune { &mut communes } else { &mut departments };
            p.national_sync = if p.kind == UnitKind::Commune { *n % 4 == 1 } else { *n % 3 == 0 };
            *n += 1;
            if p.national_sync {
                out.push(p.code.clone());
            }
        }
        out
    }

    /// Units that send dossiers.
    pub fn unit_count(&self) -> usize {
        self.units.len()
    }

    /// The fully-online share a unit is at, at a moment.
    fn share(&self, unit: usize, at: i64) -> f64 {
        let p = &self.units[unit];
        let months = (at - self.curve_origin) as f64 / MONTH + p.offset;
        (curve(months) * p.factor).clamp(0.02, 0.98)
    }

    /// Generates the dossiers received on the local day starting at `day_start` (local midnight).
    pub fn simulate_day(&mut self, day_start: i64) {
        let weekday = offset().timestamp_millis_opt(day_start).single().map(|d| d.weekday()).unwrap_or(Weekday::Mon);
        let factor = match weekday {
            Weekday::Sat => 0.25,
            Weekday::Sun => 0.05,
            _ => 1.0,
        };
        for u in 0..self.units.len() {
            let expected = self.units[u].volume * factor * self.volume;
            // Stochastic rounding keeps small volumes (a quiet commune, a scaled-down benchmark) unbiased.
            let x = expected * self.rng.random_range(0.6..1.4);
            let n = x.floor() as usize + self.rng.random_bool(x.fract()) as usize;
            for _ in 0..n {
                let weekend = factor < 1.0;
                let received = if weekend {
                    day_start + self.rng.random_range(0..DAY)
                } else {
                    day_start + self.rng.random_range(7 * HOUR + 30 * MINUTE..17 * HOUR)
                };
                self.dossier(u, received, 1.0, weekend);
            }
        }
    }

    /// Live traffic: `count` new dossiers received now, their whole life compressed so that a day
    /// passes in `minutes_per_day` minutes and the current month visibly moves.
    pub fn simulate_live(&mut self, now: i64, count: usize, minutes_per_day: f64) {
        let scale = minutes_per_day * MINUTE as f64 / DAY as f64;
        for _ in 0..count {
            let u = self.rng.random_range(0..self.units.len());
            self.dossier(u, now, scale, false);
        }
    }

    /// Native events delivered up to `until`, as NDJSON lines, in delivery order (national-sync
    /// deliveries, if `use_national_sync_door` was called, are dropped: use `deliver`).
    pub fn delivered(&mut self, until: i64) -> Vec<String> {
        self.deliver(until).events
    }

    /// Everything delivered up to `until`, by door, in delivery order.
    pub fn deliver(&mut self, until: i64) -> Delivery {
        let mut out = Delivery::default();
        while self.queue.peek().is_some_and(|Reverse(p)| p.deliver_at <= until) {
            let pending = self.queue.pop().expect("peeked").0;
            self.invalid += pending.invalid as u64;
            match pending.door {
                Door::Event => out.events.push(pending.line),
                door => out.national_sync.push((door, pending.line)),
            }
        }
        out
    }

    pub fn pending(&self) -> usize {
        self.queue.len()
    }

    fn push(&mut self, deliver_at: i64, line: String, invalid: bool, door: Door) {
        self.seq += 1;
        self.generated += 1;
        self.queue.push(Reverse(Pending { deliver_at, seq: self.seq, line, invalid, door }));
    }

    /// One dossier's life, `scale` shrinking its durations (1.0 for real time).
    fn dossier(&mut self, u: usize, received: i64, scale: f64, weekend: bool) {
        let dur = |ms: f64| (ms * scale).max(1_000.0) as i64;
        let share = self.share(u, received);
        let rng = &mut self.rng;
        let procedure = self.units[u].procedures[rng.random_range(0..self.units[u].procedures.len())];
        let entry = self.catalogue[procedure].clone();
        let full_intent = weekend || rng.random_bool(share);
        let broken = if full_intent {
            Break::None
        } else {
            match rng.random_range(0..100) {
                0..55 => Break::SubmittedOffline,
                55..85 => Break::ResultInPerson,
                _ if entry.fee => Break::FeeOffline,
                _ => Break::ResultInPerson,
            }
        };
        let channel = match broken {
            Break::SubmittedOffline if rng.random_bool(0.85) => "in_person",
            Break::SubmittedOffline => "postal",
            _ => "online",
        };
        self.units[u].serial += 1;
        let local = offset().timestamp_millis_opt(received).single().expect("valid time");
        let code = format!("{}{}-{}-{:05}", self.prefix, self.units[u].code, local.format("%y%m%d"), self.units[u].serial);
        let unit = self.units[u].code.clone();
        let mut events: Vec<(i64, Wire)> = Vec::new();
        let mut n = 0;
        // Whole seconds: the national-sync shape writes times to the second.
        let mut ev = |status: &'static str, at: i64| {
            let at = at.div_euclid(1000) * 1000;
            n += 1;
            (at, Wire { id: format!("{code}-{n}"), dossier: &code, unit: &unit, procedure: &entry.code, status, at: stamp(at),
                channel: None, result_delivery: None, due: None, payment: None,
                result_file: None, digitised: None, reused_data: None, fee: None, supplement_answered: None })
        };
        let rng = &mut self.rng;
        if channel == "online" {
            events.push(ev("registered", received - dur(rng.random_range(5.0..600.0) * MINUTE as f64)));
            if rng.random_bool(0.01) {
                events.push(ev("refused", received));
                return self.emit(u, received, events);
            }
        }
        let due = (received + dur((entry.statutory_days * DAY) as f64 * 1.4)).div_euclid(1000) * 1000;
        let mut r = ev("received", received);
        r.1.channel = Some(channel);
        r.1.due = Some(stamp(due));
        // The national index's marks: a digitised component more often for online dossiers; stored
        // data re-used now and then (a digitised component counts as re-used data, as the portal reads it).
        let digitised = rng.random_bool(if channel == "online" { 0.7 } else { 0.3 });
        r.1.digitised = Some(digitised);
        r.1.reused_data = Some(digitised || rng.random_bool(0.15));
        events.push(r);
        let mut t = received + dur(rng.random_range(0.5..24.0) * HOUR as f64);
        events.push(ev("processing", t));
        // Supplement requests: one now and then, rarely two; the applicant answers each in about two days.
        let requests = match rng.random_range(0..100) {
            0..8 => 1,
            8..9 => 2,
            _ => 0,
        };
        for _ in 0..requests {
            t += dur(DAY as f64);
            events.push(ev("supplement_requested", t));
            t += dur(2.0 * DAY as f64);
            let mut answered = ev("processing", t);
            answered.1.supplement_answered = Some(true);
            events.push(answered);
        }
        if entry.fee {
            t += dur(rng.random_range(1.0..8.0) * HOUR as f64);
            let mut p = ev("payment_requested", t);
            p.1.payment = Some(if broken == Break::FeeOffline { "offline" } else { "online" });
            p.1.fee = Some(true);
            events.push(p);
        }
        if rng.random_bool(0.02) {
            events.push(ev("withdrawn", t + dur(DAY as f64)));
            return self.emit(u, received, events);
        }
        if rng.random_bool(0.005) {
            events.push(ev("stopped", t + dur(DAY as f64)));
            return self.emit(u, received, events);
        }
        let allowed = (due - received) as f64;
        let took = if rng.random_bool(0.85) { rng.random_range(0.25..1.0) } else { rng.random_range(1.02..1.6) };
        let resolved = (received + (allowed * took) as i64).max(t + 1_000);
        events.push(ev("resolved", resolved));
        let returned = resolved + dur(rng.random_range(0.0..1.5) * DAY as f64);
        let mut ret = ev("returned", returned);
        ret.1.result_delivery = Some(match broken {
            Break::ResultInPerson => "in_person",
            Break::SubmittedOffline if rng.random_bool(0.5) => "in_person",
            _ if rng.random_bool(0.25) => "postal",
            _ => "online",
        });
        // A result returned online is a result file (as the national-sync shape tells it: a link).
        ret.1.result_file = Some(ret.1.result_delivery == Some("online"));
        events.push(ret);
        self.emit(u, received, events)
    }

    /// Queues a dossier's events: most delivered as they happen, some hours late, now and then the
    /// `received` event after all the others, and rarely an invalid event beside them.
    fn emit(&mut self, u: usize, received: i64, events: Vec<(i64, Wire)>) {
        let last = events.iter().map(|(at, _)| *at).max().unwrap_or(received);
        let late_received = self.rng.random_bool(0.01);
        let invalid = self.rng.random_bool(0.002).then(|| self.invalid_line(&events[0].1));
        let mut lines = Vec::with_capacity(events.len() + 1);
        for (at, w) in &events {
            let mut deliver = *at;
            if late_received && w.status == "received" {
                deliver = last + HOUR;
            } else if self.rng.random_bool(0.03) {
                deliver += self.rng.random_range(HOUR..48 * HOUR);
            }
            lines.push((deliver, serde_json::to_string(w).expect("serialisable"), false));
        }
        if self.units[u].national_sync {
            // The same deliveries, as the dossier's system sends them through the national-sync door;
            // the invalid native line has no counterpart there.
            let deliveries: Vec<i64> = lines.iter().map(|(d, _, _)| *d).collect();
            for (deliver, door, body) in super::national_sync::sends(&events, &deliveries) {
                self.push(deliver, body, false, door);
            }
            return;
        }
        if let Some(line) = invalid {
            lines.push((events[0].0, line, true));
        }
        for (deliver, line, invalid) in lines {
            self.push(deliver, line, invalid, Door::Event);
        }
    }

    /// A mistake an agency system might make: unknown procedure, missing channel, or personal data.
    fn invalid_line(&mut self, w: &Wire) -> String {
        let mut v = serde_json::to_value(w).expect("serialisable");
        v["id"] = format!("{}-x", w.id).into();
        match self.rng.random_range(0..3) {
            0 => v["procedure"] = "MAU.KHONG.TON.TAI".into(),
            1 => {
                v["status"] = "received".into();
                v.as_object_mut().expect("object").remove("channel");
            }
            _ => v["ho_ten"] = "Nguyễn Văn A".into(),
        }
        v.to_string()
    }
}

/// Local midnight starting each day from the first day of `first` up to and including `today_start`.
pub fn days(first: Month, today_start: i64) -> Vec<i64> {
    let mut out = Vec::new();
    let mut d = first.start_millis();
    while d <= today_start {
        out.push(d);
        d += DAY;
    }
    out
}

/// Local midnight of the day containing `ms`.
pub fn day_start(ms: i64) -> i64 {
    let local = offset().timestamp_millis_opt(ms).single().expect("valid");
    let midnight = local.date_naive().and_hms_opt(0, 0, 0).expect("midnight");
    offset().from_local_datetime(&midnight).single().expect("fixed offset").timestamp_millis()
}

/// When the province stood at the start of the seed curve: two years before `now`.
pub fn curve_origin(now: i64) -> i64 {
    now - (24.0 * MONTH) as i64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::province;

    #[test]
    fn seed_curve_points() {
        assert!((curve(0.0) - 0.18).abs() < 1e-9);
        assert!((curve(12.0) - 0.62).abs() < 1e-9);
        assert!(curve(24.0) > 0.9);
        assert!(curve(-40.0) >= 0.05);
    }

    #[test]
    fn deterministic_and_varied() {
        let p = province::build("31", 2026).unwrap();
        let now = DateTime::parse_from_rfc3339("2026-11-20T12:00:00+07:00").unwrap().timestamp_millis();
        let run = || {
            let mut s = Simulator::new(&p.units, &p.procedures, 5, curve_origin(now), 1.0);
            for d in days("2026-11".parse().unwrap(), day_start(now)) {
                s.simulate_day(d);
            }
            (s.delivered(now), s.invalid, s.pending())
        };
        let (a, invalid, pending) = run();
        assert_eq!(a, run().0, "same seed, same stream");
        assert!(a.len() > 10_000, "{}", a.len());
        assert!(pending > 0, "some events lie in the future");
        assert!(invalid > 0);
        for status in ["registered", "received", "processing", "payment_requested", "returned", "withdrawn", "supplement_requested"] {
            assert!(a.iter().any(|l| l.contains(&format!("\"status\":\"{status}\""))), "{status}");
        }
        for delivery in ["\"result_delivery\":\"postal\"", "\"result_delivery\":\"in_person\"", "\"payment\":\"offline\"", "\"channel\":\"in_person\""] {
            assert!(a.iter().any(|l| l.contains(delivery)), "{delivery}");
        }
    }
}
