//! One chat at a time: contacts search, full profiles (`users.getFullUser`,
//! `messages.getFullChat`, `channels.getFullChannel`), forum topics and the groups shared with
//! a user. Each answer's peers are remembered for later resolution. The chat list and its
//! folders are in `dialogs.rs`; the profile a tool shows, composed of these, in `profile.rs`.

use grammers_tl_types as tl;

use super::peers::Resolved;
use super::types::{ChatDetails, ChatInfo, ChatKind, Listed, Presence, TopicInfo};
use super::{Telegram, TelegramError, convert};

/// Telegram's cap on `contacts.search` results per list.
pub const SEARCH_MAX: i32 = 100;
/// Telegram's cap on forum topics and common chats per call.
pub const LIST_MAX: i32 = 100;

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
                        closed: t.closed,
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
