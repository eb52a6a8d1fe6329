//! Builders from the world to layer-230 TL values. `User`, `Channel`, `Message` and friends
//! have dozens of fields and no `Default`: they are spelled out here once, so a layer change
//! is fixed in one place.

use std::time::{SystemTime, UNIX_EPOCH};

use grammers_tl_types as tl;

use super::{
    ButtonSpec, ChatKind, ChatSpec, EntitySpec, FwdSpec, MarkupSpec, MediaSpec, Msg, Peer,
    PhotoSizeSpec, UserSpec, World, parse_date,
};

pub fn now() -> i32 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i32
}

pub fn entity(spec: &EntitySpec) -> Result<tl::enums::MessageEntity, String> {
    use tl::types as t;
    let (offset, length) = (spec.offset, spec.length);
    if offset < 0 || length <= 0 {
        return Err(format!("entity {} has a bad offset/length", spec.kind));
    }
    Ok(match spec.kind.as_str() {
        "bold" => t::MessageEntityBold { offset, length }.into(),
        "italic" => t::MessageEntityItalic { offset, length }.into(),
        "underline" => t::MessageEntityUnderline { offset, length }.into(),
        "strike" => t::MessageEntityStrike { offset, length }.into(),
        "spoiler" => t::MessageEntitySpoiler { offset, length }.into(),
        "code" => t::MessageEntityCode { offset, length }.into(),
        "pre" => t::MessageEntityPre {
            offset,
            length,
            language: spec.language.clone().unwrap_or_default(),
        }
        .into(),
        "text_url" => t::MessageEntityTextUrl {
            offset,
            length,
            url: spec.url.clone().ok_or("text_url entity needs url")?,
        }
        .into(),
        "url" => t::MessageEntityUrl { offset, length }.into(),
        "mention" => t::MessageEntityMention { offset, length }.into(),
        "mention_name" => t::MessageEntityMentionName {
            offset,
            length,
            user_id: spec.user_id.ok_or("mention_name entity needs user_id")?,
        }
        .into(),
        "hashtag" => t::MessageEntityHashtag { offset, length }.into(),
        "email" => t::MessageEntityEmail { offset, length }.into(),
        "phone" => t::MessageEntityPhone { offset, length }.into(),
        "blockquote" => t::MessageEntityBlockquote {
            collapsed: false,
            offset,
            length,
        }
        .into(),
        other => return Err(format!("unknown entity type {other:?}")),
    })
}

pub fn file_id(msg_id: i32, date: i32) -> i64 {
    ((date as i64) << 20) ^ (msg_id as i64) ^ 0x0F11_E000_0000
}

pub fn photo(id: i64, date: i32, sizes: Vec<tl::enums::PhotoSize>, dc_id: i32) -> tl::enums::Photo {
    tl::types::Photo {
        has_stickers: false,
        id,
        access_hash: id ^ 0x5A5A,
        file_reference: vec![1, 2, 3, 4],
        date,
        sizes,
        video_sizes: None,
        dc_id,
    }
    .into()
}

/// A photo's sizes from the world file (see [`PhotoSizeSpec`]); `bytes` gives the inline ones.
pub fn photo_sizes(
    specs: &[PhotoSizeSpec],
    default_size: i32,
    bytes: impl Fn(&PhotoSizeSpec) -> Vec<u8>,
) -> Vec<tl::enums::PhotoSize> {
    use tl::types as t;
    if specs.is_empty() {
        return vec![
            t::PhotoSize {
                r#type: "x".into(),
                w: 800,
                h: 600,
                size: default_size,
            }
            .into(),
        ];
    }
    specs
        .iter()
        .map(|s| {
            let r#type = s.kind.clone();
            if s.stripped {
                t::PhotoStrippedSize {
                    r#type,
                    bytes: bytes(s),
                }
                .into()
            } else if s.cached {
                t::PhotoCachedSize {
                    r#type,
                    w: s.w,
                    h: s.h,
                    bytes: bytes(s),
                }
                .into()
            } else if !s.progressive.is_empty() {
                t::PhotoSizeProgressive {
                    r#type,
                    w: s.w,
                    h: s.h,
                    sizes: s.progressive.clone(),
                }
                .into()
            } else {
                t::PhotoSize {
                    r#type,
                    w: s.w,
                    h: s.h,
                    size: s.size.unwrap_or(default_size),
                }
                .into()
            }
        })
        .collect()
}

