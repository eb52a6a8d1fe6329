//! Sending: `messages.sendMessage`, `messages.sendMedia`, `messages.uploadMedia`,
//! `messages.sendMultiMedia` (albums), `messages.editMessage`, `messages.saveDraft` and
//! scheduled messages (`schedule_date`, `messages.getScheduledHistory`).
//!
//! Answers follow Telegram: `updateShortSentMessage` for a text message in a private chat and
//! `updates { updateMessageID, updateNew(Channel)Message }` elsewhere and for all media (other
//! `Updates` variants make grammers panic); scheduled messages come back as
//! `updates { updateMessageID, updateNewScheduledMessage }`; edits as
//! `updates { updateEdit(Channel)Message }`. A repeated `random_id` (a client retrying on a new
//! connection) gets the original message back instead of a second copy, for every kind of send
//! — once the first send is done: while it is still being processed (its answer held back by
//! the DC's latency or a `Delay` fault, see `faults::answer_delay`), the repeat answers
//! `500 RANDOM_ID_DUPLICATE`, as Telegram does.

use std::collections::{BTreeMap, HashMap};
use std::time::Instant;

use grammers_tl_types as tl;

use super::chats::GENERAL_TOPIC;
use super::upload::resolve_input_file;
use super::{Ctx, RpcError, RpcResult, input_peer};
use crate::fake_dc::faults::answer_delay;
use crate::fake_dc::{FakeDc, Shared};
use crate::world::tl_build::{self, Mentioned, now};
use crate::world::{ChatKind, Msg, Peer, World};

/// Telegram's limit for a message text, in UTF-16 code units.
pub const MESSAGE_LENGTH_MAX: usize = 4096;
/// Telegram's limit for a media caption (`caption_length_max` of non-premium accounts).
pub const CAPTION_LENGTH_MAX: usize = 1024;
/// Items in one album.
pub const ALBUM_MAX: usize = 10;
/// Scheduled messages per chat.
pub const SCHEDULED_MAX: usize = 100;
/// `schedule_date` meaning "when the other user comes online".
pub const SCHEDULE_WHEN_ONLINE: i32 = 0x7FFF_FFFE;
/// How far ahead a message may be scheduled.
pub const SCHEDULE_MAX_AHEAD: i32 = 366 * 86_400;
/// `edit_time_limit` of the DC's config: outside Saved Messages and channels, messages can be
/// edited for 48 hours.
pub const EDIT_TIME_LIMIT: i32 = 172_800;

/// The DC's sending state.
pub fn outbox(shared: &Shared) -> std::sync::MutexGuard<'_, SendState> {
    shared.outbox.lock().unwrap_or_else(|e| e.into_inner())
}

pub fn route(ctx: &Ctx, id: u32, body: &[u8]) -> Option<RpcResult<Vec<u8>>> {
    fake_dc_routes!(ctx, id, body, {
        tl::functions::messages::SendMessage => send_message,
        tl::functions::messages::SendMedia => send_media,
        tl::functions::messages::UploadMedia => upload_media,
        tl::functions::messages::SendMultiMedia => send_multi_media,
        tl::functions::messages::EditMessage => edit_message,
        tl::functions::messages::SaveDraft => save_draft,
        tl::functions::messages::GetScheduledHistory => get_scheduled_history,
    })
}

/// Checks the self user may post in `peer`.
pub fn writable(world: &World, peer: Peer) -> RpcResult<()> {
    match world.chat(peer) {
        None => Ok(()),
        Some(chat) if chat.left => Err(RpcError::new(
            403,
            if peer.is_channel() {
                "CHANNEL_PRIVATE"
            } else {
                "CHAT_WRITE_FORBIDDEN"
            },
        )),
        Some(chat) if chat.kind == ChatKind::Channel && !chat.creator => {
            Err(RpcError::new(403, "CHAT_ADMIN_REQUIRED"))
        }
        Some(_) => Ok(()),
    }
}

/// Where a reply lands: the message it answers and the thread (or forum topic) it is in.
pub struct ReplyPlacement {
    pub reply_to_msg_id: Option<i32>,
    pub top_id: Option<i32>,
    pub forum_topic: bool,
}

pub fn place_reply(
    world: &World,
    peer: Peer,
    reply_to: Option<&tl::enums::InputReplyTo>,
) -> RpcResult<ReplyPlacement> {
    let forum = world.chat(peer).is_some_and(|c| c.forum);
    let mut placement = ReplyPlacement {
        reply_to_msg_id: None,
        top_id: None,
        forum_topic: false,
    };
    let Some(tl::enums::InputReplyTo::Message(reply)) = reply_to else {
        if forum {
            check_topic_open(world, peer, GENERAL_TOPIC)?;
        }
        return Ok(placement);
    };
    let target = world.message(peer, reply.reply_to_msg_id);
    if target.is_none() && reply.top_msg_id.is_none() {
        return Err(RpcError::bad_request("REPLY_MESSAGE_ID_INVALID"));
    }
    placement.reply_to_msg_id = Some(reply.reply_to_msg_id);
    if forum {
        let topic = reply
            .top_msg_id
            .or_else(|| target.and_then(|t| if t.forum_topic { t.top_id } else { None }))
            .or_else(|| {
                let is_topic = world
                    .chat(peer)
                    .is_some_and(|c| c.topics.iter().any(|t| t.id == reply.reply_to_msg_id));
                is_topic.then_some(reply.reply_to_msg_id)
            });
        if let Some(topic) = topic {
            placement.forum_topic = true;
            placement.top_id = Some(topic);
        }
        check_topic_open(world, peer, topic.unwrap_or(GENERAL_TOPIC))?;
    } else if let Some(target) = target {
        if let Some(root) = target.top_id {
            placement.top_id = Some(root);
        } else if target.reply_to_msg_id.is_some() {
            placement.top_id = target.reply_to_msg_id;
        }
    }
    Ok(placement)
}

