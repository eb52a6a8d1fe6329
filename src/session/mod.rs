//! The session file: where it is, what kind it is, how it is opened (owner-only permissions),
//! the lock that gives one process at a time the right to use it, and the import of sessions
//! written by the Python server (Telethon's format).

pub mod cached;
pub mod inspect;
pub mod lock;
pub mod names;
pub mod telethon;

use std::fs;
use std::io;
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};

use anyhow::Context;
use grammers_session::Session;
use grammers_session::storages::SqliteSession;
use grammers_session::types::{PeerAuth, PeerId, PeerInfo};

use cached::CachedSession;

/// The session a server serves from: the file, with what it knows kept in memory.
pub type ServedSession = CachedSession<SqliteSession>;

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

/// Tells what kind of session file is at `path`. The caller holds the session lock: a write
/// that a killed process left unfinished (a hot journal) is rolled back first (see
/// [`recover`]); otherwise the file is only read.
///
/// A file with grammers' tables is ours even when it has Telethon's too (the Python server,
/// run once on the same file, adds them): it is used as it is, with a warning.
pub async fn detect(path: &Path) -> anyhow::Result<SessionKind> {
    if telethon::finish_interrupted_import(path)
        .with_context(|| format!("cannot finish the import into {}", path.display()))?
    {
        // The imported session does not know its user yet: the first contact asks.
        return Ok(SessionKind::Grammers);
    }
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
    recover(path).await?;
    let tables = telethon::table_names(path)
        .await
        .with_context(|| format!("cannot read the session file {}", path.display()))?;
    let has = |t: &str| tables.iter().any(|n| n == t);
    Ok(if has("dc_option") {
        if TELETHON_ONLY_TABLES.iter().any(|t| has(t)) {
            tracing::warn!(
                "the session file {} also holds another program's tables (Telethon's: the \
                 Python server or another client opened it); it stays this server's session. \
                 Do not share one session file between programs or machines: Telegram \
                 invalidates a key used from two places at once",
                path.display()
            );
        }
        SessionKind::Grammers
    } else if has("sessions") && has("version") {
        SessionKind::Telethon
    } else if tables.is_empty() {
        SessionKind::Grammers
    } else {
        SessionKind::Unknown
    })
}

/// Tables of a Telethon session that grammers' storage never has (both have `update_state`).
const TELETHON_ONLY_TABLES: [&str; 4] = ["version", "sessions", "entities", "sent_files"];

/// SQLite's rollback journal beside a database file (`<file>-journal`).
pub fn journal_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push("-journal");
    name.into()
}

/// SQLite's write-ahead log beside a database file (`<file>-wal`).
fn wal_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push("-wal");
    name.into()
}

/// Whether the rollback journal beside `path` is one SQLite must roll back before the file
/// can be read (a hot journal: present, not empty, header not zeroed), as a process killed
/// while committing leaves it. A journal whose header is still zeroed belongs to a
/// transaction that never started committing and is ignored by SQLite.
pub fn hot_journal(path: &Path) -> bool {
    use std::io::Read;
    let Ok(mut journal) = fs::File::open(journal_path(path)) else {
        return false;
    };
    let mut first = [0u8; 1];
    journal.read_exact(&mut first).is_ok() && first[0] != 0
}

