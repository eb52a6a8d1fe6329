//! The answer contract, as a host sees it: a success's `structuredContent` fits the tool's
//! `outputSchema`, an error is one compact JSON text block (no `structuredContent`) with an
//! `action`, and wrong arguments are named in JSON words, never serde's or Rust's.

use grammers_tl_types as tl;
use rmcp::model::{CallToolRequestParams, CallToolResult, ContentBlock};
use serde_json::{Value, json};

use testkit::harness::{Harness, call, error_object, result_value, spawn_modern};

/// Words that must never reach the model in an argument error.
const RUST_WORDS: &[&str] = &[
    "i8", "i16", "i32", "i64", "u8", "u16", "u32", "u64", "usize", "isize", "f32", "f64", "Option",
    "Vec", "String", "struct", "enum", "sequence", "map", "bool",
];

fn assert_json_words(message: &str) {
    for word in message.split(|c: char| !(c.is_alphanumeric() || c == '_')) {
        assert!(!RUST_WORDS.contains(&word), "{word:?} in {message:?}");
    }
    assert!(!message.contains('`'), "{message}");
    assert!(!message.contains("deserialize"), "{message}");
}

/// An argument error: its message, after checking the code and the action.
fn argument_error(err: bool, v: &Value) -> String {
    assert!(err, "{v}");
    assert_eq!(v["error_code"], "INVALID_ARGUMENTS", "{v}");
    assert_eq!(v["action"], "fix_arguments", "{v}");
    let message = v["error"].as_str().unwrap().to_string();
    assert_json_words(&message);
    message
}

/// The reads and writes the calls below would make.
fn telegram_calls(h: &Harness) -> usize {
    h.dc.count_of::<tl::functions::messages::GetHistory>()
        + h.dc.count_of::<tl::functions::messages::SendMessage>()
        + h.dc.count_of::<tl::functions::messages::EditMessage>()
        + h.dc.count_of::<tl::functions::messages::GetReplies>()
}

