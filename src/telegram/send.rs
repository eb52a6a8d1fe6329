//! Writing: sending text and media (single or as an album), scheduling, drafts, editing, and
//! the contacts a phone-number send needs. Every send carries a `random_id` made once per
//! message and kept when the request is sent again, so Telegram never posts it twice.
//! How a write is sent again (a dropped connection, a message Telegram is still processing)
//! is decided in `retry.rs`.
//!
//! Where a reply lands is decided once, in [`Telegram::target`]: a plain reply, a post into a
//! forum topic, or a comment under a broadcast channel post (sent into its discussion group,
//! replying to the post's copy there).

use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher, RandomState};
use std::sync::atomic::{AtomicU64, Ordering};

use grammers_tl_types as tl;
use tokio::io::AsyncRead;

use super::peers::Resolved;
use super::types::{ChatInfo, ChatKind, Directory, MessageInfo};
use super::{Telegram, TelegramError, convert};
use crate::format::Formatted;

/// Items in one album.
pub const ALBUM_MAX: usize = 10;
/// The forum topic every forum has; its messages carry no thread header.
const GENERAL_TOPIC: i32 = 1;
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

/// The channel post a comment is attached to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommentOn {
    pub channel_id: i64,
    pub post_id: i32,
}

/// Where an outgoing message goes.
#[derive(Debug, Clone)]
pub struct Target {
    /// The chat it is posted in (for a comment: the channel's discussion group).
    pub chat: Resolved,
    pub reply_to: Option<tl::enums::InputReplyTo>,
    /// What is known about `chat`.
    pub info: Option<ChatInfo>,
    /// Set when the message is a comment under a channel post.
    pub comment_on: Option<CommentOn>,
    /// The forum topic it is posted into.
    pub topic_id: Option<i32>,
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

/// A local file to upload: a reader over its bytes, its exact size, its name and MIME type.
pub struct LocalFile<R> {
    pub reader: R,
    pub size: usize,
    pub name: String,
    pub mime: String,
}

/// An uploaded file, ready to send.
#[derive(Debug, Clone)]
pub struct UploadedMedia {
    pub media: tl::enums::InputMedia,
    /// For a photo: the same upload as a document, sent instead if Telegram refuses the image
    /// as a photo (too large, odd dimensions).
    pub as_document: Option<tl::enums::InputMedia>,
}

/// MIME types sent as photos (when every file of the message is one).
pub fn is_photo_mime(mime: &str) -> bool {
    matches!(
        mime.to_ascii_lowercase().as_str(),
        "image/jpeg" | "image/jpg" | "image/png" | "image/webp" | "image/bmp"
    )
}

/// Telegram's answers that mean "this image cannot be a photo; send it as a file".
fn photo_refused(e: &TelegramError) -> bool {
    matches!(e, TelegramError::Rpc { name, .. } if matches!(name.as_str(),
        "PHOTO_INVALID_DIMENSIONS" | "IMAGE_PROCESS_FAILED" | "PHOTO_EXT_INVALID"
        | "PHOTO_SAVE_FILE_INVALID" | "PHOTO_INVALID" | "PHOTO_FILE_MISSING"))
}

fn reply_header(reply_to_msg_id: i32, top_msg_id: Option<i32>) -> tl::enums::InputReplyTo {
    tl::types::InputReplyToMessage {
        reply_to_msg_id,
        top_msg_id,
        reply_to_peer_id: None,
        quote_text: None,
        quote_entities: None,
        quote_offset: None,
        monoforum_peer_id: None,
        todo_item_id: None,
        poll_option: None,
    }
    .into()
}

/// Messages and peers gathered from an `Updates` answer.
#[derive(Default)]
struct Gathered {
    messages: Vec<tl::enums::Message>,
    /// `updateMessageID`: message id → the `random_id` it was sent with.
    random_ids: HashMap<i32, i64>,
    users: Vec<tl::enums::User>,
    chats: Vec<tl::enums::Chat>,
    short: Option<tl::types::UpdateShortSentMessage>,
    scheduled: bool,
}

impl Gathered {
    fn update(&mut self, update: tl::enums::Update) {
        use tl::enums::Update as U;
        match update {
            U::MessageId(u) => {
                self.random_ids.insert(u.id, u.random_id);
            }
            U::NewMessage(u) => self.messages.push(u.message),
            U::NewChannelMessage(u) => self.messages.push(u.message),
            U::EditMessage(u) => self.messages.push(u.message),
            U::EditChannelMessage(u) => self.messages.push(u.message),
            U::NewScheduledMessage(u) => {
                self.scheduled = true;
                self.messages.push(u.message);
            }
            _ => {}
        }
    }

