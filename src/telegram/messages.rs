//! Reading messages: history, search in a chat, by id, thread replies and a channel post's
//! discussion. Each answer's peers are remembered for later resolution.

use grammers_tl_types as tl;

use super::peers::Resolved;
use super::types::MessagePage;
use super::{Telegram, TelegramError, convert};

/// Telegram's largest page for message lists.
pub const PAGE_MAX: i32 = 100;

/// A message-listing request (`messages.getHistory`, `search`, `getReplies`): at most
/// `limit` messages (Telegram's [`PAGE_MAX`] at most), no id bounds, no cache hash. The braces
/// hold the request's own fields.
macro_rules! listing {
    ($($request:ident)::+ { $($field:ident $(: $value:expr)?),* $(,)? }, $limit:expr $(,)?) => {
        $($request)::+ {
            $($field $(: $value)?,)*
            limit: $limit.min(PAGE_MAX),
            max_id: 0,
            min_id: 0,
            hash: 0,
        }
    };
}

/// Which messages of a chat a listing covers.
#[derive(Debug, Clone, Copy, Default)]
pub struct Window {
    /// Only messages older than this id (0: from the newest).
    pub offset_id: i32,
    /// Only messages older than this Unix time (0: no bound).
    pub offset_date: i32,
    pub limit: i32,
    /// Only messages newer than this Unix time (search only; 0: no bound).
    pub min_date: i32,
    /// Only messages up to this Unix time (search only; 0: no bound).
    pub max_date: i32,
}

/// Where the thread of a message is.
#[derive(Debug, Clone)]
pub enum ThreadAt {
    /// A channel post's comments, in its discussion group.
    Comments(Box<Discussion>),
    /// A thread of the chat itself, rooted at this message: the message asked about when it
    /// opens the thread, the thread's first message when it is a reply inside one.
    Root(i32),
}

/// A channel post's discussion: where its comments live.
#[derive(Debug, Clone)]
pub struct Discussion {
    pub group: Resolved,
    /// The post's copy in the discussion group: the root of the comment thread.
    pub top_id: i32,
    pub page: MessagePage,
}

impl Telegram {
    /// Converts a `messages.Messages` answer, remembering its peers.
    pub(crate) async fn page(&self, answer: tl::enums::messages::Messages) -> MessagePage {
        let (users, chats) = match &answer {
            tl::enums::messages::Messages::Messages(m) => (&m.users, &m.chats),
            tl::enums::messages::Messages::Slice(m) => (&m.users, &m.chats),
            tl::enums::messages::Messages::ChannelMessages(m) => (&m.users, &m.chats),
            tl::enums::messages::Messages::NotModified(_) => return MessagePage::default(),
        };
        self.remember(users, chats).await;
        let mut page = convert::page(answer);
        self.attribute_outgoing(&mut page.messages).await;
        page
    }

    /// Sends a message-listing request and converts its answer.
    async fn list<R>(&self, request: R) -> Result<MessagePage, TelegramError>
    where
        R: tl::RemoteCall<Return = tl::enums::messages::Messages>,
    {
        let answer = self.invoke(&request).await?;
        Ok(self.page(answer).await)
    }

    /// Outgoing private messages carry no sender: it is the signed-in user.
    pub async fn attribute_outgoing(&self, messages: &mut [super::types::MessageInfo]) {
        if messages.iter().any(|m| m.outgoing && m.sender_id.is_none())
            && let Ok(me) = self.self_id().await
        {
            for m in messages
                .iter_mut()
                .filter(|m| m.outgoing && m.sender_id.is_none())
            {
                m.sender_id = Some(me);
            }
        }
    }

    pub async fn history(
        &self,
        chat: &Resolved,
        window: Window,
    ) -> Result<MessagePage, TelegramError> {
        self.get_history(chat, window.offset_id, window.offset_date, 0, window.limit)
            .await
    }

    /// Messages around `id`: `before` older ones and `after` newer ones, plus the message.
    pub async fn around(
        &self,
        chat: &Resolved,
        id: i32,
        before: i32,
        after: i32,
    ) -> Result<MessagePage, TelegramError> {
        self.get_history(chat, id + 1, 0, -after, before + after + 1)
            .await
    }

