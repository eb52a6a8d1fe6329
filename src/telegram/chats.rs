//! Chats as a whole: contacts search, the chat list (dialogs) and its folders, full profiles
//! (`users.getFullUser`, `messages.getFullChat`, `channels.getFullChannel`), forum topics and
//! the groups shared with a user. Each answer's peers are remembered for later resolution.

use futures::future::join_all;
use grammers_tl_types as tl;

use super::peers::Resolved;
use super::types::{ChatInfo, ChatKind};
use super::{Telegram, TelegramError, convert};

/// Telegram's largest page of dialogs.
pub const DIALOG_PAGE_MAX: i32 = 100;
/// Telegram's cap on `contacts.search` results per list.
pub const SEARCH_MAX: i32 = 100;
/// Telegram's cap on forum topics and common chats per call.
pub const LIST_MAX: i32 = 100;
/// The peer folder of archived chats.
pub const ARCHIVE_FOLDER: i32 = 1;
/// Peers per `messages.getPeerDialogs` call.
const PEER_DIALOGS_CHUNK: usize = 100;

/// One chat of the chat list, with its state there.
#[derive(Debug, Clone)]
pub struct DialogEntry {
    pub info: ChatInfo,
    /// Last activity, Unix seconds: the newest message's date, else when the chat was created
    /// or joined; 0 when unknown.
    pub date: i64,
    pub pinned: bool,
    pub archived: bool,
    pub muted: bool,
    /// Has unread messages, or is marked unread.
    pub unread: bool,
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
    /// The scan read its maximum number of dialogs.
    Capped,
}

/// A dialog folder (`dialogFilter`): explicit members, and categories of chats with
/// exclusions.
#[derive(Debug, Clone, Default)]
pub struct Folder {
    pub id: i32,
    pub title: String,
    pub pinned: Vec<tl::enums::InputPeer>,
    pub include: Vec<tl::enums::InputPeer>,
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
            || (self.exclude_muted && e.muted)
            || (self.exclude_read && !e.unread)
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
}

/// A list and the total Telegram reports for it.
#[derive(Debug, Clone)]
pub struct Listed<T> {
    pub items: Vec<T>,
    pub total: Option<i32>,
}

/// Where Telegram's dialog paging continues.
#[derive(Debug, Clone)]
struct DialogOffset {
    date: i32,
    id: i32,
    peer: tl::enums::InputPeer,
}

