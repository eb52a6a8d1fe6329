//! A minimal proxy client for the proxy's own tests, written from the transport spec with its
//! own key derivation (not the proxy's), so that a misreading on one side shows as a failure:
//! the obfuscated2 header, TDLib's 517-byte ClientHello with the HMAC'd random, the check of
//! the server's HMAC, and the three framings both ways.

use std::io;
use std::net::SocketAddr;

use aes::Aes256;
use ctr::Ctr128BE;
use ctr::cipher::{KeyIvInit, StreamCipher};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::obfuscated2::ProtocolTag;
use super::secret::{ProxySecret, SecretKind};

pub struct Stream(Ctr128BE<Aes256>);

impl Stream {
    fn new(key_material: &[u8], secret: &[u8; 16]) -> Self {
        let mut hasher = Sha256::new();
        hasher.update(&key_material[..32]);
        hasher.update(secret);
        let key = hasher.finalize();
        Stream(Ctr128BE::<Aes256>::new_from_slices(&key, &key_material[32..48]).unwrap())
    }

    pub fn apply(&mut self, data: &mut [u8]) {
        self.0.apply_keystream(data);
    }
}

/// A 64-byte header for `tag` and `dc`: what to send, the cipher for what the client sends
/// next and the one for what it receives.
pub fn client_header(tag: ProtocolTag, dc: i16, secret: &[u8; 16]) -> ([u8; 64], Stream, Stream) {
    let mut header = [0u8; 64];
    loop {
        getrandom::fill(&mut header).unwrap();
        let first = &header[..4];
        let reserved = header[0] == 0xef
            || [b"HEAD", b"POST", b"GET ", b"OPTI"].contains(&first.try_into().unwrap())
            || first == [0x16, 3, 1, 2]
            || first == [0xdd; 4]
            || first == [0xee; 4]
            || header[4..8] == [0; 4];
        if !reserved {
            break;
        }
    }
    header[56..60].copy_from_slice(&tag.bytes());
    header[60..62].copy_from_slice(&dc.to_le_bytes());
    let mut send = Stream::new(&header[8..56], secret);
    let reversed: Vec<u8> = header[8..56].iter().rev().copied().collect();
    let receive = Stream::new(&reversed, secret);
    let mut encrypted = header;
    send.apply(&mut encrypted);
    header[56..].copy_from_slice(&encrypted[56..]);
    (header, send, receive)
}

fn hmac(key: &[u8; 16], parts: &[&[u8]]) -> [u8; 32] {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).unwrap();
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

/// A 517-byte ClientHello as TDLib sends one: SNI `domain`, a padding extension to the full
/// length, the random `HMAC(key, hello)` with `timestamp` XORed into its last 4 bytes.
pub fn client_hello(key: &[u8; 16], domain: &str, timestamp: u32) -> Vec<u8> {
    let mut session_id = [0u8; 32];
    getrandom::fill(&mut session_id).unwrap();
    let name = domain.as_bytes();
    let mut sni = vec![0, 0];
    sni.extend_from_slice(&((name.len() + 5) as u16).to_be_bytes());
    sni.extend_from_slice(&((name.len() + 3) as u16).to_be_bytes());
    sni.push(0);
    sni.extend_from_slice(&(name.len() as u16).to_be_bytes());
    sni.extend_from_slice(name);
    let padding = 517 - 84 - sni.len() - 4;
    let mut extensions = sni;
    extensions.extend_from_slice(&[0, 0x15]);
    extensions.extend_from_slice(&(padding as u16).to_be_bytes());
    extensions.resize(extensions.len() + padding, 0);

    let mut hello = vec![3, 3];
    hello.extend_from_slice(&[0; 32]);
    hello.push(32);
    hello.extend_from_slice(&session_id);
    hello.extend_from_slice(&[0, 2, 0x13, 0x01, 1, 0]);
    hello.extend_from_slice(&(extensions.len() as u16).to_be_bytes());
    hello.extend_from_slice(&extensions);
    let mut record = vec![0x16, 3, 1];
    record.extend_from_slice(&((hello.len() + 4) as u16).to_be_bytes());
    record.push(1);
    record.extend_from_slice(&(hello.len() as u32).to_be_bytes()[1..]);
    record.extend_from_slice(&hello);

    let mut random = hmac(key, &[&record]);
    for (byte, t) in random[28..].iter_mut().zip(timestamp.to_le_bytes()) {
        *byte ^= t;
    }
    record[11..43].copy_from_slice(&random);
    record
}

/// Whether `answer` (ServerHello, ChangeCipherSpec, application data) carries the HMAC a
/// client checks: over its own random and the answer with the server random zeroed.
pub fn verify_server_hello(key: &[u8; 16], client_random: &[u8], answer: &[u8]) -> bool {
    if answer.len() < 43 {
        return false;
    }
    let mut zeroed = answer.to_vec();
    zeroed[11..43].fill(0);
    hmac(key, &[client_random, &zeroed]) == answer[11..43]
}

/// A connection through the proxy speaking `tag`, with fake TLS for an `ee` secret.
pub struct TestClient {
    stream: TcpStream,
    tag: ProtocolTag,
    tls: bool,
    send: Stream,
    receive: Stream,
    /// Unread bytes of the server's current application-data record.
    record: Vec<u8>,
}

