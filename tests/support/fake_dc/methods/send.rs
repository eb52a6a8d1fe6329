//! Sending: `messages.sendMessage`. Answers with `updateShortSentMessage` in private chats and
//! `updates { updateMessageID, updateNew(Channel)Message }` elsewhere, as Telegram does (other
//! `Updates` variants make grammers panic). A repeated `random_id` (a client retrying on a new
//! connection) gets the original message back instead of a second copy.

use grammers_tl_types as tl;

use super::{Ctx, RpcError, RpcResult, input_peer};
use crate::support::world::tl_build::{self, Mentioned, now};
use crate::support::world::{ChatKind, Msg, Peer, World};

/// Telegram's limit for a message text, in UTF-16 code units.
pub const MESSAGE_LENGTH_MAX: usize = 4096;

pub fn route(ctx: &Ctx, id: u32, body: &[u8]) -> Option<RpcResult<Vec<u8>>> {
    fake_dc_routes!(ctx, id, body, {
        tl::functions::messages::SendMessage => send_message,
    })
}

/// Checks the self user may post in `peer`.
pub fn writable(world: &World, peer: Peer) -> RpcResult<()> {
    match world.chat(peer) {
        None => Ok(()),
        Some(chat) if chat.left => Err(RpcError::new(
            403,
            if peer.is_channel() { "CHANNEL_PRIVATE" } else { "CHAT_WRITE_FORBIDDEN" },
        )),
        Some(chat) if chat.kind == ChatKind::Channel && !chat.creator => {
            Err(RpcError::new(403, "CHAT_ADMIN_REQUIRED"))
        }
        Some(_) => Ok(()),
    }
}

/// Where a reply lands: the message it answers and the thread (or forum topic) it is in.
pub struct ReplyPlacement {
    pub reply_to_msg_id: Option<i32>,
    pub top_id: Option<i32>,
    pub forum_topic: bool,
}

pub fn place_reply(world: &World, peer: Peer, reply_to: Option<&tl::enums::InputReplyTo>) -> RpcResult<ReplyPlacement> {
    let forum = world.chat(peer).is_some_and(|c| c.forum);
    let mut placement = ReplyPlacement {
        reply_to_msg_id: None,
        top_id: None,
        forum_topic: false,
    };
    let Some(tl::enums::InputReplyTo::Message(reply)) = reply_to else {
        return Ok(placement);
    };
    let target = world.message(peer, reply.reply_to_msg_id);
    if target.is_none() && reply.top_msg_id.is_none() {
        return Err(RpcError::bad_request("REPLY_MESSAGE_ID_INVALID"));
    }
    placement.reply_to_msg_id = Some(reply.reply_to_msg_id);
    if forum {
        let topic = reply
            .top_msg_id
            .or_else(|| target.and_then(|t| if t.forum_topic { t.top_id } else { None }))
            .or_else(|| {
                let is_topic = world
                    .chat(peer)
                    .is_some_and(|c| c.topics.iter().any(|t| t.id == reply.reply_to_msg_id));
                is_topic.then_some(reply.reply_to_msg_id)
            });
        if let Some(topic) = topic {
            placement.forum_topic = true;
            placement.top_id = Some(topic);
        }
    } else if let Some(target) = target {
        if let Some(root) = target.top_id {
            placement.top_id = Some(root);
        } else if target.reply_to_msg_id.is_some() {
            placement.top_id = target.reply_to_msg_id;
        }
    }
    Ok(placement)
}

/// Stores a new outgoing message in `peer` and returns it.
pub fn store_outgoing(world: &mut World, peer: Peer, fill: impl FnOnce(&mut Msg)) -> Msg {
    let id = world.allocate_id(peer);
    let broadcast = world.chat(peer).is_some_and(|c| c.kind == ChatKind::Channel);
    let mut msg = Msg::new(peer, id, Some(Peer::User(world.self_id)), now());
    msg.out = true;
    msg.post = broadcast;
    if broadcast {
        msg.from = None;
        msg.views = Some(1);
    }
    fill(&mut msg);
    world.insert(msg.clone());
    msg
}

/// The `Updates` answer for messages just sent, in the shape Telegram uses for `peer`.
pub fn sent_updates(world: &mut World, msgs: &[(Msg, i64)], short_ok: bool) -> tl::enums::Updates {
    let peer = msgs[0].0.peer;
    if short_ok && msgs.len() == 1 && matches!(peer, Peer::User(_)) {
        let msg = &msgs[0].0;
        let pts = world.bump_pts(peer);
        return tl::types::UpdateShortSentMessage {
            out: true,
            id: msg.id,
            pts,
            pts_count: 1,
            date: msg.date,
            media: msg.media.clone(),
            entities: (!msg.entities.is_empty()).then(|| msg.entities.clone()),
            ttl_period: None,
        }
        .into();
    }
    let mut updates: Vec<tl::enums::Update> = Vec::new();
    let mut mentioned = Mentioned::default();
    for (msg, random_id) in msgs {
        updates.push(tl::types::UpdateMessageId { id: msg.id, random_id: *random_id }.into());
    }
    for (msg, _) in msgs {
        mentioned.message(msg);
        let pts = world.bump_pts(peer);
        let message = tl_build::message(world, msg);
        updates.push(if peer.is_channel() {
            tl::types::UpdateNewChannelMessage { message, pts, pts_count: 1 }.into()
        } else {
            tl::types::UpdateNewMessage { message, pts, pts_count: 1 }.into()
        });
    }
    mentioned.peer(Peer::User(world.self_id));
    tl::types::Updates {
        updates,
        users: mentioned.users(world),
        chats: mentioned.chats(world),
        date: now(),
        seq: 0,
    }
    .into()
}

pub fn check_text(text: &str) -> RpcResult<()> {
    if text.encode_utf16().count() > MESSAGE_LENGTH_MAX {
        return Err(RpcError::bad_request("MESSAGE_TOO_LONG"));
    }
    Ok(())
}

fn send_message(ctx: &Ctx, request: tl::functions::messages::SendMessage) -> RpcResult<tl::enums::Updates> {
    ctx.require_auth()?;
    let mut world = ctx.world();
    let peer = input_peer(&world, &request.peer)?;
    if let Some((sent_peer, id)) = world.sent_by_random_id.get(&request.random_id).copied() {
        let msg = world.message(sent_peer, id).cloned().ok_or(RpcError::new(500, "RANDOM_ID_DUPLICATE"))?;
        return Ok(sent_updates(&mut world, &[(msg, request.random_id)], true));
    }
    writable(&world, peer)?;
    if request.message.trim().is_empty() {
        return Err(RpcError::bad_request("MESSAGE_EMPTY"));
    }
    check_text(&request.message)?;
    let placement = place_reply(&world, peer, request.reply_to.as_ref())?;
    let msg = store_outgoing(&mut world, peer, |m| {
        m.text = request.message.clone();
        m.entities = request.entities.clone().unwrap_or_default();
        m.reply_to_msg_id = placement.reply_to_msg_id;
        m.top_id = placement.top_id;
        m.forum_topic = placement.forum_topic;
        m.reply_markup = request.reply_markup.clone();
    });
    world.sent_by_random_id.insert(request.random_id, (peer, msg.id));
    Ok(sent_updates(&mut world, &[(msg, request.random_id)], true))
}
