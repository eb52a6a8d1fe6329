//! The health check: reads the session directory, each session file (read-only) and its state
//! record, and judges each session and the whole.
//!
//! Rules, per session (the overall status is the worst one):
//! - **unhealthy**: no session file; the file cannot be opened (with the reason: unreadable,
//!   not writable, not a database) or holds a write a killed process left unfinished (a hot
//!   journal, rolled back by the next server start); the file is not signed in; no server
//!   running (no record, or a record marked stopped); a stale record (its server died without
//!   stopping: a crash or SIGKILL); the running server says Telegram refuses the session
//!   (`unauthorized`).
//! - **degraded** (a server runs): the connection is `reconnecting` or `offline`; still
//!   `connecting` after [`CONNECTING_GRACE`]; at least half of the last calls failed (once
//!   there were [`ERROR_RATE_MIN_CALLS`]); the record has not been refreshed for
//!   [`STALE_UPDATE`] (the server looks stuck).
//! - **healthy**: a server runs and is connected (idle or not), or is within its first
//!   [`CONNECTING_GRACE`] of connecting.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::process;
use super::record::{self, STATE_SUFFIX, StateRecord, ToolRecord, iso, parse_time};
use super::writer::HEARTBEAT;
use crate::config::SessionLocation;

/// How long a starting server may stay `connecting` and still be healthy.
pub const CONNECTING_GRACE: Duration = Duration::from_secs(60);
/// A running server's record older than this means the server is stuck.
pub const STALE_UPDATE: Duration = Duration::from_secs(3 * HEARTBEAT.as_secs());
/// Recent calls needed before the error rate counts.
pub const ERROR_RATE_MIN_CALLS: u64 = 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Healthy,
    Degraded,
    Unhealthy,
}

