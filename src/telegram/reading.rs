//! Reading one chat as a listing, composed of the single requests in `messages.rs`: the latest
//! messages, a search, messages by id, or the replies under a message (a channel post's
//! comments, a forum topic, a thread) read in batches and filtered by scope and dates — cut to
//! the limit asked, with whether more exists, and each listed message's context and direct
//! replies when asked. The answers are domain values; what the tool makes of them is its own.

use std::collections::{HashMap, HashSet};

use futures::future::join_all;

use super::messages::{PAGE_MAX, ThreadAt, Window};
use super::peers::Resolved;
use super::types::{ChatInfo, Directory, MessageInfo, MessagePage};
use super::{Telegram, TelegramError};

/// What to read of one chat.
#[derive(Debug, Clone, Copy)]
pub struct ChatQuery<'a> {
    /// The chat, as the caller named it.
    pub chat: &'a str,
    /// Read in the discussion group of this channel post instead of the chat itself (a
    /// comment link's messages live there).
    pub in_comments_of: Option<i32>,
    pub listing: Listing<'a>,
    /// Text to search for (trimmed, not empty).
    pub text: Option<&'a str>,
    /// Only messages from this sender, as the caller named it.
    pub from: Option<&'a str>,
    /// Unix seconds; 0: no bound.
    pub min_date: i32,
    /// Unix seconds; 0: no bound.
    pub max_date: i32,
    /// Only messages older than this id (0: from the newest).
    pub offset_id: i32,
    /// Messages to list, 1 to [`PAGE_MAX`].
    pub limit: i32,
    /// Extra batches a thread reads when its filters leave a page short.
    pub batches: i32,
    /// Messages to add before and after each listed one (0: none).
    pub context: i32,
    /// Direct replies to attach to each listed message (0: none).
    pub replies: i32,
}

/// Which messages a listing covers.
#[derive(Debug, Clone, Copy)]
pub enum Listing<'a> {
    /// The newest messages; a search when text, a sender or dates are given.
    Latest,
    /// These messages, in this order.
    Ids(&'a [i32]),
    /// The replies under `root`; `direct_only` keeps only direct replies to it.
    Thread { root: i32, direct_only: bool },
}

/// A chat read: the listed messages (in the order listed) with the peers they mention.
#[derive(Debug, Clone, Default)]
pub struct ChatRead {
    /// The chat itself, when Telegram described it.
    pub chat: Option<ChatInfo>,
    pub messages: Vec<ReadMessage>,
    pub directory: Directory,
    /// More messages continue the listing after the last one.
    pub has_more: bool,
    /// Telegram's count of what the listing covers, when it gave one (never for ids).
    pub total: Option<i32>,
    /// Ids asked for that name no message of the chat.
    pub missing_ids: Vec<i32>,
    /// Where a channel post's comments live, when the listing read them.
    pub discussion: Option<CommentsAt>,
}

/// The discussion group holding a channel post's comments.
#[derive(Debug, Clone, Copy)]
pub struct CommentsAt {
    pub chat_id: i64,
    /// Telegram's count of the comments, when it gave one.
    pub total: Option<i32>,
}

/// One listed message with what was asked around it.
#[derive(Debug, Clone, Default)]
pub struct ReadMessage {
    pub message: MessageInfo,
    /// The messages just before and after it.
    pub around: Around,
    /// Its direct replies, oldest first, with the peers they mention.
    pub replies: MessagePage,
}

/// The messages next to one message, each side oldest first, with the peers they mention.
#[derive(Debug, Clone, Default)]
pub struct Around {
    pub before: Vec<MessageInfo>,
    pub after: Vec<MessageInfo>,
    pub directory: Directory,
}

/// A listing's page before context and replies are added.
struct Listed {
    page: MessagePage,
    has_more: bool,
    missing_ids: Vec<i32>,
    discussion: Option<CommentsAt>,
}

/// Asks one more than needed (when Telegram allows) to learn whether more exists.
fn ask(limit: i32) -> i32 {
    (limit + 1).min(PAGE_MAX)
}

/// The single request that pages a listing of one chat (see `messages.rs`).
#[derive(Debug, Clone, Copy)]
enum Pages<'a> {
    History,
    Search {
        text: &'a str,
        from: Option<&'a Resolved>,
        top_msg_id: Option<i32>,
    },
    Replies {
        root: i32,
    },
}

/// Whether `m` replies to `root` or to a message under it, as far as `read` shows the chain.
fn under(m: &MessageInfo, root: i32, read: &HashMap<i32, &MessageInfo>) -> bool {
    let mut at = m;
    // A chain longer than what was read cannot reach the root through it.
    for _ in 0..=read.len() {
        match at.reply_to_msg_id {
            Some(parent) if parent == root => return true,
            Some(parent) => match read.get(&parent) {
                Some(p) => at = p,
                None => return false,
            },
            None => return at.topic_id == Some(root),
        }
    }
    false
}

