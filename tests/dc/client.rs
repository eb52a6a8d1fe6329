//! The real grammers client against the loopback DC.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use grammers_client::Client;
use grammers_client::sender::{ConnectionParams, NoRetries, SenderPool};
use grammers_session::storages::SqliteSession;
use grammers_tl_types as tl;
use tempfile::TempDir;

use testkit::fake_dc::{FakeDc, FaultAction, FaultRule};
use testkit::seed::seed_session;
use testkit::world::World;

pub fn sample_world() -> World {
    World::load(&testkit::world::sample_path()).expect("sample world loads")
}

/// A grammers client on a freshly seeded session, with its sender pool running.
pub struct TestClient {
    pub client: Client,
    pub session_path: PathBuf,
    /// What the DC pushed (read it or not: a full channel only drops updates).
    pub updates: tokio::sync::mpsc::Receiver<grammers_session::updates::UpdatesLike>,
    _dir: TempDir,
    runner: tokio::task::JoinHandle<()>,
}

impl Drop for TestClient {
    fn drop(&mut self) {
        self.runner.abort();
    }
}

pub async fn connect(dc: &FakeDc, signed_in: bool) -> TestClient {
    let dir = TempDir::new().unwrap();
    let session_path = dir.path().join("test.session");
    seed_session(&session_path, dc, signed_in).await.unwrap();
    let session = Arc::new(SqliteSession::open(&session_path).await.unwrap());
    let params = ConnectionParams {
        retry_policy: Box::new(NoRetries),
        ..Default::default()
    };
    let pool = SenderPool::with_configuration(session, 12345, params);
    let client = Client::new(pool.handle);
    let runner = tokio::spawn(pool.runner.run());
    TestClient {
        client,
        session_path,
        updates: pool.updates,
        _dir: dir,
        runner,
    }
}

#[tokio::test]
async fn signed_in_startup_knows_the_self_user() {
    let dc = FakeDc::start(sample_world()).unwrap();
    let tc = connect(&dc, true).await;
    assert!(tc.client.is_authorized().await.unwrap());
    let me = tc.client.get_me().await.unwrap();
    assert_eq!(me.id().bare_id_unchecked(), 1000);
    assert_eq!(me.username(), Some("ada"));
    let names = dc.request_names();
    assert_eq!(
        names[0], "help.getConfig",
        "first call is initConnection(help.getConfig)"
    );
    assert!(names.contains(&"updates.getState".to_string()));
    assert!(names.contains(&"users.getUsers".to_string()));
    assert_eq!(dc.requests()[0].layer, Some(tl::LAYER));
}

#[tokio::test]
async fn session_keeps_pointing_at_the_loopback_dc() {
    let dc = FakeDc::start(sample_world()).unwrap();
    let tc = connect(&dc, true).await;
    tc.client.get_me().await.unwrap();
    drop(tc.client.clone());
    use grammers_session::Session;
    let session = SqliteSession::open(&tc.session_path).await.unwrap();
    let option = session.dc_option(2).unwrap().unwrap();
    assert_eq!(option.ipv4.port(), dc.port());
    assert!(option.ipv4.ip().is_loopback());
}

#[tokio::test]
async fn not_signed_in_is_unauthorized() {
    let dc = FakeDc::start_with({
        let mut o = testkit::fake_dc::DcOptions::new(sample_world());
        o.signed_in = false;
        o
    })
    .unwrap();
    let tc = connect(&dc, false).await;
    assert!(!tc.client.is_authorized().await.unwrap());
    let err = tc.client.get_me().await.unwrap_err();
    assert!(err.to_string().contains("AUTH_KEY_UNREGISTERED"), "{err}");
}

#[tokio::test]
async fn history_comes_newest_first_with_total_count() {
    let dc = FakeDc::start(sample_world()).unwrap();
    let tc = connect(&dc, true).await;
    let mut iter = tc.client.iter_messages(resolved_user(&dc, 1001)).limit(4);
    assert_eq!(iter.total().await.unwrap(), 6);
    let mut ids = Vec::new();
    while let Some(m) = iter.next().await.unwrap() {
        ids.push(m.id());
    }
    assert_eq!(ids, vec![6, 5, 4, 3]);
    let req = &dc.requests_of::<tl::functions::messages::GetHistory>()[0];
    assert!(matches!(req.peer, tl::enums::InputPeer::User(_)));
}

pub fn resolved_user(dc: &FakeDc, id: i64) -> grammers_session::types::PeerRef {
    let hash = dc.world().access_hash(testkit::world::Peer::User(id));
    grammers_session::types::PeerRef {
        id: grammers_session::types::PeerId::user(id).unwrap(),
        auth: grammers_session::types::PeerAuth::from_hash(hash),
    }
}

