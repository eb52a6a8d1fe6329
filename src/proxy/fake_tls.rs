//! Fake TLS, for `ee` secrets: the connection opens like a browser's TLS 1.3 connection to the
//! secret's cover domain, and the proxy proves it knows the secret before anything else is
//! sent (TDLib `td/mtproto/TlsInit.cpp`, Telegram Desktop `mtproto_tls_socket`, mtprotoproxy,
//! mtg).
//!
//! - The client sends one ClientHello record of 517 bytes whose 32-byte `random` is
//!   HMAC-SHA256(secret, the whole record with `random` zeroed), its last four bytes XORed
//!   with the Unix time (little-endian) so the proxy can refuse replays.
//! - The proxy answers a handshake record (its ServerHello), a ChangeCipherSpec record and
//!   one application-data record; its ServerHello's `random` (bytes 11..43 of the answer) is
//!   HMAC-SHA256(secret, the client's random ‖ the whole answer with that field zeroed). A
//!   mismatch means a wrong secret, or a real TLS server (what a proxy with another secret
//!   forwards to).
//! - From then on every byte travels in application-data records (`17 03 03 len`), the
//!   client's first one preceded by a ChangeCipherSpec record, at most 2878 bytes of payload
//!   each (TDLib's `MAX_TLS_PACKET_LENGTH`).
//!
//! The ClientHello is written here from the TLS 1.3 specification (RFC 8446) with the
//! extensions a current browser sends, GREASE values (RFC 8701) and a padding extension up to
//! 517 bytes, the size TDLib's hello has. Its key share is 32 random bytes, not a computed
//! X25519 point: the proxy never uses it.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use super::link::MAX_DOMAIN_LENGTH;

/// The size of the ClientHello record, as TDLib sends it.
pub const HELLO_LEN: usize = 517;

/// The most payload one application-data record carries.
pub const MAX_RECORD_PAYLOAD: usize = 2878;

/// The largest record accepted from the proxy (TLS allows 2^14 bytes plus expansion).
const MAX_RECORD_IN: usize = (1 << 14) + 2048;

/// The ChangeCipherSpec record the client sends before its first application data.
const CHANGE_CIPHER_SPEC: [u8; 6] = [0x14, 0x03, 0x03, 0x00, 0x01, 0x01];

/// Where the 32-byte `random` sits in a hello record (5 record + 4 handshake + 2 version).
const RANDOM_AT: usize = 11;

/// Why the fake-TLS handshake failed.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("the proxy's TLS answer does not prove it knows the secret")]
    HmacMismatch,
    #[error("the proxy's answer is not the TLS handshake an MTProto proxy sends")]
    NotTls,
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

type HmacSha256 = Hmac<Sha256>;

