//! Connections that go dead without a word (a laptop that slept, a change of network): the DC
//! black-holes them — accepts, then neither reads, writes nor closes — and the server must
//! find out by itself, drop the connection and connect anew (see `src/telegram/liveness.rs`:
//! a request unanswered for 3 s is followed by a ping, and no pong within 5 s means dead).
//! No timing assertions: the waits are hang guards, and what is asserted is why a call
//! failed and which connection answered.

use std::time::Duration;

use serde_json::{Value, json};

use testkit::fake_dc::{FaultAction, FaultRule};
use testkit::harness::{Client, Harness, call, spawn};

/// Far beyond anything asserted here: only a hang trips it.
const HANG_GUARD: Duration = Duration::from_secs(90);

/// What a call cut off by a dead connection says (`liveness::DEAD`).
const DEAD: &str = "stopped answering";

async fn get_me_messages(client: &Client) -> (bool, Value) {
    tokio::time::timeout(
        HANG_GUARD,
        call(client, "get_messages", json!({"chat_id": "me", "limit": 1})),
    )
    .await
    .expect("the call is answered, not hung")
}

fn last_connection(h: &Harness) -> u64 {
    h.dc.requests().last().expect("a request").connection
}

/// For each connection the server holds to the DC, whether `TCP_NODELAY` is set: grammers
/// leaves Nagle on, and a request written behind an unacknowledged one then waits up to 40 ms
/// (`src/telegram/nodelay.rs`).
fn nodelay(h: &Harness) -> Vec<bool> {
    let pid = h.server_pid().expect("the server holds the session");
    testkit::process::nodelay_of_connections_to(pid, h.dc.port())
}

/// The connections `initConnection` came on (each new connection starts with one).
fn inits(h: &Harness) -> Vec<u64> {
    h.dc.requests()
        .iter()
        .filter(|r| r.name == "help.getConfig")
        .map(|r| r.connection)
        .collect()
}

#[tokio::test]
async fn connections_a_dead_connection_is_dropped_and_the_next_call_connects_anew() {
    let h = Harness::signed_in().await;
    let mut cmd = h.command();
    // Well above the 8 s in which a dead connection is found: the call below must fail
    // because it was found, not because its deadline ran out.
    cmd.env("CALL_TIMEOUT_SECONDS", "20");
    let client = spawn(cmd).await;
    let (err, v) = get_me_messages(&client).await;
    assert!(!err, "connected first: {v}");
    assert_eq!(h.dc.connections_accepted(), 1);
    assert_eq!(nodelay(&h), vec![true], "Nagle is off on the connection");
    assert_eq!(last_connection(&h), 1);

    // Sleep and wake: the connection is dead, the network works.
    h.dc.black_hole_open_connections();
    let (err, v) = get_me_messages(&client).await;
    assert!(err, "{v}");
    assert_eq!(v["action"], "retry", "{v}");
    let why = v["error"].as_str().unwrap_or_default();
    assert!(
        why.contains(DEAD),
        "answered because the connection was found dead, not at the call deadline: {v}"
    );

    let (err, v) = get_me_messages(&client).await;
    assert!(!err, "the next call works: {v}");
    assert_eq!(h.dc.connections_accepted(), 2, "one new connection");
    assert_eq!(last_connection(&h), 2, "answered on the new connection");
    assert_eq!(
        inits(&h),
        vec![1, 2],
        "initConnection again, on the new connection"
    );
    assert_eq!(nodelay(&h), vec![true], "and on the new connection");
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn connections_a_connection_that_dies_during_a_call_is_replaced_too() {
    let h = Harness::signed_in().await;
    let mut cmd = h.command();
    cmd.env("CALL_TIMEOUT_SECONDS", "20");
    let client = spawn(cmd).await;
    let (err, v) = get_me_messages(&client).await;
    assert!(!err, "{v}");
    // The request reaches Telegram, and then its connection goes dead.
    h.dc.inject(FaultRule::on("messages.getHistory", FaultAction::BlackHole).times(1));
    let (err, v) = get_me_messages(&client).await;
    assert!(err, "{v}");
    assert_eq!(v["action"], "retry", "{v}");
    assert!(
        v["error"].as_str().unwrap_or_default().contains(DEAD),
        "{v}"
    );
    let (err, v) = get_me_messages(&client).await;
    assert!(!err, "{v}");
    assert_eq!(last_connection(&h), 2);
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn connections_a_connect_that_hangs_is_given_up_and_a_later_call_connects() {
    let h = Harness::signed_in().await;
    // Every new connection is accepted and then never read from or written to: the server's
    // first contact (TCP, then initConnection) hangs, and so does each reconnect.
    h.dc.black_hole(true);
    let mut cmd = h.command();
    // The first call waits for the first contact to be given up (8 s), then meets a new
    // connection that hangs as well (8 s more): well within 30 s.
    cmd.env("CALL_TIMEOUT_SECONDS", "30");
    let client = tokio::time::timeout(HANG_GUARD, spawn(cmd))
        .await
        .expect("initialize is answered without Telegram");

    let (err, v) = get_me_messages(&client).await;
    assert!(err, "{v}");
    assert_eq!(v["action"], "retry", "{v}");
    assert!(
        v["error"].as_str().unwrap_or_default().contains(DEAD),
        "answered because the connection was found dead, not at the call deadline: {v}"
    );
    assert!(h.dc.requests().is_empty(), "nothing was ever read");
    let dead = h.dc.connections_accepted();
    assert_eq!(dead, 2, "the first contact's connection, then the call's");

    h.dc.black_hole(false);
    let (err, v) = get_me_messages(&client).await;
    assert!(!err, "once the network is back, a call works: {v}");
    assert_eq!(h.dc.connections_accepted(), dead + 1);
    assert_eq!(last_connection(&h), dead + 1, "on a new connection");
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn connections_a_slow_answer_on_a_live_connection_is_waited_for() {
    let h = Harness::signed_in().await;
    let client = h.client().await;
    let (err, v) = get_me_messages(&client).await;
    assert!(!err, "{v}");
    // Longer than the 3 s after which the connection is pinged: the ping is answered, so the
    // connection is kept and the answer arrives on it.
    h.dc.inject(
        FaultRule::on(
            "messages.getHistory",
            FaultAction::Delay(Duration::from_secs(5)),
        )
        .times(1),
    );
    let (err, v) = get_me_messages(&client).await;
    assert!(!err, "{v}");
    assert_eq!(h.dc.connections_accepted(), 1, "the connection was kept");
    assert_eq!(last_connection(&h), 1);
    client.cancel().await.unwrap();
}
