//! The client's packet framing inside the obfuscated stream, both ways: abridged, intermediate
//! and padded intermediate (core.telegram.org/mtproto/mtproto-transports). The fake DC speaks
//! the full transport, so the relay unwraps each client packet to its MTProto payload and
//! wraps each DC payload back; padded intermediate's random tail is cut off on the way in
//! (the DC's decryption wants the exact length) and added on the way out.

use std::io;

use super::obfuscated2::ProtocolTag;

/// Packets larger than this are refused, as the fake DC refuses larger frames.
pub const MAX_PACKET: usize = 4 * 1024 * 1024;
/// The length bit a client sets to ask for a quick ack; the fake DC sends none, so it is
/// dropped.
const QUICK_ACK: u32 = 0x8000_0000;

/// Where the client's decrypted bytes come from.
pub trait ByteSource {
    fn read_exact(&mut self, buf: &mut [u8]) -> impl Future<Output = io::Result<()>> + Send;
}

/// Reads one packet and returns its MTProto payload (padding and the quick-ack bit removed).
pub async fn read_packet<S: ByteSource>(source: &mut S, tag: ProtocolTag) -> io::Result<Vec<u8>> {
    let len = match tag {
        ProtocolTag::Abridged => {
            let mut first = [0u8; 1];
            source.read_exact(&mut first).await?;
            let words = match first[0] & 0x7f {
                0x7f => {
                    let mut three = [0u8; 3];
                    source.read_exact(&mut three).await?;
                    u32::from_le_bytes([three[0], three[1], three[2], 0])
                }
                short => u32::from(short),
            };
            words as usize * 4
        }
        ProtocolTag::Intermediate | ProtocolTag::PaddedIntermediate => {
            let mut four = [0u8; 4];
            source.read_exact(&mut four).await?;
            (u32::from_le_bytes(four) & !QUICK_ACK) as usize
        }
    };
    if len > MAX_PACKET {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("a client packet of {len} bytes"),
        ));
    }
    let mut packet = vec![0; len];
    source.read_exact(&mut packet).await?;
    if tag == ProtocolTag::PaddedIntermediate {
        packet.truncate(unpadded_len(&packet));
    }
    Ok(packet)
}

/// The MTProto length of a padded packet: an encrypted message is its 24-byte header and
/// whole 16-byte blocks; a plaintext one (auth key id 0) says its length at bytes 16..20;
/// anything else keeps its whole 4-byte words.
pub fn unpadded_len(packet: &[u8]) -> usize {
    let len = packet.len();
    match packet.get(..8) {
        Some([0, 0, 0, 0, 0, 0, 0, 0]) if len >= 20 => {
            let body = u32::from_le_bytes(packet[16..20].try_into().expect("4 bytes")) as usize;
            (20 + body).min(len)
        }
        Some(_) if len >= 24 => 24 + (len - 24) / 16 * 16,
        _ => len - len % 4,
    }
}

/// Frames `payload` for the client. Padded intermediate gets 0–15 random bytes, except a
/// 4-byte transport error, which goes out as it is so that its length still says "error".
pub fn encode_packet(tag: ProtocolTag, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + 20);
    match tag {
        ProtocolTag::Abridged => {
            let words = payload.len() / 4;
            if words < 0x7f {
                out.push(words as u8);
            } else {
                out.push(0x7f);
                out.extend_from_slice(&(words as u32).to_le_bytes()[..3]);
            }
            out.extend_from_slice(payload);
        }
        ProtocolTag::Intermediate => {
            out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
            out.extend_from_slice(payload);
        }
        ProtocolTag::PaddedIntermediate => {
            let padding = if payload.len() == 4 {
                0
            } else {
                random_below_16()
            };
            out.extend_from_slice(&((payload.len() + padding) as u32).to_le_bytes());
            out.extend_from_slice(payload);
            let mut tail = [0u8; 15];
            getrandom::fill(&mut tail[..padding]).expect("OS randomness");
            out.extend_from_slice(&tail[..padding]);
        }
    }
    out
}