/// Telegram's rule for a closed forum topic (TDLib's `can_send_message_to_forum_topic`): only
/// its creator and the chat's admins who manage topics (here: the chat's creator) post in it;
/// anyone else gets `400 TOPIC_CLOSED`.
fn check_topic_open(world: &World, peer: Peer, topic: i32) -> RpcResult<()> {
    let Some(chat) = world.chat(peer) else {
        return Ok(());
    };
    let closed = chat.topics.iter().any(|t| t.id == topic && t.closed);
    let me = Some(Peer::User(world.self_id));
    let started_it =
        topic != GENERAL_TOPIC && world.message(peer, topic).is_some_and(|m| m.from == me);
    if closed && !chat.creator && !started_it {
        return Err(RpcError::bad_request("TOPIC_CLOSED"));
    }
    Ok(())
}

/// Stores a new outgoing message in `peer` and returns it.
pub fn store_outgoing(world: &mut World, peer: Peer, fill: impl FnOnce(&mut Msg)) -> Msg {
    let id = world.allocate_id(peer);
    let broadcast = world
        .chat(peer)
        .is_some_and(|c| c.kind == ChatKind::Channel);
    let mut msg = Msg::new(peer, id, Some(Peer::User(world.self_id)), now());
    msg.out = true;
    msg.post = broadcast;
    if broadcast {
        msg.from = None;
        msg.views = Some(1);
    }
    fill(&mut msg);
    world.insert(msg.clone());
    crate::fake_dc::arrivals::answer_later(world, &msg);
    msg
}

/// The `Updates` answer for messages just sent, in the shape Telegram uses for `peer`.
pub fn sent_updates(world: &mut World, msgs: &[(Msg, i64)], short_ok: bool) -> tl::enums::Updates {
    let peer = msgs[0].0.peer;
    if short_ok && msgs.len() == 1 && matches!(peer, Peer::User(_)) {
        let msg = &msgs[0].0;
        let pts = world.bump_pts(peer);
        return tl::types::UpdateShortSentMessage {
            out: true,
            id: msg.id,
            pts,
            pts_count: 1,
            date: msg.date,
            media: msg.media.clone(),
            entities: (!msg.entities.is_empty()).then(|| msg.entities.clone()),
            ttl_period: None,
        }
        .into();
    }
    let mut updates: Vec<tl::enums::Update> = Vec::new();
    let mut mentioned = Mentioned::default();
    for (msg, random_id) in msgs {
        updates.push(
            tl::types::UpdateMessageId {
                id: msg.id,
                random_id: *random_id,
            }
            .into(),
        );
    }
    for (msg, _) in msgs {
        mentioned.message(msg);
        let pts = world.bump_pts(peer);
        let message = tl_build::message(world, msg);
        updates.push(if peer.is_channel() {
            tl::types::UpdateNewChannelMessage {
                message,
                pts,
                pts_count: 1,
            }
            .into()
        } else {
            tl::types::UpdateNewMessage {
                message,
                pts,
                pts_count: 1,
            }
            .into()
        });
    }
    mentioned.peer(Peer::User(world.self_id));
    tl_build::updates(world, updates, &mentioned)
}

pub fn check_text(text: &str) -> RpcResult<()> {
    if text.encode_utf16().count() > MESSAGE_LENGTH_MAX {
        return Err(RpcError::bad_request("MESSAGE_TOO_LONG"));
    }
    Ok(())
}

fn send_message(
    ctx: &Ctx,
    request: tl::functions::messages::SendMessage,
) -> RpcResult<tl::enums::Updates> {
    ctx.require_auth()?;
    let mut world = ctx.world();
    let peer = input_peer(&world, &request.peer)?;
    outbox(ctx.dc).not_in_flight(&[request.random_id])?;
    if let Some((sent_peer, id)) = world.sent_by_random_id.get(&request.random_id).copied() {
        let msg = world
            .message(sent_peer, id)
            .cloned()
            .ok_or(RpcError::new(500, "RANDOM_ID_DUPLICATE"))?;
        return Ok(sent_updates(&mut world, &[(msg, request.random_id)], true));
    }
    let mut outbox = outbox(ctx.dc);
    let send = &mut *outbox;
    if let Some(answer) = send.resent_scheduled(&world, &[request.random_id]) {
        return Ok(answer);
    }
    writable(&world, peer)?;
    if request.message.trim().is_empty() {
        return Err(RpcError::bad_request("MESSAGE_EMPTY"));
    }
    check_text(&request.message)?;
    let placement = place_reply(&world, peer, request.reply_to.as_ref())?;
    let schedule = schedule_for(&world, send, peer, request.schedule_date)?;
    let fill = |m: &mut Msg| {
        m.text = request.message.clone();
        m.entities = request.entities.clone().unwrap_or_default();
        m.reply_to_msg_id = placement.reply_to_msg_id;
        m.top_id = placement.top_id;
        m.forum_topic = placement.forum_topic;
        m.reply_markup = request.reply_markup.clone();
    };
    if request.clear_draft {
        send.drafts.remove(&peer);
    }
    send.processing(&[request.random_id]);
    if let Some(date) = schedule {
        let msg = send.store_scheduled(&world, peer, date, request.random_id, fill);
        return Ok(scheduled_updates(&world, &[(msg, request.random_id)]));
    }
    let msg = store_outgoing(&mut world, peer, fill);
    world
        .sent_by_random_id
        .insert(request.random_id, (peer, msg.id));
    Ok(sent_updates(&mut world, &[(msg, request.random_id)], true))
}

