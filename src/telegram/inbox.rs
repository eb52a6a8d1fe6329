//! Read state: where a chat, a forum topic or a thread stands (its unread count, read marker,
//! unread mentions and reactions), and marking it read as Telegram's apps do —
//! `messages.readHistory` or `channels.readHistory` for a chat, `messages.readDiscussion` for
//! a topic (by its id) or a thread (by its root, in the discussion group for a post's
//! comments), `messages.readMentions` / `messages.readReactions` (with `top_msg_id` for a
//! topic) and `messages.markDialogUnread`. Each is sent only when there is something to read,
//! so marking read twice changes nothing and costs one request the second time.

use grammers_tl_types as tl;

use super::messages::PAGE_MAX;
use super::peers::Resolved;
use super::types::{ChatInfo, Inbox, MessagePage};
use super::{Telegram, TelegramError, convert};

/// How many times a read of mentions or reactions is repeated while Telegram answers that it
/// stopped part way.
const HISTORY_ROUNDS_MAX: usize = 10;

/// A forum's topics are looked through this many pages of 100 at most when the whole forum
/// is marked read.
const TOPIC_PAGES_MAX: usize = 10;

/// What to read: a whole chat, or replies under one of its messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadScope {
    Chat,
    /// A forum topic, a thread, or a channel post's comments, by that message's id.
    Under(i32),
}

/// Where a chat, topic or thread stands, and where its messages are read.
#[derive(Debug, Clone)]
pub struct ReadPlace {
    /// The chat holding the messages (the discussion group for a post's comments).
    pub chat: Resolved,
    pub kind: PlaceKind,
    pub inbox: Inbox,
    /// The chat asked about, when Telegram described it on the way.
    pub info: Option<ChatInfo>,
}

/// Unread messages of a chat, topic or thread: the oldest first after the read marker.
#[derive(Debug, Clone)]
pub struct UnreadPage {
    pub place: ReadPlace,
    /// Oldest first.
    pub page: MessagePage,
    /// Newer unread messages follow the page's last one.
    pub has_more: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlaceKind {
    Chat,
    Topic(i32),
    /// A thread, by its root in `ReadPlace::chat`.
    Thread(i32),
}

/// What marking read did.
#[derive(Debug, Clone)]
pub struct MarkedRead {
    pub place: ReadPlace,
    /// Incoming messages up to this id are now read.
    pub read_up_to: i32,
    pub messages_read: bool,
    pub mentions_read: i32,
    pub reactions_read: i32,
    /// The chat's "marked as unread" was cleared.
    pub unmarked: bool,
    /// Forum topics that still had unread messages after the chat was read, and were read.
    pub topics_read: usize,
}

impl MarkedRead {
    pub fn changed(&self) -> bool {
        self.messages_read
            || self.mentions_read > 0
            || self.reactions_read > 0
            || self.unmarked
            || self.topics_read > 0
    }
}

/// The marker `max_id` asks for (all: the newest message).
fn target(max_id: Option<i32>, inbox: &Inbox) -> i32 {
    match max_id {
        Some(id) if id > 0 && id < inbox.top_message => id,
        _ => inbox.top_message,
    }
}

impl Telegram {
    /// Where `scope` of `chat` stands: its dialog (`messages.getPeerDialogs`), its forum topic
    /// (`messages.getForumTopicsByID`) or its thread (`messages.getDiscussionMessage`).
    pub async fn read_place(
        &self,
        chat: &Resolved,
        scope: ReadScope,
    ) -> Result<ReadPlace, TelegramError> {
        let ReadScope::Under(root) = scope else {
            let entry = self
                .peer_dialogs(std::slice::from_ref(&chat.input))
                .await?
                .into_iter()
                .next()
                .ok_or_else(|| {
                    TelegramError::NotFound(format!("chat {} is not in your chat list", chat.id))
                })?;
            return Ok(ReadPlace {
                chat: chat.clone(),
                kind: PlaceKind::Chat,
                inbox: entry.inbox,
                info: Some(entry.info),
            });
        };
        let info = if chat.is_channel() {
            self.describe(chat).await
        } else {
            chat.info.clone()
        };
        if info.as_ref().is_some_and(|i| i.is_forum)
            && let Some(inbox) = self.topic_inbox(chat, root).await?
        {
            return Ok(ReadPlace {
                chat: chat.clone(),
                kind: PlaceKind::Topic(root),
                inbox,
                info,
            });
        }
        // Threads live in supergroups, and a broadcast channel's posts have comment threads.
        if !chat.is_channel() {
            return Err(TelegramError::InvalidArgument(format!(
                "chat {} has no threads: read it without reply_to_id",
                chat.id
            )));
        }
        let mut place = self.thread_place(chat, root).await?;
        place.info = info;
        Ok(place)
    }

