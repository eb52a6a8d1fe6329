//! A message's media fetched from Telegram: the message read by id (its photo sizes, its
//! document), then the bytes with `upload.getFile` in parts, as Telegram limits them
//! (<https://core.telegram.org/api/files>: `limit` a power of two from 4 KiB to 512 KiB here,
//! offsets its multiples, so no part crosses a 1 MiB boundary). The parts go to the file's DC,
//! following `FILE_MIGRATE_X` (see [`migrate::invoke_at`](super::migrate::invoke_at)); an
//! expired file reference (`FILE_REFERENCE_EXPIRED`) is renewed once by reading the message
//! again. Each part is handed to the caller as it arrives: nothing here keeps the file.

use grammers_tl_types as tl;

use super::peers::Resolved;
use super::types::MediaInfo;
use super::{Telegram, TelegramError, convert};

/// The largest part asked for (Telegram's limit is 1 MiB; grammers asks 512 KiB).
const PART_MAX: u64 = 512 * 1024;
/// The smallest part Telegram accepts without `precise`.
const PART_MIN: u64 = 4 * 1024;
/// Telegram's largest file (4 GiB, with Premium): sizes it states beyond are not believed.
const FILE_MAX: u64 = 4 << 30;

/// One size of a photo, as Telegram lists it.
#[derive(Debug, Clone)]
pub struct PhotoSize {
    /// Telegram's letter for it (`s`, `m`, `x`, `y`, `w`, `i` …).
    pub kind: String,
    pub width: i32,
    pub height: i32,
    /// Bytes of the whole size.
    pub bytes: u64,
    /// A progressive JPEG's prefixes that are pictures of their own (byte lengths, growing).
    pub prefixes: Vec<u64>,
    /// The bytes themselves when Telegram sent them with the message (`photoCachedSize`).
    pub inline: Option<Vec<u8>>,
}

/// Where a file's bytes are: a photo or document, with what `upload.getFile` needs.
#[derive(Debug, Clone)]
struct Source {
    id: i64,
    access_hash: i64,
    file_reference: Vec<u8>,
    dc: i32,
}

/// A message's media: what it is, and how to fetch it.
#[derive(Debug, Clone)]
pub struct MessageMedia {
    pub info: MediaInfo,
    /// A photo's sizes, in Telegram's order (empty for a document).
    pub photo_sizes: Vec<PhotoSize>,
    source: Option<Source>,
    /// The message holding it, read again when its file reference expires.
    chat: Resolved,
    message_id: i32,
}

impl MessageMedia {
    /// Whether there are bytes to fetch (a photo or document, not a poll or a place).
    pub fn is_file(&self) -> bool {
        self.source.is_some()
    }
}

/// Which bytes of a message's media to fetch.
#[derive(Debug, Clone)]
pub enum Part {
    /// One size of a photo, by its letter.
    PhotoSize(String),
    /// The document.
    Document,
}

