//! Where the writer's time goes: each step of an ingest transaction timed and written as one debug line
//! (`DVC_LOG=dvc_monitor::store=debug`), so an operator whose ingest slows can see which step grew.
//! Durations only: nothing here reads the time of day.

use std::fmt;
use std::time::{Duration, Instant};

pub struct Phases {
    last: Instant,
    steps: Vec<(&'static str, Duration)>,
}

impl Phases {
    pub fn start() -> Phases {
        Phases { last: Instant::now(), steps: Vec::with_capacity(10) }
    }

    /// Ends the step named `name` here and starts the next.
    pub fn end(&mut self, name: &'static str) {
        let now = Instant::now();
        self.steps.push((name, now - self.last));
        self.last = now;
    }
}

impl fmt::Display for Phases {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let total: Duration = self.steps.iter().map(|(_, d)| *d).sum();
        write!(f, "total {:.1} ms", total.as_secs_f64() * 1e3)?;
        for (name, d) in &self.steps {
            write!(f, ", {name} {:.1}", d.as_secs_f64() * 1e3)?;
        }
        Ok(())
    }
}
