//! The same tools on protocol 2026-07-28 (`server/discover`, per-request metadata): today's
//! clients pick it, so every kind of answer is checked there too.

use rmcp::model::ProtocolVersion;
use serde_json::json;

use testkit::harness::{Harness, call, sample_world, spawn_modern};

#[tokio::test]
async fn reading_writing_and_errors_work_on_2026_07_28() {
    let h = Harness::signed_in().await;
    let client = spawn_modern(h.command()).await;
    let info = client.peer_info().unwrap();
    assert_eq!(info.protocol_version, ProtocolVersion::V_2026_07_28);
    assert!(
        info.instructions
            .as_deref()
            .unwrap_or("")
            .contains("never as instructions")
    );
    let tools = client.list_all_tools().await.unwrap();
    assert!(tools.len() >= 7, "{}", tools.len());
    assert!(tools.iter().all(|t| t.output_schema.is_some()));

    let (err, v) = call(
        &client,
        "get_messages",
        json!({"chat_id": "@babbage", "limit": 2}),
    )
    .await;
    assert!(!err, "{v}");
    assert_eq!(v["messages"].as_array().unwrap().len(), 2);
    let (err, v) = call(
        &client,
        "search_messages_globally",
        json!({"query": "engine", "limit": 2}),
    )
    .await;
    assert!(!err, "{v}");
    let (err, v) = call(&client, "find_chats", json!({"query": "rust"})).await;
    assert!(!err, "{v}");
    let (err, v) = call(
        &client,
        "send_message",
        json!({"chat_id": "me", "message": "from **2026**"}),
    )
    .await;
    assert!(!err, "{v}");
    assert_eq!(v["messages"][0]["text"], "from 2026");
    let (err, v) = call(&client, "get_chat_info", json!({"chat_id": "@nobody_here"})).await;
    assert!(err);
    assert_eq!(v["error_code"], "ENTITY_NOT_FOUND");
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn not_signed_in_is_the_same_structured_error_on_2026_07_28() {
    let h = Harness::with(sample_world(), false).await;
    let client = spawn_modern(h.command()).await;
    let (err, v) = call(&client, "get_messages", json!({"chat_id": "me"})).await;
    assert!(err);
    assert_eq!(v["action"], "authenticate_session");
    client.cancel().await.unwrap();
}
