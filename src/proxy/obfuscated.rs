//! The obfuscated transport's client side: the 64-byte header that opens every connection to
//! an MTProto proxy, and the AES-256-CTR streams it keys (core.telegram.org, "Transport
//! obfuscation"; TDLib `ObfuscatedTransport::init`).
//!
//! The header is random except for the protocol tag (bytes 56..60) and the DC id (60..62,
//! signed 16-bit little-endian). Its bytes 8..56 give the client's key and IV, the same bytes
//! reversed the key and IV of the answers; with a proxy each key is
//! SHA-256(key bytes ‖ the secret's 16 bytes). The header is sent with bytes 0..56 as drawn and
//! bytes 56..64 encrypted, so the proxy recovers the tag and DC id and nothing else shows.

use aes::Aes256;
use aes::cipher::{KeyIvInit, StreamCipher};
use sha2::{Digest, Sha256};

type AesCtr = ctr::Ctr128BE<Aes256>;

/// The transport spoken inside the obfuscation, named by its tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tag {
    /// `0xeeeeeeee`: intermediate (plain secrets).
    Intermediate,
    /// `0xdddddddd`: padded intermediate (`dd` and `ee` secrets).
    PaddedIntermediate,
}

impl Tag {
    pub fn bytes(self) -> [u8; 4] {
        match self {
            Tag::Intermediate => [0xee; 4],
            Tag::PaddedIntermediate => [0xdd; 4],
        }
    }
}

/// First words a header may not start with, lest it read as another protocol: `HEAD`,
/// `POST`, `GET `, `OPTI`, the two intermediate tags, and a TLS handshake record's start.
const FORBIDDEN_FIRST_WORDS: [[u8; 4]; 7] = [
    *b"HEAD",
    *b"POST",
    *b"GET ",
    *b"OPTI",
    [0xdd; 4],
    [0xee; 4],
    [0x16, 0x03, 0x01, 0x02],
];

/// Whether 64 random bytes may open a connection: not the abridged transport's `0xef`, no
/// forbidden first word, and a second word that is not zero (the full transport's first
/// sequence number).
pub fn acceptable(random: &[u8; 64]) -> bool {
    random[0] != 0xef
        && !FORBIDDEN_FIRST_WORDS.iter().any(|w| random[..4] == w[..])
        && random[4..8] != [0; 4]
}

/// Both directions' ciphers of one connection.
pub struct Obfuscation {
    /// What goes to the proxy.
    pub encrypt: Keystream,
    /// What the proxy sent.
    pub decrypt: Keystream,
}

/// One direction's AES-256-CTR keystream.
pub struct Keystream(AesCtr);

impl Keystream {
    /// Encrypts or decrypts `data` in place (CTR mode: the same operation).
    pub fn apply(&mut self, data: &mut [u8]) {
        self.0.apply_keystream(data);
    }
}

/// A fresh header for `dc_id` and the ciphers it keys, with random bytes from the system.
pub fn client_header(secret: &[u8; 16], tag: Tag, dc_id: i16) -> ([u8; 64], Obfuscation) {
    let mut random = [0u8; 64];
    loop {
        // Failing randomness is not something to carry on without.
        getrandom::fill(&mut random).expect("the system's random number generator works");
        if acceptable(&random) {
            return header_from(random, secret, tag, dc_id);
        }
    }
}

/// The header built from `random` (already [`acceptable`]), as sent, and its ciphers.
pub fn header_from(
    mut random: [u8; 64],
    secret: &[u8; 16],
    tag: Tag,
    dc_id: i16,
) -> ([u8; 64], Obfuscation) {
    random[56..60].copy_from_slice(&tag.bytes());
    random[60..62].copy_from_slice(&dc_id.to_le_bytes());
    let mut reversed = random;
    reversed.reverse();
    let mut obfuscation = Obfuscation {
        encrypt: Keystream(cipher(&random, secret)),
        decrypt: Keystream(cipher(&reversed, secret)),
    };
    let mut encrypted = random;
    obfuscation.encrypt.apply(&mut encrypted);
    let mut header = random;
    header[56..].copy_from_slice(&encrypted[56..]);
    (header, obfuscation)
}

