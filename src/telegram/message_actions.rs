//! Acting on messages already there: deleting them (`messages.deleteMessages` in the common
//! message box of private chats and basic groups, `channels.deleteMessages` in supergroups and
//! channels), reacting to them (`messages.sendReaction`) and pinning them
//! (`messages.updatePinnedMessage`). Each answers with what changed, as far as Telegram says.

use grammers_tl_types as tl;

use super::peers::Resolved;
use super::types::ReactionCount;
use super::{Telegram, TelegramError, convert};

/// What a deletion did.
#[derive(Debug, Clone, Default)]
pub struct Deleted {
    /// How many messages were deleted: Telegram's `pts_count`, or outside channels, when
    /// that is short (a request sent again after a dropped connection reports 0), how many
    /// of the messages there just before are gone.
    pub deleted: i32,
    /// Gone for everyone in the chat, not only for the self user.
    pub for_everyone: bool,
    /// Asked ids still there after the call (looked up only when Telegram deleted fewer than
    /// it was asked to; ids that did not exist are not among them).
    pub not_deleted: Vec<i32>,
}

/// The reactions a chat allows, from its full profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AllowedReactions {
    /// Every standard reaction.
    All,
    None,
    Some(Vec<String>),
}

fn pts_count(answer: tl::enums::messages::AffectedMessages) -> i32 {
    let tl::enums::messages::AffectedMessages::Messages(a) = answer;
    a.pts_count
}

impl Telegram {
    /// Deletes messages `ids` of `chat`: for everyone unless `just_me` (which supergroups and
    /// channels do not offer). Outside channels, ids name messages of every private chat and
    /// basic group at once, so they are looked up first and only this chat's are deleted; an
    /// id of another chat refuses the whole call.
    pub async fn delete_messages(
        &self,
        chat: &Resolved,
        ids: &[i32],
        just_me: bool,
    ) -> Result<Deleted, TelegramError> {
        if let Some(channel) = chat.input_channel() {
            if just_me {
                return Err(TelegramError::InvalidArgument(
                    "supergroups and channels delete messages for everyone only: leave just_me \
                     out (nothing was deleted)"
                        .into(),
                ));
            }
            let request = tl::functions::channels::DeleteMessages {
                channel,
                id: ids.to_vec(),
            };
            let deleted = pts_count(self.invoke_once_more_if_dropped(&request).await?);
            let not_deleted = self.still_there(chat, ids, deleted).await?;
            return Ok(Deleted {
                deleted,
                for_everyone: true,
                not_deleted,
            });
        }
        let id: Vec<tl::enums::InputMessage> = ids
            .iter()
            .map(|id| tl::types::InputMessageId { id: *id }.into())
            .collect();
        let found = self
            .page(
                self.invoke(&tl::functions::messages::GetMessages { id })
                    .await?,
            )
            .await;
        let elsewhere: Vec<String> = found
            .messages
            .iter()
            .filter(|m| m.chat_id != chat.id)
            .map(|m| m.id.to_string())
            .collect();
        if !elsewhere.is_empty() {
            return Err(TelegramError::InvalidArgument(format!(
                "message {} is not in this chat but in another one: nothing was deleted; give \
                 the chat it is in as chat_id",
                elsewhere.join(", ")
            )));
        }
        let saved_messages = chat.id > 0 && self.self_id().await.ok() == Some(chat.id);
        let revoke = !just_me && !saved_messages;
        let admin = found.directory.get(chat.id).is_some_and(|c| c.is_admin);
        let for_everyone =
            revoke && (chat.id > 0 || admin || found.messages.iter().all(|m| m.outgoing));
        let here: Vec<i32> = found.messages.iter().map(|m| m.id).collect();
        if here.is_empty() {
            return Ok(Deleted {
                for_everyone,
                ..Deleted::default()
            });
        }
        let request = tl::functions::messages::DeleteMessages {
            revoke,
            id: here.clone(),
        };
        let reported = pts_count(self.invoke_once_more_if_dropped(&request).await?);
        let not_deleted = self.still_there(chat, &here, reported).await?;
        // A request sent again after a dropped connection finds them gone already and
        // reports 0: what existed just before and is gone now is what this call deleted.
        let gone = (here.len() - not_deleted.len()) as i32;
        Ok(Deleted {
            deleted: reported.max(gone),
            for_everyone,
            not_deleted,
        })
    }

