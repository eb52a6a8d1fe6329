//! Finding chats, composed of the contacts search (`chats.rs`) and the chat list with its
//! folders (`dialogs.rs`): several terms searched concurrently and merged in turns without
//! duplicates, a folder's chats, or the chat list by last activity — each filtered by chat
//! kind, public-ness, dates and names, and cut to the page asked, with whether more exists.
//! The answer is domain values; the offset cursor is the tool's.

use std::collections::HashSet;

use futures::future::join_all;

use super::chat_ref::{self, ChatRef};
use super::chats::SEARCH_MAX;
use super::dialogs::ARCHIVE_FOLDER;
use super::types::{ChatInfo, ChatKind, DialogEntry, Folder, Inbox, ScanEnd, Visit};
use super::{Telegram, TelegramError};
use crate::schema::sanitize;

/// Dialogs one query reads at most (20 pages).
pub const DIALOG_SCAN_MAX: usize = 2000;

/// Which chats to find.
#[derive(Debug, Clone, Default)]
pub struct FindQuery {
    pub source: ChatSource,
    /// Searched for (each on its own), or matched against the names of listed chats: a
    /// case-insensitive part of the name or username, or of a contact's phone number.
    pub terms: Vec<String>,
    /// Only chats of these kinds.
    pub kinds: Option<HashSet<ChatKind>>,
    /// Only groups and channels with a username (true) or without (false).
    pub public: Option<bool>,
    /// Listed chats last active since (Unix seconds).
    pub min_date: Option<i64>,
    /// Listed chats last active until (Unix seconds).
    pub max_date: Option<i64>,
    /// Only chats with unread messages or marked unread, most recent first (pinned or not).
    pub unread_only: bool,
    /// Chats to skip (the earlier pages).
    pub offset: usize,
    /// Chats to return.
    pub limit: usize,
}

/// Where chats are found.
#[derive(Debug, Clone, Default)]
pub enum ChatSource {
    /// Telegram's search for each term (`contacts.search`): chats you know first.
    Search,
    /// The chat list, archived chats too: pinned first, then by last activity.
    #[default]
    ChatList,
    /// A folder named by title (compared loosely) or id, or "Archive": its pinned chats
    /// first, then by last activity.
    Folder(String),
}

/// The chats found, one page of them.
#[derive(Debug, Clone, Default)]
pub struct FoundChats {
    pub chats: Vec<FoundChat>,
    /// More chats continue the listing after the page.
    pub has_more: bool,
    /// The folder listed, titled as Telegram stores it.
    pub folder: Option<String>,
    /// Why the chat list was not read to its end, when it was not: [`ScanEnd::Capped`] (only
    /// its [`DIALOG_SCAN_MAX`] most recent chats were read) or [`ScanEnd::Stalled`].
    pub cut_short: Option<ScanEnd>,
}

/// A chat found, with its last activity when it comes from the chat list.
#[derive(Debug, Clone)]
pub struct FoundChat {
    pub info: ChatInfo,
    /// Unix seconds; `None` for searched chats and when unknown.
    pub last_active: Option<i64>,
    /// Its unread state, when it comes from the chat list.
    pub inbox: Option<Inbox>,
}

impl From<DialogEntry> for FoundChat {
    fn from(e: DialogEntry) -> Self {
        Self {
            last_active: (e.date > 0).then_some(e.date),
            inbox: Some(e.inbox),
            info: e.info,
        }
    }
}