    fn from(updates: tl::enums::Updates) -> Self {
        use tl::enums::Updates as U;
        let mut g = Gathered::default();
        match updates {
            U::Updates(u) => {
                g.users = u.users;
                g.chats = u.chats;
                u.updates.into_iter().for_each(|x| g.update(x));
            }
            U::Combined(u) => {
                g.users = u.users;
                g.chats = u.chats;
                u.updates.into_iter().for_each(|x| g.update(x));
            }
            U::UpdateShort(u) => g.update(u.update),
            U::UpdateShortSentMessage(u) => g.short = Some(u),
            U::TooLong | U::UpdateShortMessage(_) | U::UpdateShortChatMessage(_) => {}
        }
        g
    }
}

fn message_id(message: &tl::enums::Message) -> i32 {
    match message {
        tl::enums::Message::Empty(m) => m.id,
        tl::enums::Message::Message(m) => m.id,
        tl::enums::Message::Service(m) => m.id,
    }
}

impl Telegram {
    /// What Telegram knows about a chat (best effort: `None` if it cannot say).
    pub async fn describe(&self, chat: &Resolved) -> Option<ChatInfo> {
        if let Some(info) = &chat.info {
            return Some(info.clone());
        }
        let directory = match &chat.input {
            tl::enums::InputPeer::Channel(_) => {
                let channel = chat.input_channel()?;
                let answer = self
                    .invoke(&tl::functions::channels::GetChannels { id: vec![channel] })
                    .await
                    .ok()?;
                let chats = match answer {
                    tl::enums::messages::Chats::Chats(c) => c.chats,
                    tl::enums::messages::Chats::Slice(c) => c.chats,
                };
                self.directory(&[], &chats).await
            }
            tl::enums::InputPeer::Chat(c) => {
                let answer = self
                    .invoke(&tl::functions::messages::GetChats {
                        id: vec![c.chat_id],
                    })
                    .await
                    .ok()?;
                let chats = match answer {
                    tl::enums::messages::Chats::Chats(c) => c.chats,
                    tl::enums::messages::Chats::Slice(c) => c.chats,
                };
                self.directory(&[], &chats).await
            }
            _ => {
                let user = chat.input_user()?;
                let users = self
                    .invoke(&tl::functions::users::GetUsers { id: vec![user] })
                    .await
                    .ok()?;
                self.directory(&users, &[]).await
            }
        };
        directory.get(chat.id).cloned()
    }

    /// Where a message to `chat` replying to `reply_to` goes: a comment under a broadcast
    /// channel post (into the discussion group, replying to the post's copy), a post into a
    /// forum topic (`reply_to` is the topic id), or a plain reply.
    pub async fn target(
        &self,
        chat: Resolved,
        reply_to: Option<i32>,
    ) -> Result<Target, TelegramError> {
        let Some(reply_to) = reply_to else {
            return Ok(Target {
                info: chat.info.clone(),
                chat,
                reply_to: None,
                comment_on: None,
                topic_id: None,
            });
        };
        let info = if chat.input_channel().is_some() {
            self.describe(&chat).await
        } else {
            chat.info.clone()
        };
        let kind = info.as_ref().and_then(|i| i.kind);
        if kind == Some(ChatKind::Channel) {
            let Some(discussion) = self.discussion(&chat, reply_to).await? else {
                return Err(TelegramError::InvalidArgument(format!(
                    "message {reply_to} of this channel takes no comments: the post does not \
                     exist or the channel has no discussion group"
                )));
            };
            let group_info = discussion
                .page
                .directory
                .get(discussion.group.id)
                .cloned()
                .or_else(|| discussion.group.info.clone());
            return Ok(Target {
                reply_to: Some(reply_header(discussion.top_id, None)),
                info: group_info,
                comment_on: Some(CommentOn {
                    channel_id: chat.id,
                    post_id: reply_to,
                }),
                chat: discussion.group,
                topic_id: None,
            });
        }
        if info.as_ref().is_some_and(|i| i.is_forum) && self.is_topic(&chat, reply_to).await {
            // The General topic has no thread: its messages are sent without a header.
            let header =
                (reply_to != GENERAL_TOPIC).then(|| reply_header(reply_to, Some(reply_to)));
            return Ok(Target {
                chat,
                reply_to: header,
                info,
                comment_on: None,
                topic_id: Some(reply_to),
            });
        }
        Ok(Target {
            chat,
            reply_to: Some(reply_header(reply_to, None)),
            info,
            comment_on: None,
            topic_id: None,
        })
    }