fn random_i64() -> i64 {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).expect("OS randomness");
    i64::from_le_bytes(bytes) & i64::MAX
}

fn random_reference() -> Vec<u8> {
    let mut bytes = vec![0u8; 16];
    getrandom::fill(&mut bytes).expect("OS randomness");
    bytes
}

/// Sending state the world does not model: uploaded files, drafts, scheduled messages.
#[derive(Default)]
pub struct SendState {
    /// Photos and documents made from uploads, by photo/document id.
    pub files: HashMap<i64, StoredFile>,
    /// Cloud drafts (`messages.saveDraft`), by peer.
    pub drafts: HashMap<Peer, tl::types::DraftMessage>,
    /// Scheduled messages, by peer and scheduled-message id (their own sequence per chat).
    pub scheduled: BTreeMap<Peer, BTreeMap<i32, Msg>>,
    scheduled_next: HashMap<Peer, i32>,
    /// `random_id` → scheduled message, so a re-sent request is not scheduled twice.
    pub scheduled_by_random_id: HashMap<i64, (Peer, i32)>,
    /// `random_id` → when its send is done being processed (its answer goes out then).
    in_flight: HashMap<i64, Instant>,
}

/// A photo or document the DC made from an upload, with the bytes the client uploaded.
#[derive(Clone, Debug)]
pub struct StoredFile {
    pub media: tl::enums::MessageMedia,
    pub bytes: Vec<u8>,
    /// The `InputFile` name it was uploaded under.
    pub name: String,
}

impl SendState {
    /// `500 RANDOM_ID_DUPLICATE` while a send with one of `random_ids` is still being
    /// processed: Telegram answers a repeat with the original result only once it is done.
    pub(super) fn not_in_flight(&mut self, random_ids: &[i64]) -> RpcResult<()> {
        let now = Instant::now();
        self.in_flight.retain(|_, done| *done > now);
        if random_ids.iter().any(|r| self.in_flight.contains_key(r)) {
            return Err(RpcError::new(500, "RANDOM_ID_DUPLICATE"));
        }
        Ok(())
    }

    /// Notes sends with `random_ids` as being processed for as long as their answer is held
    /// back.
    pub(super) fn processing(&mut self, random_ids: &[i64]) {
        let delay = answer_delay();
        if delay.is_zero() {
            return;
        }
        let done = Instant::now() + delay;
        self.in_flight.extend(random_ids.iter().map(|r| (*r, done)));
    }

    pub(super) fn store_scheduled(
        &mut self,
        world: &World,
        peer: Peer,
        date: i32,
        random_id: i64,
        fill: impl FnOnce(&mut Msg),
    ) -> Msg {
        let next = self.scheduled_next.entry(peer).or_insert(1);
        let id = *next;
        *next += 1;
        let broadcast = world
            .chat(peer)
            .is_some_and(|c| c.kind == ChatKind::Channel);
        let mut msg = Msg::new(peer, id, Some(Peer::User(world.self_id)), date);
        msg.out = true;
        msg.post = broadcast;
        if broadcast {
            msg.from = None;
        }
        fill(&mut msg);
        self.scheduled
            .entry(peer)
            .or_default()
            .insert(id, msg.clone());
        self.scheduled_by_random_id.insert(random_id, (peer, id));
        msg
    }

    /// The original answer for already-used `random_ids` of scheduled messages.
    pub(super) fn resent_scheduled(
        &self,
        world: &World,
        random_ids: &[i64],
    ) -> Option<tl::enums::Updates> {
        let first = random_ids.first()?;
        self.scheduled_by_random_id.get(first)?;
        let msgs: Vec<(Msg, i64)> = random_ids
            .iter()
            .filter_map(|r| {
                let (peer, id) = self.scheduled_by_random_id.get(r)?;
                Some((self.scheduled.get(peer)?.get(id)?.clone(), *r))
            })
            .collect();
        (!msgs.is_empty()).then(|| scheduled_updates(world, &msgs))
    }

    fn file_of(&self, msg: &Msg) -> Option<&StoredFile> {
        self.files.get(&media_file_id(msg.media.as_ref()?)?)
    }
}

/// The id of the photo or document in `media`.
pub fn media_file_id(media: &tl::enums::MessageMedia) -> Option<i64> {
    match media {
        tl::enums::MessageMedia::Photo(p) => match p.photo.as_ref()? {
            tl::enums::Photo::Photo(photo) => Some(photo.id),
            tl::enums::Photo::Empty(_) => None,
        },
        tl::enums::MessageMedia::Document(d) => match d.document.as_ref()? {
            tl::enums::Document::Document(doc) => Some(doc.id),
            tl::enums::Document::Empty(_) => None,
        },
        _ => None,
    }
}