    /// `messages.getHistory` with Telegram's offset parameters.
    async fn get_history(
        &self,
        chat: &Resolved,
        offset_id: i32,
        offset_date: i32,
        add_offset: i32,
        limit: i32,
    ) -> Result<MessagePage, TelegramError> {
        self.list(listing!(
            tl::functions::messages::GetHistory {
                peer: chat.input.clone(),
                offset_id,
                offset_date,
                add_offset,
            },
            limit,
        ))
        .await
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn search(
        &self,
        chat: &Resolved,
        query: &str,
        from: Option<&Resolved>,
        top_msg_id: Option<i32>,
        window: Window,
    ) -> Result<MessagePage, TelegramError> {
        self.list(listing!(
            tl::functions::messages::Search {
                peer: chat.input.clone(),
                q: query.to_string(),
                from_id: from.map(|f| f.input.clone()),
                saved_peer_id: None,
                saved_reaction: None,
                top_msg_id,
                filter: tl::enums::MessagesFilter::InputMessagesFilterEmpty,
                min_date: window.min_date,
                max_date: window.max_date,
                offset_id: window.offset_id,
                add_offset: 0,
            },
            window.limit,
        ))
        .await
    }

    pub async fn by_ids(&self, chat: &Resolved, ids: &[i32]) -> Result<MessagePage, TelegramError> {
        let id: Vec<tl::enums::InputMessage> = ids
            .iter()
            .map(|id| tl::types::InputMessageId { id: *id }.into())
            .collect();
        let answer = match chat.input_channel() {
            Some(channel) => {
                self.invoke(&tl::functions::channels::GetMessages { channel, id })
                    .await?
            }
            None => {
                self.invoke(&tl::functions::messages::GetMessages { id })
                    .await?
            }
        };
        let mut page = self.page(answer).await;
        // messages.getMessages searches the whole account: keep this chat's only.
        page.messages.retain(|m| m.chat_id == chat.id);
        Ok(page)
    }

    /// The replies of a thread: a forum topic's messages, a group message's replies, or (with
    /// the channel as `chat`) a channel post's comments.
    pub async fn replies(
        &self,
        chat: &Resolved,
        msg_id: i32,
        window: Window,
    ) -> Result<MessagePage, TelegramError> {
        self.list(listing!(
            tl::functions::messages::GetReplies {
                peer: chat.input.clone(),
                msg_id,
                offset_id: window.offset_id,
                offset_date: window.offset_date,
                add_offset: 0,
            },
            window.limit,
        ))
        .await
    }

    /// Where a channel post's comments are, if it has a discussion group.
    pub async fn discussion(
        &self,
        channel: &Resolved,
        post_id: i32,
    ) -> Result<Option<Discussion>, TelegramError> {
        Ok(match self.thread_at(channel, post_id).await? {
            Some(ThreadAt::Comments(d)) => Some(*d),
            _ => None,
        })
    }

    /// The thread a message of a supergroup or channel opens or belongs to, as
    /// `messages.getDiscussionMessage` names it (none when Telegram knows of none).
    pub async fn thread_at(
        &self,
        chat: &Resolved,
        msg_id: i32,
    ) -> Result<Option<ThreadAt>, TelegramError> {
        let answer = match self
            .invoke(&tl::functions::messages::GetDiscussionMessage {
                peer: chat.input.clone(),
                msg_id,
            })
            .await
        {
            Ok(answer) => answer,
            Err(TelegramError::Rpc { name, .. }) if name == "MSG_ID_INVALID" => return Ok(None),
            Err(e) => return Err(e),
        };
        let tl::enums::messages::DiscussionMessage::Message(d) = answer;
        self.remember(&d.users, &d.chats).await;
        let page = MessagePage {
            messages: d.messages.iter().filter_map(convert::message).collect(),
            directory: convert::directory(&d.users, &d.chats),
            total: None,
            ..MessagePage::default()
        };
        let Some(root) = page.messages.iter().min_by_key(|m| m.id).cloned() else {
            return Ok(None);
        };
        if root.chat_id == chat.id {
            return Ok(Some(ThreadAt::Root(root.id)));
        }
        let group = self.resolve(&root.chat_id.to_string()).await?;
        Ok(Some(ThreadAt::Comments(Box::new(Discussion {
            group,
            top_id: root.id,
            page,
        }))))
    }
}
