//! The relay: an MTProto proxy made to look like the SOCKS5 proxy grammers knows.
//!
//! grammers 0.11 connects directly or through SOCKS5 and always frames with its full
//! transport; forking it to speak the proxy protocol would mean carrying a patched network
//! layer across every grammers release. Instead a task on the server's runtime listens on
//! 127.0.0.1, grammers is given `socks5://user:password@127.0.0.1:port` (credentials drawn
//! per process), and for each `CONNECT` the relay:
//!
//! 1. names the DC of the address asked for (see [`super::datacenters`]), or refuses it;
//! 2. connects to the MTProto proxy (`TCP_NODELAY`, within [`CONNECT_TIMEOUT`]);
//! 3. for `ee` secrets, performs the fake-TLS handshake ([`super::fake_tls`]);
//! 4. sends the obfuscated header ([`super::obfuscated`]) and answers grammers' `CONNECT`;
//! 5. re-frames both ways ([`super::framing`]) until either side ends, then ends both.
//!
//! What went wrong last (proxy unreachable, closed without answering, a fake-TLS answer that
//! does not prove the secret) is kept, worded for the user, so a tool call that fails on the
//! connection says what to check ([`Relay::last_failure`]); an answer from the proxy clears it.

use std::fmt;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};

use super::datacenters::{self, DcDirectory};
use super::fake_tls::{self, RecordWriter, TlsError};
use super::framing::{self, FullReader, FullWriter, Packet};
use super::link::{MtProxy, Secret};
use super::obfuscated::{self, Keystream, Tag};
use super::socks::{self, Credentials, Reply};

/// How long reaching the proxy (TCP connect) may take.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// How long the SOCKS5 exchange with grammers and the fake-TLS handshake may each take.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Bytes read from a socket at once.
const READ_CHUNK: usize = 64 * 1024;

/// Why the proxy could not be used, worded for the person who set `MTPROTO_PROXY`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// Refused, timed out, or the host name did not resolve.
    Unreachable { proxy: String, why: String },
    /// The proxy closed the connection without a single answer: what a proxy does with a
    /// wrong secret.
    ClosedWithoutAnswer { proxy: String },
    /// The proxy closed the connection at the fake-TLS hello: a wrong secret, or a clock the
    /// proxy finds too far from its own (the hello carries the time; mtprotoproxy accepts 10
    /// minutes behind to 20 ahead).
    ClosedAtHello { proxy: String },
    /// The proxy took requests and never answered until grammers gave up: what some proxies
    /// do with a wrong secret, to look like anything but a proxy.
    NoAnswer { proxy: String },
    /// The proxy's fake-TLS answer does not prove it knows the secret.
    TlsMismatch { proxy: String },
    /// The proxy did not answer the ClientHello with TLS.
    NotTls { proxy: String },
    /// grammers asked for an address that is no known Telegram DC.
    UnknownDc { address: SocketAddr },
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Unreachable { proxy, why } => write!(
                f,
                "the MTProto proxy {proxy} (MTPROTO_PROXY) cannot be reached ({why}): check \
                 that the proxy is running and that MTPROTO_PROXY names its host and port"
            ),
            Failure::ClosedWithoutAnswer { proxy } => write!(
                f,
                "the MTProto proxy {proxy} (MTPROTO_PROXY) closed the connection without \
                 answering, as a proxy does when the secret is wrong: check the secret in \
                 MTPROTO_PROXY (copy the proxy link again)"
            ),
            Failure::ClosedAtHello { proxy } => write!(
                f,
                "the MTProto proxy {proxy} (MTPROTO_PROXY) closed the connection at the TLS \
                 hello, as a proxy does when the secret is wrong or this computer's clock is \
                 off by more than a few minutes: check the secret in MTPROTO_PROXY and the clock"
            ),
            Failure::NoAnswer { proxy } => write!(
                f,
                "the MTProto proxy {proxy} (MTPROTO_PROXY) accepted the connection but never \
                 answered, as some proxies do when the secret is wrong: check the secret in \
                 MTPROTO_PROXY (copy the proxy link again)"
            ),
            Failure::TlsMismatch { proxy } => write!(
                f,
                "the MTProto proxy {proxy} (MTPROTO_PROXY) did not prove it knows the secret \
                 (its fake-TLS answer does not match): check the secret in MTPROTO_PROXY, \
                 or whether that address is an MTProto proxy at all"
            ),
            Failure::NotTls { proxy } => write!(
                f,
                "the MTProto proxy {proxy} (MTPROTO_PROXY) did not answer with fake TLS as \
                 its ee secret says it should: check the secret in MTPROTO_PROXY and that \
                 the address is an MTProto proxy"
            ),
            Failure::UnknownDc { address } => write!(
                f,
                "the connection through MTPROTO_PROXY was asked for {address}, which is no \
                 Telegram datacenter the session knows, so the proxy cannot be told where to \
                 go: please report this with the log"
            ),
        }
    }
}

