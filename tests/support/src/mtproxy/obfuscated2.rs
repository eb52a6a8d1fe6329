//! Obfuscated2, the proxy's side: the client's 64-byte header carries the keys of both
//! directions (bytes 8..56, and the same bytes reversed for the way back), each hashed with
//! the secret (`SHA-256(key part ‖ secret)`), for AES-256-CTR with a big-endian 128-bit
//! counter. Decrypted with its own key, the header ends in the protocol tag (56..60) and the
//! DC id (60..62, i16 LE; negative for media DCs). A wrong secret decrypts to a random tag,
//! which is how a proxy tells it apart.

use aes::Aes256;
use ctr::Ctr128BE;
use ctr::cipher::{KeyIvInit, StreamCipher};
use sha2::{Digest, Sha256};

pub const HEADER_LEN: usize = 64;

/// One direction's AES-256-CTR keystream, continued across every byte of the connection.
pub struct Ctr(Ctr128BE<Aes256>);

impl Ctr {
    /// The cipher of one direction: `key` (32 bytes, already hashed with the secret) and `iv`.
    pub fn new(key: &[u8; 32], iv: &[u8; 16]) -> Self {
        Ctr(Ctr128BE::<Aes256>::new_from_slices(key, iv).expect("32-byte key, 16-byte IV"))
    }

    /// Encrypts or decrypts `data` in place (CTR is its own inverse).
    pub fn apply(&mut self, data: &mut [u8]) {
        self.0.apply_keystream(data);
    }
}

/// How the client frames its packets inside the obfuscated stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ProtocolTag {
    /// `0xefefefef`: a length byte in 4-byte words (or `0x7f` and three bytes).
    Abridged,
    /// `0xeeeeeeee`: a 4-byte little-endian length.
    Intermediate,
    /// `0xdddddddd`: intermediate with 0–15 random bytes after each packet.
    PaddedIntermediate,
}

impl ProtocolTag {
    pub fn from_bytes(tag: [u8; 4]) -> Option<Self> {
        match tag {
            [0xef, 0xef, 0xef, 0xef] => Some(Self::Abridged),
            [0xee, 0xee, 0xee, 0xee] => Some(Self::Intermediate),
            [0xdd, 0xdd, 0xdd, 0xdd] => Some(Self::PaddedIntermediate),
            _ => None,
        }
    }

    pub fn bytes(self) -> [u8; 4] {
        match self {
            Self::Abridged => [0xef; 4],
            Self::Intermediate => [0xee; 4],
            Self::PaddedIntermediate => [0xdd; 4],
        }
    }
}

/// A header the secret decrypts to a known tag: the tag, the DC id and both directions'
/// ciphers, positioned after the header.
pub struct Accepted {
    pub tag: ProtocolTag,
    pub dc_id: i16,
    /// Decrypts what the client sends next.
    pub from_client: Ctr,
    /// Encrypts what the proxy sends the client.
    pub to_client: Ctr,
}

/// Decrypts `header` with `secret`; `Err` carries the 4 tag bytes it decrypted to when they
/// name no protocol (a wrong secret, or not obfuscated2 at all).
pub fn accept(header: &[u8; HEADER_LEN], secret: &[u8; 16]) -> Result<Accepted, [u8; 4]> {
    let (mut from_client, to_client) = ciphers(header, secret);
    let mut decrypted = *header;
    from_client.apply(&mut decrypted);
    let tag_bytes: [u8; 4] = decrypted[56..60].try_into().expect("4 bytes");
    let tag = ProtocolTag::from_bytes(tag_bytes).ok_or(tag_bytes)?;
    let dc_id = i16::from_le_bytes([decrypted[60], decrypted[61]]);
    Ok(Accepted {
        tag,
        dc_id,
        from_client,
        to_client,
    })
}

/// Both directions' ciphers from the header, from the receiver's side: what the client
/// encrypts with (bytes 8..40 key, 40..56 IV) and what it decrypts with (the same 48 bytes
/// reversed), each key hashed with the secret. A client uses them the other way round.
pub fn ciphers(header: &[u8; HEADER_LEN], secret: &[u8; 16]) -> (Ctr, Ctr) {
    let forward = &header[8..56];
    let mut reversed = [0u8; 48];
    reversed.copy_from_slice(forward);
    reversed.reverse();
    (cipher_of(forward, secret), cipher_of(&reversed, secret))
}

fn cipher_of(key_and_iv: &[u8], secret: &[u8; 16]) -> Ctr {
    let key: [u8; 32] = Sha256::new()
        .chain_update(&key_and_iv[..32])
        .chain_update(secret)
        .finalize()
        .into();
    let iv: [u8; 16] = key_and_iv[32..48].try_into().expect("16 bytes");
    Ctr::new(&key, &iv)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mtproxy::test_client::client_header;

    const SECRET: [u8; 16] = [7; 16];

    #[test]
    fn a_header_made_with_the_secret_gives_its_tag_and_dc() {
        let (header, _, _) = client_header(ProtocolTag::PaddedIntermediate, -4, &SECRET);
        let accepted = accept(&header, &SECRET).expect("accepted");
        assert_eq!(accepted.tag, ProtocolTag::PaddedIntermediate);
        assert_eq!(accepted.dc_id, -4);
    }

    #[test]
    fn another_secret_decrypts_to_no_known_tag() {
        let (header, _, _) = client_header(ProtocolTag::Intermediate, 2, &SECRET);
        assert!(accept(&header, &[8; 16]).is_err());
    }

    #[test]
    fn both_directions_continue_the_streams_the_client_holds() {
        let (header, mut client_out, mut client_in) =
            client_header(ProtocolTag::Abridged, 2, &SECRET);
        let mut accepted = accept(&header, &SECRET).expect("accepted");
        let mut up = *b"client to proxy";
        client_out.apply(&mut up);
        accepted.from_client.apply(&mut up);
        assert_eq!(&up, b"client to proxy");
        let mut down = *b"proxy to client";
        accepted.to_client.apply(&mut down);
        client_in.apply(&mut down);
        assert_eq!(&down, b"proxy to client");
    }

    #[test]
    fn the_counter_is_big_endian_over_the_whole_iv() {
        // AES-CTR with an IV of all 0xff must carry into a wrapped counter, not stop at 64 bits:
        // the second block's keystream is AES(0…0), the first AES(ff…ff).
        let key = [1u8; 32];
        let mut wrapped = Ctr::new(&key, &[0xff; 16]);
        let mut from_zero = Ctr::new(&key, &[0; 16]);
        let mut two_blocks = [0u8; 32];
        wrapped.apply(&mut two_blocks);
        let mut one_block = [0u8; 16];
        from_zero.apply(&mut one_block);
        assert_eq!(two_blocks[16..], one_block);
    }
}
