//! Connections Telegram drops in the middle of a call: the call completes or answers `retry`,
//! the server reconnects, and a send is never stored twice however often it is resent (one
//! `random_id` across every retry). No timing assertions: only bounded waits.

use std::time::Duration;

use grammers_tl_types as tl;
use serde_json::{Value, json};

use testkit::fake_dc::{FaultAction, FaultRule};
use testkit::harness::{Harness, call, read_babbage};
use testkit::wait::wait_until;
use testkit::world::BABBAGE;

/// A call that may fail only with a structured `retry`.
fn completed_or_retry(err: bool, v: &Value) -> bool {
    if !err {
        return true;
    }
    assert_eq!(v["ok"], false, "structured error: {v}");
    assert_eq!(v["action"], "retry", "{v}");
    false
}

#[tokio::test]
async fn reliability_a_connection_dropped_mid_call_is_survived_and_the_next_call_works() {
    let (h, client) = Harness::warmed_up().await;
    h.dc.inject(FaultRule::on("messages.getHistory", FaultAction::Drop).times(1));
    let (err, v) = call(
        &client,
        "get_messages",
        json!({"chat_id": "1001", "limit": 2}),
    )
    .await;
    if completed_or_retry(err, &v) {
        assert_eq!(v["messages"].as_array().unwrap().len(), 2, "{v}");
    }
    let (err, v) = call(
        &client,
        "get_messages",
        json!({"chat_id": "1001", "limit": 2}),
    )
    .await;
    assert!(!err, "the next call works: {v}");
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn reliability_repeated_drops_answer_retry_or_complete_and_the_server_recovers() {
    let (h, client) = Harness::warmed_up().await;
    // Every other request to getHistory drops its connection, five times over.
    h.dc.inject(
        FaultRule::on("messages.getHistory", FaultAction::Drop)
            .skip(1)
            .times(5),
    );
    for _ in 0..8 {
        let (err, v) = read_babbage(&client).await;
        completed_or_retry(err, &v);
    }
    h.dc.clear_faults();
    let (err, v) = read_babbage(&client).await;
    assert!(!err, "serving again: {v}");
    assert!(h.dc.connections_accepted() >= 2, "it reconnected");
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn reliability_a_send_dropped_again_and_again_is_never_duplicated() {
    let (h, client) = Harness::warmed_up().await;
    let before = h.history_len(BABBAGE);
    h.dc.inject(FaultRule::on("messages.sendMessage", FaultAction::Drop).times(3));
    let (err, v) = call(
        &client,
        "send_message",
        json!({"chat_id": "@babbage", "message": "at most once"}),
    )
    .await;
    let completed = completed_or_retry(err, &v);
    let sends = h.dc.requests_of::<tl::functions::messages::SendMessage>();
    assert!(!sends.is_empty());
    assert!(
        sends.iter().all(|s| s.random_id == sends[0].random_id),
        "one random_id across every retry"
    );
    let after = h.history_len(BABBAGE);
    assert!(after <= before + 1, "never stored twice");
    if completed {
        assert_eq!(after, before + 1);
    }
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn reliability_a_send_whose_answer_is_lost_is_stored_once() {
    let (h, client) = Harness::warmed_up().await;
    let before = h.history_len(BABBAGE);
    // Telegram stores the message but its answer never arrives: the connection is cut while
    // the answer is held back. The resend carries the same random_id and is de-duplicated.
    h.dc.inject(
        FaultRule::on(
            "messages.sendMessage",
            FaultAction::Delay(Duration::from_secs(3)),
        )
        .times(1),
    );
    let sending = {
        let peer = client.peer().clone();
        tokio::spawn(async move {
            call(
                &peer,
                "send_message",
                json!({"chat_id": "@babbage", "message": "stored once"}),
            )
            .await
        })
    };
    wait_until("the message to be stored", || {
        h.history_len(BABBAGE) == before + 1
    })
    .await;
    h.dc.drop_connections();
    let (err, v) = sending.await.unwrap();
    completed_or_retry(err, &v);
    let sends = h.dc.requests_of::<tl::functions::messages::SendMessage>();
    assert!(sends.iter().all(|s| s.random_id == sends[0].random_id));
    assert_eq!(h.history_len(BABBAGE), before + 1, "stored exactly once");
    let (err, v) = call(&client, "get_messages", json!({"chat_id": "me"})).await;
    assert!(!err, "{v}");
    client.cancel().await.unwrap();
}
