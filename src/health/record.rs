//! The state record: a small JSON file a running server keeps beside its session
//! (`<dir>/<name>.session.state.json`) so that `fast-mcp-telegram-health` can tell how it is
//! doing without talking to it. It holds counts, times and states — never message contents,
//! arguments, phone numbers, keys or anything else secret. It is always replaced whole (a
//! temporary file in the same directory, fsync, rename), so a reader never sees half of one.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::Path;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

/// The record's suffix after the session file name.
pub const STATE_SUFFIX: &str = ".state.json";

/// The format's version, bumped on incompatible changes.
pub const FORMAT: u32 = 1;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct StateRecord {
    pub format: u32,
    /// The server process.
    pub pid: u32,
    /// When that process started, in clock ticks since boot (Linux): tells a live server from
    /// an unrelated process that was given the same pid later.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pid_start_ticks: Option<u64>,
    pub version: String,
    pub session: String,
    pub started_at: String,
    /// When this record was written.
    pub updated_at: String,
    /// The connection state: connecting, connected, reconnecting, unauthorized, offline or
    /// no_session.
    pub state: String,
    pub state_since: String,
    /// The signed-in user's id (never the phone number).
    pub user_id: Option<i64>,
    pub last_call_at: Option<String>,
    /// All tool calls, and those that failed (flood waits included).
    pub calls: u64,
    pub errors: u64,
    /// Of the most recent calls (at most [`crate::health::activity::RECENT_WINDOW`]), how many
    /// there were and how many failed.
    pub recent_calls: u64,
    pub recent_errors: u64,
    pub tools: BTreeMap<String, ToolRecord>,
    /// Times the connection came back after it had been lost.
    pub reconnects: u64,
    /// Calls that ended in a FLOOD_WAIT.
    pub flood_waits: u64,
    pub rss_bytes: Option<u64>,
    pub cpu_seconds: Option<f64>,
    /// Set by a clean exit; a record left `false` by a process that is gone is stale.
    pub stopped: bool,
    pub stopped_at: Option<String>,
}

/// One tool's counts and latencies (percentiles over its last calls).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ToolRecord {
    pub calls: u64,
    pub errors: u64,
    pub flood_waits: u64,
    pub p50_ms: Option<u64>,
    pub p95_ms: Option<u64>,
    /// The sum of all call durations, for a Prometheus summary.
    pub latency_sum_ms: u64,
}

/// A time as the record spells it: RFC 3339, UTC, milliseconds.
pub fn iso(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Parses a time written by [`iso`].
pub fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// Replaces the record at `path` atomically: a reader sees the old record or the new one,
/// never a mix. The file is owner-only (0600).
pub fn write(path: &Path, record: &StateRecord) -> io::Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let (prefix, suffix) = temporary_affixes(path);
    let mut text = serde_json::to_vec_pretty(record).map_err(io::Error::other)?;
    text.push(b'\n');
    // tempfile creates the file 0600 with an unguessable name, and removes it if we fail (a
    // kill leaves it: see [`remove_stale_temporaries`]).
    let mut temp = tempfile::Builder::new()
        .prefix(&prefix)
        .suffix(suffix)
        .tempfile_in(dir)?;
    temp.write_all(&text)?;
    temp.as_file().sync_all()?;
    temp.persist(path).map_err(|e| e.error)?;
    // Make the rename itself durable; a directory that cannot be synced is no reason to fail.
    if let Ok(dir) = std::fs::File::open(dir) {
        let _ = dir.sync_all();
    }
    Ok(())
}

/// The prefix and suffix of the temporary files [`write`] makes for the record at `path`.
fn temporary_affixes(path: &Path) -> (String, &'static str) {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("state");
    (format!(".{name}."), ".tmp")
}

/// Removes the temporary files a writer of the record at `path` left behind when it was
/// killed between creating one and renaming it over the record. Only the writer of this
/// record may call it (the server holding the session lock): any such file is then stale.
/// Returns how many were removed.
pub fn remove_stale_temporaries(path: &Path) -> usize {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let (prefix, suffix) = temporary_affixes(path);
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    let mut removed = 0;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else {
            continue;
        };
        if name.len() > prefix.len() + suffix.len()
            && name.starts_with(&prefix)
            && name.ends_with(suffix)
            && entry.file_type().is_ok_and(|t| t.is_file())
            && std::fs::remove_file(entry.path()).is_ok()
        {
            removed += 1;
        }
    }
    removed
}

/// Reads the record at `path`: `None` when there is none.
pub fn read(path: &Path) -> io::Result<Option<StateRecord>> {
    let text = match std::fs::read(path) {
        Ok(text) => text,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    serde_json::from_slice(&text)
        .map(Some)
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    #[test]
    fn a_record_is_replaced_whole_and_owner_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.session.state.json");
        assert_eq!(read(&path).unwrap(), None);
        let mut record = StateRecord {
            format: FORMAT,
            pid: 42,
            state: "connected".into(),
            ..Default::default()
        };
        write(&path, &record).unwrap();
        record.calls = 3;
        write(&path, &record).unwrap();
        assert_eq!(read(&path).unwrap(), Some(record));
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 1, "no temporary file left: {names:?}");
    }

    #[test]
    fn stale_temporaries_of_this_record_only_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.session.state.json");
        let own = dir.path().join(".t.session.state.json.x1Y2z3.tmp");
        let other = dir.path().join(".u.session.state.json.x1Y2z3.tmp");
        let unrelated = dir.path().join(".t.session.state.json.kept");
        for file in [&own, &other, &unrelated] {
            std::fs::write(file, b"{").unwrap();
        }
        write(&path, &StateRecord::default()).unwrap();
        assert_eq!(remove_stale_temporaries(&path), 1);
        assert!(!own.exists() && other.exists() && unrelated.exists() && path.exists());
    }

    #[test]
    fn times_round_trip() {
        let now = Utc::now();
        let back = parse_time(&iso(now)).unwrap();
        assert!((now - back).num_milliseconds().abs() <= 1);
    }
}
