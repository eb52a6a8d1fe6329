//! `updates.*`: the update state grammers asks for (`is_authorized` uses `getState`), and an
//! empty difference (the DC pushes no updates of its own).

use grammers_tl_types as tl;

use super::{Ctx, RpcResult};
use crate::world::tl_build::now;

pub fn route(ctx: &Ctx, id: u32, body: &[u8]) -> Option<RpcResult<Vec<u8>>> {
    fake_dc_routes!(ctx, id, body, {
        tl::functions::updates::GetState => get_state,
        tl::functions::updates::GetDifference => get_difference,
        tl::functions::updates::GetChannelDifference => get_channel_difference,
    })
}

fn get_state(
    ctx: &Ctx,
    _: tl::functions::updates::GetState,
) -> RpcResult<tl::enums::updates::State> {
    ctx.require_auth()?;
    let pts = ctx.world().pts;
    Ok(tl::types::updates::State {
        pts,
        qts: 0,
        date: now(),
        seq: 1,
        unread_count: 0,
    }
    .into())
}

fn get_difference(
    ctx: &Ctx,
    _: tl::functions::updates::GetDifference,
) -> RpcResult<tl::enums::updates::Difference> {
    ctx.require_auth()?;
    Ok(tl::types::updates::DifferenceEmpty {
        date: now(),
        seq: 1,
    }
    .into())
}

fn get_channel_difference(
    ctx: &Ctx,
    request: tl::functions::updates::GetChannelDifference,
) -> RpcResult<tl::enums::updates::ChannelDifference> {
    ctx.require_auth()?;
    let world = ctx.world();
    let channel = super::input_channel(&world, &request.channel)?;
    let pts = world
        .channel_pts
        .get(&channel.bare_id())
        .copied()
        .unwrap_or(1);
    Ok(tl::types::updates::ChannelDifferenceEmpty {
        r#final: true,
        pts,
        timeout: Some(30),
    }
    .into())
}
