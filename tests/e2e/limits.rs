//! What hosts and users need around the tools: restart-safe sessions, read-only mode, a tool
//! allowlist, answers within a size budget, and a deadline on every call.

use std::process::Stdio;
use std::time::Duration;

use serde_json::{Value, json};

use testkit::fake_dc::{FaultAction, FaultRule};
use testkit::harness::{Harness, call, read_babbage, spawn};
use testkit::wait::wait_until;

async fn wait_for_lock_holder(h: &Harness, pid: u32) {
    wait_until(&format!("pid {pid} to hold the lock"), || {
        h.server_pid() == Some(pid)
    })
    .await;
}

#[tokio::test]
async fn a_new_server_started_while_the_old_one_exits_takes_over() {
    let h = Harness::signed_in().await;
    let old = h.client().await;
    let (err, _) = call(&old, "get_messages", json!({"chat_id": "me", "limit": 1})).await;
    assert!(!err);
    // The host starts the new process first; it waits for the session instead of failing.
    let mut new_cmd = h.command();
    new_cmd.env("SESSION_LOCK_WAIT_SECONDS", "20");
    let new = tokio::spawn(spawn(new_cmd));
    tokio::time::sleep(Duration::from_millis(300)).await;
    old.cancel().await.unwrap();
    let new = new.await.unwrap();
    let (err, v) = call(&new, "get_messages", json!({"chat_id": "me", "limit": 1})).await;
    assert!(!err, "{v}");
    new.cancel().await.unwrap();
}

#[tokio::test]
async fn a_lock_left_by_a_killed_server_is_taken_at_once() {
    let h = Harness::signed_in().await;
    let mut cmd = h.command();
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let mut killed = cmd.spawn().unwrap();
    wait_for_lock_holder(&h, killed.id().unwrap()).await;
    killed.kill().await.unwrap(); // SIGKILL: no clean-up at all
    let mut next = h.command();
    next.env("SESSION_LOCK_WAIT_SECONDS", "0");
    let client = spawn(next).await;
    let (err, v) = read_babbage(&client).await;
    assert!(!err, "{v}");
    client.cancel().await.unwrap();
}

async fn tool_names(cmd: tokio::process::Command) -> Vec<String> {
    let client = spawn(cmd).await;
    let tools = client.list_all_tools().await.unwrap();
    client.cancel().await.unwrap();
    let mut names: Vec<String> = tools.iter().map(|t| t.name.to_string()).collect();
    names.sort();
    names
}

#[tokio::test]
async fn read_only_mode_offers_only_tools_that_cannot_change_anything() {
    let h = Harness::signed_in().await;
    let mut all_cmd = h.command();
    all_cmd.env("SESSION_LOCK_WAIT_SECONDS", "10");
    let all = tool_names(all_cmd).await;
    let mut cmd = h.command();
    cmd.env("READ_ONLY", "true")
        .env("SESSION_LOCK_WAIT_SECONDS", "10");
    let client = spawn(cmd).await;
    let tools = client.list_all_tools().await.unwrap();
    assert!(!tools.is_empty());
    for tool in &tools {
        // invoke_mtproto stays listed and refuses every method that does not read; sign_in
        // stays listed (it writes the session file, nothing of the account's: see
        // `tools::sign_in`), annotated as what it is; get_media too (it may save a file,
        // it changes nothing in Telegram).
        if ["invoke_mtproto", "sign_in", "get_media"].contains(&tool.name.as_ref()) {
            continue;
        }
        let hint = tool.annotations.as_ref().and_then(|a| a.read_only_hint);
        assert_eq!(
            hint,
            Some(true),
            "{} is offered in read-only mode",
            tool.name
        );
    }
    for name in all.iter().filter(|n| !tools.iter().any(|t| t.name == **n)) {
        // Tools left out are not callable either.
        let result = client
            .call_tool(rmcp::model::CallToolRequestParams::new(name.clone()))
            .await;
        let refused = match result {
            Err(_) => true,
            Ok(r) => testkit::harness::result_value(&client, name, &r).await.0,
        };
        assert!(refused, "{name} refused in read-only mode");
    }
    client.cancel().await.unwrap();
    let mut flag = h.command();
    flag.arg("--read-only")
        .env("SESSION_LOCK_WAIT_SECONDS", "10");
    assert_eq!(tool_names(flag).await.len(), tools.len());
}

