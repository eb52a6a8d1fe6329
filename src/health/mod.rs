//! Health: the state record a running server keeps beside its session, and the
//! `fast-mcp-telegram-health` command that reads it — once, printing one JSON document, or
//! as a small HTTP server answering `/health` and `/metrics`.

pub mod activity;
pub mod check;
pub mod http;
pub mod metrics;
pub mod process;
pub mod record;
pub mod writer;

use clap::Args;

use crate::config::{SessionArgs, SessionLocation};

/// The health command's own options (the session comes from [`SessionArgs`]).
#[derive(Debug, Clone, Default, Args)]
pub struct HealthArgs {
    /// Report every session in the session directory, not only SESSION_NAME.
    #[arg(long)]
    pub all: bool,
    /// Keep running as an HTTP server answering GET /health and GET /metrics on this address
    /// (PORT, 127.0.0.1:PORT, [::1]:PORT; loopback only unless --allow-remote).
    #[arg(long, value_name = "ADDR")]
    pub serve: Option<String>,
    /// Allow --serve on an address that is not loopback.
    #[arg(long, requires = "serve")]
    pub allow_remote: bool,
}

/// Runs the health command; `Ok(true)` when healthy (or when serving ended on a signal).
pub async fn run(session: &SessionArgs, args: &HealthArgs) -> anyhow::Result<bool> {
    let scope = check::Scope {
        location: SessionLocation::from_args(session)?,
        all: args.all,
    };
    let Some(serve) = &args.serve else {
        let report = check::check(&scope).await;
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(report.status == check::Status::Healthy);
    };
    let addr = http::parse_listen(serve, args.allow_remote)?;
    http::serve(addr, scope, stop_signal()?).await?;
    Ok(true)
}

/// Resolves on SIGTERM or SIGINT.
fn stop_signal() -> std::io::Result<impl Future<Output = ()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    Ok(async move {
        tokio::select! {
            _ = term.recv() => {}
            _ = int.recv() => {}
        }
    })
}
