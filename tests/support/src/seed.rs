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

/// Writes a session the way the Python server (Telethon 1.x) does: its five tables and one
/// `sessions` row naming DC 2 at `127.0.0.1:port` with `key`.
pub async fn seed_telethon_session(path: &Path, port: u16, key: &[u8; 256]) -> Result<(), String> {
    let (_db, conn) = connect(path).await?;
    add_telethon_tables_to(&conn, true).await?;
    conn.execute(
        "INSERT INTO sessions VALUES (2, '127.0.0.1', ?1, ?2, NULL, x'')",
        libsql::params![port as i64, key.to_vec()],
    )
    .await
    .map_err(|e| e.to_string())?;
    Ok(())
}

/// Adds Telethon's tables to an existing (grammers) session file, as running the Python
/// server once on the same file does: `version`, `sessions` (left empty), `entities`,
/// `sent_files`, and `update_state` unless the file has one already.
pub async fn add_telethon_tables(path: &Path) -> Result<(), String> {
    let (_db, conn) = connect(path).await?;
    add_telethon_tables_to(&conn, false).await
}

/// A connection to the database at `path` (with its database, kept open as long).
async fn connect(path: &Path) -> Result<(libsql::Database, libsql::Connection), String> {
    let db = libsql::Builder::new_local(path)
        .build()
        .await
        .map_err(|e| format!("open {}: {e}", path.display()))?;
    let conn = db.connect().map_err(|e| e.to_string())?;
    Ok((db, conn))
}

async fn add_telethon_tables_to(conn: &libsql::Connection, fresh: bool) -> Result<(), String> {
    let mut statements = vec![
        "CREATE TABLE version (version integer primary key)",
        "INSERT INTO version VALUES (8)",
        "CREATE TABLE sessions (dc_id integer primary key, server_address text, port integer, \
         auth_key blob, takeout_id integer, tmp_auth_key blob)",
        "CREATE TABLE entities (id integer primary key, hash integer not null, username text, \
         phone integer, name text, date integer)",
        "CREATE TABLE sent_files (md5_digest blob, file_size integer, type integer, id integer, \
         hash integer, primary key(md5_digest, file_size, type))",
    ];
    if fresh {
        statements.push(
            "CREATE TABLE update_state (id integer primary key, pts integer, qts integer, \
             date integer, seq integer)",
        );
    }
    for sql in statements {
        conn.execute(sql, ())
            .await
            .map_err(|e| format!("{sql}: {e}"))?;
    }
    Ok(())
}

/// SQLite's rollback journal of the database at `path` (`<path>-journal`).
pub fn journal_path(path: &Path) -> std::path::PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push("-journal");
    name.into()
}

/// Runs `sql` on the database at `path` in one transaction and leaves behind what a process
/// killed in the middle of committing it leaves: the new pages in the file and a hot journal
/// (`<path>-journal`) holding the old ones, which SQLite must roll back before anyone reads
/// the file. Returns the journal's size.
pub async fn leave_hot_journal(path: &Path, sql: &str) -> Result<u64, String> {
    let journal = journal_path(path);
    let saved = {
        let (_db, conn) = connect(path).await?;
        // Without syncs the journal header is complete from the start (with them it is zeroed
        // until the commit syncs it), so a copy taken mid-transaction is a valid hot journal.
        conn.execute("PRAGMA synchronous = OFF", ())
            .await
            .map_err(|e| e.to_string())?;
        conn.execute("BEGIN IMMEDIATE", ())
            .await
            .map_err(|e| e.to_string())?;
        conn.execute_batch(sql)
            .await
            .map_err(|e| format!("{sql}: {e}"))?;
        let saved = std::fs::read(&journal)
            .map_err(|e| format!("read the journal {}: {e}", journal.display()))?;
        conn.execute("COMMIT", ())
            .await
            .map_err(|e| e.to_string())?;
        saved
    };
    if journal.exists() {
        return Err("the journal outlived the commit".into());
    }
    std::fs::write(&journal, &saved).map_err(|e| e.to_string())?;
    Ok(saved.len() as u64)
}
