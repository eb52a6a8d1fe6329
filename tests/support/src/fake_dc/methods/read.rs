//! Reading state: `messages.readHistory` (private chats and basic groups, answered with the
//! pts it took), `channels.readHistory` (channels and supergroups, a `Bool`),
//! `messages.readDiscussion` (a reply or comment thread, or a forum topic by its id),
//! `messages.readMentions` / `messages.readReactions` (the whole chat, or one topic with
//! `top_msg_id`) and `messages.markDialogUnread`.
//!
//! As on Telegram, a read marker only moves forward: `max_id` 0 (or past the newest message)
//! reads everything, a `max_id` at or before the marker changes nothing and takes no pts.
//! Reading a forum's history reads each of its topics up to the same message (unless the
//! world's `history_leaves_topics`: Telegram does not document which).

use grammers_tl_types as tl;

use super::chats::{self, topic_messages};
use super::dialogs::{check_member, read_state, unread_of};
use super::{Ctx, RpcError, RpcResult, input_channel, input_peer};
use crate::world::{ChatKind, DialogSpec, Peer, TopicSpec, World};

pub fn route(ctx: &Ctx, id: u32, body: &[u8]) -> Option<RpcResult<Vec<u8>>> {
    fake_dc_routes!(ctx, id, body, {
        tl::functions::messages::ReadHistory => read_history,
        tl::functions::channels::ReadHistory => read_channel_history,
        tl::functions::messages::ReadDiscussion => read_discussion,
        tl::functions::messages::ReadMentions => read_mentions,
        tl::functions::messages::ReadReactions => read_reactions,
        tl::functions::messages::MarkDialogUnread => mark_dialog_unread,
    })
}

/// The dialog's state, created when the world file did not list it.
fn dialog_mut(world: &mut World, peer: Peer) -> &mut DialogSpec {
    world.dialogs.entry(peer).or_insert_with(|| DialogSpec {
        peer: peer.bot_api(),
        ..DialogSpec::default()
    })
}

/// The marker `max_id` asks for among messages whose newest id is `newest`.
fn target(max_id: i32, newest: i32) -> i32 {
    if max_id <= 0 || max_id > newest {
        newest
    } else {
        max_id
    }
}

/// The topic's read marker, as `getForumTopics` reports it.
fn topic_marker(world: &World, peer: Peer, topic: &TopicSpec) -> i32 {
    let messages = topic_messages(world, peer, topic.id);
    unread_of(messages, topic.unread_count, topic.read_inbox_max_id).1
}

/// Moves a topic's read marker to `upto` (never back).
fn read_topic(world: &mut World, peer: Peer, topic_id: i32, upto: i32) {
    let Some(marker) = world
        .chat(peer)
        .and_then(|c| c.topics.iter().find(|t| t.id == topic_id))
        .map(|t| topic_marker(world, peer, t))
    else {
        return;
    };
    if let Some(topic) = world
        .chats
        .get_mut(&peer)
        .and_then(|c| c.topics.iter_mut().find(|t| t.id == topic_id))
    {
        topic.read_inbox_max_id = Some(marker.max(upto));
    }
}

/// Moves the dialog's read marker (and its topics', unless the world's `history_leaves_topics`)
/// to `max_id`; whether the dialog's moved.
fn read_dialog(world: &mut World, peer: Peer, max_id: i32) -> bool {
    let newest = world.history(peer).next().map_or(0, |m| m.id);
    let (_, marker) = read_state(world, peer);
    let upto = target(max_id, newest);
    let topics: Vec<i32> = match world.chat(peer) {
        Some(chat) if !world.history_leaves_topics => chat.topics.iter().map(|t| t.id).collect(),
        _ => Vec::new(),
    };
    for topic in topics {
        read_topic(world, peer, topic, upto);
    }
    if upto <= marker {
        return false;
    }
    dialog_mut(world, peer).read_inbox_max_id = Some(upto);
    true
}

fn read_history(
    ctx: &Ctx,
    request: tl::functions::messages::ReadHistory,
) -> RpcResult<tl::enums::messages::AffectedMessages> {
    ctx.require_auth()?;
    let mut world = ctx.world();
    let peer = input_peer(&world, &request.peer)?;
    // Channels and supergroups are read with `channels.readHistory`.
    if peer.is_channel() {
        return Err(RpcError::bad_request("PEER_ID_INVALID"));
    }
    check_member(&world, peer)?;
    let moved = read_dialog(&mut world, peer, request.max_id);
    let pts = if moved {
        world.bump_pts(peer)
    } else {
        world.pts
    };
    Ok(tl::types::messages::AffectedMessages {
        pts,
        pts_count: i32::from(moved),
    }
    .into())
}

fn read_channel_history(
    ctx: &Ctx,
    request: tl::functions::channels::ReadHistory,
) -> RpcResult<bool> {
    ctx.require_auth()?;
    let mut world = ctx.world();
    let peer = input_channel(&world, &request.channel)?;
    check_member(&world, peer)?;
    read_dialog(&mut world, peer, request.max_id);
    Ok(true)
}