fn hmac(secret: &[u8; 16], parts: &[&[u8]]) -> [u8; 32] {
    let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC takes any key length");
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

/// The ClientHello for `domain` signed with `secret` at `unix_time`, and its `random`.
pub fn client_hello(secret: &[u8; 16], domain: &str, unix_time: u32) -> (Vec<u8>, [u8; 32]) {
    let mut hello = unsigned_hello(domain, &mut Draws::new());
    let mut digest = hmac(secret, &[&hello]);
    for (d, t) in digest[28..].iter_mut().zip(unix_time.to_le_bytes()) {
        *d ^= t;
    }
    hello[RANDOM_AT..RANDOM_AT + 32].copy_from_slice(&digest);
    (hello, digest)
}

/// Random bytes drawn once per hello: the session id, the key share, GREASE values.
struct Draws {
    bytes: [u8; 72],
}

impl Draws {
    fn new() -> Draws {
        let mut bytes = [0u8; 72];
        getrandom::fill(&mut bytes).expect("the system's random number generator works");
        Draws { bytes }
    }

    fn session_id(&self) -> &[u8] {
        &self.bytes[..32]
    }

    fn key_share(&self) -> [u8; 32] {
        let mut key: [u8; 32] = self.bytes[32..64].try_into().unwrap_or_default();
        key[31] &= 0x7f;
        key
    }

    /// GREASE value `i` (RFC 8701: `0x?A?A`), the pairs at even and odd `i` distinct.
    fn grease(&self, i: usize) -> [u8; 2] {
        let pick = |j: usize| (self.bytes[64 + j] & 0xf0) | 0x0a;
        let mut g = pick(i);
        if i % 2 == 1 && g == pick(i - 1) {
            g ^= 0x10;
        }
        [g, g]
    }
}

/// A byte writer with length-prefixed scopes (TLS nests 1-, 2- and 3-byte lengths).
struct Writer {
    out: Vec<u8>,
}

impl Writer {
    fn put(&mut self, bytes: &[u8]) -> &mut Self {
        self.out.extend_from_slice(bytes);
        self
    }

    /// Writes what `body` writes, preceded by its length in `width` bytes (big-endian).
    fn scoped(&mut self, width: usize, body: impl FnOnce(&mut Writer)) -> &mut Self {
        let at = self.out.len();
        self.out.extend(std::iter::repeat_n(0, width));
        body(self);
        let len = (self.out.len() - at - width) as u32;
        self.out[at..at + width].copy_from_slice(&len.to_be_bytes()[4 - width..]);
        self
    }

    fn extension(&mut self, kind: [u8; 2], body: impl FnOnce(&mut Writer)) -> &mut Self {
        self.put(&kind).scoped(2, body)
    }
}

/// The hello with `random` zeroed, padded to [`HELLO_LEN`].
fn unsigned_hello(domain: &str, draws: &mut Draws) -> Vec<u8> {
    let domain = &domain.as_bytes()[..domain.len().min(MAX_DOMAIN_LENGTH)];
    let mut w = Writer {
        out: Vec::with_capacity(HELLO_LEN),
    };
    w.put(&[0x16, 0x03, 0x01]).scoped(2, |record| {
        record.put(&[0x01]).scoped(3, |hs| {
            hs.put(&[0x03, 0x03]).put(&[0; 32]);
            hs.scoped(1, |s| {
                s.put(draws.session_id());
            });
            hs.scoped(2, |suites| {
                suites.put(&draws.grease(0)).put(&[
                    0x13, 0x01, 0x13, 0x02, 0x13, 0x03, 0xc0, 0x2b, 0xc0, 0x2f, 0xc0, 0x2c, 0xc0,
                    0x30, 0xcc, 0xa9, 0xcc, 0xa8, 0xc0, 0x13, 0xc0, 0x14, 0x00, 0x9c, 0x00, 0x9d,
                    0x00, 0x2f, 0x00, 0x35,
                ]);
            });
            hs.put(&[0x01, 0x00]); // compression: null only
            hs.scoped(2, |ext| extensions(ext, domain, draws));
        });
    });
    w.out
}

fn extensions(w: &mut Writer, domain: &[u8], draws: &Draws) {
    w.extension(draws.grease(2), |_| {});
    w.extension([0x00, 0x00], |sni| {
        sni.scoped(2, |list| {
            list.put(&[0x00]).scoped(2, |name| {
                name.put(domain);
            });
        });
    });
    w.extension([0x00, 0x17], |_| {}); // extended master secret
    w.extension([0xff, 0x01], |r| {
        r.put(&[0x00]);
    }); // renegotiation info
    w.extension([0x00, 0x0a], |groups| {
        groups.scoped(2, |list| {
            list.put(&draws.grease(4))
                .put(&[0x00, 0x1d, 0x00, 0x17, 0x00, 0x18]);
        });
    });
    w.extension([0x00, 0x0b], |formats| {
        formats.put(&[0x01, 0x00]);
    });
    w.extension([0x00, 0x23], |_| {}); // session ticket
    w.extension([0x00, 0x10], |alpn| {
        alpn.scoped(2, |list| {
            list.put(b"\x02h2\x08http/1.1");
        });
    });
    w.extension([0x00, 0x05], |status| {
        status.put(&[0x01, 0x00, 0x00, 0x00, 0x00]);
    });
    w.extension([0x00, 0x0d], |algorithms| {
        algorithms.scoped(2, |list| {
            list.put(&[
                0x04, 0x03, 0x08, 0x04, 0x04, 0x01, 0x05, 0x03, 0x08, 0x05, 0x05, 0x01, 0x08, 0x06,
                0x06, 0x01,
            ]);
        });
    });
    w.extension([0x00, 0x12], |_| {}); // signed certificate timestamps
    w.extension([0x00, 0x33], |shares| {
        shares.scoped(2, |list| {
            list.put(&draws.grease(4)).put(&[0x00, 0x01, 0x00]);
            list.put(&[0x00, 0x1d]).scoped(2, |key| {
                key.put(&draws.key_share());
            });
        });
    });
    w.extension([0x00, 0x2d], |modes| {
        modes.put(&[0x01, 0x01]);
    });
    w.extension([0x00, 0x2b], |versions| {
        versions.scoped(1, |list| {
            list.put(&draws.grease(6)).put(&[0x03, 0x04, 0x03, 0x03]);
        });
    });
    w.extension([0x00, 0x1b], |compress| {
        compress.put(&[0x02, 0x00, 0x02]);
    });
    w.extension(draws.grease(3), |g| {
        g.put(&[0x00]);
    });
    // Padding (RFC 7685) up to the hello's fixed size: `w` holds the whole record so far.
    let pad = HELLO_LEN.saturating_sub(w.out.len() + 4);
    w.extension([0x00, 0x15], |p| {
        p.put(&vec![0; pad]);
    });
}

/// Checks the proxy's answer to `client_random`.
pub fn verify_answer(secret: &[u8; 16], client_random: &[u8; 32], answer: &[u8]) -> bool {
    let Some(server_random) = answer.get(RANDOM_AT..RANDOM_AT + 32) else {
        return false;
    };
    let mut zeroed = answer.to_vec();
    zeroed[RANDOM_AT..RANDOM_AT + 32].fill(0);
    hmac(secret, &[client_random, &zeroed]) == server_random
}

/// Sends the hello and checks the answer. Nothing is sent after a failed check.
pub async fn handshake<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    secret: &[u8; 16],
    domain: &str,
) -> Result<(), TlsError> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as u32)
        .unwrap_or_default();
    let (hello, client_random) = client_hello(secret, domain, now);
    stream.write_all(&hello).await?;
    let mut answer = Vec::new();
    // ServerHello, then ChangeCipherSpec and the first application-data record.
    for prefix in [
        &[0x16, 0x03, 0x03][..],
        &[0x14, 0x03, 0x03, 0x00, 0x01, 0x01, 0x17, 0x03, 0x03],
    ] {
        let mut head = vec![0u8; prefix.len() + 2];
        stream.read_exact(&mut head).await?;
        if head[..prefix.len()] != *prefix {
            return Err(TlsError::NotTls);
        }
        let len = usize::from(u16::from_be_bytes([
            head[prefix.len()],
            head[prefix.len() + 1],
        ]));
        if len > MAX_RECORD_IN {
            return Err(TlsError::NotTls);
        }
        answer.extend_from_slice(&head);
        let at = answer.len();
        answer.resize(at + len, 0);
        stream.read_exact(&mut answer[at..]).await?;
    }
    if !verify_answer(secret, &client_random, &answer) {
        return Err(TlsError::HmacMismatch);
    }
    Ok(())
}

