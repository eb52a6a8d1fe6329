//! The task that keeps the state record up to date while the server runs: at once on every
//! change of connection state, within [`WRITE_INTERVAL`] after tool calls, and every
//! [`HEARTBEAT`] regardless (so memory, CPU and `updated_at` stay fresh). On a clean stop it
//! writes the record a last time, marked `"stopped": true`.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use tokio::sync::{oneshot, watch};
use tokio::task::JoinHandle;

use super::activity::{self, Activity};
use super::process;
use super::record::{self, FORMAT, STATE_SUFFIX, StateRecord, iso};
use crate::config::SessionLocation;
use crate::telegram::{LinkState, Telegram};

/// Tool-call counters reach the record at most this often.
pub const WRITE_INTERVAL: Duration = Duration::from_secs(5);
/// The record is rewritten at least this often while the server runs.
pub const HEARTBEAT: Duration = Duration::from_secs(60);

/// The running writer; [`StateWriter::stop`] finishes it.
pub struct StateWriter {
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

struct Writer {
    path: PathBuf,
    session: String,
    telegram: Arc<Telegram>,
    activity: Arc<Activity>,
    pid: u32,
    pid_start_ticks: Option<u64>,
    user_id: Option<i64>,
    /// The sign-in state last logged.
    signed_in: Option<bool>,
    /// A failed write was reported (and is not repeated until a write succeeds).
    failing: bool,
}

impl StateWriter {
    /// Writes the first record and starts keeping it up to date.
    pub fn start(
        session: &SessionLocation,
        telegram: Arc<Telegram>,
        activity: Arc<Activity>,
    ) -> StateWriter {
        let pid = std::process::id();
        let writer = Writer {
            path: session.sibling(STATE_SUFFIX),
            session: session.name.clone(),
            telegram,
            activity,
            pid,
            pid_start_ticks: process::start_ticks(pid),
            user_id: None,
            signed_in: None,
            failing: false,
        };
        let (stop, stopped) = oneshot::channel();
        StateWriter {
            stop: Some(stop),
            task: tokio::spawn(writer.run(stopped)),
        }
    }

    /// Writes the final record (`stopped: true`) and ends the task.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = tokio::time::timeout(Duration::from_secs(5), &mut self.task).await;
    }
}

impl Writer {
    async fn run(mut self, mut stop: oneshot::Receiver<()>) {
        // A server killed while writing left its temporary file: this server holds the
        // session lock, so any temporary file of this record is stale.
        let path = self.path.clone();
        if let Ok(removed @ 1..) =
            tokio::task::spawn_blocking(move || record::remove_stale_temporaries(&path)).await
        {
            tracing::debug!(removed, "removed stale temporary files of the state record");
        }
        let mut states = self.telegram.subscribe();
        let mut states_open = true;
        self.take_state(&mut states, false).await;
        self.write(false).await;
        let mut last_write = Instant::now();
        let mut tick = tokio::time::interval(WRITE_INTERVAL);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tick.tick().await; // the first tick is immediate
        loop {
            tokio::select! {
                _ = &mut stop => break,
                changed = states.changed(), if states_open => {
                    if changed.is_err() {
                        states_open = false;
                        continue;
                    }
                    self.take_state(&mut states, true).await;
                    self.write(false).await;
                    last_write = Instant::now();
                }
                _ = tick.tick() => {
                    if self.activity.take_dirty() || last_write.elapsed() >= HEARTBEAT {
                        self.write(false).await;
                        last_write = Instant::now();
                    }
                }
            }
        }
        self.write(true).await;
    }

    /// Takes the current connection state in, refreshes the signed-in user, and logs a change
    /// of sign-in state.
    async fn take_state(&mut self, states: &mut watch::Receiver<LinkState>, notified: bool) {
        let state = states.borrow_and_update().clone();
        let new = self.activity.set_state(&state, notified);
        if !new && self.signed_in.is_some() {
            return;
        }
        let signed_in = activity::signed_in(&state);
        self.user_id = match signed_in {
            Some(false) => None,
            _ => self.telegram.user_id().await,
        };
        if let Some(now) = signed_in
            && self.signed_in != Some(now)
        {
            if let (true, Some(user_id)) = (now, self.user_id) {
                tracing::debug!(user_id, "session signed in");
            } else if now {
                tracing::debug!("session signed in");
            } else {
                tracing::warn!("session not signed in: {}", self.telegram.sign_in_hint());
            }
            self.signed_in = Some(now);
        }
    }

    async fn write(&mut self, stopped: bool) {
        let now = Utc::now();
        let record = StateRecord {
            format: FORMAT,
            pid: self.pid,
            pid_start_ticks: self.pid_start_ticks,
            version: env!("CARGO_PKG_VERSION").to_string(),
            session: self.session.clone(),
            updated_at: iso(now),
            user_id: self.user_id,
            rss_bytes: process::rss_bytes(),
            cpu_seconds: process::cpu_seconds(),
            stopped,
            stopped_at: stopped.then(|| iso(now)),
            ..self.activity.to_record()
        };
        let path = self.path.clone();
        let written = tokio::task::spawn_blocking(move || record::write(&path, &record)).await;
        let error = match written {
            Ok(Ok(())) => {
                self.failing = false;
                return;
            }
            Ok(Err(e)) => e.to_string(),
            Err(e) => e.to_string(),
        };
        let path = self.path.display();
        if std::mem::replace(&mut self.failing, true) {
            tracing::debug!("cannot write the state record {path}: {error}");
        } else {
            tracing::warn!("cannot write the state record {path}: {error}");
        }
    }
}
