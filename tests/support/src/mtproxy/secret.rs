//! A proxy secret in the three kinds real MTProto proxies hand out, and the forms a user copies
//! it in: 32 hex digits (plain), `dd` + 32 hex digits (random padding), `ee` + 32 hex digits +
//! the cover domain in hex (fake TLS), base64url of the same bytes as Telegram's apps write
//! them, and the `tg://proxy` / `https://t.me/proxy` links. Only the 16 key bytes take part in
//! the cryptography; the prefix tells the client which transport to speak.

use std::net::SocketAddr;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// Which transport a secret asks the client for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SecretKind {
    /// 16 bytes: obfuscated2 with abridged, intermediate or padded intermediate framing.
    Plain,
    /// `dd` + 16 bytes: obfuscated2 with padded intermediate framing only.
    Padded,
    /// `ee` + 16 bytes + cover domain: a fake TLS handshake, then padded intermediate inside
    /// TLS application-data records.
    FakeTls,
}

/// A proxy secret: the 16 key bytes, its kind and, for fake TLS, the cover domain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProxySecret {
    key: [u8; 16],
    kind: SecretKind,
    domain: String,
}

impl ProxySecret {
    pub fn plain(key: [u8; 16]) -> Self {
        Self {
            key,
            kind: SecretKind::Plain,
            domain: String::new(),
        }
    }

    pub fn padded(key: [u8; 16]) -> Self {
        Self {
            key,
            kind: SecretKind::Padded,
            domain: String::new(),
        }
    }

    /// A fake-TLS secret whose ClientHello names `domain` (the cover site) in its SNI.
    pub fn fake_tls(key: [u8; 16], domain: &str) -> Self {
        Self {
            key,
            kind: SecretKind::FakeTls,
            domain: domain.to_owned(),
        }
    }

    /// A secret of `kind` with random key bytes (`example.com` as the cover domain).
    pub fn random(kind: SecretKind) -> Self {
        let mut key = [0; 16];
        getrandom::fill(&mut key).expect("OS randomness");
        match kind {
            SecretKind::Plain => Self::plain(key),
            SecretKind::Padded => Self::padded(key),
            SecretKind::FakeTls => Self::fake_tls(key, "example.com"),
        }
    }

    /// Reads the hex or base64url form (what [`ProxySecret::hex`] or
    /// [`ProxySecret::base64url`] write). `None` for anything else.
    pub fn parse(text: &str) -> Option<Self> {
        let bytes = if text.len() >= 32 && text.chars().all(|c| c.is_ascii_hexdigit()) {
            decode_hex(text)?
        } else {
            URL_SAFE_NO_PAD.decode(text.trim_end_matches('=')).ok()?
        };
        Self::from_bytes(&bytes)
    }

    fn from_bytes(bytes: &[u8]) -> Option<Self> {
        let key_at = |at: usize| -> Option<[u8; 16]> { bytes.get(at..at + 16)?.try_into().ok() };
        match (bytes.len(), bytes.first()) {
            (16, _) => Some(Self::plain(key_at(0)?)),
            (17, Some(0xdd)) => Some(Self::padded(key_at(1)?)),
            (18.., Some(0xee)) => {
                let domain = std::str::from_utf8(&bytes[17..]).ok()?;
                Some(Self::fake_tls(key_at(1)?, domain))
            }
            _ => None,
        }
    }

    pub fn key(&self) -> &[u8; 16] {
        &self.key
    }

    pub fn kind(&self) -> SecretKind {
        self.kind
    }

    /// The cover domain of a fake-TLS secret; empty for the others.
    pub fn domain(&self) -> &str {
        &self.domain
    }

    /// The secret's bytes as the user's forms carry them: prefix, key, domain.
    pub fn bytes(&self) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(17 + self.domain.len());
        match self.kind {
            SecretKind::Plain => {}
            SecretKind::Padded => bytes.push(0xdd),
            SecretKind::FakeTls => bytes.push(0xee),
        }
        bytes.extend_from_slice(&self.key);
        bytes.extend_from_slice(self.domain.as_bytes());
        bytes
    }

    /// Lower-case hex: `0123…`, `dd0123…`, `ee0123…` followed by the domain in hex.
    pub fn hex(&self) -> String {
        self.bytes().iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Base64url without padding, as Telegram's apps share `ee` secrets.
    pub fn base64url(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.bytes())
    }

    /// `tg://proxy?server=…&port=…&secret=<hex>`.
    pub fn tg_link(&self, address: SocketAddr) -> String {
        format!("tg://proxy?{}", self.link_query(address))
    }

    /// `https://t.me/proxy?server=…&port=…&secret=<hex>`, the link Telegram's apps share.
    pub fn tme_link(&self, address: SocketAddr) -> String {
        format!("https://t.me/proxy?{}", self.link_query(address))
    }

    /// `host:port:secret`, the short form the Python server accepts.
    pub fn host_port_secret(&self, address: SocketAddr) -> String {
        format!("{}:{}:{}", address.ip(), address.port(), self.hex())
    }

    fn link_query(&self, address: SocketAddr) -> String {
        format!(
            "server={}&port={}&secret={}",
            address.ip(),
            address.port(),
            self.hex()
        )
    }
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|at| u8::from_str_radix(text.get(at..at + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: [u8; 16] = [
        0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee,
        0xff,
    ];

    fn address() -> SocketAddr {
        "127.0.0.1:4433".parse().unwrap()
    }

    #[test]
    fn each_kind_is_written_in_hex_with_its_prefix() {
        assert_eq!(
            ProxySecret::plain(KEY).hex(),
            "00112233445566778899aabbccddeeff"
        );
        assert_eq!(
            ProxySecret::padded(KEY).hex(),
            "dd00112233445566778899aabbccddeeff"
        );
        assert_eq!(
            ProxySecret::fake_tls(KEY, "a.io").hex(),
            "ee00112233445566778899aabbccddeeff612e696f"
        );
    }

    #[test]
    fn base64url_has_no_padding_and_the_url_alphabet() {
        let secret = ProxySecret::fake_tls([0xfb; 16], "example.com");
        let text = secret.base64url();
        assert!(!text.contains(['=', '+', '/']), "{text}");
        assert!(text.starts_with("7vv7"), "{text}");
        assert_eq!(ProxySecret::parse(&text), Some(secret));
    }

    #[test]
    fn every_form_reads_back_as_the_same_secret() {
        for secret in [
            ProxySecret::plain(KEY),
            ProxySecret::padded(KEY),
            ProxySecret::fake_tls(KEY, "example.com"),
        ] {
            assert_eq!(ProxySecret::parse(&secret.hex()).as_ref(), Some(&secret));
            assert_eq!(
                ProxySecret::parse(&secret.base64url()).as_ref(),
                Some(&secret)
            );
        }
        assert_eq!(ProxySecret::parse("dd0011"), None);
        assert_eq!(ProxySecret::parse("not a secret"), None);
    }

    #[test]
    fn links_carry_the_address_and_the_hex_secret() {
        let secret = ProxySecret::padded(KEY);
        assert_eq!(
            secret.tg_link(address()),
            "tg://proxy?server=127.0.0.1&port=4433&secret=dd00112233445566778899aabbccddeeff"
        );
        assert_eq!(
            secret.tme_link(address()),
            "https://t.me/proxy?server=127.0.0.1&port=4433&secret=dd00112233445566778899aabbccddeeff"
        );
        assert_eq!(
            secret.host_port_secret(address()),
            "127.0.0.1:4433:dd00112233445566778899aabbccddeeff"
        );
    }
}
