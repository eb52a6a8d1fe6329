//! Searching every chat at once: the single request (`messages.searchGlobal`, one page of one
//! term) and the search the tool asks for — several terms concurrently, read in batches while
//! filters (chat kind, public-ness) leave a page short, merged newest first without duplicates
//! and cut to the limit asked, with whether more exists. The answer is domain values; the
//! cursor is the tool's.

use std::collections::HashSet;

use futures::future::join_all;
use grammers_tl_types as tl;

use super::messages::PAGE_MAX;
use super::types::{ChatKind, Directory, MessageInfo, MessagePage};
use super::{Telegram, TelegramError};

/// Which chats a global search covers, as Telegram can narrow it.
#[derive(Debug, Clone, Copy, Default)]
pub struct GlobalScope {
    pub broadcasts_only: bool,
    pub groups_only: bool,
    pub users_only: bool,
}

/// Where a global search continues: after this message.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GlobalOffset {
    pub rate: i32,
    pub chat_id: i64,
    pub msg_id: i32,
}

impl Telegram {
    #[allow(clippy::too_many_arguments)]
    pub async fn search_global(
        &self,
        query: &str,
        scope: GlobalScope,
        min_date: i32,
        max_date: i32,
        offset: GlobalOffset,
        limit: i32,
    ) -> Result<MessagePage, TelegramError> {
        let offset_peer = if offset.chat_id == 0 {
            tl::enums::InputPeer::Empty
        } else {
            self.resolve(&offset.chat_id.to_string()).await?.input
        };
        let answer = self
            .invoke(&tl::functions::messages::SearchGlobal {
                broadcasts_only: scope.broadcasts_only,
                groups_only: scope.groups_only,
                users_only: scope.users_only,
                folder_id: None,
                community: None,
                q: query.to_string(),
                filter: tl::enums::MessagesFilter::InputMessagesFilterEmpty,
                min_date,
                max_date,
                offset_rate: offset.rate,
                offset_peer,
                offset_id: offset.msg_id,
                limit: limit.min(PAGE_MAX),
            })
            .await?;
        Ok(self.page(answer).await)
    }
}

/// What to search for across every chat.
#[derive(Debug, Clone, Default)]
pub struct GlobalQuery {
    /// The terms, each searched on its own.
    pub terms: Vec<String>,
    /// Messages to return, 1 to [`PAGE_MAX`].
    pub limit: usize,
    /// Unix seconds; 0: no bound.
    pub min_date: i32,
    /// Unix seconds; 0: no bound.
    pub max_date: i32,
    /// Only chats of these kinds.
    pub kinds: Option<HashSet<ChatKind>>,
    /// Only groups and channels with a username (true) or without (false).
    pub public: Option<bool>,
    /// Extra batches a term reads when the filters leave a page short.
    pub batches: usize,
    /// Where to continue: after this message.
    pub start: GlobalOffset,
}

/// The matches of a global search.
#[derive(Debug, Clone, Default)]
pub struct GlobalMatches {
    /// Newest first, without duplicates.
    pub messages: Vec<MessageInfo>,
    pub directory: Directory,
    /// More matches continue after the last one.
    pub has_more: bool,
    /// Telegram's count of the matches, when one term was searched and it gave one.
    pub total: Option<i32>,
}

/// One term's matches.
struct TermMatches {
    found: Vec<MessageInfo>,
    directory: Directory,
    more: bool,
    total: Option<i32>,
}

impl GlobalQuery {
    /// Telegram's own narrowing when the filter names one kind of chat.
    fn scope(&self) -> GlobalScope {
        let Some(kinds) = &self.kinds else {
            return GlobalScope::default();
        };
        let only = |k: ChatKind| kinds.len() == 1 && kinds.contains(&k);
        GlobalScope {
            broadcasts_only: only(ChatKind::Channel),
            groups_only: only(ChatKind::Group),
            users_only: only(ChatKind::Private),
        }
    }

