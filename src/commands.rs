//! What each command does; `main` only parses and dispatches here.

use crate::config::{ImportAction, SenderCodeAction, ServeArgs, TokenAction};
use crate::domain::UnitTree;
use crate::ingest::token;
use crate::registry::import;
use crate::store::{Store, TokenRecord};
use crate::web::{build_router, AppState, Clock};
use anyhow::{bail, Context};
use std::path::Path;
use std::sync::Arc;

pub async fn serve(store: Arc<dyn Store>, args: &ServeArgs, clock: Clock) -> anyhow::Result<()> {
    let (listener, router) = bind(store, args, clock).await?;
    println!("dvc-monitor listening on http://{}", listener.local_addr()?);
    crate::serve_with(listener, router, args.limits(), shutdown_signal()).await
}

/// Binds the listen address and builds the router, ready to serve.
pub async fn bind(store: Arc<dyn Store>, args: &ServeArgs, clock: Clock) -> anyhow::Result<(tokio::net::TcpListener, axum::Router)> {
    let listener = listen(args).await?;
    let state = start(store, args.settings(), clock, &listener)?;
    Ok((listener, build_router(state)))
}

pub async fn listen(args: &ServeArgs) -> anyhow::Result<tokio::net::TcpListener> {
    tokio::net::TcpListener::bind(&args.listen).await.with_context(|| format!("cannot listen on {}", args.listen))
}

/// The service's state with its background tasks started, for serving on `listener`.
pub fn start(store: Arc<dyn Store>, settings: crate::web::Settings, clock: Clock, listener: &tokio::net::TcpListener) -> anyhow::Result<AppState> {
    let state = AppState::new(store, settings, clock)?;
    state.start_background();
    tracing::info!(address = %listener.local_addr()?, database = state.store.backend(), "serving");
    let alerts = &state.settings.alerts;
    if alerts.webhook_token.is_none() && !alerts.webhook_open {
        tracing::info!("POST /api/v1/alertmanager refuses every request: set --alertmanager-token (or --alertmanager-open) to receive Alertmanager's webhook");
    } else if alerts.webhook_token.is_none() {
        tracing::warn!("POST /api/v1/alertmanager accepts alerts from anyone who can reach it (--alertmanager-open)");
    }
    Ok(state)
}

pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down");
}

fn open(file: &Path) -> anyhow::Result<(String, std::fs::File)> {
    let f = std::fs::File::open(file).with_context(|| format!("cannot open {}", file.display()))?;
    Ok((file.display().to_string(), f))
}

pub async fn import_units(store: &dyn Store, ImportAction::Import { file }: &ImportAction) -> anyhow::Result<String> {
    let (name, f) = open(file)?;
    let file = import::units(&name, f, &store.units().await?)?;
    store.upsert_units(&file.units).await?;
    store.upsert_contacts(&file.contacts).await?;
    let mut msg = format!("{} units imported from {name}", file.units.len());
    if !file.contacts.is_empty() {
        msg.push_str(&format!(", with {} heads of unit", file.contacts.len()));
    }
    Ok(msg)
}

pub async fn import_procedures(store: &dyn Store, ImportAction::Import { file }: &ImportAction) -> anyhow::Result<String> {
    let (name, f) = open(file)?;
    let procedures = import::procedures(&name, f)?;
    let changed = store.upsert_procedures(&procedures).await?;
    let mut msg = format!("{} procedures imported from {name}", procedures.len());
    if changed > 0 {
        msg.push_str(&format!("; {changed} changed level, rollups recomputed"));
    }
    Ok(msg)
}

pub async fn import_targets(store: &dyn Store, ImportAction::Import { file }: &ImportAction) -> anyhow::Result<String> {
    let (name, f) = open(file)?;
    let tree = UnitTree::new(store.units().await?);
    let targets = import::targets(&name, f, &tree)?;
    store.upsert_targets(&targets).await?;
    Ok(format!("{} targets imported from {name}", targets.len()))
}

pub async fn sender_codes(store: &dyn Store, action: &SenderCodeAction) -> anyhow::Result<String> {
    let when = |ms: i64| chrono::DateTime::from_timestamp_millis(ms).map(|t| t.to_rfc3339()).unwrap_or_default();
    match action {
        SenderCodeAction::Import { file } => {
            let (name, f) = open(file)?;
            let tree = UnitTree::new(store.units().await?);
            let codes = import::sender_codes(&name, f, &tree)?;
            store.upsert_sender_codes(&codes).await?;
            Ok(format!("{} sender codes imported from {name}", codes.len()))
        }
        SenderCodeAction::List => {
            let mut out = format!("{:<24} {:<24} {}", "source", "code", "unit");
            for c in store.sender_codes().await? {
                let source = if c.source.is_empty() { "*" } else { c.source.as_str() };
                out.push_str(&format!("\n{source:<24} {:<24} {}", c.code, c.unit));
            }
            Ok(out)
        }
        SenderCodeAction::Unmapped => {
            let rows = store.unmapped_codes().await?;
            if rows.is_empty() {
                return Ok("no unmapped sender codes".into());
            }
            let mut out = format!("{:<24} {:<24} {:>8}  {:<26} {}", "source", "code", "refused", "first seen", "last seen");
            for r in rows {
                out.push_str(&format!("\n{:<24} {:<24} {:>8}  {:<26} {}", r.source, r.code, r.seen, when(r.first_seen), when(r.last_seen)));
            }
            out.push_str("\nmap them with `dvc-monitor sender-codes import FILE` (CSV code,unit or source,code,unit)");
            Ok(out)
        }
    }
}