pub fn document(
    id: i64,
    date: i32,
    mime_type: String,
    size: i64,
    attributes: Vec<tl::enums::DocumentAttribute>,
    dc_id: i32,
) -> tl::enums::Document {
    tl::types::Document {
        id,
        access_hash: id ^ 0xA5A5,
        file_reference: vec![5, 6, 7, 8],
        date,
        mime_type,
        size,
        thumbs: None,
        video_thumbs: None,
        dc_id,
        attributes,
    }
    .into()
}

pub fn document_media(
    document: tl::enums::Document,
    voice: bool,
    video: bool,
) -> tl::enums::MessageMedia {
    tl::types::MessageMediaDocument {
        nopremium: false,
        spoiler: false,
        video,
        round: false,
        voice,
        document: Some(document),
        alt_documents: None,
        video_cover: None,
        video_timestamp: None,
        ttl_seconds: None,
    }
    .into()
}

pub fn photo_media(photo: tl::enums::Photo) -> tl::enums::MessageMedia {
    tl::types::MessageMediaPhoto {
        spoiler: false,
        live_photo: false,
        photo: Some(photo),
        ttl_seconds: None,
        video: None,
    }
    .into()
}

pub fn media(spec: &MediaSpec, msg_id: i32, date: i32) -> Result<tl::enums::MessageMedia, String> {
    use tl::types as t;
    let id = file_id(msg_id, date);
    let size = match &spec.content {
        Some(text) => text.len() as i64,
        None => spec.size.unwrap_or(1024),
    };
    let dc = spec.dc.unwrap_or(2);
    let filename_attr = |name: &Option<String>| {
        name.as_ref().map(|n| {
            t::DocumentAttributeFilename {
                file_name: n.clone(),
            }
            .into()
        })
    };
    Ok(match spec.kind.as_str() {
        "photo" => {
            let sizes = photo_sizes(&spec.sizes, size as i32, |s| {
                super::files::generated(id, s.size.unwrap_or(64).max(0) as usize, true)
            });
            photo_media(photo(id, date, sizes, dc))
        }
        "document" => {
            let attrs = filename_attr(&spec.file_name).into_iter().collect();
            let mime = spec
                .mime_type
                .clone()
                .unwrap_or("application/octet-stream".into());
            document_media(document(id, date, mime, size, attrs, dc), false, false)
        }
        "voice" | "audio" => {
            let voice = spec.kind == "voice";
            let mut attrs: Vec<tl::enums::DocumentAttribute> = vec![
                t::DocumentAttributeAudio {
                    voice,
                    duration: spec.duration.unwrap_or(1),
                    title: spec.title.clone(),
                    performer: spec.performer.clone(),
                    waveform: None,
                }
                .into(),
            ];
            attrs.extend(filename_attr(&spec.file_name));
            let default_mime = if voice { "audio/ogg" } else { "audio/mpeg" };
            let mime = spec.mime_type.clone().unwrap_or(default_mime.into());
            document_media(document(id, date, mime, size, attrs, dc), voice, false)
        }
        "video" => {
            let mut attrs: Vec<tl::enums::DocumentAttribute> = vec![
                t::DocumentAttributeVideo {
                    round_message: false,
                    supports_streaming: true,
                    nosound: false,
                    duration: spec.duration.unwrap_or(1) as f64,
                    w: 1280,
                    h: 720,
                    preload_prefix_size: None,
                    video_start_ts: None,
                    video_codec: None,
                }
                .into(),
            ];
            attrs.extend(filename_attr(&spec.file_name));
            let mime = spec.mime_type.clone().unwrap_or("video/mp4".into());
            document_media(document(id, date, mime, size, attrs, dc), false, true)
        }
        "geo" => t::MessageMediaGeo {
            geo: t::GeoPoint {
                long: spec.long.ok_or("geo media needs long")?,
                lat: spec.lat.ok_or("geo media needs lat")?,
                access_hash: 0,
                accuracy_radius: None,
            }
            .into(),
        }
        .into(),
        "contact" => t::MessageMediaContact {
            phone_number: spec.phone.clone().unwrap_or_default(),
            first_name: spec.first_name.clone().unwrap_or_default(),
            last_name: spec.last_name.clone().unwrap_or_default(),
            vcard: String::new(),
            user_id: 0,
        }
        .into(),
        other => return Err(format!("unknown media type {other:?}")),
    })
}

