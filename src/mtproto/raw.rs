//! A request grammers can send without a generated type: bytes already encoded by the codec,
//! answered by the raw bytes of the result (gzip already unpacked by grammers).

use grammers_tl_types::{Cursor, Deserializable, RemoteCall, Serializable, deserialize};

/// A call whose bytes are already encoded (constructor id first).
pub struct RawRequest {
    pub bytes: Vec<u8>,
}

impl Serializable for RawRequest {
    fn serialize(&self, buf: &mut impl Extend<u8>) {
        buf.extend(self.bytes.iter().copied());
    }
}

impl RemoteCall for RawRequest {
    type Return = RawAnswer;
}

/// The bytes of an answer, decoded later with the method's declared return type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawAnswer(pub Vec<u8>);

impl Deserializable for RawAnswer {
    fn deserialize(buf: &mut Cursor<'_>) -> deserialize::Result<Self> {
        let mut bytes = Vec::new();
        buf.read_to_end(&mut bytes)?;
        Ok(RawAnswer(bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_bytes_pass_through() {
        let r = RawRequest {
            bytes: vec![1, 2, 3, 4],
        };
        assert_eq!(r.to_bytes(), vec![1, 2, 3, 4]);
        assert_eq!(
            RawAnswer::from_bytes(&[5, 6]).unwrap(),
            RawAnswer(vec![5, 6])
        );
    }
}
