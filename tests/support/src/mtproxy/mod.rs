//! A loopback MTProto proxy in front of the fake DC: the server side of the three secret kinds
//! Telegram's proxies hand out (plain, `dd` random padding, `ee` fake TLS), so tests can reach
//! the DC the way a user behind a proxy does and see what the client spoke. It relays to the
//! DC's own port for the header's DC id and records every connection: the secret kind, the
//! protocol tag, the DC id, the traffic each way, and why it refused or ended. Test support
//! only: never in release binaries.

mod fake_tls;
mod framing;
mod obfuscated2;
mod record;
mod relay;
mod secret;
#[cfg(test)]
mod test_client;
#[cfg(test)]
mod tests;

use std::collections::HashSet;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::{oneshot, watch};

pub use obfuscated2::ProtocolTag;
pub use record::{ConnectionRecord, Ending, Refusal, Traffic};
pub use secret::{ProxySecret, SecretKind};

use crate::fake_dc::FakeDc;
use relay::Shared;

/// A running proxy on `127.0.0.1:<random port>`. Dropping it (or [`MtProxy::stop`]) closes the
/// listener and every connection.
pub struct MtProxy {
    shared: Arc<Shared>,
    address: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl MtProxy {
    /// Starts a proxy for `secret` in front of every DC of `dc`.
    pub fn start(dc: &FakeDc, secret: ProxySecret) -> std::io::Result<MtProxy> {
        MtProxy::start_for(dc.dcs().to_vec(), secret)
    }

    /// Starts a proxy that relays DC id `id` to `127.0.0.1:port` for each `(id, port)` (a port
    /// nothing listens on makes the DC unreachable).
    pub fn start_for(dcs: Vec<(i32, u16)>, secret: ProxySecret) -> std::io::Result<MtProxy> {
        let listener = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
        listener.set_nonblocking(true)?;
        let address = listener.local_addr()?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()?;
        let shared = Arc::new(Shared {
            secret,
            dcs,
            connections: Mutex::default(),
            seen: Mutex::new(HashSet::new()),
            accepted: AtomicU64::new(0),
            kick: watch::channel(0).0,
            black_hole: AtomicBool::new(false),
            clock_skew: AtomicI64::new(0),
        });
        let (stop, stopped) = oneshot::channel::<()>();
        let accept_shared = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("mtproxy".into())
            .spawn(move || {
                runtime.block_on(async move {
                    let listener = TcpListener::from_std(listener).expect("listener");
                    tokio::select! {
                        _ = accept_loop(listener, accept_shared) => {}
                        _ = stopped => {}
                    }
                });
                // Dropping the runtime's tasks closes every connection.
                runtime.shutdown_timeout(Duration::from_secs(1));
            })?;
        Ok(MtProxy {
            shared,
            address,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    pub fn address(&self) -> SocketAddr {
        self.address
    }

    pub fn secret(&self) -> &ProxySecret {
        &self.shared.secret
    }

    /// The secret in hex, as `MTPROTO_PROXY`'s `host:port:secret` and links carry it.
    pub fn hex(&self) -> String {
        self.shared.secret.hex()
    }

    /// The secret in base64url, as Telegram's apps write `ee` secrets.
    pub fn base64url(&self) -> String {
        self.shared.secret.base64url()
    }

    /// `tg://proxy?server=127.0.0.1&port=…&secret=…`.
    pub fn tg_link(&self) -> String {
        self.shared.secret.tg_link(self.address)
    }

    /// `https://t.me/proxy?server=127.0.0.1&port=…&secret=…`.
    pub fn tme_link(&self) -> String {
        self.shared.secret.tme_link(self.address)
    }

    /// `127.0.0.1:port:secret`.
    pub fn host_port_secret(&self) -> String {
        self.shared.secret.host_port_secret(self.address)
    }

    /// Number of TCP connections accepted so far.
    pub fn connections_accepted(&self) -> u64 {
        self.shared.accepted.load(Ordering::SeqCst)
    }

    /// Every connection accepted so far, in order.
    pub fn connections(&self) -> Vec<ConnectionRecord> {
        self.shared
            .connections
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The connections relayed to the DC (the handshake passed, nothing refused).
    pub fn relayed(&self) -> Vec<ConnectionRecord> {
        self.connections()
            .into_iter()
            .filter(|c| c.kind.is_some() && c.refusal.is_none())
            .collect()
    }

    /// Why each refused connection was refused, in order.
    pub fn refusals(&self) -> Vec<Refusal> {
        self.connections()
            .into_iter()
            .filter_map(|c| c.refusal)
            .collect()
    }

    /// Closes every open connection now; the listener keeps accepting.
    pub fn drop_connections(&self) {
        self.shared.kick.send_modify(|generation| *generation += 1);
    }

    /// A proxy that went silent: while `on`, every new connection is accepted and then
    /// neither read, written nor closed (until [`MtProxy::drop_connections`] or the stop), so a
    /// client has to give up on its own. Connections already open carry on.
    pub fn black_hole(&self, on: bool) {
        self.shared.black_hole.store(on, Ordering::SeqCst);
    }

    /// Makes the proxy's clock run `seconds` ahead of the machine's (behind when negative), as
    /// a proxy whose clock is wrong: fake-TLS ClientHellos outside the window are refused
    /// with [`Refusal::TimestampOutOfWindow`].
    pub fn set_clock_skew(&self, seconds: i64) {
        self.shared.clock_skew.store(seconds, Ordering::SeqCst);
    }

    /// Closes the listener and every connection: new connections are refused by the OS.
    pub fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for MtProxy {
    fn drop(&mut self) {
        self.stop();
    }
}

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let id = shared.accepted.fetch_add(1, Ordering::SeqCst) + 1;
        shared
            .connections
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(ConnectionRecord {
                id,
                ..ConnectionRecord::default()
            });
        let shared = Arc::clone(&shared);
        tokio::spawn(async move { relay::serve(stream, id, &shared).await });
    }
}
