//! A loopback Telegram datacenter: speaks real MTProto 2.0 over the "full" transport with a
//! pre-shared auth key, answers the API methods the server needs from a [`World`], records
//! every request and injects faults on demand. Test support only: never in release binaries.

pub mod arrivals;
mod conn;
pub mod crypto;
pub mod faults;
pub mod methods;
pub mod mtproto;
pub mod record;
pub mod srp;
pub mod transport;

use std::collections::{BTreeMap, HashMap};
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

use grammers_tl_types::{Deserializable, Identifiable};
use tokio::net::TcpListener;
use tokio::sync::watch;

#[allow(unused_imports)] // each test binary and example uses its own subset
pub use faults::{FaultAction, FaultRule};
pub use record::Recorded;

use crate::world::World;
use crypto::ServerKey;

/// How a DC starts.
pub struct DcOptions {
    pub world: World,
    /// The key shared with the session file; random when `None`.
    pub auth_key: Option<[u8; 256]>,
    /// Whether the auth key is already bound to the world's self user on the home DC (the
    /// first of `dc_ids`); other DCs need `auth.importAuthorization`, as on Telegram.
    pub signed_in: bool,
    /// DC ids to serve, each on its own loopback port; the first is the home DC.
    pub dc_ids: Vec<i32>,
}

impl DcOptions {
    pub fn new(world: World) -> Self {
        Self {
            world,
            auth_key: None,
            signed_in: true,
            dc_ids: vec![2],
        }
    }
}

/// State shared by every connection of the DC.
pub struct Shared {
    pub key: ServerKey,
    pub world: Mutex<World>,
    /// The user the auth key is signed in as, per DC: Telegram keeps one authorization per
    /// DC, from a login there or from `auth.importAuthorization` (see `methods::auth`).
    pub authorized: Mutex<BTreeMap<i32, i64>>,
    /// Where the account lives once moved (`FakeDc::move_account`): signed-in requests on any
    /// other DC then answer `303 USER_MIGRATE_<dc>`. `None`: every signed-in DC serves it.
    pub account_dc: Mutex<Option<i32>>,
    /// The DC each connection (by id) came in on.
    pub connection_dcs: Mutex<HashMap<u64, i32>>,
    /// Every open connection (by id), with its DC: where updates are pushed.
    pushers: Mutex<HashMap<u64, (i32, conn::Pusher)>>,
    pub login: Mutex<methods::auth::LoginState>,
    /// Uploaded files, drafts and scheduled messages.
    pub outbox: Mutex<methods::send::SendState>,
    pub records: Mutex<Vec<Recorded>>,
    pub faults: Mutex<faults::Faults>,
    /// `(dc id, port)` of every listener.
    pub dcs: Vec<(i32, u16)>,
    pub server_salt: i64,
    next_connection: AtomicU64,
    /// Bumped to close every open connection.
    kick: watch::Sender<u64>,
    /// Bumped to make every open connection a black hole (see [`FakeDc::black_hole`]).
    silence: watch::Sender<u64>,
    /// While set, every new connection is a black hole.
    black_hole: AtomicBool,
}

impl Shared {
    pub fn world(&self) -> MutexGuard<'_, World> {
        self.world.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The user any DC is signed in as.
    pub fn authorized_user(&self) -> Option<i64> {
        self.authorized.lock().unwrap().values().next().copied()
    }

    /// Pushes `updates` into every open connection on DC `dc_id`, as Telegram pushes updates
    /// to the sessions of an auth key.
    pub fn push_updates(&self, dc_id: i32, updates: &grammers_tl_types::enums::Updates) {
        use grammers_tl_types::Serializable;
        let body = updates.to_bytes();
        for (dc, pusher) in self
            .pushers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .values()
        {
            if *dc == dc_id {
                pusher.push(body.clone());
            }
        }
    }

    /// The user DC `dc_id` is signed in as.
    pub fn authorized_on(&self, dc_id: i32) -> Option<i64> {
        self.authorized.lock().unwrap().get(&dc_id).copied()
    }
}

