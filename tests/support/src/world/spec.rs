//! The world file: a JSON description of one Telegram account and everything it can see.
//! Peers are named by their Bot API ids everywhere (user `42`, basic group `-4001`,
//! channel or supergroup `-1001234567890`), the same ids the MCP tools take as `chat_id`.
//! docs/loopback-dc.md ("The world file") documents every field.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct WorldSpec {
    /// The signed-in user.
    #[serde(rename = "self")]
    pub me: UserSpec,
    #[serde(default)]
    pub users: Vec<UserSpec>,
    #[serde(default)]
    pub chats: Vec<ChatSpec>,
    #[serde(default)]
    pub messages: Vec<MessageSpec>,
    /// Dialog folders (`dialogFilter`), in display order.
    #[serde(default)]
    pub folders: Vec<FolderSpec>,
    /// Per-dialog state; chats and users with messages are dialogs even when not listed.
    #[serde(default)]
    pub dialogs: Vec<DialogSpec>,
    #[serde(default)]
    pub login: LoginSpec,
    /// How many more phone numbers `contacts.importContacts` takes before Telegram's limit on
    /// importing contacts: past it, numbers come back in `retry_contacts`. Absent: unlimited.
    #[serde(default)]
    pub contact_import_limit: Option<u32>,
    /// Every page of messages (`getHistory`, `search`, `getReplies`, `searchGlobal`) and of
    /// dialogs holds this many fewer than asked (at least one), as Telegram's pages may be
    /// short although more exists. 0 (the default): tidy pages.
    #[serde(default)]
    pub short_pages: usize,
    /// `searchGlobal` answers never carry `next_rate`, even while more matches follow: the
    /// cursor must then come from the page's last message.
    #[serde(default)]
    pub omit_next_rate: bool,
    /// Reading a forum's history (`channels.readHistory`) leaves its topics' read markers
    /// where they were. Telegram does not document whether it moves them; clients derived
    /// from Pyrogram read each topic after it, so a server must cope with both.
    #[serde(default)]
    pub history_leaves_topics: bool,
    /// Chats generated on top of the listed ones, for an account of hundreds of dialogs.
    #[serde(default)]
    pub generate: Option<super::crowd::Crowd>,
    /// Per-method budgets (`{"contacts.resolveUsername": {"calls": 30, "window_seconds": 60}}`)
    /// replacing the defaults of [`super::rate_limits::DEFAULT_RATE_LIMITS`] method by method.
    #[serde(default)]
    pub rate_limits: std::collections::BTreeMap<String, super::RateLimit>,
    /// Chats that answer what the client sends them (a bot, a friend), after a delay.
    #[serde(default)]
    pub auto_replies: Vec<AutoReplySpec>,
}