/// Wraps outgoing bytes in application-data records.
#[derive(Default)]
pub struct RecordWriter {
    sent_change_cipher_spec: bool,
}

impl RecordWriter {
    pub fn wrap(&mut self, mut data: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(data.len() + 11 + data.len() / MAX_RECORD_PAYLOAD * 5);
        if !self.sent_change_cipher_spec {
            out.extend_from_slice(&CHANGE_CIPHER_SPEC);
            self.sent_change_cipher_spec = true;
        }
        while !data.is_empty() {
            let (chunk, rest) = data.split_at(data.len().min(MAX_RECORD_PAYLOAD));
            out.extend_from_slice(&[0x17, 0x03, 0x03]);
            out.extend_from_slice(&(chunk.len() as u16).to_be_bytes());
            out.extend_from_slice(chunk);
            data = rest;
        }
        out
    }
}

/// The payload of the application-data records at the front of `buffer`, as far as whole
/// records go; anything else than application data ends the connection.
pub fn unwrap_records(buffer: &mut Vec<u8>, out: &mut Vec<u8>) -> Result<(), TlsError> {
    let mut at = 0;
    while let Some(head) = buffer.get(at..at + 5) {
        if head[..3] != [0x17, 0x03, 0x03] {
            return Err(TlsError::NotTls);
        }
        let len = usize::from(u16::from_be_bytes([head[3], head[4]]));
        if len > MAX_RECORD_IN {
            return Err(TlsError::NotTls);
        }
        let Some(payload) = buffer.get(at + 5..at + 5 + len) else {
            break;
        };
        out.extend_from_slice(payload);
        at += 5 + len;
    }
    buffer.drain(..at);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: [u8; 16] = *b"fake-tls secret!";

    /// The proxy's check, from the description: the HMAC over the hello with `random`
    /// zeroed, XORed with the digest sent, is 28 zero bytes and the timestamp.
    fn proxy_check(hello: &[u8], secret: &[u8; 16]) -> Option<u32> {
        let sent: [u8; 32] = hello[11..43].try_into().unwrap();
        let mut zeroed = hello.to_vec();
        zeroed[11..43].fill(0);
        let expected = hmac(secret, &[&zeroed]);
        let x: Vec<u8> = sent.iter().zip(expected).map(|(a, b)| a ^ b).collect();
        (x[..28] == [0; 28]).then(|| u32::from_le_bytes(x[28..].try_into().unwrap()))
    }

    #[test]
    fn the_hello_is_one_record_of_517_bytes_signed_with_the_time() {
        for domain in ["google.com", &"a".repeat(MAX_DOMAIN_LENGTH)] {
            let (hello, random) = client_hello(&SECRET, domain, 1_780_000_000);
            assert_eq!(hello.len(), HELLO_LEN, "{domain}");
            assert_eq!(hello[..3], [0x16, 0x03, 0x01]);
            assert_eq!(
                usize::from(u16::from_be_bytes([hello[3], hello[4]])),
                HELLO_LEN - 5
            );
            assert_eq!(hello[5], 0x01, "a ClientHello");
            let hs_len = u32::from_be_bytes([0, hello[6], hello[7], hello[8]]) as usize;
            assert_eq!(hs_len, HELLO_LEN - 9);
            assert_eq!(hello[43], 32, "a 32-byte session id");
            assert_eq!(hello[11..43], random);
            assert_eq!(proxy_check(&hello, &SECRET), Some(1_780_000_000));
            assert_eq!(proxy_check(&hello, b"another secret!!"), None);
            let at = hello
                .windows(domain.len())
                .position(|w| w == domain.as_bytes())
                .expect("the cover domain is in the SNI extension");
            assert_eq!(
                u16::from_be_bytes([hello[at - 2], hello[at - 1]]) as usize,
                domain.len()
            );
        }
    }

    #[test]
    fn extensions_are_well_formed_up_to_the_end() {
        let (hello, _) = client_hello(&SECRET, "example.org", 0);
        // record 5, handshake 4, version 2, random 32, session id 33, suites 2+32, compression 2
        let mut at = 5 + 4 + 2 + 32 + 33;
        let suites = usize::from(u16::from_be_bytes([hello[at], hello[at + 1]]));
        at += 2 + suites + 2;
        let total = usize::from(u16::from_be_bytes([hello[at], hello[at + 1]]));
        at += 2;
        assert_eq!(at + total, HELLO_LEN);
        let mut kinds = Vec::new();
        while at < HELLO_LEN {
            kinds.push([hello[at], hello[at + 1]]);
            at += 4 + usize::from(u16::from_be_bytes([hello[at + 2], hello[at + 3]]));
        }
        assert_eq!(at, HELLO_LEN);
        assert_eq!(kinds.last(), Some(&[0x00, 0x15]), "padding last");
        assert!(kinds.contains(&[0x00, 0x00]) && kinds.contains(&[0x00, 0x2b]));
    }

    fn server_answer(secret: &[u8; 16], client_random: &[u8; 32]) -> Vec<u8> {
        let mut answer = vec![0x16, 0x03, 0x03, 0x00, 0x40];
        answer.extend([0x02; 0x40]);
        answer.extend([
            0x14, 0x03, 0x03, 0x00, 0x01, 0x01, 0x17, 0x03, 0x03, 0x00, 0x10,
        ]);
        answer.extend([0x33; 0x10]);
        answer[11..43].fill(0);
        let digest = hmac(secret, &[client_random, &answer]);
        answer[11..43].copy_from_slice(&digest);
        answer
    }

    #[tokio::test]
    async fn the_handshake_accepts_the_proxy_that_knows_the_secret_only() {
        for (proxy_secret, ok) in [(SECRET, true), (*b"not the secret!!", false)] {
            let (mut client, mut proxy) = tokio::io::duplex(4096);
            let server = tokio::spawn(async move {
                let mut hello = vec![0u8; HELLO_LEN];
                proxy.read_exact(&mut hello).await.unwrap();
                let random: [u8; 32] = hello[11..43].try_into().unwrap();
                proxy
                    .write_all(&server_answer(&proxy_secret, &random))
                    .await
                    .unwrap();
                proxy
            });
            let result = handshake(&mut client, &SECRET, "google.com").await;
            assert_eq!(result.is_ok(), ok, "{result:?}");
            if !ok {
                assert!(matches!(result, Err(TlsError::HmacMismatch)));
            }
            drop(server.await);
        }
    }

    #[tokio::test]
    async fn a_plain_server_is_not_taken_for_a_proxy() {
        let (mut client, mut proxy) = tokio::io::duplex(4096);
        tokio::spawn(async move {
            let mut hello = vec![0u8; HELLO_LEN];
            proxy.read_exact(&mut hello).await.unwrap();
            proxy
                .write_all(b"HTTP/1.1 400 Bad Request\r\n\r\n")
                .await
                .unwrap();
        });
        let result = handshake(&mut client, &SECRET, "google.com").await;
        assert!(matches!(result, Err(TlsError::NotTls)), "{result:?}");
    }

    #[test]
    fn records_round_trip_in_chunks_of_at_most_2878_bytes() {
        let data: Vec<u8> = (0..10_000u32).map(|i| i as u8).collect();
        let mut writer = RecordWriter::default();
        let mut wire = writer.wrap(&data[..64]);
        assert_eq!(wire[..6], CHANGE_CIPHER_SPEC, "once, first");
        wire.drain(..6);
        let second = writer.wrap(&data[64..]);
        assert_ne!(second[..6], CHANGE_CIPHER_SPEC);
        wire.extend(second);
        let mut at = 0;
        while at < wire.len() {
            let len = usize::from(u16::from_be_bytes([wire[at + 3], wire[at + 4]]));
            assert!(len <= MAX_RECORD_PAYLOAD);
            at += 5 + len;
        }
        let mut out = Vec::new();
        let mut partial = wire[..wire.len() - 3].to_vec();
        unwrap_records(&mut partial, &mut out).unwrap();
        assert!(out.len() < data.len(), "an unfinished record waits");
        let mut out = Vec::new();
        unwrap_records(&mut wire, &mut out).unwrap();
        assert_eq!(out, data);
        assert!(wire.is_empty());
        let mut alert = vec![0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28];
        assert!(unwrap_records(&mut alert, &mut Vec::new()).is_err());
    }
}
