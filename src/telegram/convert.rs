//! TL → domain values. The only place that reads layer-230 users, chats and messages.

use grammers_tl_types as tl;

use crate::schema::sanitize;

use super::types::{
    Button, ChatInfo, ChatKind, Directory, ForwardInfo, MediaInfo, MessageInfo, MessagePage,
    ReactionCount, RepliesInfo, ReplyMarkup,
};

const CHANNEL_OFFSET: i64 = 1_000_000_000_000;

/// Bot API id of a TL peer.
pub fn peer_id(peer: &tl::enums::Peer) -> i64 {
    match peer {
        tl::enums::Peer::User(p) => p.user_id,
        tl::enums::Peer::Chat(p) => -p.chat_id,
        tl::enums::Peer::Channel(p) => -(CHANNEL_OFFSET + p.channel_id),
    }
}

pub fn channel_bot_api_id(channel_id: i64) -> i64 {
    -(CHANNEL_OFFSET + channel_id)
}

pub fn user(user: &tl::enums::User) -> Option<ChatInfo> {
    let tl::enums::User::User(u) = user else {
        return None;
    };
    let name = [u.first_name.as_deref(), u.last_name.as_deref()]
        .into_iter()
        .flatten()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    let username = u.username.clone().or_else(|| {
        u.usernames.as_ref().and_then(|list| {
            list.iter()
                .find_map(|tl::enums::Username::Username(n)| n.active.then(|| n.username.clone()))
        })
    });
    let title = if !name.is_empty() {
        name
    } else if let Some(username) = &username {
        username.clone()
    } else if u.deleted {
        "Deleted Account".into()
    } else {
        u.id.to_string()
    };
    Some(ChatInfo {
        id: u.id,
        kind: Some(if u.bot {
            ChatKind::Bot
        } else {
            ChatKind::Private
        }),
        title,
        username,
        first_name: u.first_name.clone().filter(|s| !s.is_empty()),
        last_name: u.last_name.clone().filter(|s| !s.is_empty()),
        is_contact: u.contact,
        is_self: u.is_self,
        phone: u.phone.clone(),
        ..Default::default()
    })
}

pub fn chat(chat: &tl::enums::Chat) -> Option<ChatInfo> {
    match chat {
        tl::enums::Chat::Chat(c) => Some(ChatInfo {
            id: -c.id,
            kind: Some(ChatKind::Group),
            title: c.title.clone(),
            members_count: Some(c.participants_count),
            left: c.left,
            is_admin: c.creator || c.admin_rights.is_some(),
            ..Default::default()
        }),
        tl::enums::Chat::Forbidden(c) => Some(ChatInfo {
            id: -c.id,
            kind: Some(ChatKind::Group),
            title: c.title.clone(),
            left: true,
            ..Default::default()
        }),
        tl::enums::Chat::Channel(c) => {
            let broadcast = c.broadcast;
            let username = c.username.clone().or_else(|| {
                c.usernames.as_ref().and_then(|list| {
                    list.iter().find_map(|tl::enums::Username::Username(n)| {
                        n.active.then(|| n.username.clone())
                    })
                })
            });
            Some(ChatInfo {
                id: channel_bot_api_id(c.id),
                kind: Some(if broadcast {
                    ChatKind::Channel
                } else {
                    ChatKind::Group
                }),
                title: c.title.clone(),
                username,
                members_count: if broadcast {
                    None
                } else {
                    c.participants_count
                },
                subscribers_count: if broadcast {
                    c.participants_count
                } else {
                    None
                },
                is_forum: c.forum,
                is_channel_like: true,
                left: c.left,
                is_admin: c.creator || c.admin_rights.is_some(),
                ..Default::default()
            })
        }
        tl::enums::Chat::ChannelForbidden(c) => Some(ChatInfo {
            id: channel_bot_api_id(c.id),
            kind: Some(if c.broadcast {
                ChatKind::Channel
            } else {
                ChatKind::Group
            }),
            title: c.title.clone(),
            is_channel_like: true,
            left: true,
            ..Default::default()
        }),
        // Communities (layer 230) are not chats the tools can read.
        tl::enums::Chat::Empty(_)
        | tl::enums::Chat::Community(_)
        | tl::enums::Chat::CommunityForbidden(_) => None,
    }
}

pub fn directory(users: &[tl::enums::User], chats: &[tl::enums::Chat]) -> Directory {
    let mut directory = Directory::default();
    for info in users
        .iter()
        .filter_map(user)
        .chain(chats.iter().filter_map(chat))
    {
        directory.chats.insert(info.id, info);
    }
    directory
}

