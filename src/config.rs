//! Command line and environment (api.md): every flag can also come from its `DVC_…` variable.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(name = "dvc-monitor", version, about = "Fully-online administrative dossiers per unit and month: league tables, metrics, alerts")]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args, Clone)]
pub struct Global {
    /// sqlite://PATH (created if missing) or postgres://USER@HOST/DB
    /// [default: sqlite://dvc-monitor.db; for `demo`, sqlite://dvc-monitor-demo.db]
    #[arg(long, env = "DVC_DATABASE_URL", global = true)]
    pub database_url: Option<String>,
    /// Run as if it were this instant (RFC 3339 with offset, e.g. 2027-01-01T00:05:00+07:00), and let
    /// time run on from it: for rehearsals and tests of month ends (the demo's history ends there, the
    /// service judges months from there). Default: the system clock
    #[arg(long, global = true)]
    pub now: Option<chrono::DateTime<chrono::FixedOffset>>,
}

pub const DEFAULT_DATABASE_URL: &str = "sqlite://dvc-monitor.db";
pub const DEMO_DATABASE_URL: &str = "sqlite://dvc-monitor-demo.db";
/// `--public-url` unless given; the demo replaces it with the address it listens on.
pub const DEFAULT_PUBLIC_URL: &str = "http://127.0.0.1:8080";

#[derive(Debug, Args, Clone)]
pub struct DemoArgs {
    #[command(flatten)]
    pub serve: ServeArgs,
    /// Province code (2 digits, e.g. 31 Hải Phòng, 01 Hà Nội, 79 Hồ Chí Minh)
    #[arg(long, default_value = "31")]
    pub province: String,
    /// Months of history to simulate, up to today
    #[arg(long, default_value_t = 12, value_parser = clap::value_parser!(u32).range(1..=36))]
    pub months: u32,
    /// Seed of the simulation: the same seed gives the same province
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Live events per second once the history is loaded
    #[arg(long, default_value_t = 20.0)]
    pub rate: f64,
    /// Load the history and serve it, without live events
    #[arg(long)]
    pub no_live: bool,
    /// Multiplies every unit's daily number of dossiers (1.0 ≈ 80,000 events a month for Hải Phòng)
    #[arg(long, default_value_t = 0.5)]
    pub volume: f64,
    /// Every unit sends native events, none through the national-sync door (for comparing the two)
    #[arg(long, hide = true)]
    pub all_native: bool,
}

#[derive(Debug, Args, Clone)]
pub struct ServeArgs {
    /// Address to listen on
    #[arg(long, env = "DVC_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: String,
    /// Unit-months with a smaller denominator are `insufficient_data`
    #[arg(long, env = "DVC_MIN_VOLUME", default_value_t = crate::domain::kpi::DEFAULT_MIN_VOLUME)]
    pub min_volume: i64,
    /// Largest ingest request body in bytes (larger gets 413)
    #[arg(long, env = "DVC_MAX_BODY_BYTES", default_value_t = 16 * 1024 * 1024)]
    pub max_body_bytes: usize,
    /// Seconds a request body may take to arrive, once its sender is authenticated (slower gets 408)
    #[arg(long, env = "DVC_BODY_TIMEOUT_SECONDS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..))]
    pub body_timeout_seconds: u64,
    /// Seconds a client has to send a request's headers (also how long an idle connection stays open)
    #[arg(long, env = "DVC_HEADER_TIMEOUT_SECONDS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..))]
    pub header_timeout_seconds: u64,
    /// Connections served at once; more wait in the listen queue until one closes
    #[arg(long, env = "DVC_MAX_CONNECTIONS", default_value_t = 512, value_parser = clap::value_parser!(u64).range(1..=65536))]
    pub max_connections: u64,
    /// When set, pages, read API and exports require this secret (Bearer, or Basic with any user name)
    #[arg(long, env = "DVC_VIEWER_TOKEN")]
    pub viewer_token: Option<String>,
    /// Ingest requests stored at once; others wait up to --ingest-wait-seconds, then get 503 with Retry-After
    #[arg(long, env = "DVC_MAX_CONCURRENT_INGEST", default_value_t = 8)]
    pub max_concurrent_ingest: usize,
    /// How long an ingest request may wait for a free slot
    #[arg(long, env = "DVC_INGEST_WAIT_SECONDS", default_value_t = 5)]
    pub ingest_wait_seconds: u64,
    /// Address users reach this service at, for links in alert messages
    #[arg(long, env = "DVC_PUBLIC_URL", default_value = DEFAULT_PUBLIC_URL)]
    pub public_url: String,
    /// Grafana's address, for dashboard links in alert messages
    #[arg(long, env = "DVC_GRAFANA_URL", default_value = "http://127.0.0.1:3000")]
    pub grafana_url: String,
    /// SMTP server for alert emails: smtp://host:25, smtp://host:587?tls=required, smtps://user:pass@host:465
    #[arg(long, env = "DVC_SMTP_URL")]
    pub smtp_url: Option<String>,
    /// Sender of alert emails
    #[arg(long, env = "DVC_SMTP_FROM", default_value = "dvc-monitor <dvc-monitor@localhost>")]
    pub smtp_from: String,
    /// Bearer token Alertmanager must send to /api/v1/alertmanager (without it, or --alertmanager-open,
    /// that endpoint refuses every request)
    #[arg(long, env = "DVC_ALERTMANAGER_TOKEN")]
    pub alertmanager_token: Option<String>,
    /// Accept /api/v1/alertmanager without a token (only where nothing but Alertmanager can reach it)
    #[arg(long, env = "DVC_ALERTMANAGER_OPEN")]
    pub alertmanager_open: bool,
    /// Seconds between runs of the built-in alert evaluator; 0 turns it off (when Prometheus evaluates alerts/)
    #[arg(long, env = "DVC_ALERT_EVAL_SECONDS", default_value_t = 60)]
    pub alert_eval_seconds: u64,
    /// Push the built-in evaluator's alerts to this Alertmanager (http://host:9093) instead of delivering them
    #[arg(long, env = "DVC_ALERTMANAGER_URL")]
    pub alertmanager_url: Option<String>,
    /// Send each recipient one digest every N minutes instead of a message per alert group; 0 = at once
    #[arg(long, env = "DVC_ALERT_DIGEST_MINUTES", default_value_t = 0)]
    pub alert_digest_minutes: u64,
    /// When the weekly quick report goes to each province's leader and each head: a day and a time in
    /// Vietnam's time ("mon 07:30", "t2 07:30"), or "off"
    #[arg(long, env = "DVC_WEEKLY_REPORT", default_value = "mon 07:30")]
    pub weekly_report: WeeklyReport,
    /// The national index's points for its dossier-based components (a CSV as data/index-766.csv, with
    /// its source and date); default: the shipped scheme
    #[arg(long, env = "DVC_INDEX_SCHEME", value_parser = read_index_scheme)]
    pub index_scheme: Option<std::sync::Arc<crate::domain::index_scheme::Scheme>>,
    /// Write the national index's indicators on /metrics too (unit families, for Prometheus rules and
    /// dashboards); off by default: they nearly triple the text. The built-in alerts judge them either way
    #[arg(long, env = "DVC_METRICS_INDEX_INDICATORS")]
    pub metrics_index_indicators: bool,
    /// Hours without a valid event before an agency system counts as stale
    #[arg(long, env = "DVC_STALE_SOURCE_HOURS", default_value_t = 4.0)]
    pub stale_source_hours: f64,
}

