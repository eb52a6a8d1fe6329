//! One client connection: the handshake of the proxy's secret kind (fake TLS first for `ee`),
//! the obfuscated2 header, the DC it names, then packets relayed both ways between the
//! client's framing and the fake DC's full transport until either side closes or the proxy
//! drops its connections. Every step lands in the connection's record.

use std::collections::HashSet;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::io::{AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::sync::watch;

use super::fake_tls::{self, APPLICATION_DATA, CHANGE_CIPHER_SPEC, HANDSHAKE};
use super::framing::{self, ByteSource};
use super::obfuscated2::{self, Accepted, Ctr, HEADER_LEN, ProtocolTag};
use super::record::{ConnectionRecord, Ending, Refusal};
use super::secret::{ProxySecret, SecretKind};
use crate::fake_dc::transport::{read_frame, write_frame};

/// A client that has not finished its handshake by then is closed, as real proxies do.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// State every connection of one proxy shares.
pub(super) struct Shared {
    pub secret: ProxySecret,
    /// `(DC id, port)` of the fake DC's listeners.
    pub dcs: Vec<(i32, u16)>,
    /// One record per accepted connection, in order: connection `id` is at `id - 1`.
    pub connections: Mutex<Vec<ConnectionRecord>>,
    /// ClientHello randoms and obfuscated2 key material seen so far (replay check).
    pub seen: Mutex<HashSet<Vec<u8>>>,
    pub accepted: AtomicU64,
    /// Bumped to close every open connection.
    pub kick: watch::Sender<u64>,
    /// While set, new connections are accepted and then neither read, written nor closed.
    pub black_hole: AtomicBool,
    /// Seconds the proxy's clock runs ahead of the machine's (fake-TLS timestamp checks).
    pub clock_skew: AtomicI64,
}

impl Shared {
    pub fn update(&self, id: u64, change: impl FnOnce(&mut ConnectionRecord)) {
        let mut connections = self.connections.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(record) = connections.get_mut(id as usize - 1) {
            change(record);
        }
    }

    /// `true` the first time `material` is seen.
    fn first_sight(&self, material: &[u8]) -> bool {
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        seen.insert(material.to_vec())
    }

    fn dc_port(&self, dc_id: i16) -> Option<u16> {
        let dc = i32::from(dc_id.unsigned_abs());
        self.dcs
            .iter()
            .find(|(id, _)| *id == dc)
            .map(|(_, port)| *port)
    }
}

/// Serves one accepted connection to its end.
pub(super) async fn serve(stream: TcpStream, id: u64, shared: &Shared) {
    let mut kick = shared.kick.subscribe();
    if shared.black_hole.load(Ordering::SeqCst) {
        shared.update(id, |r| r.black_holed = true);
        let _ = kick.changed().await;
        shared.update(id, |r| r.ending = Some(Ending::Dropped));
        drop(stream);
        return;
    }
    let _ = stream.set_nodelay(true);
    let (read_half, write_half) = stream.into_split();
    let mut input = ClientIn {
        reader: BufReader::new(read_half),
        tls: false,
        record: Vec::new(),
        cipher: None,
    };
    let mut output = ClientOut {
        writer: write_half,
        tls: false,
        cipher: None,
    };
    let handshake = tokio::time::timeout(
        HANDSHAKE_TIMEOUT,
        handshake(shared, id, &mut input, &mut output),
    );
    let outcome = tokio::select! {
        outcome = handshake => outcome.unwrap_or(Err(Refusal::IncompleteHandshake)),
        _ = kick.changed() => {
            shared.update(id, |r| r.ending = Some(Ending::Dropped));
            return;
        }
    };
    let (tag, dc) = match outcome {
        Ok(accepted) => accepted,
        Err(refusal) => {
            shared.update(id, |r| r.refusal = Some(refusal));
            return;
        }
    };
    let ending = tokio::select! {
        ending = relay(shared, id, tag, &mut input, &mut output, dc) => ending,
        _ = kick.changed() => Ending::Dropped,
    };
    // Recorded before the client's socket closes: a test that sees the close sees why.
    shared.update(id, |r| r.ending = Some(ending));
}

/// Everything before the first relayed byte: the fake-TLS exchange for `ee` secrets, the
/// obfuscated2 header and its checks, and the connection to the DC it names.
async fn handshake(
    shared: &Shared,
    id: u64,
    input: &mut ClientIn,
    output: &mut ClientOut,
) -> Result<(ProtocolTag, TcpStream), Refusal> {
    let secret = &shared.secret;
    let incomplete = |_: io::Error| Refusal::IncompleteHandshake;
    let mut header = [0u8; HEADER_LEN];
    input.read_raw(&mut header[..5]).await.map_err(incomplete)?;
    if secret.kind() == SecretKind::FakeTls {
        if header[..3] != [HANDSHAKE, 3, 1] {
            return Err(Refusal::NotTls);
        }
        let len = usize::from(u16::from_be_bytes([header[3], header[4]]));
        if len < fake_tls::MIN_HELLO_BODY {
            return Err(Refusal::MalformedClientHello("record length"));
        }
        let mut hello = vec![0u8; 5 + len];
        hello[..5].copy_from_slice(&header[..5]);
        input.read_raw(&mut hello[5..]).await.map_err(incomplete)?;
        let now = now().saturating_add_signed(shared.clock_skew.load(Ordering::SeqCst));
        let client = fake_tls::check_client_hello(&hello, secret.key(), secret.domain(), now)?;
        shared.update(id, |r| r.sni = client.sni.clone());
        if !shared.first_sight(&client.random) {
            return Err(Refusal::Replayed);
        }
        output
            .write_raw(&fake_tls::server_hello(secret.key(), &client))
            .await
            .map_err(incomplete)?;
        input.tls = true;
        output.tls = true;
        input.read_raw(&mut header).await.map_err(incomplete)?;
    } else {
        if header[..4] == [HANDSHAKE, 3, 1, 2] {
            return Err(Refusal::UnexpectedTls);
        }
        input.read_raw(&mut header[5..]).await.map_err(incomplete)?;
    }

    let Accepted {
        tag,
        dc_id,
        from_client,
        to_client,
    } = obfuscated2::accept(&header, secret.key()).map_err(Refusal::UnknownTag)?;
    shared.update(id, |r| {
        r.tag = Some(tag);
        r.dc_id = Some(dc_id);
    });
    if secret.kind() != SecretKind::Plain && tag != ProtocolTag::PaddedIntermediate {
        return Err(Refusal::TagNotAllowed(tag));
    }
    if !shared.first_sight(&header[8..56]) {
        return Err(Refusal::Replayed);
    }
    // The secret checked out; what follows is about the DC.
    shared.update(id, |r| r.kind = Some(secret.kind()));
    let port = shared.dc_port(dc_id).ok_or(Refusal::UnknownDc(dc_id))?;
    let dc = TcpStream::connect(SocketAddr::from((Ipv4Addr::LOCALHOST, port)))
        .await
        .map_err(|_| Refusal::DcUnreachable)?;
    let _ = dc.set_nodelay(true);
    input.cipher = Some(from_client);
    output.cipher = Some(to_client);
    Ok((tag, dc))
}

/// Relays packets both ways until one side closes; says which.
async fn relay(
    shared: &Shared,
    id: u64,
    tag: ProtocolTag,
    input: &mut ClientIn,
    output: &mut ClientOut,
    dc: TcpStream,
) -> Ending {
    let (dc_read, mut dc_write) = dc.into_split();
    let mut dc_read = BufReader::new(dc_read);
    let up = async {
        let mut seq = 0u32;
        loop {
            let packet = match framing::read_packet(input, tag).await {
                Ok(packet) => packet,
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
                    return Ending::Client("closed".into());
                }
                Err(e) => return Ending::Client(e.to_string()),
            };
            if write_frame(&mut dc_write, &mut seq, &packet).await.is_err() {
                return Ending::Dc;
            }
            shared.update(id, |r| r.to_dc.add(&packet));
        }
    };
    let down = async {
        let mut seq = 0u32;
        loop {
            let Ok(payload) = read_frame(&mut dc_read, &mut seq).await else {
                return Ending::Dc;
            };
            let packet = framing::encode_packet(tag, &payload);
            if let Err(e) = output.send(packet).await {
                return Ending::Client(e.to_string());
            }
            shared.update(id, |r| r.to_client.add(&payload));
        }
    };
    tokio::select! {
        ending = up => ending,
        ending = down => ending,
    }
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// The client's bytes: TLS application-data records unwrapped once fake TLS is on, then
/// decrypted once the obfuscated2 header is accepted.
struct ClientIn {
    reader: BufReader<OwnedReadHalf>,
    tls: bool,
    /// What is left of the current application-data record.
    record: Vec<u8>,
    cipher: Option<Ctr>,
}

impl ClientIn {
    /// Reads `buf.len()` bytes of the stream, not yet decrypted.
    async fn read_raw(&mut self, buf: &mut [u8]) -> io::Result<()> {
        if !self.tls {
            self.reader.read_exact(buf).await?;
            return Ok(());
        }
        let mut filled = 0;
        while filled < buf.len() {
            if self.record.is_empty() {
                self.record = self.next_record().await?;
                continue;
            }
            let n = self.record.len().min(buf.len() - filled);
            buf[filled..filled + n].copy_from_slice(&self.record[..n]);
            self.record.drain(..n);
            filled += n;
        }
        Ok(())
    }

    /// The payload of the next application-data record, skipping ChangeCipherSpec.
    async fn next_record(&mut self) -> io::Result<Vec<u8>> {
        loop {
            let mut header = [0u8; 5];
            self.reader.read_exact(&mut header).await?;
            let len = usize::from(u16::from_be_bytes([header[3], header[4]]));
            let kind = header[0];
            if header[1..3] != [3, 3]
                || !(kind == APPLICATION_DATA || kind == CHANGE_CIPHER_SPEC)
                || len > fake_tls::MAX_RECORD_IN
            {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("a TLS record {:02x?}", header),
                ));
            }
            let mut payload = vec![0u8; len];
            self.reader.read_exact(&mut payload).await?;
            if kind == APPLICATION_DATA {
                return Ok(payload);
            }
        }
    }
}

impl ByteSource for ClientIn {
    async fn read_exact(&mut self, buf: &mut [u8]) -> io::Result<()> {
        self.read_raw(buf).await?;
        if let Some(cipher) = &mut self.cipher {
            cipher.apply(buf);
        }
        Ok(())
    }
}

/// What goes to the client: encrypted, then in application-data records once fake TLS is on.
struct ClientOut {
    writer: OwnedWriteHalf,
    tls: bool,
    cipher: Option<Ctr>,
}

impl ClientOut {
    async fn write_raw(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.writer.write_all(bytes).await
    }

    async fn send(&mut self, mut bytes: Vec<u8>) -> io::Result<()> {
        if let Some(cipher) = &mut self.cipher {
            cipher.apply(&mut bytes);
        }
        if self.tls {
            bytes = fake_tls::wrap(&bytes);
        }
        self.writer.write_all(&bytes).await
    }
}