    /// The ids of `ids` still in `chat`, asked only when Telegram deleted fewer than that.
    async fn still_there(
        &self,
        chat: &Resolved,
        ids: &[i32],
        deleted: i32,
    ) -> Result<Vec<i32>, TelegramError> {
        if deleted as usize >= ids.len() {
            return Ok(Vec::new());
        }
        let page = self.by_ids(chat, ids).await?;
        Ok(page.messages.iter().map(|m| m.id).collect())
    }

    /// Sets the self user's reaction to message `id` (`None` removes it) and answers the
    /// message's reactions after, when Telegram reports them.
    pub async fn react(
        &self,
        chat: &Resolved,
        id: i32,
        emoji: Option<&str>,
    ) -> Result<Option<Vec<ReactionCount>>, TelegramError> {
        let reaction = emoji.map(|e| {
            tl::types::ReactionEmoji {
                emoticon: e.to_string(),
            }
            .into()
        });
        let request = tl::functions::messages::SendReaction {
            big: false,
            add_to_recent: true,
            peer: chat.input.clone(),
            msg_id: id,
            reaction: Some(reaction.into_iter().collect()),
        };
        let updates = self.invoke_once_more_if_dropped(&request).await?;
        Ok(reactions_of(&updates, id))
    }

    /// The reactions `chat` allows (one request: its full profile); `None` if Telegram does
    /// not say.
    pub async fn allowed_reactions(&self, chat: &Resolved) -> Option<AllowedReactions> {
        let full = if let Some(channel) = chat.input_channel() {
            self.invoke(&tl::functions::channels::GetFullChannel { channel })
                .await
                .ok()?
        } else if let tl::enums::InputPeer::Chat(c) = &chat.input {
            self.invoke(&tl::functions::messages::GetFullChat { chat_id: c.chat_id })
                .await
                .ok()?
        } else {
            return Some(AllowedReactions::All);
        };
        let tl::enums::messages::ChatFull::Full(full) = full;
        let available = match full.full_chat {
            tl::enums::ChatFull::Full(c) => c.available_reactions,
            tl::enums::ChatFull::ChannelFull(c) => c.available_reactions,
            tl::enums::ChatFull::CommunityFull(_) => None,
        };
        Some(match available? {
            tl::enums::ChatReactions::All(_) => AllowedReactions::All,
            tl::enums::ChatReactions::None => AllowedReactions::None,
            tl::enums::ChatReactions::Some(s) => AllowedReactions::Some(
                s.reactions
                    .iter()
                    .filter_map(|r| match r {
                        tl::enums::Reaction::Emoji(e) => Some(e.emoticon.clone()),
                        _ => None,
                    })
                    .collect(),
            ),
        })
    }

    /// Pins message `id` silently (`pin`), or unpins it.
    pub async fn pin(&self, chat: &Resolved, id: i32, pin: bool) -> Result<(), TelegramError> {
        let request = tl::functions::messages::UpdatePinnedMessage {
            silent: true,
            unpin: !pin,
            pm_oneside: false,
            peer: chat.input.clone(),
            id,
        };
        self.invoke_once_more_if_dropped(&request).await?;
        Ok(())
    }
}

/// The reactions an `Updates` answer reports for message `id`.
fn reactions_of(updates: &tl::enums::Updates, id: i32) -> Option<Vec<ReactionCount>> {
    let list: &[tl::enums::Update] = match updates {
        tl::enums::Updates::Updates(u) => &u.updates,
        tl::enums::Updates::Combined(u) => &u.updates,
        tl::enums::Updates::UpdateShort(u) => std::slice::from_ref(&u.update),
        _ => &[],
    };
    list.iter().find_map(|u| match u {
        tl::enums::Update::MessageReactions(r) if r.msg_id == id => {
            Some(convert::reactions(&r.reactions))
        }
        _ => None,
    })
}
