//! `send_message` with `files`: local paths under allowed roots (configured or declared by the
//! host), URLs under the fetching rules, albums, upload progress — against the loopback DC.

#![allow(deprecated)] // MCP roots are deprecated by SEP-2577; hosts still declare them.

use std::sync::{Arc, Mutex};

use rmcp::model::{
    CallToolRequestParams, ClientCapabilities, ClientConfig, Implementation, ListRootsResult,
    ProgressNotificationParam, ProgressToken, ProtocolVersion, RequestMetaObject, Root,
    RootsCapabilities,
};
use rmcp::service::{NotificationContext, RequestContext};
use rmcp::transport::TokioChildProcess;
use rmcp::{ClientHandler, ErrorData, RoleClient, ServiceExt};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use testkit::harness::{Harness, call, result_value, spawn};
use testkit::world::Peer;

/// A PNG-looking file of `len` bytes (the DC checks image headers for photos).
fn png(len: usize) -> Vec<u8> {
    let mut bytes = vec![
        0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, b'I', b'H', b'D', b'R', 0, 0,
        0, 64, 0, 0, 0, 48,
    ];
    bytes.extend((0..len.saturating_sub(bytes.len())).map(|i| (i * 31 % 251) as u8));
    bytes
}

fn sent_id(v: &Value) -> i32 {
    v["messages"][0]["id"].as_i64().unwrap() as i32
}

#[tokio::test]
async fn a_local_file_under_an_allowed_root_is_uploaded_byte_for_byte() {
    let h = Harness::signed_in().await;
    let root = h.session_dir().join("outbox");
    std::fs::create_dir(&root).unwrap();
    let bytes: Vec<u8> = (0..700_000u32).map(|i| (i % 253) as u8).collect();
    std::fs::write(root.join("report.pdf"), &bytes).unwrap();
    let mut cmd = h.command();
    cmd.env("ALLOWED_FILE_ROOTS", &root);
    let client = spawn(cmd).await;
    let path = root.join("report.pdf");
    let (err, v) = call(
        &client,
        "send_message",
        json!({"chat_id": "@babbage", "message": "The **report**", "files": [path]}),
    )
    .await;
    assert!(!err, "{v}");
    let id = sent_id(&v);
    assert_eq!(v["messages"][0]["media"]["type"], "document");
    assert_eq!(v["messages"][0]["media"]["filename"], "report.pdf");
    assert_eq!(v["messages"][0]["text"], "The report");
    assert_eq!(
        h.dc.uploaded_bytes(Peer::User(1001), id).unwrap(),
        bytes,
        "parts reassemble"
    );
    let parts =
        h.dc.request_names()
            .iter()
            .filter(|n| n.starts_with("upload.save"))
            .count();
    assert!(parts >= 2, "uploaded in parts, not in one piece: {parts}");
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn several_files_become_an_album_with_the_text_as_caption() {
    let h = Harness::signed_in().await;
    let root = h.session_dir().join("pics");
    std::fs::create_dir(&root).unwrap();
    std::fs::write(root.join("a.png"), png(3000)).unwrap();
    std::fs::write(root.join("b.png"), png(5000)).unwrap();
    let mut cmd = h.command();
    cmd.env("ALLOWED_FILE_ROOTS", &root);
    let client = spawn(cmd).await;
    let (err, v) = call(
        &client,
        "send_message",
        json!({"chat_id": "@rust_learners", "message": "Two diagrams", "files": [root.join("a.png"), root.join("b.png")]}),
    )
    .await;
    assert!(!err, "{v}");
    let messages = v["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 2);
    assert!(messages.iter().all(|m| m["media"]["type"] == "photo"));
    assert_eq!(
        h.dc.request_names()
            .iter()
            .filter(|n| *n == "messages.sendMultiMedia")
            .count(),
        1
    );
    let grouped: Vec<Option<i64>> = {
        let world = h.dc.world();
        messages
            .iter()
            .map(|m| {
                world
                    .message(Peer::Channel(1000000001), m["id"].as_i64().unwrap() as i32)
                    .unwrap()
                    .grouped_id
            })
            .collect()
    };
    assert!(
        grouped[0].is_some() && grouped[0] == grouped[1],
        "one album"
    );
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn local_files_are_refused_without_roots_and_outside_them() {
    let h = Harness::signed_in().await;
    let secret = h.session_dir().join("telegram.session");
    let client = h.client().await;
    let (err, v) = call(
        &client,
        "send_message",
        json!({"chat_id": "me", "message": "x", "files": [secret]}),
    )
    .await;
    assert!(err);
    assert_eq!(v["error_code"], "LOCAL_FILES_DISABLED", "{v}");
    client.cancel().await.unwrap();
    let root = h.session_dir().join("shared");
    std::fs::create_dir(&root).unwrap();
    std::os::unix::fs::symlink(&secret, root.join("link.session")).unwrap();
    let mut cmd = h.command();
    cmd.env("ALLOWED_FILE_ROOTS", &root);
    let client = spawn(cmd).await;
    for path in [
        secret.clone(),
        root.join("link.session"),
        root.join("../telegram.session"),
    ] {
        let (err, v) = call(
            &client,
            "send_message",
            json!({"chat_id": "me", "message": "x", "files": [path]}),
        )
        .await;
        assert!(err, "{path:?}");
        assert_eq!(v["error_code"], "PATH_NOT_ALLOWED", "{path:?}: {v}");
    }
    assert_eq!(
        h.dc.request_names()
            .iter()
            .filter(|n| n.starts_with("upload."))
            .count(),
        0,
        "nothing uploaded"
    );
    client.cancel().await.unwrap();
}

/// Serves `body` once per connection on 127.0.0.1, plain HTTP/1.1.
async fn serve_http(body: Vec<u8>) -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let body = body.clone();
            tokio::spawn(async move {
                let mut request = [0u8; 4096];
                let _ = stream.read(&mut request).await;
                let head = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = stream.write_all(head.as_bytes()).await;
                let _ = stream.write_all(&body).await;
            });
        }
    });
    port
}