/// A running fake DC. Dropping it stops it and closes every connection.
pub struct FakeDc {
    shared: Arc<Shared>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl FakeDc {
    /// Starts a signed-in DC 2 serving `world`.
    pub fn start(world: World) -> std::io::Result<FakeDc> {
        FakeDc::start_with(DcOptions::new(world))
    }

    /// Starts the DC on its own thread and runtime, so it serves whatever the test does.
    pub fn start_with(options: DcOptions) -> std::io::Result<FakeDc> {
        let key = options.auth_key.unwrap_or_else(|| {
            let mut key = [0; 256];
            getrandom::fill(&mut key).expect("OS randomness");
            key
        });
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()?;
        let mut listeners = Vec::new();
        let mut dcs = Vec::new();
        for dc_id in &options.dc_ids {
            let listener = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
            listener.set_nonblocking(true)?;
            dcs.push((*dc_id, listener.local_addr()?.port()));
            listeners.push((*dc_id, listener));
        }
        let authorized: BTreeMap<i32, i64> = options
            .dc_ids
            .first()
            .filter(|_| options.signed_in)
            .map(|home| (*home, options.world.self_id))
            .into_iter()
            .collect();
        let mut salt = [0u8; 8];
        getrandom::fill(&mut salt).expect("OS randomness");
        let shared = Arc::new(Shared {
            key: ServerKey::new(key),
            world: Mutex::new(options.world),
            authorized: Mutex::new(authorized),
            account_dc: Mutex::default(),
            connection_dcs: Mutex::default(),
            pushers: Mutex::default(),
            login: Mutex::default(),
            outbox: Mutex::default(),
            records: Mutex::default(),
            faults: Mutex::default(),
            dcs,
            server_salt: i64::from_le_bytes(salt),
            next_connection: AtomicU64::new(1),
            kick: watch::channel(0).0,
            silence: watch::channel(0).0,
            black_hole: AtomicBool::new(false),
        });
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let accept_shared = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("fake-dc".into())
            .spawn(move || {
                runtime.block_on(async move {
                    for (dc_id, listener) in listeners {
                        let listener = TcpListener::from_std(listener).expect("listener");
                        tokio::spawn(accept_loop(listener, dc_id, Arc::clone(&accept_shared)));
                    }
                    let _ = stopped.await;
                });
                runtime.shutdown_timeout(Duration::from_secs(1));
            })?;
        Ok(FakeDc {
            shared,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// Port of the home DC.
    pub fn port(&self) -> u16 {
        self.shared.dcs[0].1
    }

    pub fn dcs(&self) -> &[(i32, u16)] {
        &self.shared.dcs
    }

    pub fn auth_key(&self) -> [u8; 256] {
        self.shared.key.data()
    }

    pub fn shared(&self) -> &Arc<Shared> {
        &self.shared
    }

    pub fn world(&self) -> MutexGuard<'_, World> {
        self.shared.world()
    }

    /// Stores an incoming message from `from` in `peer` now, as if it had just been sent to
    /// the account (see [`arrivals`]); `fill` sets its text and where it replies. Its id.
    pub fn arrive(
        &self,
        peer: crate::world::Peer,
        from: crate::world::Peer,
        fill: impl FnOnce(&mut crate::world::Msg),
    ) -> i32 {
        arrivals::arrive(&mut self.shared.world(), peer, from, fill).id
    }

    /// Every request received so far.
    pub fn requests(&self) -> Vec<Recorded> {
        self.shared.records.lock().unwrap().clone()
    }

    /// Names of the requests received so far, in order.
    pub fn request_names(&self) -> Vec<String> {
        self.shared
            .records
            .lock()
            .unwrap()
            .iter()
            .map(|r| r.name.clone())
            .collect()
    }

    /// Every request of type `F` received so far, decoded.
    pub fn requests_of<F: Deserializable + Identifiable>(&self) -> Vec<F> {
        self.shared
            .records
            .lock()
            .unwrap()
            .iter()
            .filter_map(Recorded::decode::<F>)
            .collect()
    }

    /// The DC that received `request`.
    pub fn dc_of(&self, request: &Recorded) -> Option<i32> {
        let dcs = self.shared.connection_dcs.lock().unwrap();
        dcs.get(&request.connection).copied()
    }

    /// `(DC id, TL name)` of every request received so far, in order.
    pub fn requests_by_dc(&self) -> Vec<(i32, String)> {
        self.requests()
            .iter()
            .map(|r| (self.dc_of(r).unwrap_or(0), r.name.clone()))
            .collect()
    }

    /// How many `F` requests the DC recorded.
    pub fn count_of<F: Deserializable + Identifiable>(&self) -> usize {
        self.requests_of::<F>().len()
    }

    pub fn clear_requests(&self) {
        self.shared.records.lock().unwrap().clear();
    }

    pub fn inject(&self, rule: FaultRule) {
        self.shared.faults.lock().unwrap().push(rule);
    }

    /// Forgets the requests recorded so far and injects `rule`: what the record holds next is
    /// what the call under test caused.
    pub fn clear_requests_and_inject(&self, rule: FaultRule) {
        self.clear_requests();
        self.inject(rule);
    }

    /// Latency added before every answer.
    pub fn set_latency(&self, latency: Duration) {
        self.shared.faults.lock().unwrap().latency = latency;
    }

    /// Ends every fault rule, the latency and a black hole (connections already dead stay
    /// dead).
    pub fn clear_faults(&self) {
        self.shared.faults.lock().unwrap().clear();
        self.shared.black_hole.store(false, Ordering::SeqCst);
    }

    /// Unbinds the auth key from its user, as when the session is terminated from another
    /// device: calls that need authorisation then answer `401 AUTH_KEY_UNREGISTERED`.
    pub fn revoke_authorization(&self) {
        self.shared.authorized.lock().unwrap().clear();
    }

    pub fn is_signed_in(&self) -> bool {
        self.shared.authorized_user().is_some()
    }

    /// A black hole, as a network that went away without a word (a laptop that slept, a
    /// change of network, a NAT that forgot the connection): `true` makes every open
    /// connection dead now and every new one dead on arrival (accepted, then nothing is read,
    /// written or closed) until `black_hole(false)`. Dead connections stay dead, as on a real
    /// network: the client has to notice and drop them ([`FakeDc::drop_connections`] closes
    /// them). `FaultAction::BlackHole` does the same to the connection of one request.
    pub fn black_hole(&self, on: bool) {
        self.shared.black_hole.store(on, Ordering::SeqCst);
        if on {
            self.black_hole_open_connections();
        }
    }

    /// Makes only the connections open now dead (see [`FakeDc::black_hole`]): the next
    /// connection works, as after a sleep and wake.
    pub fn black_hole_open_connections(&self) {
        self.shared
            .silence
            .send_modify(|generation| *generation += 1);
    }

    /// Closes every open connection now (clients see a dropped connection).
    pub fn drop_connections(&self) {
        self.shared.kick.send_modify(|generation| *generation += 1);
    }

    /// Number of TCP connections accepted so far.
    pub fn connections_accepted(&self) -> u64 {
        self.shared.next_connection.load(Ordering::SeqCst) - 1
    }

    pub fn address(&self) -> SocketAddr {
        SocketAddr::from((Ipv4Addr::LOCALHOST, self.port()))
    }
}

impl Drop for FakeDc {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

async fn accept_loop(listener: TcpListener, dc_id: i32, shared: Arc<Shared>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let _ = stream.set_nodelay(true);
        let connection = shared.next_connection.fetch_add(1, Ordering::SeqCst);
        shared
            .connection_dcs
            .lock()
            .unwrap()
            .insert(connection, dc_id);
        tokio::spawn(conn::serve(stream, dc_id, connection, Arc::clone(&shared)));
    }
}
