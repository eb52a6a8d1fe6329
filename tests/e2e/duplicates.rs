//! Sends that must not be duplicated, and Telegram's internal errors. Telegram answers a
//! repeated `random_id` with the original message only once the first send is done; while it
//! is still being processed it answers `500 RANDOM_ID_DUPLICATE`. The loopback DC does the
//! same (a send whose answer a `Delay` fault holds back is "being processed"), so a send
//! repeated after a dropped connection meets that error, and the server must not report it as
//! a failure the model would answer by sending again.

use std::time::Duration;

use grammers_tl_types as tl;
use serde_json::{Value, json};

use testkit::fake_dc::{FaultAction, FaultRule};
use testkit::harness::{Client, Harness, call, read_babbage, spawn, warm_up};
use testkit::wait::wait_until;
use testkit::world::BABBAGE;

type McpPeer = rmcp::Peer<rmcp::RoleClient>;

fn sends(h: &Harness) -> Vec<tl::functions::messages::SendMessage> {
    h.dc.requests_of::<tl::functions::messages::SendMessage>()
}

/// Sends `text` to @babbage in the background.
fn send_in_background(peer: McpPeer, text: &str) -> tokio::task::JoinHandle<(bool, Value)> {
    let args = json!({"chat_id": "@babbage", "message": text});
    tokio::spawn(async move { call(&peer, "send_message", args).await })
}

/// Starts a send whose answer the DC holds back for `processing`, waits until Telegram has
/// stored it, and cuts the connection: grammers sends it again while it is still processed.
async fn send_cut_off_while_processing(
    h: &Harness,
    client: &Client,
    text: &str,
    processing: Duration,
) -> (bool, Value) {
    let before = h.history_len(BABBAGE);
    h.dc.inject(FaultRule::on("messages.sendMessage", FaultAction::Delay(processing)).times(1));
    let sending = send_in_background(client.peer().clone(), text);
    wait_until("the message to be stored", || {
        h.history_len(BABBAGE) == before + 1
    })
    .await;
    h.dc.drop_connections();
    sending.await.unwrap()
}

