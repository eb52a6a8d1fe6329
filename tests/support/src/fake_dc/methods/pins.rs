//! Pinning: `messages.updatePinnedMessage`. Anyone pins in a private chat; in groups and
//! channels it takes the right to pin (here: the self user created the chat), else `400
//! CHAT_ADMIN_REQUIRED`. A missing message is `400 MESSAGE_ID_INVALID`. The answer is
//! `updates { updatePinnedMessages }` (`updatePinnedChannelMessages` in channels); pinning a
//! pinned message or unpinning an unpinned one changes nothing and answers the same. The pinned
//! state shows in the message's `pinned` flag and in `pinned_msg_id` of the chat's full
//! profile. (Telegram also posts a "pinned a message" service message; this DC does not.)

use grammers_tl_types as tl;

use super::{Ctx, RpcError, RpcResult, input_peer};
use crate::world::Peer;
use crate::world::tl_build::{self, Mentioned};

pub fn route(ctx: &Ctx, id: u32, body: &[u8]) -> Option<RpcResult<Vec<u8>>> {
    fake_dc_routes!(ctx, id, body, {
        tl::functions::messages::UpdatePinnedMessage => update_pinned_message,
    })
}

fn update_pinned_message(
    ctx: &Ctx,
    request: tl::functions::messages::UpdatePinnedMessage,
) -> RpcResult<tl::enums::Updates> {
    ctx.require_auth()?;
    let mut world = ctx.world();
    let peer = input_peer(&world, &request.peer)?;
    if let Some(chat) = world.chat(peer) {
        if chat.left {
            return Err(RpcError::bad_request("CHANNEL_PRIVATE"));
        }
        if !chat.creator {
            return Err(RpcError::bad_request("CHAT_ADMIN_REQUIRED"));
        }
    }
    let msg = world
        .messages
        .get_mut(&peer)
        .and_then(|h| h.get_mut(&request.id))
        .filter(|m| m.action.is_none())
        .ok_or(RpcError::bad_request("MESSAGE_ID_INVALID"))?;
    let pinned = !request.unpin;
    let changed = msg.pinned != pinned;
    msg.pinned = pinned;
    let pts_count = i32::from(changed);
    let pts = if changed {
        world.bump_pts(peer)
    } else {
        match peer {
            Peer::Channel(id) => world.channel_pts.get(&id).copied().unwrap_or(1),
            _ => world.pts,
        }
    };
    let messages = vec![request.id];
    let update: tl::enums::Update = match peer {
        Peer::Channel(channel_id) => tl::types::UpdatePinnedChannelMessages {
            pinned,
            channel_id,
            messages,
            pts,
            pts_count,
        }
        .into(),
        _ => tl::types::UpdatePinnedMessages {
            pinned,
            peer: peer.to_tl(),
            messages,
            pts,
            pts_count,
        }
        .into(),
    };
    let mut mentioned = Mentioned::default();
    mentioned.peer(peer);
    Ok(tl_build::updates(&world, vec![update], &mentioned))
}
