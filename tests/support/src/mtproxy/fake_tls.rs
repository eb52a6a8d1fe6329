//! Fake TLS, the proxy's side of an `ee` secret. The client opens with a TLS ClientHello whose
//! 32-byte random is `HMAC-SHA256(secret, hello with the random zeroed)` with the last four
//! bytes XORed with the Unix time (little-endian), and whose SNI names the cover domain. The
//! proxy answers ServerHello + ChangeCipherSpec + one application-data record, its random the
//! HMAC of the client's random followed by that whole answer (random zeroed). From then on
//! both sides send application-data records carrying the obfuscated2 stream; the client's
//! ChangeCipherSpec records are ignored. Facts from mtprotoproxy, MTProxy and TDLib's
//! `TlsInit`; the checks and the time window are mtprotoproxy's.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::record::Refusal;

/// A ClientHello record is at least this long after its 5-byte header (TDLib pads its hello
/// to 517 bytes; mtprotoproxy takes anything shorter for something else).
pub const MIN_HELLO_BODY: usize = 512;
/// The largest application-data record accepted (TLS 1.3's ciphertext limit)…
pub const MAX_RECORD_IN: usize = 16384 + 256;
/// …and the largest one sent.
pub const MAX_RECORD_OUT: usize = 16384;
/// How far the client's clock may be behind (10 minutes) or ahead (20 minutes) of ours.
pub const MAX_BEHIND_SECS: i64 = 10 * 60;
pub const MAX_AHEAD_SECS: i64 = 20 * 60;

pub const HANDSHAKE: u8 = 0x16;
pub const CHANGE_CIPHER_SPEC: u8 = 0x14;
pub const APPLICATION_DATA: u8 = 0x17;
const RANDOM_AT: usize = 11;

/// What a valid ClientHello told the proxy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientHello {
    /// The client's random as sent: the server's HMAC covers it, and a second hello with the
    /// same random is a replay.
    pub random: [u8; 32],
    pub session_id: Vec<u8>,
    pub sni: Option<String>,
    pub timestamp: u32,
}

/// Checks a whole ClientHello record (header included) against the secret's key and cover
/// domain at Unix time `now`.
pub fn check_client_hello(
    record: &[u8],
    key: &[u8; 16],
    domain: &str,
    now: u64,
) -> Result<ClientHello, Refusal> {
    let (session_id, sni) = parse(record).map_err(Refusal::MalformedClientHello)?;
    let mut random = [0u8; 32];
    random.copy_from_slice(&record[RANDOM_AT..RANDOM_AT + 32]);
    let mut zeroed = record.to_vec();
    zeroed[RANDOM_AT..RANDOM_AT + 32].fill(0);
    let expected = hmac(key, &[&zeroed]);
    let mut xored = [0u8; 32];
    for (i, byte) in xored.iter_mut().enumerate() {
        *byte = random[i] ^ expected[i];
    }
    if xored[..28].iter().any(|b| *b != 0) {
        return Err(Refusal::BadHmac);
    }
    let timestamp = u32::from_le_bytes(xored[28..].try_into().expect("4 bytes"));
    let skew = i64::from(timestamp) - now as i64;
    if !(-MAX_BEHIND_SECS < skew && skew < MAX_AHEAD_SECS) {
        return Err(Refusal::TimestampOutOfWindow { skew_secs: skew });
    }
    if sni.as_deref() != Some(domain) {
        return Err(Refusal::WrongDomain(sni.unwrap_or_default()));
    }
    Ok(ClientHello {
        random,
        session_id,
        sni,
        timestamp,
    })
}

/// Reads the session id and the SNI host name out of a ClientHello record.
fn parse(record: &[u8]) -> Result<(Vec<u8>, Option<String>), &'static str> {
    let mut at = Reader(record);
    if at.take(3)? != [HANDSHAKE, 3, 1] {
        return Err("not a TLS 1.0 handshake record");
    }
    let record_len = at.u16()?;
    if record_len < MIN_HELLO_BODY || record_len != at.0.len() {
        return Err("record length");
    }
    if at.take(1)? != [1] {
        return Err("not a ClientHello");
    }
    let hello_len = at.u24()?;
    if hello_len != at.0.len() {
        return Err("ClientHello length");
    }
    at.take(2)?; // legacy version
    at.take(32)?; // random
    let session_id_len = at.u8()?;
    let session_id = at.take(session_id_len)?.to_vec();
    let suites = at.u16()?;
    at.take(suites)?;
    let compression = at.u8()?;
    at.take(compression)?;
    let extensions_len = at.u16()?;
    let mut extensions = Reader(at.take(extensions_len)?);
    let mut sni = None;
    while !extensions.0.is_empty() {
        let kind = extensions.u16()?;
        let len = extensions.u16()?;
        let data = extensions.take(len)?;
        if kind == 0 {
            sni = Some(server_name(data)?);
        }
    }
    Ok((session_id, sni))
}