#[tokio::test]
async fn search_in_chat_filters_and_counts() {
    let dc = FakeDc::start(sample_world()).unwrap();
    let tc = connect(&dc, true).await;
    let peer = resolved_user(&dc, 1001);
    let mut iter = tc.client.search_messages(peer).query("engine");
    assert_eq!(iter.total().await.unwrap(), 2);
    let mut texts = Vec::new();
    while let Some(m) = iter.next().await.unwrap() {
        texts.push(m.text().to_string());
    }
    assert_eq!(
        texts,
        vec![
            "Engine diagram",
            "Good morning Ada! Did you read the notes on the engine?"
        ]
    );
    let voice = tc
        .client
        .search_messages(peer)
        .filter(tl::enums::MessagesFilter::InputMessagesFilterVoice)
        .total()
        .await
        .unwrap();
    assert_eq!(voice, 1);
}

#[tokio::test]
async fn sending_stores_the_message_once() {
    let dc = FakeDc::start(sample_world()).unwrap();
    let tc = connect(&dc, true).await;
    let peer = resolved_user(&dc, 1001);
    let sent = tc
        .client
        .send_message(peer, "Hello from the test")
        .await
        .unwrap();
    assert_eq!(sent.text(), "Hello from the test");
    assert_eq!(
        sent.id(),
        16,
        "private chats continue the account-wide id sequence"
    );
    let world = dc.world();
    let stored = world.message(testkit::world::Peer::User(1001), 16).unwrap();
    assert_eq!(stored.text, "Hello from the test");
    assert!(stored.out);
}

#[tokio::test]
async fn rpc_error_surfaces_as_rpc_error() {
    let dc = FakeDc::start(sample_world()).unwrap();
    let tc = connect(&dc, true).await;
    tc.client.get_me().await.unwrap();
    dc.inject(
        FaultRule::on(
            "messages.getHistory",
            FaultRule::error(400, "CHAT_RESTRICTED"),
        )
        .times(1),
    );
    let peer = resolved_user(&dc, 1001);
    let err = tc.client.iter_messages(peer).next().await.unwrap_err();
    match err {
        grammers_client::InvocationError::Rpc(rpc) => {
            assert_eq!(rpc.code, 400);
            assert_eq!(rpc.name, "CHAT_RESTRICTED");
        }
        other => panic!("expected an RPC error, got {other}"),
    }
    // The rule fired once; the next call is answered normally.
    assert!(
        tc.client
            .iter_messages(peer)
            .next()
            .await
            .unwrap()
            .is_some()
    );
}

#[tokio::test]
async fn flood_wait_carries_its_seconds() {
    let dc = FakeDc::start(sample_world()).unwrap();
    let tc = connect(&dc, true).await;
    dc.inject(FaultRule::on("users.getUsers", FaultAction::FloodWait(33)).times(1));
    let err = tc.client.get_me().await.unwrap_err();
    match err {
        grammers_client::InvocationError::Rpc(rpc) => {
            assert_eq!(rpc.code, 420);
            assert_eq!(rpc.name, "FLOOD_WAIT");
            assert_eq!(rpc.value, Some(33));
        }
        other => panic!("expected a flood wait, got {other}"),
    }
}

#[tokio::test]
async fn dropped_connection_is_survived_by_the_next_call() {
    let dc = FakeDc::start(sample_world()).unwrap();
    let tc = connect(&dc, true).await;
    tc.client.get_me().await.unwrap();
    assert_eq!(dc.connections_accepted(), 1);
    dc.inject(FaultRule::on("users.getUsers", FaultAction::Drop).times(1));
    // The call in flight fails or is retried transparently; either way the client lives on.
    let _ = tokio::time::timeout(Duration::from_secs(10), tc.client.get_me()).await;
    let me = tokio::time::timeout(Duration::from_secs(10), tc.client.get_me())
        .await
        .expect("no hang after a drop")
        .unwrap();
    assert_eq!(me.id().bare_id_unchecked(), 1000);
    assert!(dc.connections_accepted() >= 2, "the client reconnected");
}

#[tokio::test]
async fn revoked_authorization_answers_401() {
    let dc = FakeDc::start(sample_world()).unwrap();
    let tc = connect(&dc, true).await;
    tc.client.get_me().await.unwrap();
    dc.revoke_authorization();
    let err = tc.client.get_me().await.unwrap_err();
    assert!(err.to_string().contains("AUTH_KEY_UNREGISTERED"), "{err}");
}

#[tokio::test]
async fn unknown_method_is_an_rpc_error_not_a_hang() {
    let dc = FakeDc::start(sample_world()).unwrap();
    let tc = connect(&dc, true).await;
    let err = tokio::time::timeout(
        Duration::from_secs(10),
        tc.client.invoke(&tl::functions::stickers::CheckShortName {
            short_name: "x".into(),
        }),
    )
    .await
    .expect("answered")
    .unwrap_err();
    assert!(err.to_string().contains("INPUT_METHOD_INVALID"), "{err}");
}
