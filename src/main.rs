use clap::Parser;
use dvc_monitor::commands;
use dvc_monitor::config::{Cli, Command};
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("DVC_LOG").unwrap_or_else(|_| "info".into()))
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let store = dvc_monitor::store::connect(&cli.global.database_url).await?;
    let message = match &cli.command {
        Command::Serve(args) => return commands::serve(store, args).await,
        Command::Units { action } => commands::import_units(store.as_ref(), action).await?,
        Command::Procedures { action } => commands::import_procedures(store.as_ref(), action).await?,
        Command::Targets { action } => commands::import_targets(store.as_ref(), action).await?,
        Command::Tokens { action } => commands::tokens(store.as_ref(), action).await?,
    };
    println!("{message}");
    Ok(())
}