impl TestClient {
    pub async fn connect(
        address: SocketAddr,
        secret: &ProxySecret,
        tag: ProtocolTag,
        dc: i16,
    ) -> io::Result<TestClient> {
        let mut stream = TcpStream::connect(address).await?;
        let tls = secret.kind() == SecretKind::FakeTls;
        let (header, send, receive) = client_header(tag, dc, secret.key());
        if tls {
            let hello = client_hello(secret.key(), secret.domain(), now());
            stream.write_all(&hello).await?;
            let answer = read_server_hello(&mut stream).await?;
            if !verify_server_hello(secret.key(), &hello[11..43], &answer) {
                return Err(io::Error::other("the server's HMAC does not match"));
            }
            let mut first = vec![0x14, 3, 3, 0, 1, 1, 0x17, 3, 3, 0, 64];
            first.extend_from_slice(&header);
            stream.write_all(&first).await?;
        } else {
            stream.write_all(&header).await?;
        }
        Ok(TestClient {
            stream,
            tag,
            tls,
            send,
            receive,
            record: Vec::new(),
        })
    }

    /// Frames, encrypts and sends one packet (padded intermediate with 0–15 random bytes).
    pub async fn send(&mut self, payload: &[u8]) -> io::Result<()> {
        let mut packet = match self.tag {
            ProtocolTag::Abridged if payload.len() / 4 < 0x7f => vec![(payload.len() / 4) as u8],
            ProtocolTag::Abridged => {
                let mut long = vec![0x7f];
                long.extend_from_slice(&((payload.len() / 4) as u32).to_le_bytes()[..3]);
                long
            }
            ProtocolTag::Intermediate => (payload.len() as u32).to_le_bytes().to_vec(),
            ProtocolTag::PaddedIntermediate => Vec::new(),
        };
        let mut padding = [0u8; 16];
        getrandom::fill(&mut padding).unwrap();
        let padding = &padding[1..1 + usize::from(padding[0] % 16)];
        if self.tag == ProtocolTag::PaddedIntermediate {
            packet.extend_from_slice(&((payload.len() + padding.len()) as u32).to_le_bytes());
        }
        packet.extend_from_slice(payload);
        if self.tag == ProtocolTag::PaddedIntermediate {
            packet.extend_from_slice(padding);
        }
        self.send_bytes(packet).await
    }

    /// Encrypts and sends `bytes` (framing included), in records of 16 kB with fake TLS.
    pub async fn send_bytes(&mut self, mut bytes: Vec<u8>) -> io::Result<()> {
        self.send.apply(&mut bytes);
        if self.tls {
            let mut records = Vec::with_capacity(bytes.len() + 64);
            for chunk in bytes.chunks(16384) {
                records.extend_from_slice(&[0x17, 3, 3]);
                records.extend_from_slice(&(chunk.len() as u16).to_be_bytes());
                records.extend_from_slice(chunk);
            }
            bytes = records;
        }
        self.stream.write_all(&bytes).await
    }

    /// The next packet, as the client's framing carries it (padding included).
    pub async fn receive(&mut self) -> io::Result<Vec<u8>> {
        let len = match self.tag {
            ProtocolTag::Abridged => {
                let first = self.read(1).await?[0];
                if first == 0x7f {
                    let three = self.read(3).await?;
                    u32::from_le_bytes([three[0], three[1], three[2], 0]) as usize * 4
                } else {
                    usize::from(first) * 4
                }
            }
            _ => u32::from_le_bytes(self.read(4).await?.try_into().unwrap()) as usize,
        };
        self.read(len).await
    }

    async fn read(&mut self, n: usize) -> io::Result<Vec<u8>> {
        let mut out = vec![0u8; n];
        if self.tls {
            let mut filled = 0;
            while filled < n {
                if self.record.is_empty() {
                    let mut header = [0u8; 5];
                    self.stream.read_exact(&mut header).await?;
                    assert_eq!(header[..3], [0x17, 3, 3], "application data");
                    let len = usize::from(u16::from_be_bytes([header[3], header[4]]));
                    self.record = vec![0u8; len];
                    self.stream.read_exact(&mut self.record).await?;
                }
                let take = self.record.len().min(n - filled);
                out[filled..filled + take].copy_from_slice(&self.record[..take]);
                self.record.drain(..take);
                filled += take;
            }
        } else {
            self.stream.read_exact(&mut out).await?;
        }
        self.receive.apply(&mut out);
        Ok(out)
    }

    /// Whether the proxy closed the connection (end of stream, or reset).
    pub async fn closed_by_proxy(&mut self) -> bool {
        let mut byte = [0u8; 1];
        matches!(self.stream.read(&mut byte).await, Ok(0) | Err(_))
    }
}

/// Reads the three records of the server's answer to the ClientHello.
async fn read_server_hello(stream: &mut TcpStream) -> io::Result<Vec<u8>> {
    let mut answer = Vec::new();
    for expected in [0x16, 0x14, 0x17] {
        let mut header = [0u8; 5];
        stream.read_exact(&mut header).await?;
        if header[..3] != [expected, 3, 3] {
            return Err(io::Error::other(format!("record {header:02x?}")));
        }
        let mut body = vec![0u8; usize::from(u16::from_be_bytes([header[3], header[4]]))];
        stream.read_exact(&mut body).await?;
        answer.extend_from_slice(&header);
        answer.extend_from_slice(&body);
    }
    Ok(answer)
}

/// Unix time.
pub fn now() -> u32 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as u32
}
