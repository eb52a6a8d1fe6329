//! Reading a session file from outside the process that uses it (the health check): read-only
//! and `immutable`, so SQLite takes no lock that could make the server's own writes fail, and
//! the file is never written, created or recovered.

use std::path::Path;

use anyhow::Context;
use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};

/// What SQLite's URI file names treat specially in a path.
const URI_PATH: &AsciiSet = &CONTROLS.add(b'%').add(b'?').add(b'#').add(b' ');

/// Whether the session at `path` records a signed-in account: the self user in a grammers
/// session (`peer_info` subtype 1, or 3 for a bot), or an auth key in a Telethon session not
/// yet imported. A file without those tables (an empty session) is not signed in.
pub async fn signed_in(path: &Path) -> anyhow::Result<bool> {
    let text = path
        .to_str()
        .with_context(|| format!("{} is not a UTF-8 path", path.display()))?;
    let uri = format!(
        "file:{}?mode=ro&immutable=1",
        utf8_percent_encode(text, URI_PATH)
    );
    let db = libsql::Builder::new_local(uri)
        .flags(libsql::OpenFlags::SQLITE_OPEN_READ_ONLY)
        .build()
        .await
        .with_context(|| format!("cannot open {} read-only", path.display()))?;
    let conn = db.connect()?;
    let mut tables = conn
        .query("SELECT name FROM sqlite_master WHERE type = 'table'", ())
        .await?;
    let mut names = Vec::new();
    while let Some(row) = tables.next().await? {
        names.push(row.get::<String>(0)?);
    }
    let query = if names.iter().any(|n| n == "peer_info") {
        "SELECT 1 FROM peer_info WHERE subtype IN (1, 3) AND peer_id > 0 LIMIT 1"
    } else if names.iter().any(|n| n == "sessions") {
        "SELECT 1 FROM sessions WHERE auth_key IS NOT NULL LIMIT 1"
    } else {
        return Ok(false);
    };
    let mut rows = conn.query(query, ()).await?;
    Ok(rows.next().await?.is_some())
}

#[cfg(test)]
mod tests {

    use super::*;

    #[tokio::test]
    async fn the_self_user_means_signed_in_and_the_file_is_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        // A name SQLite's URIs would misread if it were not escaped.
        let path = dir.path().join("a b?#%.session");
        let session = crate::session::open(&path).await.unwrap();
        assert!(!signed_in(&path).await.unwrap());
        crate::session::record_self(&session, 1000, Some(7), false)
            .await
            .unwrap();
        let before = std::fs::read(&path).unwrap();
        let listing = |d: &Path| {
            let mut names: Vec<_> = std::fs::read_dir(d)
                .unwrap()
                .map(|e| e.unwrap().file_name())
                .collect();
            names.sort();
            names
        };
        let files = listing(dir.path());
        assert!(signed_in(&path).await.unwrap());
        assert_eq!(std::fs::read(&path).unwrap(), before);
        assert_eq!(
            listing(dir.path()),
            files,
            "no journal or other file created"
        );
    }

    #[tokio::test]
    async fn an_empty_file_is_not_signed_in() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.session");
        std::fs::write(&path, b"").unwrap();
        assert!(!signed_in(&path).await.unwrap());
    }
}
