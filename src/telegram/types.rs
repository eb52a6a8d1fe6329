//! Domain values the facade hands to tools: chats, messages and their parts, converted from
//! TL once (in `convert.rs`) so no tool handler or JSON builder sees a TL type.

use std::collections::HashMap;

use grammers_tl_types as tl;

/// What kind of chat, in the reference's vocabulary (supergroups are groups).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChatKind {
    Private,
    Bot,
    Group,
    Channel,
}

impl ChatKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChatKind::Private => "private",
            ChatKind::Bot => "bot",
            ChatKind::Group => "group",
            ChatKind::Channel => "channel",
        }
    }
}

/// A user, group or channel.
#[derive(Debug, Clone, Default)]
pub struct ChatInfo {
    /// Bot API id: users positive, basic groups negative, channels `-100…`.
    pub id: i64,
    pub kind: Option<ChatKind>,
    pub title: String,
    pub username: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub members_count: Option<i32>,
    pub subscribers_count: Option<i32>,
    pub is_forum: bool,
    /// A supergroup or channel (has `c/` links and its own message ids).
    pub is_channel_like: bool,
    pub is_contact: bool,
    pub is_self: bool,
    pub left: bool,
    /// The self user created the group or channel or is one of its admins.
    pub is_admin: bool,
    pub phone: Option<String>,
}

/// One reaction on a message: a standard emoji (a custom emoji is `custom_emoji:<id>`, a
/// paid reaction `paid`), how many set it, and whether the self user is among them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReactionCount {
    pub emoji: String,
    pub count: i32,
    pub chosen: bool,
}

/// Who forwarded content came from.
#[derive(Debug, Clone, Default)]
pub struct ForwardInfo {
    pub from_id: Option<i64>,
    pub from_name: Option<String>,
    pub date: i64,
    pub channel_post: Option<i32>,
}

/// A lightweight description of attached media (never the bytes).
#[derive(Debug, Clone, Default)]
pub struct MediaInfo {
    pub kind: &'static str,
    pub mime_type: Option<String>,
    pub filename: Option<String>,
    pub size: Option<i64>,
    /// Whole seconds, as Telegram counts them (a video's fractional duration rounded).
    pub duration_seconds: Option<i32>,
    pub title: Option<String>,
    pub performer: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Button {
    pub text: String,
    pub kind: &'static str,
    pub url: Option<String>,
    pub data: Option<String>,
}

#[derive(Debug, Clone)]
pub struct ReplyMarkup {
    pub kind: &'static str,
    pub rows: Vec<Vec<Button>>,
}

#[derive(Debug, Clone, Default)]
pub struct MessageInfo {
    pub id: i32,
    /// Bot API id of the chat the message is in.
    pub chat_id: i64,
    pub date: i64,
    pub edit_date: Option<i64>,
    pub text: String,
    pub sender_id: Option<i64>,
    pub outgoing: bool,
    pub reply_to_msg_id: Option<i32>,
    /// Forum topic (or thread root) the message belongs to.
    pub topic_id: Option<i32>,
    pub is_forum_topic: bool,
    pub media: Option<MediaInfo>,
    pub forward: Option<ForwardInfo>,
    pub reply_markup: Option<ReplyMarkup>,
    pub views: Option<i32>,
    pub grouped_id: Option<i64>,
    /// Comments/replies below it (channel posts: comments in the discussion group).
    pub replies: Option<RepliesInfo>,
    /// A service message (join, topic creation…): its action, described.
    pub action: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct RepliesInfo {
    pub count: i32,
    pub comments: bool,
    pub discussion_chat_id: Option<i64>,
}

/// Every chat and user an answer mentioned, by Bot API id.
#[derive(Debug, Clone, Default)]
pub struct Directory {
    pub chats: HashMap<i64, ChatInfo>,
}

impl Directory {
    pub fn get(&self, id: i64) -> Option<&ChatInfo> {
        self.chats.get(&id)
    }

    pub fn extend(&mut self, other: Directory) {
        self.chats.extend(other.chats);
    }
}

/// A page of messages with the peers they mention.
#[derive(Debug, Clone, Default)]
pub struct MessagePage {
    pub messages: Vec<MessageInfo>,
    pub directory: Directory,
    /// Telegram's total for the query, when it gave one.
    pub total: Option<i32>,
    /// For global search: the rate to continue from.
    pub next_rate: Option<i32>,
    /// The answer was the whole list (`messages.messages`), not a slice of it.
    pub complete: bool,
    /// Where the listing's first message of the page sits among `total`
    /// (`offset_id_offset`), when Telegram said.
    pub position: Option<i32>,
}

impl MessagePage {
    /// Whether nothing follows this page in its listing.
    ///
    /// Telegram's pages may hold fewer messages than asked although more exist: channels
    /// leave out posts not displayable in the user's region (still counted in `count`), and
    /// searches are ranked. So a short page is not the end — Telethon's `iter_messages` reads
    /// on for the same reason and stops only on an empty page, and TDLib pages until it has
    /// `count`. The end is an empty page, the whole list at once (`messages.messages`), or
    /// `count` reached by the page's position (`offset_id_offset`) plus its length.
    pub fn ends_listing(&self) -> bool {
        let reached = match (self.position, self.total) {
            (Some(at), Some(total)) => at as i64 + self.messages.len() as i64 >= total as i64,
            _ => false,
        };
        self.messages.is_empty() || self.complete || reached
    }
}

// The chat list and folders (see `dialogs.rs`), and profiles (see `chats.rs`).

/// One chat of the chat list, with its state there.
#[derive(Debug, Clone)]
pub struct DialogEntry {
    pub info: ChatInfo,
    /// Last activity, Unix seconds: the newest message's date, else when the chat was created
    /// or joined; 0 when unknown.
    pub date: i64,
    pub pinned: bool,
    pub archived: bool,
    pub inbox: Inbox,
}

/// A chat's unread state and notifications, as its dialog gives them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Inbox {
    pub unread_count: i32,
    pub unread_mentions_count: i32,
    pub unread_reactions_count: i32,
    /// The user marked the chat unread (`unread_mark`).
    pub marked_unread: bool,
    /// Notifications muted until a time still to come.
    pub muted: bool,
    /// Incoming messages up to this id are read.
    pub read_inbox_max_id: i32,
    /// The newest message's id.
    pub top_message: i32,
}

impl Inbox {
    /// Has unread messages, or is marked unread (as folders' `exclude_read` counts it).
    pub fn is_unread(&self) -> bool {
        self.unread_count > 0 || self.marked_unread
    }
}

/// What a dialog scan's visitor wants next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Visit {
    Next,
    Stop,
}