    /// Whether `id` is a topic of the forum `chat`.
    async fn is_topic(&self, chat: &Resolved, id: i32) -> bool {
        let answer = self
            .invoke(&tl::functions::messages::GetForumTopicsById {
                peer: chat.input.clone(),
                topics: vec![id],
            })
            .await;
        match answer {
            Ok(tl::enums::messages::ForumTopics::Topics(t)) => {
                self.remember(&t.users, &t.chats).await;
                t.topics
                    .iter()
                    .any(|topic| matches!(topic, tl::enums::ForumTopic::Topic(t) if t.id == id))
            }
            Err(_) => false,
        }
    }

    /// Turns an answer into the messages it reports, remembering its peers. With
    /// `random_ids`, keeps the messages sent with them, in their order; with `edited`, the
    /// message of that id.
    async fn sent(
        &self,
        updates: tl::enums::Updates,
        target: &Target,
        random_ids: &[i64],
        edited: Option<i32>,
        text: &Formatted,
    ) -> Sent {
        let gathered = Gathered::from(updates);
        let directory = self.directory(&gathered.users, &gathered.chats).await;
        let mut messages: Vec<MessageInfo> = Vec::new();
        if let Some(short) = &gathered.short {
            // A text message in a private chat: Telegram only says its id and date.
            let reply_to_msg_id = match &target.reply_to {
                Some(tl::enums::InputReplyTo::Message(m)) => Some(m.reply_to_msg_id),
                _ => None,
            };
            messages.push(MessageInfo {
                id: short.id,
                chat_id: target.chat.id,
                date: short.date as i64,
                text: text.text.clone(),
                outgoing: true,
                reply_to_msg_id,
                ..Default::default()
            });
        } else {
            let by_id: HashMap<i32, &tl::enums::Message> = gathered
                .messages
                .iter()
                .map(|m| (message_id(m), m))
                .collect();
            let wanted: Vec<i32> = match edited {
                Some(id) => vec![id],
                None => {
                    let mut ids: Vec<(usize, i32)> = gathered
                        .random_ids
                        .iter()
                        .filter_map(|(id, r)| {
                            random_ids.iter().position(|x| x == r).map(|at| (at, *id))
                        })
                        .collect();
                    ids.sort();
                    ids.into_iter().map(|(_, id)| id).collect()
                }
            };
            messages = wanted
                .iter()
                .filter_map(|id| by_id.get(id))
                .filter_map(|m| convert::message(m))
                .filter(|m| {
                    m.chat_id == target.chat.id
                        || target.chat.input == tl::enums::InputPeer::PeerSelf
                })
                .collect();
        }
        self.attribute_outgoing(&mut messages).await;
        let mut directory = directory;
        self.complete_directory(&messages, target, &mut directory)
            .await;
        Sent {
            messages,
            directory,
            scheduled: gathered.scheduled,
            unconfirmed: false,
        }
    }

    /// Adds the users `messages` name that Telegram's answer did not carry — a short answer
    /// (a text in a private chat) carries none — so the echo shows the sender (the signed-in
    /// user) and the chat as `get_messages` does, never as bare ids. What the target already
    /// knows costs nothing; the rest is one `users.getUsers` (best effort).
    async fn complete_directory(
        &self,
        messages: &[MessageInfo],
        target: &Target,
        directory: &mut Directory,
    ) {
        if let Some(info) = &target.info {
            directory
                .chats
                .entry(info.id)
                .or_insert_with(|| info.clone());
        }
        let named = messages
            .iter()
            .flat_map(|m| [Some(m.chat_id), m.sender_id])
            .flatten();
        let mut missing: Vec<i64> = Vec::new();
        for id in named {
            if directory.get(id).is_none() && !missing.contains(&id) {
                missing.push(id);
            }
        }
        if missing.is_empty() {
            return;
        }
        let me = self.self_id().await.ok();
        let wanted: Vec<tl::enums::InputUser> = missing
            .iter()
            .filter_map(|id| {
                if Some(*id) == me {
                    Some(tl::enums::InputUser::UserSelf)
                } else if *id == target.chat.id {
                    target.chat.input_user()
                } else {
                    None
                }
            })
            .collect();
        if wanted.is_empty() {
            return;
        }
        if let Ok(users) = self
            .invoke(&tl::functions::users::GetUsers { id: wanted })
            .await
        {
            directory.extend(self.directory(&users, &[]).await);
        }
    }