/// The original answer for already-used `random_ids` of sent (not scheduled) messages.
pub(super) fn resent(
    world: &mut World,
    random_ids: &[i64],
    short_ok: bool,
) -> Option<tl::enums::Updates> {
    let first = random_ids.first()?;
    world.sent_by_random_id.get(first)?;
    let msgs: Vec<(Msg, i64)> = random_ids
        .iter()
        .filter_map(|r| {
            let (peer, id) = world.sent_by_random_id.get(r)?;
            Some((world.message(*peer, *id)?.clone(), *r))
        })
        .collect();
    (!msgs.is_empty()).then(|| sent_updates(world, &msgs, short_ok))
}

/// A scheduled message as Telegram shows it (`from_scheduled`, dated when it will be sent).
fn scheduled_message(world: &World, msg: &Msg) -> tl::enums::Message {
    let mut message = tl_build::message(world, msg);
    if let tl::enums::Message::Message(m) = &mut message {
        m.from_scheduled = true;
    }
    message
}

/// `updates { updateMessageID…, updateNewScheduledMessage… }`, Telegram's answer to a
/// scheduled send (grammers maps it like new messages).
pub(super) fn scheduled_updates(world: &World, msgs: &[(Msg, i64)]) -> tl::enums::Updates {
    let mut updates: Vec<tl::enums::Update> = msgs
        .iter()
        .map(|(msg, random_id)| {
            tl::types::UpdateMessageId {
                id: msg.id,
                random_id: *random_id,
            }
            .into()
        })
        .collect();
    let mut mentioned = Mentioned::default();
    for (msg, _) in msgs {
        mentioned.message(msg);
        updates.push(
            tl::types::UpdateNewScheduledMessage {
                message: scheduled_message(world, msg),
            }
            .into(),
        );
    }
    mentioned.peer(Peer::User(world.self_id));
    tl_build::updates(world, updates, &mentioned)
}

/// When a send with `schedule_date` goes out: `None` now (no date, or a date already due),
/// `Some(date)` scheduled.
pub(super) fn schedule_for(
    world: &World,
    send: &SendState,
    peer: Peer,
    schedule_date: Option<i32>,
) -> RpcResult<Option<i32>> {
    let Some(date) = schedule_date else {
        return Ok(None);
    };
    if world.me().bot {
        return Err(RpcError::bad_request("SCHEDULE_BOT_NOT_ALLOWED"));
    }
    if send
        .scheduled
        .get(&peer)
        .is_some_and(|m| m.len() >= SCHEDULED_MAX)
    {
        return Err(RpcError::bad_request("SCHEDULE_TOO_MUCH"));
    }
    if date == SCHEDULE_WHEN_ONLINE {
        let Peer::User(id) = peer else {
            return Err(RpcError::bad_request("SCHEDULE_DATE_INVALID"));
        };
        // Only when the user's last-seen time is visible.
        let visible = id == world.self_id
            || world
                .user(id)
                .is_some_and(|u| matches!(u.status.as_deref(), Some("online" | "offline")));
        if !visible {
            return Err(RpcError::bad_request("SCHEDULE_STATUS_PRIVATE"));
        }
        return Ok(Some(date));
    }
    let now = now();
    if date <= now {
        return Ok(None);
    }
    if date > now + SCHEDULE_MAX_AHEAD {
        return Err(RpcError::bad_request("SCHEDULE_DATE_TOO_LATE"));
    }
    Ok(Some(date))
}

fn check_caption(text: &str) -> RpcResult<()> {
    if text.encode_utf16().count() > CAPTION_LENGTH_MAX {
        return Err(RpcError::bad_request("MEDIA_CAPTION_TOO_LONG"));
    }
    Ok(())
}

/// Width and height of an image, from its header (JPEG, PNG, GIF, BMP; WebP gets a nominal
/// size); `None` for bytes that are no image Telegram could process.
pub fn image_size(bytes: &[u8]) -> Option<(i32, i32)> {
    let be16 = |i: usize| Some(u16::from_be_bytes([*bytes.get(i)?, *bytes.get(i + 1)?]) as i32);
    let le16 = |i: usize| Some(u16::from_le_bytes([*bytes.get(i)?, *bytes.get(i + 1)?]) as i32);
    let be32 = |i: usize| Some(u32::from_be_bytes(bytes.get(i..i + 4)?.try_into().ok()?) as i32);
    let le32 = |i: usize| Some(i32::from_le_bytes(bytes.get(i..i + 4)?.try_into().ok()?));
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Some((be32(16)?, be32(20)?));
    }
    if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        return Some((le16(6)?, le16(8)?));
    }
    if bytes.starts_with(b"BM") {
        return Some((le32(18)?, le32(22)?.abs()));
    }
    if bytes.starts_with(b"RIFF") && bytes.get(8..12) == Some(b"WEBP") {
        return Some((512, 512));
    }
    if bytes.starts_with(&[0xFF, 0xD8]) {
        // Walk the segments to the frame header (SOF0..SOF15 but DHT, JPG and DAC).
        let mut i = 2;
        while i + 4 <= bytes.len() {
            if bytes[i] != 0xFF {
                return None;
            }
            let marker = bytes[i + 1];
            if marker == 0xFF {
                i += 1;
                continue;
            }
            if (0xC0..=0xCF).contains(&marker) && !matches!(marker, 0xC4 | 0xC8 | 0xCC) {
                return Some((be16(i + 7)?, be16(i + 5)?));
            }
            if marker == 0xD8 || (0xD0..=0xD7).contains(&marker) {
                i += 2;
                continue;
            }
            i += 2 + be16(i + 2)? as usize;
        }
    }
    None
}

