//! The offline tour: no Telegram account needed. Starts the loopback DC with the bundled
//! sample world, spawns the real `fast-mcp-telegram` server over stdio as an MCP host would,
//! runs a short scripted conversation of tool calls and prints what each returned.
//!
//! ```text
//! cargo run --example demo
//! ```

use rmcp::model::CallToolRequestParams;
use serde_json::{Value, json};

use testkit::binaries::build_server;
use testkit::harness::{Harness, spawn};
use testkit::world::{self, World};

fn show(title: &str, value: &Value) {
    let text = serde_json::to_string_pretty(value).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    println!("\n=== {title}");
    for line in lines.iter().take(40) {
        println!("{line}");
    }
    if lines.len() > 40 {
        println!("… ({} more lines)", lines.len() - 40);
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    build_server()?;
    let world_path = world::sample_path();
    let h = Harness::with(World::load(&world_path)?, true).await;
    println!(
        "Loopback Telegram DC on 127.0.0.1:{}, world {}",
        h.dc.port(),
        world_path.display()
    );

    let mut cmd = h.command();
    cmd.env("LOG_LEVEL", "warn");
    let client = spawn(cmd).await;
    let info = client.peer_info().ok_or("no server info")?;
    println!(
        "Connected to {} over stdio",
        info.server_info
            .as_ref()
            .map_or("the server", |s| s.name.as_str())
    );

    let tools = client.list_all_tools().await?;
    let listing: Vec<Value> = tools
        .iter()
        .map(|t| json!({"name": t.name, "title": t.title}))
        .collect();
    show("tools/list", &json!(listing));
    let has = |name: &str| tools.iter().any(|t| t.name == name);

    let script: Vec<(&str, Value, &str)> = vec![
        ("find_chats", json!({"query": "engine"}), "find a chat"),
        (
            "get_chat_info",
            json!({"chat_id": "@engine_news"}),
            "look at a channel",
        ),
        (
            "get_messages",
            json!({"chat_id": "@babbage", "limit": 3}),
            "read the latest messages",
        ),
        (
            "get_messages",
            json!({"chat_id": "@engine_news", "reply_to_id": 1}),
            "read a post's comments",
        ),
        (
            "search_messages_globally",
            json!({"query": "engine", "limit": 3}),
            "search every chat",
        ),
        (
            "send_message",
            json!({"chat_id": "@babbage", "message": "Hello from the **demo**"}),
            "send a message",
        ),
    ];
    for (tool, args, what) in script {
        if !has(tool) {
            println!("\n=== {tool}: not available in this build yet, skipped");
            continue;
        }
        let result = client
            .call_tool(
                CallToolRequestParams::new(tool)
                    .with_arguments(args.as_object().cloned().unwrap_or_default()),
            )
            .await?;
        let label = format!(
            "{tool} {args} ({what}){}",
            if result.is_error == Some(true) {
                " → error"
            } else {
                ""
            }
        );
        // A success is its structured content; an error is the JSON object in its text block.
        let answer = result.structured_content.clone().unwrap_or_else(|| {
            result
                .content
                .iter()
                .find_map(|c| c.as_text())
                .and_then(|t| serde_json::from_str(&t.text).ok())
                .unwrap_or(Value::Null)
        });
        show(&label, &answer);
    }
    println!(
        "\nThe DC received {} requests: {:?}",
        h.dc.requests().len(),
        dedup(h.dc.request_names())
    );
    client.cancel().await?;
    Ok(())
}

fn dedup(names: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for n in names {
        if !out.contains(&n) {
            out.push(n);
        }
    }
    out
}
