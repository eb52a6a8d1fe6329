//! `users.getUsers`: who the self user is (grammers' `get_me`) and users by id. Also two
//! answers that carry secrets, for `invoke_mtproto`'s redaction: the account's sessions
//! (`account.getAuthorizations`, with their hashes) and a group call's RTMP stream key.

use grammers_tl_types as tl;

use super::{Ctx, RpcResult, input_user};
use crate::world::tl_build;

pub fn route(ctx: &Ctx, id: u32, body: &[u8]) -> Option<RpcResult<Vec<u8>>> {
    fake_dc_routes!(ctx, id, body, {
        tl::functions::users::GetUsers => get_users,
        tl::functions::account::GetAuthorizations => get_authorizations,
        tl::functions::phone::GetGroupCallStreamRtmpUrl => get_group_call_stream_rtmp_url,
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

/// The session hash every answer of `account.getAuthorizations` carries.
pub const SESSION_HASH: i64 = 7_340_251_998_011;
/// The RTMP stream key `phone.getGroupCallStreamRtmpUrl` answers.
pub const RTMP_KEY: &str = "1234567890:stream-key-secret";

fn get_authorizations(
    ctx: &Ctx,
    _: tl::functions::account::GetAuthorizations,
) -> RpcResult<tl::enums::account::Authorizations> {
    ctx.require_auth()?;
    let now = tl_build::now();
    let authorization = tl::types::Authorization {
        current: true,
        official_app: false,
        password_pending: false,
        encrypted_requests_disabled: false,
        call_requests_disabled: false,
        unconfirmed: false,
        hash: SESSION_HASH,
        device_model: "fake-dc".into(),
        platform: "linux".into(),
        system_version: "1".into(),
        api_id: 1,
        app_name: "fast-mcp-telegram".into(),
        app_version: "0".into(),
        date_created: now - 3600,
        date_active: now,
        ip: "127.0.0.1".into(),
        country: "ZZ".into(),
        region: "".into(),
    };
    Ok(tl::types::account::Authorizations {
        authorization_ttl_days: 180,
        authorizations: vec![authorization.into()],
    }
    .into())
}

fn get_group_call_stream_rtmp_url(
    ctx: &Ctx,
    _: tl::functions::phone::GetGroupCallStreamRtmpUrl,
) -> RpcResult<tl::enums::phone::GroupCallStreamRtmpUrl> {
    ctx.require_auth()?;
    Ok(tl::types::phone::GroupCallStreamRtmpUrl {
        url: "rtmps://dc1-1.rtmp.t.me/s/".into(),
        key: RTMP_KEY.into(),
    }
    .into())
}
