//! Writing: sending text and media (single or as an album), scheduling, drafts and editing.
//! Every send carries a `random_id` made once per message and kept when the request is sent
//! again, so Telegram never posts it twice. How a write is sent again (a dropped connection,
//! a message Telegram is still processing) is decided in `retry.rs`; where it goes, in
//! `target.rs`; what Telegram answered is read in `updates.rs`.

use std::hash::{BuildHasher, Hasher, RandomState};
use std::sync::atomic::{AtomicU64, Ordering};

use grammers_tl_types as tl;

use super::peers::Resolved;
use super::target::Target;
use super::types::{Directory, MessageInfo};
use super::upload::UploadedMedia;
use super::{Telegram, TelegramError};
use crate::format::Formatted;

/// A message-posting request (`messages.sendMessage`, `sendMedia`, `sendMultiMedia`) with
/// this server's fixed choices: as the signed-in user, with sound, forwardable, no effect, no
/// paid extras; into `target`, scheduled at `schedule_date` when set. The braces hold the
/// request's own fields.
macro_rules! posting {
    ($($request:ident)::+ { $($field:ident $(: $value:expr)?),* $(,)? }, $target:expr, $schedule_date:expr $(,)?) => {
        $($request)::+ {
            silent: false,
            background: false,
            clear_draft: false,
            noforwards: false,
            update_stickersets_order: false,
            invert_media: false,
            allow_paid_floodskip: false,
            peer: $target.chat.input.clone(),
            reply_to: $target.reply_to.clone(),
            schedule_date: $schedule_date,
            send_as: None,
            quick_reply_shortcut: None,
            effect: None,
            allow_paid_stars: None,
            $($field $(: $value)?),*
        }
    };
}

/// Items in one album.
pub const ALBUM_MAX: usize = 10;

/// A fresh `random_id` for one outgoing message.
pub fn random_id() -> i64 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    hasher.write_u128(nanos);
    hasher.finish() as i64
}

/// What Telegram answered to a send or an edit.
#[derive(Debug, Clone, Default)]
pub struct Sent {
    /// The messages, in the order they were sent.
    pub messages: Vec<MessageInfo>,
    pub directory: Directory,
    /// They were queued as scheduled messages (their ids are scheduled-message ids).
    pub scheduled: bool,
    /// Telegram has the message but was still processing it when the answer was due: it is
    /// sent (or scheduled), `messages` is empty, its id is not known yet.
    pub unconfirmed: bool,
}

/// Telegram's answers that mean "this image cannot be a photo; send it as a file".
fn photo_refused(e: &TelegramError) -> bool {
    matches!(e, TelegramError::Rpc { name, .. } if matches!(name.as_str(),
        "PHOTO_INVALID_DIMENSIONS" | "IMAGE_PROCESS_FAILED" | "PHOTO_EXT_INVALID"
        | "PHOTO_SAVE_FILE_INVALID" | "PHOTO_INVALID" | "PHOTO_FILE_MISSING"))
}

impl Telegram {
    /// Sends a text message (scheduled when `schedule_date` is set).
    pub async fn send_text(
        &self,
        target: &Target,
        text: &Formatted,
        schedule_date: Option<i32>,
    ) -> Result<Sent, TelegramError> {
        let random_id = random_id();
        let request = posting!(
            tl::functions::messages::SendMessage {
                no_webpage: false,
                message: text.text.clone(),
                random_id,
                reply_markup: None,
                entities: text.entities_opt(),
                schedule_repeat_period: None,
                suggested_post: None,
                rich_message: None,
            },
            target,
            schedule_date,
        );
        self.post_and_read(&request, target, &[random_id], text, schedule_date)
            .await
    }

    /// Stores `text` as the chat's cloud draft; an empty text clears it.
    pub async fn save_draft(&self, target: &Target, text: &Formatted) -> Result<(), TelegramError> {
        let clear = text.text.is_empty();
        let request = tl::functions::messages::SaveDraft {
            no_webpage: false,
            invert_media: false,
            reply_to: if clear { None } else { target.reply_to.clone() },
            peer: target.chat.input.clone(),
            message: text.text.clone(),
            entities: text.entities_opt(),
            media: None,
            effect: None,
            suggested_post: None,
            rich_message: None,
        };
        self.invoke_once_more_if_dropped(&request).await?;
        Ok(())
    }

    /// Edits the text of message `id` (a scheduled message, rescheduled, when
    /// `schedule_date` is set).
    pub async fn edit_text(
        &self,
        chat: &Resolved,
        id: i32,
        text: &Formatted,
        schedule_date: Option<i32>,
    ) -> Result<Sent, TelegramError> {
        let request = tl::functions::messages::EditMessage {
            no_webpage: false,
            invert_media: false,
            peer: chat.input.clone(),
            id,
            message: Some(text.text.clone()),
            media: None,
            reply_markup: None,
            entities: text.entities_opt(),
            schedule_date,
            schedule_repeat_period: None,
            quick_reply_shortcut_id: None,
            rich_message: None,
        };
        let updates = self.invoke_once_more_if_dropped(&request).await?;
        let target = Target::plain(chat.clone());
        let mut sent = self.sent(updates, &target, &[], Some(id), text).await;
        sent.scheduled |= schedule_date.is_some();
        Ok(sent)
    }

