//! A server killed with SIGKILL in the middle of sends: the next start recovers whatever the kill
//! left in the session file by itself, and the file keeps its home DC and its user.

use grammers_session::Session;
use grammers_session::storages::SqliteSession;
use grammers_tl_types as tl;
use serde_json::json;

use testkit::harness::{Harness, call, spawn};
use testkit::raw_client::RawClient;
use testkit::wait::wait_until;

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