/// The host name in a server_name extension (RFC 6066: a list of typed names).
fn server_name(data: &[u8]) -> Result<String, &'static str> {
    let mut at = Reader(data);
    let list_len = at.u16()?;
    let mut list = Reader(at.take(list_len)?);
    while !list.0.is_empty() {
        let name_type = list.u8()?;
        let len = list.u16()?;
        let name = list.take(len)?;
        if name_type == 0 {
            return String::from_utf8(name.to_vec()).map_err(|_| "SNI is not UTF-8");
        }
    }
    Err("server_name without a host name")
}

/// ServerHello + ChangeCipherSpec + one application-data record of random bytes, the
/// ServerHello's random set to `HMAC(key, client random ‖ this answer with the random zeroed)`.
pub fn server_hello(key: &[u8; 16], client: &ClientHello) -> Vec<u8> {
    let mut key_share = [0u8; 32];
    getrandom::fill(&mut key_share).expect("OS randomness");
    let mut extensions = vec![0x00, 0x33, 0x00, 0x24, 0x00, 0x1d, 0x00, 0x20];
    extensions.extend_from_slice(&key_share);
    extensions.extend_from_slice(&[0x00, 0x2b, 0x00, 0x02, 0x03, 0x04]);

    let mut hello = vec![3, 3];
    hello.extend_from_slice(&[0; 32]);
    hello.push(client.session_id.len() as u8);
    hello.extend_from_slice(&client.session_id);
    hello.extend_from_slice(&[0x13, 0x01, 0x00]); // TLS_AES_128_GCM_SHA256, no compression
    hello.extend_from_slice(&(extensions.len() as u16).to_be_bytes());
    hello.extend_from_slice(&extensions);

    let mut handshake = vec![2];
    handshake.extend_from_slice(&(hello.len() as u32).to_be_bytes()[1..]);
    handshake.extend_from_slice(&hello);

    let mut answer = record_header(HANDSHAKE, handshake.len()).to_vec();
    answer.extend_from_slice(&handshake);
    answer.extend_from_slice(&[CHANGE_CIPHER_SPEC, 3, 3, 0, 1, 1]);
    let mut certificate = vec![0u8; 1024 + random_below(3072)];
    getrandom::fill(&mut certificate).expect("OS randomness");
    answer.extend_from_slice(&record_header(APPLICATION_DATA, certificate.len()));
    answer.extend_from_slice(&certificate);

    let digest = hmac(key, &[&client.random, &answer]);
    answer[RANDOM_AT..RANDOM_AT + 32].copy_from_slice(&digest);
    answer
}

/// `data` in application-data records of at most [`MAX_RECORD_OUT`] bytes.
pub fn wrap(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + 5 * (data.len() / MAX_RECORD_OUT + 1));
    for chunk in data.chunks(MAX_RECORD_OUT) {
        out.extend_from_slice(&record_header(APPLICATION_DATA, chunk.len()));
        out.extend_from_slice(chunk);
    }
    out
}

pub fn record_header(kind: u8, len: usize) -> [u8; 5] {
    let [high, low] = (len as u16).to_be_bytes();
    [kind, 3, 3, high, low]
}