/// What the accept loop and every connection share.
struct Shared {
    proxy: MtProxy,
    credentials: Credentials,
    directory: DcDirectory,
    failure: Mutex<Option<Failure>>,
}

impl Shared {
    fn record(&self, failure: Failure) {
        tracing::warn!("{failure}");
        *self.failure.lock().unwrap_or_else(|e| e.into_inner()) = Some(failure);
    }

    fn clear(&self) {
        self.failure
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
    }

    fn proxy_name(&self) -> String {
        let host = &self.proxy.host;
        if host.contains(':') {
            format!("[{host}]:{}", self.proxy.port)
        } else {
            format!("{host}:{}", self.proxy.port)
        }
    }
}

/// A running relay; dropping it ends the relay and every connection through it.
pub struct Relay {
    url: String,
    shared: Arc<Shared>,
    accept: JoinHandle<()>,
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

impl Relay {
    /// Listens on 127.0.0.1 (a free port) on the current runtime.
    pub async fn start(proxy: MtProxy, directory: DcDirectory) -> std::io::Result<Relay> {
        let listener = TcpListener::bind((std::net::Ipv4Addr::LOCALHOST, 0)).await?;
        let port = listener.local_addr()?.port();
        let credentials = Credentials::random();
        let url = format!(
            "socks5://{}:{}@127.0.0.1:{port}",
            credentials.user, credentials.password
        );
        tracing::info!(
            proxy = %format_args!("{}:{}", proxy.host, proxy.port),
            secret = proxy.secret.kind(),
            "MTProto proxy relay listening on 127.0.0.1:{port}"
        );
        let shared = Arc::new(Shared {
            proxy,
            credentials,
            directory,
            failure: Mutex::new(None),
        });
        let accept = tokio::spawn(accept_loop(listener, Arc::clone(&shared)));
        Ok(Relay {
            url,
            shared,
            accept,
        })
    }

    /// The SOCKS5 URL grammers is given (it holds the credentials: never log it).
    pub fn socks_url(&self) -> &str {
        &self.url
    }

