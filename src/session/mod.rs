//! The session file: where it is, what kind it is, how it is opened (owner-only permissions),
//! the lock that gives one process at a time the right to use it, and the import of sessions
//! written by the Python server (Telethon's format).

pub mod inspect;
pub mod lock;
pub mod telethon;

use std::fs;
use std::io;
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::Path;

use anyhow::Context;
use grammers_session::Session;
use grammers_session::storages::SqliteSession;
use grammers_session::types::{PeerId, PeerInfo};

/// What is at the session path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionKind {
    Missing,
    /// grammers' SQLite storage (ours), or an empty file.
    Grammers,
    /// Telethon's SQLite storage (the Python server's).
    Telethon,
    /// Something else: not touched.
    Unknown,
}

/// Creates the session directory owner-only (0700) if it does not exist yet.
pub fn ensure_dir(dir: &Path) -> io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

/// Restricts a file to its owner (0600).
pub fn restrict_file(path: &Path) -> io::Result<()> {
    fs::set_permissions(path, fs::Permissions::from_mode(0o600))
}

/// Tells what kind of session file is at `path`, reading it without modifying it.
pub async fn detect(path: &Path) -> anyhow::Result<SessionKind> {
    let meta = match fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(SessionKind::Missing),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    if !meta.is_file() {
        return Ok(SessionKind::Unknown);
    }
    if meta.len() == 0 {
        return Ok(SessionKind::Grammers);
    }
    let mut header = [0u8; 16];
    {
        use std::io::Read;
        let mut file =
            fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
        if file.read_exact(&mut header).is_err() || &header != b"SQLite format 3\0" {
            return Ok(SessionKind::Unknown);
        }
    }
    let tables = telethon::table_names(path).await?;
    let has = |t: &str| tables.iter().any(|n| n == t);
    Ok(if has("sessions") && has("version") {
        SessionKind::Telethon
    } else if has("dc_option") || tables.is_empty() {
        SessionKind::Grammers
    } else {
        SessionKind::Unknown
    })
}

/// Opens (creating if needed) a grammers session file, owner-only.
pub async fn open(path: &Path) -> anyhow::Result<SqliteSession> {
    if let Some(dir) = path.parent() {
        ensure_dir(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let session = SqliteSession::open(path)
        .await
        .map_err(|e| anyhow::anyhow!("cannot open session {}: {e}", path.display()))?;
    restrict_file(path).with_context(|| format!("cannot restrict {}", path.display()))?;
    Ok(session)
}

/// The signed-in user recorded in the session, if any (no network involved).
pub async fn signed_in_user(session: &SqliteSession) -> Option<(i64, bool)> {
    match session.peer(PeerId::self_user()).await {
        Ok(Some(PeerInfo::User { id, bot, .. })) => Some((id, bot.unwrap_or(false))),
        _ => None,
    }
}
