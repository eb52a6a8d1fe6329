//! The `files` of a send: each checked and opened (or fetched) under the file policy — the
//! roots the MCP host declares when it can say, else `ALLOWED_FILE_ROOTS` — then uploaded in
//! parts, reporting MCP progress when the caller sent a progress token.

use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use rmcp::RoleServer;
use rmcp::model::{CallToolResult, ProgressNotificationParam, ProgressToken};
use rmcp::service::{Peer, RequestContext};
use tokio::io::{AsyncRead, ReadBuf};

use super::{Action, ToolError};
use crate::files::{self, FileError, FileReader, FileSpec};
use crate::server::TelegramServer;
use crate::telegram::send::{LocalFile, UploadedMedia};

/// How long to wait for the host's answer to `roots/list`.
const ROOTS_TIMEOUT: Duration = Duration::from_secs(5);

fn file_error(tool: &str, error: &FileError) -> CallToolResult {
    let action = if error.is_retryable() {
        Action::Retry
    } else {
        Action::FixArguments
    };
    ToolError::new(tool, error.to_string())
        .with_code(error.code())
        .with_action(action)
        .into_result()
}

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

/// Checks, opens and uploads `specs`; nothing is sent yet.
pub(crate) async fn upload(
    server: &TelegramServer,
    ctx: &RequestContext<RoleServer>,
    tool: &str,
    specs: &[String],
) -> Result<Vec<UploadedMedia>, CallToolResult> {
    if specs.is_empty() {
        return Ok(Vec::new());
    }
    let roots = host_roots(ctx).await;
    let mut prepared = Vec::with_capacity(specs.len());
    for spec in specs {
        let spec = FileSpec::parse(spec).map_err(|e| file_error(tool, &e))?;
        let file = files::prepare(&spec, &server.options.files, roots.as_deref())
            .await
            .map_err(|e| file_error(tool, &e))?;
        prepared.push(file);
    }
    let total: u64 = prepared.iter().map(|f| f.size()).sum();
    let progress = ctx
        .meta
        .get_progress_token()
        .map(|token| Arc::new(Progress::new(ctx.peer.clone(), token, total)));
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
    let uploaded = server
        .telegram
        .upload_files(local)
        .await
        .map_err(|e| ToolError::telegram(tool, &e).into_result())?;
    if let Some(progress) = &progress {
        progress.finish();
    }
    Ok(uploaded)
}

/// Progress of an upload, reported to the caller every 5 % (and at the end).
struct Progress {
    peer: Peer<RoleServer>,
    token: ProgressToken,
    total: u64,
    sent: AtomicU64,
    reported: AtomicU64,
}

impl Progress {
    fn new(peer: Peer<RoleServer>, token: ProgressToken, total: u64) -> Self {
        Self {
            peer,
            token,
            total,
            sent: AtomicU64::new(0),
            reported: AtomicU64::new(0),
        }
    }

    fn add(&self, bytes: u64) {
        let sent = self.sent.fetch_add(bytes, Ordering::Relaxed) + bytes;
        let step = (self.total / 20).max(64 * 1024);
        let last = self.reported.load(Ordering::Relaxed);
        if sent >= last + step
            && self
                .reported
                .compare_exchange(last, sent, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            self.notify(sent, "uploading");
        }
    }

    fn finish(&self) {
        self.notify(self.total, "uploaded");
    }

    fn notify(&self, sent: u64, what: &str) {
        let param = ProgressNotificationParam::new(self.token.clone(), sent.min(self.total) as f64)
            .with_total(self.total as f64)
            .with_message(format!(
                "{what} {} of {} bytes",
                sent.min(self.total),
                self.total
            ));
        let peer = self.peer.clone();
        tokio::spawn(async move {
            let _ = peer.notify_progress(param).await;
        });
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