    /// A forum topic's state; `None` when the forum has no such topic.
    async fn topic_inbox(
        &self,
        chat: &Resolved,
        topic: i32,
    ) -> Result<Option<Inbox>, TelegramError> {
        let tl::enums::messages::ForumTopics::Topics(answer) = self
            .invoke(&tl::functions::messages::GetForumTopicsById {
                peer: chat.input.clone(),
                topics: vec![topic],
            })
            .await?;
        self.remember(&answer.users, &answer.chats).await;
        Ok(answer.topics.iter().find_map(|t| match t {
            tl::enums::ForumTopic::Topic(t) if t.id == topic => Some(Inbox {
                unread_count: t.unread_count.max(0),
                unread_mentions_count: t.unread_mentions_count.max(0),
                unread_reactions_count: t.unread_reactions_count.max(0),
                read_inbox_max_id: t.read_inbox_max_id,
                top_message: t.top_message,
                ..Inbox::default()
            }),
            _ => None,
        }))
    }

    /// A thread's state: the thread `msg_id` opens or sits in (a post's comments live in the
    /// discussion group, which `messages.getDiscussionMessage` names).
    async fn thread_place(&self, chat: &Resolved, msg_id: i32) -> Result<ReadPlace, TelegramError> {
        let answer = match self
            .invoke(&tl::functions::messages::GetDiscussionMessage {
                peer: chat.input.clone(),
                msg_id,
            })
            .await
        {
            Ok(tl::enums::messages::DiscussionMessage::Message(d)) => d,
            Err(TelegramError::Rpc { name, .. }) if name == "MSG_ID_INVALID" => {
                return Err(TelegramError::NotFound(format!(
                    "message {msg_id} of chat {} opens no thread",
                    chat.id
                )));
            }
            Err(e) => return Err(e),
        };
        self.remember(&answer.users, &answer.chats).await;
        let root = answer
            .messages
            .iter()
            .filter_map(convert::message)
            .min_by_key(|m| m.id)
            .ok_or_else(|| TelegramError::NotFound(format!("message {msg_id} opens no thread")))?;
        let place = if root.chat_id == chat.id {
            chat.clone()
        } else {
            self.resolve(&root.chat_id.to_string()).await?
        };
        Ok(ReadPlace {
            chat: place,
            kind: PlaceKind::Thread(root.id),
            inbox: Inbox {
                unread_count: answer.unread_count.max(0),
                read_inbox_max_id: answer.read_inbox_max_id.unwrap_or(0),
                top_message: answer.max_id.unwrap_or(0),
                ..Inbox::default()
            },
            info: None,
        })
    }

    /// Marks `scope` of `chat` read up to `max_id` (all when `None`; then its unread mentions
    /// and reactions too). Sends only what changes something.
    pub async fn mark_read(
        &self,
        chat: &Resolved,
        scope: ReadScope,
        max_id: Option<i32>,
    ) -> Result<MarkedRead, TelegramError> {
        let place = self.read_place(chat, scope).await?;
        let before = place.inbox;
        let upto = target(max_id, &before);
        let messages_read = before.unread_count > 0 && upto > before.read_inbox_max_id;
        let peer = place.chat.input.clone();
        let top_msg_id = match place.kind {
            PlaceKind::Topic(id) => Some(id),
            _ => None,
        };
        if messages_read {
            match (place.kind, place.chat.input_channel()) {
                (PlaceKind::Topic(root) | PlaceKind::Thread(root), _) => {
                    self.invoke_once_more_if_dropped(&tl::functions::messages::ReadDiscussion {
                        peer: peer.clone(),
                        msg_id: root,
                        read_max_id: upto,
                    })
                    .await?;
                }
                (PlaceKind::Chat, Some(channel)) => {
                    self.invoke_once_more_if_dropped(&tl::functions::channels::ReadHistory {
                        channel,
                        max_id: upto,
                    })
                    .await?;
                }
                (PlaceKind::Chat, None) => {
                    self.invoke_once_more_if_dropped(&tl::functions::messages::ReadHistory {
                        peer: peer.clone(),
                        max_id: upto,
                    })
                    .await?;
                }
            }
        }
        // Mentions and reactions are read with the whole place, never up to a message.
        let with_everything = |count: i32| if max_id.is_none() { count } else { 0 };
        let mentions_read = with_everything(before.unread_mentions_count);
        if mentions_read > 0 {
            let request = tl::functions::messages::ReadMentions {
                peer: peer.clone(),
                top_msg_id,
            };
            self.until_whole_history(&request).await?;
        }
        let reactions_read = with_everything(before.unread_reactions_count);
        if reactions_read > 0 {
            let request = tl::functions::messages::ReadReactions {
                peer: peer.clone(),
                top_msg_id,
                saved_peer_id: None,
            };
            self.until_whole_history(&request).await?;
        }
        // A forum's topics keep read markers of their own: whether reading the chat's history
        // moves them is not documented, so each topic still unread is read as the apps read
        // one (nothing is sent for a topic already read).
        let whole_forum = place.kind == PlaceKind::Chat
            && max_id.is_none()
            && place.info.as_ref().is_some_and(|i| i.is_forum);
        let topics_read = if whole_forum {
            self.read_unread_topics(&place.chat).await?
        } else {
            0
        };
        let unmarked = before.marked_unread && place.kind == PlaceKind::Chat;
        if unmarked {
            self.invoke_once_more_if_dropped(&tl::functions::messages::MarkDialogUnread {
                unread: false,
                parent_peer: None,
                peer: tl::types::InputDialogPeer { peer }.into(),
            })
            .await?;
        }
        Ok(MarkedRead {
            read_up_to: if messages_read {
                upto
            } else {
                before.read_inbox_max_id
            },
            place,
            messages_read,
            mentions_read,
            reactions_read,
            unmarked,
            topics_read,
        })
    }

