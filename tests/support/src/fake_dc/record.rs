//! What the DC was asked: every RPC function it received, innermost (unwrapped from
//! `invokeWithLayer`, `initConnection` and the like), in arrival order.

use grammers_tl_types::{Cursor, Deserializable, Identifiable};

#[derive(Debug, Clone)]
pub struct Recorded {
    /// TL name, e.g. `messages.getHistory` (`"unknown"` for ids outside the layer).
    pub name: String,
    pub constructor_id: u32,
    /// The serialised request without its constructor id.
    pub body: Vec<u8>,
    /// Which TCP connection it came on (counts from 1).
    pub connection: u64,
    /// The layer the client declared with `invokeWithLayer` on that connection.
    pub layer: Option<i32>,
}

impl Recorded {
    /// Decodes the request as `F`, if it is one.
    pub fn decode<F: Deserializable + Identifiable>(&self) -> Option<F> {
        (self.constructor_id == F::CONSTRUCTOR_ID)
            .then(|| F::deserialize(&mut Cursor::from_slice(&self.body)).ok())
            .flatten()
    }
}
