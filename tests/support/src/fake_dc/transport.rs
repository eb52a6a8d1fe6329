//! MTProto's "full" transport: `len u32 LE | seq u32 LE | payload | crc32 LE`, where `len`
//! counts the whole frame and `seq` counts frames per direction from 0. No tag byte.

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// Frames larger than this are refused (Telegram's own limit is about 1 MiB per message).
const MAX_FRAME: usize = 4 * 1024 * 1024;

#[derive(Debug)]
pub enum FrameError {
    Io(std::io::Error),
    BadLength(u32),
    BadSeq { expected: u32, got: u32 },
    BadCrc,
}

impl From<std::io::Error> for FrameError {
    fn from(e: std::io::Error) -> Self {
        FrameError::Io(e)
    }
}

/// Reads one frame and checks its length, sequence number and CRC.
pub async fn read_frame<R: AsyncRead + Unpin>(
    reader: &mut R,
    expected_seq: &mut u32,
) -> Result<Vec<u8>, FrameError> {
    let len = reader.read_u32_le().await?;
    if !(12..=MAX_FRAME as u32).contains(&len) || len % 4 != 0 {
        return Err(FrameError::BadLength(len));
    }
    let mut rest = vec![0; len as usize - 4];
    reader.read_exact(&mut rest).await?;
    let seq = u32::from_le_bytes(rest[..4].try_into().unwrap());
    let crc_at = rest.len() - 4;
    let crc = u32::from_le_bytes(rest[crc_at..].try_into().unwrap());
    let mut hasher = crc32fast::Hasher::new();
    hasher.update(&len.to_le_bytes());
    hasher.update(&rest[..crc_at]);
    if hasher.finalize() != crc {
        return Err(FrameError::BadCrc);
    }
    if seq != *expected_seq {
        return Err(FrameError::BadSeq {
            expected: *expected_seq,
            got: seq,
        });
    }
    *expected_seq += 1;
    rest.truncate(crc_at);
    rest.drain(..4);
    Ok(rest)
}

/// Writes one frame around `payload`.
pub async fn write_frame<W: AsyncWrite + Unpin>(
    writer: &mut W,
    seq: &mut u32,
    payload: &[u8],
) -> std::io::Result<()> {
    let len = (payload.len() + 12) as u32;
    let mut frame = Vec::with_capacity(len as usize);
    frame.extend_from_slice(&len.to_le_bytes());
    frame.extend_from_slice(&seq.to_le_bytes());
    frame.extend_from_slice(payload);
    let crc = crc32fast::hash(&frame);
    frame.extend_from_slice(&crc.to_le_bytes());
    *seq += 1;
    writer.write_all(&frame).await?;
    writer.flush().await
}