/// What a download met: Telegram's refusal, or the sink's.
#[derive(Debug, thiserror::Error)]
pub enum DownloadError {
    #[error(transparent)]
    Telegram(#[from] TelegramError),
    #[error("{0}")]
    Sink(#[from] std::io::Error),
}

/// What reading a message for its media found.
#[derive(Debug)]
pub enum Found {
    NoMessage,
    NoMedia,
    Media(Box<MessageMedia>),
}

impl Telegram {
    /// Reads message `id` of `chat` for its media.
    pub async fn message_media(&self, chat: &Resolved, id: i32) -> Result<Found, TelegramError> {
        let request = vec![tl::types::InputMessageId { id }.into()];
        let answer = match chat.input_channel() {
            Some(channel) => {
                self.invoke(&tl::functions::channels::GetMessages {
                    channel,
                    id: request,
                })
                .await?
            }
            None => {
                self.invoke(&tl::functions::messages::GetMessages { id: request })
                    .await?
            }
        };
        let (messages, users, chats) = match answer {
            tl::enums::messages::Messages::Messages(m) => (m.messages, m.users, m.chats),
            tl::enums::messages::Messages::Slice(m) => (m.messages, m.users, m.chats),
            tl::enums::messages::Messages::ChannelMessages(m) => (m.messages, m.users, m.chats),
            tl::enums::messages::Messages::NotModified(_) => return Ok(Found::NoMessage),
        };
        self.remember(&users, &chats).await;
        // messages.getMessages searches the whole account: this chat's message only.
        let Some((raw, info)) = messages.iter().find_map(|m| {
            let info = convert::message(m).filter(|i| i.id == id && i.chat_id == chat.id)?;
            Some((m, info))
        }) else {
            return Ok(Found::NoMessage);
        };
        let raw_media = match raw {
            tl::enums::Message::Message(m) => m.media.as_ref(),
            _ => None,
        };
        Ok(match (info.media, raw_media) {
            (Some(info), Some(raw)) => Found::Media(Box::new(media(info, raw, chat, id))),
            _ => Found::NoMedia,
        })
    }

    /// Fetches the first `want` bytes of `part` of `media`, handing each piece to `sink` and
    /// the count so far to `progress`. Stops early at the file's end. Dropping the future
    /// stops it between two requests.
    pub async fn download(
        &self,
        media: &MessageMedia,
        part: &Part,
        want: u64,
        sink: &mut (dyn FnMut(&[u8]) -> std::io::Result<()> + Send),
        progress: &(dyn Fn(u64) + Sync),
    ) -> Result<u64, DownloadError> {
        let mut source = media
            .source
            .clone()
            .ok_or_else(|| TelegramError::NotFound("the media holds no file".into()))?;
        let want = want.min(FILE_MAX);
        let limit = part_size(want);
        let (mut dc, mut offset, mut renewed) = (source.dc, 0u64, false);
        while offset < want {
            let request = tl::functions::upload::GetFile {
                precise: false,
                cdn_supported: false,
                location: location(&source, part),
                offset: offset as i64,
                limit: limit as i32,
            };
            let (answer, answered) = match self.invoke_in_dc(dc, &request).await {
                Err(TelegramError::Rpc { name, .. })
                    if name == "FILE_REFERENCE_EXPIRED" && !renewed =>
                {
                    renewed = true;
                    source = self.renewed_source(media, &source).await?;
                    continue;
                }
                other => other?,
            };
            dc = answered;
            let tl::enums::upload::File::File(file) = answer else {
                return Err(TelegramError::Other("Telegram sent the file to a CDN".into()).into());
            };
            let got = file.bytes.len() as u64;
            let keep = got.min(want - offset) as usize;
            sink(&file.bytes[..keep])?;
            offset += keep as u64;
            progress(offset);
            if got < limit {
                break;
            }
        }
        Ok(offset)
    }

    /// The file's location with a fresh file reference, from the message read again.
    async fn renewed_source(
        &self,
        media: &MessageMedia,
        old: &Source,
    ) -> Result<Source, TelegramError> {
        tracing::debug!("the file reference expired; reading the message again");
        let id = media.message_id;
        let fresh = match self.message_media(&media.chat, id).await? {
            Found::Media(fresh) => fresh.source,
            _ => None,
        };
        fresh.filter(|f| f.id == old.id).ok_or_else(|| {
            TelegramError::NotFound(format!("message {id} no longer holds that file"))
        })
    }
}

/// The part size for fetching `want` bytes: the smallest power of two that holds them, from
/// 4 KiB to [`PART_MAX`] (each divides 1 MiB, so no part crosses a 1 MiB boundary).
fn part_size(want: u64) -> u64 {
    want.checked_next_power_of_two()
        .unwrap_or(PART_MAX)
        .clamp(PART_MIN, PART_MAX)
}

fn location(source: &Source, part: &Part) -> tl::enums::InputFileLocation {
    match part {
        Part::PhotoSize(kind) => tl::types::InputPhotoFileLocation {
            id: source.id,
            access_hash: source.access_hash,
            file_reference: source.file_reference.clone(),
            thumb_size: kind.clone(),
        }
        .into(),
        Part::Document => tl::types::InputDocumentFileLocation {
            id: source.id,
            access_hash: source.access_hash,
            file_reference: source.file_reference.clone(),
            thumb_size: String::new(),
        }
        .into(),
    }
}

/// The domain view of message `id`'s media: its description, a photo's sizes, the file.
fn media(info: MediaInfo, raw: &tl::enums::MessageMedia, chat: &Resolved, id: i32) -> MessageMedia {
    let (photo_sizes, source) = match raw {
        tl::enums::MessageMedia::Photo(p) => match &p.photo {
            Some(tl::enums::Photo::Photo(photo)) => (
                photo.sizes.iter().filter_map(photo_size).collect(),
                Some(Source {
                    id: photo.id,
                    access_hash: photo.access_hash,
                    file_reference: photo.file_reference.clone(),
                    dc: photo.dc_id,
                }),
            ),
            _ => (Vec::new(), None),
        },
        tl::enums::MessageMedia::Document(d) => match &d.document {
            Some(tl::enums::Document::Document(doc)) => (
                Vec::new(),
                Some(Source {
                    id: doc.id,
                    access_hash: doc.access_hash,
                    file_reference: doc.file_reference.clone(),
                    dc: doc.dc_id,
                }),
            ),
            _ => (Vec::new(), None),
        },
        _ => (Vec::new(), None),
    };
    MessageMedia {
        info,
        photo_sizes,
        source,
        chat: chat.clone(),
        message_id: id,
    }
}

/// A photo size the server can use (sizes as numbers Telegram sends are hostile: negative
/// ones are dropped). Stripped and vector sizes are left out: they are no picture of their
/// own.
fn photo_size(size: &tl::enums::PhotoSize) -> Option<PhotoSize> {
    let count = |n: i32| u64::try_from(n).ok();
    Some(match size {
        tl::enums::PhotoSize::Size(s) => PhotoSize {
            kind: s.r#type.clone(),
            width: s.w,
            height: s.h,
            bytes: count(s.size)?,
            prefixes: Vec::new(),
            inline: None,
        },
        tl::enums::PhotoSize::Progressive(s) => {
            let mut prefixes: Vec<u64> = s.sizes.iter().filter_map(|n| count(*n)).collect();
            prefixes.sort_unstable();
            PhotoSize {
                kind: s.r#type.clone(),
                width: s.w,
                height: s.h,
                bytes: *prefixes.last()?,
                prefixes,
                inline: None,
            }
        }
        tl::enums::PhotoSize::PhotoCachedSize(s) => PhotoSize {
            kind: s.r#type.clone(),
            width: s.w,
            height: s.h,
            bytes: s.bytes.len() as u64,
            prefixes: Vec::new(),
            inline: Some(s.bytes.clone()),
        },
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_are_powers_of_two_that_divide_a_mebibyte() {
        assert_eq!(part_size(1), 4096);
        assert_eq!(part_size(5000), 8192);
        assert_eq!(part_size(300 * 1024), 512 * 1024);
        assert_eq!(part_size(40 * 1024 * 1024), 512 * 1024);
        assert_eq!(part_size(u64::MAX), 512 * 1024, "a hostile size");
        for want in [1, 4095, 4097, 100_000, 1 << 20, 3 << 20] {
            let size = part_size(want);
            assert_eq!((1 << 20) % size, 0, "{want}");
        }
    }
}
