//! Black holes: connections that go dead without a word, as after a laptop's sleep or a change
//! of network. What the grammers client does about them on its own (nothing: it waits for the
//! kernel), and what the DC's black hole looks like from the client's side: no answer, no
//! error, no close. The hang checks wait a short while for an answer that must not come; a
//! slow machine cannot make them fail.

use std::sync::Arc;
use std::time::Duration;

use grammers_client::Client;
use grammers_client::sender::{ConnectionParams, NoRetries, SenderPool, SenderPoolHandle};
use grammers_session::storages::SqliteSession;
use grammers_tl_types as tl;
use tempfile::TempDir;

use crate::client::sample_world;
use testkit::fake_dc::{FakeDc, FaultAction, FaultRule};
use testkit::seed::seed_session;

/// How long a request is given to show it hangs.
const HANG: Duration = Duration::from_millis(1500);

/// Bound for what must happen (a hang guard, not a speed check).
const GUARD: Duration = Duration::from_secs(20);

/// A grammers client whose pool can be told to drop a DC's connection, or replaced.
struct Pooled {
    client: Client,
    handle: SenderPoolHandle,
    session: Arc<SqliteSession>,
    runner: tokio::task::JoinHandle<()>,
    _dir: TempDir,
}

impl Drop for Pooled {
    fn drop(&mut self) {
        self.runner.abort();
    }
}

impl Pooled {
    async fn connect(dc: &FakeDc) -> Pooled {
        let dir = TempDir::new().unwrap();
        let path = dir.path().join("test.session");
        seed_session(&path, dc, true).await.unwrap();
        let session = Arc::new(SqliteSession::open(&path).await.unwrap());
        let (client, handle, runner) = pool(&session);
        Pooled {
            client,
            handle,
            session,
            runner,
            _dir: dir,
        }
    }

    /// Drops the whole pool (its runner, and every connection with it) and starts a new one on
    /// the same session.
    fn replace_pool(&mut self) {
        self.runner.abort();
        let (client, handle, runner) = pool(&self.session);
        self.client = client;
        self.handle = handle;
        self.runner = runner;
    }
}

fn pool(session: &Arc<SqliteSession>) -> (Client, SenderPoolHandle, tokio::task::JoinHandle<()>) {
    let params = ConnectionParams {
        retry_policy: Box::new(NoRetries),
        ..Default::default()
    };
    let pool = SenderPool::with_configuration(Arc::clone(session), 12345, params);
    let handle = pool.handle.thin.clone();
    let client = Client::new(pool.handle);
    (client, handle, tokio::spawn(pool.runner.run()))
}

async fn self_id(client: &Client) -> i64 {
    tokio::time::timeout(GUARD, client.get_me())
        .await
        .expect("an answer, not a hang")
        .expect("get_me succeeds")
        .id()
        .bare_id_unchecked()
}

/// The connection the last recorded request came on.
fn last_connection(dc: &FakeDc) -> u64 {
    dc.requests().last().expect("a request").connection
}

#[tokio::test]
async fn a_black_holed_connection_answers_nothing_and_grammers_waits_on_it() {
    let dc = FakeDc::start(sample_world()).unwrap();
    let mut pc = Pooled::connect(&dc).await;
    assert_eq!(self_id(&pc.client).await, 1000);
    assert_eq!(last_connection(&dc), 1);

    dc.black_hole_open_connections();
    // No answer and no error: the connection is neither answered nor closed, and grammers
    // has no deadline of its own (its pings every 60 s expect no pong).
    let waited = tokio::time::timeout(HANG, pc.client.get_me()).await;
    assert!(waited.is_err(), "no answer and no error: {waited:?}");
    let waited =
        tokio::time::timeout(HANG, pc.client.invoke(&tl::functions::Ping { ping_id: 7 })).await;
    assert!(waited.is_err(), "a ping is not answered either: {waited:?}");
    assert_eq!(dc.connections_accepted(), 1, "grammers did not reconnect");

    // Dropping the DC's connection is what gets the client going again: the next request
    // opens a new connection, which works.
    assert!(pc.handle.disconnect_from_dc(2));
    assert_eq!(self_id(&pc.client).await, 1000);
    assert_eq!(dc.connections_accepted(), 2);
    assert_eq!(last_connection(&dc), 2, "answered on a new connection");
    pc.replace_pool();
}