pub async fn audit(store: &dyn Store, limit: i64) -> anyhow::Result<String> {
    let when = |ms: i64| chrono::DateTime::from_timestamp_millis(ms).map(|t| t.to_rfc3339()).unwrap_or_default();
    let rows = store.audit_log(limit).await?;
    Ok(rows.iter().map(|(at, actor, action, detail)| format!("{}  {actor:<12} {action:<18} {detail}", when(*at))).collect::<Vec<_>>().join("\n"))
}

/// Exits non-zero when drift was found and left in place, so that a cron job notices.
pub async fn verify(store: &dyn Store, repair: bool) -> anyhow::Result<String> {
    let d = store.verify(repair).await?;
    let mut out = format!(
        "{} events of {} dossiers read; {} dossiers' facts and {} rollup cells differ from a recomputation",
        d.events_read,
        d.dossiers_checked,
        d.facts_differing,
        d.rollups_differing.len()
    );
    for (k, have, want) in d.rollups_differing.iter().take(20) {
        out.push_str(&format!(
            "\n  {} {} {}: stored {}/{}, events give {}/{}",
            k.unit, k.month, k.indicator, have.numerator, have.denominator, want.numerator, want.denominator
        ));
    }
    if !d.unreadable_rows.is_empty() {
        out.push_str(&format!("\n{} stored rows name no month or indicator and belong to none:", d.unreadable_rows.len()));
        for r in d.unreadable_rows.iter().take(20) {
            out.push_str(&format!(
                "\n  {}: unit {:?}, month key {}, indicator {:?}: {}/{}",
                r.table, r.unit, r.month, r.indicator, r.figures.numerator, r.figures.denominator
            ));
        }
    }
    if !d.counters_below.is_empty() {
        out.push_str(&format!("\n{} unit counters are below what the events give:", d.counters_below.len()));
        for (unit, indicator, have, floor) in d.counters_below.iter().take(20) {
            out.push_str(&format!(
                "\n  {unit} {indicator}: counted {}/{}, events give at least {}/{}",
                have.numerator, have.denominator, floor.numerator, floor.denominator
            ));
        }
    }
    if d.cells_outside_months > 0 {
        out.push_str(&format!(
            "\nnote: {} rollup cells the events give lie in months before 1900 or after 9999 (events stored before \
             such times were refused); they are left out of the rollups",
            d.cells_outside_months
        ));
    }
    if d.repaired {
        out.push_str("\nrepaired: facts, rollups and counters now follow the events");
    } else if d.found() {
        bail!("{out}\nrun `dvc-monitor verify --repair` to recompute them");
    }
    Ok(out)
}

/// `import --source NAME FILE...`: history from files, with a progress bar when standard error is a terminal.
pub async fn import(store: &dyn Store, source: &str, files: &[std::path::PathBuf], mapping: Option<&Path>, now: i64) -> anyhow::Result<String> {
    use std::io::IsTerminal;
    let summary = crate::ingest::history::import(store, source, files, mapping, std::io::stderr().is_terminal(), now).await?;
    Ok(summary.text())
}

pub async fn close_month(store: &dyn Store, month: &str, min_volume: i64, now: i64) -> anyhow::Result<String> {
    let month: crate::domain::Month = month.parse().map_err(anyhow::Error::msg)?;
    let n = crate::report::closing::close_month(store, month, min_volume, now).await?;
    Ok(format!("{month} closed: {n} unit figures published; later events for {month} show as a revision"))
}

pub async fn tokens(store: &dyn Store, action: &TokenAction, now: i64) -> anyhow::Result<String> {
    match action {
        TokenAction::Create { source, scope } => {
            if source.trim().is_empty() || source.len() > 64 {
                bail!("--source must be 1 to 64 characters");
            }
            let tree = UnitTree::new(store.units().await?);
            if let Some(unknown) = scope.iter().find(|c| !tree.contains(c)) {
                bail!("--scope: unknown unit {unknown:?} (import units first)");
            }
            let secret = token::generate();
            store
                .insert_token(&TokenRecord {
                    hash: token::hash(&secret),
                    source: source.trim().to_string(),
                    scope: scope.clone(),
                    created_at: now,
                    revoked_at: None,
                })
                .await?;
            Ok(secret)
        }
        TokenAction::List => {
            let when = |ms: i64| chrono::DateTime::from_timestamp_millis(ms).map(|t| t.to_rfc3339()).unwrap_or_default();
            let mut out = format!("{:<14} {:<24} {:<28} {:<26} {}", "id", "source", "scope", "created", "revoked");
            for t in store.tokens().await? {
                out.push_str(&format!(
                    "\n{:<14} {:<24} {:<28} {:<26} {}",
                    &t.hash[..TOKEN_ID_LEN],
                    t.source,
                    t.scope.join(","),
                    when(t.created_at),
                    t.revoked_at.map(when).unwrap_or_else(|| "-".into())
                ));
            }
            Ok(out)
        }
        TokenAction::Revoke { id } => {
            if id.len() < 8 || !id.chars().all(|c| c.is_ascii_hexdigit()) {
                bail!("token id {id:?}: give the id `tokens list` shows (at least 8 hex digits)");
            }
            let matching: Vec<_> = store.tokens().await?.into_iter().filter(|t| t.hash.starts_with(id.as_str()) && t.revoked_at.is_none()).collect();
            match matching.len() {
                0 => bail!("no live token with id {id}"),
                1 => {
                    store.revoke_tokens(id, now).await?;
                    Ok(format!("token {id} of {} revoked", matching[0].source))
                }
                n => bail!("{n} tokens start with {id}: give more digits"),
            }
        }
    }
}

/// Hex digits of a token's hash shown as its id: enough to tell tokens apart, useless to forge one.
const TOKEN_ID_LEN: usize = 12;
