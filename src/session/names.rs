//! The usernames and phone numbers of the peers this account has resolved, kept in the
//! session file so a restart costs no `contacts.resolveUsername` (the method Telegram
//! rate-limits hardest). grammers' `peer_info` table already keeps each peer's id and access
//! hash; this table only maps a name to that id.
//!
//! The table is our own (`fast_mcp_peer_names`), beside grammers' tables and never touching
//! them, on a second connection to the same file: the file stays a grammers session that
//! [`super::detect`] classifies as ours. The two connections take turns through the session's
//! [`FileGate`], so neither meets the other's write. It is written only by the server, which
//! holds the session lock; every write is one transaction, so a failed or killed write leaves
//! the previous mapping and loses nothing. A name with no row here is resolved as before.

use std::path::Path;
use std::time::Duration;

use super::cached::{FileGate, SqliteUse};

/// What a row maps to a peer id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NameKind {
    /// A public @username, lowercase (usernames are case-insensitive).
    Username,
    /// A contact's phone number, digits only.
    Phone,
}

impl NameKind {
    fn column(self) -> &'static str {
        match self {
            NameKind::Username => "username",
            NameKind::Phone => "phone",
        }
    }

    /// Whether a name (normalized) can be one Telegram gives: what an answer says is
    /// hostile, and only names of that shape are kept.
    pub fn is_plausible(self, normalized: &str) -> bool {
        match self {
            NameKind::Username => {
                (4..=32).contains(&normalized.len())
                    && normalized
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'_')
            }
            NameKind::Phone => (5..=15).contains(&normalized.len()),
        }
    }

    /// The form a name is stored and looked up in.
    pub fn normalize(self, name: &str) -> String {
        match self {
            NameKind::Username => name.trim_start_matches('@').to_lowercase(),
            NameKind::Phone => name.chars().filter(char::is_ascii_digit).collect(),
        }
    }
}

const CREATE: &str = "CREATE TABLE IF NOT EXISTS fast_mcp_peer_names (
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    peer_id INTEGER NOT NULL,
    PRIMARY KEY (kind, name))";

/// How long a statement waits for another process's hold on the file (the health command
/// reading it); this process's own turns are taken through the [`FileGate`].
const BUSY_WAIT: Duration = Duration::from_secs(2);

/// The persisted name → peer id mapping of one session file.
pub struct PeerNames {
    conn: libsql::Connection,
    /// Held for every statement: the file's turn (see the module documentation).
    gate: FileGate,
    usage: SqliteUse,
}

impl PeerNames {
    /// Opens the mapping in the session file at `path` (a grammers session, already opened),
    /// creating its table on first use. `gate` is the one the file's other users hold.
    pub async fn open(path: &Path, gate: FileGate) -> Result<PeerNames, libsql::Error> {
        let conn = {
            let _file = gate.lock().await;
            let conn = libsql::Builder::new_local(path).build().await?.connect()?;
            conn.busy_timeout(BUSY_WAIT)?;
            conn.execute(CREATE, ()).await?;
            conn
        };
        Ok(PeerNames {
            conn,
            gate,
            usage: SqliteUse::default(),
        })
    }

    /// How often the table was read and written.
    pub fn usage(&self) -> &SqliteUse {
        &self.usage
    }

    /// The peer id stored for `name`.
    pub async fn get(&self, kind: NameKind, name: &str) -> Option<i64> {
        let _file = self.gate.lock().await;
        let conn = &self.conn;
        self.usage.read(1);
        let mut rows = conn
            .query(
                "SELECT peer_id FROM fast_mcp_peer_names WHERE kind = ?1 AND name = ?2",
                (kind.column(), kind.normalize(name)),
            )
            .await
            .ok()?;
        rows.next().await.ok()??.get::<i64>(0).ok()
    }

    /// Stores (or replaces) the mappings, all or none.
    pub async fn put(&self, kind: NameKind, names: &[(String, i64)]) -> Result<(), libsql::Error> {
        let names: Vec<(String, i64)> = names
            .iter()
            .map(|(name, id)| (kind.normalize(name), *id))
            .filter(|(name, _)| kind.is_plausible(name))
            .collect();
        if names.is_empty() {
            return Ok(());
        }
        let _file = self.gate.lock().await;
        let conn = &self.conn;
        self.usage.write();
        let tx = conn.transaction().await?;
        for (name, id) in names {
            tx.execute(
                "INSERT OR REPLACE INTO fast_mcp_peer_names (kind, name, peer_id) \
                 VALUES (?1, ?2, ?3)",
                (kind.column(), name, id),
            )
            .await?;
        }
        tx.commit().await
    }