/// What to check: the configured session, or every session in its directory.
#[derive(Debug, Clone)]
pub struct Scope {
    pub location: SessionLocation,
    pub all: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct HealthReport {
    pub status: Status,
    pub reasons: Vec<String>,
    pub checked_at: String,
    /// `*.session` files in the session directory.
    pub session_files: usize,
    pub sessions: Vec<SessionHealth>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SessionHealth {
    pub name: String,
    pub status: Status,
    pub reasons: Vec<String>,
    pub file_present: bool,
    pub signed_in: bool,
    pub server_running: bool,
    /// A record whose server died without stopping.
    pub stale_record: bool,
    pub pid: Option<u32>,
    pub version: Option<String>,
    pub is_connected: bool,
    /// The running server's connection state, or `not_running`.
    pub state: String,
    pub state_since: Option<String>,
    /// The last tool call (of this or the last run).
    pub last_access: Option<String>,
    pub hours_since_access: Option<f64>,
    pub uptime_seconds: Option<u64>,
    pub stopped_at: Option<String>,
    pub calls: u64,
    pub errors: u64,
    pub flood_waits: u64,
    pub reconnects: u64,
    pub tools: BTreeMap<String, ToolRecord>,
    pub rss_bytes: Option<u64>,
    pub cpu_seconds: Option<f64>,
}

impl SessionHealth {
    /// A session with nothing known yet.
    fn blank(name: &str, file_present: bool) -> SessionHealth {
        SessionHealth {
            name: name.to_string(),
            status: Status::Healthy,
            reasons: Vec::new(),
            file_present,
            signed_in: false,
            server_running: false,
            stale_record: false,
            pid: None,
            version: None,
            is_connected: false,
            state: "not_running".into(),
            state_since: None,
            last_access: None,
            hours_since_access: None,
            uptime_seconds: None,
            stopped_at: None,
            calls: 0,
            errors: 0,
            flood_waits: 0,
            reconnects: 0,
            tools: BTreeMap::new(),
            rss_bytes: None,
            cpu_seconds: None,
        }
    }

    fn judge(&mut self, status: Status, reason: impl Into<String>) {
        self.status = self.status.max(status);
        self.reasons.push(reason.into());
    }
}

/// Checks the sessions in `scope`.
pub async fn check(scope: &Scope) -> HealthReport {
    let now = Utc::now();
    let dir = &scope.location.dir;
    let (files, recorded) = list(dir);
    let names: Vec<String> = if scope.all {
        let mut names: Vec<String> = files.iter().chain(&recorded).cloned().collect();
        names.sort();
        names.dedup();
        names
    } else {
        vec![scope.location.name.clone()]
    };
    let mut sessions = Vec::new();
    for name in names {
        let location = SessionLocation {
            dir: dir.clone(),
            name,
        };
        sessions.push(session_health(&location, now).await);
    }
    let mut status = sessions
        .iter()
        .map(|s| s.status)
        .max()
        .unwrap_or(Status::Healthy);
    let mut reasons = Vec::new();
    if sessions.is_empty() {
        status = Status::Unhealthy;
        reasons.push(format!("no session files in {}", dir.display()));
    }
    let prefix = sessions.len() > 1;
    for session in &sessions {
        for reason in &session.reasons {
            reasons.push(if prefix {
                format!("{}: {reason}", session.name)
            } else {
                reason.clone()
            });
        }
    }
    HealthReport {
        status,
        reasons,
        checked_at: iso(now),
        session_files: files.len(),
        sessions,
    }
}

/// The session names with a file (`<name>.session`) and with a state record in `dir`.
fn list(dir: &Path) -> (Vec<String>, Vec<String>) {
    let mut files = Vec::new();
    let mut recorded = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return (files, recorded);
    };
    for entry in entries.flatten() {
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        if name.starts_with('.') {
            continue;
        }
        if let Some(session) = name.strip_suffix(".session") {
            if entry.file_type().is_ok_and(|t| t.is_file()) {
                files.push(session.to_string());
            }
        } else if let Some(session) = name.strip_suffix(&format!(".session{STATE_SUFFIX}")) {
            recorded.push(session.to_string());
        }
    }
    files.sort();
    recorded.sort();
    (files, recorded)
}

async fn session_health(location: &SessionLocation, now: DateTime<Utc>) -> SessionHealth {
    let file = location.file();
    let file_present = file.is_file();
    let mut health = SessionHealth::blank(&location.name, file_present);
    // A write a killed process left unfinished: until a server rolls it back, what the file
    // says (signed in or not) is not final, and reading it may fail.
    let unfinished = file_present && crate::session::hot_journal(&file);
    if !file_present {
        health.judge(
            Status::Unhealthy,
            "no session file: run `fast-mcp-telegram setup`, or ask the assistant to sign in (`sign_in`)",
        );
    } else if let Err(e) = std::fs::File::open(&file) {
        health.judge(
            Status::Unhealthy,
            format!("the session file cannot be opened: {e}"),
        );
    } else {
        match crate::session::inspect::signed_in(&file).await {
            Ok(true) => health.signed_in = true,
            // Judged below, from the unfinished write.
            Ok(false) | Err(_) if unfinished => {}
            Ok(false) => health.judge(
                Status::Unhealthy,
                "session not signed in: run `fast-mcp-telegram setup`, or ask the assistant to sign in (`sign_in`)",
            ),
            Err(e) => health.judge(
                Status::Unhealthy,
                format!("the session file cannot be opened: {e:#}"),
            ),
        }
        if let Some(problem) = unwritable(&file) {
            health.judge(Status::Unhealthy, problem);
        }
    }
    let record = match record::read(&location.sibling(STATE_SUFFIX)) {
        Ok(record) => record,
        Err(e) => {
            health.judge(
                Status::Unhealthy,
                format!("cannot read the state record: {e}"),
            );
            None
        }
    };
    match record {
        None => health.judge(Status::Unhealthy, "no server running"),
        Some(record) => judge_record(&mut health, record, now),
    }
    // With a server running, the journal is its transaction in progress.
    if unfinished && !health.server_running {
        health.judge(
            Status::Unhealthy,
            format!(
                "the session file has a write left unfinished by a process that was stopped \
                 abruptly ({} is a hot journal): the next server start rolls it back; do not \
                 delete the journal",
                crate::session::journal_path(&file)
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default()
            ),
        );
    }
    health
}

/// Why the server could not write the session file (SQLite also creates its journal beside
/// it, so the directory must be writable too), if it could not.
fn unwritable(file: &Path) -> Option<String> {
    use rustix::fs::{Access, access};
    if let Err(e) = access(file, Access::READ_OK | Access::WRITE_OK) {
        return Some(format!(
            "the session file cannot be opened for writing: {}",
            std::io::Error::from(e)
        ));
    }
    let dir = file
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if let Err(e) = access(dir, Access::WRITE_OK | Access::EXEC_OK) {
        return Some(format!(
            "the session directory {} is not writable (SQLite keeps its journal there): {}",
            dir.display(),
            std::io::Error::from(e)
        ));
    }
    None
}

fn seconds_since(then: Option<&str>, now: DateTime<Utc>) -> Option<u64> {
    let then = parse_time(then?)?;
    Some((now - then).num_seconds().max(0) as u64)
}

fn judge_record(health: &mut SessionHealth, record: StateRecord, now: DateTime<Utc>) {
    let alive = !record.stopped && process::is_alive(record.pid, record.pid_start_ticks);
    health.version = Some(record.version.clone());
    health.last_access = record.last_call_at.clone();
    health.hours_since_access = seconds_since(record.last_call_at.as_deref(), now)
        .map(|s| (s as f64 / 36.0).round() / 100.0);
    health.stopped_at = record.stopped_at.clone();
    health.calls = record.calls;
    health.errors = record.errors;
    health.flood_waits = record.flood_waits;
    health.reconnects = record.reconnects;
    health.tools = record.tools.clone();
    if record.stopped {
        health.judge(
            Status::Unhealthy,
            "no server running (the last one stopped cleanly)",
        );
        return;
    }
    if !alive {
        health.stale_record = true;
        health.pid = Some(record.pid);
        health.judge(
            Status::Unhealthy,
            format!(
                "stale state record: the server (pid {}) died without stopping",
                record.pid
            ),
        );
        return;
    }
    health.server_running = true;
    health.pid = Some(record.pid);
    health.state = record.state.clone();
    health.state_since = Some(record.state_since.clone());
    health.is_connected = record.state == "connected";
    health.uptime_seconds = seconds_since(Some(&record.started_at), now);
    health.rss_bytes = record.rss_bytes;
    health.cpu_seconds = record.cpu_seconds;
    let in_state = seconds_since(Some(&record.state_since), now).unwrap_or(0);
    match record.state.as_str() {
        "connected" => {}
        "connecting" if in_state < CONNECTING_GRACE.as_secs() => {}
        "connecting" => health.judge(
            Status::Degraded,
            format!("still connecting to Telegram after {in_state} s"),
        ),
        "reconnecting" => health.judge(Status::Degraded, "reconnecting to Telegram"),
        "offline" => health.judge(Status::Degraded, "Telegram unreachable (offline)"),
        "unauthorized" => health.judge(
            Status::Unhealthy,
            "Telegram refuses the session (logged out elsewhere?): ask the assistant to sign in again (`sign_in`), or run `fast-mcp-telegram setup --overwrite`",
        ),
        "no_session" => health.judge(Status::Unhealthy, "the server has no session"),
        other => health.judge(Status::Degraded, format!("unknown state {other:?}")),
    }
    if record.recent_calls >= ERROR_RATE_MIN_CALLS
        && record.recent_errors * 2 >= record.recent_calls
    {
        health.judge(
            Status::Degraded,
            format!(
                "high error rate: {} of the last {} calls failed",
                record.recent_errors, record.recent_calls
            ),
        );
    }
    if let Some(age) = seconds_since(Some(&record.updated_at), now)
        && age > STALE_UPDATE.as_secs()
    {
        health.judge(
            Status::Degraded,
            format!("state record not refreshed for {age} s (server stuck?)"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn running(state: &str) -> StateRecord {
        let now = iso(Utc::now());
        StateRecord {
            format: record::FORMAT,
            pid: std::process::id(),
            pid_start_ticks: process::start_ticks(std::process::id()),
            started_at: now.clone(),
            updated_at: now.clone(),
            state: state.into(),
            state_since: now,
            ..Default::default()
        }
    }

    fn judged(record: StateRecord) -> SessionHealth {
        let mut health = SessionHealth::blank("t", true);
        health.signed_in = true;
        judge_record(&mut health, record, Utc::now());
        health
    }

    #[test]
    fn connection_states_map_to_statuses() {
        assert_eq!(judged(running("connected")).status, Status::Healthy);
        assert_eq!(judged(running("connecting")).status, Status::Healthy);
        assert_eq!(judged(running("reconnecting")).status, Status::Degraded);
        assert_eq!(judged(running("offline")).status, Status::Degraded);
        assert_eq!(judged(running("unauthorized")).status, Status::Unhealthy);
        let mut slow = running("connecting");
        slow.state_since = iso(Utc::now() - chrono::Duration::seconds(120));
        assert_eq!(judged(slow).status, Status::Degraded);
    }

    #[test]
    fn failing_calls_and_a_stuck_writer_degrade() {
        let mut failing = running("connected");
        failing.recent_calls = 10;
        failing.recent_errors = 5;
        let health = judged(failing);
        assert_eq!(health.status, Status::Degraded);
        assert!(
            health.reasons[0].contains("5 of the last 10"),
            "{:?}",
            health.reasons
        );
        let mut stuck = running("connected");
        stuck.updated_at = iso(Utc::now() - chrono::Duration::seconds(600));
        assert_eq!(judged(stuck).status, Status::Degraded);
    }

    #[test]
    fn stopped_and_dead_servers_are_unhealthy() {
        let mut stopped = running("connected");
        stopped.stopped = true;
        let health = judged(stopped);
        assert_eq!(health.status, Status::Unhealthy);
        assert!(!health.stale_record && !health.server_running);
        let mut dead = running("connected");
        dead.pid_start_ticks = dead.pid_start_ticks.map(|t| t + 1);
        dead.pid = if dead.pid_start_ticks.is_some() {
            dead.pid
        } else {
            u32::MAX / 2
        };
        let health = judged(dead);
        assert!(health.stale_record);
        assert_eq!(health.status, Status::Unhealthy);
    }
}