fn media(media: &tl::enums::MessageMedia) -> Option<MediaInfo> {
    use tl::enums::MessageMedia as M;
    Some(match media {
        M::Photo(p) => {
            let size = match &p.photo {
                Some(tl::enums::Photo::Photo(photo)) => {
                    photo.sizes.iter().filter_map(photo_size).max()
                }
                _ => None,
            };
            MediaInfo {
                kind: "photo",
                mime_type: Some("image/jpeg".into()),
                size,
                ..Default::default()
            }
        }
        M::Document(d) => {
            let Some(tl::enums::Document::Document(doc)) = &d.document else {
                return Some(MediaInfo {
                    kind: "document",
                    ..Default::default()
                });
            };
            let mut info = MediaInfo {
                kind: "document",
                mime_type: Some(doc.mime_type.clone()),
                size: Some(doc.size),
                ..Default::default()
            };
            for attribute in &doc.attributes {
                match attribute {
                    tl::enums::DocumentAttribute::Filename(f) => {
                        info.filename = Some(f.file_name.clone())
                    }
                    tl::enums::DocumentAttribute::Audio(a) => {
                        info.kind = if a.voice { "voice" } else { "audio" };
                        info.duration_seconds = Some(a.duration);
                        info.title = a.title.clone();
                        info.performer = a.performer.clone();
                    }
                    tl::enums::DocumentAttribute::Video(v) => {
                        info.kind = if v.round_message {
                            "video_note"
                        } else {
                            "video"
                        };
                        info.duration_seconds = Some(v.duration.round() as i32);
                    }
                    tl::enums::DocumentAttribute::Sticker(_) => info.kind = "sticker",
                    tl::enums::DocumentAttribute::Animated => info.kind = "animation",
                    _ => {}
                }
            }
            if d.voice {
                info.kind = "voice";
            }
            info
        }
        M::Geo(_) | M::GeoLive(_) => MediaInfo {
            kind: "geo",
            ..Default::default()
        },
        M::Venue(_) => MediaInfo {
            kind: "venue",
            ..Default::default()
        },
        M::Contact(_) => MediaInfo {
            kind: "contact",
            ..Default::default()
        },
        M::Poll(_) => MediaInfo {
            kind: "poll",
            ..Default::default()
        },
        M::WebPage(_) => MediaInfo {
            kind: "webpage",
            ..Default::default()
        },
        M::Dice(_) => MediaInfo {
            kind: "dice",
            ..Default::default()
        },
        M::Game(_) => MediaInfo {
            kind: "game",
            ..Default::default()
        },
        M::Empty | M::Unsupported => return None,
        _ => MediaInfo {
            kind: "other",
            ..Default::default()
        },
    })
}

fn photo_size(size: &tl::enums::PhotoSize) -> Option<i64> {
    match size {
        tl::enums::PhotoSize::Size(s) => Some(s.size as i64),
        tl::enums::PhotoSize::Progressive(s) => s.sizes.iter().max().map(|v| *v as i64),
        _ => None,
    }
}

fn markup(markup: &tl::enums::ReplyMarkup) -> ReplyMarkup {
    use tl::enums::ReplyMarkup as R;
    match markup {
        R::ReplyKeyboardHide(_) => ReplyMarkup {
            kind: "hide",
            rows: Vec::new(),
        },
        R::ReplyKeyboardForceReply(_) => ReplyMarkup {
            kind: "force_reply",
            rows: Vec::new(),
        },
        R::ReplyKeyboardMarkup(k) => ReplyMarkup {
            kind: "keyboard",
            rows: k
                .rows
                .iter()
                .map(|tl::enums::KeyboardButtonRow::Row(row)| {
                    row.buttons
                        .iter()
                        .map(|tl::enums::KeyboardButton::Button(b)| Button {
                            text: b.text.clone(),
                            kind: "text",
                            url: None,
                            data: None,
                        })
                        .collect()
                })
                .collect(),
        },
        R::ReplyInlineMarkup(k) => ReplyMarkup {
            kind: "inline",
            rows: k
                .rows
                .iter()
                .map(|tl::enums::KeyboardInlineButtonRow::Row(row)| {
                    row.buttons
                        .iter()
                        .map(|tl::enums::KeyboardInlineButton::Button(b)| inline_button(b))
                        .collect()
                })
                .collect(),
        },
    }
}

fn inline_button(b: &tl::types::KeyboardInlineButton) -> Button {
    use tl::enums::InlineButtonType as T;
    let (kind, url, data) = match &b.r#type {
        T::Url(u) => ("url", Some(u.url.clone()), None),
        T::WebView(u) => ("web_app", Some(u.url.clone()), None),
        T::UrlAuth(u) => ("url", Some(u.url.clone()), None),
        T::Callback(c) => (
            "callback",
            None,
            Some(String::from_utf8_lossy(&c.data).into_owned()),
        ),
        T::SwitchInline(_) => ("switch_inline", None, None),
        T::Game => ("game", None, None),
        T::Buy => ("buy", None, None),
        T::Copy(c) => ("copy", None, Some(c.copy_text.clone())),
        _ => ("other", None, None),
    };
    Button {
        text: b.text.clone(),
        kind,
        url,
        data,
    }
}

