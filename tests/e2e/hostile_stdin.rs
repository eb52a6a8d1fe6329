//! Hostile input on stdin: malformed JSON-RPC, wrong parameter types, huge lines and arbitrary
//! tool arguments are answered with an error or ignored, and the server never crashes.

use serde_json::{Value, json};

use testkit::harness::{Harness, call, raw_error_object, result_value, spawn};
use testkit::raw_client::RawClient;

/// A JSON-RPC error answer (any code), or an error tool result in the shared shape (checked:
/// see `testkit::harness::raw_error_object`).
fn is_error_answer(v: &Value) -> bool {
    v["error"]["code"].is_i64()
        || (v["result"]["isError"] == true && raw_error_object(None, &v["result"])["ok"] == false)
}

#[tokio::test]
async fn reliability_json_rpc_abuse_is_answered_or_ignored_and_the_server_keeps_serving() {
    let h = Harness::signed_in().await;
    let mut raw = RawClient::spawn(h.command());

    // tools/call before initialize: refused (or ignored), never a crash.
    raw.send(json!({"jsonrpc": "2.0", "id": 100, "method": "tools/call",
        "params": {"name": "get_messages", "arguments": {"chat_id": "me"}}}))
        .await;
    raw.initialize().await;
    raw.still_serving(1).await;

    // Malformed JSON, a truncated object, a bare value, binary junk.
    raw.send_line(b"{this is not json").await;
    raw.send_line(b"{\"jsonrpc\": \"2.0\", \"id\": 7, \"method\": ")
        .await;
    raw.send_line(b"42").await;
    raw.send_line(&[0xff, 0xfe, 0x00, 0x80]).await;
    raw.still_serving(2).await;

    // An unknown method is a JSON-RPC error.
    raw.send(json!({"jsonrpc": "2.0", "id": 3, "method": "telegram/selfDestruct"}))
        .await;
    let v = raw.answer(3).await;
    assert!(v["error"]["code"].is_i64(), "{v}");

    // Wrong parameter types: a tool error or a JSON-RPC error.
    let wrong = [
        json!({"name": "get_messages", "arguments": {"chat_id": 5, "limit": "many"}}),
        json!({"name": "get_messages", "arguments": []}),
        json!({"name": "get_messages", "arguments": {"chat_id": {"nested": [1, 2]}}}),
        json!({"name": 12}),
        json!({"name": "no_such_tool", "arguments": {}}),
    ];
    for (n, params) in wrong.into_iter().enumerate() {
        let id = 10 + n as i64;
        raw.send(json!({"jsonrpc": "2.0", "id": id, "method": "tools/call", "params": params}))
            .await;
        let v = raw.answer(id).await;
        assert!(is_error_answer(&v), "{v}");
        if v["result"].is_object() {
            assert_eq!(
                raw_error_object(None, &v["result"])["action"],
                "fix_arguments",
                "{v}"
            );
        }
    }
    // Params that are not an object: "Invalid request" (with no id to answer to).
    raw.send(json!({"jsonrpc": "2.0", "id": 16, "method": "tools/call", "params": "text"}))
        .await;
    raw.still_serving(4).await;

    // A 5 MB line: a huge message argument. Refused or answered, the stream goes on.
    let huge = "x".repeat(5 * 1024 * 1024);
    raw.send(json!({"jsonrpc": "2.0", "id": 20, "method": "tools/call",
        "params": {"name": "send_message", "arguments": {"chat_id": "me", "message": huge}}}))
        .await;
    let v = raw.answer(20).await;
    assert!(is_error_answer(&v), "a 5 MB message is refused");
    // And 5 MB of junk that is not JSON at all.
    raw.send_line(&vec![b'['; 5 * 1024 * 1024]).await;
    raw.still_serving(5).await;

    // A valid call still works.
    raw.send(json!({"jsonrpc": "2.0", "id": 30, "method": "tools/call",
        "params": {"name": "get_messages", "arguments": {"chat_id": "1001", "limit": 1}}}))
        .await;
    let v = raw.answer(30).await;
    assert_eq!(v["result"]["isError"], false, "{v}");
    raw.child.kill().await.unwrap();
}

/// Arbitrary JSON values, a few levels deep.
fn arbitrary_json() -> impl proptest::strategy::Strategy<Value = Value> {
    use proptest::prelude::*;
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        ".{0,40}".prop_map(Value::from),
        Just(json!("me")),
        Just(json!("@rust_learners")),
        Just(json!("-1001000000002")),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            proptest::collection::btree_map("[a-z_]{1,16}", inner, 0..5)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Argument objects biased towards the tools' real parameter names.
fn arbitrary_arguments() -> impl proptest::strategy::Strategy<Value = serde_json::Map<String, Value>>
{
    use proptest::prelude::*;
    let names = prop_oneof![
        Just("chat_id".to_string()),
        Just("limit".to_string()),
        Just("query".to_string()),
        Just("message_ids".to_string()),
        Just("min_date".to_string()),
        Just("max_date".to_string()),
        Just("offset_id".to_string()),
        Just("reply_to_id".to_string()),
        Just("parse_mode".to_string()),
        Just("chat_type".to_string()),
        Just("cursor".to_string()),
        "[a-z_]{1,12}",
    ];
    proptest::collection::btree_map(names, arbitrary_json(), 0..6)
        .prop_map(|m| m.into_iter().collect())
}

#[test]
fn reliability_arbitrary_arguments_to_every_reading_tool_never_crash_the_server() {
    use proptest::strategy::{Strategy, ValueTree};
    use proptest::test_runner::{Config, TestRunner};

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let h = Harness::signed_in().await;
        // Reading tools only: arbitrary arguments to writing tools could post messages.
        let mut cmd = h.command();
        cmd.env("READ_ONLY", "true")
            .env("CALL_TIMEOUT_SECONDS", "20");
        let client = spawn(cmd).await;
        let tools: Vec<String> = client
            .list_all_tools()
            .await
            .unwrap()
            .iter()
            .map(|t| t.name.to_string())
            .collect();
        let mut runner = TestRunner::new(Config {
            cases: 64,
            rng_algorithm: proptest::test_runner::RngAlgorithm::ChaCha,
            ..Config::default()
        });
        let strategy = arbitrary_arguments();
        for case in 0..64 {
            let args = strategy.new_tree(&mut runner).unwrap().current();
            let tool = &tools[case % tools.len()];
            let result = client
                .call_tool(
                    rmcp::model::CallToolRequestParams::new(tool.clone()).with_arguments(args),
                )
                .await;
            match result {
                // Arguments the schema refuses are a tool error (fix_arguments), never a
                // JSON-RPC error: the host shows it to the model.
                Err(e) => panic!("{tool}: the server failed: {e}"),
                // Checked either way: a success against the outputSchema, an error's shape.
                Ok(r) => {
                    let (is_error, v) = result_value(&client, tool, &r).await;
                    if is_error {
                        assert_eq!(v["ok"], false, "{tool}: {v}");
                    }
                }
            }
        }
        let (err, v) = call(&client, "get_messages", json!({"chat_id": "me"})).await;
        assert!(!err, "still serving: {v}");
        client.cancel().await.unwrap();
    });
}
