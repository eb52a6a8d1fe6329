//! `fast-mcp-telegram call <tool> [<json>]`: runs one tool once against the configured session
//! and prints its JSON result — for scripts, cron jobs and trying a tool by hand. The server is
//! built in-process and spoken to over an in-memory MCP connection, so a one-shot call goes
//! through exactly the code (validation, deadlines, errors) an MCP host's call does.

use std::io::{IsTerminal as _, Read as _};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context as _;
use clap::Args;
use rmcp::ServiceExt as _;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt as _, AsyncWriteExt as _, BufReader};

use crate::config::Config;
use crate::options::ServerOptions;
use crate::server::TelegramServer;

#[derive(Debug, Clone, Args)]
pub struct CallArgs {
    /// Print the tools with their input schemas (as JSON) instead of calling one.
    #[arg(long)]
    pub list: bool,
    /// The tool to call, e.g. get_messages.
    #[arg(required_unless_present = "list")]
    pub tool: Option<String>,
    /// Its arguments as a JSON object; `-` (or nothing, when stdin is not a terminal) reads
    /// them from stdin.
    pub arguments: Option<String>,
}

/// What a one-shot call ends with.
pub enum Outcome {
    Ok,
    /// The tool answered an error (printed).
    ToolError,
    /// The command line or the arguments cannot work.
    Usage(String),
}

impl Outcome {
    pub fn exit_code(&self) -> ExitCode {
        match self {
            Outcome::Ok => ExitCode::SUCCESS,
            Outcome::ToolError => ExitCode::from(1),
            Outcome::Usage(why) => {
                eprintln!("fast-mcp-telegram call: {why}");
                ExitCode::from(2)
            }
        }
    }
}

/// The tools `options` offer, with their input schemas.
pub fn list(options: &ServerOptions) -> Value {
    let tools: Vec<Value> = crate::tools::router(options)
        .list_all()
        .into_iter()
        .map(|t| {
            json!({
                "name": t.name,
                "description": t.description,
                "inputSchema": Value::Object((*t.input_schema).clone()),
            })
        })
        .collect();
    json!({ "tools": tools })
}

/// The arguments object: from the command line, or stdin.
fn arguments(args: &CallArgs) -> Result<serde_json::Map<String, Value>, String> {
    let text = match args.arguments.as_deref() {
        Some("-") => read_stdin()?,
        Some(text) => text.to_string(),
        None if !std::io::stdin().is_terminal() => read_stdin()?,
        None => String::new(),
    };
    if text.trim().is_empty() {
        return Ok(serde_json::Map::new());
    }
    match serde_json::from_str::<Value>(&text) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err("the arguments must be a JSON object".into()),
        Err(e) => Err(format!("the arguments are not valid JSON: {e}")),
    }
}

fn read_stdin() -> Result<String, String> {
    let mut text = String::new();
    std::io::stdin()
        .read_to_string(&mut text)
        .map_err(|e| format!("cannot read the arguments from stdin: {e}"))?;
    Ok(text)
}

/// Runs the call and prints its result on stdout (`--list` is answered before, without a
/// session).
pub async fn run(
    config: Config,
    options: ServerOptions,
    args: CallArgs,
) -> anyhow::Result<Outcome> {
    let Some(tool) = args.tool.clone() else {
        return Ok(Outcome::Usage("name a tool, or pass --list".into()));
    };
    let arguments = match arguments(&args) {
        Ok(a) => a,
        Err(why) => return Ok(Outcome::Usage(why)),
    };
    if crate::tools::router(&options).get(&tool).is_none() {
        let names: Vec<String> = crate::tools::router(&options)
            .list_all()
            .into_iter()
            .map(|t| t.name.to_string())
            .collect();
        return Ok(Outcome::Usage(format!(
            "no tool {tool:?} is offered; the tools are {}",
            names.join(", ")
        )));
    }
    let crate::server::Opened { lock, telegram } =
        crate::server::open_session(&config, &options).await?;
    let server = TelegramServer::new(Arc::clone(&telegram), options);
    let answer = call_in_process(server, &tool, arguments).await;
    telegram.shutdown().await;
    drop(lock);
    let answer = answer?;
    if let Some(error) = answer.get("error") {
        // A JSON-RPC error (the protocol's, not the tool's: wrong arguments are a tool error).
        println!("{}", serde_json::to_string_pretty(error)?);
        return Ok(Outcome::Usage(
            error["message"]
                .as_str()
                .unwrap_or("the call was refused")
                .to_string(),
        ));
    }
    let result = &answer["result"];
    let is_error = result["isError"] == true;
    // The text block, as JSON where it is.
    let text = || {
        result["content"][0]["text"]
            .as_str()
            .map(|t| serde_json::from_str(t).unwrap_or_else(|_| Value::String(t.into())))
    };
    // A success's structured content; an error's object, which is its one text block (errors
    // carry no structuredContent: see `tools::error`).
    let content = if is_error {
        text()
    } else {
        result.get("structuredContent").cloned().or_else(text)
    }
    .unwrap_or(Value::Null);
    println!("{}", serde_json::to_string_pretty(&content)?);
    Ok(if is_error {
        Outcome::ToolError
    } else {
        Outcome::Ok
    })
}

/// Serves `server` over an in-memory pipe and speaks the three messages a host would:
/// `initialize`, `notifications/initialized`, `tools/call`. Returns the call's JSON-RPC answer.
async fn call_in_process(
    server: TelegramServer,
    tool: &str,
    arguments: serde_json::Map<String, Value>,
) -> anyhow::Result<Value> {
    let (host, served) = tokio::io::duplex(1 << 20);
    let service = tokio::spawn(async move {
        if let Ok(running) = server.serve(served).await {
            let _ = running.waiting().await;
        }
    });
    let (read, mut write) = tokio::io::split(host);
    let mut lines = BufReader::new(read).lines();
    let messages = [
        json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {},
            "clientInfo": {"name": "fast-mcp-telegram call", "version": env!("CARGO_PKG_VERSION")}}}),
        json!({"jsonrpc": "2.0", "method": "notifications/initialized"}),
        json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call",
            "params": {"name": tool, "arguments": arguments}}),
    ];
    for message in &messages {
        write
            .write_all(format!("{message}\n").as_bytes())
            .await
            .context("talking to the in-process server")?;
    }
    let answer = loop {
        let line = lines
            .next_line()
            .await
            .context("reading the in-process server")?
            .context("the in-process server stopped before answering")?;
        let Ok(message) = serde_json::from_str::<Value>(&line) else {
            continue;
        };
        if message["id"] == 2 {
            break message;
        }
    };
    drop(write);
    drop(lines);
    let _ = tokio::time::timeout(std::time::Duration::from_secs(2), service).await;
    Ok(answer)
}
