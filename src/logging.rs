//! Logs go to stderr only: stdout is the MCP protocol channel and carries nothing else.

use tracing_subscriber::EnvFilter;

use crate::config::LogLevel;

/// Installs the stderr logger at `level`; dependencies log at warn unless tracing is asked for.
pub fn init(level: LogLevel) {
    let deps = if level == LogLevel::Trace {
        "debug"
    } else {
        "warn"
    };
    let filter = EnvFilter::new(format!(
        "{},fast_mcp_telegram={},grammers_mtsender={deps},grammers_mtproto={deps},grammers_session={deps},grammers_client={deps},rmcp={deps},libsql={deps}",
        level.as_filter(),
        level.as_filter()
    ));
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(filter)
        .with_target(false)
        .try_init();
}