pub fn fwd_header(spec: &FwdSpec) -> Result<tl::enums::MessageFwdHeader, String> {
    let from_id = spec
        .from
        .map(|id| Peer::from_bot_api(id).ok_or("fwd_from.from is 0"))
        .transpose()?
        .map(Peer::to_tl);
    Ok(tl::types::MessageFwdHeader {
        imported: false,
        saved_out: false,
        from_id,
        from_name: spec.from_name.clone(),
        date: parse_date(&spec.date)?,
        channel_post: spec.channel_post,
        post_author: None,
        saved_from_peer: None,
        saved_from_msg_id: None,
        saved_from_id: None,
        saved_from_name: None,
        saved_date: None,
        psa_type: None,
    }
    .into())
}

fn inline_button(spec: &ButtonSpec) -> tl::enums::KeyboardInlineButton {
    let kind: tl::enums::InlineButtonType = match (&spec.url, &spec.data) {
        (Some(url), _) => tl::types::InlineButtonTypeUrl { url: url.clone() }.into(),
        (None, data) => tl::types::InlineButtonTypeCallback {
            requires_password: false,
            data: data.clone().unwrap_or_default().into_bytes(),
        }
        .into(),
    };
    tl::types::KeyboardInlineButton {
        style: None,
        text: spec.text.clone(),
        r#type: kind,
    }
    .into()
}

pub fn markup(spec: &MarkupSpec) -> Result<tl::enums::ReplyMarkup, String> {
    Ok(match spec.kind.as_str() {
        "inline" => tl::types::ReplyInlineMarkup {
            force_reply: false,
            rows: spec
                .rows
                .iter()
                .map(|row| {
                    tl::types::KeyboardInlineButtonRow {
                        buttons: row.iter().map(inline_button).collect(),
                    }
                    .into()
                })
                .collect(),
        }
        .into(),
        "keyboard" => tl::types::ReplyKeyboardMarkup {
            resize: true,
            single_use: false,
            selective: false,
            persistent: false,
            force_reply: false,
            rows: spec
                .rows
                .iter()
                .map(|row| {
                    tl::types::KeyboardButtonRow {
                        buttons: row
                            .iter()
                            .map(|b| {
                                tl::types::KeyboardButton {
                                    style: None,
                                    text: b.text.clone(),
                                    r#type: tl::enums::ButtonType::Default,
                                }
                                .into()
                            })
                            .collect(),
                    }
                    .into()
                })
                .collect(),
            placeholder: None,
        }
        .into(),
        "force_reply" => tl::types::ReplyKeyboardForceReply {
            single_use: false,
            selective: false,
            placeholder: None,
        }
        .into(),
        "hide" => tl::types::ReplyKeyboardHide { selective: false }.into(),
        other => return Err(format!("unknown reply_markup type {other:?}")),
    })
}

fn status(spec: &UserSpec) -> Option<tl::enums::UserStatus> {
    let last_seen = spec.last_seen.as_ref().and_then(|d| parse_date(d).ok());
    Some(match spec.status.as_deref()? {
        "online" => tl::types::UserStatusOnline {
            expires: now() + 300,
        }
        .into(),
        "recently" => tl::types::UserStatusRecently { by_me: false }.into(),
        "last_week" => tl::types::UserStatusLastWeek { by_me: false }.into(),
        "last_month" => tl::types::UserStatusLastMonth { by_me: false }.into(),
        "offline" => tl::types::UserStatusOffline {
            was_online: last_seen.unwrap_or(0),
        }
        .into(),
        _ => return None,
    })
}