#[tokio::test]
async fn the_tools_allowlist_offers_exactly_those_tools() {
    let h = Harness::signed_in().await;
    let mut cmd = h.command();
    cmd.env("TOOLS", "get_messages, find_chats");
    assert_eq!(tool_names(cmd).await, vec!["find_chats", "get_messages"]);
    let mut bad = h.command();
    bad.env("TOOLS", "get_messages,teleport")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let out = bad.output().await.unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("\"teleport\""));
}

fn ids(v: &Value) -> Vec<i64> {
    v["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_i64().unwrap())
        .collect()
}

#[tokio::test]
async fn an_answer_cut_at_the_budget_continues_without_loss_or_repetition() {
    let h = Harness::signed_in().await;
    let client = h.client().await;
    let (_, full) = call(
        &client,
        "get_messages",
        json!({"chat_id": "@rust_learners", "limit": 100}),
    )
    .await;
    let everything = ids(&full);
    client.cancel().await.unwrap();

    let mut cmd = h.command();
    cmd.env("MAX_RESPONSE_CHARS", "2000");
    let client = spawn(cmd).await;
    let mut paged = Vec::new();
    let mut offset: Option<i64> = None;
    let mut cut_seen = false;
    for _ in 0..20 {
        let mut args = json!({"chat_id": "@rust_learners", "limit": 100});
        if let Some(o) = offset {
            args["offset_id"] = json!(o);
        }
        let (err, v) = call(&client, "get_messages", args).await;
        assert!(!err, "{v}");
        assert!(
            serde_json::to_string(&v).unwrap().len() <= 2000 + 1000,
            "within the budget"
        );
        cut_seen |= v["truncated"] == true;
        paged.extend(ids(&v));
        match v["next_offset_id"].as_i64() {
            Some(o) => offset = Some(o),
            None => break,
        }
    }
    assert!(cut_seen, "the budget cut at least one answer");
    assert_eq!(paged, everything);
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn long_texts_are_clipped_with_their_full_length() {
    let mut world: Value = testkit::world::sample_json();
    world["messages"][0]["text"] = json!("é".repeat(9000));
    let h = Harness::with(testkit::world::World::from_json(world).unwrap(), true).await;
    let client = h.client().await;
    let (_, v) = call(
        &client,
        "get_messages",
        json!({"chat_id": "1001", "message_ids": [1]}),
    )
    .await;
    let message = &v["messages"][0];
    assert_eq!(message["text_length"], 9000);
    assert!(
        message["text"]
            .as_str()
            .unwrap()
            .contains("[clipped: 9000 characters in all]")
    );
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn a_silent_telegram_hits_the_deadline_and_answers_retry() {
    let h = Harness::signed_in().await;
    let mut cmd = h.command();
    cmd.env("CALL_TIMEOUT_SECONDS", "2");
    let client = spawn(cmd).await;
    let (err, _) = read_babbage(&client).await;
    assert!(!err, "connected first");
    h.dc.inject(FaultRule::on("messages.getHistory", FaultAction::Silent));
    let (err, v) = read_babbage(&client).await;
    assert!(err);
    assert_eq!(v["action"], "retry", "{v}");
    assert!(
        v["error"]
            .as_str()
            .unwrap()
            .contains("did not finish within 2 s"),
        "{v}"
    );
    // The server keeps serving.
    h.dc.clear_faults();
    let (err, _) = read_babbage(&client).await;
    assert!(!err);
    client.cancel().await.unwrap();
}