/// Photo sizes Telegram would make: one size, typed by its box ("m" 320, "x" 800, "y" 1280,
/// "w" 2560), with the size of the uploaded bytes.
fn photo_sizes(w: i32, h: i32, size: usize) -> Vec<tl::enums::PhotoSize> {
    let longest = w.max(h);
    let (kind, limit) = match longest {
        i32::MIN..=320 => ("m", 320),
        321..=800 => ("x", 800),
        801..=1280 => ("y", 1280),
        _ => ("w", 2560),
    };
    let scale = |d: i32| {
        if longest > limit {
            (d as i64 * limit as i64 / longest as i64) as i32
        } else {
            d
        }
    };
    vec![
        tl::types::PhotoSize {
            r#type: kind.into(),
            w: scale(w),
            h: scale(h),
            size: size as i32,
        }
        .into(),
    ]
}

fn find_existing<'w>(
    world: &'w World,
    send: &'w SendState,
    id: i64,
) -> Option<&'w tl::enums::MessageMedia> {
    if let Some(file) = send.files.get(&id) {
        return Some(&file.media);
    }
    world
        .messages
        .values()
        .flat_map(|m| m.values())
        .filter_map(|m| m.media.as_ref())
        .find(|media| media_file_id(media) == Some(id))
}

/// Turns an `InputMedia` into the `MessageMedia` Telegram would store, making photos and
/// documents from uploads (whose bytes stay in `send.files`).
fn resolve_media(
    dc_id: i32,
    world: &World,
    send: &mut SendState,
    media: &tl::enums::InputMedia,
) -> RpcResult<tl::enums::MessageMedia> {
    use tl::enums::InputMedia as M;
    let date = now();
    Ok(match media {
        M::Empty => return Err(RpcError::bad_request("MEDIA_EMPTY")),
        M::UploadedPhoto(p) => {
            let file = resolve_input_file(&world.uploads, &p.file)?;
            let (w, h) =
                image_size(&file.bytes).ok_or(RpcError::bad_request("IMAGE_PROCESS_FAILED"))?;
            if w <= 0 || h <= 0 || w + h > 10_000 || w.max(h) > 20 * w.min(h) {
                return Err(RpcError::bad_request("PHOTO_INVALID_DIMENSIONS"));
            }
            let id = random_i64();
            let photo = tl::types::Photo {
                has_stickers: p.stickers.is_some(),
                id,
                access_hash: random_i64(),
                file_reference: random_reference(),
                date,
                sizes: photo_sizes(w, h, file.bytes.len()),
                video_sizes: None,
                dc_id,
            };
            let media: tl::enums::MessageMedia = tl::types::MessageMediaPhoto {
                spoiler: p.spoiler,
                live_photo: false,
                photo: Some(photo.into()),
                ttl_seconds: p.ttl_seconds,
                video: None,
            }
            .into();
            send.files.insert(
                id,
                StoredFile {
                    media: media.clone(),
                    bytes: file.bytes,
                    name: file.name,
                },
            );
            media
        }
        M::UploadedDocument(d) => {
            let file = resolve_input_file(&world.uploads, &d.file)?;
            let thumb = d
                .thumb
                .as_ref()
                .map(|t| resolve_input_file(&world.uploads, t))
                .transpose()?;
            let video_attr = d.attributes.iter().find_map(|a| match a {
                tl::enums::DocumentAttribute::Video(v) => Some(v),
                _ => None,
            });
            let voice = d
                .attributes
                .iter()
                .any(|a| matches!(a, tl::enums::DocumentAttribute::Audio(a) if a.voice));
            let video = !d.force_file && video_attr.is_some();
            let round = video && video_attr.is_some_and(|v| v.round_message);
            let id = random_i64();
            let mime_type = if d.mime_type.is_empty() {
                "application/octet-stream".to_string()
            } else {
                d.mime_type.clone()
            };
            let thumbs = thumb.map(|t| {
                let (w, h) = image_size(&t.bytes).unwrap_or((320, 320));
                photo_sizes(w, h, t.bytes.len())
                    .into_iter()
                    .map(|s| match s {
                        tl::enums::PhotoSize::Size(mut s) => {
                            s.r#type = "m".into();
                            s.into()
                        }
                        other => other,
                    })
                    .collect()
            });
            let document = tl::types::Document {
                id,
                access_hash: random_i64(),
                file_reference: random_reference(),
                date,
                mime_type,
                size: file.bytes.len() as i64,
                thumbs,
                video_thumbs: None,
                dc_id,
                attributes: d.attributes.clone(),
            };
            let media: tl::enums::MessageMedia = tl::types::MessageMediaDocument {
                nopremium: false,
                spoiler: d.spoiler,
                video,
                round,
                voice,
                document: Some(document.into()),
                alt_documents: None,
                video_cover: None,
                video_timestamp: d.video_timestamp,
                ttl_seconds: d.ttl_seconds,
            }
            .into();
            send.files.insert(
                id,
                StoredFile {
                    media: media.clone(),
                    bytes: file.bytes,
                    name: file.name,
                },
            );
            media
        }
        M::Photo(p) => {
            let tl::enums::InputPhoto::Photo(input) = &p.id else {
                return Err(RpcError::bad_request("PHOTO_INVALID"));
            };
            let existing = find_existing(world, send, input.id).cloned();
            let Some(tl::enums::MessageMedia::Photo(mut media)) = existing else {
                return Err(RpcError::bad_request("MEDIA_INVALID"));
            };
            let Some(tl::enums::Photo::Photo(photo)) = &media.photo else {
                return Err(RpcError::bad_request("MEDIA_INVALID"));
            };
            if photo.access_hash != input.access_hash {
                return Err(RpcError::bad_request("MEDIA_INVALID"));
            }
            if photo.file_reference != input.file_reference {
                return Err(RpcError::bad_request("FILE_REFERENCE_EXPIRED"));
            }
            media.spoiler = p.spoiler;
            media.ttl_seconds = p.ttl_seconds;
            media.into()
        }
        M::Document(d) => {
            let tl::enums::InputDocument::Document(input) = &d.id else {
                return Err(RpcError::bad_request("DOCUMENT_INVALID"));
            };
            let existing = find_existing(world, send, input.id).cloned();
            let Some(tl::enums::MessageMedia::Document(mut media)) = existing else {
                return Err(RpcError::bad_request("MEDIA_INVALID"));
            };
            let Some(tl::enums::Document::Document(document)) = &media.document else {
                return Err(RpcError::bad_request("MEDIA_INVALID"));
            };
            if document.access_hash != input.access_hash {
                return Err(RpcError::bad_request("MEDIA_INVALID"));
            }
            if document.file_reference != input.file_reference {
                return Err(RpcError::bad_request("FILE_REFERENCE_EXPIRED"));
            }
            media.spoiler = d.spoiler;
            media.ttl_seconds = d.ttl_seconds;
            media.into()
        }
        M::GeoPoint(g) => {
            let tl::enums::InputGeoPoint::Point(point) = &g.geo_point else {
                return Err(RpcError::bad_request("MEDIA_INVALID"));
            };
            tl::types::MessageMediaGeo {
                geo: tl::types::GeoPoint {
                    long: point.long,
                    lat: point.lat,
                    access_hash: 0,
                    accuracy_radius: point.accuracy_radius,
                }
                .into(),
            }
            .into()
        }
        M::Contact(c) => {
            let digits: String = c
                .phone_number
                .chars()
                .filter(char::is_ascii_digit)
                .collect();
            let user_id = world
                .users
                .values()
                .find(|u| u.phone.as_deref() == Some(digits.as_str()))
                .map_or(0, |u| u.id);
            tl::types::MessageMediaContact {
                phone_number: c.phone_number.clone(),
                first_name: c.first_name.clone(),
                last_name: c.last_name.clone(),
                vcard: c.vcard.clone(),
                user_id,
            }
            .into()
        }
        // The DC has no Internet to fetch the URL from.
        M::PhotoExternal(_) | M::DocumentExternal(_) => {
            return Err(RpcError::bad_request("WEBPAGE_CURL_FAILED"));
        }
        _ => return Err(RpcError::bad_request("MEDIA_INVALID")),
    })
}

