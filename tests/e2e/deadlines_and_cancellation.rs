//! Calls that do not finish: a silent Telegram meets the call deadline and answers `retry`, and a
//! call the host cancels (`notifications/cancelled`) stores nothing, is not resent behind the
//! host's back, and leaves the server serving.

use std::time::Duration;

use grammers_tl_types as tl;
use serde_json::{Value, json};

use testkit::fake_dc::{FaultAction, FaultRule};
use testkit::harness::{Client, Harness, call, read_babbage, spawn, warm_up};
use testkit::wait::wait_until;
use testkit::world::BABBAGE;

#[tokio::test]
async fn reliability_a_silent_telegram_during_a_send_answers_retry_at_the_deadline() {
    let h = Harness::signed_in().await;
    let mut cmd = h.command();
    cmd.env("CALL_TIMEOUT_SECONDS", "2");
    let client = spawn(cmd).await;
    warm_up(&client).await;
    let before = h.history_len(BABBAGE);
    h.dc.inject(FaultRule::on("messages.sendMessage", FaultAction::Silent));
    let (err, v) = call(
        &client,
        "send_message",
        json!({"chat_id": "@babbage", "message": "into the void"}),
    )
    .await;
    assert!(err);
    assert_eq!(v["action"], "retry", "{v}");
    assert_eq!(h.history_len(BABBAGE), before, "nothing stored");
    h.dc.clear_faults();
    let (err, v) = call(&client, "get_messages", json!({"chat_id": "me"})).await;
    assert!(!err, "{v}");
    client.cancel().await.unwrap();
}

/// Starts `tools/call` so that it can be cancelled with `notifications/cancelled`.
pub(crate) async fn start_call(
    client: &Client,
    tool: &str,
    args: Value,
) -> rmcp::service::RequestHandle<rmcp::RoleClient> {
    use rmcp::model::{CallToolRequest, CallToolRequestParams, ClientRequest};
    let request = ClientRequest::CallToolRequest(CallToolRequest::new(
        CallToolRequestParams::new(tool.to_string())
            .with_arguments(args.as_object().cloned().unwrap_or_default()),
    ));
    client
        .peer()
        .send_cancellable_request(request, rmcp::service::PeerRequestOptions::no_options())
        .await
        .expect("request sent")
}

#[tokio::test]
async fn reliability_a_cancelled_send_stores_nothing_and_the_server_keeps_serving() {
    let (h, client) = Harness::warmed_up().await;
    let before = h.history_len(BABBAGE);
    h.dc.inject(FaultRule::on("messages.sendMessage", FaultAction::Silent));
    let handle = start_call(
        &client,
        "send_message",
        json!({"chat_id": "@babbage", "message": "never mind"}),
    )
    .await;
    wait_until("the send to reach Telegram", || {
        !h.dc
            .requests_of::<tl::functions::messages::SendMessage>()
            .is_empty()
    })
    .await;
    handle
        .cancel(Some("changed my mind".into()))
        .await
        .expect("cancellation sent");
    h.dc.clear_faults();
    // Serving, and the cancelled send was not sent again behind our back.
    let (err, v) = call(&client, "get_messages", json!({"chat_id": "me"})).await;
    assert!(!err, "{v}");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        h.history_len(BABBAGE),
        before,
        "nothing stored after cancellation"
    );
    assert_eq!(h.dc.count_of::<tl::functions::messages::SendMessage>(), 1);
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn reliability_a_cancelled_read_leaves_the_server_serving() {
    let (h, client) = Harness::warmed_up().await;
    h.dc.inject(FaultRule::on("messages.getHistory", FaultAction::Silent).times(1));
    let handle = start_call(
        &client,
        "get_messages",
        json!({"chat_id": "1001", "limit": 1}),
    )
    .await;
    wait_until("the read to reach Telegram", || {
        !h.dc
            .requests_of::<tl::functions::messages::GetHistory>()
            .is_empty()
    })
    .await;
    handle.cancel(None).await.expect("cancellation sent");
    h.dc.clear_faults();
    let (err, v) = read_babbage(&client).await;
    assert!(!err, "{v}");
    client.cancel().await.unwrap();
}