    /// Reads every topic of `forum` that reports unread messages (`messages.getForumTopics`,
    /// a page of 100 at a time, then `messages.readDiscussion` for each); answers how many.
    async fn read_unread_topics(&self, forum: &Resolved) -> Result<usize, TelegramError> {
        let mut unread = Vec::new();
        let mut offset = (0, 0, 0);
        for _ in 0..TOPIC_PAGES_MAX {
            let tl::enums::messages::ForumTopics::Topics(answer) = self
                .invoke(&tl::functions::messages::GetForumTopics {
                    peer: forum.input.clone(),
                    q: None,
                    offset_date: offset.0,
                    offset_id: offset.1,
                    offset_topic: offset.2,
                    limit: PAGE_MAX,
                })
                .await?;
            let topics: Vec<&tl::types::ForumTopic> = answer
                .topics
                .iter()
                .filter_map(|t| match t {
                    tl::enums::ForumTopic::Topic(t) => Some(t),
                    tl::enums::ForumTopic::Deleted(_) => None,
                })
                .collect();
            unread.extend(
                topics
                    .iter()
                    .filter(|t| t.unread_count > 0)
                    .map(|t| (t.id, t.top_message)),
            );
            let date_of = |id: i32| {
                answer.messages.iter().find_map(|m| match m {
                    tl::enums::Message::Message(m) if m.id == id => Some(m.date),
                    tl::enums::Message::Service(m) if m.id == id => Some(m.date),
                    _ => None,
                })
            };
            let (Some(last), true) = (topics.last(), answer.topics.len() >= PAGE_MAX as usize)
            else {
                break;
            };
            let next = (
                date_of(last.top_message).unwrap_or(0),
                last.top_message,
                last.id,
            );
            if next == offset {
                break;
            }
            offset = next;
        }
        for (topic, top_message) in &unread {
            self.invoke_once_more_if_dropped(&tl::functions::messages::ReadDiscussion {
                peer: forum.input.clone(),
                msg_id: *topic,
                read_max_id: *top_message,
            })
            .await?;
        }
        Ok(unread.len())
    }

    /// The unread messages of `scope` of `chat`, oldest first: at most `limit` after the read
    /// marker (or after `after`, a previous page's last message, when that is later). A backlog
    /// is read in order, so that nothing is skipped and `mark_read` up to the last message read
    /// marks exactly what was seen. One request for the read state, and one for the messages
    /// (`messages.getHistory`, or `messages.getReplies` for a topic or thread) unless nothing is
    /// unread.
    pub async fn unread_messages(
        &self,
        chat: &Resolved,
        scope: ReadScope,
        after: Option<i32>,
        limit: i32,
    ) -> Result<UnreadPage, TelegramError> {
        let place = self.read_place(chat, scope).await?;
        let marker = place.inbox.read_inbox_max_id.max(after.unwrap_or(0));
        let nothing = MessagePage::default();
        if (place.inbox.unread_count == 0 && after.is_none()) || marker >= place.inbox.top_message {
            return Ok(UnreadPage {
                place,
                page: nothing,
                has_more: false,
            });
        }
        let root = match place.kind {
            PlaceKind::Chat => None,
            PlaceKind::Topic(root) | PlaceKind::Thread(root) => Some(root),
        };
        let (page, _) = self.oldest_after(&place.chat, root, marker, limit).await?;
        let last = page.messages.last().map_or(marker, |m| m.id);
        Ok(UnreadPage {
            has_more: last < place.inbox.top_message,
            place,
            page,
        })
    }

    /// Sends a request answered with `messages.affectedHistory` again while Telegram says it
    /// stopped part way (`offset` > 0), as TDLib and Telethon do; at most
    /// [`HISTORY_ROUNDS_MAX`] times.
    async fn until_whole_history<R>(&self, request: &R) -> Result<(), TelegramError>
    where
        R: tl::RemoteCall<Return = tl::enums::messages::AffectedHistory>,
    {
        for _ in 0..HISTORY_ROUNDS_MAX {
            let tl::enums::messages::AffectedHistory::History(done) =
                self.invoke_once_more_if_dropped(request).await?;
            if done.offset <= 0 {
                break;
            }
        }
        Ok(())
    }
}
