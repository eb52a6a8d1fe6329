//! One chat's profile, composed of the single requests in `chats.rs`: its full details, a
//! forum's topics and the groups shared with a user, each list cut to the number asked with
//! whether more exist. An id Telegram will not show is "not found", as the resolver says it.
//! The answer is domain values; what the tool makes of them is its own.

use super::chats::LIST_MAX;
use super::peers::{Resolved, not_found};
use super::types::{ChatDetails, ChatInfo, ChatKind, Listed, TopicInfo};
use super::{Telegram, TelegramError};

/// What to read of one chat's profile.
#[derive(Debug, Clone, Copy)]
pub struct ProfileQuery<'a> {
    /// The chat, as the caller named it.
    pub chat: &'a str,
    /// A forum's topics to list, 0 to [`LIST_MAX`] (0: none).
    pub topics: i32,
    /// A user's shared groups to list, 0 to [`LIST_MAX`] (0: none).
    pub common_chats: i32,
}

/// One chat's profile, with the lists asked for.
#[derive(Debug, Clone, Default)]
pub struct ChatProfile {
    pub details: ChatDetails,
    /// A forum's topics (pinned first, then most recently active), when asked for.
    pub topics: Option<Shown<TopicInfo>>,
    /// The groups shared with a user (never yourself), when asked for.
    pub common_chats: Option<Shown<ChatInfo>>,
}

/// The first items of a list, and whether more exist.
#[derive(Debug, Clone)]
pub struct Shown<T> {
    pub items: Vec<T>,
    pub has_more: bool,
}

impl<T> Shown<T> {
    /// At most `limit` of `items`; more exist when there were more, or when `total` says so.
    fn cut(mut items: Vec<T>, limit: i32, total: Option<i32>) -> Self {
        let shown = items.len().min(limit as usize);
        let has_more = items.len() > shown || total.is_some_and(|t| t as usize > shown);
        items.truncate(shown);
        Self { items, has_more }
    }
}

/// Telegram's answers for an id that names nothing it will show become the resolver's
/// "not found" for the identifier as given.
fn unknown_chat(e: TelegramError, identifier: &str) -> TelegramError {
    match &e {
        TelegramError::Rpc { name, .. }
            if matches!(
                name.as_str(),
                "CHAT_ID_INVALID" | "PEER_ID_INVALID" | "CHANNEL_INVALID" | "USER_ID_INVALID"
            ) =>
        {
            not_found(identifier)
        }
        _ => e,
    }
}

impl Telegram {
    /// Reads one chat's profile as `q` asks.
    pub async fn profile(&self, q: &ProfileQuery<'_>) -> Result<ChatProfile, TelegramError> {
        match self.profile_once(q).await {
            Err(e) if self.forget_stale_name(q.chat, &e).await => self.profile_once(q).await,
            other => other,
        }
    }

    async fn profile_once(&self, q: &ProfileQuery<'_>) -> Result<ChatProfile, TelegramError> {
        let chat = self.resolve(q.chat).await?;
        let details = self
            .details(&chat)
            .await
            .map_err(|e| unknown_chat(e, q.chat))?;
        let info = &details.info;
        let topics = if info.is_forum && q.topics > 0 {
            // One more than asked, to learn whether more exist.
            let listed = self
                .forum_topics(&chat, (q.topics + 1).min(LIST_MAX))
                .await?;
            Some(Shown::cut(listed.items, q.topics, listed.total))
        } else {
            None
        };
        let is_user = matches!(info.kind, Some(ChatKind::Private | ChatKind::Bot));
        let common_chats = if is_user && !info.is_self && q.common_chats > 0 {
            Some(self.shared_groups(&chat, &details, q.common_chats).await?)
        } else {
            None
        };
        Ok(ChatProfile {
            details,
            topics,
            common_chats,
        })
    }

    /// Up to `limit` groups shared with `user`; none asked for when the profile counts none.
    async fn shared_groups(
        &self,
        user: &Resolved,
        details: &ChatDetails,
        limit: i32,
    ) -> Result<Shown<ChatInfo>, TelegramError> {
        let listed = if details.common_chats_count == Some(0) {
            Listed {
                items: Vec::new(),
                total: Some(0),
            }
        } else {
            self.common_chats(user, (limit + 1).min(LIST_MAX)).await?
        };
        let total = listed.total.or(details.common_chats_count);
        Ok(Shown::cut(listed.items, limit, total))
    }
}
