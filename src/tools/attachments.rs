//! The `files` of a send: each checked and opened (or fetched) under the file policy — the
//! roots the MCP host declares when it can say, else `ALLOWED_FILE_ROOTS` — then uploaded in
//! parts, reporting MCP progress when the caller sent a progress token.

use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use rmcp::RoleServer;
use rmcp::service::RequestContext;
use tokio::io::{AsyncRead, ReadBuf};

use super::ToolError;
use super::progress::{Progress, UPLOAD};
use crate::files::{self, FileReader, FileSpec};
use crate::server::{CallPhase, TelegramServer, set_call_phase};
use crate::telegram::upload::{LocalFile, UploadedMedia};

/// How long to wait for the host's answer to `roots/list`.
const ROOTS_TIMEOUT: Duration = Duration::from_secs(5);

/// The directories the host declares as roots, when it supports `roots/list` and answers.
/// On protocol 2026-07-28 a server cannot ask; the configured roots apply there. (Roots are
/// deprecated by SEP-2577, but today's hosts still declare them.)
#[allow(deprecated)]
pub(crate) async fn host_roots(ctx: &RequestContext<RoleServer>) -> Option<Vec<PathBuf>> {
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
        .map(|token| Arc::new(Progress::start(ctx.peer.clone(), token, total, UPLOAD)));
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
