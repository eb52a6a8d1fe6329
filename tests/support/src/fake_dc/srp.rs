//! The server's half of Telegram's 2FA SRP (<https://core.telegram.org/api/srp>), matching the
//! client half in `grammers_crypto::two_factor_auth`: the DC keeps only the verifier
//! `v = g^x mod p` of the password, hands out `B = k·v + g^b` and checks the client's `M1`.

use hmac::Hmac;
use num_bigint::BigUint;
use sha2::{Digest, Sha256, Sha512};

/// Telegram's 2048-bit safe prime (the `p` of every `passwordKdfAlgoSHA256SHA256PBKDF2...`).
pub const TELEGRAM_P_HEX: &str = "c71caeb9c6b1c9048e6c522f70f13f73980d40238e3e21c14934d037563d930f\
48198a0aa7c14058229493d22530f4dbfa336f6e0ac925139543aed44cce7c37\
20fd51f69458705ac68cd4fe6b6b13abdc9746512969328454f18faf8c595f64\
2477fe96bb2a941d5bcd1d4ac8cc49880708fa9b378e3c4f3a9060bee67cf9a4\
a4a695811051907e162753b56b0f6b410dba74d8a84b2a14b3144e0ef1284754\
fd17ed950d5965b4b9dd46582db1178d169c6bc465b0d6ff9ca3928fef5b9ae4\
e418fc15e83ebea0f87fa9ff5eed70050ded2849f47bf959d956850ce929851f\
0d8115f635b105ee2e4e15d04b2454bf6f4fadf034b10403119cd8e3b92fcc5b";

/// The generator Telegram pairs with [`TELEGRAM_P_HEX`].
pub const TELEGRAM_G: i32 = 3;

/// `p` as the 256 big-endian bytes sent in `passwordKdfAlgo…`.
pub fn telegram_p() -> Vec<u8> {
    (0..TELEGRAM_P_HEX.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&TELEGRAM_P_HEX[i..i + 2], 16).expect("hex"))
        .collect()
}

pub fn random_bytes(n: usize) -> Vec<u8> {
    let mut out = vec![0; n];
    getrandom::fill(&mut out).expect("OS randomness");
    out
}

fn h(parts: &[&[u8]]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part);
    }
    hasher.finalize().into()
}

pub fn pad_256(data: &[u8]) -> [u8; 256] {
    let mut out = [0; 256];
    let data = &data[data.len().saturating_sub(256)..];
    out[256 - data.len()..].copy_from_slice(data);
    out
}

/// `PH2(password, salt1, salt2)`: SH(pbkdf2(sha512, PH1, salt1, 100000), salt2), where
/// SH(data, salt) = H(salt | data | salt) and PH1 = SH(SH(password, salt1), salt2).
pub fn ph2(password: &[u8], salt1: &[u8], salt2: &[u8]) -> [u8; 32] {
    let sh = |data: &[u8], salt: &[u8]| h(&[salt, data, salt]);
    let ph1 = sh(&sh(password, salt1), salt2);
    let mut dk = [0u8; 64];
    pbkdf2::pbkdf2::<Hmac<Sha512>>(&ph1, salt1, 100_000, &mut dk).expect("any key length");
    sh(&dk, salt2)
}

/// What the DC stores for a 2FA password: its salts and verifier.
#[derive(Clone, Debug)]
pub struct Verifier {
    /// The password it was made from, so a changed world password is noticed.
    pub password: String,
    pub salt1: Vec<u8>,
    pub salt2: Vec<u8>,
    pub p: Vec<u8>,
    pub g: i32,
    pub v: BigUint,
}

impl Verifier {
    /// Creates the verifier of `password` with fresh salts, as when the password was set (the
    /// client's `new_algo.salt1` extended by 32 random bytes: 40 bytes in all).
    pub fn new(password: &str) -> Verifier {
        let salt1 = random_bytes(40);
        let salt2 = random_bytes(16);
        let p = telegram_p();
        let g = TELEGRAM_G;
        let x = BigUint::from_bytes_be(&ph2(password.as_bytes(), &salt1, &salt2));
        let v = BigUint::from(g as u32).modpow(&x, &BigUint::from_bytes_be(&p));
        Verifier {
            password: password.to_string(),
            salt1,
            salt2,
            p,
            g,
            v,
        }
    }

    fn big_p(&self) -> BigUint {
        BigUint::from_bytes_be(&self.p)
    }

    /// `k = H(p | g)` with g padded to 256 bytes.
    fn k(&self) -> BigUint {
        BigUint::from_bytes_be(&h(&[&self.p, &pad_256(&[self.g as u8])]))
    }

    /// Starts an SRP exchange: a random secret `b` and the public `B = (k·v + g^b) mod p`.
    pub fn start(&self) -> ServerSession {
        let p = self.big_p();
        let b = BigUint::from_bytes_be(&random_bytes(256)) % &p;
        let g_b = BigUint::from(self.g as u32).modpow(&b, &p);
        let big_b = (self.k() * &self.v + g_b) % &p;
        let mut id = [0u8; 8];
        getrandom::fill(&mut id).expect("OS randomness");
        ServerSession {
            srp_id: i64::from_le_bytes(id) & i64::MAX,
            b,
            big_b: pad_256(&big_b.to_bytes_be()),
        }
    }

    /// Checks the client's `A` and `M1` for `session`:
    /// u = H(A | B), S = (A · v^u)^b mod p, K = H(S),
    /// M1 = H(H(p) xor H(g) | H(salt1) | H(salt2) | A | B | K), every number padded to 256 bytes.
    pub fn check(&self, session: &ServerSession, a: &[u8], m1: &[u8]) -> bool {
        if a.len() > 256 || m1.len() != 32 {
            return false;
        }
        let p = self.big_p();
        let big_a = BigUint::from_bytes_be(a);
        // A must be in (1, p - 1), or the exchange leaks (SRP-6a's safety check).
        if big_a <= BigUint::from(1u8) || big_a >= &p - 1u8 {
            return false;
        }
        let g_a = pad_256(a);
        let g_b = session.big_b;
        let u = BigUint::from_bytes_be(&h(&[&g_a, &g_b]));
        if u == BigUint::ZERO {
            return false;
        }
        let s = (big_a * self.v.modpow(&u, &p)).modpow(&session.b, &p);
        let k_s = h(&[&pad_256(&s.to_bytes_be())]);
        let h_p = h(&[&self.p]);
        let h_g = h(&[&pad_256(&[self.g as u8])]);
        let xor: Vec<u8> = h_p.iter().zip(h_g.iter()).map(|(x, y)| x ^ y).collect();
        let expected = h(&[
            &xor,
            &h(&[&self.salt1]),
            &h(&[&self.salt2]),
            &g_a,
            &g_b,
            &k_s,
        ]);
        expected.as_slice() == m1
    }
}

/// One `account.getPassword` answer's server-side secret.
#[derive(Clone, Debug)]
pub struct ServerSession {
    pub srp_id: i64,
    pub b: BigUint,
    /// `B`, padded to 256 bytes (`srp_B`).
    pub big_b: [u8; 256],
}