    /// Sends uploaded media with `caption`: one item as `messages.sendMedia`, several as an
    /// album (`messages.uploadMedia` for each, then `messages.sendMultiMedia`, the caption on
    /// the first item). Photos Telegram refuses as photos go again as documents.
    pub async fn send_media(
        &self,
        target: &Target,
        caption: &Formatted,
        media: Vec<UploadedMedia>,
        schedule_date: Option<i32>,
    ) -> Result<Sent, TelegramError> {
        if media.is_empty() || media.len() > ALBUM_MAX {
            return Err(TelegramError::InvalidArgument(format!(
                "a message carries 1 to {ALBUM_MAX} files, not {}",
                media.len()
            )));
        }
        let fallback: Option<Vec<tl::enums::InputMedia>> =
            media.iter().map(|m| m.as_document.clone()).collect();
        let first: Vec<tl::enums::InputMedia> = media.into_iter().map(|m| m.media).collect();
        match self
            .send_media_as(target, caption, first, schedule_date)
            .await
        {
            Err(e) if photo_refused(&e) && fallback.is_some() => {
                tracing::info!("Telegram refused the image as a photo ({e}); sending it as a file");
                let documents = fallback.expect("checked");
                self.send_media_as(target, caption, documents, schedule_date)
                    .await
            }
            other => other,
        }
    }

    async fn send_media_as(
        &self,
        target: &Target,
        caption: &Formatted,
        media: Vec<tl::enums::InputMedia>,
        schedule_date: Option<i32>,
    ) -> Result<Sent, TelegramError> {
        if media.len() == 1 {
            let random_id = random_id();
            let request = posting!(
                tl::functions::messages::SendMedia {
                    media: media.into_iter().next().expect("one item"),
                    message: caption.text.clone(),
                    random_id,
                    reply_markup: None,
                    entities: caption.entities_opt(),
                    schedule_repeat_period: None,
                    suggested_post: None,
                },
                target,
                schedule_date,
            );
            return self
                .post_and_read(&request, target, &[random_id], caption, schedule_date)
                .await;
        }
        let mut items = Vec::with_capacity(media.len());
        for (n, item) in media.into_iter().enumerate() {
            let stored = self
                .invoke_once_more_if_dropped(&tl::functions::messages::UploadMedia {
                    business_connection_id: None,
                    peer: target.chat.input.clone(),
                    media: item,
                })
                .await?;
            let media = stored_media(stored).ok_or_else(|| {
                TelegramError::Other(
                    "Telegram did not keep an album item as a photo or file".into(),
                )
            })?;
            let first = n == 0;
            items.push(tl::types::InputSingleMedia {
                media,
                random_id: random_id(),
                message: if first {
                    caption.text.clone()
                } else {
                    String::new()
                },
                entities: if first { caption.entities_opt() } else { None },
            });
        }
        let random_ids: Vec<i64> = items.iter().map(|i| i.random_id).collect();
        let request = posting!(
            tl::functions::messages::SendMultiMedia {
                multi_media: items.into_iter().map(Into::into).collect(),
            },
            target,
            schedule_date,
        );
        self.post_and_read(&request, target, &random_ids, caption, schedule_date)
            .await
    }

    /// Posts `request` ([`Telegram::post`]) and reads the messages sent with `random_ids`
    /// from Telegram's answer.
    async fn post_and_read<R>(
        &self,
        request: &R,
        target: &Target,
        random_ids: &[i64],
        text: &Formatted,
        schedule_date: Option<i32>,
    ) -> Result<Sent, TelegramError>
    where
        R: tl::RemoteCall<Return = tl::enums::Updates>,
    {
        Ok(match self.post(request).await? {
            Some(updates) => self.sent(updates, target, random_ids, None, text).await,
            None => unconfirmed(schedule_date),
        })
    }
}

/// A send Telegram has but has not answered yet.
fn unconfirmed(schedule_date: Option<i32>) -> Sent {
    Sent {
        scheduled: schedule_date.is_some(),
        unconfirmed: true,
        ..Sent::default()
    }
}

/// The `InputMedia` naming a photo or document Telegram stored with `messages.uploadMedia`.
fn stored_media(media: tl::enums::MessageMedia) -> Option<tl::enums::InputMedia> {
    match media {
        tl::enums::MessageMedia::Photo(p) => match p.photo? {
            tl::enums::Photo::Photo(photo) => Some(
                tl::types::InputMediaPhoto {
                    spoiler: false,
                    live_photo: false,
                    id: tl::types::InputPhoto {
                        id: photo.id,
                        access_hash: photo.access_hash,
                        file_reference: photo.file_reference,
                    }
                    .into(),
                    ttl_seconds: None,
                    video: None,
                }
                .into(),
            ),
            tl::enums::Photo::Empty(_) => None,
        },
        tl::enums::MessageMedia::Document(d) => match d.document? {
            tl::enums::Document::Document(doc) => Some(
                tl::types::InputMediaDocument {
                    spoiler: false,
                    id: tl::types::InputDocument {
                        id: doc.id,
                        access_hash: doc.access_hash,
                        file_reference: doc.file_reference,
                    }
                    .into(),
                    video_cover: None,
                    video_timestamp: None,
                    ttl_seconds: None,
                    query: None,
                }
                .into(),
            ),
            tl::enums::Document::Empty(_) => None,
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_ids_differ() {
        let ids: std::collections::HashSet<i64> = (0..1000).map(|_| random_id()).collect();
        assert_eq!(ids.len(), 1000);
    }
}
