//! `users.getUsers`: who the self user is (grammers' `get_me`) and users by id.

use grammers_tl_types as tl;

use super::{Ctx, RpcResult, input_user};
use crate::support::world::tl_build;

pub fn route(ctx: &Ctx, id: u32, body: &[u8]) -> Option<RpcResult<Vec<u8>>> {
    fake_dc_routes!(ctx, id, body, {
        tl::functions::users::GetUsers => get_users,
    })
}

fn get_users(
    ctx: &Ctx,
    request: tl::functions::users::GetUsers,
) -> RpcResult<Vec<tl::enums::User>> {
    ctx.require_auth()?;
    let world = ctx.world();
    // Unknown users are left out of the answer, as Telegram does.
    Ok(request
        .id
        .iter()
        .filter_map(|u| input_user(&world, u).ok())
        .filter_map(|id| world.user(id))
        .map(|u| tl_build::user(&world, u))
        .collect())
}