    /// Sends a text message (scheduled when `schedule_date` is set).
    pub async fn send_text(
        &self,
        target: &Target,
        text: &Formatted,
        schedule_date: Option<i32>,
    ) -> Result<Sent, TelegramError> {
        let random_id = random_id();
        let request = tl::functions::messages::SendMessage {
            no_webpage: false,
            silent: false,
            background: false,
            clear_draft: false,
            noforwards: false,
            update_stickersets_order: false,
            invert_media: false,
            allow_paid_floodskip: false,
            peer: target.chat.input.clone(),
            reply_to: target.reply_to.clone(),
            message: text.text.clone(),
            random_id,
            reply_markup: None,
            entities: text.entities_opt(),
            schedule_date,
            schedule_repeat_period: None,
            send_as: None,
            quick_reply_shortcut: None,
            effect: None,
            allow_paid_stars: None,
            suggested_post: None,
            rich_message: None,
        };
        match self.post(&request).await? {
            Some(updates) => Ok(self.sent(updates, target, &[random_id], None, text).await),
            None => Ok(unconfirmed(schedule_date)),
        }
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
        let target = Target {
            chat: chat.clone(),
            reply_to: None,
            info: chat.info.clone(),
            comment_on: None,
            topic_id: None,
        };
        let mut sent = self.sent(updates, &target, &[], Some(id), text).await;
        sent.scheduled |= schedule_date.is_some();
        Ok(sent)
    }

    /// Uploads local files for one message: all as photos when every one is a photo type,
    /// otherwise all as documents (Telegram does not mix the two in an album).
    pub async fn upload_files<R: AsyncRead + Unpin>(
        &self,
        files: Vec<LocalFile<R>>,
    ) -> Result<Vec<UploadedMedia>, TelegramError> {
        let photos = !files.is_empty() && files.iter().all(|f| is_photo_mime(&f.mime));
        let mut uploaded = Vec::with_capacity(files.len());
        for file in files {
            uploaded.push(self.upload(file, photos).await?);
        }
        Ok(uploaded)
    }

    /// Uploads one local file, streaming it in parts.
    pub async fn upload<R: AsyncRead + Unpin>(
        &self,
        mut file: LocalFile<R>,
        as_photo: bool,
    ) -> Result<UploadedMedia, TelegramError> {
        let client = self.client().await?;
        let uploaded = client
            .upload_stream(&mut file.reader, file.size, file.name.clone())
            .await
            .map_err(|e| match upload_failed(&file.name, e) {
                TelegramError::NotSignedIn(why) => {
                    TelegramError::NotSignedIn(format!("{why}: run `{}`", self.setup_command()))
                }
                other => other,
            })?;
        let document: tl::enums::InputMedia = tl::types::InputMediaUploadedDocument {
            nosound_video: false,
            force_file: as_photo,
            spoiler: false,
            file: uploaded.raw.clone(),
            thumb: None,
            mime_type: file.mime.clone(),
            attributes: vec![
                tl::types::DocumentAttributeFilename {
                    file_name: file.name.clone(),
                }
                .into(),
            ],
            stickers: None,
            video_cover: None,
            video_timestamp: None,
            ttl_seconds: None,
        }
        .into();
        if !as_photo {
            return Ok(UploadedMedia {
                media: document,
                as_document: None,
            });
        }
        let photo = tl::types::InputMediaUploadedPhoto {
            spoiler: false,
            live_photo: false,
            file: uploaded.raw,
            stickers: None,
            ttl_seconds: None,
            video: None,
        }
        .into();
        Ok(UploadedMedia {
            media: photo,
            as_document: Some(document),
        })
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
            let request = tl::functions::messages::SendMedia {
                silent: false,
                background: false,
                clear_draft: false,
                noforwards: false,
                update_stickersets_order: false,
                invert_media: false,
                allow_paid_floodskip: false,
                peer: target.chat.input.clone(),
                reply_to: target.reply_to.clone(),
                media: media.into_iter().next().expect("one item"),
                message: caption.text.clone(),
                random_id,
                reply_markup: None,
                entities: caption.entities_opt(),
                schedule_date,
                schedule_repeat_period: None,
                send_as: None,
                quick_reply_shortcut: None,
                effect: None,
                allow_paid_stars: None,
                suggested_post: None,
            };
            return match self.post(&request).await? {
                Some(updates) => Ok(self
                    .sent(updates, target, &[random_id], None, caption)
                    .await),
                None => Ok(unconfirmed(schedule_date)),
            };
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
        let request = tl::functions::messages::SendMultiMedia {
            silent: false,
            background: false,
            clear_draft: false,
            noforwards: false,
            update_stickersets_order: false,
            invert_media: false,
            allow_paid_floodskip: false,
            peer: target.chat.input.clone(),
            reply_to: target.reply_to.clone(),
            multi_media: items.into_iter().map(Into::into).collect(),
            schedule_date,
            send_as: None,
            quick_reply_shortcut: None,
            effect: None,
            allow_paid_stars: None,
        };
        match self.post(&request).await? {
            Some(updates) => Ok(self.sent(updates, target, &random_ids, None, caption).await),
            None => Ok(unconfirmed(schedule_date)),
        }
    }

