//! Datacenter moves: the loopback DC serves DC 2 and DC 4, each with its own authorization
//! (the account's key is signed in on DC 2 only; DC 4 learns the user from
//! `auth.importAuthorization`). A call answered `303 USER_MIGRATE_4` moves the session to DC 4
//! for good, `NETWORK_MIGRATE_4` sends that one request there, and a QR login redirected with
//! a 303 goes on in the DC it was sent to. The DC's record says which DC served what.

use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use grammers_session::Session;
use grammers_session::storages::SqliteSession;
use grammers_tl_types as tl;
use serde_json::{Value, json};
use tokio::io::AsyncReadExt;

use testkit::fake_dc::{DcOptions, FaultRule};
use testkit::harness::{Client, Harness, call, sample_world};
use testkit::world::Peer;

const SETUP: &str = env!("CARGO_BIN_EXE_fast-mcp-telegram-setup");
const ME: i64 = 1000;

/// A signed-in session on DC 2 of a DC that also serves DC 4.
async fn two_dcs() -> Harness {
    Harness::with_options(DcOptions {
        dc_ids: vec![2, 4],
        ..DcOptions::new(sample_world())
    })
    .await
}

async fn home_dc(h: &Harness) -> i32 {
    let session = SqliteSession::open(&h.session_file()).await.unwrap();
    session.home_dc_id().unwrap()
}

async fn history(client: &Client) -> Value {
    let (err, v) = call(
        client,
        "get_messages",
        json!({"chat_id": "1001", "limit": 2}),
    )
    .await;
    assert!(!err, "{v}");
    assert_eq!(v["messages"].as_array().unwrap().len(), 2, "{v}");
    v
}

/// The DCs that received requests named `name`, in order.
fn served(h: &Harness, name: &str) -> Vec<i32> {
    h.dc.requests_by_dc()
        .into_iter()
        .filter(|(_, n)| n == name)
        .map(|(dc, _)| dc)
        .collect()
}

/// The DCs that received any request, without repeats.
fn dcs_used(h: &Harness) -> Vec<i32> {
    let mut dcs: Vec<i32> =
        h.dc.requests_by_dc()
            .into_iter()
            .map(|(dc, _)| dc)
            .collect();
    dcs.sort();
    dcs.dedup();
    dcs
}

