//! What the session file knows, kept in memory in front of it, so a call reading a chat the
//! session has met touches SQLite zero times (before, every peer lookup was a read
//! transaction: issue #21 counted eight for one `get_messages`).
//!
//! [`CachedSession`] wraps grammers' `SqliteSession` and is itself a `grammers_session::Session`,
//! given to grammers and used by the facade alike, so there is one copy of the truth in memory
//! for both. Why a wrapper rather than a cache beside the session: grammers reads the session
//! too (peer references, the signed-in user), and a cache only our code consulted would leave
//! those reads on the file; and only a wrapper sees every write, which is what makes an entry
//! in memory trustworthy.
//!
//! - **Peers** (`peer`, and `peer_ref` through it) are read from the file once, on first use,
//!   and kept — an absent peer too, as absent. This process holds the session lock and writes
//!   only through this wrapper, so nothing else changes the file behind the memory.
//! - **Writes go to the file first** (write-through): memory takes a peer only after SQLite
//!   committed it, so a crash loses nothing and the file stays the truth. A failed write
//!   drops the peers it was writing from memory: the next read asks the file (grammers'
//!   `cache_peers` commits what it could even when a statement failed, so memory cannot tell
//!   what the file holds). A peer written exactly as the file holds it is not written again:
//!   answers repeat the same peers on every call, and each write costs a disk sync.
//! - **The home DC and DC options** are already served from memory by `SqliteSession` (it
//!   loads them at open); an option written once by this process is not written again when
//!   a reconnection reports it unchanged.
//! - **The update state** is passed through: the server does not follow updates.
//!
//! [`SqliteUse`] counts what reaches the file (statements that read, transactions that
//! write), so a test can hold a warm call to zero.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use grammers_session::types::{ChannelKind, DcOption, PeerId, PeerInfo, UpdateState, UpdatesState};
use grammers_session::{BoxFuture, Session};

/// Peers kept at most; past it memory starts again from the file (a bound on what hostile
/// answers can make this process hold).
const MAX_PEERS: usize = 200_000;

/// How often this process went to the SQLite file since it started.
#[derive(Debug, Default)]
pub struct SqliteUse {
    reads: AtomicU64,
    writes: AtomicU64,
}

impl SqliteUse {
    /// Counts `n` statements that read the file.
    pub fn read(&self, n: usize) {
        self.reads.fetch_add(n as u64, Ordering::Relaxed);
    }

    /// Counts one transaction that writes the file.
    pub fn write(&self) {
        self.writes.fetch_add(1, Ordering::Relaxed);
    }

    /// (reads, writes) so far.
    pub fn totals(&self) -> (u64, u64) {
        (
            self.reads.load(Ordering::Relaxed),
            self.writes.load(Ordering::Relaxed),
        )
    }
}

/// Held by whoever reads or writes the session file in this process. grammers' connection to
/// the file sets no busy timeout, so a statement that met another connection's write would
/// fail with `SQLITE_BUSY`: taking turns within the process (the session lock keeps other
/// processes out) means no statement ever meets one.
pub type FileGate = std::sync::Arc<tokio::sync::Mutex<()>>;

/// A session with what its file knows kept in memory (see the module documentation).
pub struct CachedSession<S> {
    file: S,
    /// Peers by Bot API dialog id: `Some` as the file holds it, `None` when it holds none.
    peers: Mutex<HashMap<i64, Option<PeerInfo>>>,
    /// The signed-in user as the file records it; `None` until read (or after a write that
    /// may have changed which user that is).
    me: Mutex<Option<Option<PeerInfo>>>,
    /// DC options this process wrote, as written.
    dc_options: Mutex<HashMap<i32, DcOption>>,
    /// Held while the file is read into memory or written: a read that raced a write could
    /// otherwise put back what the write replaced. Shared with [`super::names::PeerNames`].
    file_access: FileGate,
    usage: SqliteUse,
}

/// `info` as the file gives it back: grammers stores a user's `bot` and `is_self` as one
/// subtype (none when both are false, read back as unknown) and knows no community subtype
/// when reading. Memory holds this form, so it answers exactly what the file would.
fn as_stored(info: PeerInfo) -> PeerInfo {
    match info {
        PeerInfo::User {
            id,
            auth,
            bot,
            is_self,
        } => {
            let (bot, is_self) = (bot.unwrap_or(false), is_self.unwrap_or(false));
            let known = bot || is_self;
            PeerInfo::User {
                id,
                auth,
                bot: known.then_some(bot),
                is_self: known.then_some(is_self),
            }
        }
        PeerInfo::Channel {
            id,
            auth,
            kind: Some(ChannelKind::Community),
        } => PeerInfo::Channel {
            id,
            auth,
            kind: None,
        },
        other => other,
    }
}

