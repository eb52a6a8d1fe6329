//! Sessions written by the Python server (Telethon 1.x SQLite: a `sessions` row with the DC,
//! its address and the auth key; an `entities` table with every peer it met). Importing carries
//! the DC and key over into a grammers session, so switching servers needs no new login, and
//! the entities (ids, access hashes, usernames, phone numbers), so no chat it knew has to be
//! resolved again; the original is kept as a backup.

use std::net::{Ipv4Addr, SocketAddrV4, SocketAddrV6};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use grammers_session::Session;
use grammers_session::types::{DcOption, PeerAuth, PeerId, PeerInfo, PeerKind};

use super::names::{NameKind, PeerNames};

/// The part of a Telethon session we carry over.
pub struct TelethonSession {
    pub dc_id: i32,
    pub address: String,
    pub port: u16,
    pub auth_key: [u8; 256],
}

async fn open_read_only(path: &Path) -> anyhow::Result<libsql::Connection> {
    let db = libsql::Builder::new_local(path)
        .flags(libsql::OpenFlags::SQLITE_OPEN_READ_ONLY)
        .build()
        .await
        .with_context(|| format!("cannot open {} read-only", path.display()))?;
    Ok(db.connect()?)
}

/// Names of the tables in an SQLite file, read without modifying it.
pub async fn table_names(path: &Path) -> anyhow::Result<Vec<String>> {
    let conn = open_read_only(path).await?;
    let mut rows = conn
        .query("SELECT name FROM sqlite_master WHERE type = 'table'", ())
        .await?;
    let mut names = Vec::new();
    while let Some(row) = rows.next().await? {
        names.push(row.get::<String>(0)?);
    }
    Ok(names)
}

pub async fn read(path: &Path) -> anyhow::Result<TelethonSession> {
    let conn = open_read_only(path).await?;
    let mut rows = conn
        .query(
            "SELECT dc_id, server_address, port, auth_key FROM sessions LIMIT 1",
            (),
        )
        .await?;
    let Some(row) = rows.next().await? else {
        bail!("the Telethon session {} holds no login", path.display());
    };
    let key: Vec<u8> = row.get::<Option<Vec<u8>>>(3)?.unwrap_or_default();
    let auth_key: [u8; 256] = key.try_into().map_err(|k: Vec<u8>| {
        anyhow::anyhow!(
            "the Telethon session has a {}-byte auth key, expected 256",
            k.len()
        )
    })?;
    Ok(TelethonSession {
        dc_id: row.get::<i64>(0)? as i32,
        address: row.get::<Option<String>>(1)?.unwrap_or_default(),
        port: row.get::<Option<i64>>(2)?.unwrap_or(443) as u16,
        auth_key,
    })
}

/// A peer Telethon's `entities` table held: its marked (Bot API) id, access hash, username
/// and phone number.
pub struct TelethonEntity {
    pub id: i64,
    pub hash: i64,
    pub username: Option<String>,
    pub phone: Option<String>,
}

/// The `entities` table, if the file has one (older or trimmed sessions may not).
pub async fn entities(path: &Path) -> anyhow::Result<Vec<TelethonEntity>> {
    if !table_names(path).await?.iter().any(|t| t == "entities") {
        return Ok(Vec::new());
    }
    let conn = open_read_only(path).await?;
    let mut rows = conn
        .query("SELECT id, hash, username, phone FROM entities", ())
        .await?;
    let mut found = Vec::new();
    while let Some(row) = rows.next().await? {
        // Telethon stores the phone as text or, in old versions, as an integer.
        let phone = match row.get_value(3)? {
            libsql::Value::Text(t) => Some(t),
            libsql::Value::Integer(n) => Some(n.to_string()),
            _ => None,
        };
        found.push(TelethonEntity {
            id: row.get::<i64>(0)?,
            hash: row.get::<Option<i64>>(1)?.unwrap_or(0),
            username: row.get::<Option<String>>(2)?.filter(|u| !u.is_empty()),
            phone: phone.filter(|p| !p.is_empty()),
        });
    }
    Ok(found)
}

/// Carries Telethon's entities into the new session: ids and access hashes into grammers'
/// peers, usernames and phone numbers into [`PeerNames`]. Entities with ids no peer can have
/// are skipped.
async fn import_entities(
    session: &grammers_session::storages::SqliteSession,
    staging: &Path,
    entities: &[TelethonEntity],
) -> anyhow::Result<()> {
    let mut peers = Vec::new();
    let (mut usernames, mut phones) = (Vec::new(), Vec::new());
    for entity in entities {
        let Some(peer) = PeerId::from_bot_api_dialog_id(entity.id) else {
            continue;
        };
        let bare = peer.bare_id_unchecked();
        let auth = Some(PeerAuth::from_hash(entity.hash));
        peers.push(match peer.kind() {
            PeerKind::Chat => PeerInfo::Chat { id: bare },
            PeerKind::Channel => PeerInfo::Channel {
                id: bare,
                auth,
                kind: None,
            },
            _ => PeerInfo::User {
                id: bare,
                auth,
                bot: None,
                is_self: None,
            },
        });
        if let Some(name) = &entity.username {
            usernames.push((name.clone(), entity.id));
        }
        if let Some(phone) = &entity.phone {
            phones.push((phone.clone(), entity.id));
        }
    }
    session
        .cache_peers(peers)
        .await
        .map_err(|e| anyhow::anyhow!("cannot import Telethon's peers: {e}"))?;
    // Nothing else uses the staging file yet: a gate of its own.
    let names = PeerNames::open(staging, Default::default()).await?;
    names.put(NameKind::Username, &usernames).await?;
    names.put(NameKind::Phone, &phones).await?;
    Ok(())
}