impl Default for DialogOffset {
    fn default() -> Self {
        Self {
            date: 0,
            id: 0,
            peer: tl::enums::InputPeer::Empty,
        }
    }
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Bot API id of an input peer (`None` for the self user and empty peers).
pub fn input_peer_id(peer: &tl::enums::InputPeer) -> Option<i64> {
    use tl::enums::InputPeer as P;
    match peer {
        P::User(u) => Some(u.user_id),
        P::UserFromMessage(u) => Some(u.user_id),
        P::Chat(c) => Some(-c.chat_id),
        P::Channel(c) => Some(convert::channel_bot_api_id(c.channel_id)),
        P::ChannelFromMessage(c) => Some(convert::channel_bot_api_id(c.channel_id)),
        P::PeerSelf | P::Empty => None,
    }
}

/// The input peer of `id`, from the access hashes an answer carried.
fn input_peer_in(
    id: i64,
    users: &[tl::enums::User],
    chats: &[tl::enums::Chat],
) -> Option<tl::enums::InputPeer> {
    if id > 0 {
        return users.iter().find_map(|u| match u {
            tl::enums::User::User(u) if u.id == id => Some(
                tl::types::InputPeerUser {
                    user_id: u.id,
                    access_hash: u.access_hash.unwrap_or(0),
                }
                .into(),
            ),
            _ => None,
        });
    }
    chats.iter().find_map(|c| match c {
        tl::enums::Chat::Chat(c) if -c.id == id => {
            Some(tl::types::InputPeerChat { chat_id: c.id }.into())
        }
        tl::enums::Chat::Forbidden(c) if -c.id == id => {
            Some(tl::types::InputPeerChat { chat_id: c.id }.into())
        }
        tl::enums::Chat::Channel(c) if convert::channel_bot_api_id(c.id) == id => Some(
            tl::types::InputPeerChannel {
                channel_id: c.id,
                access_hash: c.access_hash.unwrap_or(0),
            }
            .into(),
        ),
        tl::enums::Chat::ChannelForbidden(c) if convert::channel_bot_api_id(c.id) == id => Some(
            tl::types::InputPeerChannel {
                channel_id: c.id,
                access_hash: c.access_hash,
            }
            .into(),
        ),
        _ => None,
    })
}

/// When a chat was created or joined, from its TL object.
fn chat_date(id: i64, chats: &[tl::enums::Chat]) -> Option<i64> {
    chats.iter().find_map(|c| match c {
        tl::enums::Chat::Chat(c) if -c.id == id => Some(c.date as i64),
        tl::enums::Chat::Channel(c) if convert::channel_bot_api_id(c.id) == id => {
            Some(c.date as i64)
        }
        _ => None,
    })
}

/// The chat-list entries of a dialogs answer, in its order.
fn entries(
    dialogs: &[tl::enums::Dialog],
    messages: &[tl::enums::Message],
    users: &[tl::enums::User],
    chats: &[tl::enums::Chat],
) -> Vec<DialogEntry> {
    let directory = convert::directory(users, chats);
    let tops: Vec<_> = messages.iter().filter_map(convert::message).collect();
    let now = now();
    dialogs
        .iter()
        .filter_map(|d| match d {
            tl::enums::Dialog::Dialog(d) => Some(d),
            // Archive folders and communities are not chats.
            _ => None,
        })
        .filter_map(|d| {
            let id = convert::peer_id(&d.peer);
            let info = directory.get(id)?.clone();
            let date = tops
                .iter()
                .find(|m| m.id == d.top_message && m.chat_id == id)
                .map(|m| m.date)
                .or_else(|| chat_date(id, chats))
                .unwrap_or(0);
            let tl::enums::PeerNotifySettings::Settings(notify) = &d.notify_settings;
            Some(DialogEntry {
                info,
                date,
                pinned: d.pinned,
                archived: d.folder_id == Some(ARCHIVE_FOLDER),
                muted: notify.mute_until.is_some_and(|until| until as i64 > now),
                unread: d.unread_count > 0 || d.unread_mark,
            })
        })
        .collect()
}

fn filter_title(title: &tl::enums::TextWithEntities) -> String {
    let tl::enums::TextWithEntities::Entities(t) = title;
    t.text.clone()
}

impl Telegram {
    /// `contacts.search`: peers the account knows (contacts, chat list) first, then other
    /// public peers, as Telegram ranks them.
    pub async fn search_chats(
        &self,
        query: &str,
        limit: i32,
    ) -> Result<Vec<ChatInfo>, TelegramError> {
        let answer = self
            .invoke(&tl::functions::contacts::Search {
                broadcasts: false,
                bots: false,
                q: query.to_string(),
                limit: limit.clamp(1, SEARCH_MAX),
            })
            .await?;
        let tl::enums::contacts::Found::Found(found) = answer;
        let directory = self.directory(&found.users, &found.chats).await;
        Ok(found
            .my_results
            .iter()
            .chain(&found.results)
            .filter_map(|p| directory.get(convert::peer_id(p)).cloned())
            .collect())
    }

    /// Reads the chat list (every dialog when `folder` is `None`, else one peer folder) in
    /// Telegram's order, pinned first, handing each entry to `visit`; reads at most `max`.
    pub async fn scan_dialogs(
        &self,
        folder: Option<i32>,
        max: usize,
        mut visit: impl FnMut(DialogEntry) -> Visit + Send,
    ) -> Result<ScanEnd, TelegramError> {
        let mut offset = DialogOffset::default();
        let mut seen = 0usize;
        loop {
            let limit = DIALOG_PAGE_MAX.min((max - seen) as i32);
            let answer = self
                .invoke(&tl::functions::messages::GetDialogs {
                    exclude_pinned: false,
                    folder_id: folder,
                    offset_date: offset.date,
                    offset_id: offset.id,
                    offset_peer: offset.peer.clone(),
                    limit,
                    hash: 0,
                })
                .await?;
            let (dialogs, messages, users, chats, sliced) = match answer {
                tl::enums::messages::Dialogs::Dialogs(d) => {
                    (d.dialogs, d.messages, d.users, d.chats, false)
                }
                tl::enums::messages::Dialogs::Slice(d) => {
                    (d.dialogs, d.messages, d.users, d.chats, true)
                }
                tl::enums::messages::Dialogs::NotModified(_) => return Ok(ScanEnd::Exhausted),
            };
            self.remember(&users, &chats).await;
            seen += dialogs.len();
            for entry in entries(&dialogs, &messages, &users, &chats) {
                if visit(entry) == Visit::Stop {
                    return Ok(ScanEnd::Stopped);
                }
            }
            // Telegram's paging: a short page, or a complete list, is the end.
            if !sliced || dialogs.len() < limit as usize {
                return Ok(ScanEnd::Exhausted);
            }
            if seen >= max {
                return Ok(ScanEnd::Capped);
            }
            let Some(last) = dialogs.iter().rev().find_map(|d| match d {
                tl::enums::Dialog::Dialog(d) => Some(d),
                _ => None,
            }) else {
                return Ok(ScanEnd::Exhausted);
            };
            let last_id = convert::peer_id(&last.peer);
            let Some(peer) = input_peer_in(last_id, &users, &chats) else {
                return Ok(ScanEnd::Exhausted);
            };
            offset = DialogOffset {
                date: messages
                    .iter()
                    .filter_map(convert::message)
                    .find(|m| m.id == last.top_message && m.chat_id == last_id)
                    .map_or(0, |m| m.date as i32),
                id: last.top_message,
                peer,
            };
        }
    }

