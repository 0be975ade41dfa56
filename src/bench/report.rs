//! Figures as median and spread, and their Markdown table.

use super::BenchArgs;

#[derive(Debug, Clone, Copy)]
pub struct Stats {
    pub median: f64,
    pub min: f64,
    pub max: f64,
    pub p95: f64,
    pub n: usize,
}

impl Stats {
    pub fn of(values: &[f64]) -> Stats {
        let mut v = values.to_vec();
        v.sort_by(|a, b| a.total_cmp(b));
        let at = |q: f64| v[((v.len() - 1) as f64 * q).round() as usize];
        Stats { median: at(0.5), min: v[0], max: v[v.len() - 1], p95: at(0.95), n: v.len() }
    }

    pub fn show(&self) -> String {
        if self.n == 1 {
            fmt(self.median)
        } else {
            format!("{} (p95 {}, {}–{}, n={})", fmt(self.median), fmt(self.p95), fmt(self.min), fmt(self.max), self.n)
        }
    }
}

fn fmt(x: f64) -> String {
    if x >= 100.0 {
        format!("{x:.0}")
    } else if x >= 10.0 {
        format!("{x:.1}")
    } else {
        format!("{x:.2}")
    }
}

pub struct Figure {
    backend: String,
    what: String,
    stats: Stats,
    baseline: Option<(String, Stats)>,
}

impl Figure {
    pub fn single(backend: &str, what: &str, stats: Stats) -> Figure {
        Figure { backend: backend.into(), what: what.into(), stats, baseline: None }
    }
    pub fn ratio(backend: &str, what: &str, stats: Stats, baseline: &str, base: Stats) -> Figure {
        Figure { backend: backend.into(), what: what.into(), stats, baseline: Some((baseline.into(), base)) }
    }
}

pub fn markdown(figures: &[Figure], args: &BenchArgs, events: usize, units: usize) -> String {
    let mut s = format!(
        "Benchmark: {events} events, {units} units, {} clients × {} events per request{}, {} ingest run(s), {} requests per latency figure.\n\n\
         | backend | measure | median (p95, min–max, n) | baseline | baseline median | ratio |\n| --- | --- | --- | --- | --- | --- |\n",
        args.clients, args.batch, args.body_encoding.heading(), args.runs, args.requests
    );
    for f in figures {
        let (b, bm, ratio) = match &f.baseline {
            Some((name, base)) => (name.clone(), base.show(), format!("{:.2}", f.stats.median / base.median)),
            None => (String::new(), String::new(), String::new()),
        };
        s.push_str(&format!("| {} | {} | {} | {b} | {bm} | {ratio} |\n", f.backend, f.what, f.stats.show()));
    }
    s
}