/// Folder titles compare case-insensitively, with runs of whitespace as one space.
fn normalize(title: &str) -> String {
    title
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

fn digits(text: &str) -> String {
    text.chars().filter(char::is_ascii_digit).collect()
}

/// A term that is a phone number (digits with `+`, spaces, dashes or brackets).
fn phone_digits(term: &str) -> Option<String> {
    let d = digits(term);
    let shaped = term
        .chars()
        .all(|c| c.is_ascii_digit() || "+-() ".contains(c));
    (shaped && !d.is_empty()).then_some(d)
}

/// Client-side matching for listed chats: a case-insensitive substring of the name or
/// username, or of a contact's phone number.
fn term_matches(info: &ChatInfo, term: &str) -> bool {
    if let (Some(wanted), Some(phone)) = (phone_digits(term), &info.phone)
        && digits(phone).contains(&wanted)
    {
        return true;
    }
    let needle = term.trim_start_matches('@').to_lowercase();
    [
        Some(&info.title),
        info.username.as_ref(),
        info.first_name.as_ref(),
        info.last_name.as_ref(),
    ]
    .into_iter()
    .flatten()
    // As stored, or as the model sees it: hidden characters in a name never defeat a match.
    .any(|field| {
        field.to_lowercase().contains(&needle)
            || sanitize::name(field).to_lowercase().contains(&needle)
    })
}

impl FindQuery {
    /// The chat kind and public filters.
    fn keeps(&self, info: &ChatInfo) -> bool {
        let kind = info.kind.unwrap_or(ChatKind::Private);
        if self.kinds.as_ref().is_some_and(|k| !k.contains(&kind)) {
            return false;
        }
        match self.public {
            Some(public) if matches!(kind, ChatKind::Group | ChatKind::Channel) => {
                info.username.is_some() == public
            }
            _ => true,
        }
    }

    /// Every filter, for chats of the chat list.
    fn accepts(&self, e: &DialogEntry) -> bool {
        self.keeps(&e.info)
            && (!self.unread_only || e.inbox.is_unread())
            && self.min_date.is_none_or(|min| e.date >= min)
            && self.max_date.is_none_or(|max| e.date <= max)
            && (self.terms.is_empty() || self.terms.iter().any(|t| term_matches(&e.info, t)))
    }

    /// The page asked of `all`, and whether more follow it.
    fn page<T>(&self, mut all: Vec<T>) -> (Vec<T>, bool) {
        let end = self.offset + self.limit;
        let has_more = all.len() > end;
        all.truncate(end);
        (all.into_iter().skip(self.offset).collect(), has_more)
    }

    /// The page asked of listed chats.
    fn listing(
        &self,
        mut entries: Vec<DialogEntry>,
        end: ScanEnd,
        folder: Option<String>,
    ) -> FoundChats {
        if self.unread_only {
            // A backlog reads best newest first: pinned chats take their place by date.
            entries.sort_by_key(|e| std::cmp::Reverse(e.date));
        }
        let (page, has_more) = self.page(entries);
        FoundChats {
            chats: page.into_iter().map(FoundChat::from).collect(),
            has_more,
            folder,
            cut_short: matches!(end, ScanEnd::Capped | ScanEnd::Stalled).then_some(end),
        }
    }
}

impl Telegram {
    /// Finds the chats `q` asks for. A folder no title or id names is an invalid argument
    /// that lists the folders there are.
    pub async fn find_chats(&self, q: &FindQuery) -> Result<FoundChats, TelegramError> {
        match &q.source {
            ChatSource::Search => self.search_terms(q).await,
            ChatSource::ChatList => {
                let (entries, end) = self.chat_list(None, q).await?;
                Ok(q.listing(entries, end, None))
            }
            ChatSource::Folder(asked) => self.in_folder(q, asked).await,
        }
    }

    /// Each term searched concurrently, merged in turns (first hit of each term, then the
    /// second…) without duplicates.
    async fn search_terms(&self, q: &FindQuery) -> Result<FoundChats, TelegramError> {
        let filtered = q.kinds.is_some() || q.public.is_some();
        // Filters drop results after Telegram ranks them: ask for as many as it gives.
        let ask = if filtered {
            SEARCH_MAX
        } else {
            ((q.offset + q.limit + 1) as i32).min(SEARCH_MAX)
        };
        let answers = join_all(q.terms.iter().map(|term| self.search_term(term, ask))).await;
        let mut lists = Vec::new();
        for answer in answers {
            lists.push(
                answer?
                    .into_iter()
                    .filter(|c| q.keeps(c))
                    .collect::<Vec<_>>(),
            );
        }
        let mut seen = HashSet::new();
        let mut merged = Vec::new();
        let longest = lists.iter().map(Vec::len).max().unwrap_or(0);
        for i in 0..longest {
            for list in &lists {
                if let Some(chat) = list.get(i)
                    && seen.insert(chat.id)
                {
                    merged.push(chat.clone());
                }
            }
        }
        let (page, has_more) = q.page(merged);
        Ok(FoundChats {
            chats: page
                .into_iter()
                .map(|info| FoundChat {
                    info,
                    last_active: None,
                    inbox: None,
                })
                .collect(),
            has_more,
            folder: None,
            cut_short: None,
        })
    }

    /// One term: `contacts.search`; a full phone number nobody in the results has is looked
    /// up directly (`contacts.resolvePhone`).
    async fn search_term(&self, term: &str, ask: i32) -> Result<Vec<ChatInfo>, TelegramError> {
        // A t.me link (to a chat or to a message in it) finds the chat it names: its username
        // is searched, a private link's id looked up; an invite link is refused.
        let linked;
        let term = if chat_ref::is_link(term) {
            match chat_ref::parse(term).map_err(TelegramError::InvalidArgument)? {
                ChatRef::Username(name) => {
                    linked = name;
                    linked.as_str()
                }
                // A chat this account cannot reach matches nothing, as an unknown phone does.
                _ => {
                    return match self.resolve(term).await {
                        Ok(chat) => Ok(self.describe(&chat).await.into_iter().collect()),
                        Err(TelegramError::NotFound(_) | TelegramError::Rpc { .. }) => {
                            Ok(Vec::new())
                        }
                        Err(e) => Err(e),
                    };
                }
            }
        } else {
            term
        };
        // Usernames are searched without their @.
        let q = term
            .strip_prefix('@')
            .filter(|rest| !rest.is_empty())
            .unwrap_or(term);
        let found = match self.search_chats(q, ask).await {
            Ok(found) => found,
            // A term Telegram finds too short or malformed simply matches nothing.
            Err(TelegramError::Rpc { name, .. }) if name.contains("QUERY") => Vec::new(),
            Err(e) => return Err(e),
        };
        let Some(phone) = phone_digits(term).filter(|d| (7..=15).contains(&d.len())) else {
            return Ok(found);
        };
        let has_phone = found
            .iter()
            .any(|c| c.phone.as_deref().is_some_and(|p| digits(p) == phone));
        if has_phone {
            return Ok(found);
        }
        match self.resolve(&format!("+{phone}")).await {
            Ok(resolved) => Ok(found.into_iter().chain(resolved.info).collect()),
            Err(
                TelegramError::NotFound(_)
                | TelegramError::Rpc { .. }
                | TelegramError::InvalidArgument(_),
            ) => Ok(found),
            Err(e) => Err(e),
        }
    }

    /// The chat list (or one peer folder of it) in Telegram's order, filtered; reads only as
    /// far as the page needs, and stops at chats older than `min_date`; with how the reading
    /// ended.
    async fn chat_list(
        &self,
        folder: Option<i32>,
        q: &FindQuery,
    ) -> Result<(Vec<DialogEntry>, ScanEnd), TelegramError> {
        let need = q.offset + q.limit + 1;
        let mut matched = Vec::new();
        let mut counted = 0;
        let end = self
            .scan_dialogs(folder, DIALOG_SCAN_MAX, |e| {
                // Past the pinned chats the list runs newest first: the rest is older still.
                if q.min_date.is_some_and(|min| !e.pinned && e.date < min) {
                    return Visit::Stop;
                }
                if q.accepts(&e) {
                    // Unread chats are sorted by date, pinned ones too: the page is known once
                    // enough unpinned ones (which come newest first) are found.
                    let counts = !q.unread_only || !e.pinned;
                    matched.push(e);
                    counted += usize::from(counts);
                    if counted >= need {
                        return Visit::Stop;
                    }
                }
                Visit::Next
            })
            .await?;
        Ok((matched, end))
    }

    /// The folder titled (or numbered) `asked`, or the archive, filtered.
    async fn in_folder(&self, q: &FindQuery, asked: &str) -> Result<FoundChats, TelegramError> {
        let wanted = normalize(asked);
        let folders = self.folders().await?;
        let chosen: Option<&Folder> = folders
            .iter()
            // The title as shown (cleaned) or as stored.
            .find(|f| {
                normalize(&sanitize::name(&f.title)) == wanted || normalize(&f.title) == wanted
            })
            .or_else(|| {
                wanted
                    .parse::<i32>()
                    .ok()
                    .and_then(|id| folders.iter().find(|f| f.id == id))
            });
        let Some(folder) = chosen else {
            if matches!(wanted.as_str(), "archive" | "archived") {
                let (entries, end) = self.chat_list(Some(ARCHIVE_FOLDER), q).await?;
                return Ok(q.listing(entries, end, Some("Archive".into())));
            }
            let mut titles: Vec<String> = folders
                .iter()
                .map(|f| format!("{:?}", sanitize::name(&f.title)))
                .collect();
            titles.push("\"Archive\"".into());
            return Err(TelegramError::InvalidArgument(format!(
                "no chat folder is titled {asked:?}; the folders are {}",
                titles.join(", ")
            )));
        };
        let (members, end) = self.folder_chats(folder, DIALOG_SCAN_MAX).await?;
        let entries: Vec<DialogEntry> = members.into_iter().filter(|e| q.accepts(e)).collect();
        Ok(q.listing(entries, end, Some(folder.title.clone())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folder_titles_compare_loosely() {
        assert_eq!(normalize("  Bots   &\tChannels "), "bots & channels");
    }

    #[test]
    fn phone_terms_are_recognised() {
        assert_eq!(
            phone_digits("+1 (555) 000-1002").as_deref(),
            Some("15550001002")
        );
        assert_eq!(phone_digits("babbage"), None);
        assert_eq!(phone_digits("+"), None);
    }

    #[test]
    fn listed_chats_match_names_usernames_and_phones() {
        let info = ChatInfo {
            title: "Charles Babbage".into(),
            username: Some("babbage".into()),
            phone: Some("15550001001".into()),
            ..Default::default()
        };
        assert!(term_matches(&info, "charles"));
        assert!(term_matches(&info, "@Babb"));
        assert!(term_matches(&info, "+1 555 000 1001"));
        assert!(!term_matches(&info, "lovelace"));
    }

    #[test]
    fn hidden_characters_in_a_name_never_defeat_a_match() {
        let info = ChatInfo {
            title: "Char\u{200B}les Bab\u{FE0F}\u{E0041}bage".into(),
            ..Default::default()
        };
        assert!(term_matches(&info, "charles babbage"));
        assert!(term_matches(&info, "Char\u{200B}les"));
    }
}