pub fn message(message: &tl::enums::Message) -> Option<MessageInfo> {
    match message {
        tl::enums::Message::Empty(_) => None,
        tl::enums::Message::Message(m) => {
            let chat_id = peer_id(&m.peer_id);
            let sender_id = m.from_id.as_ref().map(peer_id).or_else(|| {
                // Private chats carry no from_id: the sender is the peer, or us.
                (chat_id > 0 && !m.out).then_some(chat_id)
            });
            let (reply_to_msg_id, topic_id, is_forum_topic) = match &m.reply_to {
                Some(tl::enums::MessageReplyHeader::Header(h)) => {
                    // Only forum topics count as topics; other threads are plain replies.
                    let topic = if h.forum_topic {
                        h.reply_to_top_id.or(h.reply_to_msg_id)
                    } else {
                        None
                    };
                    let reply = if h.forum_topic && h.reply_to_top_id.is_none() {
                        None
                    } else {
                        h.reply_to_msg_id
                    };
                    (reply, topic, h.forum_topic)
                }
                _ => (None, None, false),
            };
            Some(MessageInfo {
                id: m.id,
                chat_id,
                date: m.date as i64,
                edit_date: m.edit_date.map(|d| d as i64),
                text: m.message.clone(),
                sender_id,
                outgoing: m.out,
                reply_to_msg_id,
                topic_id,
                is_forum_topic,
                media: m.media.as_ref().and_then(media),
                forward: m
                    .fwd_from
                    .as_ref()
                    .map(|tl::enums::MessageFwdHeader::Header(f)| ForwardInfo {
                        from_id: f.from_id.as_ref().map(peer_id),
                        from_name: f.from_name.clone(),
                        date: f.date as i64,
                        channel_post: f.channel_post,
                    }),
                reply_markup: m.reply_markup.as_ref().map(markup),
                views: m.views,
                grouped_id: m.grouped_id,
                replies: m
                    .replies
                    .as_ref()
                    .map(|tl::enums::MessageReplies::Replies(r)| RepliesInfo {
                        count: r.replies,
                        comments: r.comments,
                        discussion_chat_id: r.channel_id.map(channel_bot_api_id),
                    }),
                action: None,
            })
        }
        tl::enums::Message::Service(m) => Some(MessageInfo {
            id: m.id,
            chat_id: peer_id(&m.peer_id),
            date: m.date as i64,
            sender_id: m.from_id.as_ref().map(peer_id),
            outgoing: m.out,
            action: Some(service_action(&m.action)),
            ..Default::default()
        }),
    }
}

/// A service message, described; the titles in it are other people's, cleaned (the whole
/// description is cleaned again where it leaves the server).
fn service_action(action: &tl::enums::MessageAction) -> String {
    use tl::enums::MessageAction as A;
    match action {
        A::TopicCreate(t) => format!("topic created: {}", sanitize::name(&t.title)),
        A::ChatCreate(c) => format!("group created: {}", sanitize::name(&c.title)),
        A::ChannelCreate(c) => format!("channel created: {}", sanitize::name(&c.title)),
        A::ChatEditTitle(t) => format!("title changed: {}", sanitize::name(&t.title)),
        A::ChatAddUser(_) => "members added".into(),
        A::ChatDeleteUser(_) => "member removed".into(),
        A::ChatJoinedByLink(_) => "joined by link".into(),
        A::PinMessage => "message pinned".into(),
        _ => "service message".into(),
    }
}

/// A message's reactions: one count per reaction, the self user's marked `chosen`.
pub fn reactions(reactions: &tl::enums::MessageReactions) -> Vec<ReactionCount> {
    let tl::enums::MessageReactions::Reactions(r) = reactions;
    r.results
        .iter()
        .map(|tl::enums::ReactionCount::Count(c)| ReactionCount {
            emoji: match &c.reaction {
                tl::enums::Reaction::Emoji(e) => e.emoticon.clone(),
                tl::enums::Reaction::CustomEmoji(e) => format!("custom_emoji:{}", e.document_id),
                tl::enums::Reaction::Paid => "paid".into(),
                tl::enums::Reaction::Empty => String::new(),
            },
            count: c.count,
            chosen: c.chosen_order.is_some(),
        })
        .filter(|r| !r.emoji.is_empty())
        .collect()
}

/// A `messages.Messages` answer as a page.
pub fn page(answer: tl::enums::messages::Messages) -> MessagePage {
    use tl::enums::messages::Messages as M;
    let complete = matches!(answer, M::Messages(_));
    let (messages, users, chats, total, next_rate, position) = match answer {
        M::Messages(m) => {
            let n = m.messages.len() as i32;
            (m.messages, m.users, m.chats, Some(n), None, Some(0))
        }
        M::Slice(m) => (
            m.messages,
            m.users,
            m.chats,
            Some(m.count),
            m.next_rate,
            m.offset_id_offset,
        ),
        M::ChannelMessages(m) => (
            m.messages,
            m.users,
            m.chats,
            Some(m.count),
            None,
            m.offset_id_offset,
        ),
        M::NotModified(m) => (
            Vec::new(),
            Vec::new(),
            Vec::new(),
            Some(m.count),
            None,
            None,
        ),
    };
    MessagePage {
        complete,
        messages: messages.iter().filter_map(message).collect(),
        directory: directory(&users, &chats),
        total,
        next_rate,
        position,
    }
}
