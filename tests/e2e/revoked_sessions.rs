//! A session Telegram no longer accepts (revoked while serving, or never signed in): every tool
//! answers `authenticate_session` naming the setup command, and the server goes on serving MCP.

use serde_json::{Value, json};

use testkit::fake_dc::FaultRule;
use testkit::harness::{Client, Harness, call, sample_world};

/// One valid call per tool.
fn every_tool_call() -> Vec<(&'static str, Value)> {
    vec![
        ("find_chats", json!({"query": "rust"})),
        ("get_chat_info", json!({"chat_id": "1001"})),
        ("get_messages", json!({"chat_id": "1001", "limit": 1})),
        ("search_messages_globally", json!({"query": "engine"})),
        (
            "send_message",
            json!({"chat_id": "1001", "message": "hello"}),
        ),
        (
            "edit_message",
            json!({"chat_id": "me", "message_id": 1, "message": "edited"}),
        ),
        (
            "send_message_to_phone",
            json!({"phone_number": "+15550001234", "message": "hi"}),
        ),
    ]
}

async fn every_tool_asks_for_authentication(client: &Client) {
    for (tool, args) in every_tool_call() {
        let (err, v) = call(client, tool, args).await;
        assert!(err, "{tool}: {v}");
        assert_eq!(v["action"], "authenticate_session", "{tool}: {v}");
        assert!(
            v["error"]
                .as_str()
                .unwrap()
                .contains("fast-mcp-telegram setup"),
            "{tool} names the setup command: {v}"
        );
    }
}

#[tokio::test]
async fn reliability_a_session_revoked_while_serving_asks_every_tool_for_authentication() {
    let (h, client) = Harness::warmed_up().await;
    h.dc.revoke_authorization();
    every_tool_asks_for_authentication(&client).await;
    // Still serving MCP.
    assert!(!client.list_all_tools().await.unwrap().is_empty());
    assert!(h.session_file().exists());
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn reliability_an_injected_session_revoked_error_asks_every_tool_for_authentication() {
    let (h, client) = Harness::warmed_up().await;
    h.dc.inject(FaultRule::any(FaultRule::error(401, "SESSION_REVOKED")));
    every_tool_asks_for_authentication(&client).await;
    assert!(!client.list_all_tools().await.unwrap().is_empty());
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn reliability_a_not_signed_in_world_never_crashes() {
    let h = Harness::with(sample_world(), false).await;
    let client = h.client().await;
    every_tool_asks_for_authentication(&client).await;
    client.cancel().await.unwrap();
}