#[tokio::test]
async fn urls_follow_the_fetching_rules() {
    let h = Harness::signed_in().await;
    let image = png(20_000);
    let port = serve_http(image.clone()).await;
    let url = format!("http://127.0.0.1:{port}/chart.png");
    // Defaults: plain http and loopback addresses are refused.
    let client = h.client().await;
    let (err, v) = call(
        &client,
        "send_message",
        json!({"chat_id": "me", "message": "chart", "files": [url]}),
    )
    .await;
    assert!(err);
    assert_eq!(v["error_code"], "URL_SCHEME_NOT_ALLOWED", "{v}");
    client.cancel().await.unwrap();
    let mut cmd = h.command();
    cmd.env("ALLOW_HTTP_URLS", "true");
    let client = spawn(cmd).await;
    let (err, v) = call(
        &client,
        "send_message",
        json!({"chat_id": "me", "message": "chart", "files": [url]}),
    )
    .await;
    assert!(err);
    assert_eq!(v["error_code"], "URL_ADDRESS_NOT_ALLOWED", "{v}");
    client.cancel().await.unwrap();
    // Allowed when the user says so.
    let mut cmd = h.command();
    cmd.env("ALLOW_HTTP_URLS", "true")
        .env("BLOCK_PRIVATE_IPS", "false");
    let client = spawn(cmd).await;
    let (err, v) = call(
        &client,
        "send_message",
        json!({"chat_id": "me", "message": "chart", "files": [url]}),
    )
    .await;
    assert!(!err, "{v}");
    assert_eq!(v["messages"][0]["media"]["type"], "photo");
    assert_eq!(
        h.dc.uploaded_bytes(Peer::User(1000), sent_id(&v)).unwrap(),
        image
    );
    client.cancel().await.unwrap();
}

/// Accepts connections on 127.0.0.1 and reads the request, but answers only after a minute.
async fn serve_http_slowly() -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut request = [0u8; 4096];
                let _ = stream.read(&mut request).await;
                tokio::time::sleep(std::time::Duration::from_secs(60)).await;
                let _ = stream.write_all(b"HTTP/1.1 204 No Content\r\n\r\n").await;
            });
        }
    });
    port
}