pub fn user(world: &World, spec: &UserSpec) -> tl::enums::User {
    let is_self = spec.id == world.self_id;
    if spec.deleted {
        return tl::types::User {
            deleted: true,
            first_name: None,
            last_name: None,
            username: None,
            phone: None,
            status: None,
            ..user_base(world, spec)
        }
        .into();
    }
    tl::types::User {
        is_self,
        ..user_base(world, spec)
    }
    .into()
}

fn user_base(world: &World, spec: &UserSpec) -> tl::types::User {
    let is_self = spec.id == world.self_id;
    tl::types::User {
        is_self: false,
        contact: spec.contact,
        mutual_contact: spec.contact,
        deleted: false,
        bot: spec.bot,
        bot_chat_history: false,
        bot_nochats: false,
        verified: spec.verified,
        restricted: false,
        min: false,
        bot_inline_geo: false,
        support: false,
        scam: false,
        apply_min_photo: false,
        fake: false,
        bot_attach_menu: false,
        premium: spec.premium,
        attach_menu_enabled: false,
        bot_can_edit: false,
        close_friend: false,
        stories_hidden: false,
        stories_unavailable: false,
        contact_require_premium: false,
        bot_business: false,
        bot_has_main_app: false,
        bot_forum_view: false,
        bot_forum_can_manage_topics: false,
        bot_can_manage_bots: false,
        bot_guestchat: false,
        bot_guard: false,
        id: spec.id,
        access_hash: Some(world.access_hash(Peer::User(spec.id))),
        first_name: Some(spec.first_name.clone()),
        last_name: spec.last_name.clone(),
        username: spec.username.clone(),
        // Telegram shows phone numbers of contacts and of the self user only.
        phone: spec.phone.clone().filter(|_| is_self || spec.contact),
        photo: None,
        status: if spec.bot { None } else { status(spec) },
        bot_info_version: spec.bot.then_some(1),
        restriction_reason: None,
        bot_inline_placeholder: None,
        lang_code: None,
        emoji_status: None,
        usernames: None,
        stories_max_id: None,
        color: None,
        profile_color: None,
        bot_active_users: None,
        bot_verification_icon: None,
        send_paid_messages_stars: None,
        linked_community_id: None,
    }
}

pub fn participants_count(spec: &ChatSpec) -> i32 {
    spec.participants_count
        .unwrap_or(spec.members.len() as i32 + if spec.left { 0 } else { 1 })
}

pub fn chat(world: &World, peer: Peer, spec: &ChatSpec) -> tl::enums::Chat {
    let date = spec
        .date
        .as_ref()
        .and_then(|d| parse_date(d).ok())
        .unwrap_or(0);
    match peer {
        Peer::Chat(id) => tl::types::Chat {
            creator: spec.creator,
            left: spec.left,
            deactivated: false,
            call_active: false,
            call_not_empty: false,
            noforwards: false,
            id,
            title: spec.title.clone(),
            photo: tl::enums::ChatPhoto::Empty,
            participants_count: participants_count(spec),
            date,
            version: 1,
            migrated_to: None,
            admin_rights: None,
            default_banned_rights: None,
        }
        .into(),
        Peer::Channel(id) => tl::types::Channel {
            creator: spec.creator,
            left: spec.left,
            broadcast: spec.kind == ChatKind::Channel,
            verified: spec.verified,
            megagroup: spec.kind == ChatKind::Supergroup,
            restricted: false,
            signatures: false,
            min: false,
            scam: false,
            has_link: spec.linked_chat.is_some(),
            has_geo: false,
            slowmode_enabled: false,
            call_active: false,
            call_not_empty: false,
            fake: false,
            gigagroup: false,
            noforwards: false,
            join_to_send: false,
            join_request: false,
            forum: spec.forum,
            stories_hidden: false,
            stories_hidden_min: false,
            stories_unavailable: false,
            signature_profiles: false,
            autotranslation: false,
            broadcast_messages_allowed: false,
            monoforum: false,
            forum_tabs: false,
            id,
            access_hash: Some(world.access_hash(peer)),
            title: spec.title.clone(),
            username: spec.username.clone(),
            photo: tl::enums::ChatPhoto::Empty,
            date,
            restriction_reason: None,
            admin_rights: None,
            banned_rights: None,
            default_banned_rights: None,
            participants_count: Some(participants_count(spec)),
            usernames: None,
            stories_max_id: None,
            color: None,
            profile_color: None,
            emoji_status: None,
            level: None,
            subscription_until_date: None,
            bot_verification_icon: None,
            send_paid_messages_stars: None,
            linked_monoforum_id: None,
            linked_community_id: None,
        }
        .into(),
        Peer::User(_) => unreachable!("users are not chats"),
    }
}

