//! Reliability under faults, load and hostile input: dropped connections, flood waits, revoked
//! sessions, a silent Telegram, cancellation, SIGKILL, concurrency, a fault soak, abuse of the
//! JSON-RPC stream and hostile data coming back from Telegram. No timing assertions: only
//! bounded waits with generous limits.

use std::process::Stdio;
use std::time::Duration;

use grammers_session::Session;
use grammers_session::storages::SqliteSession;
use grammers_tl_types as tl;
use serde_json::{Value, json};

use testkit::fake_dc::{FaultAction, FaultRule};
use testkit::harness::{
    Client, Harness, call, raw_error_object, result_value, sample_world, spawn, warm_up,
};
use testkit::process::rss_kb;
use testkit::raw_client::RawClient;
use testkit::wait::wait_until;
use testkit::world::{BABBAGE, World};

/// A call that may fail only with a structured `retry`.
fn completed_or_retry(err: bool, v: &Value) -> bool {
    if !err {
        return true;
    }
    assert_eq!(v["ok"], false, "structured error: {v}");
    assert_eq!(v["action"], "retry", "{v}");
    false
}

// ---------------------------------------------------------------------------------------
// Faults
// ---------------------------------------------------------------------------------------

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
        let (err, v) = call(
            &client,
            "get_messages",
            json!({"chat_id": "1001", "limit": 1}),
        )
        .await;
        completed_or_retry(err, &v);
    }
    h.dc.clear_faults();
    let (err, v) = call(
        &client,
        "get_messages",
        json!({"chat_id": "1001", "limit": 1}),
    )
    .await;
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

