//! MTProto service-level framing the DC parses and builds by hand: the encrypted message
//! envelope, `msg_container`, `gzip_packed` and `rpc_result` (grammers parses these manually
//! too, so tl-types has no types for them).

use std::io::{Read, Write};
use std::time::{SystemTime, UNIX_EPOCH};

use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use grammers_tl_types::{self as tl, Cursor, Deserializable, Serializable};

pub const MSG_CONTAINER: u32 = 0x73f1f8dc;
pub const GZIP_PACKED: u32 = 0x3072cfa1;
pub const RPC_RESULT: u32 = 0xf35c6d01;

/// Largest body the DC will decompress; a gzip bomb is refused rather than expanded.
const MAX_INFLATED: u64 = 16 * 1024 * 1024;

/// One message inside an encrypted packet (or inside a container).
#[derive(Debug, Clone)]
pub struct Message {
    pub msg_id: i64,
    pub seq_no: i32,
    pub body: Vec<u8>,
}

/// The decrypted plaintext of a client packet.
pub struct Envelope {
    pub salt: i64,
    pub session_id: i64,
    pub message: Message,
}

pub fn parse_envelope(plaintext: &[u8]) -> Result<Envelope, tl::deserialize::Error> {
    let mut cursor = Cursor::from_slice(plaintext);
    let salt = i64::deserialize(&mut cursor)?;
    let session_id = i64::deserialize(&mut cursor)?;
    let message = read_message(&mut cursor)?;
    Ok(Envelope {
        salt,
        session_id,
        message,
    })
}

fn read_message(cursor: &mut Cursor) -> Result<Message, tl::deserialize::Error> {
    let msg_id = i64::deserialize(cursor)?;
    let seq_no = i32::deserialize(cursor)?;
    let len = i32::deserialize(cursor)?;
    if !(0..=(1 << 24)).contains(&len) {
        return Err(tl::deserialize::Error::UnexpectedEof);
    }
    let mut body = vec![0; len as usize];
    cursor.read_exact(&mut body)?;
    Ok(Message {
        msg_id,
        seq_no,
        body,
    })
}

pub fn constructor_of(body: &[u8]) -> Option<u32> {
    body.get(..4)
        .map(|b| u32::from_le_bytes(b.try_into().unwrap()))
}

/// The messages of a `msg_container` body (constructor included).
pub fn parse_container(body: &[u8]) -> Result<Vec<Message>, tl::deserialize::Error> {
    let mut cursor = Cursor::from_slice(&body[4..]);
    let count = i32::deserialize(&mut cursor)?;
    if !(0..=1024).contains(&count) {
        return Err(tl::deserialize::Error::UnexpectedEof);
    }
    (0..count).map(|_| read_message(&mut cursor)).collect()
}

/// Inflates a `gzip_packed` body (constructor included).
pub fn gunzip(body: &[u8]) -> Option<Vec<u8>> {
    let packed = Vec::<u8>::from_bytes(&body[4..]).ok()?;
    let mut out = Vec::new();
    GzDecoder::new(&packed[..])
        .take(MAX_INFLATED + 1)
        .read_to_end(&mut out)
        .ok()?;
    (out.len() as u64 <= MAX_INFLATED).then_some(out)
}

pub fn gzip(body: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(body).expect("in-memory write");
    let packed = encoder.finish().expect("in-memory write");
    let mut out = GZIP_PACKED.to_le_bytes().to_vec();
    packed.serialize(&mut out);
    out
}

/// `rpc_result#f35c6d01 req_msg_id:long result:Object`, gzipped when large as Telegram does.
pub fn rpc_result(req_msg_id: i64, result: &[u8]) -> Vec<u8> {
    let mut out = RPC_RESULT.to_le_bytes().to_vec();
    req_msg_id.serialize(&mut out);
    if result.len() > 1024 {
        out.extend(gzip(result));
    } else {
        out.extend_from_slice(result);
    }
    out
}

pub fn rpc_error(code: i32, message: &str) -> Vec<u8> {
    tl::enums::RpcError::Error(tl::types::RpcError {
        error_code: code,
        error_message: message.to_string(),
    })
    .to_bytes()
}

/// Generates the server's message ids and sequence numbers for one MTProto session.
#[derive(Default)]
pub struct OutgoingIds {
    last_msg_id: i64,
    content_messages: i32,
}

impl OutgoingIds {
    /// A fresh, increasing message id: ≡ 1 (mod 4) for answers, ≡ 3 otherwise.
    pub fn next_msg_id(&mut self, is_answer: bool) -> i64 {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
        let mut id = ((now.as_secs() as i64) << 32) | ((now.subsec_nanos() as i64) << 2);
        if id <= self.last_msg_id {
            id = self.last_msg_id + 1;
        }
        let want = if is_answer { 1 } else { 3 };
        while id.rem_euclid(4) != want {
            id += 1;
        }
        self.last_msg_id = id;
        id
    }

    pub fn next_seq_no(&mut self, content_related: bool) -> i32 {
        if content_related {
            self.content_messages += 1;
            self.content_messages * 2 - 1
        } else {
            self.content_messages * 2
        }
    }
}

/// Serialises the plaintext of a server packet: `salt | session_id | msg_id | seq_no | len | body`.
pub fn envelope(salt: i64, session_id: i64, msg_id: i64, seq_no: i32, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(32 + body.len());
    salt.serialize(&mut out);
    session_id.serialize(&mut out);
    msg_id.serialize(&mut out);
    seq_no.serialize(&mut out);
    (body.len() as i32).serialize(&mut out);
    out.extend_from_slice(body);
    out
}
