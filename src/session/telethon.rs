//! Sessions written by the Python server (Telethon 1.x SQLite: a `sessions` row with the DC,
//! its address and the auth key). Importing carries the DC and key over into a grammers
//! session, so switching servers needs no new login; the original is kept as a backup.

use std::net::{Ipv4Addr, SocketAddrV4, SocketAddrV6};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use grammers_session::Session;
use grammers_session::types::DcOption;

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
