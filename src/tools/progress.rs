//! MCP progress of a file transfer (an upload of a send's files, a download of a message's
//! media), reported when the caller sent a progress token: every 5 %, strictly increasing,
//! the last one the total, all of them before the call answers.

use std::sync::Mutex;

use rmcp::RoleServer;
use rmcp::model::{ProgressNotificationParam, ProgressToken};
use rmcp::service::Peer;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// What a transfer is called while it runs and once done.
pub(crate) type Words = (&'static str, &'static str);
pub(crate) const UPLOAD: Words = ("uploading", "uploaded");
pub(crate) const DOWNLOAD: Words = ("downloading", "downloaded");

/// Progress of a transfer, reported to the caller every 5 % and at the end: strictly
/// increasing, never the same value twice, the last one equal to the total. Notifications
/// go out in order through one task, and all of them before the call answers.
pub(crate) struct Progress {
    total: u64,
    counts: Mutex<Counts>,
    queue: Mutex<Option<mpsc::UnboundedSender<ProgressNotificationParam>>>,
    sender: Mutex<Option<JoinHandle<()>>>,
    token: ProgressToken,
    words: Words,
}

#[derive(Default)]
struct Counts {
    /// Bytes read so far.
    read: u64,
    /// The last value reported.
    reported: Option<u64>,
}

impl Progress {
    pub(crate) fn start(
        peer: Peer<RoleServer>,
        token: ProgressToken,
        total: u64,
        words: Words,
    ) -> Self {
        let (queue, mut pending) = mpsc::unbounded_channel::<ProgressNotificationParam>();
        let sender = tokio::spawn(async move {
            while let Some(param) = pending.recv().await {
                if peer.notify_progress(param).await.is_err() {
                    return;
                }
            }
        });
        Self {
            total,
            counts: Mutex::default(),
            queue: Mutex::new(Some(queue)),
            sender: Mutex::new(Some(sender)),
            token,
            words,
        }
    }

    /// The step between reports.
    fn step(&self) -> u64 {
        (self.total / 20).max(64 * 1024)
    }

    /// `bytes` more were moved; reports when a step was passed (never the total: that is the
    /// end's, once the whole file arrived).
    pub(crate) fn add(&self, bytes: u64) {
        let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        counts.read = counts.read.saturating_add(bytes).min(self.total);
        let due = counts.reported.unwrap_or(0) + self.step();
        if counts.read >= due && counts.read < self.total {
            counts.reported = Some(counts.read);
            self.notify(counts.read, self.words.0);
        }
    }

    /// `value` bytes were moved in all (see [`add`](Self::add)).
    pub(crate) fn reached(&self, value: u64) {
        let read = self.counts.lock().unwrap_or_else(|e| e.into_inner()).read;
        self.add(value.saturating_sub(read));
    }

    /// The end: the total when the transfer worked; then waits until every notification was
    /// sent.
    pub(crate) async fn finish(&self, uploaded: bool) {
        {
            let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
            if uploaded && counts.reported != Some(self.total) {
                counts.reported = Some(self.total);
                self.notify(self.total, self.words.1);
            }
        }
        self.queue.lock().unwrap_or_else(|e| e.into_inner()).take();
        let sender = self.sender.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(sender) = sender {
            let _ = sender.await;
        }
    }

    fn notify(&self, value: u64, what: &str) {
        let param = ProgressNotificationParam::new(self.token.clone(), value as f64)
            .with_total(self.total as f64)
            .with_message(format!("{what} {value} of {} bytes", self.total));
        if let Some(queue) = self
            .queue
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
        {
            let _ = queue.send(param);
        }
    }
}