fn random_below_16() -> usize {
    let mut byte = [0u8; 1];
    getrandom::fill(&mut byte).expect("OS randomness");
    usize::from(byte[0] % 16)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A byte slice as a source.
    struct Bytes<'a>(&'a [u8]);

    impl ByteSource for Bytes<'_> {
        async fn read_exact(&mut self, buf: &mut [u8]) -> io::Result<()> {
            if self.0.len() < buf.len() {
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
            let (head, rest) = self.0.split_at(buf.len());
            buf.copy_from_slice(head);
            self.0 = rest;
            Ok(())
        }
    }

    fn read_all(tag: ProtocolTag, wire: &[u8]) -> Vec<Vec<u8>> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let mut source = Bytes(wire);
        let mut packets = Vec::new();
        runtime.block_on(async {
            while let Ok(packet) = read_packet(&mut source, tag).await {
                packets.push(packet);
            }
        });
        packets
    }

    /// An encrypted MTProto packet's shape: a non-zero key id, msg key, `blocks` 16-byte
    /// blocks.
    fn encrypted(blocks: usize) -> Vec<u8> {
        (0..24 + 16 * blocks).map(|i| (i % 251) as u8 + 1).collect()
    }

    #[test]
    fn abridged_lengths_count_words_with_a_long_form_past_126() {
        let short = encrypted(1);
        let long = encrypted(40);
        assert_eq!(encode_packet(ProtocolTag::Abridged, &short)[0], 10);
        let wire_long = encode_packet(ProtocolTag::Abridged, &long);
        assert_eq!(wire_long[..4], [0x7f, 166, 0, 0]);
        let wire = [encode_packet(ProtocolTag::Abridged, &short), wire_long].concat();
        assert_eq!(read_all(ProtocolTag::Abridged, &wire), vec![short, long]);
    }

    #[test]
    fn abridged_quick_ack_bit_is_dropped() {
        let packet = encrypted(1);
        let mut wire = encode_packet(ProtocolTag::Abridged, &packet);
        wire[0] |= 0x80;
        assert_eq!(read_all(ProtocolTag::Abridged, &wire), vec![packet]);
    }

    #[test]
    fn intermediate_is_a_little_endian_length_and_the_payload() {
        let packet = encrypted(2);
        let wire = encode_packet(ProtocolTag::Intermediate, &packet);
        assert_eq!(wire[..4], 56u32.to_le_bytes());
        assert_eq!(wire.len(), 60);
        let mut quick_ack = wire.clone();
        quick_ack[3] |= 0x80;
        assert_eq!(
            read_all(ProtocolTag::Intermediate, &[wire, quick_ack].concat()),
            vec![packet.clone(), packet]
        );
    }

    #[test]
    fn padded_packets_carry_at_most_15_extra_bytes_the_reader_cuts_off() {
        let packet = encrypted(3);
        let mut lengths = std::collections::BTreeSet::new();
        for _ in 0..200 {
            let wire = encode_packet(ProtocolTag::PaddedIntermediate, &packet);
            let len = u32::from_le_bytes(wire[..4].try_into().unwrap()) as usize;
            assert_eq!(wire.len(), 4 + len);
            assert!((packet.len()..packet.len() + 16).contains(&len), "{len}");
            lengths.insert(len);
            assert_eq!(
                read_all(ProtocolTag::PaddedIntermediate, &wire),
                vec![packet.clone()]
            );
        }
        assert!(lengths.len() > 1, "the padding varies: {lengths:?}");
    }

    #[test]
    fn a_transport_error_goes_out_unpadded() {
        let error = (-404i32).to_le_bytes();
        let wire = encode_packet(ProtocolTag::PaddedIntermediate, &error);
        assert_eq!(wire, [4, 0, 0, 0, 0x6c, 0xfe, 0xff, 0xff]);
    }

    #[test]
    fn a_plaintext_packet_keeps_the_length_it_declares() {
        let mut packet = vec![0u8; 20];
        packet[16..20].copy_from_slice(&20u32.to_le_bytes());
        packet.extend_from_slice(&[9; 20]);
        let mut padded = packet.clone();
        padded.extend_from_slice(&[1, 2, 3, 4, 5, 6, 7]);
        assert_eq!(unpadded_len(&padded), packet.len());
    }

    #[test]
    fn an_oversized_length_is_refused_before_reading_it() {
        let wire = (MAX_PACKET as u32 + 4).to_le_bytes();
        assert!(read_all(ProtocolTag::Intermediate, &wire).is_empty());
    }
}
