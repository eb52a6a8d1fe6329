//! Reading Telegram's `Updates` answer to a send or an edit: which messages it reports (matched
//! by the `random_id` they were sent with), and the chats and users needed to show them.

use std::collections::HashMap;

use grammers_tl_types as tl;

use super::send::Sent;
use super::target::Target;
use super::types::{Directory, MessageInfo};
use super::{Telegram, convert};
use crate::format::Formatted;

/// Messages and peers gathered from an `Updates` answer.
#[derive(Default)]
struct Gathered {
    messages: Vec<tl::enums::Message>,
    /// `updateMessageID`: message id → the `random_id` it was sent with.
    random_ids: HashMap<i32, i64>,
    users: Vec<tl::enums::User>,
    chats: Vec<tl::enums::Chat>,
    short: Option<tl::types::UpdateShortSentMessage>,
    scheduled: bool,
}

impl Gathered {
    fn update(&mut self, update: tl::enums::Update) {
        use tl::enums::Update as U;
        match update {
            U::MessageId(u) => {
                self.random_ids.insert(u.id, u.random_id);
            }
            U::NewMessage(u) => self.messages.push(u.message),
            U::NewChannelMessage(u) => self.messages.push(u.message),
            U::EditMessage(u) => self.messages.push(u.message),
            U::EditChannelMessage(u) => self.messages.push(u.message),
            U::NewScheduledMessage(u) => {
                self.scheduled = true;
                self.messages.push(u.message);
            }
            _ => {}
        }
    }

    fn from(updates: tl::enums::Updates) -> Self {
        use tl::enums::Updates as U;
        let mut g = Gathered::default();
        match updates {
            U::Updates(u) => {
                g.users = u.users;
                g.chats = u.chats;
                u.updates.into_iter().for_each(|x| g.update(x));
            }
            U::Combined(u) => {
                g.users = u.users;
                g.chats = u.chats;
                u.updates.into_iter().for_each(|x| g.update(x));
            }
            U::UpdateShort(u) => g.update(u.update),
            U::UpdateShortSentMessage(u) => g.short = Some(u),
            U::TooLong | U::UpdateShortMessage(_) | U::UpdateShortChatMessage(_) => {}
        }
        g
    }
}

/// The `random_id`s whose messages an `Updates` answer reports (`updateMessageID`).
pub(super) fn reported_random_ids(updates: &tl::enums::Updates) -> Vec<i64> {
    let list: &[tl::enums::Update] = match updates {
        tl::enums::Updates::Updates(u) => &u.updates,
        tl::enums::Updates::Combined(u) => &u.updates,
        tl::enums::Updates::UpdateShort(u) => std::slice::from_ref(&u.update),
        _ => &[],
    };
    list.iter()
        .filter_map(|u| match u {
            tl::enums::Update::MessageId(m) => Some(m.random_id),
            _ => None,
        })
        .collect()
}

fn message_id(message: &tl::enums::Message) -> i32 {
    match message {
        tl::enums::Message::Empty(m) => m.id,
        tl::enums::Message::Message(m) => m.id,
        tl::enums::Message::Service(m) => m.id,
    }
}

impl Telegram {
    /// Turns an answer into the messages it reports, remembering its peers. With
    /// `random_ids`, keeps the messages sent with them, in their order; with `edited`, the
    /// message of that id.
    pub(super) async fn sent(
        &self,
        updates: tl::enums::Updates,
        target: &Target,
        random_ids: &[i64],
        edited: Option<i32>,
        text: &Formatted,
    ) -> Sent {
        let gathered = Gathered::from(updates);
        let directory = self.directory(&gathered.users, &gathered.chats).await;
        let mut messages: Vec<MessageInfo> = Vec::new();
        if let Some(short) = &gathered.short {
            // A text message in a private chat: Telegram only says its id and date.
            let reply_to_msg_id = match &target.reply_to {
                Some(tl::enums::InputReplyTo::Message(m)) => Some(m.reply_to_msg_id),
                _ => None,
            };
            messages.push(MessageInfo {
                id: short.id,
                chat_id: target.chat.id,
                date: short.date as i64,
                text: text.text.clone(),
                outgoing: true,
                reply_to_msg_id,
                ..Default::default()
            });
        } else {
            let by_id: HashMap<i32, &tl::enums::Message> = gathered
                .messages
                .iter()
                .map(|m| (message_id(m), m))
                .collect();
            let wanted: Vec<i32> = match edited {
                Some(id) => vec![id],
                None => {
                    let mut ids: Vec<(usize, i32)> = gathered
                        .random_ids
                        .iter()
                        .filter_map(|(id, r)| {
                            random_ids.iter().position(|x| x == r).map(|at| (at, *id))
                        })
                        .collect();
                    ids.sort();
                    ids.into_iter().map(|(_, id)| id).collect()
                }
            };
            messages = wanted
                .iter()
                .filter_map(|id| by_id.get(id))
                .filter_map(|m| convert::message(m))
                .filter(|m| {
                    m.chat_id == target.chat.id
                        || target.chat.input == tl::enums::InputPeer::PeerSelf
                })
                .collect();
        }
        self.attribute_outgoing(&mut messages).await;
        let mut directory = directory;
        self.complete_directory(&messages, target, &mut directory)
            .await;
        Sent {
            messages,
            directory,
            scheduled: gathered.scheduled,
            unconfirmed: false,
        }
    }

    /// Adds the users `messages` name that Telegram's answer did not carry — a short answer
    /// (a text in a private chat) carries none — so the echo shows the sender (the signed-in
    /// user) and the chat as `get_messages` does, never as bare ids. What the target already
    /// knows and the signed-in user (as the first contact showed them) cost nothing; the rest
    /// is one `users.getUsers` (best effort).
    async fn complete_directory(
        &self,
        messages: &[MessageInfo],
        target: &Target,
        directory: &mut Directory,
    ) {
        if let Some(info) = &target.info {
            directory
                .chats
                .entry(info.id)
                .or_insert_with(|| info.clone());
        }
        let named = messages
            .iter()
            .flat_map(|m| [Some(m.chat_id), m.sender_id])
            .flatten();
        let mut missing: Vec<i64> = Vec::new();
        for id in named {
            if directory.get(id).is_none() && !missing.contains(&id) {
                missing.push(id);
            }
        }
        if missing.is_empty() {
            return;
        }
        let me = self.self_id().await.ok();
        if let Some(profile) = self
            .me()
            .filter(|_| me.is_some_and(|id| missing.contains(&id)))
        {
            directory.extend(convert::directory(&[profile], &[]));
            missing.retain(|id| directory.get(*id).is_none());
        }
        if missing.is_empty() {
            return;
        }
        let wanted: Vec<tl::enums::InputUser> = missing
            .iter()
            .filter_map(|id| {
                if Some(*id) == me {
                    Some(tl::enums::InputUser::UserSelf)
                } else if *id == target.chat.id {
                    target.chat.input_user()
                } else {
                    None
                }
            })
            .collect();
        if wanted.is_empty() {
            return;
        }
        if let Ok(users) = self
            .invoke(&tl::functions::users::GetUsers { id: wanted })
            .await
        {
            directory.extend(self.directory(&users, &[]).await);
        }
    }
}