#[tokio::test]
async fn a_call_answered_user_migrate_moves_the_session_and_the_next_start_goes_there() {
    let h = two_dcs().await;
    let client = h.client().await;
    history(&client).await;
    assert_eq!(dcs_used(&h), [2]);
    assert_eq!(
        h.dc.signed_in_on(4),
        None,
        "DC 4 does not know the user yet"
    );

    // The account moves: DC 2 now answers USER_MIGRATE_4 to everything signed in.
    h.dc.move_account(4);
    h.dc.clear_requests();
    history(&client).await;
    assert_eq!(
        served(&h, "messages.getHistory"),
        [2, 4, 4],
        "{:?}",
        h.dc.requests_by_dc()
    );
    assert_eq!(served(&h, "auth.exportAuthorization"), [2]);
    assert_eq!(served(&h, "auth.importAuthorization"), [4]);
    assert_eq!(h.dc.signed_in_on(4), Some(ME));

    // The next call goes straight to DC 4.
    h.dc.clear_requests();
    history(&client).await;
    assert_eq!(dcs_used(&h), [4], "{:?}", h.dc.requests_by_dc());
    client.cancel().await.unwrap();
    assert_eq!(
        home_dc(&h).await,
        4,
        "the session file records the new home"
    );

    // A new server starts in DC 4: DC 2 is never asked again.
    h.dc.clear_requests();
    let client = h.client().await;
    history(&client).await;
    assert_eq!(dcs_used(&h), [4], "{:?}", h.dc.requests_by_dc());
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn a_send_answered_user_migrate_is_posted_once_in_the_new_dc() {
    let h = two_dcs().await;
    let client = h.client().await;
    history(&client).await;
    let before = h.dc.world().history(Peer::User(1001)).count();
    h.dc.clear_requests_and_inject(
        FaultRule::on(
            "messages.sendMessage",
            FaultRule::error(303, "USER_MIGRATE_4"),
        )
        .times(1),
    );
    let (err, v) = call(
        &client,
        "send_message",
        json!({"chat_id": "@babbage", "message": "from DC 4"}),
    )
    .await;
    assert!(!err, "{v}");
    assert_eq!(v["status"], "sent", "{v}");
    // DC 2 redirected; DC 4 refused the unknown key, was given the authorization, and posted.
    assert_eq!(served(&h, "messages.sendMessage"), [2, 4, 4]);
    let sends = h.dc.requests_of::<tl::functions::messages::SendMessage>();
    assert!(sends.iter().all(|s| s.random_id == sends[0].random_id));
    assert_eq!(h.dc.world().history(Peer::User(1001)).count(), before + 1);
    client.cancel().await.unwrap();
    assert_eq!(home_dc(&h).await, 4);
}

#[tokio::test]
async fn moving_to_a_dc_already_signed_in_copies_nothing() {
    let h = two_dcs().await;
    h.dc.sign_in_on(4);
    let client = h.client().await;
    history(&client).await;
    h.dc.move_account(4);
    h.dc.clear_requests();
    history(&client).await;
    assert_eq!(served(&h, "messages.getHistory"), [2, 4]);
    assert!(served(&h, "auth.exportAuthorization").is_empty());
    client.cancel().await.unwrap();
    assert_eq!(home_dc(&h).await, 4);
}

#[tokio::test]
async fn network_migrate_sends_that_request_elsewhere_and_keeps_the_home() {
    let h = two_dcs().await;
    let client = h.client().await;
    history(&client).await;
    h.dc.clear_requests_and_inject(
        FaultRule::on(
            "messages.getHistory",
            FaultRule::error(303, "NETWORK_MIGRATE_4"),
        )
        .times(1),
    );
    history(&client).await;
    assert_eq!(
        served(&h, "messages.getHistory"),
        [2, 4, 4],
        "{:?}",
        h.dc.requests_by_dc()
    );
    assert_eq!(served(&h, "auth.exportAuthorization"), [2]);
    assert_eq!(served(&h, "auth.importAuthorization"), [4]);
    // The next call is served at home again.
    h.dc.clear_requests();
    history(&client).await;
    assert_eq!(dcs_used(&h), [2], "{:?}", h.dc.requests_by_dc());
    client.cancel().await.unwrap();
    assert_eq!(home_dc(&h).await, 2, "the home DC stays");
}

#[tokio::test]
async fn a_redirection_that_goes_nowhere_answers_retry() {
    let h = two_dcs().await;
    let client = h.client().await;
    history(&client).await;
    h.dc.clear_requests();
    // Every getHistory, wherever it goes, is sent elsewhere: one redirection is followed.
    h.dc.inject(FaultRule::on(
        "messages.getHistory",
        FaultRule::error(303, "NETWORK_MIGRATE_4"),
    ));
    let (err, v) = call(
        &client,
        "get_messages",
        json!({"chat_id": "1001", "limit": 2}),
    )
    .await;
    assert!(err);
    assert_eq!(v["action"], "retry", "{v}");
    assert!(served(&h, "messages.getHistory").len() <= 3);
    h.dc.clear_faults();
    history(&client).await;
    client.cancel().await.unwrap();
}

// ---------------------------------------------------------------------------------------
// QR login sent to another DC
// ---------------------------------------------------------------------------------------

const LINK: &str = "tg://login?token=";

/// What a stream printed so far, collected in the background.
fn collect(mut from: impl tokio::io::AsyncRead + Unpin + Send + 'static) -> Arc<Mutex<String>> {
    let text = Arc::new(Mutex::new(String::new()));
    let sink = Arc::clone(&text);
    tokio::spawn(async move {
        let mut bytes = Vec::new();
        let mut buf = [0u8; 4096];
        while let Ok(n) = from.read(&mut buf).await {
            if n == 0 {
                break;
            }
            bytes.extend_from_slice(&buf[..n]);
            *sink.lock().unwrap() = String::from_utf8_lossy(&bytes).into_owned();
        }
    });
    text
}

fn first_token(text: &str) -> Option<Vec<u8>> {
    let at = text.find(LINK)? + LINK.len();
    let encoded: String = text[at..]
        .chars()
        .take_while(|c| !c.is_whitespace())
        .collect();
    URL_SAFE_NO_PAD.decode(encoded).ok()
}

#[tokio::test]
async fn qr_login_redirected_by_a_303_goes_on_in_that_dc() {
    let h = Harness::with_options(DcOptions {
        signed_in: false,
        dc_ids: vec![2, 4],
        ..DcOptions::new(sample_world())
    })
    .await;
    h.dc.inject(
        FaultRule::on(
            "auth.exportLoginToken",
            FaultRule::error(303, "NETWORK_MIGRATE_4"),
        )
        .times(1),
    );
    let mut cmd = h.command_for(SETUP);
    cmd.arg("--qr")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let stdout = collect(child.stdout.take().unwrap());
    let stderr = collect(child.stderr.take().unwrap());
    let token = tokio::time::timeout(Duration::from_secs(60), async {
        loop {
            if let Some(token) = first_token(&stderr.lock().unwrap()) {
                return token;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("no login link; stderr:\n{}", stderr.lock().unwrap()));
    h.dc.accept_login_token(&token).unwrap();
    let status = tokio::time::timeout(Duration::from_secs(60), child.wait())
        .await
        .expect("setup finishes")
        .unwrap();
    let err = stderr.lock().unwrap().clone();
    assert_eq!(status.code(), Some(0), "{err}");
    assert!(
        stdout
            .lock()
            .unwrap()
            .contains("Signed in as user Ada Lovelace"),
        "{err}"
    );
    let exports = served(&h, "auth.exportLoginToken");
    assert_eq!(exports[0], 2, "{exports:?}");
    assert!(exports[1..].iter().all(|dc| *dc == 4), "{exports:?}");
    assert_eq!(h.dc.signed_in_on(4), Some(ME));
    assert_eq!(h.dc.signed_in_on(2), None);
    assert_eq!(home_dc(&h).await, 4);
    let client = h.client().await;
    history(&client).await;
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn a_server_started_after_the_account_moved_follows_it_at_first_contact() {
    let h = two_dcs().await;
    // The account moves while no server runs: the session still names DC 2.
    h.dc.move_account(4);
    let client = h.client().await;
    // No tool call: the first contact alone (users.getUsers for the self user) must follow the
    // move, sign DC 4 in and record the new home.
    let mut moved = false;
    for _ in 0..200 {
        if h.dc.signed_in_on(4) == Some(ME) && served(&h, "users.getUsers").contains(&4) {
            moved = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert!(moved, "{:?}", h.dc.requests_by_dc());
    assert_eq!(served(&h, "auth.importAuthorization"), [4]);
    // The first call is served in DC 4 at once, with no redirection left to follow.
    h.dc.clear_requests();
    history(&client).await;
    assert_eq!(dcs_used(&h), [4], "{:?}", h.dc.requests_by_dc());
    client.cancel().await.unwrap();
    assert_eq!(home_dc(&h).await, 4);
}