    /// The chat kind and public filters.
    fn keeps(&self, m: &MessageInfo, directory: &Directory) -> bool {
        let chat = directory.get(m.chat_id);
        if let Some(kinds) = &self.kinds {
            match chat.and_then(|c| c.kind) {
                Some(kind) if kinds.contains(&kind) => {}
                _ => return false,
            }
        }
        if let Some(public) = self.public {
            let kind = chat.and_then(|c| c.kind);
            // Public-ness is never applied to private chats or bots (as the reference does).
            if !matches!(kind, Some(ChatKind::Private | ChatKind::Bot)) {
                let has_username = chat.is_some_and(|c| c.username.is_some());
                if has_username != public {
                    return false;
                }
            }
        }
        true
    }
}

impl Telegram {
    /// Searches every chat for `q`'s terms.
    pub async fn search_everywhere(&self, q: &GlobalQuery) -> Result<GlobalMatches, TelegramError> {
        let results = join_all(q.terms.iter().map(|t| self.term_matches(t, q))).await;
        let mut merged: Vec<MessageInfo> = Vec::new();
        let mut directory = Directory::default();
        let mut any_more = false;
        let mut total = None;
        let mut seen = HashSet::new();
        for result in results {
            let term = result?;
            any_more |= term.more;
            total = term.total;
            directory.extend(term.directory);
            for m in term.found {
                if seen.insert((m.chat_id, m.id)) {
                    merged.push(m);
                }
            }
        }
        merged.sort_by_key(|m| std::cmp::Reverse((m.date, m.chat_id, m.id)));
        let has_more = any_more || merged.len() > q.limit;
        merged.truncate(q.limit);
        Ok(GlobalMatches {
            messages: merged,
            directory,
            has_more,
            total: if q.terms.len() == 1 { total } else { None },
        })
    }

    /// One term's matches after `q.start`, filtered, reading extra batches while short.
    async fn term_matches(
        &self,
        term: &str,
        q: &GlobalQuery,
    ) -> Result<TermMatches, TelegramError> {
        let scope = q.scope();
        let mut offset = q.start;
        let mut found = Vec::new();
        let mut directory = Directory::default();
        let mut total = None;
        let mut seen = 0usize;
        for _ in 0..=q.batches {
            let ask = (q.limit + 1).min(PAGE_MAX as usize) as i32;
            let page = self
                .search_global(term, scope, q.min_date, q.max_date, offset, ask)
                .await?;
            total = total.or(page.total);
            let last = page.messages.last().cloned();
            // A short page is not the end (see `MessagePage::ends_listing`): Telegram gives
            // `next_rate`, "the rate to use in the next call", while more follows. Without
            // one, the page's `count` still says whether more follows and the next call
            // continues after the last message: a missing `next_rate` alone is not the end
            // (Telethon's `iter_messages` reads on until an empty page, too). A cursor that
            // does not move ends it.
            seen += page.messages.len();
            let counted_more = page.total.is_some_and(|t| seen < t as usize);
            let stuck = last.as_ref().is_some_and(|m| {
                offset.chat_id == m.chat_id && offset.msg_id == m.id && offset.msg_id != 0
            });
            let exhausted =
                (page.next_rate.is_none() && !counted_more) || page.ends_listing() || stuck;
            for m in page.messages {
                if q.keeps(&m, &page.directory) {
                    found.push(m);
                }
            }
            directory.extend(page.directory);
            if exhausted {
                return Ok(TermMatches {
                    found,
                    directory,
                    more: false,
                    total,
                });
            }
            if found.len() > q.limit {
                break;
            }
            let Some(last) = last else { break };
            offset = GlobalOffset {
                rate: page.next_rate.unwrap_or(last.date as i32),
                chat_id: last.chat_id,
                msg_id: last.id,
            };
        }
        Ok(TermMatches {
            found,
            directory,
            more: true,
            total,
        })
    }
}