#[tokio::test]
async fn a_connection_dead_on_arrival_stalls_the_whole_pool_until_it_is_replaced() {
    let dc = FakeDc::start(sample_world()).unwrap();
    dc.black_hole(true);
    let mut pc = Pooled::connect(&dc).await;
    // The pool connects on demand: TCP is accepted, `initConnection` is never answered, and
    // the pool's runner waits for it before it reads any other request.
    let waited = tokio::time::timeout(HANG, pc.client.get_me()).await;
    assert!(waited.is_err(), "connecting hangs: {waited:?}");
    assert_eq!(dc.connections_accepted(), 1);
    assert!(dc.requests().is_empty(), "nothing was read");

    // Not even a disconnect gets through to a runner stuck connecting, nor does a healed
    // network help the connection already dead.
    dc.black_hole(false);
    pc.handle.disconnect_from_dc(2);
    let waited = tokio::time::timeout(HANG, pc.client.get_me()).await;
    assert!(waited.is_err(), "the stuck pool stays stuck: {waited:?}");
    assert_eq!(dc.connections_accepted(), 1, "no new connection was tried");

    // A new pool on the same session connects and is answered.
    pc.replace_pool();
    assert_eq!(self_id(&pc.client).await, 1000);
    assert_eq!(dc.connections_accepted(), 2);
    assert_eq!(last_connection(&dc), 2);
}

#[tokio::test]
async fn a_black_hole_fault_swallows_its_request_and_kills_its_connection() {
    let dc = FakeDc::start(sample_world()).unwrap();
    let pc = Pooled::connect(&dc).await;
    assert_eq!(self_id(&pc.client).await, 1000);
    dc.inject(FaultRule::on("users.getUsers", FaultAction::BlackHole).times(1));
    let waited = tokio::time::timeout(HANG, pc.client.get_me()).await;
    assert!(waited.is_err(), "never answered: {waited:?}");
    assert_eq!(
        dc.count_of::<tl::functions::users::GetUsers>(),
        2,
        "the request reached the DC"
    );
    // The rule is spent, but its connection stays dead.
    let waited = tokio::time::timeout(HANG, pc.client.get_me()).await;
    assert!(waited.is_err(), "the connection is dead: {waited:?}");
    assert_eq!(
        dc.count_of::<tl::functions::users::GetUsers>(),
        2,
        "nothing more was read from it"
    );
    pc.handle.disconnect_from_dc(2);
    assert_eq!(self_id(&pc.client).await, 1000);
    assert_eq!(last_connection(&dc), 2);
}

#[tokio::test]
async fn dropping_connections_closes_dead_ones_too() {
    let dc = FakeDc::start(sample_world()).unwrap();
    let pc = Pooled::connect(&dc).await;
    assert_eq!(self_id(&pc.client).await, 1000);
    dc.black_hole_open_connections();
    let pending = {
        let client = pc.client.clone();
        tokio::spawn(async move { client.get_me().await })
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    dc.drop_connections();
    // Closed, the connection fails its request at once (this client never retries).
    let answer = tokio::time::timeout(GUARD, pending)
        .await
        .expect("the close is noticed")
        .unwrap();
    assert!(answer.is_err(), "the request failed with the connection");
    assert_eq!(self_id(&pc.client).await, 1000);
    assert_eq!(last_connection(&dc), 2);
}

#[tokio::test]
async fn a_connection_closed_after_its_handshake_fails_what_was_queued_for_it_as_dropped() {
    use fast_mcp_telegram::telegram::retry::QUEUED_ON_A_DROPPED_CONNECTION;
    use grammers_client::InvocationError;

    let dc = FakeDc::start(sample_world()).unwrap();
    let pc = Pooled::connect(&dc).await;
    assert_eq!(self_id(&pc.client).await, 1000);
    // grammers routes each request into its connection's queue, and a connection that closes
    // fails only what its sender holds (as I/O); the rest is dropped unsent. Which requests
    // are where is a race inside grammers: each round is one more chance at both.
    let mut queued_and_dropped = 0;
    for round in 0..20 {
        dc.inject(FaultRule::on("help.getConfig", FaultAction::DropAfterAnswer).times(1));
        // The connection closes; the next one is made for these requests, answers
        // `initConnection` and closes.
        assert!(pc.handle.disconnect_from_dc(2));
        let answers = futures::future::join_all((0..4).map(|_| pc.client.get_me())).await;
        assert!(
            answers[0].is_err(),
            "round {round}: the first went to the closed one"
        );
        for answer in answers {
            match answer {
                // After the close, on the next connection.
                Ok(me) => assert_eq!(me.id().bare_id_unchecked(), 1000),
                Err(InvocationError::Io(_)) => {}
                Err(InvocationError::Dropped(why)) if why == QUEUED_ON_A_DROPPED_CONNECTION => {
                    queued_and_dropped += 1;
                }
                Err(e) => panic!("round {round}: {e}"),
            }
        }
        if queued_and_dropped > 0 {
            break;
        }
    }
    assert!(queued_and_dropped > 0, "a request still queued was dropped");
    assert_eq!(self_id(&pc.client).await, 1000, "the next request works");
}
