//! Command-line entry points: flags parsed in one place, errors reported once, exit codes
//! (0 ok, 1 runtime failure, 2 bad configuration or usage).

use std::process::ExitCode;

use clap::{ArgMatches, Args, FromArgMatches, Parser, Subcommand};

use crate::config::{self, CommonArgs, Config, FileArgs, SessionArgs, TelegramArgs};
use crate::env_file;
use crate::health::HealthArgs;
use crate::logging::LogFileArgs;
use crate::options::{ServerArgs, ServerOptions};
use crate::setup::SetupArgs;

/// The server's command line. Its settings are global flags: `setup` (and `call`) read them
/// whether they are given before or after the subcommand's name.
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
    #[command(flatten)]
    log: LogFileArgs,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Sign a session in (QR code, or phone number and code; 2FA password; or bot token).
    // Its own flags are listed after the global ones.
    #[command(next_display_order = 100)]
    Setup(Box<SetupArgs>),
    /// Run one tool once against the session and print its JSON result (exit 0 ok, 1 tool
    /// error, 2 bad usage); `call --list` prints the tools and their input schemas.
    Call(crate::oneshot::CallArgs),
}

#[derive(Parser)]
#[command(
    name = "fast-mcp-telegram-setup",
    version,
    about = "Sign a Telegram session in for fast-mcp-telegram"
)]
struct SetupCli {
    #[command(flatten)]
    common: CommonArgs,
    #[command(flatten)]
    setup: SetupArgs,
    #[command(flatten)]
    server: ServerArgs,
    #[command(flatten)]
    log: LogFileArgs,
}

#[derive(Parser)]
#[command(
    name = "fast-mcp-telegram-health",
    version,
    about = "Report the health of fast-mcp-telegram sessions as JSON (exit 0 when healthy), \
             or serve it over HTTP (/health, /metrics)"
)]
struct HealthCli {
    #[command(flatten)]
    session: SessionArgs,
    #[command(flatten)]
    health: HealthArgs,
    #[command(flatten)]
    unused_telegram: Accepted<TelegramArgs>,
    #[command(flatten)]
    unused_files: Accepted<FileArgs>,
}

/// Flags a command accepts but does not use, kept out of its help: the server's command line
/// and environment work for it as they are.
#[derive(Debug, Clone, Default)]
struct Accepted<T>(#[allow(dead_code)] T);

impl<T: FromArgMatches> FromArgMatches for Accepted<T> {
    fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
        T::from_arg_matches(matches).map(Accepted)
    }

    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
        self.0.update_from_arg_matches(matches)
    }
}

impl<T: Args> Args for Accepted<T> {
    fn group_id() -> Option<clap::Id> {
        T::group_id()
    }

    fn augment_args(command: clap::Command) -> clap::Command {
        hide_added(command, T::augment_args)
    }

    fn augment_args_for_update(command: clap::Command) -> clap::Command {
        hide_added(command, T::augment_args_for_update)
    }
}

/// `add`'s arguments, hidden from the help.
fn hide_added(command: clap::Command, add: fn(clap::Command) -> clap::Command) -> clap::Command {
    let before: Vec<clap::Id> = command
        .get_arguments()
        .map(|a| a.get_id().clone())
        .collect();
    add(command).mut_args(|arg| {
        if before.contains(arg.get_id()) {
            arg
        } else {
            arg.hide(true)
        }
    })
}

/// Stack of each runtime thread: the main thread's usual 8 MiB rather than tokio's 2 MiB. A
/// tool call's future nests the MCP handler, the call wrapper, the tool and the facade; in a
/// debug build, polling a send with files overflowed 2 MiB and aborted the server. Only the
/// pages touched are ever resident.
const THREAD_STACK_BYTES: usize = 8 * 1024 * 1024;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_stack_size(THREAD_STACK_BYTES)
        .enable_all()
        .build()
        .expect("tokio runtime")
}

/// Parses the command line, with the settings file's values as the lowest-precedence defaults
/// (see [`crate::env_file`]). `--help`, `--version` and usage errors exit here, as clap does.
fn parse<C: Parser>(program: &str) -> Result<C, ExitCode> {
    let command = C::command();
    let known = env_file::variable_names(&command);
    let settings = env_file::load(program, &known).map_err(|e| fail(program, &e.into()))?;
    let matches = env_file::apply_defaults(command, &settings).get_matches();
    C::from_arg_matches(&matches).map_err(|e| e.exit())
}

fn fail(program: &str, error: &anyhow::Error) -> ExitCode {
    eprintln!("{program}: error: {error:#}");
    if error.downcast_ref::<config::ConfigError>().is_some() {
        ExitCode::from(2)
    } else {
        ExitCode::from(1)
    }
}

