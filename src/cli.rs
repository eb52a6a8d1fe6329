//! Command-line entry points: flags parsed in one place, errors reported once, exit codes
//! (0 ok, 1 runtime failure, 2 bad configuration or usage).

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::config::{self, CommonArgs, Config};
use crate::options::{ServerArgs, ServerOptions};
use crate::setup::SetupArgs;

#[derive(Parser)]
#[command(
    name = "fast-mcp-telegram",
    version,
    about = "MCP server for one Telegram account (stdio)"
)]
struct ServerCli {
    #[command(flatten)]
    common: CommonArgs,
    #[command(flatten)]
    server: ServerArgs,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Sign a session in (phone number and code, 2FA password, or bot token).
    Setup(SetupArgs),
}

#[derive(Parser)]
#[command(
    name = "fast-mcp-telegram-setup",
    version,
    about = "Sign a Telegram session in for fast-mcp-telegram"
)]
struct SetupCli {
    #[command(flatten)]
    setup: SetupArgs,
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime")
}

fn fail(program: &str, error: &anyhow::Error) -> ExitCode {
    eprintln!("{program}: error: {error:#}");
    if error.downcast_ref::<config::ConfigError>().is_some() {
        ExitCode::from(2)
    } else {
        ExitCode::from(1)
    }
}

/// Fills the setup command's unset options from the top-level ones.
fn merge(mut inner: CommonArgs, outer: CommonArgs) -> CommonArgs {
    inner.api_id = inner.api_id.or(outer.api_id);
    inner.api_hash = inner.api_hash.or(outer.api_hash);
    inner.session_name = inner.session_name.or(outer.session_name);
    inner.session_dir = inner.session_dir.or(outer.session_dir);
    inner.log_level = inner.log_level.or(outer.log_level);
    inner.mtproto_proxy = inner.mtproto_proxy.or(outer.mtproto_proxy);
    inner
}

pub fn main_server() -> ExitCode {
    const PROGRAM: &str = "fast-mcp-telegram";
    if let Err(e) = config::load_dotenv_files() {
        return fail(PROGRAM, &e.into());
    }
    let cli = ServerCli::parse();
    match cli.command {
        Some(Command::Setup(mut setup)) => {
            setup.common = merge(setup.common, cli.common);
            run_setup(PROGRAM, setup)
        }
        None => {
            let config = match Config::from_args(&cli.common) {
                Ok(c) => c,
                Err(e) => return fail(PROGRAM, &e.into()),
            };
            let options = match ServerOptions::from_args(&cli.server, &crate::tools::names()) {
                Ok(o) => o,
                Err(e) => return fail(PROGRAM, &e.into()),
            };
            crate::logging::init(config.log_level);
            match runtime().block_on(crate::server::run(config, options)) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    tracing::error!("{e:#}");
                    fail(PROGRAM, &e)
                }
            }
        }
    }
}

pub fn main_setup() -> ExitCode {
    const PROGRAM: &str = "fast-mcp-telegram-setup";
    if let Err(e) = config::load_dotenv_files() {
        return fail(PROGRAM, &e.into());
    }
    run_setup(PROGRAM, SetupCli::parse().setup)
}

fn run_setup(program: &str, args: SetupArgs) -> ExitCode {
    let level =
        config::parse_log_level(args.common.log_level.as_deref()).unwrap_or(config::LogLevel::Warn);
    crate::logging::init(level.min_warn());
    match runtime().block_on(crate::setup::run(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(program, &e),
    }
}