fn send_media(
    ctx: &Ctx,
    request: tl::functions::messages::SendMedia,
) -> RpcResult<tl::enums::Updates> {
    ctx.require_auth()?;
    let mut world = ctx.world();
    let peer = input_peer(&world, &request.peer)?;
    outbox(ctx.dc).not_in_flight(&[request.random_id])?;
    // Media never comes back as updateShortSentMessage.
    if let Some(answer) = resent(&mut world, &[request.random_id], false) {
        return Ok(answer);
    }
    let mut outbox = outbox(ctx.dc);
    let send = &mut *outbox;
    if let Some(answer) = send.resent_scheduled(&world, &[request.random_id]) {
        return Ok(answer);
    }
    writable(&world, peer)?;
    check_caption(&request.message)?;
    let placement = place_reply(&world, peer, request.reply_to.as_ref())?;
    let schedule = schedule_for(&world, send, peer, request.schedule_date)?;
    let media = resolve_media(ctx.dc_id, &world, send, &request.media)?;
    let fill = |m: &mut Msg| {
        m.text = request.message.clone();
        m.entities = request.entities.clone().unwrap_or_default();
        m.media = Some(media);
        m.reply_to_msg_id = placement.reply_to_msg_id;
        m.top_id = placement.top_id;
        m.forum_topic = placement.forum_topic;
        m.reply_markup = request.reply_markup.clone();
    };
    if request.clear_draft {
        send.drafts.remove(&peer);
    }
    send.processing(&[request.random_id]);
    if let Some(date) = schedule {
        let msg = send.store_scheduled(&world, peer, date, request.random_id, fill);
        return Ok(scheduled_updates(&world, &[(msg, request.random_id)]));
    }
    drop(outbox);
    let msg = store_outgoing(&mut world, peer, fill);
    world
        .sent_by_random_id
        .insert(request.random_id, (peer, msg.id));
    Ok(sent_updates(&mut world, &[(msg, request.random_id)], false))
}

/// Makes a photo or document from an upload without sending it (grammers' album path).
fn upload_media(
    ctx: &Ctx,
    request: tl::functions::messages::UploadMedia,
) -> RpcResult<tl::enums::MessageMedia> {
    ctx.require_auth()?;
    let world = ctx.world();
    input_peer(&world, &request.peer)?;
    let mut outbox = outbox(ctx.dc);
    resolve_media(ctx.dc_id, &world, &mut outbox, &request.media)
}

