//! Peer identity in the fake world, convertible to and from Bot API ids and TL peers.

use grammers_tl_types as tl;

/// Bot API ids of channels are `-(1_000_000_000_000 + id)`.
const CHANNEL_OFFSET: i64 = 1_000_000_000_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Peer {
    User(i64),
    Chat(i64),
    Channel(i64),
}

impl Peer {
    pub fn from_bot_api(id: i64) -> Option<Peer> {
        if id > 0 {
            Some(Peer::User(id))
        } else if id < -CHANNEL_OFFSET {
            Some(Peer::Channel(-id - CHANNEL_OFFSET))
        } else if id < 0 {
            Some(Peer::Chat(-id))
        } else {
            None
        }
    }

    pub fn bot_api(self) -> i64 {
        match self {
            Peer::User(id) => id,
            Peer::Chat(id) => -id,
            Peer::Channel(id) => -(CHANNEL_OFFSET + id),
        }
    }

    pub fn bare_id(self) -> i64 {
        match self {
            Peer::User(id) | Peer::Chat(id) | Peer::Channel(id) => id,
        }
    }

    pub fn is_channel(self) -> bool {
        matches!(self, Peer::Channel(_))
    }

    pub fn to_tl(self) -> tl::enums::Peer {
        match self {
            Peer::User(user_id) => tl::types::PeerUser { user_id }.into(),
            Peer::Chat(chat_id) => tl::types::PeerChat { chat_id }.into(),
            Peer::Channel(channel_id) => tl::types::PeerChannel { channel_id }.into(),
        }
    }

    pub fn from_tl(peer: &tl::enums::Peer) -> Peer {
        match peer {
            tl::enums::Peer::User(p) => Peer::User(p.user_id),
            tl::enums::Peer::Chat(p) => Peer::Chat(p.chat_id),
            tl::enums::Peer::Channel(p) => Peer::Channel(p.channel_id),
        }
    }
}

/// The access hash the DC hands out for a peer unless the world sets one: stable and
/// peer-specific, so a client that sends a wrong or stale hash is caught.
pub fn derived_access_hash(peer: Peer) -> i64 {
    let salt: u64 = match peer {
        Peer::User(_) => 0x5555_0000_1111,
        Peer::Chat(_) => 0x6666_0000_2222,
        Peer::Channel(_) => 0x7777_0000_3333,
    };
    ((peer.bare_id() as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ salt) as i64
}
