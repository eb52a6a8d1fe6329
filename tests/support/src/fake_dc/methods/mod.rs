//! API methods the DC answers, one file per concern. Each file exposes `route`, which
//! decodes and answers the requests it knows and passes on the rest.

/// Decodes a request body (constructor id already read) as `$ty` and calls `$handler`;
/// the handler's return type is checked against the method's TL return type.
macro_rules! fake_dc_routes {
    ($ctx:expr, $id:expr, $body:expr, { $($ty:ty => $handler:expr),* $(,)? }) => {{
        use grammers_tl_types::{Deserializable as _, Identifiable as _, Serializable as _};
        match $id {
            $(
                <$ty>::CONSTRUCTOR_ID => Some((|| {
                    let request = <$ty>::deserialize(&mut grammers_tl_types::Cursor::from_slice($body))
                        .map_err(|_| crate::fake_dc::methods::RpcError::bad_request("INPUT_REQUEST_INVALID"))?;
                    let answer: <$ty as grammers_tl_types::RemoteCall>::Return = $handler($ctx, request)?;
                    Ok(answer.to_bytes())
                })()),
            )*
            _ => None,
        }
    }};
}

pub mod auth;
pub mod chats;
pub mod contacts;
pub mod delete;
pub mod dialogs;
pub mod download;
pub mod forward;
pub mod help;
pub mod history;
pub mod pins;
pub mod reactions;
pub mod read;
pub mod send;
pub mod updates;
pub mod upload;
pub mod users;

use std::sync::MutexGuard;

use grammers_tl_types as tl;

use super::Shared;
use crate::world::{Peer, World};

/// An RPC error as Telegram sends it (`rpc_error error_code error_message`).
#[derive(Debug, Clone, PartialEq)]
pub struct RpcError {
    pub code: i32,
    pub message: String,
}

impl RpcError {
    pub fn new(code: i32, message: &str) -> Self {
        Self {
            code,
            message: message.to_string(),
        }
    }

    pub fn bad_request(message: &str) -> Self {
        Self::new(400, message)
    }
}

pub type RpcResult<T> = Result<T, RpcError>;

/// What a handler sees of the DC and the connection the request came on.
pub struct Ctx<'a> {
    pub dc: &'a Shared,
    pub dc_id: i32,
    pub connection: u64,
}

impl Ctx<'_> {
    pub fn world(&self) -> MutexGuard<'_, World> {
        self.dc.world()
    }

    /// The user this DC is signed in as, or `401 AUTH_KEY_UNREGISTERED` as Telegram answers;
    /// `303 USER_MIGRATE_X` when the account lives in another DC X
    /// ([`FakeDc::move_account`](super::FakeDc::move_account)).
    pub fn require_auth(&self) -> RpcResult<i64> {
        let user = self
            .dc
            .authorized_on(self.dc_id)
            .ok_or_else(|| RpcError::new(401, "AUTH_KEY_UNREGISTERED"))?;
        let moved = *self.dc.account_dc.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(home) = moved.filter(|home| *home != self.dc_id) {
            return Err(RpcError::new(303, &format!("USER_MIGRATE_{home}")));
        }
        Ok(user)
    }
}

/// A concern's router: answers the requests it knows, `None` for the rest.
type Route = fn(&Ctx, u32, &[u8]) -> Option<RpcResult<Vec<u8>>>;

pub fn dispatch(ctx: &Ctx, constructor: u32, body: &[u8]) -> RpcResult<Vec<u8>> {
    // Scripted replies whose time has come are there before the request is answered.
    super::arrivals::deliver_due(&mut ctx.world());
    let routes: [Route; 16] = [
        help::route,
        updates::route,
        auth::route,
        users::route,
        history::route,
        send::route,
        upload::route,
        download::route,
        dialogs::route,
        contacts::route,
        chats::route,
        delete::route,
        read::route,
        forward::route,
        reactions::route,
        pins::route,
    ];
    for route in routes {
        if let Some(answer) = route(ctx, constructor, body) {
            return answer;
        }
    }
    // Telegram's answer to a method it does not know (or this DC does not implement).
    Err(RpcError::bad_request("INPUT_METHOD_INVALID"))
}

/// Resolves an `InputPeer`, checking the access hash as Telegram does.
pub fn input_peer(world: &World, peer: &tl::enums::InputPeer) -> RpcResult<Peer> {
    use tl::enums::InputPeer as P;
    let (resolved, hash) = match peer {
        P::Empty => return Err(RpcError::bad_request("PEER_ID_INVALID")),
        P::PeerSelf => return Ok(Peer::User(world.self_id)),
        P::Chat(c) => (Peer::Chat(c.chat_id), None),
        P::User(u) => (Peer::User(u.user_id), Some(u.access_hash)),
        P::Channel(c) => (Peer::Channel(c.channel_id), Some(c.access_hash)),
        P::UserFromMessage(u) => (Peer::User(u.user_id), None),
        P::ChannelFromMessage(c) => (Peer::Channel(c.channel_id), None),
    };
    check_peer(world, resolved, hash)
}

pub fn input_user(world: &World, user: &tl::enums::InputUser) -> RpcResult<i64> {
    use tl::enums::InputUser as U;
    let (id, hash) = match user {
        U::Empty => return Err(RpcError::bad_request("USER_ID_INVALID")),
        U::UserSelf => return Ok(world.self_id),
        U::User(u) => (u.user_id, Some(u.access_hash)),
        U::FromMessage(u) => (u.user_id, None),
    };
    match check_peer(world, Peer::User(id), hash) {
        Ok(_) => Ok(id),
        Err(_) => Err(RpcError::bad_request("USER_ID_INVALID")),
    }
}

pub fn input_channel(world: &World, channel: &tl::enums::InputChannel) -> RpcResult<Peer> {
    use tl::enums::InputChannel as C;
    let (id, hash) = match channel {
        C::Empty => return Err(RpcError::bad_request("CHANNEL_INVALID")),
        C::Channel(c) => (c.channel_id, Some(c.access_hash)),
        C::FromMessage(c) => (c.channel_id, None),
    };
    check_peer(world, Peer::Channel(id), hash).map_err(|_| RpcError::bad_request("CHANNEL_INVALID"))
}

fn check_peer(world: &World, peer: Peer, hash: Option<i64>) -> RpcResult<Peer> {
    let exists = match peer {
        Peer::User(id) => world.user(id).is_some(),
        _ => world.chat(peer).is_some(),
    };
    let error = match peer {
        Peer::Channel(_) => "CHANNEL_INVALID",
        _ => "PEER_ID_INVALID",
    };
    if !exists || hash.is_some_and(|h| h != world.access_hash(peer)) {
        return Err(RpcError::bad_request(error));
    }
    Ok(peer)
}