/// An album: every item shares one `grouped_id`; each keeps its own caption (clients put the
/// album's caption on the first). Items must be photos or documents already made with
/// `messages.uploadMedia`, as Telegram requires.
fn send_multi_media(
    ctx: &Ctx,
    request: tl::functions::messages::SendMultiMedia,
) -> RpcResult<tl::enums::Updates> {
    ctx.require_auth()?;
    let mut world = ctx.world();
    let peer = input_peer(&world, &request.peer)?;
    let items: Vec<tl::types::InputSingleMedia> = request
        .multi_media
        .iter()
        .map(|m| match m {
            tl::enums::InputSingleMedia::Media(m) => m.clone(),
        })
        .collect();
    let random_ids: Vec<i64> = items.iter().map(|m| m.random_id).collect();
    outbox(ctx.dc).not_in_flight(&random_ids)?;
    if let Some(answer) = resent(&mut world, &random_ids, false) {
        return Ok(answer);
    }
    let mut outbox = outbox(ctx.dc);
    let send = &mut *outbox;
    if let Some(answer) = send.resent_scheduled(&world, &random_ids) {
        return Ok(answer);
    }
    writable(&world, peer)?;
    if items.is_empty() {
        return Err(RpcError::bad_request("MEDIA_EMPTY"));
    }
    if items.len() > ALBUM_MAX {
        return Err(RpcError::bad_request("MULTI_MEDIA_TOO_LONG"));
    }
    let placement = place_reply(&world, peer, request.reply_to.as_ref())?;
    let schedule = schedule_for(&world, send, peer, request.schedule_date)?;
    let mut resolved = Vec::new();
    for item in &items {
        if !matches!(
            item.media,
            tl::enums::InputMedia::Photo(_) | tl::enums::InputMedia::Document(_)
        ) {
            return Err(RpcError::bad_request("MEDIA_INVALID"));
        }
        check_caption(&item.message)?;
        resolved.push(resolve_media(ctx.dc_id, &world, send, &item.media)?);
    }
    let grouped_id = random_i64();
    if request.clear_draft {
        send.drafts.remove(&peer);
    }
    send.processing(&random_ids);
    let mut sent = Vec::new();
    for (item, media) in items.iter().zip(resolved) {
        let fill = |m: &mut Msg| {
            m.text = item.message.clone();
            m.entities = item.entities.clone().unwrap_or_default();
            m.media = Some(media);
            m.grouped_id = Some(grouped_id);
            m.reply_to_msg_id = placement.reply_to_msg_id;
            m.top_id = placement.top_id;
            m.forum_topic = placement.forum_topic;
        };
        let msg = match schedule {
            Some(date) => send.store_scheduled(&world, peer, date, item.random_id, fill),
            None => {
                let msg = store_outgoing(&mut world, peer, fill);
                world
                    .sent_by_random_id
                    .insert(item.random_id, (peer, msg.id));
                msg
            }
        };
        sent.push((msg, item.random_id));
    }
    if schedule.is_some() {
        return Ok(scheduled_updates(&world, &sent));
    }
    drop(outbox);
    Ok(sent_updates(&mut world, &sent, false))
}

/// Whether the self user may edit `msg`: its own messages, and any post of a channel it owns.
fn check_editable(world: &World, msg: &Msg) -> RpcResult<()> {
    let channel_owner = world
        .chat(msg.peer)
        .is_some_and(|c| c.kind == ChatKind::Channel && c.creator && !c.left);
    if !msg.out && !channel_owner {
        return Err(RpcError::new(403, "MESSAGE_AUTHOR_REQUIRED"));
    }
    let unlimited = msg.peer == Peer::User(world.self_id) || msg.post;
    if !unlimited && now() - msg.date >= EDIT_TIME_LIMIT {
        return Err(RpcError::bad_request("MESSAGE_EDIT_TIME_EXPIRED"));
    }
    Ok(())
}