/// Whether a message of the thread under `root` is one `direct_only` keeps.
fn in_scope(m: &MessageInfo, root: i32, direct_only: bool) -> bool {
    !direct_only
        || m.reply_to_msg_id == Some(root)
        || (m.reply_to_msg_id.is_none() && m.topic_id == Some(root))
}

impl Telegram {
    /// Reads one chat as `q` asks.
    pub async fn read_chat(&self, q: &ChatQuery<'_>) -> Result<ChatRead, TelegramError> {
        match self.read_chat_once(q).await {
            Err(e) if self.forget_stale_name(q.chat, &e).await => self.read_chat_once(q).await,
            other => other,
        }
    }

    async fn read_chat_once(&self, q: &ChatQuery<'_>) -> Result<ChatRead, TelegramError> {
        let mut chat = self.resolve(q.chat).await?;
        let mut comments_at = None;
        if let Some(post) = q.in_comments_of {
            let group = self.comments_group(&chat, post, q.chat).await?;
            comments_at = Some(CommentsAt {
                chat_id: group.id,
                total: None,
            });
            chat = group;
        }
        let from = match q.from {
            Some(sender) => Some(self.resolve(sender).await?),
            None => None,
        };
        let window = Window {
            offset_id: q.offset_id,
            offset_date: 0,
            limit: ask(q.limit),
            min_date: q.min_date,
            max_date: q.max_date,
        };
        let listed = match q.listing {
            Listing::Ids(ids) => self.in_order(&chat, ids).await?,
            Listing::Thread { root, direct_only } => {
                self.thread(&chat, root, direct_only, from.as_ref(), window, q)
                    .await?
            }
            Listing::Latest => {
                let searched =
                    q.text.is_some() || from.is_some() || q.min_date > 0 || q.max_date > 0;
                let pages = if searched {
                    Pages::Search {
                        text: q.text.unwrap_or(""),
                        from: from.as_ref(),
                        top_msg_id: None,
                    }
                } else {
                    Pages::History
                };
                let (mut page, has_more) = self
                    .read_on(&chat, pages, window, q.limit, q.batches)
                    .await?;
                page.messages.truncate(q.limit as usize);
                Listed {
                    page,
                    has_more,
                    missing_ids: Vec::new(),
                    discussion: None,
                }
            }
        };
        let MessagePage {
            messages,
            mut directory,
            total,
            ..
        } = listed.page;
        if let Some(info) = chat.info.clone() {
            directory.chats.entry(chat.id).or_insert(info);
        }
        let arounds = self.context_of(&chat, &messages, q.context).await?;
        let replies = self.direct_replies(&chat, &messages, q.replies).await;
        let messages = messages
            .into_iter()
            .zip(arounds)
            .zip(replies)
            .map(|((message, around), replies)| ReadMessage {
                message,
                around,
                replies,
            })
            .collect();
        Ok(ChatRead {
            chat: directory.get(chat.id).cloned(),
            messages,
            directory,
            has_more: listed.has_more,
            total,
            missing_ids: listed.missing_ids,
            discussion: listed.discussion.or(comments_at),
        })
    }

    /// One page of `pages` in `chat`. A page read from the newest message starts at position
    /// 0 even when Telegram leaves `offset_id_offset` out.
    async fn page_of(
        &self,
        chat: &Resolved,
        pages: Pages<'_>,
        window: Window,
    ) -> Result<MessagePage, TelegramError> {
        let mut page = match pages {
            Pages::History => self.history(chat, window).await,
            Pages::Search {
                text,
                from,
                top_msg_id,
            } => self.search(chat, text, from, top_msg_id, window).await,
            Pages::Replies { root } => self.replies(chat, root, window).await,
        }?;
        if window.offset_id == 0 && window.offset_date == 0 {
            page.position.get_or_insert(0);
        }
        Ok(page)
    }

