//! Deleting, as Telegram does (core.telegram.org's `messages.deleteMessages` and
//! `channels.deleteMessages`, TDLib's `deleteMessages`):
//!
//! - `messages.deleteMessages` takes ids of the common message box (private chats and basic
//!   groups). Each is gone for the self user; with `revoke` also for the other side of a
//!   private chat, and in a basic group for everyone when it is the self user's own message or
//!   the self user created the group (else only for the self user, as Telegram does silently).
//! - `channels.deleteMessages` deletes for every member, always: the self user's own messages,
//!   or anyone's when it created the chat; anyone else's answers `403
//!   MESSAGE_DELETE_FORBIDDEN` and deletes nothing.
//!
//! Ids that do not exist (or are already deleted) are skipped: both answer
//! `messages.affectedMessages` whose `pts_count` is the number actually deleted, so deleting
//! twice answers 0. Deleted-for-everyone messages are noted in [`World::revoked`].

use grammers_tl_types as tl;

use super::{Ctx, RpcError, RpcResult, input_channel};
use crate::world::{ChatKind, Peer, World};

pub fn route(ctx: &Ctx, id: u32, body: &[u8]) -> Option<RpcResult<Vec<u8>>> {
    fake_dc_routes!(ctx, id, body, {
        tl::functions::messages::DeleteMessages => delete_messages,
        tl::functions::channels::DeleteMessages => delete_channel_messages,
    })
}

fn affected(pts: i32, pts_count: i32) -> tl::enums::messages::AffectedMessages {
    tl::types::messages::AffectedMessages { pts, pts_count }.into()
}

fn delete_messages(
    ctx: &Ctx,
    request: tl::functions::messages::DeleteMessages,
) -> RpcResult<tl::enums::messages::AffectedMessages> {
    ctx.require_auth()?;
    let mut world = ctx.world();
    let world = &mut *world;
    let me = Peer::User(world.self_id);
    let mut deleted = 0;
    for id in &request.id {
        let Some(peer) = common_box_peer(world, *id) else {
            continue;
        };
        let Some(msg) = world.messages.get_mut(&peer).and_then(|h| h.remove(id)) else {
            continue;
        };
        deleted += 1;
        let for_everyone = match peer {
            Peer::User(_) => request.revoke && peer != me,
            _ => {
                let owner = world.chats.get(&peer).is_some_and(|c| c.creator);
                request.revoke && (msg.out || owner)
            }
        };
        if for_everyone {
            world.revoked.insert((peer, *id));
        }
    }
    world.pts += deleted;
    Ok(affected(world.pts, deleted))
}

/// The private chat or basic group holding message `id` of the common box.
fn common_box_peer(world: &World, id: i32) -> Option<Peer> {
    world
        .messages
        .iter()
        .find(|(peer, history)| !peer.is_channel() && history.contains_key(&id))
        .map(|(peer, _)| *peer)
}

fn delete_channel_messages(
    ctx: &Ctx,
    request: tl::functions::channels::DeleteMessages,
) -> RpcResult<tl::enums::messages::AffectedMessages> {
    ctx.require_auth()?;
    let mut world = ctx.world();
    let peer = input_channel(&world, &request.channel)?;
    let chat = world
        .chat(peer)
        .ok_or(RpcError::bad_request("CHANNEL_INVALID"))?;
    if chat.left {
        return Err(RpcError::bad_request("CHANNEL_PRIVATE"));
    }
    let owner = chat.creator;
    let broadcast = chat.kind == ChatKind::Channel;
    let present: Vec<i32> = request
        .id
        .iter()
        .copied()
        .filter(|id| world.message(peer, *id).is_some())
        .collect();
    let forbidden = present.iter().any(|id| {
        world
            .message(peer, *id)
            .is_some_and(|m| !owner && (broadcast || !m.out))
    });
    if forbidden {
        return Err(RpcError::new(403, "MESSAGE_DELETE_FORBIDDEN"));
    }
    if let Some(history) = world.messages.get_mut(&peer) {
        for id in &present {
            history.remove(id);
        }
    }
    world.revoked.extend(present.iter().map(|id| (peer, *id)));
    let deleted = present.len() as i32;
    let pts = world.channel_pts.entry(peer.bare_id()).or_insert(1);
    *pts += deleted;
    Ok(affected(*pts, deleted))
}