#[cfg(unix)]
fn restrict_to_owner(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
}

#[cfg(not(unix))]
fn restrict_to_owner(_: &Path) -> std::io::Result<()> {
    Ok(())
}

/// A backup path next to the session that does not exist yet.
fn backup_path(session_file: &Path) -> PathBuf {
    let base = format!("{}.telethon-backup", session_file.display());
    let mut candidate = PathBuf::from(&base);
    let mut n = 1;
    while candidate.exists() {
        candidate = PathBuf::from(format!("{base}.{n}"));
        n += 1;
    }
    candidate
}

/// Converts the Telethon session at `session_file` in place: the grammers session is built
/// beside it, the original is renamed to a backup, then the new one takes its name. Any
/// failure leaves the original untouched. Returns the backup's path.
pub async fn import(session_file: &Path) -> anyhow::Result<PathBuf> {
    let old = read(session_file).await?;
    let known = entities(session_file).await.unwrap_or_else(|e| {
        tracing::warn!("cannot read the Telethon session's peers: {e:#}");
        Vec::new()
    });
    let staging = staging_path(session_file);
    discard(&staging);
    let result = async {
        let session = super::open(&staging).await?;
        let mut option = session
            .dc_option(old.dc_id)
            .ok()
            .flatten()
            .unwrap_or(DcOption {
                id: old.dc_id,
                ipv4: SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 443),
                ipv6: SocketAddrV6::new(Ipv4Addr::UNSPECIFIED.to_ipv6_mapped(), 443, 0, 0),
                auth_key: None,
            });
        if let Ok(ip) = old.address.parse::<Ipv4Addr>() {
            option.ipv4 = SocketAddrV4::new(ip, old.port);
            option.ipv6 = SocketAddrV6::new(ip.to_ipv6_mapped(), old.port, 0, 0);
        }
        if option.ipv4.ip().is_unspecified() {
            bail!(
                "the Telethon session names DC {} with no usable IPv4 address",
                old.dc_id
            );
        }
        option.auth_key = Some(old.auth_key);
        session
            .set_dc_option(&option)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        session
            .set_home_dc_id(old.dc_id)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        // The login matters more than the peers: without them, chats are resolved again.
        if let Err(e) = import_entities(&session, &staging, &known).await {
            tracing::warn!("the Telethon session's peers were not imported: {e:#}");
        }
        drop(session);
        // The original becomes the backup and keeps the live auth key: owner-only, like the
        // session (Telethon leaves its files at the umask's 0644).
        restrict_to_owner(session_file)
            .with_context(|| format!("cannot make {} owner-only", session_file.display()))?;
        let backup = backup_path(session_file);
        std::fs::rename(session_file, &backup)
            .with_context(|| format!("cannot move the Telethon session to {}", backup.display()))?;
        if let Err(e) = std::fs::rename(&staging, session_file) {
            // Put the original back rather than leave no session at all.
            let _ = std::fs::rename(&backup, session_file);
            return Err(e).context("cannot install the imported session");
        }
        Ok(backup)
    }
    .await;
    if result.is_err() {
        discard(&staging);
    }
    result
}

/// Where an import builds the new session before it takes the session's name.
fn staging_path(session_file: &Path) -> PathBuf {
    PathBuf::from(format!("{}.importing", session_file.display()))
}

/// Finishes an import that a kill cut between its two renames: the original already moved to
/// its backup, the complete new session still under its staging name, no session file. The
/// staging file only outlives a session file in that window (it is built while the original
/// is in place, and removed when the import fails), so it is installed as the session.
/// Returns whether it was. The caller holds the session lock.
pub fn finish_interrupted_import(session_file: &Path) -> std::io::Result<bool> {
    let staging = staging_path(session_file);
    if session_file.exists() || !staging.is_file() {
        return Ok(false);
    }
    std::fs::rename(&staging, session_file)?;
    tracing::warn!(
        "finished importing the Python server's session, which a stopped process had left \
         half done"
    );
    Ok(true)
}

/// Removes an import's staging file left by a failed or killed import. A journal it may have
/// left is SQLite's to discard: beside the new, empty staging file it is no hot journal.
fn discard(staging: &Path) {
    let _ = std::fs::remove_file(staging);
}