    /// The account's dialog folders (`messages.getDialogFilters`), in display order.
    pub async fn folders(&self) -> Result<Vec<Folder>, TelegramError> {
        let tl::enums::messages::DialogFilters::Filters(answer) = self
            .invoke(&tl::functions::messages::GetDialogFilters {})
            .await?;
        Ok(answer
            .filters
            .into_iter()
            .filter_map(|f| match f {
                tl::enums::DialogFilter::Filter(f) => Some(Folder {
                    id: f.id,
                    title: filter_title(&f.title),
                    pinned: f.pinned_peers,
                    include: f.include_peers,
                    exclude: f.exclude_peers.iter().filter_map(input_peer_id).collect(),
                    contacts: f.contacts,
                    non_contacts: f.non_contacts,
                    groups: f.groups,
                    broadcasts: f.broadcasts,
                    bots: f.bots,
                    exclude_muted: f.exclude_muted,
                    exclude_read: f.exclude_read,
                    exclude_archived: f.exclude_archived,
                }),
                tl::enums::DialogFilter::Chatlist(f) => Some(Folder {
                    id: f.id,
                    title: filter_title(&f.title),
                    pinned: f.pinned_peers,
                    include: f.include_peers,
                    ..Default::default()
                }),
                // "All chats" has no title and no members of its own.
                tl::enums::DialogFilter::Default => None,
            })
            .collect())
    }

