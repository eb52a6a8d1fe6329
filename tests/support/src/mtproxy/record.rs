//! What the proxy saw, for tests to assert on: every connection it accepted, what the client
//! spoke (secret kind, protocol tag, DC id), how much it relayed each way, and why it refused
//! or ended the connection.

use super::obfuscated2::ProtocolTag;
use super::secret::SecretKind;

/// Why the proxy closed a connection during the handshake. A real proxy may instead relay a
/// refused client to the cover site; this one closes, which a client sees the same way (no
/// Telegram on the other side) and which leaves nothing to fake.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The header decrypted to these tag bytes, which name no protocol: a wrong secret (or
    /// no obfuscated2 at all).
    UnknownTag([u8; 4]),
    /// A known tag the secret's kind does not allow: `dd` and `ee` secrets need padded
    /// intermediate.
    TagNotAllowed(ProtocolTag),
    /// A DC id the fake DC does not serve (negative ids are the same DC's media).
    UnknownDc(i16),
    /// A TLS ClientHello reached a proxy whose secret is not `ee`.
    UnexpectedTls,
    /// An `ee` secret, and the client did not open with a TLS handshake record.
    NotTls,
    /// A ClientHello the proxy cannot read (which part).
    MalformedClientHello(&'static str),
    /// The ClientHello's random is not the HMAC of the secret.
    BadHmac,
    /// The ClientHello's timestamp is this far from the proxy's clock (client minus proxy).
    TimestampOutOfWindow { skew_secs: i64 },
    /// The SNI names another domain than the secret's cover domain (empty: no SNI).
    WrongDomain(String),
    /// The same ClientHello random or obfuscated2 header was seen before.
    Replayed,
    /// The client closed, or sent nothing for 10 seconds, before a whole handshake.
    IncompleteHandshake,
    /// The DC for the header's id did not accept the proxy's connection.
    DcUnreachable,
}

/// How a relayed connection ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ending {
    /// The client closed its side (or broke the framing: the text says how).
    Client(String),
    /// The DC closed its side.
    Dc,
    /// [`super::MtProxy::drop_connections`] or stopping the proxy.
    Dropped,
}

/// Packets and bytes (MTProto payload, without framing or padding) relayed one way.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Traffic {
    pub packets: u64,
    pub bytes: u64,
}

impl Traffic {
    pub(super) fn add(&mut self, payload: &[u8]) {
        self.packets += 1;
        self.bytes += payload.len() as u64;
    }
}

/// One accepted TCP connection.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ConnectionRecord {
    /// 1 for the first connection accepted.
    pub id: u64,
    /// The secret kind, once the client proved it holds the secret (a known, allowed tag in
    /// a fresh header; for `ee` a valid ClientHello first), even if the DC is then refused.
    pub kind: Option<SecretKind>,
    pub tag: Option<ProtocolTag>,
    /// The DC id from the header, as sent (negative for media).
    pub dc_id: Option<i16>,
    /// The SNI of a fake-TLS ClientHello.
    pub sni: Option<String>,
    pub to_dc: Traffic,
    pub to_client: Traffic,
    pub refusal: Option<Refusal>,
    pub ending: Option<Ending>,
    /// Accepted while [`super::MtProxy::black_hole`] was on: nothing read, written or closed.
    pub black_holed: bool,
}
