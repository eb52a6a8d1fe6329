//! The `files` of a send: each checked and opened (or fetched) under the file policy — the
//! roots the MCP host declares when it can say, else `ALLOWED_FILE_ROOTS` — then uploaded in
//! parts, reporting MCP progress when the caller sent a progress token.

use std::path::PathBuf;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use rmcp::RoleServer;
use rmcp::model::{ProgressNotificationParam, ProgressToken};
use rmcp::service::{Peer, RequestContext};
use tokio::io::{AsyncRead, ReadBuf};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::ToolError;
use crate::files::{self, FileReader, FileSpec};
use crate::server::{CallPhase, TelegramServer, set_call_phase};
use crate::telegram::upload::{LocalFile, UploadedMedia};

/// How long to wait for the host's answer to `roots/list`.
const ROOTS_TIMEOUT: Duration = Duration::from_secs(5);

/// The directories the host declares as roots, when it supports `roots/list` and answers.
/// On protocol 2026-07-28 a server cannot ask; the configured roots apply there. (Roots are
/// deprecated by SEP-2577, but today's hosts still declare them.)
#[allow(deprecated)]
async fn host_roots(ctx: &RequestContext<RoleServer>) -> Option<Vec<PathBuf>> {
    let declares = ctx
        .peer
        .peer_info()
        .is_some_and(|info| info.capabilities.roots.is_some());
    if !declares {
        return None;
    }
    match tokio::time::timeout(ROOTS_TIMEOUT, ctx.peer.list_roots()).await {
        Ok(Ok(list)) => {
            let uris: Vec<String> = list.roots.iter().map(|r| r.uri.clone()).collect();
            Some(files::roots_from_uris(&uris))
        }
        _ => None,
    }
}

/// `scheme://host[:port]` of a URL: what a message may name of it.
fn host_label(url: &url::Url) -> String {
    let host = url.host_str().unwrap_or("(no host)");
    match url.port() {
        Some(port) => format!("{}://{host}:{port}", url.scheme()),
        None => format!("{}://{host}", url.scheme()),
    }
}

/// Checks, opens and uploads `specs`; nothing is sent yet. The call's phase names each
/// download and the upload, so a call that runs out of time says which was too slow.
pub(crate) async fn upload(
    server: &TelegramServer,
    ctx: &RequestContext<RoleServer>,
    specs: &[String],
) -> Result<Vec<UploadedMedia>, ToolError> {
    if specs.is_empty() {
        return Ok(Vec::new());
    }
    let roots = host_roots(ctx).await;
    let mut prepared = Vec::with_capacity(specs.len());
    for spec in specs {
        let spec = FileSpec::parse(spec)?;
        if let FileSpec::Url(url) = &spec {
            set_call_phase(CallPhase::Downloading(host_label(url)));
        }
        let file = files::prepare(&spec, &server.options.files, roots.as_deref()).await?;
        prepared.push(file);
    }
    set_call_phase(CallPhase::Uploading);
    let total: u64 = prepared.iter().map(|f| f.size()).sum();
    let progress = ctx
        .meta
        .get_progress_token()
        .map(|token| Arc::new(Progress::start(ctx.peer.clone(), token, total)));
    let local = prepared
        .into_iter()
        .map(|file| LocalFile {
            size: file.size() as usize,
            name: file.name().to_string(),
            mime: file.mime_type().to_string(),
            reader: Counted {
                inner: file.into_reader(),
                progress: progress.clone(),
            },
        })
        .collect();
    let uploaded = server.telegram.upload_files(local).await;
    if let Some(progress) = &progress {
        progress.finish(uploaded.is_ok()).await;
    }
    set_call_phase(CallPhase::Telegram);
    Ok(uploaded?)
}

/// Progress of an upload, reported to the caller every 5 % and at the end: strictly
/// increasing, never the same value twice, the last one equal to the total. Notifications
/// go out in order through one task, and all of them before the call answers.
struct Progress {
    total: u64,
    counts: Mutex<Counts>,
    queue: Mutex<Option<mpsc::UnboundedSender<ProgressNotificationParam>>>,
    sender: Mutex<Option<JoinHandle<()>>>,
    token: ProgressToken,
}

#[derive(Default)]
struct Counts {
    /// Bytes read so far.
    read: u64,
    /// The last value reported.
    reported: Option<u64>,
}

impl Progress {
    fn start(peer: Peer<RoleServer>, token: ProgressToken, total: u64) -> Self {
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
        }
    }

    /// The step between reports.
    fn step(&self) -> u64 {
        (self.total / 20).max(64 * 1024)
    }

    /// `bytes` more were read; reports when a step was passed (never the total: that is the
    /// end's, once Telegram has the whole file).
    fn add(&self, bytes: u64) {
        let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        counts.read = counts.read.saturating_add(bytes).min(self.total);
        let due = counts.reported.unwrap_or(0) + self.step();
        if counts.read >= due && counts.read < self.total {
            counts.reported = Some(counts.read);
            self.notify(counts.read, "uploading");
        }
    }

    /// The end: the total when the upload worked; then waits until every notification was
    /// sent.
    async fn finish(&self, uploaded: bool) {
        {
            let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
            if uploaded && counts.reported != Some(self.total) {
                counts.reported = Some(self.total);
                self.notify(self.total, "uploaded");
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

/// A file reader that counts what the upload has read.
pub(crate) struct Counted {
    inner: FileReader,
    progress: Option<Arc<Progress>>,
}

impl AsyncRead for Counted {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let result = Pin::new(&mut self.inner).poll_read(cx, buf);
        if let (Poll::Ready(Ok(())), Some(progress)) = (&result, &self.progress) {
            progress.add((buf.filled().len() - before) as u64);
        }
        result
    }
}
