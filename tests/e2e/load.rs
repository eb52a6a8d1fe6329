//! Load: many concurrent calls against a slow Telegram, and a soak of mixed calls under random
//! faults in which every call must be answered (a success or a structured error). The long soak
//! is ignored by default and prints the server's memory.

use std::time::Duration;

use serde_json::{Value, json};

use testkit::fake_dc::{FaultAction, FaultRule};
use testkit::harness::{Client, Harness, call, spawn, warm_up};
use testkit::process::rss_kb;

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