#[tokio::test]
async fn a_download_that_outlasts_the_call_deadline_is_named_in_the_answer() {
    let h = Harness::signed_in().await;
    let port = serve_http_slowly().await;
    let url = format!("http://127.0.0.1:{port}/big.png");
    let mut cmd = h.command();
    cmd.env("ALLOW_HTTP_URLS", "true")
        .env("BLOCK_PRIVATE_IPS", "false")
        .env("CALL_TIMEOUT_SECONDS", "1");
    let client = spawn(cmd).await;
    let started = std::time::Instant::now();
    let (err, v) = call(
        &client,
        "send_message",
        json!({"chat_id": "me", "message": "chart", "files": [url]}),
    )
    .await;
    assert!(err, "{v}");
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    assert_eq!(v["action"], "retry", "{v}");
    let error = v["error"].as_str().unwrap();
    assert!(
        error.contains("downloading") && error.contains(&format!("127.0.0.1:{port}")),
        "names the download: {error}"
    );
    assert!(!error.contains("Telegram is slow"), "{error}");
    assert!(!error.contains("big.png"), "the host only: {error}");
    assert!(
        !h.dc
            .request_names()
            .iter()
            .any(|n| n.starts_with("upload.") || n.starts_with("messages.send")),
        "nothing was sent"
    );
    client.cancel().await.unwrap();
}

/// A progress notification: (progress, total).
type Reported = (f64, Option<f64>);

/// An MCP host that declares roots and records progress notifications.
#[derive(Clone, Default)]
pub(crate) struct Host {
    pub(crate) roots: Vec<String>,
    pub(crate) progress: Arc<Mutex<Vec<Reported>>>,
}

impl ClientHandler for Host {
    fn get_info(&self) -> ClientConfig {
        let mut capabilities = ClientCapabilities::default();
        capabilities.roots = Some(RootsCapabilities::default());
        ClientConfig::new(capabilities, Implementation::new("test-host", "0"))
            .with_protocol_version(ProtocolVersion::V_2025_11_25)
    }

    async fn list_roots(
        &self,
        _: RequestContext<RoleClient>,
    ) -> Result<ListRootsResult, ErrorData> {
        Ok(ListRootsResult::new(
            self.roots.iter().map(Root::new).collect(),
        ))
    }

    async fn on_progress(
        &self,
        params: ProgressNotificationParam,
        _: NotificationContext<RoleClient>,
    ) {
        self.progress
            .lock()
            .unwrap()
            .push((params.progress, params.total));
    }
}