/// How a dialog scan ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScanEnd {
    /// Every dialog was visited.
    Exhausted,
    /// The visitor asked to stop.
    Stopped,
    /// The scan read its maximum number of dialogs (or sent its maximum of requests).
    Capped,
    /// Telegram's pages stopped bringing new dialogs, or gave none to continue from: the
    /// rest of the list could not be read.
    Stalled,
}

/// A dialog folder (`dialogFilter`): explicit members, and categories of chats with
/// exclusions.
#[derive(Debug, Clone, Default)]
pub struct Folder {
    pub id: i32,
    pub title: String,
    /// Pinned members, in order (named by input peers: they are asked for by those).
    pub(in crate::telegram) pinned: Vec<tl::enums::InputPeer>,
    pub(in crate::telegram) include: Vec<tl::enums::InputPeer>,
    /// Bot API ids of excluded chats.
    pub exclude: Vec<i64>,
    pub contacts: bool,
    pub non_contacts: bool,
    pub groups: bool,
    pub broadcasts: bool,
    pub bots: bool,
    pub exclude_muted: bool,
    pub exclude_read: bool,
    pub exclude_archived: bool,
}

impl Folder {
    /// Whether chats join the folder by category (and not only by being listed).
    pub fn has_categories(&self) -> bool {
        self.contacts || self.non_contacts || self.groups || self.broadcasts || self.bots
    }

    /// Whether a chat of the list belongs to the folder by category, after its exclusions.
    /// Explicitly listed chats are members regardless (as Telegram's apps apply folders).
    pub fn admits(&self, e: &DialogEntry) -> bool {
        if self.exclude.contains(&e.info.id)
            || (self.exclude_muted && e.inbox.muted)
            || (self.exclude_read && !e.inbox.is_unread())
            || (self.exclude_archived && e.archived)
        {
            return false;
        }
        match e.info.kind {
            // Saved Messages counts as a contact, as in Telegram's apps.
            Some(ChatKind::Private) if e.info.is_contact || e.info.is_self => self.contacts,
            Some(ChatKind::Private) => self.non_contacts,
            Some(ChatKind::Bot) => self.bots,
            Some(ChatKind::Group) => self.groups,
            Some(ChatKind::Channel) => self.broadcasts,
            None => false,
        }
    }
}

/// A user's last-seen status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presence {
    Online,
    /// Last online at this Unix time.
    Offline(i64),
    Recently,
    LastWeek,
    LastMonth,
    /// Not seen for a long time (or hidden).
    LongAgo,
}

impl Presence {
    pub fn as_str(self) -> &'static str {
        match self {
            Presence::Online => "online",
            Presence::Offline(_) => "offline",
            Presence::Recently => "recently",
            Presence::LastWeek => "last_week",
            Presence::LastMonth => "last_month",
            Presence::LongAgo => "long_ago",
        }
    }
}

/// A chat's full profile.
#[derive(Debug, Clone, Default)]
pub struct ChatDetails {
    pub info: ChatInfo,
    /// Bio (users, bots) or description (groups, channels).
    pub about: Option<String>,
    pub presence: Option<Presence>,
    /// A channel's discussion group, or a group's channel.
    pub linked: Option<ChatInfo>,
    /// Groups shared with a user.
    pub common_chats_count: Option<i32>,
}

#[derive(Debug, Clone)]
pub struct TopicInfo {
    pub id: i32,
    pub title: String,
    /// Only its creator and admins may post in it.
    pub closed: bool,
}

/// A list and the total Telegram reports for it.
#[derive(Debug, Clone)]
pub struct Listed<T> {
    pub items: Vec<T>,
    pub total: Option<i32>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(ids: &[i32], total: i32, position: Option<i32>, complete: bool) -> MessagePage {
        MessagePage {
            messages: ids
                .iter()
                .map(|id| MessageInfo {
                    id: *id,
                    ..MessageInfo::default()
                })
                .collect(),
            total: Some(total),
            position,
            complete,
            ..MessagePage::default()
        }
    }

    #[test]
    fn a_short_page_is_not_the_end_of_a_listing() {
        assert!(!page(&[40, 39], 30, Some(0), false).ends_listing());
        assert!(!page(&[40, 39], 30, None, false).ends_listing());
    }

    #[test]
    fn an_empty_page_the_whole_list_or_count_reached_is() {
        assert!(page(&[], 30, None, false).ends_listing());
        assert!(page(&[2, 1], 2, None, true).ends_listing());
        assert!(page(&[2, 1], 30, Some(28), false).ends_listing());
    }
}