fn edit_message(
    ctx: &Ctx,
    request: tl::functions::messages::EditMessage,
) -> RpcResult<tl::enums::Updates> {
    ctx.require_auth()?;
    let mut world = ctx.world();
    let peer = input_peer(&world, &request.peer)?;
    let mut outbox = outbox(ctx.dc);
    let send = &mut *outbox;
    let scheduled = request.schedule_date.is_some();
    let original = if scheduled {
        send.scheduled.get(&peer).and_then(|m| m.get(&request.id))
    } else {
        world.message(peer, request.id)
    }
    .filter(|m| m.action.is_none())
    .cloned()
    .ok_or(RpcError::bad_request("MESSAGE_ID_INVALID"))?;
    if scheduled {
        if !original.out {
            return Err(RpcError::new(403, "MESSAGE_AUTHOR_REQUIRED"));
        }
    } else {
        check_editable(&world, &original)?;
    }
    let mut edited = original.clone();
    if let Some(text) = &request.message {
        edited.text = text.clone();
        // A new text without entities has none.
        edited.entities = request.entities.clone().unwrap_or_default();
    } else if let Some(entities) = &request.entities {
        edited.entities = entities.clone();
    }
    if let Some(media) = &request.media {
        let had_file = original
            .media
            .as_ref()
            .is_some_and(|m| media_file_id(m).is_some());
        if !had_file {
            return Err(RpcError::bad_request("MEDIA_PREV_INVALID"));
        }
        edited.media = Some(resolve_media(ctx.dc_id, &world, send, media)?);
    }
    if world.me().bot {
        // Bots' inline keyboards go when an edit leaves them out.
        edited.reply_markup = request.reply_markup.clone();
    }
    if edited.media.is_some() {
        check_caption(&edited.text)?;
    } else {
        if edited.text.trim().is_empty() {
            return Err(RpcError::bad_request("MESSAGE_EMPTY"));
        }
        check_text(&edited.text)?;
    }
    let rescheduled = request.schedule_date.filter(|d| *d != original.date);
    if edited.text == original.text
        && edited.entities == original.entities
        && edited.media == original.media
        && edited.reply_markup == original.reply_markup
        && rescheduled.is_none()
    {
        return Err(RpcError::bad_request("MESSAGE_NOT_MODIFIED"));
    }
    if scheduled {
        if let Some(date) = rescheduled {
            if date <= now() || date > now() + SCHEDULE_MAX_AHEAD {
                return Err(RpcError::bad_request("SCHEDULE_DATE_INVALID"));
            }
            edited.date = date;
        }
        send.scheduled
            .entry(peer)
            .or_default()
            .insert(edited.id, edited.clone());
        let mut mentioned = Mentioned::default();
        mentioned.message(&edited);
        return Ok(tl::types::Updates {
            updates: vec![
                tl::types::UpdateNewScheduledMessage {
                    message: scheduled_message(&world, &edited),
                }
                .into(),
            ],
            users: mentioned.users(&world),
            chats: mentioned.chats(&world),
            date: now(),
            seq: 0,
        }
        .into());
    }
    drop(outbox);
    edited.edit_date = Some(now());
    world.insert(edited.clone());
    let pts = world.bump_pts(peer);
    let message = tl_build::message(&world, &edited);
    let update: tl::enums::Update = if peer.is_channel() {
        tl::types::UpdateEditChannelMessage {
            message,
            pts,
            pts_count: 1,
        }
        .into()
    } else {
        tl::types::UpdateEditMessage {
            message,
            pts,
            pts_count: 1,
        }
        .into()
    };
    let mut mentioned = Mentioned::default();
    mentioned.message(&edited);
    mentioned.peer(Peer::User(world.self_id));
    Ok(tl_build::updates(&world, vec![update], &mentioned))
}

/// Stores (or, with nothing in it, clears) the cloud draft of a chat.
fn save_draft(ctx: &Ctx, request: tl::functions::messages::SaveDraft) -> RpcResult<bool> {
    ctx.require_auth()?;
    let world = ctx.world();
    let peer = input_peer(&world, &request.peer)?;
    writable(&world, peer)?;
    check_text(&request.message)?;
    let mut outbox = outbox(ctx.dc);
    if request.message.is_empty() && request.reply_to.is_none() && request.media.is_none() {
        outbox.drafts.remove(&peer);
    } else {
        outbox.drafts.insert(
            peer,
            tl::types::DraftMessage {
                no_webpage: request.no_webpage,
                invert_media: request.invert_media,
                reply_to: request.reply_to,
                message: request.message,
                entities: request.entities,
                media: request.media,
                date: now(),
                effect: request.effect,
                suggested_post: None,
                rich_message: None,
            },
        );
    }
    Ok(true)
}

fn get_scheduled_history(
    ctx: &Ctx,
    request: tl::functions::messages::GetScheduledHistory,
) -> RpcResult<tl::enums::messages::Messages> {
    ctx.require_auth()?;
    let world = ctx.world();
    let peer = input_peer(&world, &request.peer)?;
    let outbox = outbox(ctx.dc);
    let msgs: Vec<&Msg> = outbox
        .scheduled
        .get(&peer)
        .map(|m| m.values().rev().collect())
        .unwrap_or_default();
    let mut mentioned = Mentioned::default();
    for msg in &msgs {
        mentioned.message(msg);
    }
    Ok(tl::types::messages::Messages {
        messages: msgs.iter().map(|m| scheduled_message(&world, m)).collect(),
        topics: Vec::new(),
        chats: mentioned.chats(&world),
        users: mentioned.users(&world),
    }
    .into())
}

/// The cloud draft of `peer`, for answers that carry drafts (dialogs).
pub fn draft_of(shared: &Shared, peer: Peer) -> Option<tl::types::DraftMessage> {
    outbox(shared).drafts.get(&peer).cloned()
}

/// Test views of what was sent.
impl FakeDc {
    /// The bytes uploaded for the photo or document of message `msg_id` in `peer`'s history,
    /// reassembled from the parts the client saved.
    pub fn uploaded_bytes(&self, peer: Peer, msg_id: i32) -> Option<Vec<u8>> {
        let msg = self.world().message(peer, msg_id).cloned()?;
        self.uploaded_bytes_of(&msg)
    }

    /// The bytes uploaded for the photo or document of `msg` (e.g. one of
    /// [`FakeDc::scheduled_messages`]).
    pub fn uploaded_bytes_of(&self, msg: &Msg) -> Option<Vec<u8>> {
        outbox(self.shared()).file_of(msg).map(|f| f.bytes.clone())
    }

    /// The photo or document the DC made from an upload, by photo/document id.
    pub fn stored_file(&self, id: i64) -> Option<StoredFile> {
        outbox(self.shared()).files.get(&id).cloned()
    }

    /// The cloud draft saved for `peer`.
    pub fn draft(&self, peer: Peer) -> Option<tl::types::DraftMessage> {
        draft_of(self.shared(), peer)
    }

    /// Messages scheduled in `peer`, by scheduled id (they are not in the history).
    pub fn scheduled_messages(&self, peer: Peer) -> Vec<Msg> {
        outbox(self.shared())
            .scheduled
            .get(&peer)
            .map(|m| m.values().cloned().collect())
            .unwrap_or_default()
    }
}