    /// Reads `pages` from `window` on, each page continuing below the last message read,
    /// until `window.limit` messages are in hand, the listing ends
    /// ([`MessagePage::ends_listing`]) or its cursor stops moving — in at most `1 + extra`
    /// requests: Telegram's short pages cost more requests, never an unbounded number. Each
    /// message comes once. The flag says whether more than `limit` messages exist: true too
    /// when the requests ran out before the listing was known to end.
    async fn read_on(
        &self,
        chat: &Resolved,
        pages: Pages<'_>,
        mut window: Window,
        limit: i32,
        extra: i32,
    ) -> Result<(MessagePage, bool), TelegramError> {
        let mut read = MessagePage::default();
        let mut seen = HashSet::new();
        for _ in 0..=extra {
            let page = self.page_of(chat, pages, window).await?;
            let ended = page.ends_listing();
            let last = page.messages.last().map(|m| m.id);
            read.total = read.total.or(page.total);
            read.directory.extend(page.directory);
            read.messages
                .extend(page.messages.into_iter().filter(|m| seen.insert(m.id)));
            let more = read.messages.len() as i32 > limit;
            if ended || read.messages.len() as i32 >= window.limit {
                return Ok((read, more || !ended));
            }
            match last {
                Some(last) if window.offset_id == 0 || last < window.offset_id => {
                    window.offset_id = last;
                }
                // A cursor that does not move ends the listing.
                _ => return Ok((read, more)),
            }
        }
        Ok((read, true))
    }

    /// The discussion group holding the comments under `post` of the channel `chat`; an
    /// error naming `named` when it has none (not a channel, no discussion group, no post).
    async fn comments_group(
        &self,
        chat: &Resolved,
        post: i32,
        named: &str,
    ) -> Result<Resolved, TelegramError> {
        let found = if chat.is_channel() {
            self.discussion(chat, post).await?
        } else {
            None
        };
        found.map(|d| d.group).ok_or_else(|| {
            TelegramError::InvalidArgument(format!(
                "{named:?} links to a comment, but message {post} of that chat has no comments \
                 (no channel post with a discussion group): give the chat that holds the \
                 comment as chat_id and its id in message_ids"
            ))
        })
    }

    /// The messages `ids` name, in that order; the ids that name none are missing.
    async fn in_order(&self, chat: &Resolved, ids: &[i32]) -> Result<Listed, TelegramError> {
        let page = self.by_ids(chat, ids).await?;
        let mut ordered = Vec::new();
        let mut missing_ids = Vec::new();
        for id in ids {
            match page.messages.iter().find(|m| m.id == *id) {
                Some(m) => ordered.push(m.clone()),
                None => missing_ids.push(*id),
            }
        }
        Ok(Listed {
            page: MessagePage {
                messages: ordered,
                directory: page.directory,
                total: None,
                ..MessagePage::default()
            },
            has_more: false,
            missing_ids,
            discussion: None,
        })
    }

    /// The replies under `root`: comments of a channel post (through its discussion group),
    /// a forum topic, or a thread; searched when text or a sender is given. Read in batches
    /// and filtered by scope and dates; a page left short (by the filters or by Telegram)
    /// reads up to `q.batches` more. A
    /// reply inside a thread opens none of its own: Telegram answers with the whole thread it
    /// sits in, and the branch under it is kept.
    async fn thread(
        &self,
        chat: &Resolved,
        root: i32,
        direct_only: bool,
        from: Option<&Resolved>,
        window: Window,
        q: &ChatQuery<'_>,
    ) -> Result<Listed, TelegramError> {
        let at = if chat.is_channel() {
            self.thread_at(chat, root).await?
        } else {
            None
        };
        let (discussion, mut inside) = match at {
            Some(ThreadAt::Comments(d)) => (Some(*d), false),
            Some(ThreadAt::Root(top)) => (None, top != root),
            None => (None, false),
        };
        let searched = q.text.is_some() || from.is_some();
        let text = q.text.unwrap_or("");
        let top = discussion.as_ref().map_or(root, |d| d.top_id);
        let keep = |read: &[MessageInfo], inside: bool| -> Vec<MessageInfo> {
            let by_id: HashMap<i32, &MessageInfo> = read.iter().map(|m| (m.id, m)).collect();
            read.iter()
                .filter(|m| {
                    m.id != top
                        && (q.min_date == 0 || m.date >= q.min_date as i64)
                        && (q.max_date == 0 || m.date <= q.max_date as i64)
                        && if direct_only || !inside {
                            in_scope(m, top, direct_only)
                        } else {
                            under(m, top, &by_id)
                        }
                })
                .cloned()
                .collect()
        };
        let mut read: Vec<MessageInfo> = Vec::new();
        let mut directory = Directory::default();
        let mut next = window;
        let mut exhausted = false;
        let mut total = None;
        let (in_chat, pages) = match (&discussion, searched) {
            (Some(d), true) => (
                &d.group,
                Pages::Search {
                    text,
                    from,
                    top_msg_id: Some(d.top_id),
                },
            ),
            (None, true) => (
                chat,
                Pages::Search {
                    text,
                    from,
                    top_msg_id: Some(root),
                },
            ),
            (_, false) => (chat, Pages::Replies { root }),
        };
        let mut seen = HashSet::new();
        for _ in 0..=q.batches {
            let mut page = self.page_of(in_chat, pages, next).await?;
            total = total.or(page.total);
            let ended = page.ends_listing();
            let last = page.messages.last().map(|m| m.id);
            page.messages.retain(|m| seen.insert(m.id));
            directory.extend(std::mem::take(&mut page.directory));
            // Messages of a topic other than `root`'s: the answer is the topic `root` sits in.
            inside |= !searched
                && discussion.is_none()
                && page
                    .messages
                    .iter()
                    .any(|m| m.topic_id.is_some_and(|t| t != top));
            read.extend(page.messages);
            // A short page is not the end (see `MessagePage::ends_listing`); a cursor that
            // does not move is.
            let Some(last) =
                last.filter(|l| !ended && (next.offset_id == 0 || *l < next.offset_id))
            else {
                exhausted = true;
                break;
            };
            if inside && !searched {
                // A branch is known once read down to its root: older messages are not in it.
                if last <= top {
                    exhausted = true;
                    break;
                }
            } else if keep(&read, inside).len() as i32 > q.limit {
                break;
            }
            next.offset_id = last;
        }
        let mut collected = keep(&read, inside && !searched);
        let comments_at = discussion.map(|d| {
            directory.extend(d.page.directory);
            CommentsAt {
                chat_id: d.group.id,
                total,
            }
        });
        let has_more = collected.len() as i32 > q.limit || !exhausted;
        collected.truncate(q.limit as usize);
        Ok(Listed {
            page: MessagePage {
                messages: collected,
                directory,
                total,
                ..MessagePage::default()
            },
            has_more,
            missing_ids: Vec::new(),
            discussion: comments_at,
        })
    }