fn locked<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

impl<S: Session> CachedSession<S> {
    pub fn new(file: S) -> CachedSession<S> {
        CachedSession {
            file,
            peers: Default::default(),
            me: Default::default(),
            dc_options: Default::default(),
            file_access: Default::default(),
            usage: SqliteUse::default(),
        }
    }

    /// The gate every other user of the file in this process takes turns with.
    pub fn file_gate(&self) -> FileGate {
        std::sync::Arc::clone(&self.file_access)
    }

    /// How often the file was read and written through this session.
    pub fn usage(&self) -> &SqliteUse {
        &self.usage
    }

    /// What memory knows of `peer`: `None` when it has to ask the file.
    fn remembered(&self, peer: PeerId) -> Option<Option<PeerInfo>> {
        match peer.bot_api_dialog_id() {
            Some(id) => locked(&self.peers).get(&id).cloned(),
            None => locked(&self.me).clone(),
        }
    }

    fn keep(&self, peer: PeerId, info: Option<PeerInfo>) {
        match peer.bot_api_dialog_id() {
            Some(id) => {
                let mut peers = locked(&self.peers);
                if peers.len() >= MAX_PEERS {
                    peers.clear();
                }
                peers.insert(id, info);
            }
            None => *locked(&self.me) = Some(info),
        }
    }

    /// `peer` from memory, else from the file (kept). The caller holds `file_access`.
    async fn load(&self, peer: PeerId) -> Result<Option<PeerInfo>, S::Error> {
        if let Some(known) = self.remembered(peer) {
            return Ok(known);
        }
        self.usage.read(1);
        let info = self.file.peer(peer).await?;
        self.keep(peer, info.clone());
        Ok(info)
    }

    /// Writes the peers that change what the file holds, then remembers them.
    async fn write_peers(&self, peers: Vec<PeerInfo>) -> Result<(), S::Error> {
        let _file = self.file_access.lock().await;
        // As written (grammers merges them into the file's again); memory keeps `as_stored`.
        let mut changed: Vec<PeerInfo> = Vec::new();
        for peer in peers {
            let merged = match self.load(peer.id()).await? {
                Some(stored) => {
                    let mut merged = stored.clone();
                    merged.extend_info(&peer);
                    if as_stored(merged.clone()) == stored {
                        continue;
                    }
                    merged
                }
                None => peer,
            };
            // The same peer twice in one answer: the later one extends the earlier.
            match changed.iter_mut().find(|c| c.id() == merged.id()) {
                Some(earlier) => {
                    earlier.extend_info(&merged);
                }
                None => changed.push(merged),
            }
        }
        if changed.is_empty() {
            return Ok(());
        }
        // grammers reads each peer again before writing it.
        self.usage.read(changed.len());
        self.usage.write();
        let written = self.file.cache_peers(changed.clone()).await;
        {
            // Which user is the signed-in one is the file's answer: asked again when a write
            // may have changed it.
            let mut me = locked(&self.me);
            let me_id = match &*me {
                Some(Some(info)) => Some(info.id()),
                _ => None,
            };
            let touched = changed.iter().any(|p| match p {
                PeerInfo::User { is_self, .. } => *is_self == Some(true) || Some(p.id()) == me_id,
                _ => false,
            });
            if touched {
                *me = None;
            }
        }
        match written {
            Ok(()) => changed
                .into_iter()
                .for_each(|p| self.keep(p.id(), Some(as_stored(p)))),
            Err(_) => {
                let mut peers = locked(&self.peers);
                for p in &changed {
                    if let Some(id) = p.id().bot_api_dialog_id() {
                        peers.remove(&id);
                    }
                }
            }
        }
        written
    }
}

impl<S: Session> Session for CachedSession<S> {
    type Error = S::Error;

    fn home_dc_id(&self) -> Result<i32, Self::Error> {
        self.file.home_dc_id()
    }