impl ServeArgs {
    /// Connection limits for `crate::serve_with`.
    pub fn limits(&self) -> crate::ServerLimits {
        crate::ServerLimits {
            header_read_timeout: std::time::Duration::from_secs(self.header_timeout_seconds),
            max_connections: self.max_connections as usize,
        }
    }

    pub fn settings(&self) -> crate::web::Settings {
        use std::time::Duration;
        let minutes = |m: u64| (m > 0).then(|| Duration::from_secs(m * 60));
        crate::web::Settings {
            min_volume: self.min_volume,
            max_body_bytes: self.max_body_bytes,
            body_timeout: Duration::from_secs(self.body_timeout_seconds),
            viewer_token: self.viewer_token.clone().filter(|t| !t.is_empty()),
            max_concurrent_ingest: self.max_concurrent_ingest,
            ingest_wait: Duration::from_secs(self.ingest_wait_seconds),
            alerts: crate::web::AlertSettings {
                rules: crate::alerting::rules::Settings {
                    public_url: self.public_url.trim_end_matches('/').to_string(),
                    grafana_url: self.grafana_url.trim_end_matches('/').to_string(),
                    stale_after_seconds: self.stale_source_hours * 3600.0,
                    ..Default::default()
                },
                smtp_url: self.smtp_url.clone(),
                smtp_from: self.smtp_from.clone(),
                webhook_token: self.alertmanager_token.clone().filter(|t| !t.trim().is_empty()),
                webhook_open: self.alertmanager_open,
                evaluate_every: (self.alert_eval_seconds > 0).then(|| Duration::from_secs(self.alert_eval_seconds)),
                alertmanager_url: self.alertmanager_url.clone(),
                digest: minutes(self.alert_digest_minutes),
                alertmanager_clock: crate::clock::Clock::System,
            },
            demo_inbox: false,
            weekly_report: self.weekly_report.0,
            metrics_index_indicators: self.metrics_index_indicators,
            index_scheme: self.index_scheme.clone().unwrap_or_else(|| std::sync::Arc::new(crate::domain::index_scheme::Scheme::shipped())),
        }
    }
}

/// `--index-scheme FILE`: read and checked when the command starts, so a bad file stops it with its line.
fn read_index_scheme(path: &str) -> Result<std::sync::Arc<crate::domain::index_scheme::Scheme>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))?;
    crate::domain::index_scheme::Scheme::parse(path, &text).map(std::sync::Arc::new)
}

