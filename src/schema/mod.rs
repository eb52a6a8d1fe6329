//! The uniform JSON shapes every tool returns: one entity builder and one message builder,
//! from the facade's domain values. Output types derive `JsonSchema`, so each tool's
//! `outputSchema` comes from the same definitions as its answers.

pub mod budget;
pub mod sanitize;

use schemars::JsonSchema;
use serde::Serialize;

use crate::telegram::types::{ChatInfo, Directory, Inbox, MessageInfo};

// Field doc comments of output types are schema text the model reads. Tools declare a message
// or an entity inside their answers as a plain object (`tools::compact::object`); only
// `get_chat_info` spells an entity's fields out (flattened into its own), so `Entity` documents
// its fields in `//` comments and lists its kinds as an `enum`.

/// A user, bot, group or channel.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Entity {
    // Bot API id: pass it as `chat_id`.
    pub id: i64,
    pub title: String,
    #[serde(rename = "type")]
    #[schemars(extend("enum" = ["private", "bot", "group", "channel"]))]
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub members_count: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subscribers_count: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_forum: Option<bool>,
    // Only where the answer comes from the chat list (`get_chat_info` never sets it, so its
    // spelled-out schema leaves it out).
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    #[schemars(skip)]
    pub inbox: Option<EntityInbox>,
}

/// A chat's unread state and notifications, from its dialog: `unread_count` always, the rest
/// only when set.
#[derive(Debug, Clone, Serialize)]
pub struct EntityInbox {
    pub unread_count: i32,
    #[serde(skip_serializing_if = "is_zero")]
    pub unread_mentions_count: i32,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub muted: bool,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub marked_unread: bool,
}

/// For `skip_serializing_if`: a count of 0 is left out.
pub fn is_zero(n: &i32) -> bool {
    *n == 0
}

impl From<&Inbox> for EntityInbox {
    fn from(inbox: &Inbox) -> Self {
        Self {
            unread_count: inbox.unread_count,
            unread_mentions_count: inbox.unread_mentions_count,
            muted: inbox.muted,
            marked_unread: inbox.marked_unread,
        }
    }
}

/// An entity from the chat list, with its unread state.
pub fn listed_entity(info: &ChatInfo, inbox: &Inbox) -> Entity {
    Entity {
        inbox: Some(inbox.into()),
        ..entity(info)
    }
}

pub fn entity(info: &ChatInfo) -> Entity {
    Entity {
        id: info.id,
        title: sanitize::name(&info.title),
        kind: info.kind.map_or("private", |k| k.as_str()).to_string(),
        username: info.username.as_deref().map(sanitize::technical),
        // A name made only of hidden characters is no name.
        first_name: info
            .first_name
            .as_deref()
            .map(sanitize::name)
            .filter(|n| !n.is_empty()),
        last_name: info
            .last_name
            .as_deref()
            .map(sanitize::name)
            .filter(|n| !n.is_empty()),
        members_count: info.members_count,
        subscribers_count: info.subscribers_count,
        is_forum: info.is_forum.then_some(true),
        inbox: None,
    }
}