    /// The chat-list state of the given chats (`messages.getPeerDialogs`), in the order asked.
    /// Chats Telegram refuses (left, private, deleted) are left out.
    pub async fn peer_dialogs(
        &self,
        peers: &[tl::enums::InputPeer],
    ) -> Result<Vec<DialogEntry>, TelegramError> {
        let mut found = Vec::new();
        for chunk in peers.chunks(PEER_DIALOGS_CHUNK) {
            match self.peer_dialogs_once(chunk).await {
                Ok(entries) => found.extend(entries),
                // One refused chat fails the whole call: ask for each alone.
                Err(TelegramError::Rpc { .. }) if chunk.len() > 1 => {
                    let singles = join_all(
                        chunk
                            .iter()
                            .map(|p| self.peer_dialogs_once(std::slice::from_ref(p))),
                    )
                    .await;
                    for single in singles {
                        match single {
                            Ok(entries) => found.extend(entries),
                            Err(TelegramError::Rpc { .. }) => {}
                            Err(e) => return Err(e),
                        }
                    }
                }
                Err(TelegramError::Rpc { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        let me = if peers
            .iter()
            .any(|p| matches!(p, tl::enums::InputPeer::PeerSelf))
        {
            self.self_id().await.ok()
        } else {
            None
        };
        let order: Vec<Option<i64>> = peers.iter().map(|p| input_peer_id(p).or(me)).collect();
        found.sort_by_key(|e| {
            order
                .iter()
                .position(|id| *id == Some(e.info.id))
                .unwrap_or(usize::MAX)
        });
        found.dedup_by_key(|e| e.info.id);
        Ok(found)
    }

    async fn peer_dialogs_once(
        &self,
        peers: &[tl::enums::InputPeer],
    ) -> Result<Vec<DialogEntry>, TelegramError> {
        let tl::enums::messages::PeerDialogs::Dialogs(answer) = self
            .invoke(&tl::functions::messages::GetPeerDialogs {
                peers: peers
                    .iter()
                    .map(|p| tl::types::InputDialogPeer { peer: p.clone() }.into())
                    .collect(),
            })
            .await?;
        self.remember(&answer.users, &answer.chats).await;
        Ok(entries(
            &answer.dialogs,
            &answer.messages,
            &answer.users,
            &answer.chats,
        ))
    }

    /// The folder's chats: its pinned chats in their order, then every other member by last
    /// activity. Chats joining by category are found by reading at most `max` dialogs; the
    /// flag says whether that limit cut the reading short.
    pub async fn folder_chats(
        &self,
        folder: &Folder,
        max: usize,
    ) -> Result<(Vec<DialogEntry>, bool), TelegramError> {
        let explicit: Vec<tl::enums::InputPeer> = folder
            .pinned
            .iter()
            .chain(&folder.include)
            .cloned()
            .collect();
        let listed = self.peer_dialogs(&explicit).await?;
        let me = self.self_id().await.ok();
        let pinned_ids: Vec<i64> = folder
            .pinned
            .iter()
            .filter_map(|p| input_peer_id(p).or(me))
            .collect();
        let (mut pinned, mut rest): (Vec<DialogEntry>, Vec<DialogEntry>) = listed
            .into_iter()
            .partition(|e| pinned_ids.contains(&e.info.id));
        pinned.sort_by_key(|e| pinned_ids.iter().position(|id| *id == e.info.id));
        let mut capped = false;
        if folder.has_categories() {
            let known: Vec<i64> = pinned.iter().chain(&rest).map(|e| e.info.id).collect();
            let mut joined = Vec::new();
            let end = self
                .scan_dialogs(None, max, |e| {
                    if !known.contains(&e.info.id) && folder.admits(&e) {
                        joined.push(e);
                    }
                    Visit::Next
                })
                .await?;
            capped = end == ScanEnd::Capped;
            rest.extend(joined);
        }
        rest.sort_by_key(|e| std::cmp::Reverse(e.date));
        pinned.extend(rest);
        Ok((pinned, capped))
    }

    /// A chat's full profile.
    pub async fn details(&self, chat: &Resolved) -> Result<ChatDetails, TelegramError> {
        match &chat.input {
            tl::enums::InputPeer::User(_)
            | tl::enums::InputPeer::UserFromMessage(_)
            | tl::enums::InputPeer::PeerSelf => self.user_details(chat).await,
            tl::enums::InputPeer::Chat(c) => self.group_details(c.chat_id).await,
            tl::enums::InputPeer::Channel(_) | tl::enums::InputPeer::ChannelFromMessage(_) => {
                self.channel_details(chat).await
            }
            tl::enums::InputPeer::Empty => Err(super::peers::not_found(&chat.id.to_string())),
        }
    }

    async fn user_details(&self, chat: &Resolved) -> Result<ChatDetails, TelegramError> {
        let id = chat.input_user().unwrap_or_else(|| match &chat.input {
            tl::enums::InputPeer::UserFromMessage(u) => tl::types::InputUserFromMessage {
                peer: u.peer.clone(),
                msg_id: u.msg_id,
                user_id: u.user_id,
            }
            .into(),
            _ => tl::enums::InputUser::Empty,
        });
        let tl::enums::users::UserFull::Full(answer) = self
            .invoke(&tl::functions::users::GetFullUser { id })
            .await?;
        let tl::enums::UserFull::Full(full) = answer.full_user;
        let directory = self.directory(&answer.users, &answer.chats).await;
        let user = answer.users.iter().find_map(|u| match u {
            tl::enums::User::User(u) if u.id == full.id => Some(u),
            _ => None,
        });
        let info = directory
            .get(full.id)
            .cloned()
            .ok_or_else(|| TelegramError::Other("Telegram answered without the user".into()))?;
        let bot_description = full
            .bot_info
            .as_ref()
            .and_then(|tl::enums::BotInfo::Info(b)| b.description.clone());
        let presence = user
            .filter(|u| !u.bot)
            .and_then(|u| u.status.as_ref())
            .map(|s| match s {
                tl::enums::UserStatus::Online(_) => Presence::Online,
                tl::enums::UserStatus::Offline(o) => Presence::Offline(o.was_online as i64),
                tl::enums::UserStatus::Recently(_) => Presence::Recently,
                tl::enums::UserStatus::LastWeek(_) => Presence::LastWeek,
                tl::enums::UserStatus::LastMonth(_) => Presence::LastMonth,
                tl::enums::UserStatus::Empty => Presence::LongAgo,
            });
        Ok(ChatDetails {
            about: full
                .about
                .filter(|a| !a.trim().is_empty())
                .or(bot_description),
            presence,
            common_chats_count: (!info.is_self).then_some(full.common_chats_count),
            info,
            linked: None,
        })
    }

    async fn group_details(&self, chat_id: i64) -> Result<ChatDetails, TelegramError> {
        let tl::enums::messages::ChatFull::Full(answer) = self
            .invoke(&tl::functions::messages::GetFullChat { chat_id })
            .await?;
        let directory = self.directory(&answer.users, &answer.chats).await;
        let mut info = directory
            .get(-chat_id)
            .cloned()
            .ok_or_else(|| TelegramError::Other("Telegram answered without the group".into()))?;
        let about = match answer.full_chat {
            tl::enums::ChatFull::Full(full) => {
                if let tl::enums::ChatParticipants::Participants(p) = &full.participants {
                    info.members_count = Some(p.participants.len() as i32);
                }
                Some(full.about)
            }
            _ => None,
        };
        Ok(ChatDetails {
            info,
            about: about.filter(|a| !a.trim().is_empty()),
            ..Default::default()
        })
    }

    async fn channel_details(&self, chat: &Resolved) -> Result<ChatDetails, TelegramError> {
        let channel = match (&chat.input, chat.input_channel()) {
            (_, Some(c)) => c,
            (tl::enums::InputPeer::ChannelFromMessage(c), None) => {
                tl::types::InputChannelFromMessage {
                    peer: c.peer.clone(),
                    msg_id: c.msg_id,
                    channel_id: c.channel_id,
                }
                .into()
            }
            _ => tl::enums::InputChannel::Empty,
        };
        let tl::enums::messages::ChatFull::Full(answer) = self
            .invoke(&tl::functions::channels::GetFullChannel { channel })
            .await?;
        let directory = self.directory(&answer.users, &answer.chats).await;
        let mut info = directory
            .get(chat.id)
            .cloned()
            .ok_or_else(|| TelegramError::Other("Telegram answered without the channel".into()))?;
        let mut details = ChatDetails::default();
        if let tl::enums::ChatFull::ChannelFull(full) = answer.full_chat {
            if let Some(count) = full.participants_count {
                if info.kind == Some(ChatKind::Channel) {
                    info.subscribers_count = Some(count);
                } else {
                    info.members_count = Some(count);
                }
            }
            details.about = Some(full.about).filter(|a| !a.trim().is_empty());
            details.linked = full
                .linked_chat_id
                .and_then(|id| directory.get(convert::channel_bot_api_id(id)).cloned());
        }
        details.info = info;
        Ok(details)
    }

    /// A forum's topics, as Telegram orders them (pinned first, then by activity).
    pub async fn forum_topics(
        &self,
        chat: &Resolved,
        limit: i32,
    ) -> Result<Listed<TopicInfo>, TelegramError> {
        let tl::enums::messages::ForumTopics::Topics(answer) = self
            .invoke(&tl::functions::messages::GetForumTopics {
                peer: chat.input.clone(),
                q: None,
                offset_date: 0,
                offset_id: 0,
                offset_topic: 0,
                limit: limit.clamp(1, LIST_MAX),
            })
            .await?;
        self.remember(&answer.users, &answer.chats).await;
        Ok(Listed {
            items: answer
                .topics
                .iter()
                .filter_map(|t| match t {
                    tl::enums::ForumTopic::Topic(t) => Some(TopicInfo {
                        id: t.id,
                        title: t.title.clone(),
                    }),
                    tl::enums::ForumTopic::Deleted(_) => None,
                })
                .collect(),
            total: Some(answer.count),
        })
    }

    /// Groups shared with a user (`messages.getCommonChats`).
    pub async fn common_chats(
        &self,
        user: &Resolved,
        limit: i32,
    ) -> Result<Listed<ChatInfo>, TelegramError> {
        let Some(user_id) = user.input_user() else {
            return Ok(Listed {
                items: Vec::new(),
                total: Some(0),
            });
        };
        let answer = self
            .invoke(&tl::functions::messages::GetCommonChats {
                user_id,
                max_id: 0,
                limit: limit.clamp(1, LIST_MAX),
            })
            .await?;
        let (chats, total) = match answer {
            tl::enums::messages::Chats::Chats(c) => (c.chats, None),
            tl::enums::messages::Chats::Slice(c) => (c.chats, Some(c.count)),
        };
        self.remember(&[], &chats).await;
        Ok(Listed {
            items: chats.iter().filter_map(convert::chat).collect(),
            total,
        })
    }
}