/// The `replies` field: comments of a channel post, or replies to a group message.
fn replies(world: &World, msg: &Msg) -> Option<tl::enums::MessageReplies> {
    let chat = world.chat(msg.peer)?;
    if chat.kind == ChatKind::Channel {
        let group = chat.linked_chat.and_then(Peer::from_bot_api)?;
        let copy = world
            .history(group)
            .find(|m| m.comments_for == Some(msg.id));
        let comments: Vec<&Msg> = copy
            .map(|c| world.thread(group, c.id).collect())
            .unwrap_or_default();
        return Some(
            tl::types::MessageReplies {
                comments: true,
                replies: comments.len() as i32,
                replies_pts: 0,
                recent_repliers: None,
                channel_id: Some(group.bare_id()),
                max_id: comments.iter().map(|m| m.id).max(),
                read_max_id: None,
            }
            .into(),
        );
    }
    if chat.kind == ChatKind::Supergroup && !msg.forum_topic {
        let thread: Vec<&Msg> = world.thread(msg.peer, msg.id).collect();
        if !thread.is_empty() {
            return Some(
                tl::types::MessageReplies {
                    comments: false,
                    replies: thread.len() as i32,
                    replies_pts: 0,
                    recent_repliers: None,
                    channel_id: None,
                    max_id: thread.iter().map(|m| m.id).max(),
                    read_max_id: None,
                }
                .into(),
            );
        }
    }
    None
}

fn reply_header(msg: &Msg) -> Option<tl::enums::MessageReplyHeader> {
    if msg.reply_to_msg_id.is_none() && !msg.forum_topic {
        return None;
    }
    let (reply_to_msg_id, reply_to_top_id) = match (msg.reply_to_msg_id, msg.top_id) {
        (Some(id), Some(top)) if id != top => (Some(id), Some(top)),
        (Some(id), _) => (Some(id), None),
        (None, top) => (top, None),
    };
    Some(
        tl::types::MessageReplyHeader {
            reply_to_scheduled: false,
            forum_topic: msg.forum_topic,
            quote: false,
            reply_to_ephemeral: false,
            reply_to_msg_id,
            reply_to_peer_id: None,
            reply_from: None,
            reply_media: None,
            reply_to_top_id,
            quote_text: None,
            quote_entities: None,
            quote_offset: None,
            todo_item_id: None,
            poll_option: None,
        }
        .into(),
    )
}

/// A message's reactions as Telegram shows them to the self user: one count per emoji, the
/// self user's own marked with `chosen_order`; `None` when there are none.
pub fn reactions(msg: &Msg) -> Option<tl::enums::MessageReactions> {
    if msg.reactions.is_empty() {
        return None;
    }
    let results = msg
        .reactions
        .iter()
        .map(|r| {
            tl::types::ReactionCount {
                chosen_order: r.chosen.then_some(0),
                reaction: tl::types::ReactionEmoji {
                    emoticon: r.emoji.clone(),
                }
                .into(),
                count: r.count,
            }
            .into()
        })
        .collect();
    Some(
        tl::types::MessageReactions {
            min: false,
            can_see_list: false,
            reactions_as_tags: false,
            results,
            recent_reactions: None,
            top_reactors: None,
        }
        .into(),
    )
}

