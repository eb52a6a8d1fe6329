//! The server's half of MTProto 2.0 encryption. grammers-crypto only implements the client's
//! direction (and keeps its key derivation private), so the DC derives keys itself: x = 0 for
//! what the client sent, x = 8 for what the DC answers.

use grammers_crypto::aes;
use sha1::Sha1;
use sha2::{Digest, Sha256};

/// A pre-shared 256-byte authorisation key and its 8-byte id.
#[derive(Clone)]
pub struct ServerKey {
    data: [u8; 256],
    key_id: [u8; 8],
}

#[derive(Debug, PartialEq, Eq)]
pub enum CryptoError {
    /// The packet is too short or not a multiple of 16 after the header.
    BadLength,
    /// The packet names another auth key (or none: a plaintext key exchange).
    UnknownKey,
    /// The msg_key does not match the decrypted contents.
    BadMsgKey,
}

impl ServerKey {
    pub fn new(data: [u8; 256]) -> Self {
        let sha = Sha1::digest(data);
        let mut key_id = [0; 8];
        key_id.copy_from_slice(&sha[12..20]);
        Self { data, key_id }
    }

    pub fn data(&self) -> [u8; 256] {
        self.data
    }

    pub fn key_id(&self) -> [u8; 8] {
        self.key_id
    }

    fn derive(&self, msg_key: &[u8; 16], x: usize) -> ([u8; 32], [u8; 32]) {
        let a = Sha256::new()
            .chain_update(msg_key)
            .chain_update(&self.data[x..x + 36])
            .finalize();
        let b = Sha256::new()
            .chain_update(&self.data[40 + x..76 + x])
            .chain_update(msg_key)
            .finalize();
        let mut key = [0; 32];
        key[..8].copy_from_slice(&a[..8]);
        key[8..24].copy_from_slice(&b[8..24]);
        key[24..].copy_from_slice(&a[24..]);
        let mut iv = [0; 32];
        iv[..8].copy_from_slice(&b[..8]);
        iv[8..24].copy_from_slice(&a[8..24]);
        iv[24..].copy_from_slice(&b[24..]);
        (key, iv)
    }

    fn msg_key(&self, plaintext: &[u8], x: usize) -> [u8; 16] {
        let large = Sha256::new()
            .chain_update(&self.data[88 + x..120 + x])
            .chain_update(plaintext)
            .finalize();
        let mut msg_key = [0; 16];
        msg_key.copy_from_slice(&large[8..24]);
        msg_key
    }

    /// Decrypts a packet the client sent; returns the plaintext including its padding.
    pub fn decrypt_from_client(&self, packet: &[u8]) -> Result<Vec<u8>, CryptoError> {
        if packet.len() < 24 + 16 || !(packet.len() - 24).is_multiple_of(16) {
            return Err(CryptoError::BadLength);
        }
        if packet[..8] != self.key_id {
            return Err(CryptoError::UnknownKey);
        }
        let mut msg_key = [0; 16];
        msg_key.copy_from_slice(&packet[8..24]);
        let (key, iv) = self.derive(&msg_key, 0);
        let mut plaintext = packet[24..].to_vec();
        aes::ige_decrypt(&mut plaintext, &key, &iv);
        if self.msg_key(&plaintext, 0) != msg_key {
            return Err(CryptoError::BadMsgKey);
        }
        Ok(plaintext)
    }

    /// Encrypts a plaintext for the client, adding 12 to 1024 bytes of random padding.
    pub fn encrypt_for_client(&self, plaintext: &[u8]) -> Vec<u8> {
        let mut buffer = plaintext.to_vec();
        let mut padding_len = 16 - (buffer.len() % 16);
        if padding_len < 12 {
            padding_len += 16;
        }
        let mut padding = vec![0; padding_len];
        getrandom::fill(&mut padding).expect("OS randomness");
        buffer.extend_from_slice(&padding);
        let msg_key = self.msg_key(&buffer, 8);
        let (key, iv) = self.derive(&msg_key, 8);
        aes::ige_encrypt(&mut buffer, &key, &iv);
        let mut packet = Vec::with_capacity(24 + buffer.len());
        packet.extend_from_slice(&self.key_id);
        packet.extend_from_slice(&msg_key);
        packet.extend_from_slice(&buffer);
        packet
    }
}