/// Finishes what a process killed in the middle of writing the session left: a hot journal
/// (or a write-ahead log) is rolled back (or replayed) by SQLite itself, on a read-write
/// open, before anything reads the file read-only (a read-only connection cannot roll a
/// journal back and fails with "attempt to write a readonly database"). Never deletes a
/// journal: that would leave the file half-written. The caller holds the session lock, so
/// no server or setup of ours is writing it. Returns whether there was anything to recover.
pub async fn recover(path: &Path) -> anyhow::Result<bool> {
    let journal = journal_path(path);
    let pending = hot_journal(path) || wal_path(path).exists();
    if !pending {
        return Ok(false);
    }
    let rolled_back = async {
        let db = libsql::Builder::new_local(path)
            .flags(libsql::OpenFlags::SQLITE_OPEN_READ_WRITE)
            .build()
            .await?;
        let conn = db.connect()?;
        // The first read takes a shared lock, and with it SQLite rolls the journal back.
        let mut rows = conn.query("SELECT count(*) FROM sqlite_master", ()).await?;
        rows.next().await?;
        Ok::<_, libsql::Error>(())
    }
    .await;
    if let Err(e) = rolled_back {
        anyhow::bail!(
            "the session file {} was left mid-write by a process that was stopped abruptly, \
             and SQLite cannot finish rolling that write back: {e}. Make the file and its \
             directory writable by this user and start again; do not delete {} (that would \
             leave the session half-written)",
            path.display(),
            journal.display()
        );
    }
    if hot_journal(path) {
        // Another program (not ours: we hold the lock) is committing to the file right now.
        tracing::debug!("the session file's journal is in use by another program");
        return Ok(false);
    }
    tracing::warn!(
        "the session file {} had a write left unfinished (its process was stopped \
         abruptly); SQLite rolled it back",
        path.display()
    );
    Ok(true)
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

/// How a session opened for serving stands, as far as its file tells (no network).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// It records its signed-in user.
    SignedIn,
    /// Just imported from Telethon: its key is signed in, its user is not known yet.
    Imported,
    /// A key without a recorded user (an import whose first contact never finished): it may
    /// well be signed in, the first contact asks Telegram.
    KeyWithoutUser,
    /// Not signed in: setup has to sign it in.
    SignedOut,
}

impl Standing {
    /// Whether it is worth asking Telegram (the first contact) rather than waiting for setup.
    pub fn may_be_signed_in(self) -> bool {
        self != Standing::SignedOut
    }
}

/// Opens the session the server serves from: a Telethon session is imported first (its
/// backup kept), a file this server does not understand is refused. `None` when there is no
/// session file. The caller holds the session lock. What the file knows is kept in memory
/// from here on (see [`cached`]).
pub async fn open_to_serve(
    path: &Path,
    name: &str,
) -> anyhow::Result<Option<(ServedSession, Standing)>> {
    let mut imported = false;
    match detect(path).await? {
        SessionKind::Missing => {
            tracing::warn!(session = %name, "no session file; run setup to sign in");
            return Ok(None);
        }
        SessionKind::Telethon => {
            let backup = telethon::import(path).await?;
            tracing::info!(backup = %backup.display(), "imported the Python server's session");
            imported = true;
        }
        SessionKind::Unknown => anyhow::bail!(
            "{} is not a session file this server understands; move it away or pick \
             another SESSION_NAME",
            path.display()
        ),
        SessionKind::Grammers => {}
    }
    let session = CachedSession::new(open(path).await?);
    let standing = if signed_in_user(&session).await.is_some() {
        Standing::SignedIn
    } else if imported {
        Standing::Imported
    } else if has_home_auth_key(&session) {
        tracing::info!(
            "the session has a key but no recorded user; asking Telegram whether it is \
             signed in"
        );
        Standing::KeyWithoutUser
    } else {
        Standing::SignedOut
    };
    Ok(Some((session, standing)))
}

/// Records the signed-in user in the session (what [`signed_in_user`] reads back).
pub async fn record_self<S: Session>(
    session: &S,
    id: i64,
    access_hash: Option<i64>,
    bot: bool,
) -> anyhow::Result<()>
where
    S::Error: std::fmt::Display,
{
    session
        .cache_peer(PeerInfo::User {
            id,
            auth: access_hash.map(PeerAuth::from_hash),
            bot: Some(bot),
            is_self: Some(true),
        })
        .await
        .map_err(|e| anyhow::anyhow!("cannot record the signed-in user: {e}"))
}

/// Whether the session holds an auth key for its home DC (it may be signed in, whether or
/// not it records its user yet).
pub fn has_home_auth_key(session: &impl Session) -> bool {
    session
        .home_dc_id()
        .ok()
        .and_then(|dc| session.dc_option(dc).ok().flatten())
        .is_some_and(|option| option.auth_key.is_some())
}

/// The signed-in user recorded in the session, if any (no network involved).
pub async fn signed_in_user(session: &impl Session) -> Option<(i64, bool)> {
    match session.peer(PeerId::self_user()).await {
        Ok(Some(PeerInfo::User { id, bot, .. })) => Some((id, bot.unwrap_or(false))),
        _ => None,
    }
}

#[cfg(test)]
mod tests {

    use super::*;

    async fn execute(path: &Path, statements: &[&str]) {
        let db = libsql::Builder::new_local(path).build().await.unwrap();
        let conn = db.connect().unwrap();
        for sql in statements {
            conn.execute(sql, ()).await.unwrap();
        }
    }