    /// Each message's `count` neighbours on either side (none when `count` is 0); the first
    /// failure fails them all.
    async fn context_of(
        &self,
        chat: &Resolved,
        messages: &[MessageInfo],
        count: i32,
    ) -> Result<Vec<Around>, TelegramError> {
        if count == 0 {
            return Ok(vec![Around::default(); messages.len()]);
        }
        let found = join_all(
            messages
                .iter()
                .map(|m| self.around(chat, m.id, count, count)),
        )
        .await;
        messages
            .iter()
            .zip(found)
            .map(|(message, found)| {
                let found = found?;
                let mut near: Vec<MessageInfo> = found
                    .messages
                    .into_iter()
                    .filter(|m| m.id != message.id)
                    .collect();
                near.sort_by_key(|m| m.id);
                let (before, after) = near.into_iter().partition(|m| m.id < message.id);
                Ok(Around {
                    before,
                    after,
                    directory: found.directory,
                })
            })
            .collect()
    }

    /// Up to `count` direct replies under each message, oldest first (none when `count` is
    /// 0). A message Telegram gives no thread for has none: it answers an error there.
    async fn direct_replies(
        &self,
        chat: &Resolved,
        messages: &[MessageInfo],
        count: i32,
    ) -> Vec<MessagePage> {
        if count == 0 {
            return vec![MessagePage::default(); messages.len()];
        }
        join_all(
            messages
                .iter()
                .map(|m| self.direct_replies_of(chat, m, count)),
        )
        .await
        .into_iter()
        .map(Result::unwrap_or_default)
        .collect()
    }

    /// Up to `count` direct replies to `message`: read from its thread (a post's comments, the
    /// thread it opens or sits in, its forum topic), or in a chat without threads from the
    /// messages after it, a whole page at a time, so that nested replies and other messages
    /// do not crowd direct ones out of the window.
    async fn direct_replies_of(
        &self,
        chat: &Resolved,
        message: &MessageInfo,
        count: i32,
    ) -> Result<MessagePage, TelegramError> {
        let replies = message.replies.as_ref();
        if replies.is_some_and(|r| r.count == 0) {
            return Ok(MessagePage::default());
        }
        // A post's comments reply to its copy in the discussion group.
        let parent = if replies.is_some_and(|r| r.comments) {
            match self.discussion(chat, message.id).await? {
                Some(d) => d.top_id,
                None => return Ok(MessagePage::default()),
            }
        } else {
            message.id
        };
        let found = if chat.is_channel() {
            let window = Window {
                limit: PAGE_MAX,
                ..Window::default()
            };
            self.replies(chat, message.id, window).await?
        } else {
            // Basic groups and private chats have no threads: the messages right after it.
            self.around(chat, message.id, 0, PAGE_MAX - 1).await?
        };
        let mut direct: Vec<MessageInfo> = found
            .messages
            .into_iter()
            .filter(|m| m.id != parent && in_scope(m, parent, true))
            .collect();
        direct.sort_by_key(|m| m.id);
        direct.truncate(count as usize);
        Ok(MessagePage {
            messages: direct,
            directory: found.directory,
            total: None,
            ..MessagePage::default()
        })
    }
}
