//! Re-framing between grammers' transport and the proxy's: grammers always writes and reads
//! the *full* transport (length, sequence number, payload, CRC32), an MTProto proxy speaks
//! *intermediate* (length, payload) or *padded intermediate* (length, payload, 0–15 random
//! bytes) (core.telegram.org, "MTProto transports").
//!
//! A padded packet's length counts its padding, and nothing marks where the payload ends.
//! The sources differ on how much padding to expect: TDLib's clients add 0–15 bytes and its
//! reader strips nothing (the MTProto layer ignores what follows a message), while
//! mtprotoproxy writes 0–3 bytes to clients and cuts `length % 4` (MTProto payloads are
//! multiples of 4). grammers checks an encrypted payload's length exactly, so the relay
//! cuts the payload to the MTProto message's own length: `20 + declared length` for an
//! unencrypted message (auth key id 0), `24 + a multiple of 16` for an encrypted one. That
//! reads both servers right. A packet shorter than any MTProto message (24 bytes) is a
//! transport error (a negative code, e.g. -404, perhaps padded), passed on as grammers reads
//! one: four bytes where a length would be.

use crc32fast::Hasher;

/// The largest packet either side may send (TDLib's bound, 2^24 bytes): what the relay
/// buffers for one connection stays below it.
pub const MAX_PACKET: usize = 1 << 24;

/// Why a stream cannot be re-framed; the connection ends.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FramingError {
    #[error("a frame of {0} bytes is outside the transport's bounds")]
    BadLength(i64),
    #[error("a full-transport frame's CRC32 does not match")]
    BadCrc,
    #[error("a full-transport frame came out of sequence")]
    BadSeq,
}

/// Reads grammers' full-transport frames from a byte stream.
#[derive(Default)]
pub struct FullReader {
    next_seq: i32,
}

impl FullReader {
    /// The next frame's payload, taken from the front of `buffer`; `None` until it is whole.
    pub fn next(&mut self, buffer: &mut Vec<u8>) -> Result<Option<Vec<u8>>, FramingError> {
        let Some(len) = buffer.get(..4) else {
            return Ok(None);
        };
        let len = i32::from_le_bytes([len[0], len[1], len[2], len[3]]);
        let size = usize::try_from(len)
            .ok()
            .filter(|n| (12..=MAX_PACKET).contains(n) && n % 4 == 0)
            .ok_or(FramingError::BadLength(len.into()))?;
        if buffer.len() < size {
            return Ok(None);
        }
        let frame: Vec<u8> = buffer.drain(..size).collect();
        let seq = i32::from_le_bytes([frame[4], frame[5], frame[6], frame[7]]);
        let crc = u32::from_le_bytes([
            frame[size - 4],
            frame[size - 3],
            frame[size - 2],
            frame[size - 1],
        ]);
        if crc32(&frame[..size - 4]) != crc {
            return Err(FramingError::BadCrc);
        }
        if seq != self.next_seq {
            return Err(FramingError::BadSeq);
        }
        self.next_seq = self.next_seq.wrapping_add(1);
        Ok(Some(frame[8..size - 4].to_vec()))
    }
}

/// Writes full-transport frames for grammers, with their own sequence numbers.
#[derive(Default)]
pub struct FullWriter {
    seq: i32,
}

impl FullWriter {
    pub fn frame(&mut self, payload: &[u8]) -> Vec<u8> {
        let len = payload.len() + 12;
        let mut frame = Vec::with_capacity(len);
        frame.extend_from_slice(&(len as u32).to_le_bytes());
        frame.extend_from_slice(&self.seq.to_le_bytes());
        frame.extend_from_slice(payload);
        frame.extend_from_slice(&crc32(&frame).to_le_bytes());
        self.seq = self.seq.wrapping_add(1);
        frame
    }
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut hasher = Hasher::new();
    hasher.update(bytes);
    hasher.finalize()
}

/// An intermediate packet for `payload`; padded with `padding` random bytes.
pub fn intermediate_packet(payload: &[u8], padding: &[u8]) -> Vec<u8> {
    let len = payload.len() + padding.len();
    let mut packet = Vec::with_capacity(4 + len);
    packet.extend_from_slice(&(len as u32).to_le_bytes());
    packet.extend_from_slice(payload);
    packet.extend_from_slice(padding);
    packet
}

/// 0–15 random bytes, as TDLib pads (`Random::secure_uint32() % 16`).
pub fn random_padding() -> Vec<u8> {
    let mut draw = [0u8; 16];
    getrandom::fill(&mut draw).expect("the system's random number generator works");
    let n = usize::from(draw[0] % 16);
    draw[1..=n].to_vec()
}

/// What one packet from the proxy holds.
#[derive(Debug, PartialEq, Eq)]
pub enum Packet {
    /// An MTProto message, padding removed.
    Message(Vec<u8>),
    /// A transport error code (negative, e.g. -404), as its four bytes.
    TransportError([u8; 4]),
    /// A quick acknowledgement (length's top bit set); grammers never asks for one.
    QuickAck,
}