#[tokio::test]
async fn reliability_a_short_flood_wait_is_waited_out() {
    let (h, client) = Harness::warmed_up().await;
    h.dc.clear_requests_and_inject(
        FaultRule::on("messages.getHistory", FaultAction::FloodWait(1)).times(1),
    );
    let (err, v) = call(
        &client,
        "get_messages",
        json!({"chat_id": "1001", "limit": 1}),
    )
    .await;
    assert!(!err, "waited out (1 s ≤ the 10 s default): {v}");
    assert_eq!(
        h.dc.count_of::<tl::functions::messages::GetHistory>(),
        2,
        "asked again after the wait"
    );
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn reliability_a_long_flood_wait_is_returned_at_once_with_retry_after() {
    let (h, client) = Harness::warmed_up().await;
    h.dc.clear_requests_and_inject(
        FaultRule::on("messages.getHistory", FaultAction::FloodWait(11)).times(1),
    );
    let (err, v) = call(
        &client,
        "get_messages",
        json!({"chat_id": "1001", "limit": 1}),
    )
    .await;
    assert!(err);
    assert_eq!(v["action"], "retry", "{v}");
    assert_eq!(v["retry_after_seconds"], 11, "{v}");
    assert_eq!(v["error_code"], "FLOOD_WAIT_11", "{v}");
    assert_eq!(
        h.dc.count_of::<tl::functions::messages::GetHistory>(),
        1,
        "not slept through"
    );
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn reliability_the_flood_wait_threshold_is_configurable() {
    let h = Harness::signed_in().await;
    let mut cmd = h.command();
    cmd.env("FLOOD_WAIT_MAX_SECONDS", "0");
    let client = spawn(cmd).await;
    warm_up(&client).await;
    h.dc.inject(FaultRule::on("messages.getHistory", FaultAction::FloodWait(1)).times(1));
    let (err, v) = call(
        &client,
        "get_messages",
        json!({"chat_id": "1001", "limit": 1}),
    )
    .await;
    assert!(err, "FLOOD_WAIT_MAX_SECONDS=0 never sleeps: {v}");
    assert_eq!(v["retry_after_seconds"], 1, "{v}");
    client.cancel().await.unwrap();
    // The flag works too, and a bad value is a configuration error.
    let mut bad = h.command();
    bad.arg("--flood-wait-max-seconds=soon")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let out = bad.output().await.unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("FLOOD_WAIT_MAX_SECONDS"));
}

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
async fn start_call(
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
    let (err, v) = call(
        &client,
        "get_messages",
        json!({"chat_id": "1001", "limit": 1}),
    )
    .await;
    assert!(!err, "{v}");
    client.cancel().await.unwrap();
}

// ---------------------------------------------------------------------------------------
// A raw JSON-RPC line client, for what rmcp's client would never send.
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn reliability_sigkill_during_sends_leaves_an_intact_session_and_the_next_start_works() {
    let h = Harness::signed_in().await;
    let mut raw = RawClient::spawn(h.command());
    raw.initialize().await;
    for id in 1..=30 {
        raw.send(
            json!({"jsonrpc": "2.0", "id": id, "method": "tools/call", "params": {
            "name": "send_message",
            "arguments": {"chat_id": "@babbage", "message": format!("burst {id}")}}}),
        )
        .await;
    }
    wait_until("sends to reach Telegram", || {
        h.dc.count_of::<tl::functions::messages::SendMessage>() >= 3
    })
    .await;
    raw.child.kill().await.unwrap(); // SIGKILL
    let _ = raw.child.wait().await;

    // Restarted directly: whatever the kill left (a hot journal among it) is the server's to
    // recover, not the test's or the user's.
    let mut next = h.command();
    next.env("SESSION_LOCK_WAIT_SECONDS", "0");
    let client = spawn(next).await;
    let (err, v) = call(
        &client,
        "send_message",
        json!({"chat_id": "@babbage", "message": "after the crash"}),
    )
    .await;
    assert!(!err, "{v}");
    client.cancel().await.unwrap();
    // Once that server has let go of it (its lock is free), the file holds what it held.
    let lock = h.session_dir().join("telegram.session.lock");
    wait_until("the restarted server to exit", || {
        fast_mcp_telegram::session::lock::SessionLock::acquire(&lock, "telegram").is_ok()
    })
    .await;
    let session = SqliteSession::open(h.session_file())
        .await
        .expect("the session file opens");
    assert_eq!(session.home_dc_id().unwrap(), 2, "home DC kept");
    assert_eq!(
        fast_mcp_telegram::session::signed_in_user(&session)
            .await
            .map(|(id, _)| id),
        Some(h.dc.world().self_id),
        "self user kept"
    );
}

// ---------------------------------------------------------------------------------------
// Load
// ---------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reliability_64_concurrent_reads_with_latency_all_succeed() {
    let (h, client) = Harness::warmed_up().await;
    h.dc.set_latency(Duration::from_millis(100));
    let chats = ["1001", "me", "@rust_learners", "@engine_news"];
    let calls = (0..64).map(|i| {
        let peer = client.peer().clone();
        let chat = chats[i % chats.len()];
        tokio::spawn(async move {
            call(&peer, "get_messages", json!({"chat_id": chat, "limit": 5})).await
        })
    });
    for result in futures::future::join_all(calls).await {
        let (err, v) = result.unwrap();
        assert!(!err, "{v}");
    }
    client.cancel().await.unwrap();
}

/// A tiny deterministic RNG (xorshift64*), so a failing soak can be replayed from its seed.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }

    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const SOAK_METHODS: [&str; 5] = [
    "messages.getHistory",
    "messages.search",
    "messages.sendMessage",
    "contacts.search",
    "messages.searchGlobal",
];

/// One random call of the soak mix.
fn soak_call(rng: &mut Rng, i: usize) -> (&'static str, Value) {
    match rng.below(6) {
        0 => ("find_chats", json!({"query": "rust, engine"})),
        1 => ("get_chat_info", json!({"chat_id": "@rust_learners"})),
        2 => (
            "get_messages",
            json!({"chat_id": "@rust_learners", "query": "loops"}),
        ),
        3 => ("search_messages_globally", json!({"query": "engine"})),
        4 => (
            "send_message",
            json!({"chat_id": "me", "message": format!("soak {i}")}),
        ),
        _ => ("get_messages", json!({"chat_id": "1001", "limit": 3})),
    }
}