/// Attached media, described (never the bytes).
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Media {
    /// photo, document, voice, audio, video, video_note, sticker, animation, geo, venue,
    /// contact, poll, webpage, dice, game or other.
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mime_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filename: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approx_size_bytes: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration_seconds: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub performer: Option<String>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ButtonOut {
    pub text: String,
    /// text, url, callback, web_app, switch_inline, copy, game, buy or other.
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<String>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Markup {
    /// keyboard, inline, force_reply or hide.
    #[serde(rename = "type")]
    pub kind: String,
    pub rows: Vec<Vec<ButtonOut>>,
}

/// One message.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Message {
    pub id: i32,
    /// ISO 8601, UTC.
    pub date: String,
    /// The chat, in results that span chats.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chat: Option<Entity>,
    pub text: String,
    /// Set when `text` was clipped: its full length in characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text_length: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sender: Option<Entity>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reply_to_msg_id: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub topic_id: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub media: Option<Media>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub forwarded_from: Option<Entity>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reply_markup: Option<Markup>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub edit_date: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub views: Option<i32>,
    /// Replies or comments below this message.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replies_count: Option<i32>,
    /// A service message (member joined, topic created…), described.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    /// With `context`: the messages just before this one, oldest first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub context_before: Vec<Message>,
    /// With `context`: the messages just after this one, oldest first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub context_after: Vec<Message>,
    /// With `include_replies`: up to five direct replies, oldest first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub replies: Vec<Message>,
}

pub fn iso_date(unix: i64) -> String {
    chrono::DateTime::from_timestamp(unix, 0)
        .map(|d| d.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default()
}

/// The t.me link of a message, when the chat has one (public username, or `c/` for
/// supergroups and channels).
pub fn message_link(chat: Option<&ChatInfo>, chat_id: i64, message_id: i32) -> Option<String> {
    // Only a well-formed username makes a link (Telegram's own are letters, digits and `_`).
    if let Some(username) = chat.and_then(|c| c.username.as_deref())
        && chat_id < 0
        && !username.is_empty()
        && username
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        return Some(format!("https://t.me/{username}/{message_id}"));
    }
    if chat_id < -1_000_000_000_000 {
        let bare = -chat_id - 1_000_000_000_000;
        return Some(format!("https://t.me/c/{bare}/{message_id}"));
    }
    None
}

/// Options for building messages.
#[derive(Debug, Clone, Copy)]
pub struct MessageStyle {
    /// Include the `chat` entity (results spanning chats).
    pub include_chat: bool,
    /// Clip texts longer than this many characters.
    pub text_limit: usize,
}

impl Default for MessageStyle {
    fn default() -> Self {
        Self {
            include_chat: false,
            text_limit: sanitize::MAX_TEXT_CHARS,
        }
    }
}

fn placeholder(id: i64) -> Entity {
    Entity {
        id,
        title: id.to_string(),
        kind: if id > 0 { "private" } else { "group" }.into(),
        username: None,
        first_name: None,
        last_name: None,
        members_count: None,
        subscribers_count: None,
        is_forum: None,
        inbox: None,
    }
}

fn entity_for(directory: &Directory, id: i64) -> Entity {
    directory
        .get(id)
        .map(entity)
        .unwrap_or_else(|| placeholder(id))
}

pub fn message(info: &MessageInfo, directory: &Directory, style: MessageStyle) -> Message {
    let chat = directory.get(info.chat_id);
    let (text, text_length) = sanitize::message_text(&info.text, style.text_limit);
    Message {
        id: info.id,
        date: iso_date(info.date),
        chat: style
            .include_chat
            .then(|| entity_for(directory, info.chat_id)),
        text,
        text_length: text_length.map(|n| n as i64),
        link: message_link(chat, info.chat_id, info.id),
        sender: info.sender_id.map(|id| entity_for(directory, id)),
        reply_to_msg_id: info.reply_to_msg_id,
        topic_id: info.topic_id,
        media: info.media.as_ref().map(|m| Media {
            kind: m.kind.to_string(),
            mime_type: m.mime_type.as_deref().map(sanitize::technical),
            filename: m.filename.as_deref().map(sanitize::name),
            approx_size_bytes: m.size,
            duration_seconds: m.duration_seconds,
            title: m.title.as_deref().map(sanitize::name),
            performer: m.performer.as_deref().map(sanitize::name),
        }),
        forwarded_from: info
            .forward
            .as_ref()
            .and_then(|f| match (f.from_id, &f.from_name) {
                (Some(id), _) => Some(entity_for(directory, id)),
                (None, Some(name)) => Some(Entity {
                    title: sanitize::name(name),
                    ..placeholder(0)
                }),
                _ => None,
            }),
        reply_markup: info.reply_markup.as_ref().map(|m| Markup {
            kind: m.kind.to_string(),
            rows: m
                .rows
                .iter()
                .map(|row| {
                    row.iter()
                        .map(|b| ButtonOut {
                            text: sanitize::name(&b.text),
                            kind: b.kind.to_string(),
                            url: b.url.as_deref().map(sanitize::technical),
                            data: b.data.as_deref().map(sanitize::name),
                        })
                        .collect()
                })
                .collect(),
        }),
        edit_date: info.edit_date.map(iso_date),
        views: info.views,
        replies_count: info.replies.as_ref().map(|r| r.count).filter(|c| *c > 0),
        action: info.action.as_deref().map(sanitize::name),
        context_before: Vec::new(),
        context_after: Vec::new(),
        replies: Vec::new(),
    }
}