/// A scripted answer: every message the client sends to `chat` is answered with `text` from
/// `from`, `after_ms` milliseconds later (in the same topic or thread), the way a bot answers.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AutoReplySpec {
    pub chat: i64,
    /// The sender; default: `chat` itself (a private chat with a user or bot).
    #[serde(default)]
    pub from: Option<i64>,
    pub text: String,
    #[serde(default)]
    pub after_ms: u64,
    /// The answer is a reply to the client's message (`reply_to`).
    #[serde(default)]
    pub reply: bool,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct UserSpec {
    pub id: i64,
    #[serde(default)]
    pub access_hash: Option<i64>,
    #[serde(default)]
    pub first_name: String,
    #[serde(default)]
    pub last_name: Option<String>,
    #[serde(default)]
    pub username: Option<String>,
    /// Digits only, without `+` (as Telegram stores it).
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub bot: bool,
    #[serde(default)]
    pub premium: bool,
    #[serde(default)]
    pub verified: bool,
    /// In the self user's contact list.
    #[serde(default)]
    pub contact: bool,
    /// Bio (`about` in `userFull`).
    #[serde(default)]
    pub about: Option<String>,
    /// `online`, `recently`, `last_week`, `last_month`, `offline` (with `last_seen`) or absent.
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub last_seen: Option<DateSpec>,
    /// Groups shared with the self user are derived from chat members.
    #[serde(default)]
    pub deleted: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChatKind {
    /// A basic group (`chat`); its id is negative (`-4001`).
    Group,
    /// A megagroup (`channel` with `megagroup`); id `-100…`.
    Supergroup,
    /// A broadcast channel; id `-100…`.
    Channel,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ChatSpec {
    pub id: i64,
    pub kind: ChatKind,
    pub title: String,
    #[serde(default)]
    pub access_hash: Option<i64>,
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub about: Option<String>,
    /// User ids of members (the self user is a member unless `left`).
    #[serde(default)]
    pub members: Vec<i64>,
    /// Reported member/subscriber count; defaults to `members.len() + 1`.
    #[serde(default)]
    pub participants_count: Option<i32>,
    /// Supergroup with topics.
    #[serde(default)]
    pub forum: bool,
    #[serde(default)]
    pub topics: Vec<TopicSpec>,
    /// A channel's discussion group, or a group's channel.
    #[serde(default)]
    pub linked_chat: Option<i64>,
    #[serde(default)]
    pub creator: bool,
    #[serde(default)]
    pub left: bool,
    #[serde(default)]
    pub verified: bool,
    #[serde(default)]
    pub date: Option<DateSpec>,
    /// Protected content: its messages cannot be forwarded (`CHAT_FORWARDS_RESTRICTED`).
    #[serde(default)]
    pub noforwards: bool,
    /// The reactions members may set (`available_reactions`); absent: every standard one.
    #[serde(default)]
    pub reactions: Option<Vec<String>>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TopicSpec {
    /// The topic id: the id of the service message that created it (1 is "General").
    pub id: i32,
    pub title: String,
    #[serde(default)]
    pub date: Option<DateSpec>,
    /// Only its creator and the chat's creator post in a closed topic.
    #[serde(default)]
    pub closed: bool,
    #[serde(default)]
    pub pinned: bool,
    /// The user who started it (sent its creation message); default: the self user.
    #[serde(default)]
    pub creator: Option<i64>,
    // The topic's read state, as a dialog's.
    #[serde(default)]
    pub unread_count: i32,
    /// The read marker: every incoming message after it is unread (set, it overrides
    /// `unread_count`: without it the newest `unread_count` incoming messages are unread).
    #[serde(default)]
    pub read_inbox_max_id: Option<i32>,
    /// Unread messages mentioning the self user (`readMentions` clears them).
    #[serde(default)]
    pub unread_mentions_count: i32,
    /// The self user's messages with reactions not seen yet (`readReactions` clears them).
    #[serde(default)]
    pub unread_reactions_count: i32,
}

/// A date as an ISO 8601 / RFC 3339 string or a Unix timestamp.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(untagged)]
pub enum DateSpec {
    Unix(i64),
    Iso(String),
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct MessageSpec {
    /// The chat the message is in (Bot API id); for private chats, the other user.
    pub chat: i64,
    pub id: i32,
    /// Sender user id; absent for channel posts. The self user's id makes it outgoing.
    #[serde(default)]
    pub from: Option<i64>,
    pub date: DateSpec,
    #[serde(default)]
    pub text: String,
    #[serde(default)]
    pub entities: Vec<EntitySpec>,
    #[serde(default)]
    pub media: Option<MediaSpec>,
    /// Id of the message this one replies to (same chat).
    #[serde(default)]
    pub reply_to: Option<i32>,
    /// Forum topic id this message is in.
    #[serde(default)]
    pub topic: Option<i32>,
    /// In a discussion group: this message is the automatic copy of that post of the linked
    /// channel; replies to it are the post's comments.
    #[serde(default)]
    pub comments_for: Option<i32>,
    #[serde(default)]
    pub fwd_from: Option<FwdSpec>,
    #[serde(default)]
    pub reply_markup: Option<MarkupSpec>,
    #[serde(default)]
    pub edit_date: Option<DateSpec>,
    #[serde(default)]
    pub views: Option<i32>,
    #[serde(default)]
    pub grouped_id: Option<i64>,
    #[serde(default)]
    pub pinned: bool,
    /// Reactions already on it (others', and the self user's where `chosen`).
    #[serde(default)]
    pub reactions: Vec<ReactionSpec>,
    /// Telegram will not show it (a post "not displayable in your region"): counted in a
    /// listing's `count`, never in its pages.
    #[serde(default)]
    pub hidden: bool,
}

/// One emoji's reactions on a message.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ReactionSpec {
    pub emoji: String,
    pub count: i32,
    /// The self user's own reaction is among them.
    #[serde(default)]
    pub chosen: bool,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct EntitySpec {
    /// bold, italic, underline, strike, spoiler, code, pre, text_url, url, mention,
    /// mention_name, hashtag, email, phone, blockquote.
    #[serde(rename = "type")]
    pub kind: String,
    /// In UTF-16 code units, as Telegram counts.
    pub offset: i32,
    pub length: i32,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub language: Option<String>,
    #[serde(default)]
    pub user_id: Option<i64>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct MediaSpec {
    /// photo, document, voice, audio, video, geo, contact.
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub mime_type: Option<String>,
    #[serde(default)]
    pub file_name: Option<String>,
    #[serde(default)]
    pub size: Option<i64>,
    /// Seconds, for voice, audio and video.
    #[serde(default)]
    pub duration: Option<i32>,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub performer: Option<String>,
    #[serde(default)]
    pub lat: Option<f64>,
    #[serde(default)]
    pub long: Option<f64>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub first_name: Option<String>,
    #[serde(default)]
    pub last_name: Option<String>,
    /// The file's bytes as text (a text document); else bytes are generated from the file id
    /// (`size` of them; a photo's start as a JPEG does). See `world::files`.
    #[serde(default)]
    pub content: Option<String>,
    /// A photo's sizes, as Telegram lists them; default one `x` size of 800×600.
    #[serde(default)]
    pub sizes: Vec<PhotoSizeSpec>,
    /// The DC the media names as the file's (`dc_id`); default 2.
    #[serde(default)]
    pub dc: Option<i32>,
    /// The DC that really holds the bytes, when not `dc`: `upload.getFile` anywhere else
    /// answers `303 FILE_MIGRATE_X`.
    #[serde(default)]
    pub served_from: Option<i32>,
}

/// One size of a photo: `photoSize` (`size` bytes), `photoSizeProgressive` (`progressive`:
/// the byte lengths of its prefixes, the last the whole file), `photoCachedSize` (`cached`:
/// the bytes inline) or `photoStrippedSize` (`stripped`).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PhotoSizeSpec {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub w: i32,
    #[serde(default)]
    pub h: i32,
    #[serde(default)]
    pub size: Option<i32>,
    #[serde(default)]
    pub progressive: Vec<i32>,
    #[serde(default)]
    pub cached: bool,
    #[serde(default)]
    pub stripped: bool,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FwdSpec {
    /// Original sender (Bot API id) when visible.
    #[serde(default)]
    pub from: Option<i64>,
    /// Original sender's name when hidden by privacy settings.
    #[serde(default)]
    pub from_name: Option<String>,
    pub date: DateSpec,
    #[serde(default)]
    pub channel_post: Option<i32>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct MarkupSpec {
    /// inline, keyboard, force_reply, hide.
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub rows: Vec<Vec<ButtonSpec>>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ButtonSpec {
    pub text: String,
    #[serde(default)]
    pub url: Option<String>,
    /// Callback data (inline buttons), as text.
    #[serde(default)]
    pub data: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FolderSpec {
    /// Filter id (2 and up; 0 and 1 are "All chats" and "Archive").
    pub id: i32,
    pub title: String,
    #[serde(default)]
    pub emoticon: Option<String>,
    #[serde(default)]
    pub include: Vec<i64>,
    #[serde(default)]
    pub exclude: Vec<i64>,
    #[serde(default)]
    pub pinned: Vec<i64>,
    #[serde(default)]
    pub contacts: bool,
    #[serde(default)]
    pub non_contacts: bool,
    #[serde(default)]
    pub groups: bool,
    #[serde(default)]
    pub broadcasts: bool,
    #[serde(default)]
    pub bots: bool,
    #[serde(default)]
    pub exclude_muted: bool,
    #[serde(default)]
    pub exclude_read: bool,
    #[serde(default)]
    pub exclude_archived: bool,
    /// A shareable chat-list folder (`dialogFilterChatlist`).
    #[serde(default)]
    pub chatlist: bool,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DialogSpec {
    pub peer: i64,
    #[serde(default)]
    pub pinned: bool,
    /// In the Archive folder (folder id 1).
    #[serde(default)]
    pub archived: bool,
    #[serde(default)]
    pub muted: bool,
    /// Marked as unread by the user (`messages.markDialogUnread`).
    #[serde(default)]
    pub unread_mark: bool,
    #[serde(default)]
    pub unread_count: i32,
    /// The read marker: every incoming message after it is unread (set, it overrides
    /// `unread_count`: without it the newest `unread_count` incoming messages are unread).
    #[serde(default)]
    pub read_inbox_max_id: Option<i32>,
    /// Unread messages mentioning the self user (`readMentions` clears them).
    #[serde(default)]
    pub unread_mentions_count: i32,
    /// The self user's messages with reactions not seen yet (`readReactions` clears them).
    #[serde(default)]
    pub unread_reactions_count: i32,
    /// Dialog answers name its top message but leave it out of their `messages`.
    #[serde(default)]
    pub top_missing: bool,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LoginSpec {
    /// The code `auth.sendCode` "sends" and `auth.signIn` accepts.
    #[serde(default = "default_code")]
    pub code: String,
    /// A 2FA password; when set, `auth.signIn` answers `SESSION_PASSWORD_NEEDED` and
    /// `auth.checkPassword` verifies it with real SRP.
    #[serde(default)]
    pub password: Option<String>,
    #[serde(default)]
    pub hint: Option<String>,
    /// Bot tokens `auth.importBotAuthorization` accepts, each signing in as a bot user id.
    #[serde(default)]
    pub bot_tokens: Vec<BotTokenSpec>,
    /// How `auth.sendCode` says the code was sent; by default to the Telegram app for the
    /// self user's number and by SMS for any other.
    #[serde(default)]
    pub code_type: Option<CodeTypeSpec>,
    /// The code `account.sendVerifyEmailCode` "sends" to a login e-mail being set up
    /// (`code_type: set_up_email_required`) and `account.verifyEmail` accepts.
    #[serde(default = "default_email_code")]
    pub email_code: String,
    /// Seconds a QR login token lives (Telegram's live 30).
    #[serde(default = "default_qr_token_ttl")]
    pub qr_token_ttl: i32,
}

/// The `auth.SentCodeType` `auth.sendCode` answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CodeTypeSpec {
    App,
    Sms,
    Call,
    /// `sentCodeTypeEmailCode`, to `a•••@example.com`.
    Email,
    /// `sentCodeTypeSetUpEmailRequired`: no code is sent until a login e-mail is set up
    /// (`account.sendVerifyEmailCode`, `account.verifyEmail`); the code then goes to it.
    SetUpEmailRequired,
    /// `sentCodeTypeFragmentSms`, read on fragment.com.
    FragmentSms,
    /// `sentCodeTypeSmsWord`: `code` is a word, `beginning` its first letter.
    SmsWord,
    /// `sentCodeTypeSmsPhrase`: `code` is a phrase, `beginning` its first word.
    SmsPhrase,
}

impl Default for LoginSpec {
    fn default() -> Self {
        Self {
            code: default_code(),
            password: None,
            hint: None,
            bot_tokens: Vec::new(),
            code_type: None,
            email_code: default_email_code(),
            qr_token_ttl: default_qr_token_ttl(),
        }
    }
}

fn default_code() -> String {
    "12345".into()
}

fn default_email_code() -> String {
    "67890".into()
}

fn default_qr_token_ttl() -> i32 {
    30
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct BotTokenSpec {
    pub token: String,
    pub user_id: i64,
}