/// Switches on one random fault (or none).
fn soak_fault(h: &Harness, rng: &mut Rng) {
    let method = SOAK_METHODS[rng.below(SOAK_METHODS.len() as u64) as usize];
    let action = match rng.below(10) {
        0 => FaultAction::Drop,
        1 => FaultAction::FloodWait(rng.below(2) as u32),
        2 => FaultAction::FloodWait(30 + rng.below(60) as u32),
        3 => FaultAction::Delay(Duration::from_millis(rng.below(300))),
        4 => FaultRule::error(500, "INTERNAL"),
        _ => return,
    };
    h.dc.inject(FaultRule::on(method, action).times(1));
}

/// Runs `calls` mixed calls, `parallel` at a time, with random faults; every call must be
/// answered with a success or a structured error. Returns (successes, errors).
pub async fn soak(h: &Harness, client: &Client, seed: u64, calls: usize) -> (usize, usize) {
    let mut rng = Rng::new(seed);
    let (mut ok, mut failed) = (0, 0);
    let parallel = 8;
    let mut i = 0;
    while i < calls {
        let mut batch = Vec::new();
        for _ in 0..parallel.min(calls - i) {
            soak_fault(h, &mut rng);
            let (tool, args) = soak_call(&mut rng, i);
            let peer = client.peer().clone();
            batch.push(tokio::spawn(async move {
                (tool, call(&peer, tool, args).await)
            }));
            i += 1;
        }
        for done in futures::future::join_all(batch).await {
            let (tool, (err, v)) = done.unwrap();
            if err {
                assert_eq!(v["ok"], false, "{tool}: structured error: {v}");
                assert!(v["error"].is_string(), "{tool}: {v}");
                failed += 1;
            } else {
                assert!(v.is_object(), "{tool}: {v}");
                ok += 1;
            }
        }
    }
    h.dc.clear_faults();
    (ok, failed)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reliability_soak_smoke_300_mixed_calls_under_random_faults() {
    let h = Harness::signed_in().await;
    let mut cmd = h.command();
    cmd.env("CALL_TIMEOUT_SECONDS", "20");
    let client = spawn(cmd).await;
    warm_up(&client).await;
    let (ok, failed) = soak(&h, &client, 0x5eed, 300).await;
    assert_eq!(ok + failed, 300, "every call answered");
    assert!(ok > 0);
    let (err, v) = call(&client, "get_messages", json!({"chat_id": "me"})).await;
    assert!(!err, "still serving: {v}");
    client.cancel().await.unwrap();
}

/// The long soak: `cargo test --test e2e -- --ignored soak --nocapture`
/// (`SOAK_CALLS`, default 5000; `SOAK_SEED`). Prints the server's RSS before and after.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "long: run with `cargo test --test e2e -- --ignored soak --nocapture`"]
async fn reliability_soak_long_with_rss_samples() {
    let calls: usize = std::env::var("SOAK_CALLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5000);
    let seed: u64 = std::env::var("SOAK_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0x5eed);
    let h = Harness::signed_in().await;
    let mut cmd = h.command();
    cmd.env("CALL_TIMEOUT_SECONDS", "20")
        .env("LOG_LEVEL", "warn");
    let client = spawn(cmd).await;
    warm_up(&client).await;
    let pid = h.server_pid().expect("server pid from the lock file");
    let start_rss = rss_kb(pid);
    let started = std::time::Instant::now();
    let (ok, failed) = soak(&h, &client, seed, calls).await;
    let end_rss = rss_kb(pid);
    println!(
        "soak: {calls} calls (seed {seed}) in {:.1} s: {ok} ok, {failed} structured errors; \
         server RSS {} kB at start, {} kB at end",
        started.elapsed().as_secs_f64(),
        start_rss.map_or("?".into(), |v| v.to_string()),
        end_rss.map_or("?".into(), |v| v.to_string()),
    );
    assert_eq!(ok + failed, calls);
    let (err, v) = call(&client, "get_messages", json!({"chat_id": "me"})).await;
    assert!(!err, "still serving: {v}");
    client.cancel().await.unwrap();
}

// ---------------------------------------------------------------------------------------
// Hostile input on stdin
// ---------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------
// Telegram's answers are untrusted
// ---------------------------------------------------------------------------------------

fn hostile_world() -> World {
    let mut world: Value = testkit::world::sample_json();
    let long = "Ж\u{202E}".repeat(5000); // 10 000 characters with bidi overrides
    let controls: String = (0u8..32).map(char::from).collect();
    for user in world["users"].as_array_mut().unwrap() {
        user["first_name"] = json!(format!("{controls}\u{2066}evil\u{2069}{long}"));
        user["last_name"] = json!("\u{200F}\u{FEFF}\u{E0001}");
    }
    if let Some(chats) = world["chats"].as_array_mut() {
        for chat in chats {
            chat["title"] = json!(format!("\u{0000}\u{001B}[31m{long}"));
        }
    }
    for message in world["messages"].as_array_mut().unwrap() {
        message["text"] = json!(format!("a\u{0000}b\u{202E}c{}", "🦀".repeat(3000)));
    }
    World::from_json(world).unwrap()
}

#[tokio::test]
async fn reliability_hostile_names_and_texts_from_telegram_give_clean_json() {
    let h = Harness::with(hostile_world(), true).await;
    let client = h.client().await;
    let reads = [
        ("find_chats", json!({"query": "rust"})),
        ("find_chats", json!({})),
        ("get_chat_info", json!({"chat_id": "1001"})),
        ("get_chat_info", json!({"chat_id": "@rust_learners"})),
        ("get_messages", json!({"chat_id": "1001", "limit": 10})),
        (
            "get_messages",
            json!({"chat_id": "@rust_learners", "limit": 10}),
        ),
        ("search_messages_globally", json!({"query": "a"})),
    ];
    for (tool, args) in reads {
        let (err, v) = call(&client, tool, args.clone()).await;
        let text = serde_json::to_string(&v).unwrap();
        assert!(
            !text.contains('\u{202E}') && !text.contains('\u{0000}') && !text.contains('\u{1B}'),
            "{tool} {args}: control or bidi characters leaked"
        );
        if err {
            assert_eq!(v["ok"], false, "{tool}: {v}");
        }
    }
    let (err, v) = call(&client, "get_messages", json!({"chat_id": "me"})).await;
    assert!(!err, "still serving: {v}");
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn reliability_entities_past_the_text_end_and_badly_nested_do_not_panic() {
    let mut world: Value = testkit::world::sample_json();
    world["messages"][0]["text"] = json!("short");
    world["messages"][0]["entities"] = json!([
        {"type": "bold", "offset": 3, "length": 500},
        {"type": "italic", "offset": 1000, "length": 5},
        {"type": "text_url", "offset": 0, "length": 2, "url": "\u{202E}javascript:alert(1)"},
        {"type": "code", "offset": 2, "length": 1},
        {"type": "mention_name", "offset": 4, "length": 2147483647, "user_id": 999}
    ]);
    let h = Harness::with(World::from_json(world).unwrap(), true).await;
    let client = h.client().await;
    let (err, v) = call(
        &client,
        "get_messages",
        json!({"chat_id": "1001", "message_ids": [1]}),
    )
    .await;
    if err {
        assert_eq!(v["ok"], false, "{v}");
    } else {
        assert_eq!(v["messages"][0]["text"], "short", "{v}");
    }
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn reliability_a_not_signed_in_world_never_crashes() {
    let h = Harness::with(sample_world(), false).await;
    let client = h.client().await;
    every_tool_asks_for_authentication(&client).await;
    client.cancel().await.unwrap();
}

// ---------------------------------------------------------------------------------------
// Property tests of the parsers, in process: no panic, always a value or an error.
// ---------------------------------------------------------------------------------------

mod parsers {
    use fast_mcp_telegram::format::{self, ParseMode};
    use fast_mcp_telegram::telegram::chat_ref;
    use fast_mcp_telegram::tools::dates::{self, Edge};
    use proptest::prelude::*;

    /// Text biased towards the syntax the parsers look for.
    fn markup() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            Just("**".to_string()),
            Just("__".to_string()),
            Just("~~".to_string()),
            Just("||".to_string()),
            Just("`".to_string()),
            Just("```".to_string()),
            Just("[".to_string()),
            Just("](".to_string()),
            Just(")".to_string()),
            Just("<b>".to_string()),
            Just("</b>".to_string()),
            Just("<a href=\"".to_string()),
            Just("</a>".to_string()),
            Just("<pre><code class=\"language-".to_string()),
            Just("</code></pre>".to_string()),
            Just("<tg-spoiler>".to_string()),
            Just("<blockquote expandable>".to_string()),
            Just("&lt;&amp;&#x1F980;&#99999999;&".to_string()),
            Just("<br>".to_string()),
            Just("🦀".to_string()),
            Just("\u{202E}\u{200B}\u{0000}".to_string()),
            "\\PC{0,8}",
            "[ a-z\n]{0,6}",
        ];
        proptest::collection::vec(piece, 0..24).prop_map(|v| v.concat())
    }

    fn assert_entities_fit(source: &str, mode: ParseMode) {
        let formatted = format::format(source, mode);
        let len = format::utf16_len(&formatted.text) as i64;
        for entity in &formatted.entities {
            let (offset, length) = format::span(entity);
            let (offset, length) = (i64::from(offset), i64::from(length));
            assert!(
                offset >= 0 && length > 0 && offset + length <= len,
                "{mode:?} {source:?}: entity {entity:?} outside the {len}-unit text {:?}",
                formatted.text
            );
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn reliability_chat_ids_parse_or_explain(input in "\\PC{0,40}|[-+@0-9a-z_./:]{0,40}") {
            if let Err(why) = chat_ref::parse(&input) {
                prop_assert!(!why.is_empty());
            }
        }

        #[test]
        fn reliability_numeric_chat_ids_never_overflow(n in any::<i64>(), prefix in "(|-|-100|\\+|t\\.me/c/)") {
            let _ = chat_ref::parse(&format!("{prefix}{n}"));
            let _ = chat_ref::parse(&format!("{prefix}{n}{n}"));
        }

        #[test]
        fn reliability_dates_parse_or_explain(
            input in "\\PC{0,32}|[-+0-9:TZ. ]{0,32}|[0-9]{1,6}-[0-9]{1,3}-[0-9]{1,3}(T[0-9]{1,2}:[0-9]{1,2}(:[0-9]{1,2})?)?",
            other in "[0-9]{4}-[0-9]{2}-[0-9]{2}",
        ) {
            for edge in [Edge::Start, Edge::End] {
                if let Err(why) = dates::parse("min_date", &input, edge) {
                    prop_assert!(why.contains("min_date"), "{why}");
                }
            }
            let _ = dates::window(Some(&input), Some(&other));
            let _ = dates::window(Some(&other), Some(&input));
        }

        #[test]
        fn reliability_formatting_never_panics_and_entities_fit_the_text(source in markup()) {
            for mode in [ParseMode::Markdown, ParseMode::Html, ParseMode::Auto, ParseMode::Rich] {
                assert_entities_fit(&source, mode);
            }
        }

        #[test]
        fn reliability_formatting_of_any_text_never_panics(source in "\\PC{0,200}") {
            for mode in [ParseMode::Markdown, ParseMode::Html, ParseMode::Auto] {
                assert_entities_fit(&source, mode);
            }
        }
    }
}

#[tokio::test]
async fn reliability_a_second_flood_wait_in_a_row_is_returned_not_slept() {
    let (h, client) = Harness::warmed_up().await;
    h.dc.clear_requests_and_inject(
        FaultRule::on("messages.getHistory", FaultAction::FloodWait(1)).times(2),
    );
    let (err, v) = call(
        &client,
        "get_messages",
        json!({"chat_id": "1001", "limit": 1}),
    )
    .await;
    assert!(err, "slept once, then gave up: {v}");
    assert_eq!(v["retry_after_seconds"], 1, "{v}");
    assert_eq!(h.dc.count_of::<tl::functions::messages::GetHistory>(), 2);
    let (err, v) = call(
        &client,
        "get_messages",
        json!({"chat_id": "1001", "limit": 1}),
    )
    .await;
    assert!(!err, "{v}");
    client.cancel().await.unwrap();
}
