//! What the session knows is kept in memory in front of its file: a warm read of a chat
//! touches SQLite zero times and costs one Telegram request. The server logs how often it
//! went to the file (`session file use since start`, at debug) after every call.

use std::sync::{Arc, Mutex};

use grammers_tl_types as tl;
use serde_json::json;

use testkit::harness::{Client, Harness, call, spawn_collecting_stderr};
use testkit::wait::wait_until;

const USE_LINE: &str = "session file use since start";

/// The server with its stderr collected.
async fn server(h: &Harness) -> (Client, Arc<Mutex<String>>) {
    spawn_collecting_stderr(h.command()).await
}

/// (reads, writes) of the session file after the `calls`-th call, from its log line.
async fn sqlite_use_after(stderr: &Arc<Mutex<String>>, calls: usize) -> (u64, u64) {
    let lines = || -> Vec<String> {
        let text = stderr.lock().unwrap();
        text.lines()
            .filter(|l| l.contains(USE_LINE))
            .map(str::to_string)
            .collect()
    };
    wait_until("the call's log line", || lines().len() >= calls).await;
    let line = lines()[calls - 1].clone();
    let field = |name: &str| -> u64 {
        let at = line.find(&format!("{name}=")).expect(name) + name.len() + 1;
        line[at..]
            .split(|c: char| !c.is_ascii_digit())
            .next()
            .and_then(|n| n.parse().ok())
            .expect("a count")
    };
    (field("sqlite_reads"), field("sqlite_writes"))
}

#[tokio::test]
async fn warm_reads_of_a_chat_touch_the_session_file_zero_times() {
    let h = Harness::signed_in().await;
    let (client, stderr) = server(&h).await;
    let read = |chat: &'static str| {
        let client = &client;
        async move {
            let (err, v) = call(client, "get_messages", json!({"chat_id": chat, "limit": 2})).await;
            assert!(!err, "{v}");
            assert_eq!(v["chat"]["id"], 1001, "{v}");
        }
    };
    // Cold: the name is resolved, the peers written, the signed-in user read once.
    read("@babbage").await;
    read("1001").await;
    let warm = sqlite_use_after(&stderr, 2).await;
    h.dc.clear_requests();
    for _ in 0..3 {
        read("@babbage").await;
        read("1001").await;
    }
    assert_eq!(
        sqlite_use_after(&stderr, 8).await,
        warm,
        "warm reads use no SQLite"
    );
    assert_eq!(h.dc.count_of::<tl::functions::messages::GetHistory>(), 6);
    assert_eq!(h.dc.requests().len(), 6, "{:?}", h.dc.request_names());
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn every_read_tool_called_again_touches_the_session_file_zero_times() {
    let h = Harness::signed_in().await;
    let (client, stderr) = server(&h).await;
    let calls = [
        (
            "get_messages",
            json!({"chat_id": "@rust_learners", "query": "rust"}),
        ),
        ("get_messages", json!({"chat_id": "me", "limit": 2})),
        ("get_chat_info", json!({"chat_id": "@engine_news"})),
        ("find_chats", json!({"query": "rust"})),
        ("find_chats", json!({"limit": 20})),
        ("search_messages_globally", json!({"query": "engine"})),
    ];
    for (tool, args) in &calls {
        let (err, v) = call(&client, tool, args.clone()).await;
        assert!(!err, "{tool}: {v}");
    }
    let warm = sqlite_use_after(&stderr, calls.len()).await;
    for (tool, args) in &calls {
        let (err, v) = call(&client, tool, args.clone()).await;
        assert!(!err, "{tool}: {v}");
    }
    assert_eq!(sqlite_use_after(&stderr, 2 * calls.len()).await, warm);
    client.cancel().await.unwrap();
}
