//! `fast-mcp-telegram-health`: the sessions' health as one JSON document, or `--serve` it.

fn main() -> std::process::ExitCode {
    fast_mcp_telegram::cli::main_health()
}