    async fn signed_in_session(path: &Path) {
        let session = open(path).await.unwrap();
        record_self(&session, 1000, Some(7), false).await.unwrap();
    }

    /// Commits `sql` and puts back the journal it had mid-transaction: the file as a process
    /// killed while committing leaves it.
    async fn leave_hot_journal(path: &Path, sql: &str) {
        let db = libsql::Builder::new_local(path).build().await.unwrap();
        let conn = db.connect().unwrap();
        // Unsynced, the journal's header is complete from the start.
        conn.execute("PRAGMA synchronous = OFF", ()).await.unwrap();
        conn.execute("BEGIN IMMEDIATE", ()).await.unwrap();
        conn.execute(sql, ()).await.unwrap();
        let saved = fs::read(journal_path(path)).unwrap();
        conn.execute("COMMIT", ()).await.unwrap();
        drop(conn);
        drop(db);
        fs::write(journal_path(path), saved).unwrap();
    }

    #[tokio::test]
    async fn a_hot_journal_is_rolled_back_before_the_file_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.session");
        signed_in_session(&path).await;
        leave_hot_journal(&path, "DELETE FROM peer_info").await;
        assert!(hot_journal(&path));
        // What a read-only look fails on (it cannot roll the journal back).
        assert!(telethon::table_names(&path).await.is_err());
        assert_eq!(detect(&path).await.unwrap(), SessionKind::Grammers);
        assert!(!journal_path(&path).exists(), "rolled back by SQLite");
        let session = open(&path).await.unwrap();
        assert_eq!(signed_in_user(&session).await, Some((1000, false)));
        assert!(!recover(&path).await.unwrap(), "nothing left to recover");
    }

    #[tokio::test]
    async fn our_file_stays_ours_when_another_program_added_telethons_tables() {
        let dir = tempfile::tempdir().unwrap();
        let ours = dir.path().join("ours.session");
        signed_in_session(&ours).await;
        execute(
            &ours,
            &[
                "CREATE TABLE version (version integer primary key)",
                "CREATE TABLE sessions (dc_id integer primary key, server_address text, \
                 port integer, auth_key blob, takeout_id integer, tmp_auth_key blob)",
                "CREATE TABLE entities (id integer primary key, hash integer not null)",
                "CREATE TABLE sent_files (md5_digest blob, file_size integer)",
            ],
        )
        .await;
        assert_eq!(detect(&ours).await.unwrap(), SessionKind::Grammers);

        let telethon = dir.path().join("telethon.session");
        execute(
            &telethon,
            &[
                "CREATE TABLE version (version integer primary key)",
                "CREATE TABLE sessions (dc_id integer primary key, auth_key blob)",
                "CREATE TABLE update_state (id integer primary key, pts integer)",
            ],
        )
        .await;
        assert_eq!(detect(&telethon).await.unwrap(), SessionKind::Telethon);

        let other = dir.path().join("other.session");
        execute(&other, &["CREATE TABLE notes (text)"]).await;
        assert_eq!(detect(&other).await.unwrap(), SessionKind::Unknown);
    }

    #[tokio::test]
    async fn an_import_cut_between_its_renames_is_finished() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.session");
        let staging = dir.path().join("t.session.importing");
        let session = open(&staging).await.unwrap();
        session.set_home_dc_id(4).await.unwrap();
        drop(session);
        assert_eq!(detect(&path).await.unwrap(), SessionKind::Grammers);
        assert!(!staging.exists());
        assert_eq!(open(&path).await.unwrap().home_dc_id().unwrap(), 4);
        // Beside a session file, a staging file is an import that never got that far.
        fs::write(&staging, b"partial").unwrap();
        assert!(!telethon::finish_interrupted_import(&path).unwrap());
    }

    #[tokio::test]
    async fn a_key_without_a_user_is_a_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.session");
        let session = open(&path).await.unwrap();
        assert!(!has_home_auth_key(&session));
        let home = session.home_dc_id().unwrap();
        let mut option = session.dc_option(home).unwrap().unwrap();
        option.auth_key = Some([7; 256]);
        session.set_dc_option(&option).await.unwrap();
        assert!(has_home_auth_key(&session));
        assert_eq!(signed_in_user(&session).await, None);
    }
}
