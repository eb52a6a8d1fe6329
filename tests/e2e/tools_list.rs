//! The tool list as hosts receive it: the real binary's `tools/list`, read off the wire, must
//! equal the reviewed snapshots in `tests/snapshots/` (default options, and `READ_ONLY=true`),
//! stay within its size budget, and use only schemas strict clients accept.
//!
//! After an intended change to a tool's name, description, schema or annotations:
//! `UPDATE_SNAPSHOTS=1 cargo test --test e2e tools_list`, then review the snapshot diff.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

use testkit::harness::{Harness, call, spawn, spawn_modern};

/// The most the default tool list may take: bytes of the `tools` array as sent (compact JSON).
/// Hosts pay for it in every conversation. 12,800 (half of the 26.1 kB it took before it was
/// trimmed) for the reference's eight tools; `sign_in` (issue #20) and issue #17's inbox
/// triage, media, message actions and waiting for a reply came to 17,030 before trimming, under
/// issue #17's cap of 16 kB (16,000) after it: hints equal to the protocol's defaults left out,
/// `chat_id` described once in the server's instructions, a few answer parts declared as
/// objects. Raise it only for something worth every conversation, and trim first.
const BUDGET_BYTES: usize = 15_869;

/// The tools read-only mode offers.
/// (`sign_in` too: it writes nothing to Telegram's data, see `tools::sign_in`; and `get_media`:
/// it may write a file here, but changes nothing in Telegram.)
const READING_TOOLS: [&str; 7] = [
    "find_chats",
    "get_chat_info",
    "get_media",
    "get_messages",
    "invoke_mtproto",
    "search_messages_globally",
    "sign_in",
];

fn snapshot_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots")
        .join(name)
}

/// The `tools/list` result exactly as the server sends it: raw JSON-RPC over stdio, after a
/// plain `initialize` (no client library in between to drop fields it does not know).
async fn tools_list(h: &Harness, env: &[(&str, &str)]) -> Value {
    let mut cmd = h.command();
    for (key, value) in env {
        cmd.env(key, value);
    }
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let mut child = cmd.spawn().expect("server spawns");
    let mut stdin = child.stdin.take().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let initialize = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {},
        "clientInfo": {"name": "tools-list-snapshot", "version": "0"}}});
    let initialized = json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
    let list = json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list"});
    stdin
        .write_all(format!("{initialize}\n").as_bytes())
        .await
        .unwrap();
    let mut result = Value::Null;
    let read = async {
        while let Some(line) = lines.next_line().await.unwrap() {
            let message: Value = serde_json::from_str(&line).unwrap_or(Value::Null);
            if message["id"] == 1 {
                stdin
                    .write_all(format!("{initialized}\n{list}\n").as_bytes())
                    .await
                    .unwrap();
            } else if message["id"] == 2 {
                result = message["result"].clone();
                break;
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(30), read)
        .await
        .expect("tools/list answered within 30 s");
    // Stdin closed: the server closes its session and exits, as it does for a host.
    drop(stdin);
    if tokio::time::timeout(Duration::from_secs(30), child.wait())
        .await
        .is_err()
    {
        child.kill().await.ok();
    }
    assert!(result["tools"].is_array(), "tools/list answered: {result}");
    result
}

/// Where two JSON values first differ, as a JSON pointer with both sides.
fn first_difference(path: &str, expected: &Value, actual: &Value) -> Option<String> {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            let mut keys: Vec<&String> = e.keys().chain(a.keys()).collect();
            keys.sort();
            keys.dedup();
            keys.into_iter().find_map(|k| {
                let here = format!("{path}/{k}");
                match (e.get(k), a.get(k)) {
                    (Some(e), Some(a)) => first_difference(&here, e, a),
                    (e, a) => {
                        let shown = |v: Option<&Value>| v.map_or("absent".into(), Value::to_string);
                        Some(format!(
                            "{here}: snapshot {}, server {}",
                            shown(e),
                            shown(a)
                        ))
                    }
                }
            })
        }
        (Value::Array(e), Value::Array(a)) if e.len() == a.len() => e
            .iter()
            .zip(a)
            .enumerate()
            .find_map(|(i, (e, a))| first_difference(&format!("{path}/{i}"), e, a)),
        _ if expected == actual => None,
        _ => Some(format!("{path}: snapshot {expected}, server {actual}")),
    }
}

