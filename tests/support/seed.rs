//! Writes a session file that points at a fake DC, in exactly the format the server reads
//! (grammers-session's SQLite storage): home DC, the DC's loopback address with the
//! pre-shared auth key, and for a signed-in session the self user marked `is_self`.

use std::net::{Ipv4Addr, SocketAddrV4, SocketAddrV6};
use std::path::Path;

use grammers_session::Session;
use grammers_session::storages::SqliteSession;
use grammers_session::types::{DcOption, PeerAuth, PeerInfo};

use super::fake_dc::FakeDc;
use super::world::Peer;

/// Seeds `path` for `dc`. With `signed_in`, the session already knows its user, as after a
/// completed login; without, it has only the key, as before `setup`.
pub async fn seed_session(path: &Path, dc: &FakeDc, signed_in: bool) -> Result<(), String> {
    let session = SqliteSession::open(path)
        .await
        .map_err(|e| format!("open session {}: {e}", path.display()))?;
    let (home, _) = dc.dcs()[0];
    session
        .set_home_dc_id(home)
        .await
        .map_err(|e| e.to_string())?;
    for (id, port) in dc.dcs() {
        let ipv4 = SocketAddrV4::new(Ipv4Addr::LOCALHOST, *port);
        session
            .set_dc_option(&DcOption {
                id: *id,
                ipv4,
                ipv6: SocketAddrV6::new(Ipv4Addr::LOCALHOST.to_ipv6_mapped(), *port, 0, 0),
                auth_key: Some(dc.auth_key()),
            })
            .await
            .map_err(|e| e.to_string())?;
    }
    if signed_in {
        let (id, hash, bot) = {
            let world = dc.world();
            let me = world.me();
            (me.id, world.access_hash(Peer::User(me.id)), me.bot)
        };
        session
            .cache_peer(PeerInfo::User {
                id,
                auth: Some(PeerAuth::from_hash(hash)),
                bot: Some(bot),
                is_self: Some(true),
            })
            .await
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}
