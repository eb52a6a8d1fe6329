//! `fast-mcp-telegram`: the MCP server (stdio), or `fast-mcp-telegram setup …` to sign in.

fn main() -> std::process::ExitCode {
    fast_mcp_telegram::cli::main_server()
}
