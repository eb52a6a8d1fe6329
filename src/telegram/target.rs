//! Where a message goes, decided once: a plain reply, a post into a forum topic, or a comment
//! under a broadcast channel post (sent into its discussion group, replying to the post's copy
//! there).

use grammers_tl_types as tl;

use super::peers::Resolved;
use super::types::{ChatInfo, ChatKind};
use super::{Telegram, TelegramError};

/// The forum topic every forum has; its messages carry no thread header.
const GENERAL_TOPIC: i32 = 1;

/// The channel post a comment is attached to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommentOn {
    pub channel_id: i64,
    pub post_id: i32,
}

/// Where an outgoing message goes.
#[derive(Debug, Clone)]
pub struct Target {
    /// The chat it is posted in (for a comment: the channel's discussion group).
    pub chat: Resolved,
    pub(in crate::telegram) reply_to: Option<tl::enums::InputReplyTo>,
    /// What is known about `chat`.
    pub info: Option<ChatInfo>,
    /// Set when the message is a comment under a channel post.
    pub comment_on: Option<CommentOn>,
    /// The forum topic it is posted into.
    pub topic_id: Option<i32>,
}

impl Target {
    /// A message posted into `chat` as it is: no reply, no topic, no comment.
    pub fn plain(chat: Resolved) -> Target {
        Target {
            info: chat.info.clone(),
            chat,
            reply_to: None,
            comment_on: None,
            topic_id: None,
        }
    }
}

fn reply_header(reply_to_msg_id: i32, top_msg_id: Option<i32>) -> tl::enums::InputReplyTo {
    tl::types::InputReplyToMessage {
        reply_to_msg_id,
        top_msg_id,
        reply_to_peer_id: None,
        quote_text: None,
        quote_entities: None,
        quote_offset: None,
        monoforum_peer_id: None,
        todo_item_id: None,
        poll_option: None,
    }
    .into()
}

impl Telegram {
    /// What Telegram knows about a chat (best effort: `None` if it cannot say).
    pub async fn describe(&self, chat: &Resolved) -> Option<ChatInfo> {
        if let Some(info) = &chat.info {
            return Some(info.clone());
        }
        let directory = match &chat.input {
            tl::enums::InputPeer::Channel(_) => {
                let request = tl::functions::channels::GetChannels {
                    id: vec![chat.input_channel()?],
                };
                let answer = self.invoke(&request).await.ok()?;
                self.directory(&[], &chats_of(answer)).await
            }
            tl::enums::InputPeer::Chat(c) => {
                let request = tl::functions::messages::GetChats {
                    id: vec![c.chat_id],
                };
                let answer = self.invoke(&request).await.ok()?;
                self.directory(&[], &chats_of(answer)).await
            }
            _ => {
                let user = chat.input_user()?;
                let users = self
                    .invoke(&tl::functions::users::GetUsers { id: vec![user] })
                    .await
                    .ok()?;
                self.directory(&users, &[]).await
            }
        };
        directory.get(chat.id).cloned()
    }

    /// Where a message to `chat` replying to `reply_to` goes: a comment under a broadcast
    /// channel post (into the discussion group, replying to the post's copy), a post into a
    /// forum topic (`reply_to` is the topic id), or a plain reply.
    pub async fn target(
        &self,
        chat: Resolved,
        reply_to: Option<i32>,
    ) -> Result<Target, TelegramError> {
        let Some(reply_to) = reply_to else {
            return Ok(Target::plain(chat));
        };
        let info = if chat.input_channel().is_some() {
            self.describe(&chat).await
        } else {
            chat.info.clone()
        };
        let kind = info.as_ref().and_then(|i| i.kind);
        if kind == Some(ChatKind::Channel) {
            let Some(discussion) = self.discussion(&chat, reply_to).await? else {
                return Err(TelegramError::InvalidArgument(format!(
                    "message {reply_to} of this channel takes no comments: the post does not \
                     exist or the channel has no discussion group"
                )));
            };
            let group_info = discussion
                .page
                .directory
                .get(discussion.group.id)
                .cloned()
                .or_else(|| discussion.group.info.clone());
            return Ok(Target {
                reply_to: Some(reply_header(discussion.top_id, None)),
                info: group_info,
                comment_on: Some(CommentOn {
                    channel_id: chat.id,
                    post_id: reply_to,
                }),
                chat: discussion.group,
                topic_id: None,
            });
        }
        if info.as_ref().is_some_and(|i| i.is_forum) && self.is_topic(&chat, reply_to).await {
            // The General topic has no thread: its messages are sent without a header.
            let header =
                (reply_to != GENERAL_TOPIC).then(|| reply_header(reply_to, Some(reply_to)));
            return Ok(Target {
                chat,
                reply_to: header,
                info,
                comment_on: None,
                topic_id: Some(reply_to),
            });
        }
        Ok(Target {
            chat,
            reply_to: Some(reply_header(reply_to, None)),
            info,
            comment_on: None,
            topic_id: None,
        })
    }

    /// Whether `id` is a topic of the forum `chat`.
    async fn is_topic(&self, chat: &Resolved, id: i32) -> bool {
        let answer = self
            .invoke(&tl::functions::messages::GetForumTopicsById {
                peer: chat.input.clone(),
                topics: vec![id],
            })
            .await;
        match answer {
            Ok(tl::enums::messages::ForumTopics::Topics(t)) => {
                self.remember(&t.users, &t.chats).await;
                t.topics
                    .iter()
                    .any(|topic| matches!(topic, tl::enums::ForumTopic::Topic(t) if t.id == id))
            }
            Err(_) => false,
        }
    }
}

/// The chats of a `messages.Chats` answer, whole or a slice.
fn chats_of(answer: tl::enums::messages::Chats) -> Vec<tl::enums::Chat> {
    match answer {
        tl::enums::messages::Chats::Chats(c) => c.chats,
        tl::enums::messages::Chats::Slice(c) => c.chats,
    }
}