#[tokio::test]
async fn wrong_arguments_are_named_in_json_words_and_never_reach_telegram() {
    let h = Harness::signed_in().await;
    let client = h.client().await;
    let before = telegram_calls(&h);

    let (err, v) = call(&client, "get_messages", json!({"chat_id": 123})).await;
    assert_eq!(
        argument_error(err, &v),
        "chat_id must be a string (got the number 123)"
    );
    let (err, v) = call(
        &client,
        "get_messages",
        json!({"chat_id": "me", "limit": "ten"}),
    )
    .await;
    let message = argument_error(err, &v);
    assert!(message.starts_with("limit must be an integer"), "{message}");
    assert!(message.ends_with("(got \"ten\")"), "{message}");
    let (err, v) = call(&client, "get_messages", json!({"chatid": "me"})).await;
    let message = argument_error(err, &v);
    assert!(
        message.contains("unknown argument \"chatid\" (did you mean \"chat_id\"?)"),
        "{message}"
    );
    assert!(
        message.contains("missing required argument \"chat_id\""),
        "{message}"
    );
    let (err, v) = call(
        &client,
        "get_messages",
        json!({"chat_id": "me", "message_ids": [1, "two"], "thread_scope": "all"}),
    )
    .await;
    let message = argument_error(err, &v);
    assert!(
        message.contains("message_ids[1] must be an integer (got \"two\")"),
        "{message}"
    );
    assert!(
        message
            .contains("thread_scope must be one of \"auto\", \"full\", \"direct\" (got \"all\")"),
        "{message}"
    );
    let (err, v) = call(
        &client,
        "send_message",
        json!({"chat_id": "me", "message": "hi", "save_as_draft": "yes"}),
    )
    .await;
    assert_eq!(
        argument_error(err, &v),
        "save_as_draft must be true or false (got \"yes\")"
    );
    // What the schema lets through but the parameter's type cannot hold: named all the same.
    let (err, v) = call(
        &client,
        "get_messages",
        json!({"chat_id": "me", "reply_to_id": 3_000_000_000u64}),
    )
    .await;
    assert_eq!(
        argument_error(err, &v),
        "reply_to_id must be an integer from -2147483648 to 2147483647 (got the number 3000000000)"
    );
    let (err, v) = call(
        &client,
        "edit_message",
        json!({"chat_id": "me", "message_id": 1.5, "message": "x"}),
    )
    .await;
    let message = argument_error(err, &v);
    assert!(
        message.starts_with("message_id must be an integer"),
        "{message}"
    );
    assert_eq!(telegram_calls(&h), before, "nothing was sent to Telegram");
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn an_explicit_null_means_not_given() {
    let h = Harness::signed_in().await;
    let client = h.client().await;
    let (err, v) = call(
        &client,
        "get_messages",
        json!({"chat_id": "@babbage", "limit": null, "query": null, "message_ids": null,
               "reply_to_id": null, "offset_id": null, "thread_scope": null}),
    )
    .await;
    assert!(!err, "{v}");
    assert_eq!(
        v["messages"].as_array().unwrap().len(),
        6,
        "the default limit: {v}"
    );
    let (err, v) = call(
        &client,
        "find_chats",
        json!({"query": null, "limit": null, "public": null, "folder": null}),
    )
    .await;
    assert!(!err, "{v}");
    // A required argument given as null is missing.
    let (err, v) = call(&client, "get_chat_info", json!({"chat_id": null})).await;
    assert_eq!(
        argument_error(err, &v),
        "missing required argument \"chat_id\""
    );
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn every_telegram_refusal_says_what_to_do() {
    let h = Harness::signed_in().await;
    let client = h.client().await;
    // RPC 400 (the text did not change): fix the arguments.
    let (err, v) = call(
        &client,
        "edit_message",
        json!({"chat_id": "me", "message_id": 14, "message": "Reminder: renew library card"}),
    )
    .await;
    assert!(err);
    assert_eq!(v["error_code"], "MESSAGE_NOT_MODIFIED", "{v}");
    assert_eq!(v["action"], "fix_arguments", "{v}");
    // Someone else's message.
    let (err, v) = call(
        &client,
        "edit_message",
        json!({"chat_id": "@babbage", "message_id": 1, "message": "rewritten"}),
    )
    .await;
    assert!(err);
    assert_eq!(v["error_code"], "MESSAGE_AUTHOR_REQUIRED", "{v}");
    assert_eq!(v["action"], "fix_arguments", "{v}");
    // An RPC error straight from invoke_mtproto.
    let (err, v) = call(
        &client,
        "invoke_mtproto",
        json!({"method_full_name": "contacts.resolveUsername",
               "params_json": {"username": "nobody_at_all_here"}}),
    )
    .await;
    assert!(err);
    assert_eq!(v["error_code"], "USERNAME_NOT_OCCUPIED", "{v}");
    assert_eq!(v["action"], "fix_arguments", "{v}");
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn arguments_are_named_the_same_way_on_2026_07_28() {
    let h = Harness::signed_in().await;
    let client = spawn_modern(h.command()).await;
    let (err, v) = call(&client, "get_chat_info", json!({"chat_id": 1001})).await;
    assert_eq!(
        argument_error(err, &v),
        "chat_id must be a string (got the number 1001)"
    );
    let (err, v) = call(
        &client,
        "get_chat_info",
        json!({"chat_id": "1001", "topics_limit": null}),
    )
    .await;
    assert!(!err, "{v}");
    client.cancel().await.unwrap();
}

/// Runs `check` in a task: whether it panicked (the harness's way of failing a test).
async fn fails(check: impl Future<Output = ()> + Send + 'static) -> bool {
    tokio::spawn(check).await.is_err_and(|e| e.is_panic())
}

#[tokio::test]
async fn the_harness_fails_a_test_on_any_drift_from_the_schemas() {
    let h = Harness::signed_in().await;
    let client = h.client().await;
    let result = client
        .call_tool(
            CallToolRequestParams::new("get_messages").with_arguments(
                json!({"chat_id": "@babbage", "limit": 1})
                    .as_object()
                    .cloned()
                    .unwrap(),
            ),
        )
        .await
        .unwrap();
    let peer = client.peer().clone();
    let (err, v) = result_value(&peer, "get_messages", &result).await;
    assert!(!err, "{v}");

    // A field of the wrong type.
    let mut drifted = result.clone();
    let mut value = v.clone();
    value["has_more"] = json!("no");
    drifted.structured_content = Some(value);
    let p = peer.clone();
    assert!(
        fails(async move {
            result_value(&p, "get_messages", &drifted).await;
        })
        .await,
        "a field of the wrong type is caught"
    );
    // A success without structured content.
    let mut bare = result.clone();
    bare.structured_content = None;
    let p = peer.clone();
    assert!(
        fails(async move {
            result_value(&p, "get_messages", &bare).await;
        })
        .await,
        "a success without structuredContent is caught"
    );

    // Errors: the real one passes; with structuredContent, without an action, or as two
    // blocks, it fails.
    let (err, real) = call(&client, "get_chat_info", json!({"chat_id": "@nobody_here"})).await;
    assert!(err);
    let text = |v: &Value| CallToolResult::error(vec![ContentBlock::text(v.to_string())]);
    error_object(Some("get_chat_info"), &text(&real));
    let mut structured = text(&real);
    structured.structured_content = Some(real.clone());
    let mut no_action = real.clone();
    no_action.as_object_mut().unwrap().remove("action");
    let mut unknown_action = real.clone();
    unknown_action["action"] = json!("give_up");
    let mut two_blocks = text(&real);
    two_blocks.content.push(ContentBlock::text("more"));
    for (what, bad) in [
        ("structuredContent", structured),
        ("no action", text(&no_action)),
        ("an unknown action", text(&unknown_action)),
        ("two blocks", two_blocks),
    ] {
        assert!(
            fails(async move {
                error_object(Some("get_chat_info"), &bad);
            })
            .await,
            "an error with {what} is caught"
        );
    }
    client.cancel().await.unwrap();
}
