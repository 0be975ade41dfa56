use clap::Parser;
use dvc_monitor::{commands, Clock};
use dvc_monitor::config::{self, Cli, Command};
use std::process::ExitCode;

/// mimalloc: ingest allocates and frees many small strings across threads, where it is faster than
/// the system allocator and returns memory to the system more readily.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    tune_allocator();
    if !dvc_monitor::store::sqlite_memory::configure() {
        eprintln!("warning: SQLite's allocator could not be set (SQLite was in use already); it keeps its own");
    }
    let cli = Cli::parse();
    // The demo's terminal shows its progress, its summary and its address: by default only warnings join
    // them (not the INFO line of every batch with rejected events). DVC_LOG, else RUST_LOG, overrides.
    let default = if matches!(cli.command, Command::Demo(_)) { "warn" } else { "info" };
    let filter = tracing_subscriber::EnvFilter::try_from_env("DVC_LOG")
        .or_else(|_| tracing_subscriber::EnvFilter::try_from_default_env())
        .unwrap_or_else(|_| default.into());
    // Colours only on a terminal: a log file or journal gets plain text.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    tracing_subscriber::fmt().with_env_filter(filter).with_ansi(ansi).with_writer(std::io::stderr).init();
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// The allocator's settings where the service wants other values than mimalloc's defaults, unless the
/// operator set them in the environment (`MIMALLOC_PURGE_DELAY`, `MIMALLOC_ALLOW_THP`).
/// - Freed memory goes back to the system at once rather than after 10 ms, which keeps the peak
///   resident size of bursts of large batches low.
/// - No transparent huge pages: mimalloc asks for them by default, and a huge page is resident whole
///   however little of it is used, and zeroed whole (2 MB) when first touched. Without them the service
///   on a store of a million events held 78 MB rather than 99 MB after the national league page, and
///   rendered that page a little faster (`BENCHMARKS.md`). mimalloc has read its own option before
///   `main`, so the process turns them off for itself (`PR_SET_THP_DISABLE`, checked at each fault).
fn tune_allocator() {
    // `mi_option_purge_delay` in mimalloc.h (v3, the version libmimalloc-sys builds).
    const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        // SAFETY: sets a process-wide allocator option; mimalloc allows this at any time.
        unsafe { libmimalloc_sys::mi_option_set(PURGE_DELAY, 0) };
    }
    #[cfg(target_os = "linux")]
    if std::env::var_os("MIMALLOC_ALLOW_THP").is_none() {
        // SAFETY: prctl with PR_SET_THP_DISABLE takes plain integers and changes only this process's
        // memory policy; a failure (an old kernel) leaves the default, which is harmless.
        unsafe { libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0) };
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    // The one place the wall clock is chosen; everything below is given it.
    let clock = cli.global.now.map_or(Clock::System, |at| Clock::starting_at(at.timestamp_millis()));
    if let Command::Demo(args) = &cli.command {
        let url = cli.global.database_url.as_deref().unwrap_or(config::DEMO_DATABASE_URL);
        return dvc_monitor::demo::run::run(url, args, clock).await;
    }
    if let Command::Bench(args) = &cli.command {
        return dvc_monitor::bench::run(args, clock.now_ms()).await;
    }
    if let Command::Openapi = &cli.command {
        println!("{}", dvc_monitor::web::openapi::document());
        return Ok(());
    }
    let url = cli.global.database_url.as_deref().unwrap_or(config::DEFAULT_DATABASE_URL);
    let store = dvc_monitor::store::connect(url).await?;
    let message = match &cli.command {
        Command::Demo(_) | Command::Bench(_) | Command::Openapi => unreachable!("handled above"),
        Command::Serve(args) => return commands::serve(store, args, clock).await,
        Command::Units { action } => commands::import_units(store.as_ref(), action).await?,
        Command::Procedures { action } => commands::import_procedures(store.as_ref(), action).await?,
        Command::Targets { action } => commands::import_targets(store.as_ref(), action).await?,
        Command::Tokens { action } => commands::tokens(store.as_ref(), action, clock.now_ms()).await?,
        Command::SenderCodes { action } => commands::sender_codes(store.as_ref(), action).await?,
        Command::Audit { limit } => commands::audit(store.as_ref(), *limit).await?,
        Command::Verify { repair } => commands::verify(store.as_ref(), *repair).await?,
        Command::Import { source, mapping, files } => commands::import(store.as_ref(), source, files, mapping.as_deref(), clock.now_ms()).await?,
        Command::CloseMonth { month, min_volume } => commands::close_month(store.as_ref(), month, *min_volume, clock.now_ms()).await?,
    };
    if let Some(action) = audited(&cli.command) {
        // The secret a token command prints never reaches the log.
        let detail = match &cli.command {
            Command::Tokens { action: dvc_monitor::config::TokenAction::Create { source, scope } } => {
                format!("token for {source}, scope {}", scope.join(","))
            }
            _ => message.clone(),
        };
        store.audit(clock.now_ms(), &actor(), action, &detail).await?;
    }
    println!("{message}");
    Ok(())
}

/// Commands that change what leaders are shown or who may write: kept in the audit log.
fn audited(command: &Command) -> Option<&'static str> {
    use dvc_monitor::config::TokenAction;
    match command {
        Command::Units { .. } => Some("units import"),
        Command::Procedures { .. } => Some("procedures import"),
        Command::Targets { .. } => Some("targets import"),
        Command::SenderCodes { action: dvc_monitor::config::SenderCodeAction::Import { .. } } => Some("sender-codes import"),
        Command::Tokens { action: TokenAction::Create { .. } } => Some("tokens create"),
        Command::Tokens { action: TokenAction::Revoke { .. } } => Some("tokens revoke"),
        Command::CloseMonth { .. } => Some("close-month"),
        Command::Import { .. } => Some("import"),
        Command::Verify { repair: true } => Some("verify --repair"),
        _ => None,
    }
}

/// Who ran the command: the operating-system user, as far as the environment tells.
fn actor() -> String {
    std::env::var("SUDO_USER").or_else(|_| std::env::var("USER")).or_else(|_| std::env::var("LOGNAME")).unwrap_or_else(|_| "unknown".into())
}
