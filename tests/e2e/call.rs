//! `fast-mcp-telegram call <tool> [<json>]`, run as a shell would: the JSON result on stdout,
//! exit 0 on success, 1 on a tool error (its JSON still printed), 2 on bad usage.

use std::process::Stdio;

use serde_json::Value;
use tokio::io::AsyncWriteExt as _;

use testkit::harness::Harness;

/// Runs `fast-mcp-telegram call …` with `stdin`; returns (exit code, stdout JSON, stderr).
async fn run(h: &Harness, args: &[&str], stdin: Option<&str>) -> (i32, Value, String) {
    let mut cmd = h.command();
    cmd.arg("call")
        .args(args)
        .env("LOG_LEVEL", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("call runs");
    let mut input = child.stdin.take().unwrap();
    if let Some(text) = stdin {
        input.write_all(text.as_bytes()).await.unwrap();
    }
    drop(input);
    let out = tokio::time::timeout(std::time::Duration::from_secs(60), child.wait_with_output())
        .await
        .expect("call finishes")
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let json = serde_json::from_str(&stdout).unwrap_or(Value::Null);
    (
        out.status.code().unwrap_or(-1),
        json,
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

#[tokio::test]
async fn a_tool_runs_once_and_prints_its_json() {
    let h = Harness::signed_in().await;
    let (code, v, err) = run(
        &h,
        &["get_messages", r#"{"chat_id": "@babbage", "limit": 2}"#],
        None,
    )
    .await;
    assert_eq!(code, 0, "{v} {err}");
    assert_eq!(v["messages"].as_array().unwrap().len(), 2, "{v}");

    // Arguments from stdin, with `-` or with no argument at all.
    let args = r#"{"method_full_name": "users.getUsers", "params_json": {"id": [{"_": "inputUserSelf"}]}}"#;
    let (code, v, err) = run(&h, &["invoke_mtproto", "-"], Some(args)).await;
    assert_eq!(code, 0, "{v} {err}");
    assert_eq!(v["method"], "users.getUsers");
    assert_eq!(v["result"][0]["id"], 1000, "{v}");
    let (code, v, err) = run(&h, &["get_chat_info"], Some(r#"{"chat_id": "1001"}"#)).await;
    assert_eq!(code, 0, "{v} {err}");
    assert_eq!(v["id"], 1001);
}

#[tokio::test]
async fn tool_errors_exit_1_and_bad_usage_exits_2() {
    let h = Harness::signed_in().await;
    let (code, v, _) = run(
        &h,
        &["get_chat_info", r#"{"chat_id": "@nobody_here"}"#],
        None,
    )
    .await;
    assert_eq!(code, 1, "{v}");
    assert_eq!(v["ok"], false);
    assert_eq!(v["error_code"], "ENTITY_NOT_FOUND", "{v}");
    assert_eq!(v["action"], "fix_arguments", "{v}");
    assert_eq!(v["operation"], "get_chat_info", "{v}");

    let (code, _, err) = run(&h, &["no_such_tool", "{}"], None).await;
    assert_eq!(code, 2);
    assert!(err.contains("get_messages"), "{err}");
    let (code, _, err) = run(&h, &["get_messages", "{not json"], None).await;
    assert_eq!(code, 2);
    assert!(err.contains("not valid JSON"), "{err}");
    // Arguments that do not fit the schema are the tool's error, as over MCP.
    let (code, v, _) = run(&h, &["get_messages", r#"{"limit": 5}"#], None).await;
    assert_eq!(code, 1, "{v}");
    assert_eq!(v["error"], "missing required argument \"chat_id\"", "{v}");
    assert_eq!(v["error_code"], "INVALID_ARGUMENTS", "{v}");
    assert_eq!(v["action"], "fix_arguments", "{v}");
    let (code, _, _) = run(&h, &[], None).await;
    assert_eq!(code, 2);
}

#[tokio::test]
async fn list_prints_the_tools_and_their_schemas() {
    let h = Harness::signed_in().await;
    let (code, v, err) = run(&h, &["--list"], None).await;
    assert_eq!(code, 0, "{err}");
    let tools = v["tools"].as_array().unwrap();
    let names: Vec<&str> = tools.iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert!(names.contains(&"invoke_mtproto"), "{names:?}");
    assert!(names.contains(&"get_messages"), "{names:?}");
    let get = tools.iter().find(|t| t["name"] == "get_messages").unwrap();
    assert!(
        get["inputSchema"]["properties"]["chat_id"].is_object(),
        "{get}"
    );
}
