//! `fast-mcp-telegram-setup`: the sign-in flow as its own command.

fn main() -> std::process::ExitCode {
    fast_mcp_telegram::cli::main_setup()
}