    /// What went wrong with the proxy last, if nothing has worked since.
    pub fn last_failure(&self) -> Option<Failure> {
        self.shared
            .failure
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

/// Accepts grammers' connections; the connections live in a set dropped with this task.
async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    connections.spawn(serve(stream, Arc::clone(&shared)));
                }
                Err(e) => {
                    tracing::warn!("the MTProto proxy relay could not accept a connection: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

/// One connection of grammers', from its SOCKS5 request to its end.
async fn serve(mut client: TcpStream, shared: Arc<Shared>) {
    let asked = tokio::time::timeout(
        HANDSHAKE_TIMEOUT,
        socks::accept(&mut client, &shared.credentials),
    )
    .await;
    let address = match asked {
        Ok(Ok(address)) => address,
        Ok(Err(e)) => return tracing::debug!("relay: a local client was turned away: {e}"),
        Err(_) => return tracing::debug!("relay: a local client never finished SOCKS5"),
    };
    let Some(dc_id) = (shared.directory)(address).or_else(|| datacenters::published(address.ip()))
    else {
        shared.record(Failure::UnknownDc { address });
        let _ = socks::reply(&mut client, Reply::NotAllowed).await;
        return;
    };
    let upstream = match open(&shared, dc_id).await {
        Ok(upstream) => upstream,
        Err((failure, code)) => {
            shared.record(failure);
            let _ = socks::reply(&mut client, code).await;
            return;
        }
    };
    if socks::reply(&mut client, Reply::Succeeded).await.is_err() {
        return;
    }
    let _ = client.set_nodelay(true);
    tracing::debug!(dc_id, "relay: connected through the MTProto proxy");
    pump(client, upstream, &shared).await;
}

/// The proxy's side of one connection, once it is open.
struct Upstream {
    stream: TcpStream,
    encrypt: Keystream,
    decrypt: Keystream,
    tls: Option<RecordWriter>,
    padded: bool,
}

/// Connects to the proxy and opens the obfuscated stream for `dc_id`.
async fn open(shared: &Shared, dc_id: i16) -> Result<Upstream, (Failure, Reply)> {
    let proxy = &shared.proxy;
    let unreachable = |why: String| Failure::Unreachable {
        proxy: shared.proxy_name(),
        why,
    };
    let connect = TcpStream::connect((proxy.host.as_str(), proxy.port));
    let mut stream = match tokio::time::timeout(CONNECT_TIMEOUT, connect).await {
        Ok(Ok(stream)) => stream,
        Ok(Err(e)) => {
            let code = match e.kind() {
                std::io::ErrorKind::ConnectionRefused => Reply::ConnectionRefused,
                _ => Reply::HostUnreachable,
            };
            return Err((unreachable(connect_error(&e)), code));
        }
        Err(_) => {
            let why = format!("no answer within {} seconds", CONNECT_TIMEOUT.as_secs());
            return Err((unreachable(why), Reply::TtlExpired));
        }
    };
    // Issue #21: every Telegram socket, through a proxy too.
    let _ = stream.set_nodelay(true);
    let (tag, tls) = match &proxy.secret {
        Secret::Plain(_) => (Tag::Intermediate, None),
        Secret::Padded(_) => (Tag::PaddedIntermediate, None),
        Secret::FakeTls { key, domain } => {
            open_fake_tls(&mut stream, shared, key, domain).await?;
            (Tag::PaddedIntermediate, Some(RecordWriter::default()))
        }
    };
    let (header, obfuscation) = obfuscated::client_header(proxy.secret.key(), tag, dc_id);
    let mut upstream = Upstream {
        stream,
        encrypt: obfuscation.encrypt,
        decrypt: obfuscation.decrypt,
        tls,
        padded: tag == Tag::PaddedIntermediate,
    };
    let header = match &mut upstream.tls {
        Some(records) => records.wrap(&header),
        None => header.to_vec(),
    };
    if let Err(e) = upstream.stream.write_all(&header).await {
        return Err((unreachable(connect_error(&e)), Reply::GeneralFailure));
    }
    Ok(upstream)
}

/// The fake-TLS handshake of an `ee` secret, its failures told as the user should read them.
async fn open_fake_tls(
    stream: &mut TcpStream,
    shared: &Shared,
    key: &[u8; 16],
    domain: &str,
) -> Result<(), (Failure, Reply)> {
    let shaken =
        tokio::time::timeout(HANDSHAKE_TIMEOUT, fake_tls::handshake(stream, key, domain)).await;
    let proxy = shared.proxy_name();
    let failure = match shaken {
        Ok(Ok(())) => return Ok(()),
        Ok(Err(TlsError::HmacMismatch)) => Failure::TlsMismatch { proxy },
        Ok(Err(TlsError::NotTls)) => Failure::NotTls { proxy },
        Ok(Err(TlsError::Io(_))) => Failure::ClosedAtHello { proxy },
        Err(_) => Failure::Unreachable {
            proxy,
            why: format!(
                "no answer to the TLS hello within {} seconds",
                HANDSHAKE_TIMEOUT.as_secs()
            ),
        },
    };
    Err((failure, Reply::GeneralFailure))
}

/// An I/O error in a few words (the OS's own, without its error number).
fn connect_error(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::ConnectionRefused => "connection refused".into(),
        std::io::ErrorKind::TimedOut => "timed out".into(),
        _ => {
            let text = e.to_string();
            text.split(" (os error").next().unwrap_or(&text).to_string()
        }
    }
}

/// Re-frames both ways until either side ends; then both end.
async fn pump(client: TcpStream, upstream: Upstream, shared: &Shared) {
    // The halves outlive the two directions, so the failure is recorded before grammers
    // sees the connection close.
    let (mut client_read, mut client_write) = client.into_split();
    let (mut proxy_read, mut proxy_write) = upstream.stream.into_split();
    let (sent, answered) = (AtomicBool::new(false), AtomicBool::new(false));
    let tls = upstream.tls.is_some();
    let up = to_proxy(
        &mut client_read,
        &mut proxy_write,
        upstream.encrypt,
        upstream.tls,
        upstream.padded,
        &sent,
    );
    let down = to_client(
        &mut proxy_read,
        &mut client_write,
        upstream.decrypt,
        tls,
        shared,
        &answered,
    );
    // Which side ended it: grammers hanging up on purpose, or the connection failing.
    let grammers_hung_up = tokio::select! {
        ended = up => { let clean = ended.is_ok(); log_end("grammers' side", ended); clean }
        ended = down => { log_end("the proxy's side", ended); false }
    };
    if answered.load(Ordering::Relaxed) {
        return;
    }
    let proxy = shared.proxy_name();
    if !grammers_hung_up {
        shared.record(Failure::ClosedWithoutAnswer { proxy });
    } else if sent.load(Ordering::Relaxed) {
        shared.record(Failure::NoAnswer { proxy });
    }
}

fn log_end(side: &str, ended: Result<(), String>) {
    match ended {
        Ok(()) => tracing::debug!("relay: {side} closed the connection"),
        Err(e) => tracing::debug!("relay: connection ended on {side}: {e}"),
    }
}

/// grammers' full frames → (padded) intermediate packets, obfuscated, in TLS records if so.
async fn to_proxy(
    from: &mut OwnedReadHalf,
    to: &mut OwnedWriteHalf,
    mut encrypt: Keystream,
    mut tls: Option<RecordWriter>,
    padded: bool,
    sent: &AtomicBool,
) -> Result<(), String> {
    let mut reader = FullReader::default();
    let mut buffer = Vec::with_capacity(READ_CHUNK);
    let mut chunk = vec![0u8; READ_CHUNK];
    loop {
        let n = from.read(&mut chunk).await.map_err(|e| e.to_string())?;
        if n == 0 {
            return Ok(());
        }
        buffer.extend_from_slice(&chunk[..n]);
        while let Some(payload) = reader.next(&mut buffer).map_err(|e| e.to_string())? {
            let padding = if padded {
                framing::random_padding()
            } else {
                Vec::new()
            };
            let mut packet = framing::intermediate_packet(&payload, &padding);
            encrypt.apply(&mut packet);
            let wire = match &mut tls {
                Some(records) => records.wrap(&packet),
                None => packet,
            };
            to.write_all(&wire).await.map_err(|e| e.to_string())?;
            sent.store(true, Ordering::Relaxed);
        }
    }
}

/// The proxy's packets → full frames for grammers.
async fn to_client(
    from: &mut OwnedReadHalf,
    to: &mut OwnedWriteHalf,
    mut decrypt: Keystream,
    tls: bool,
    shared: &Shared,
    answered: &AtomicBool,
) -> Result<(), String> {
    let mut writer = FullWriter::default();
    let (mut raw, mut plain) = (Vec::new(), Vec::new());
    let mut chunk = vec![0u8; READ_CHUNK];
    loop {
        let n = from.read(&mut chunk).await.map_err(|e| e.to_string())?;
        if n == 0 {
            return Ok(());
        }
        let start = plain.len();
        if tls {
            raw.extend_from_slice(&chunk[..n]);
            fake_tls::unwrap_records(&mut raw, &mut plain).map_err(|e| e.to_string())?;
        } else {
            plain.extend_from_slice(&chunk[..n]);
        }
        decrypt.apply(&mut plain[start..]);
        while let Some(packet) =
            framing::next_intermediate(&mut plain).map_err(|e| e.to_string())?
        {
            let wire = match packet {
                Packet::Message(message) => writer.frame(&message),
                Packet::TransportError(code) => code.to_vec(),
                Packet::QuickAck => continue,
            };
            if !answered.swap(true, Ordering::Relaxed) {
                shared.clear();
            }
            to.write_all(&wire).await.map_err(|e| e.to_string())?;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proxy::obfuscated::proxy_side;

    const SECRET: [u8; 16] = *b"relay test key!!";
    const DC_ADDRESS: &str = "127.0.0.1:4402";

    /// An MTProto proxy written from the description, in a few lines: it reads the header,
    /// closes at once on a tag it cannot read (a wrong secret), and echoes every packet with
    /// 13 bytes of padding, the DC id it was asked for sent first on `dc`.
    async fn echo_proxy(secret: [u8; 16]) -> (u16, tokio::sync::mpsc::Receiver<i16>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let (dc, ids) = tokio::sync::mpsc::channel(4);
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let dc = dc.clone();
                tokio::spawn(async move {
                    let mut header = [0u8; 64];
                    stream.read_exact(&mut header).await?;
                    let (mut from, mut to, plain) = proxy_side(&header, &secret);
                    if plain[56..60] != [0xee; 4] && plain[56..60] != [0xdd; 4] {
                        return Ok::<_, std::io::Error>(());
                    }
                    let _ = dc.send(i16::from_le_bytes([plain[60], plain[61]])).await;
                    loop {
                        let mut len = [0u8; 4];
                        stream.read_exact(&mut len).await?;
                        from.apply(&mut len);
                        let mut packet = vec![0u8; u32::from_le_bytes(len) as usize];
                        stream.read_exact(&mut packet).await?;
                        from.apply(&mut packet);
                        let message = &packet[..24 + (packet.len() - 24) / 16 * 16];
                        let mut answer = framing::intermediate_packet(message, &[0x5a; 13]);
                        to.apply(&mut answer);
                        stream.write_all(&answer).await?;
                    }
                });
            }
        });
        (port, ids)
    }

    async fn relay_to(port: u16, secret: Secret) -> Relay {
        let proxy = MtProxy {
            host: "127.0.0.1".into(),
            port,
            secret,
        };
        let dc_address: SocketAddr = DC_ADDRESS.parse().unwrap();
        let directory: DcDirectory = Arc::new(move |a| (a == dc_address).then_some(2));
        Relay::start(proxy, directory).await.unwrap()
    }

    /// Connects as grammers does (tokio-socks, the relay's credentials).
    async fn connect(relay: &Relay, target: &str) -> Result<TcpStream, tokio_socks::Error> {
        let url = url::Url::parse(relay.socks_url()).unwrap();
        let at = format!("127.0.0.1:{}", url.port().unwrap());
        let target: SocketAddr = target.parse().unwrap();
        let password = url.password().unwrap();
        tokio_socks::tcp::Socks5Stream::connect_with_password(
            at.as_str(),
            target,
            url.username(),
            password,
        )
        .await
        .map(|s| s.into_inner())
    }

    async fn failure_of(relay: &Relay) -> Failure {
        for _ in 0..500 {
            if let Some(failure) = relay.last_failure() {
                return failure;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("the relay recorded no failure");
    }

    #[tokio::test]
    async fn full_frames_cross_the_proxy_both_ways_for_the_dc_asked() {
        for secret in [Secret::Plain(SECRET), Secret::Padded(SECRET)] {
            let (port, mut ids) = echo_proxy(SECRET).await;
            let relay = relay_to(port, secret).await;
            let mut stream = connect(&relay, DC_ADDRESS).await.unwrap();
            let mut message = vec![7u8; 24 + 16 * 5];
            message[0] = 1;
            let (mut writer, mut reader) = (FullWriter::default(), FullReader::default());
            for _ in 0..2 {
                stream.write_all(&writer.frame(&message)).await.unwrap();
                let mut buffer = Vec::new();
                let echoed = loop {
                    if let Some(frame) = reader.next(&mut buffer).unwrap() {
                        break frame;
                    }
                    let mut chunk = [0u8; 4096];
                    let n = stream.read(&mut chunk).await.unwrap();
                    assert!(n > 0, "the relay closed");
                    buffer.extend_from_slice(&chunk[..n]);
                };
                assert_eq!(echoed, message, "padding cut, frame rebuilt");
            }
            assert_eq!(ids.recv().await, Some(2), "the header names DC 2");
            assert_eq!(relay.last_failure(), None);
        }
    }

    #[tokio::test]
    async fn a_proxy_that_closes_after_the_header_is_a_wrong_secret() {
        let (port, _ids) = echo_proxy(*b"another secret!!").await;
        let relay = relay_to(port, Secret::Plain(SECRET)).await;
        let mut stream = connect(&relay, DC_ADDRESS).await.unwrap();
        let message = [1u8; 40];
        stream
            .write_all(&FullWriter::default().frame(&message))
            .await
            .unwrap();
        let mut rest = Vec::new();
        let _ = stream.read_to_end(&mut rest).await;
        let failure = failure_of(&relay).await;
        assert!(
            matches!(failure, Failure::ClosedWithoutAnswer { .. }),
            "{failure:?}"
        );
        let told = failure.to_string();
        assert!(
            told.contains("MTPROTO_PROXY") && told.contains("secret"),
            "{told}"
        );
        assert!(!told.contains("relay test key"), "{told}");
    }

    #[tokio::test]
    async fn an_unreachable_proxy_fails_the_socks_request_and_says_so() {
        let port = {
            let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
            l.local_addr().unwrap().port()
        };
        let relay = relay_to(port, Secret::Padded(SECRET)).await;
        let refused = connect(&relay, DC_ADDRESS).await;
        assert!(refused.is_err());
        let failure = failure_of(&relay).await;
        let told = failure.to_string();
        assert!(told.contains("connection refused"), "{told}");
        assert!(told.contains(&format!("127.0.0.1:{port}")), "{told}");
    }

    #[tokio::test]
    async fn an_address_that_is_no_known_dc_is_refused_not_guessed() {
        let (port, _ids) = echo_proxy(SECRET).await;
        let relay = relay_to(port, Secret::Plain(SECRET)).await;
        assert!(connect(&relay, "127.0.0.1:9").await.is_err());
        assert!(matches!(
            failure_of(&relay).await,
            Failure::UnknownDc { .. }
        ));
    }

    #[tokio::test]
    async fn other_local_programs_cannot_use_the_relay() {
        let (port, _ids) = echo_proxy(SECRET).await;
        let relay = relay_to(port, Secret::Plain(SECRET)).await;
        let url = url::Url::parse(relay.socks_url()).unwrap();
        let at = format!("127.0.0.1:{}", url.port().unwrap());
        let target: SocketAddr = DC_ADDRESS.parse().unwrap();
        let anonymous = tokio_socks::tcp::Socks5Stream::connect(at.as_str(), target).await;
        assert!(anonymous.is_err());
        let guessed = tokio_socks::tcp::Socks5Stream::connect_with_password(
            at.as_str(),
            target,
            url.username(),
            "guess",
        )
        .await;
        assert!(guessed.is_err());
    }
}