pub fn main_server() -> ExitCode {
    const PROGRAM: &str = "fast-mcp-telegram";
    let mut cli = match parse::<ServerCli>(PROGRAM) {
        Ok(cli) => cli,
        Err(code) => return code,
    };
    match cli.command.take() {
        Some(Command::Setup(setup)) => {
            run_setup(PROGRAM, &cli.common, &cli.server, *setup, &cli.log)
        }
        Some(Command::Call(args)) => run_call(PROGRAM, &cli, args),
        None => {
            let (config, options) = match server_config(&cli) {
                Ok(c) => c,
                Err(e) => return fail(PROGRAM, &e),
            };
            let log_file = match cli.log.validate() {
                Ok(f) => f,
                Err(e) => return fail(PROGRAM, &e.into()),
            };
            crate::logging::init_with_file(config.log_level, log_file.as_ref());
            let runtime = runtime();
            let result = runtime.block_on(crate::server::run(config, options));
            // `run` has finished everything (the connection closed, the record marked
            // stopped, the lock released). The tasks still alive end with the runtime (a
            // write to the session in progress completes); a blocking read of stdin, which
            // only a line or EOF would end, is not waited for past the bound (the server
            // reads stdin off the runtime, see `server::run`, unless rmcp had to).
            runtime.shutdown_timeout(std::time::Duration::from_secs(1));
            match result {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    tracing::error!("{e:#}");
                    fail(PROGRAM, &e)
                }
            }
        }
    }
}

/// The validated configuration and server options of the server's command line.
fn server_config(cli: &ServerCli) -> anyhow::Result<(Config, ServerOptions)> {
    let config = Config::from_args(&cli.common)?;
    let mut options = ServerOptions::from_args(&cli.server, crate::tools::names)?;
    options.files = config::file_policy(&cli.common.files)?.with_protected(
        config::protected_paths(&config.session, cli.log.log_file.as_deref()),
    );
    Ok((config, options))
}

fn run_call(program: &str, cli: &ServerCli, args: crate::oneshot::CallArgs) -> ExitCode {
    let (config, options) = if args.list {
        // Listing needs no session: only the options.
        let options = match ServerOptions::from_args(&cli.server, crate::tools::names) {
            Ok(o) => o,
            Err(e) => return fail(program, &e.into()),
        };
        println!(
            "{}",
            serde_json::to_string_pretty(&crate::oneshot::list(&options)).unwrap_or_default()
        );
        return ExitCode::SUCCESS;
    } else {
        match server_config(cli) {
            Ok(c) => c,
            Err(e) => return fail(program, &e),
        }
    };
    // Logs go to stderr (and the log file), never into the printed result.
    let log_file = match cli.log.validate() {
        Ok(f) => f,
        Err(e) => return fail(program, &e.into()),
    };
    crate::logging::init_with_file(config.log_level.min_warn(), log_file.as_ref());
    match runtime().block_on(crate::oneshot::run(config, options, args)) {
        Ok(outcome) => outcome.exit_code(),
        Err(e) => fail(program, &e),
    }
}

pub fn main_setup() -> ExitCode {
    const PROGRAM: &str = "fast-mcp-telegram-setup";
    let cli = match parse::<SetupCli>(PROGRAM) {
        Ok(cli) => cli,
        Err(code) => return code,
    };
    run_setup(PROGRAM, &cli.common, &cli.server, cli.setup, &cli.log)
}

fn run_setup(
    program: &str,
    common: &CommonArgs,
    server: &ServerArgs,
    args: SetupArgs,
    log: &LogFileArgs,
) -> ExitCode {
    let level = config::parse_log_level(common.session.log_level.as_deref())
        .unwrap_or(config::LogLevel::Warn);
    let log_file = match log.validate() {
        Ok(f) => f,
        Err(e) => return fail(program, &e.into()),
    };
    crate::logging::init_with_file(level.min_warn(), log_file.as_ref());
    match runtime().block_on(crate::setup::run(common, server, args, log)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(program, &e),
    }
}

pub fn main_health() -> ExitCode {
    const PROGRAM: &str = "fast-mcp-telegram-health";
    let cli = match parse::<HealthCli>(PROGRAM) {
        Ok(cli) => cli,
        Err(code) => return code,
    };
    let level =
        config::parse_log_level(cli.session.log_level.as_deref()).unwrap_or(config::LogLevel::Warn);
    crate::logging::init(level.min_warn());
    match runtime().block_on(crate::health::run(&cli.session, &cli.health)) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => fail(PROGRAM, &e),
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn the_command_lines_are_well_formed() {
        super::ServerCli::command().debug_assert();
        super::SetupCli::command().debug_assert();
        super::HealthCli::command().debug_assert();
    }
}