/// AES-256-CTR keyed by SHA-256(bytes 8..40 ‖ secret), IV bytes 40..56.
fn cipher(bytes: &[u8; 64], secret: &[u8; 16]) -> AesCtr {
    let key = Sha256::new()
        .chain_update(&bytes[8..40])
        .chain_update(secret)
        .finalize();
    AesCtr::new_from_slices(&key, &bytes[40..56]).expect("a 32-byte key and a 16-byte IV")
}

/// The proxy's side of a header, for tests written from the protocol description: its
/// cipher for what the client sends, its cipher for what it answers, and the header decrypted
/// (tag at 56..60, DC id at 60..62).
#[cfg(test)]
pub(crate) fn proxy_side(header: &[u8; 64], secret: &[u8; 16]) -> (Keystream, Keystream, [u8; 64]) {
    let mut from_client = Keystream(cipher(header, secret));
    let mut reversed = *header;
    reversed.reverse();
    let to_client = Keystream(cipher(&reversed, secret));
    let mut plain = *header;
    from_client.apply(&mut plain);
    (from_client, to_client, plain)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: [u8; 16] = *b"0123456789abcdef";

    fn proxy_reads(header: &[u8; 64], secret: &[u8; 16]) -> (Tag, i16, Keystream, Keystream) {
        let (from_client, to_client, plain) = proxy_side(header, secret);
        let tag = match plain[56..60] {
            [0xee, 0xee, 0xee, 0xee] => Tag::Intermediate,
            [0xdd, 0xdd, 0xdd, 0xdd] => Tag::PaddedIntermediate,
            _ => panic!("no tag: {:?}", &plain[56..60]),
        };
        let dc = i16::from_le_bytes([plain[60], plain[61]]);
        (tag, dc, from_client, to_client)
    }

    #[test]
    fn the_proxy_reads_the_tag_and_dc_and_both_directions_round_trip() {
        for (tag, dc) in [(Tag::Intermediate, 2), (Tag::PaddedIntermediate, -10003)] {
            let (header, mut ours) = client_header(&SECRET, tag, dc);
            assert!(
                acceptable(&header),
                "the sent header still looks like nothing"
            );
            let (read_tag, read_dc, mut from_client, mut to_client) = proxy_reads(&header, &SECRET);
            assert_eq!((read_tag, read_dc), (tag, dc));

            let mut up = b"a request of twelve bytes...".to_vec();
            ours.encrypt.apply(&mut up);
            from_client.apply(&mut up);
            assert_eq!(up, b"a request of twelve bytes...");

            let mut down = b"an answer".to_vec();
            to_client.apply(&mut down);
            ours.decrypt.apply(&mut down);
            assert_eq!(down, b"an answer");
        }
    }

    #[test]
    fn another_secret_reads_no_tag() {
        let (header, _) = client_header(&SECRET, Tag::Intermediate, 1);
        let (_, _, plain) = proxy_side(&header, b"fedcba9876543210");
        assert_ne!(plain[56..60], [0xee; 4]);
    }

    #[test]
    fn only_the_tail_is_encrypted() {
        let random: [u8; 64] = std::array::from_fn(|i| i as u8 + 1);
        let (header, _) = header_from(random, &SECRET, Tag::Intermediate, 4);
        assert_eq!(header[..56], random[..56]);
        assert_ne!(header[56..60], [0xee; 4]);
    }

    #[test]
    fn headers_that_look_like_other_protocols_are_refused() {
        let mut random = [7u8; 64];
        assert!(acceptable(&random));
        for start in [*b"HEAD", *b"POST", *b"GET ", *b"OPTI", [0xee; 4], [0xdd; 4]] {
            random[..4].copy_from_slice(&start);
            assert!(!acceptable(&random), "{start:?}");
        }
        random[..4].copy_from_slice(&[0xef, 1, 2, 3]);
        assert!(!acceptable(&random));
        random[..4].copy_from_slice(&[1, 2, 3, 4]);
        random[4..8].copy_from_slice(&[0; 4]);
        assert!(!acceptable(&random));
    }
}