    fn set_home_dc_id(&self, dc_id: i32) -> BoxFuture<'_, Result<(), Self::Error>> {
        Box::pin(async move {
            let _file = self.file_access.lock().await;
            self.usage.write();
            self.file.set_home_dc_id(dc_id).await
        })
    }

    fn dc_option(&self, dc_id: i32) -> Result<Option<DcOption>, Self::Error> {
        self.file.dc_option(dc_id)
    }

    fn set_dc_option(&self, dc_option: &DcOption) -> BoxFuture<'_, Result<(), Self::Error>> {
        let dc_option = dc_option.clone();
        Box::pin(async move {
            let _file = self.file_access.lock().await;
            if locked(&self.dc_options).get(&dc_option.id) == Some(&dc_option) {
                return Ok(());
            }
            self.usage.write();
            let written = self.file.set_dc_option(&dc_option).await;
            let mut options = locked(&self.dc_options);
            match &written {
                Ok(()) => options.insert(dc_option.id, dc_option),
                Err(_) => options.remove(&dc_option.id),
            };
            written
        })
    }

    fn peer(&self, peer: PeerId) -> BoxFuture<'_, Result<Option<PeerInfo>, Self::Error>> {
        Box::pin(async move {
            if let Some(known) = self.remembered(peer) {
                return Ok(known);
            }
            let _file = self.file_access.lock().await;
            self.load(peer).await
        })
    }

    fn cache_peer(&self, peer: PeerInfo) -> BoxFuture<'_, Result<(), Self::Error>> {
        Box::pin(self.write_peers(vec![peer]))
    }

    fn cache_peers(&self, peers: Vec<PeerInfo>) -> BoxFuture<'_, Result<(), Self::Error>> {
        Box::pin(self.write_peers(peers))
    }

    fn updates_state(&self) -> BoxFuture<'_, Result<UpdatesState, Self::Error>> {
        Box::pin(async move {
            let _file = self.file_access.lock().await;
            self.usage.read(2);
            self.file.updates_state().await
        })
    }

    fn set_update_state(&self, update: UpdateState) -> BoxFuture<'_, Result<(), Self::Error>> {
        Box::pin(async move {
            let _file = self.file_access.lock().await;
            self.usage.write();
            self.file.set_update_state(update).await
        })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicBool;

    use grammers_session::storages::{MemorySession, SqliteSession};
    use grammers_session::types::PeerAuth;

    use super::*;

    fn user(id: i64, hash: i64, bot: bool) -> PeerInfo {
        PeerInfo::User {
            id,
            auth: Some(PeerAuth::from_hash(hash)),
            bot: Some(bot),
            is_self: Some(false),
        }
    }

    fn channel(id: i64, hash: i64, kind: ChannelKind) -> PeerInfo {
        PeerInfo::Channel {
            id,
            auth: Some(PeerAuth::from_hash(hash)),
            kind: Some(kind),
        }
    }

    async fn open(path: &std::path::Path) -> CachedSession<SqliteSession> {
        CachedSession::new(SqliteSession::open(path).await.unwrap())
    }

    #[tokio::test]
    async fn peers_are_written_to_the_file_first_then_served_from_memory_as_the_file_has_them() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.session");
        let session = open(&path).await;
        let peers = vec![
            user(5, 50, false),
            user(6, 60, true),
            channel(7, 70, ChannelKind::Megagroup),
            channel(8, 80, ChannelKind::Community),
            PeerInfo::Chat { id: 9 },
        ];
        session.cache_peers(peers.clone()).await.unwrap();
        let written = session.usage().totals();
        assert_eq!(written.1, 1, "one transaction");
        let mut remembered = Vec::new();
        for peer in &peers {
            remembered.push(session.peer(peer.id()).await.unwrap());
        }
        assert_eq!(session.usage().totals(), written, "served from memory");
        // The file holds each peer exactly as memory answered it.
        drop(session);
        let reopened = open(&path).await;
        for (peer, remembered) in peers.iter().zip(remembered) {
            assert_eq!(reopened.peer(peer.id()).await.unwrap(), remembered);
        }
        assert_eq!(reopened.usage().totals(), (peers.len() as u64, 0));
    }

    #[tokio::test]
    async fn a_peer_known_as_it_is_is_not_written_again_and_an_absent_one_is_read_once() {
        let dir = tempfile::tempdir().unwrap();
        let session = open(&dir.path().join("t.session")).await;
        session.cache_peers(vec![user(5, 50, false)]).await.unwrap();
        let before = session.usage().totals();
        session.cache_peers(vec![user(5, 50, false)]).await.unwrap();
        session.cache_peer(user(5, 50, false)).await.unwrap();
        assert_eq!(
            session.usage().totals(),
            before,
            "nothing changed: no write"
        );
        session.cache_peers(vec![user(5, 51, false)]).await.unwrap();
        assert_eq!(
            session.usage().totals().1,
            before.1 + 1,
            "a new hash is written"
        );
        let absent = PeerId::user_unchecked(404);
        assert_eq!(session.peer(absent).await.unwrap(), None);
        assert_eq!(session.peer_ref(absent).await.unwrap(), None);
        let (reads, _) = session.usage().totals();
        assert_eq!(
            reads,
            before.0 + 2,
            "the new hash merged after one read, 404 read once"
        );
    }

    #[tokio::test]
    async fn the_signed_in_user_is_read_once_and_again_only_after_it_was_written() {
        let dir = tempfile::tempdir().unwrap();
        let session = open(&dir.path().join("t.session")).await;
        assert_eq!(crate::session::signed_in_user(&session).await, None);
        crate::session::record_self(&session, 1000, Some(7), false)
            .await
            .unwrap();
        assert_eq!(
            crate::session::signed_in_user(&session).await,
            Some((1000, false))
        );
        let reads = session.usage().totals().0;
        session.cache_peers(vec![user(5, 50, false)]).await.unwrap();
        for _ in 0..3 {
            crate::session::signed_in_user(&session).await;
        }
        // User 5 read before it was written, and by grammers again as it writes.
        assert_eq!(session.usage().totals().0, reads + 2);
        crate::session::record_self(&session, 1000, Some(8), false)
            .await
            .unwrap();
        let me = session.peer(PeerId::self_user()).await.unwrap();
        assert_eq!(me.and_then(|p| p.auth()), Some(PeerAuth::from_hash(8)));
    }

    #[tokio::test]
    async fn a_dc_option_written_unchanged_is_not_written_again() {
        let dir = tempfile::tempdir().unwrap();
        let session = open(&dir.path().join("t.session")).await;
        let mut option = session.dc_option(2).unwrap().unwrap();
        option.auth_key = Some([7; 256]);
        session.set_dc_option(&option).await.unwrap();
        session.set_dc_option(&option).await.unwrap();
        assert_eq!(session.usage().totals(), (0, 1));
        option.auth_key = Some([8; 256]);
        session.set_dc_option(&option).await.unwrap();
        assert_eq!(session.usage().totals(), (0, 2));
        assert_eq!(session.dc_option(2).unwrap(), Some(option));
    }

    /// A file whose writes fail while `failing` is set.
    #[derive(Default)]
    struct FailingFile {
        file: MemorySession,
        failing: AtomicBool,
    }

    impl Session for FailingFile {
        type Error = String;
        fn home_dc_id(&self) -> Result<i32, String> {
            Ok(self.file.home_dc_id().unwrap_or_default())
        }
        fn set_home_dc_id(&self, _: i32) -> BoxFuture<'_, Result<(), String>> {
            Box::pin(async { Err("read-only".to_string()) })
        }
        fn dc_option(&self, dc_id: i32) -> Result<Option<DcOption>, String> {
            Ok(self.file.dc_option(dc_id).ok().flatten())
        }
        fn set_dc_option(&self, _: &DcOption) -> BoxFuture<'_, Result<(), String>> {
            Box::pin(async { Err("read-only".to_string()) })
        }
        fn peer(&self, peer: PeerId) -> BoxFuture<'_, Result<Option<PeerInfo>, String>> {
            Box::pin(async move { Ok(self.file.peer(peer).await.ok().flatten()) })
        }
        fn cache_peer(&self, peer: PeerInfo) -> BoxFuture<'_, Result<(), String>> {
            Box::pin(async move {
                if self.failing.load(Ordering::SeqCst) {
                    return Err("disk full".to_string());
                }
                self.file
                    .cache_peer(peer)
                    .await
                    .map_err(|_| "memory".to_string())
            })
        }
        fn updates_state(&self) -> BoxFuture<'_, Result<UpdatesState, String>> {
            Box::pin(async { Ok(UpdatesState::default()) })
        }
        fn set_update_state(&self, _: UpdateState) -> BoxFuture<'_, Result<(), String>> {
            Box::pin(async { Ok(()) })
        }
    }

    #[tokio::test]
    async fn a_failed_write_leaves_memory_holding_nothing_the_file_does_not() {
        let session = CachedSession::new(FailingFile::default());
        session.cache_peers(vec![user(5, 50, false)]).await.unwrap();
        session.file.failing.store(true, Ordering::SeqCst);
        let failed = session
            .cache_peers(vec![user(5, 51, false), user(6, 60, false)])
            .await;
        assert_eq!(failed, Err("disk full".to_string()));
        let reads = session.usage().totals().0;
        let five = session.peer(PeerId::user_unchecked(5)).await.unwrap();
        assert_eq!(five.and_then(|p| p.auth()), Some(PeerAuth::from_hash(50)));
        assert_eq!(session.peer(PeerId::user_unchecked(6)).await.unwrap(), None);
        assert_eq!(
            session.usage().totals().0,
            reads + 2,
            "both asked of the file"
        );
        session.file.failing.store(false, Ordering::SeqCst);
        session.cache_peers(vec![user(5, 51, false)]).await.unwrap();
        let five = session.peer(PeerId::user_unchecked(5)).await.unwrap();
        assert_eq!(five.and_then(|p| p.auth()), Some(PeerAuth::from_hash(51)));
    }
}
