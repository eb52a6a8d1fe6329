//! Forwarding: `messages.forwardMessages`, as Telegram answers it. Each id of `from_peer` that
//! exists (service messages and missing ids are skipped; none at all is `400
//! MESSAGE_ID_INVALID`) becomes a new message of `to_peer`, with its text, entities and media,
//! and a forward header naming the original author and date (a message that was itself
//! forwarded keeps its first header) — or none with `drop_author`, a copy. A chat with
//! protected content (`noforwards`) refuses with `400 CHAT_FORWARDS_RESTRICTED`. `top_msg_id`
//! puts the copies in a forum topic, `reply_to` makes them replies; `schedule_date` schedules
//! them. The answer is the send's `updates { updateMessageID…, updateNew(Channel)Message… }`,
//! and a repeated `random_id` gets the first answer again, as for every send.

use grammers_tl_types as tl;

use super::send::{
    outbox, place_reply, resent, schedule_for, scheduled_updates, sent_updates, store_outgoing,
    writable,
};
use super::{Ctx, RpcError, RpcResult, input_peer};
use crate::world::{Msg, Peer};

pub fn route(ctx: &Ctx, id: u32, body: &[u8]) -> Option<RpcResult<Vec<u8>>> {
    fake_dc_routes!(ctx, id, body, {
        tl::functions::messages::ForwardMessages => forward_messages,
    })
}

fn forward_messages(
    ctx: &Ctx,
    request: tl::functions::messages::ForwardMessages,
) -> RpcResult<tl::enums::Updates> {
    ctx.require_auth()?;
    let mut world = ctx.world();
    let from = input_peer(&world, &request.from_peer)?;
    let to = input_peer(&world, &request.to_peer)?;
    if request.id.is_empty() {
        return Err(RpcError::bad_request("MESSAGE_IDS_EMPTY"));
    }
    if request.id.len() != request.random_id.len() {
        return Err(RpcError::bad_request("RANDOM_ID_INVALID"));
    }
    outbox(ctx.dc).not_in_flight(&request.random_id)?;
    if let Some(answer) = resent(&mut world, &request.random_id, false) {
        return Ok(answer);
    }
    let mut outbox = outbox(ctx.dc);
    let send = &mut *outbox;
    if let Some(answer) = send.resent_scheduled(&world, &request.random_id) {
        return Ok(answer);
    }
    if let Some(chat) = world.chat(from) {
        if chat.left && chat.username.is_none() {
            return Err(RpcError::bad_request("CHANNEL_PRIVATE"));
        }
        if chat.noforwards {
            return Err(RpcError::bad_request("CHAT_FORWARDS_RESTRICTED"));
        }
    }
    writable(&world, to)?;
    let topic_header = request.top_msg_id.map(|top| {
        tl::types::InputReplyToMessage {
            reply_to_msg_id: top,
            top_msg_id: Some(top),
            reply_to_peer_id: None,
            quote_text: None,
            quote_entities: None,
            quote_offset: None,
            monoforum_peer_id: None,
            todo_item_id: None,
            poll_option: None,
        }
        .into()
    });
    let reply_to = request.reply_to.as_ref().or(topic_header.as_ref());
    let placement = place_reply(&world, to, reply_to)?;
    let schedule = schedule_for(&world, send, to, request.schedule_date)?;
    let originals: Vec<(Msg, i64)> = request
        .id
        .iter()
        .zip(&request.random_id)
        .filter_map(|(id, random_id)| {
            let msg = world.message(from, *id)?;
            (msg.action.is_none() && !world.is_hidden(msg)).then(|| (msg.clone(), *random_id))
        })
        .collect();
    if originals.is_empty() {
        return Err(RpcError::bad_request("MESSAGE_ID_INVALID"));
    }
    send.processing(&request.random_id);
    let saved = to == Peer::User(world.self_id);
    let mut sent = Vec::new();
    for (original, random_id) in originals {
        let header = (!request.drop_author).then(|| forward_header(&original, saved));
        let fill = |m: &mut Msg| {
            m.text = original.text.clone();
            m.entities = original.entities.clone();
            m.media = original.media.clone();
            m.fwd_from = header;
            m.reply_to_msg_id = placement.reply_to_msg_id;
            m.top_id = placement.top_id;
            m.forum_topic = placement.forum_topic;
        };
        let msg = match schedule {
            Some(date) => send.store_scheduled(&world, to, date, random_id, fill),
            None => {
                let msg = store_outgoing(&mut world, to, fill);
                world.sent_by_random_id.insert(random_id, (to, msg.id));
                msg
            }
        };
        sent.push((msg, random_id));
    }
    if schedule.is_some() {
        return Ok(scheduled_updates(&world, &sent));
    }
    drop(outbox);
    Ok(sent_updates(&mut world, &sent, false))
}

/// The forward header of a copy of `original`: its first header if it was forwarded itself,
/// else its author (the channel, for a post) and date; into Saved Messages also where it was
/// saved from.
fn forward_header(original: &Msg, saved: bool) -> tl::enums::MessageFwdHeader {
    if let Some(first) = &original.fwd_from {
        return first.clone();
    }
    let author = if original.post {
        Some(original.peer)
    } else {
        original.from
    };
    tl::types::MessageFwdHeader {
        imported: false,
        saved_out: false,
        from_id: author.map(Peer::to_tl),
        from_name: None,
        date: original.date,
        channel_post: original.post.then_some(original.id),
        post_author: None,
        saved_from_peer: saved.then(|| original.peer.to_tl()),
        saved_from_msg_id: saved.then_some(original.id),
        saved_from_id: None,
        saved_from_name: None,
        saved_date: None,
        psa_type: None,
    }
    .into()
}