pub fn message(world: &World, msg: &Msg) -> tl::enums::Message {
    // Private chats carry no from_id since layer 119; channel posts none either.
    let from_id = match msg.peer {
        Peer::User(_) => None,
        _ if msg.post => None,
        _ => msg.from.map(Peer::to_tl),
    };
    if let Some(action) = &msg.action {
        return tl::types::MessageService {
            out: msg.out,
            mentioned: false,
            media_unread: false,
            reactions_are_possible: false,
            silent: false,
            post: msg.post,
            legacy: false,
            id: msg.id,
            from_id,
            peer_id: msg.peer.to_tl(),
            saved_peer_id: None,
            reply_to: None,
            date: msg.date,
            action: action.clone(),
            reactions: None,
            ttl_period: None,
        }
        .into();
    }
    tl::types::Message {
        out: msg.out,
        mentioned: false,
        media_unread: false,
        silent: false,
        post: msg.post,
        from_scheduled: false,
        legacy: false,
        edit_hide: false,
        pinned: msg.pinned,
        noforwards: false,
        invert_media: false,
        offline: false,
        video_processing_pending: false,
        paid_suggested_post_stars: false,
        paid_suggested_post_ton: false,
        id: msg.id,
        from_id,
        from_boosts_applied: None,
        from_rank: None,
        peer_id: msg.peer.to_tl(),
        saved_peer_id: None,
        fwd_from: msg.fwd_from.clone(),
        via_bot_id: None,
        via_business_bot_id: None,
        guestchat_via_from: None,
        reply_to: reply_header(msg),
        date: msg.date,
        message: msg.text.clone(),
        media: msg.media.clone(),
        reply_markup: msg.reply_markup.clone(),
        entities: (!msg.entities.is_empty()).then(|| msg.entities.clone()),
        views: msg.views,
        forwards: msg.views.map(|_| 0),
        replies: replies(world, msg),
        edit_date: msg.edit_date,
        post_author: None,
        grouped_id: msg.grouped_id,
        reactions: reactions(msg),
        restriction_reason: None,
        ttl_period: None,
        quick_reply_shortcut_id: None,
        effect: None,
        factcheck: None,
        report_delivery_until_date: None,
        paid_message_stars: None,
        suggested_post: None,
        schedule_repeat_period: None,
        summary_from_language: None,
        rich_message: None,
    }
    .into()
}

/// `updates { … }`, Telegram's answer carrying `updates` with the users and chats `mentioned`
/// names.
pub fn updates(
    world: &World,
    updates: Vec<tl::enums::Update>,
    mentioned: &Mentioned,
) -> tl::enums::Updates {
    tl::types::Updates {
        updates,
        users: mentioned.users(world),
        chats: mentioned.chats(world),
        date: now(),
        seq: 0,
    }
    .into()
}

/// The `users` and `chats` vectors that accompany a set of messages or peers.
#[derive(Default)]
pub struct Mentioned {
    users: std::collections::BTreeSet<i64>,
    chats: std::collections::BTreeSet<Peer>,
}

impl Mentioned {
    pub fn peer(&mut self, peer: Peer) {
        match peer {
            Peer::User(id) => {
                self.users.insert(id);
            }
            other => {
                self.chats.insert(other);
            }
        }
    }

    pub fn tl_peer(&mut self, peer: &tl::enums::Peer) {
        self.peer(Peer::from_tl(peer));
    }

    pub fn message(&mut self, msg: &Msg) {
        self.peer(msg.peer);
        if let Some(from) = msg.from {
            self.peer(from);
        }
        if let Some(tl::enums::MessageFwdHeader::Header(h)) = &msg.fwd_from
            && let Some(p) = &h.from_id
        {
            self.tl_peer(p);
        }
        for e in &msg.entities {
            if let tl::enums::MessageEntity::MentionName(m) = e {
                self.users.insert(m.user_id);
            }
        }
    }

    pub fn users(&self, world: &World) -> Vec<tl::enums::User> {
        self.users
            .iter()
            .filter_map(|id| world.user(*id))
            .map(|u| user(world, u))
            .collect()
    }

    pub fn chats(&self, world: &World) -> Vec<tl::enums::Chat> {
        self.chats
            .iter()
            .filter_map(|p| world.chat(*p).map(|c| chat(world, *p, c)))
            .collect()
    }
}