/// Compares with the snapshot (as JSON: key order does not matter), or rewrites it when
/// `UPDATE_SNAPSHOTS=1`.
fn assert_snapshot(name: &str, actual: &Value) {
    let path = snapshot_path(name);
    let pretty = serde_json::to_string_pretty(actual).unwrap() + "\n";
    if std::env::var("UPDATE_SNAPSHOTS").as_deref() == Ok("1") {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, pretty).unwrap();
        eprintln!("rewrote {}", path.display());
        return;
    }
    let expected: Value = std::fs::read_to_string(&path)
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or(Value::Null);
    if let Some(difference) = first_difference("", &expected, actual) {
        panic!(
            "tools/list differs from {} at {difference}\n\
             If the change is intended, rewrite the snapshot and review its diff:\n    \
             UPDATE_SNAPSHOTS=1 cargo test --test e2e tools_list",
            path.display()
        );
    }
}

/// Portability problems strict clients (the MCP Inspector's `--strict`) report: a `type` that
/// is a list (`["string", "null"]`), a schema with no validation keyword (accepts anything),
/// and a bare boolean where a schema is expected.
fn portability_problems(at: &str, schema: &Value, problems: &mut Vec<String>) {
    const CONSTRAINING: [&str; 13] = [
        "type",
        "enum",
        "const",
        "$ref",
        "anyOf",
        "oneOf",
        "allOf",
        "not",
        "properties",
        "items",
        "required",
        "additionalProperties",
        "pattern",
    ];
    let Some(object) = schema.as_object() else {
        problems.push(format!("{at}: {schema} is not a schema object"));
        return;
    };
    if object.get("type").is_some_and(Value::is_array) {
        problems.push(format!("{at}: type is a list {}", object["type"]));
    }
    if !CONSTRAINING.iter().any(|k| object.contains_key(*k)) {
        problems.push(format!("{at}: no validation keyword"));
    }
    for key in ["properties", "$defs"] {
        if let Some(Value::Object(children)) = object.get(key) {
            for (name, child) in children {
                portability_problems(&format!("{at}/{key}/{name}"), child, problems);
            }
        }
    }
    for key in ["anyOf", "oneOf", "allOf"] {
        if let Some(Value::Array(children)) = object.get(key) {
            for (i, child) in children.iter().enumerate() {
                portability_problems(&format!("{at}/{key}/{i}"), child, problems);
            }
        }
    }
    if let Some(items) = object.get("items") {
        portability_problems(&format!("{at}/items"), items, problems);
    }
    if let Some(extra @ Value::Object(_)) = object.get("additionalProperties") {
        portability_problems(&format!("{at}/additionalProperties"), extra, problems);
    }
}