    /// The contact with this phone number (digits only), if there is one.
    pub async fn contact_by_phone(&self, digits: &str) -> Result<Option<Resolved>, TelegramError> {
        let answer = self
            .invoke(&tl::functions::contacts::GetContacts { hash: 0 })
            .await?;
        let tl::enums::contacts::Contacts::Contacts(contacts) = answer else {
            return Ok(None);
        };
        self.remember(&contacts.users, &[]).await;
        Ok(contacts.users.iter().find_map(|u| match u {
            tl::enums::User::User(user)
                if user.phone.as_deref().map(only_digits).as_deref() == Some(digits) =>
            {
                resolved_user(u)
            }
            _ => None,
        }))
    }

    /// Adds the phone number to the contacts; `None` when no Telegram account uses it.
    pub async fn import_contact(
        &self,
        phone: &str,
        first_name: &str,
        last_name: &str,
    ) -> Result<Option<Resolved>, TelegramError> {
        let answer = self
            .invoke_once_more_if_dropped(&tl::functions::contacts::ImportContacts {
                contacts: vec![
                    tl::types::InputPhoneContact {
                        client_id: random_id(),
                        phone: phone.to_string(),
                        first_name: first_name.to_string(),
                        last_name: last_name.to_string(),
                        note: None,
                    }
                    .into(),
                ],
            })
            .await?;
        let tl::enums::contacts::ImportedContacts::Contacts(imported) = answer;
        self.remember(&imported.users, &[]).await;
        let Some(tl::enums::ImportedContact::Contact(contact)) = imported.imported.first() else {
            return Ok(None);
        };
        Ok(imported.users.iter().find_map(|u| match u {
            tl::enums::User::User(user) if user.id == contact.user_id => resolved_user(u),
            _ => None,
        }))
    }

    /// Removes a user from the contacts.
    pub async fn delete_contact(&self, user: &Resolved) -> Result<(), TelegramError> {
        let input = user
            .input_user()
            .ok_or_else(|| TelegramError::InvalidArgument("only users can be contacts".into()))?;
        self.invoke_once_more_if_dropped(&tl::functions::contacts::DeleteContacts {
            id: vec![input],
        })
        .await?;
        Ok(())
    }
}

/// Why an upload failed. grammers wraps Telegram's answer in an I/O error: a flood wait keeps
/// its seconds and a signed-out session says so; anything else is worth another try.
fn upload_failed(name: &str, error: std::io::Error) -> TelegramError {
    let telegram = error
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<grammers_client::InvocationError>())
        .map(|inner| match inner {
            grammers_client::InvocationError::Rpc(e) => {
                TelegramError::from(grammers_client::InvocationError::Rpc(e.clone()))
            }
            _ => TelegramError::Other(String::new()),
        });
    match telegram {
        Some(e @ (TelegramError::FloodWait { .. } | TelegramError::NotSignedIn(_))) => e,
        _ => TelegramError::Other(format!("uploading {name:?} failed: {error}")),
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

fn only_digits(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

fn resolved_user(user: &tl::enums::User) -> Option<Resolved> {
    let tl::enums::User::User(u) = user else {
        return None;
    };
    Some(Resolved {
        id: u.id,
        input: tl::types::InputPeerUser {
            user_id: u.id,
            access_hash: u.access_hash?,
        }
        .into(),
        info: convert::user(user),
    })
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

    #[test]
    fn photos_by_mime() {
        assert!(is_photo_mime("image/JPEG"));
        assert!(is_photo_mime("image/png"));
        assert!(!is_photo_mime("image/gif"));
        assert!(!is_photo_mime("application/pdf"));
    }
}
