//! Deleting: `messages.deleteMessages` (ids in the common message box: private chats and
//! basic groups), answered with the pts the deletion took, as Telegram does.

use grammers_tl_types as tl;

use super::{Ctx, RpcResult};

pub fn route(ctx: &Ctx, id: u32, body: &[u8]) -> Option<RpcResult<Vec<u8>>> {
    fake_dc_routes!(ctx, id, body, {
        tl::functions::messages::DeleteMessages => delete_messages,
    })
}

fn delete_messages(
    ctx: &Ctx,
    request: tl::functions::messages::DeleteMessages,
) -> RpcResult<tl::enums::messages::AffectedMessages> {
    ctx.require_auth()?;
    let mut world = ctx.world();
    let mut deleted = 0;
    for history in world
        .messages
        .iter_mut()
        .filter(|(peer, _)| !peer.is_channel())
        .map(|(_, history)| history)
    {
        for id in &request.id {
            deleted += i32::from(history.remove(id).is_some());
        }
    }
    let pts = world.pts + deleted;
    world.pts = pts;
    Ok(tl::types::messages::AffectedMessages {
        pts,
        pts_count: deleted,
    }
    .into())
}