#[tokio::test]
async fn roots_declared_by_the_host_allow_files_and_uploads_report_progress() {
    let h = Harness::signed_in().await;
    let root = h.session_dir().join("workspace");
    std::fs::create_dir(&root).unwrap();
    let bytes: Vec<u8> = (0..1_500_000u32).map(|i| (i % 241) as u8).collect();
    std::fs::write(root.join("data.bin"), &bytes).unwrap();
    let host = Host {
        roots: vec![format!("file://{}", root.display())],
        ..Host::default()
    };
    let (transport, _) = TokioChildProcess::builder(h.command()).spawn().unwrap();
    let client = host.clone().serve(transport).await.unwrap();
    let mut params = CallToolRequestParams::new("send_message").with_arguments(
        json!({"chat_id": "me", "message": "data", "files": [root.join("data.bin")]})
            .as_object()
            .cloned()
            .unwrap(),
    );
    params.meta = Some(RequestMetaObject::with_progress_token(ProgressToken(
        rmcp::model::NumberOrString::String("upload-1".into()),
    )));
    let result = client.call_tool(params).await.unwrap();
    let (is_error, v) = result_value(&client, "send_message", &result).await;
    assert!(!is_error, "{v}");
    assert_eq!(
        h.dc.uploaded_bytes(Peer::User(1000), sent_id(&v)).unwrap(),
        bytes
    );
    // Progress notifications arrive asynchronously; give them a moment.
    for _ in 0..100 {
        if h_progress_done(&host, bytes.len()) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let progress = host.progress.lock().unwrap().clone();
    assert!(progress.len() >= 2, "{progress:?}");
    assert!(
        progress
            .iter()
            .all(|(_, total)| *total == Some(bytes.len() as f64))
    );
    // In order, strictly increasing (the spec: progress MUST increase), never a value twice,
    // and the last one is the total.
    assert!(
        progress.windows(2).all(|w| w[0].0 < w[1].0),
        "strictly increasing, in order: {progress:?}"
    );
    assert_eq!(
        progress.last().map(|(p, _)| *p),
        Some(bytes.len() as f64),
        "{progress:?}"
    );
    assert_eq!(
        progress
            .iter()
            .filter(|(p, _)| *p == bytes.len() as f64)
            .count(),
        1,
        "the total once: {progress:?}"
    );
    client.cancel().await.unwrap();
}

fn h_progress_done(host: &Host, total: usize) -> bool {
    host.progress
        .lock()
        .unwrap()
        .iter()
        .any(|(p, _)| *p == total as f64)
}

/// The same host on protocol 2026-07-28, where a server cannot send requests to the client.
#[derive(Clone, Default)]
struct ModernHost {
    asked: Arc<Mutex<bool>>,
}

impl ClientHandler for ModernHost {
    fn get_info(&self) -> ClientConfig {
        let mut capabilities = ClientCapabilities::default();
        capabilities.roots = Some(RootsCapabilities::default());
        ClientConfig::new(capabilities, Implementation::new("modern-host", "0"))
            .with_protocol_version(ProtocolVersion::LATEST)
    }

    async fn list_roots(
        &self,
        _: RequestContext<RoleClient>,
    ) -> Result<ListRootsResult, ErrorData> {
        *self.asked.lock().unwrap() = true;
        Ok(ListRootsResult::new(vec![Root::new("file:///")]))
    }
}

#[tokio::test]
async fn on_protocol_2026_07_28_the_configured_roots_apply() {
    let h = Harness::signed_in().await;
    let root = h.session_dir().join("configured");
    std::fs::create_dir(&root).unwrap();
    std::fs::write(root.join("note.txt"), b"hello").unwrap();
    let host = ModernHost::default();
    let mut cmd = h.command();
    cmd.env("ALLOWED_FILE_ROOTS", &root);
    let (transport, _) = TokioChildProcess::builder(cmd).spawn().unwrap();
    let client = rmcp::service::serve_client_with_lifecycle(
        host.clone(),
        transport,
        rmcp::service::ClientLifecycleMode::Discover {
            preferred_versions: vec![ProtocolVersion::V_2026_07_28],
        },
    )
    .await
    .unwrap();
    assert_eq!(
        client.peer_info().unwrap().protocol_version,
        ProtocolVersion::V_2026_07_28
    );
    let args = json!({"chat_id": "me", "message": "note", "files": [root.join("note.txt")]});
    let result = client
        .call_tool(
            CallToolRequestParams::new("send_message")
                .with_arguments(args.as_object().cloned().unwrap()),
        )
        .await
        .unwrap();
    let (is_error, v) = result_value(&client, "send_message", &result).await;
    assert!(!is_error, "{v}");
    assert_eq!(
        h.dc.uploaded_bytes(Peer::User(1000), sent_id(&v)).unwrap(),
        b"hello"
    );
    // Outside the configured root the host's (unaskable) roots grant nothing.
    let outside = h.session_dir().join("telegram.session");
    let args = json!({"chat_id": "me", "message": "x", "files": [outside]});
    let result = client
        .call_tool(
            CallToolRequestParams::new("send_message")
                .with_arguments(args.as_object().cloned().unwrap()),
        )
        .await
        .unwrap();
    let (is_error, v) = result_value(&client, "send_message", &result).await;
    assert!(is_error, "{v}");
    assert!(
        !*host.asked.lock().unwrap(),
        "the server never asked on 2026-07-28"
    );
    client.cancel().await.unwrap();
}