fn assert_portable(tools: &[Value]) {
    let mut problems = Vec::new();
    for tool in tools {
        let name = tool["name"].as_str().unwrap_or("?");
        for key in ["inputSchema", "outputSchema"] {
            if let Some(schema) = tool.get(key) {
                portability_problems(&format!("{name} {key}"), schema, &mut problems);
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

fn tool<'a>(tools: &'a [Value], name: &str) -> &'a Value {
    tools
        .iter()
        .find(|t| t["name"] == name)
        .unwrap_or_else(|| panic!("{name} listed"))
}

#[tokio::test]
async fn the_tool_list_matches_its_snapshot_and_budget() {
    let h = Harness::signed_in().await;
    let result = tools_list(&h, &[]).await;
    assert_snapshot("tools_list.json", &result);

    let tools = result["tools"].as_array().unwrap();
    let size = serde_json::to_string(tools).unwrap().len();
    assert!(
        size <= BUDGET_BYTES,
        "tools/list takes {size} bytes (compact `tools` array), over the {BUDGET_BYTES}-byte \
         budget: shorten what was added, or trim elsewhere"
    );
    assert_eq!(tools.len(), 13);
    assert_portable(tools);
    for t in tools {
        let name = t["name"].as_str().unwrap();
        assert!(
            t["title"].as_str().is_some_and(|s| !s.is_empty()),
            "{name} has a title"
        );
        assert!(t["outputSchema"].is_object(), "{name} has an outputSchema");
        let annotations = &t["annotations"];
        // The protocol's defaults and meaningless hints are left out (tools::compact): every
        // tool talks to Telegram (open world, the default); a tool that only reads says so and
        // nothing of destruction or repetition; one that writes (the default) says whether it
        // destroys, and only an idempotent one says so.
        assert!(annotations.get("openWorldHint").is_none(), "{name}");
        let reads = &annotations["readOnlyHint"];
        assert!(reads.is_null() || *reads == true, "{name}");
        let writes = reads.is_null();
        assert_eq!(
            annotations["destructiveHint"].is_boolean(),
            writes,
            "{name}"
        );
        let idempotent = &annotations["idempotentHint"];
        assert!(
            idempotent.is_null() || (writes && *idempotent == true),
            "{name}"
        );
    }
    let invoke = tool(tools, "invoke_mtproto");
    assert!(invoke["annotations"].get("readOnlyHint").is_none());
    assert_eq!(invoke["annotations"]["destructiveHint"], true);
    assert!(invoke["inputSchema"]["properties"]["allow_dangerous"].is_object());
}

#[tokio::test]
async fn read_only_mode_lists_reading_tools_and_a_reading_invoke_mtproto() {
    let h = Harness::signed_in().await;
    let result = tools_list(&h, &[("READ_ONLY", "true")]).await;
    assert_snapshot("tools_list_read_only.json", &result);

    let tools = result["tools"].as_array().unwrap();
    let mut names: Vec<&str> = tools.iter().map(|t| t["name"].as_str().unwrap()).collect();
    names.sort_unstable();
    assert_eq!(names, READING_TOOLS);
    assert_portable(tools);
    // sign_in and get_media write nothing to Telegram; they say truthfully that they are no
    // pure reads (a session, a saved file), never destructive.
    for t in tools {
        let writes_here = ["sign_in", "get_media"].contains(&t["name"].as_str().unwrap());
        // Writing is the protocol's default, left out; a pure read says so.
        let reads = &t["annotations"]["readOnlyHint"];
        assert_eq!(
            *reads,
            if writes_here {
                Value::Null
            } else {
                json!(true)
            },
            "{}",
            t["name"]
        );
        // A pure read says nothing of destruction (the protocol ignores it there).
        let destructive = &t["annotations"]["destructiveHint"];
        assert_eq!(
            *destructive,
            if writes_here {
                json!(false)
            } else {
                Value::Null
            },
            "{}",
            t["name"]
        );
    }
    let invoke = tool(tools, "invoke_mtproto");
    let description = invoke["description"].as_str().unwrap();
    assert!(!description.contains("allow_dangerous"), "{description}");
    assert!(description.contains("read"), "{description}");
    let properties = invoke["inputSchema"]["properties"].as_object().unwrap();
    assert!(
        !properties.contains_key("allow_dangerous"),
        "{properties:?}"
    );
    assert!(properties.contains_key("method_full_name"));

    // A host that passes allow_dangerous anyway gets the read-only refusal, as before.
    let mut cmd = h.command();
    cmd.env("READ_ONLY", "true");
    let client = spawn(cmd).await;
    let (err, v) = call(
        &client,
        "invoke_mtproto",
        json!({"method_full_name": "messages.deleteMessages", "allow_dangerous": true,
            "params_json": {"id": [1]}}),
    )
    .await;
    assert!(err);
    assert_eq!(v["error_code"], "READ_ONLY_MODE", "{v}");
    client.cancel().await.unwrap();
}

/// Both protocol eras list the same tools with the same schemas.
#[tokio::test]
async fn both_protocol_eras_list_the_same_tools() {
    let h = Harness::signed_in().await;
    let listed = |tools: Vec<rmcp::model::Tool>| {
        let mut tools: Vec<Value> = tools
            .into_iter()
            .map(|t| serde_json::to_value(t).unwrap())
            .collect();
        tools.sort_by_key(|t| t["name"].as_str().unwrap_or_default().to_string());
        Value::from(tools)
    };
    // One after the other: a server holds its session for as long as it runs.
    let legacy = spawn(h.command()).await;
    let a = listed(legacy.list_all_tools().await.unwrap());
    legacy.cancel().await.unwrap();
    let modern = spawn_modern(h.command()).await;
    let b = listed(modern.list_all_tools().await.unwrap());
    modern.cancel().await.unwrap();
    assert_eq!(a.as_array().map(Vec::len), Some(13));
    if let Some(difference) = first_difference("", &a, &b) {
        panic!("the eras list different tools: {difference}");
    }
}