/// `--weekly-report`: a schedule, or `off`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WeeklyReport(pub Option<crate::alerting::schedule::WeeklySchedule>);

impl std::str::FromStr for WeeklyReport {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        if s.trim().eq_ignore_ascii_case("off") {
            return Ok(WeeklyReport(None));
        }
        s.parse().map(|s| WeeklyReport(Some(s)))
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the service: ingest API, pages, JSON/CSV API
    Serve(ServeArgs),
    /// A first look: a real province simulated through the ingest API, then served with live events
    Demo(DemoArgs),
    /// National-scale benchmark: ingest, league table, /metrics, memory and start-up, next to baselines
    Bench(crate::bench::BenchArgs),
    /// Print the OpenAPI document of the ingest endpoints and the read API (as served at /api/v1/openapi.json)
    Openapi,
    /// Unit registry
    Units {
        #[command(subcommand)]
        action: ImportAction,
    },
    /// Procedure catalogue
    Procedures {
        #[command(subcommand)]
        action: ImportAction,
    },
    /// Targets per unit or unit kind
    Targets {
        #[command(subcommand)]
        action: ImportAction,
    },
    /// Codes agency systems use for their units (DonViXuLy, madonvi) and the registry units they stand for
    SenderCodes {
        #[command(subcommand)]
        action: SenderCodeAction,
    },
    /// Close a finished month (chốt số liệu): its league tables stay as published; later events show as a revision
    CloseMonth {
        /// The month, YYYY-MM
        month: String,
        /// Unit-months with a smaller denominator are `insufficient_data` in the published tables
        #[arg(long, env = "DVC_MIN_VOLUME", default_value_t = crate::domain::kpi::DEFAULT_MIN_VOLUME)]
        min_volume: i64,
    },
    /// Show the audit log of administrative changes, newest first
    Audit {
        #[arg(long, default_value_t = 50)]
        limit: i64,
    },
    /// Recompute facts and rollups from the stored events and report any drift (with --repair, fix it)
    Verify {
        #[arg(long)]
        repair: bool,
    },
    /// Load history from files as a source: national-sync snapshots (JSON array or NDJSON) or dossier
    /// lists exported to CSV; the whole of every file is validated first, and nothing changes on a bad row
    Import {
        /// The agency system the events belong to; it must have a live token, whose scope bounds the import
        #[arg(long)]
        source: String,
        /// CSV `field,header` naming the columns of another layout
        #[arg(long)]
        mapping: Option<PathBuf>,
        /// Files: .json/.ndjson/.jsonl snapshots, .csv dossier lists (others by their first character)
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Collector tokens for agency systems
    Tokens {
        #[command(subcommand)]
        action: TokenAction,
    },
}

#[derive(Debug, Subcommand)]
pub enum ImportAction {
    /// Upsert rows from a CSV file; the first bad row is reported and nothing changes
    Import { file: PathBuf },
}

#[derive(Debug, Subcommand)]
pub enum SenderCodeAction {
    /// Upsert a CSV `code,unit` or `source,code,unit`; the first bad row is reported and nothing changes
    Import { file: PathBuf },
    /// The mapping as stored
    List,
    /// Codes that arrived without a mapping (their snapshots were refused), most recent first
    Unmapped,
}

#[derive(Debug, Subcommand)]
pub enum TokenAction {
    /// Print a new token (shown once, stored hashed)
    Create {
        /// Name of the agency system that will use the token
        #[arg(long)]
        source: String,
        /// Unit codes the token may send events for (their descendants included), comma-separated
        #[arg(long, value_delimiter = ',', required = true)]
        scope: Vec<String>,
    },
    /// List tokens (their ids, never their secrets)
    List,
    /// Revoke a token by the id `tokens list` shows; its agency system gets 401 from then on
    Revoke { id: String },
}

#[cfg(test)]
mod tests {
    use super::*;

    fn serve_of(args: &[&str]) -> ServeArgs {
        match Cli::try_parse_from(args).unwrap_or_else(|e| panic!("{args:?}: {e}")).command {
            Command::Serve(s) => s,
            Command::Demo(d) => d.serve,
            _ => panic!("not serve or demo"),
        }
    }

    /// Every default of `serve` and `demo` parses into settings (clap checks types only when read).
    #[test]
    fn serve_and_demo_parse_with_their_defaults() {
        let monday = Some("mon 07:30".parse().unwrap());
        assert_eq!(serve_of(&["dvc-monitor", "serve"]).settings().weekly_report, monday);
        assert_eq!(serve_of(&["dvc-monitor", "demo"]).settings().weekly_report, monday);
        assert_eq!(serve_of(&["dvc-monitor", "serve", "--weekly-report", "off"]).settings().weekly_report, None);
        assert_eq!(serve_of(&["dvc-monitor", "serve", "--weekly-report", "t6 16:00"]).settings().weekly_report, Some("fri 16:00".parse().unwrap()));
        assert!(Cli::try_parse_from(["dvc-monitor", "serve", "--weekly-report", "someday"]).is_err());
    }
}