#[tokio::test]
async fn a_send_repeated_while_still_processed_gets_the_original_message() {
    let (h, client) = Harness::warmed_up().await;
    let before = h.history_len(BABBAGE);
    let (err, v) =
        send_cut_off_while_processing(&h, &client, "only once", Duration::from_secs(3)).await;
    assert!(!err, "not an error: {v}");
    assert_eq!(v["status"], "sent", "{v}");
    assert_eq!(h.history_len(BABBAGE), before + 1, "posted exactly once");
    let stored = h.dc.world().history(BABBAGE).map(|m| m.id).max();
    assert_eq!(v["message_id"].as_i64(), stored.map(i64::from), "{v}");
    assert_eq!(v["messages"][0]["text"], "only once", "{v}");
    let sends = sends(&h);
    assert!(
        sends.len() >= 3,
        "repeated while processed: {}",
        sends.len()
    );
    assert!(sends.iter().all(|s| s.random_id == sends[0].random_id));
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn a_send_still_processed_after_the_waits_is_reported_sent_without_an_id() {
    let (h, client) = Harness::warmed_up().await;
    let before = h.history_len(BABBAGE);
    let (err, v) =
        send_cut_off_while_processing(&h, &client, "slowly", Duration::from_secs(30)).await;
    assert!(!err, "never an error that invites a resend: {v}");
    assert_eq!(v["status"], "sent_no_id", "{v}");
    assert!(v.get("message_id").is_none(), "{v}");
    assert_eq!(v["messages"], json!([]), "{v}");
    assert_eq!(v["chat"]["id"], 1001, "what it knows: the chat: {v}");
    assert_eq!(h.history_len(BABBAGE), before + 1, "posted exactly once");
    let sends = sends(&h);
    assert!(sends.iter().all(|s| s.random_id == sends[0].random_id));
    assert!(sends.len() <= 6, "bounded: {}", sends.len());
    // The server goes on serving.
    let (err, v) = call(
        &client,
        "send_message",
        json!({"chat_id": "@babbage", "message": "next"}),
    )
    .await;
    assert!(!err, "{v}");
    assert_eq!(h.history_len(BABBAGE), before + 2);
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn a_repeat_after_the_send_finished_gets_the_original_at_once() {
    // The answer is lost with the connection, but the send is done by the time grammers sends
    // it again (0.5 s later): the DC answers the repeat with the original message, no
    // RANDOM_ID_DUPLICATE, and the server asks nothing more.
    let (h, client) = Harness::warmed_up().await;
    let before = h.history_len(BABBAGE);
    let (err, v) =
        send_cut_off_while_processing(&h, &client, "done quickly", Duration::from_millis(450))
            .await;
    assert!(!err, "{v}");
    assert_eq!(v["status"], "sent", "{v}");
    assert_eq!(v["messages"][0]["text"], "done quickly", "{v}");
    assert_eq!(h.history_len(BABBAGE), before + 1);
    assert_eq!(sends(&h).len(), 2, "sent, and sent again once");
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn a_single_internal_error_is_retried_and_succeeds() {
    let (h, client) = Harness::warmed_up().await;
    h.dc.clear_requests_and_inject(
        FaultRule::on("messages.getHistory", FaultRule::error(500, "INTERNAL")).times(1),
    );
    let (err, v) = read_babbage(&client).await;
    assert!(!err, "{v}");
    assert_eq!(h.dc.count_of::<tl::functions::messages::GetHistory>(), 2);
    // A send too, posted once; and Telegram's -503 timeout the same way.
    let before = h.history_len(BABBAGE);
    h.dc.inject(FaultRule::on("messages.sendMessage", FaultRule::error(500, "INTERNAL")).times(1));
    let (err, v) = call(
        &client,
        "send_message",
        json!({"chat_id": "@babbage", "message": "after a hiccup"}),
    )
    .await;
    assert!(!err, "{v}");
    assert_eq!(sends(&h).len(), 2);
    assert_eq!(h.history_len(BABBAGE), before + 1);
    h.dc.clear_requests_and_inject(
        FaultRule::on("messages.getHistory", FaultRule::error(-503, "Timeout")).times(1),
    );
    let (err, v) = read_babbage(&client).await;
    assert!(!err, "{v}");
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn two_internal_errors_in_a_row_answer_retry() {
    let (h, client) = Harness::warmed_up().await;
    h.dc.clear_requests_and_inject(
        FaultRule::on("messages.getHistory", FaultRule::error(500, "INTERNAL")).times(2),
    );
    let (err, v) = read_babbage(&client).await;
    assert!(err);
    assert_eq!(v["action"], "retry", "{v}");
    assert_eq!(v["error_code"], "INTERNAL", "{v}");
    assert_eq!(
        h.dc.count_of::<tl::functions::messages::GetHistory>(),
        2,
        "retried once, not more"
    );
    let (err, v) = read_babbage(&client).await;
    assert!(!err, "the next call works: {v}");
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn upload_failures_answer_retry_with_the_wait() {
    let h = Harness::signed_in().await;
    let root = h.session_dir().join("outbox");
    std::fs::create_dir(&root).unwrap();
    let path = root.join("notes.txt");
    std::fs::write(&path, b"some notes").unwrap();
    let mut cmd = h.command();
    cmd.env("ALLOWED_FILE_ROOTS", &root);
    let client = spawn(cmd).await;
    warm_up(&client).await;
    let args = json!({"chat_id": "@babbage", "message": "notes", "files": [path]});
    // A flood wait too long to sleep through keeps its seconds.
    h.dc.inject(FaultRule::on("upload.saveFilePart", FaultAction::FloodWait(30)).times(1));
    let (err, v) = call(&client, "send_message", args.clone()).await;
    assert!(err);
    assert_eq!(v["action"], "retry", "{v}");
    assert_eq!(v["retry_after_seconds"], 30, "{v}");
    // Internal errors: one is retried, two answer retry.
    h.dc.inject(FaultRule::on("upload.saveFilePart", FaultRule::error(500, "INTERNAL")).times(2));
    let (err, v) = call(&client, "send_message", args.clone()).await;
    assert!(err);
    assert_eq!(v["action"], "retry", "{v}");
    h.dc.inject(FaultRule::on("upload.saveFilePart", FaultRule::error(500, "INTERNAL")).times(1));
    let (err, v) = call(&client, "send_message", args).await;
    assert!(!err, "{v}");
    client.cancel().await.unwrap();
}