/// The next packet from the front of `buffer` (already decrypted); `None` until it is whole.
pub fn next_intermediate(buffer: &mut Vec<u8>) -> Result<Option<Packet>, FramingError> {
    let Some(len) = buffer.get(..4) else {
        return Ok(None);
    };
    let len = u32::from_le_bytes([len[0], len[1], len[2], len[3]]);
    if len & 0x8000_0000 != 0 {
        buffer.drain(..4);
        return Ok(Some(Packet::QuickAck));
    }
    let size = len as usize;
    if !(4..=MAX_PACKET).contains(&size) {
        return Err(FramingError::BadLength(len.into()));
    }
    if buffer.len() < 4 + size {
        return Ok(None);
    }
    let packet: Vec<u8> = buffer.drain(..4 + size).skip(4).collect();
    if packet.len() < 24 {
        // Shorter than any MTProto message: a transport error code, perhaps padded.
        let code = [packet[0], packet[1], packet[2], packet[3]];
        return if i32::from_le_bytes(code) < 0 {
            Ok(Some(Packet::TransportError(code)))
        } else {
            Err(FramingError::BadLength(len.into()))
        };
    }
    let kept = message_length(&packet).ok_or(FramingError::BadLength(len.into()))?;
    Ok(Some(Packet::Message(packet[..kept].to_vec())))
}

/// How much of a (possibly padded) payload is the MTProto message: `20 + length` when the
/// auth key id is zero (unencrypted), else the longest `24 + 16k` that fits (encrypted).
fn message_length(payload: &[u8]) -> Option<usize> {
    if payload.len() < 24 {
        return None;
    }
    if payload[..8] == [0; 8] {
        let declared = u32::from_le_bytes([payload[16], payload[17], payload[18], payload[19]]);
        let total = 20usize.checked_add(declared as usize)?;
        return (total <= payload.len()).then_some(total);
    }
    Some(24 + (payload.len() - 24) / 16 * 16)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encrypted_message(blocks: usize) -> Vec<u8> {
        let mut m = vec![9u8; 24 + 16 * blocks];
        m[0] = 1; // a non-zero auth key id
        m
    }

    fn unencrypted_message(body: usize) -> Vec<u8> {
        let mut m = vec![0u8; 20 + body];
        m[16..20].copy_from_slice(&(body as u32).to_le_bytes());
        m[20..].fill(5);
        m
    }

    #[test]
    fn full_frames_round_trip_and_are_checked() {
        let mut writer = FullWriter::default();
        let mut reader = FullReader::default();
        let mut stream = writer.frame(b"abcdefgh");
        stream.extend(writer.frame(b"ijkl"));
        let mut partial = stream[..10].to_vec();
        assert_eq!(reader.next(&mut partial), Ok(None), "waits for the rest");
        assert_eq!(reader.next(&mut stream).unwrap().unwrap(), b"abcdefgh");
        assert_eq!(reader.next(&mut stream).unwrap().unwrap(), b"ijkl");
        assert!(stream.is_empty());

        let mut corrupt = FullWriter::default().frame(b"abcd");
        corrupt[9] ^= 1;
        assert_eq!(
            FullReader::default().next(&mut corrupt),
            Err(FramingError::BadCrc)
        );
        let mut late = FullWriter { seq: 3 }.frame(b"abcd");
        assert_eq!(
            FullReader::default().next(&mut late),
            Err(FramingError::BadSeq)
        );
        let mut huge = ((MAX_PACKET + 4) as u32).to_le_bytes().to_vec();
        assert!(FullReader::default().next(&mut huge).is_err());
    }

    #[test]
    fn full_frames_match_grammers_layout() {
        // len (20) | seq 0 | payload | crc32 of everything before it.
        let frame = FullWriter::default().frame(&[1, 2, 3, 4, 5, 6, 7, 8]);
        assert_eq!(frame[..8], [20, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(frame[16..], crc32(&frame[..16]).to_le_bytes());
    }

    #[test]
    fn padding_of_any_size_is_cut_from_both_kinds_of_message() {
        for message in [encrypted_message(3), unencrypted_message(36)] {
            for pad in 0..16 {
                let padding = vec![0xab; pad];
                let mut stream = intermediate_packet(&message, &padding);
                let packet = next_intermediate(&mut stream).unwrap().unwrap();
                assert_eq!(packet, Packet::Message(message.clone()), "padding {pad}");
                assert!(stream.is_empty());
            }
        }
    }

    #[test]
    fn transport_errors_and_quick_acks_are_told_apart() {
        let mut stream = intermediate_packet(&(-404i32).to_le_bytes(), &[]);
        stream.extend(0x8000_1234u32.to_le_bytes());
        assert_eq!(
            next_intermediate(&mut stream).unwrap(),
            Some(Packet::TransportError((-404i32).to_le_bytes()))
        );
        assert_eq!(
            next_intermediate(&mut stream).unwrap(),
            Some(Packet::QuickAck)
        );
        assert_eq!(next_intermediate(&mut stream).unwrap(), None);
    }

    #[test]
    fn impossible_packets_end_the_stream() {
        let mut short = intermediate_packet(&[1; 12], &[]);
        assert!(
            next_intermediate(&mut short).is_err(),
            "shorter than any message"
        );
        let mut lying = unencrypted_message(8);
        lying[16..20].copy_from_slice(&100u32.to_le_bytes());
        let mut stream = intermediate_packet(&lying, &[]);
        assert!(
            next_intermediate(&mut stream).is_err(),
            "declares more than it has"
        );
        let mut huge = ((MAX_PACKET + 1) as u32).to_le_bytes().to_vec();
        assert!(next_intermediate(&mut huge).is_err());
    }

    #[test]
    fn random_padding_stays_below_sixteen_bytes() {
        assert!((0..200).all(|_| random_padding().len() < 16));
        assert!((0..200).any(|_| !random_padding().is_empty()));
    }
}