fn hmac(key: &[u8; 16], parts: &[&[u8]]) -> [u8; 32] {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

fn random_below(bound: usize) -> usize {
    let mut bytes = [0u8; 4];
    getrandom::fill(&mut bytes).expect("OS randomness");
    u32::from_le_bytes(bytes) as usize % bound
}

/// A cursor over untrusted bytes: every read is bounds-checked.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], &'static str> {
        if self.0.len() < n {
            return Err("truncated");
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }

    fn u8(&mut self) -> Result<usize, &'static str> {
        Ok(usize::from(self.take(1)?[0]))
    }

    fn u16(&mut self) -> Result<usize, &'static str> {
        let b = self.take(2)?;
        Ok(usize::from(u16::from_be_bytes([b[0], b[1]])))
    }

    fn u24(&mut self) -> Result<usize, &'static str> {
        let b = self.take(3)?;
        Ok(u32::from_be_bytes([0, b[0], b[1], b[2]]) as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mtproxy::test_client::{client_hello, verify_server_hello};

    const KEY: [u8; 16] = [0x42; 16];
    const NOW: u64 = 1_790_000_000;

    #[test]
    fn a_hello_signed_with_the_key_now_is_accepted() {
        let record = client_hello(&KEY, "example.com", NOW as u32);
        assert_eq!(record.len(), 517);
        let hello = check_client_hello(&record, &KEY, "example.com", NOW).expect("accepted");
        assert_eq!(hello.timestamp, NOW as u32);
        assert_eq!(hello.sni.as_deref(), Some("example.com"));
        assert_eq!(hello.session_id.len(), 32);
    }

    #[test]
    fn another_key_fails_the_hmac() {
        let record = client_hello(&[0x43; 16], "example.com", NOW as u32);
        assert_eq!(
            check_client_hello(&record, &KEY, "example.com", NOW),
            Err(Refusal::BadHmac)
        );
    }

    #[test]
    fn a_flipped_byte_anywhere_in_the_hello_fails_the_hmac() {
        let mut record = client_hello(&KEY, "example.com", NOW as u32);
        let last = record.len() - 1; // inside the padding extension
        record[last] ^= 1;
        assert_eq!(
            check_client_hello(&record, &KEY, "example.com", NOW),
            Err(Refusal::BadHmac)
        );
    }

    #[test]
    fn the_clock_may_be_ten_minutes_behind_or_twenty_ahead() {
        let check = |timestamp: u64| {
            let record = client_hello(&KEY, "example.com", timestamp as u32);
            check_client_hello(&record, &KEY, "example.com", NOW)
        };
        assert!(check(NOW - 599).is_ok());
        assert!(check(NOW + 1199).is_ok());
        assert_eq!(
            check(NOW - 600),
            Err(Refusal::TimestampOutOfWindow { skew_secs: -600 })
        );
        assert_eq!(
            check(NOW + 1200),
            Err(Refusal::TimestampOutOfWindow { skew_secs: 1200 })
        );
    }

    #[test]
    fn the_sni_must_name_the_cover_domain() {
        let record = client_hello(&KEY, "other.org", NOW as u32);
        assert_eq!(
            check_client_hello(&record, &KEY, "example.com", NOW),
            Err(Refusal::WrongDomain("other.org".into()))
        );
    }

    #[test]
    fn truncated_or_short_hellos_are_malformed_not_a_panic() {
        let record = client_hello(&KEY, "example.com", NOW as u32);
        for len in [0, 3, 5, 11, 43, 100, 516] {
            assert!(matches!(
                check_client_hello(&record[..len], &KEY, "example.com", NOW),
                Err(Refusal::MalformedClientHello(_))
            ));
        }
    }

    #[test]
    fn any_corruption_of_a_hello_is_refused_without_a_panic() {
        let record = client_hello(&KEY, "example.com", NOW as u32);
        let mut noise = [0u8; 3 * 2000];
        getrandom::fill(&mut noise).unwrap();
        for change in noise.chunks(3) {
            let mut corrupted = record.clone();
            let at = usize::from(u16::from_le_bytes([change[0], change[1]])) % record.len();
            corrupted[at] ^= change[2] | 1;
            // The timestamp's two low bytes may move it by less than the window allows.
            let within_window = (RANDOM_AT + 28..RANDOM_AT + 30).contains(&at);
            let verdict = check_client_hello(&corrupted, &KEY, "example.com", NOW);
            assert!(verdict.is_err() || within_window, "byte {at}");
            corrupted.truncate(at);
            assert!(check_client_hello(&corrupted, &KEY, "example.com", NOW).is_err());
        }
    }

    #[test]
    fn the_server_hello_proves_the_key_to_the_client() {
        let record = client_hello(&KEY, "example.com", NOW as u32);
        let hello = check_client_hello(&record, &KEY, "example.com", NOW).unwrap();
        let answer = server_hello(&KEY, &hello);
        assert!(verify_server_hello(&KEY, &hello.random, &answer));
        assert!(!verify_server_hello(&[0x43; 16], &hello.random, &answer));
        // The session id is echoed, and the answer is three records: hello, CCS, data.
        assert_eq!(answer[44..76], hello.session_id[..]);
    }

    #[test]
    fn wrapped_data_is_split_into_records_of_at_most_16k() {
        let data = vec![5u8; MAX_RECORD_OUT + 10];
        let wire = wrap(&data);
        assert_eq!(wire[..5], [0x17, 3, 3, 0x40, 0x00]);
        let second = 5 + MAX_RECORD_OUT;
        assert_eq!(wire[second..second + 5], [0x17, 3, 3, 0, 10]);
        assert_eq!(wire.len(), data.len() + 10);
    }
}