fn read_discussion(ctx: &Ctx, request: tl::functions::messages::ReadDiscussion) -> RpcResult<bool> {
    ctx.require_auth()?;
    let mut world = ctx.world();
    let peer = input_peer(&world, &request.peer)?;
    check_member(&world, peer)?;
    let invalid = || RpcError::bad_request("MSG_ID_INVALID");
    let chat = world
        .chat(peer)
        .filter(|c| c.kind == ChatKind::Supergroup)
        .ok_or_else(|| RpcError::bad_request("PEER_ID_INVALID"))?;
    if chat.forum && chat.topics.iter().any(|t| t.id == request.msg_id) {
        let newest = topic_messages(&world, peer, request.msg_id)
            .next()
            .map_or(0, |m| m.id);
        read_topic(
            &mut world,
            peer,
            request.msg_id,
            target(request.read_max_id, newest),
        );
        return Ok(true);
    }
    // A reply belongs to its root's thread.
    let msg = world.message(peer, request.msg_id).ok_or_else(invalid)?;
    let root = chats::thread_root(msg).unwrap_or(msg.id);
    let newest = world.thread(peer, root).next().map_or(0, |m| m.id);
    let upto = target(request.read_max_id, newest);
    let marker = world.thread_reads.entry((peer, root)).or_insert(0);
    *marker = (*marker).max(upto);
    Ok(true)
}

/// Which unread counter a request clears.
#[derive(Clone, Copy)]
enum Counter {
    Mentions,
    Reactions,
}

impl Counter {
    fn of_dialog(self, d: &mut DialogSpec) -> &mut i32 {
        match self {
            Self::Mentions => &mut d.unread_mentions_count,
            Self::Reactions => &mut d.unread_reactions_count,
        }
    }

    fn of_topic(self, t: &mut TopicSpec) -> &mut i32 {
        match self {
            Self::Mentions => &mut t.unread_mentions_count,
            Self::Reactions => &mut t.unread_reactions_count,
        }
    }
}

/// Clears `counter` for the chat (and every topic), or for one topic (and its share of the
/// chat's); answers with the pts it took (none when nothing was unread).
fn clear(
    ctx: &Ctx,
    peer: &tl::enums::InputPeer,
    top_msg_id: Option<i32>,
    counter: Counter,
) -> RpcResult<tl::enums::messages::AffectedHistory> {
    ctx.require_auth()?;
    let mut world = ctx.world();
    let peer = input_peer(&world, peer)?;
    check_member(&world, peer)?;
    let cleared = match top_msg_id {
        Some(topic_id) => {
            let topic = world
                .chats
                .get_mut(&peer)
                .filter(|c| c.forum)
                .and_then(|c| c.topics.iter_mut().find(|t| t.id == topic_id))
                .ok_or_else(|| RpcError::bad_request("TOPIC_ID_INVALID"))?;
            let count = std::mem::take(counter.of_topic(topic));
            let total = counter.of_dialog(dialog_mut(&mut world, peer));
            *total = (*total - count).max(0);
            count
        }
        None => {
            if let Some(chat) = world.chats.get_mut(&peer) {
                for topic in &mut chat.topics {
                    *counter.of_topic(topic) = 0;
                }
            }
            std::mem::take(counter.of_dialog(dialog_mut(&mut world, peer)))
        }
    };
    let pts = if cleared > 0 {
        world.bump_pts(peer)
    } else {
        match peer {
            Peer::Channel(id) => world.channel_pts.get(&id).copied().unwrap_or(1),
            _ => world.pts,
        }
    };
    Ok(tl::types::messages::AffectedHistory {
        pts,
        pts_count: i32::from(cleared > 0),
        offset: 0,
    }
    .into())
}

fn read_mentions(
    ctx: &Ctx,
    request: tl::functions::messages::ReadMentions,
) -> RpcResult<tl::enums::messages::AffectedHistory> {
    clear(ctx, &request.peer, request.top_msg_id, Counter::Mentions)
}

fn read_reactions(
    ctx: &Ctx,
    request: tl::functions::messages::ReadReactions,
) -> RpcResult<tl::enums::messages::AffectedHistory> {
    clear(ctx, &request.peer, request.top_msg_id, Counter::Reactions)
}

fn mark_dialog_unread(
    ctx: &Ctx,
    request: tl::functions::messages::MarkDialogUnread,
) -> RpcResult<bool> {
    ctx.require_auth()?;
    let mut world = ctx.world();
    let tl::enums::InputDialogPeer::Peer(p) = &request.peer else {
        return Err(RpcError::bad_request("PEER_ID_INVALID"));
    };
    let peer = input_peer(&world, &p.peer)?;
    check_member(&world, peer)?;
    dialog_mut(&mut world, peer).unread_mark = request.unread;
    Ok(true)
}