    /// Drops every `kind` name of the peer `id` (a contact removed: its number no longer
    /// finds it among the contacts).
    pub async fn forget_peer(&self, kind: NameKind, id: i64) -> Result<(), libsql::Error> {
        self.delete(kind, "peer_id", id.into()).await
    }

    /// Drops the mapping of `name` (it named another peer, or nobody, when last used).
    pub async fn forget(&self, kind: NameKind, name: &str) -> Result<(), libsql::Error> {
        self.delete(kind, "name", kind.normalize(name).into()).await
    }

    /// Deletes the `kind` rows whose `column` (a constant of this file) holds `value`.
    async fn delete(
        &self,
        kind: NameKind,
        column: &str,
        value: libsql::Value,
    ) -> Result<(), libsql::Error> {
        let sql = format!("DELETE FROM fast_mcp_peer_names WHERE kind = ?1 AND {column} = ?2");
        let _file = self.gate.lock().await;
        let conn = &self.conn;
        self.usage.write();
        conn.execute(&sql, libsql::params![kind.column(), value])
            .await
            .map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn names_survive_reopening_and_the_file_stays_a_grammers_session() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.session");
        super::super::open(&path).await.unwrap();
        let names = PeerNames::open(&path, FileGate::default()).await.unwrap();
        let rows = [("@Babbage".to_string(), 1001)];
        names.put(NameKind::Username, &rows).await.unwrap();
        names
            .put(NameKind::Phone, &[("+1 555 000".to_string(), 1002)])
            .await
            .unwrap();
        drop(names);
        let names = PeerNames::open(&path, FileGate::default()).await.unwrap();
        assert_eq!(names.get(NameKind::Username, "BABBAGE").await, Some(1001));
        assert_eq!(names.get(NameKind::Phone, "1555000").await, Some(1002));
        assert_eq!(names.get(NameKind::Username, "1555000").await, None);
        let hostile = [("a".repeat(10_000), 7), ("drop table;--".to_string(), 8)];
        names.put(NameKind::Username, &hostile).await.unwrap();
        assert_eq!(
            names.get(NameKind::Username, &"a".repeat(10_000)).await,
            None
        );
        assert_eq!(names.get(NameKind::Username, "drop table;--").await, None);
        names.forget(NameKind::Username, "babbage").await.unwrap();
        assert_eq!(names.get(NameKind::Username, "babbage").await, None);
        names.forget_peer(NameKind::Phone, 1002).await.unwrap();
        assert_eq!(names.get(NameKind::Phone, "1555000").await, None);
        assert_eq!(
            super::super::detect(&path).await.unwrap(),
            super::super::SessionKind::Grammers
        );
        super::super::open(&path)
            .await
            .expect("grammers still opens it");
    }

    /// grammers' connection has no busy timeout: a peer written while this table is being
    /// written would fail with `SQLITE_BUSY` unless the two take turns.
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn the_names_and_grammers_writes_take_turns_on_the_file() {
        use grammers_session::Session as _;
        use grammers_session::types::{PeerAuth, PeerId, PeerInfo};
        use std::sync::Arc;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.session");
        let session = Arc::new(super::super::cached::CachedSession::new(
            super::super::open(&path).await.unwrap(),
        ));
        let names = Arc::new(PeerNames::open(&path, session.file_gate()).await.unwrap());
        let mut tasks = Vec::new();
        for t in 0..4i64 {
            let names = Arc::clone(&names);
            tasks.push(tokio::spawn(async move {
                for i in 0..60i64 {
                    let rows = [(format!("name_{t}_{i:04}"), i)];
                    names.put(NameKind::Username, &rows).await.unwrap();
                }
            }));
            let session = Arc::clone(&session);
            tasks.push(tokio::spawn(async move {
                for i in 1..=60i64 {
                    let id = t * 1000 + i;
                    let peer = PeerInfo::User {
                        id,
                        auth: Some(PeerAuth::from_hash(id)),
                        bot: None,
                        is_self: None,
                    };
                    session.cache_peer(peer).await.expect("no SQLITE_BUSY");
                }
            }));
        }
        for task in tasks {
            task.await.unwrap();
        }
        assert_eq!(names.get(NameKind::Username, "name_3_0059").await, Some(59));
        let stored = session.peer(PeerId::user(3060).unwrap()).await.unwrap();
        assert!(stored.is_some());
    }
}
