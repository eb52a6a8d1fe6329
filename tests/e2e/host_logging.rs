//! The conditions a user must see reach the host as `notifications/message` (logger
//! `fast-mcp-telegram`), at the level the host asks for: `logging/setLevel` on 2025-11-25,
//! a request's `_meta` level on 2026-07-28.

#![allow(deprecated)] // MCP logging is deprecated by SEP-2577; hosts still use it.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use rmcp::model::{
    CallToolRequestParams, ClientCapabilities, ClientConfig, ErrorCode, Implementation,
    LoggingLevel, LoggingMessageNotificationParam, PaginatedRequestParams, ProtocolVersion,
    RequestMetaObject, SetLevelRequestParams,
};
use rmcp::service::{NotificationContext, RunningService};
use rmcp::transport::TokioChildProcess;
use rmcp::{ClientHandler, RoleClient, ServiceError, ServiceExt};
use serde_json::json;

use testkit::fake_dc::{FaultAction, FaultRule};
use testkit::harness::{Harness, sample_world};

const SETUP: &str = "fast-mcp-telegram setup";
const HASH: &str = "0123456789abcdef0123456789abcdef";

/// A host that records the log messages it is sent.
#[derive(Clone)]
struct LogHost {
    version: ProtocolVersion,
    messages: Arc<Mutex<Vec<LoggingMessageNotificationParam>>>,
}

impl LogHost {
    fn new(version: ProtocolVersion) -> Self {
        Self {
            version,
            messages: Arc::default(),
        }
    }

    fn taken(&self) -> Vec<LoggingMessageNotificationParam> {
        std::mem::take(&mut *self.messages.lock().unwrap())
    }

    fn texts(&self) -> Vec<String> {
        self.messages
            .lock()
            .unwrap()
            .iter()
            .map(|m| m.data.as_str().unwrap_or_default().to_string())
            .collect()
    }

    /// Waits (up to 10 s) for a message whose text contains `needle`.
    async fn wait_for(&self, needle: &str) -> LoggingMessageNotificationParam {
        for _ in 0..200 {
            if let Some(m) = self
                .messages
                .lock()
                .unwrap()
                .iter()
                .find(|m| m.data.as_str().is_some_and(|t| t.contains(needle)))
            {
                return m.clone();
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("no message containing {needle:?}: {:?}", self.texts());
    }
}

impl ClientHandler for LogHost {
    fn get_info(&self) -> ClientConfig {
        ClientConfig::new(
            ClientCapabilities::default(),
            Implementation::new("log-host", "0"),
        )
        .with_protocol_version(self.version.clone())
    }

    async fn on_logging_message(
        &self,
        params: LoggingMessageNotificationParam,
        _: NotificationContext<RoleClient>,
    ) {
        self.messages.lock().unwrap().push(params);
    }
}

type Client = RunningService<RoleClient, LogHost>;

/// Calls a tool; (is_error, structured content).
async fn call(client: &Client, tool: &str, args: serde_json::Value) -> (bool, serde_json::Value) {
    let result = client
        .call_tool(
            CallToolRequestParams::new(tool.to_string())
                .with_arguments(args.as_object().cloned().unwrap_or_default()),
        )
        .await
        .expect("tools/call answered");
    (
        result.is_error == Some(true),
        result.structured_content.unwrap_or_default(),
    )
}

async fn connect(h: &Harness, host: &LogHost) -> Client {
    let (transport, _) = TokioChildProcess::builder(h.command()).spawn().unwrap();
    host.clone().serve(transport).await.expect("MCP handshake")
}

async fn connect_modern(h: &Harness, host: &LogHost) -> Client {
    let (transport, _) = TokioChildProcess::builder(h.command()).spawn().unwrap();
    rmcp::service::serve_client_with_lifecycle(
        host.clone(),
        transport,
        rmcp::service::ClientLifecycleMode::Discover {
            preferred_versions: vec![ProtocolVersion::V_2026_07_28],
        },
    )
    .await
    .expect("MCP discovery")
}

fn assert_well_formed(m: &LoggingMessageNotificationParam) {
    assert_eq!(m.logger.as_deref(), Some("fast-mcp-telegram"), "{m:?}");
    let text = m.data.as_str().expect("the data is a sentence");
    assert!(text.len() < 300, "short: {text}");
    assert!(!text.contains(HASH), "no secret: {text}");
}

#[tokio::test]
async fn a_session_that_is_not_signed_in_is_a_warning_naming_the_setup_command() {
    let h = Harness::with(sample_world(), false).await;
    let host = LogHost::new(ProtocolVersion::V_2025_11_25);
    let client = connect(&h, &host).await;
    assert!(
        client.peer_info().unwrap().capabilities.logging.is_some(),
        "the logging capability is declared"
    );
    let m = host.wait_for(SETUP).await;
    assert_eq!(m.level, LoggingLevel::Warning);
    assert_well_formed(&m);
    // Told once, not on every call.
    let (err, _) = call(&client, "get_messages", json!({"chat_id": "me"})).await;
    assert!(err);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(host.texts().len(), 1, "{:?}", host.texts());
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn set_level_answers_and_a_level_above_warnings_silences_them() {
    let h = Harness::with(sample_world(), false).await;
    let host = LogHost::new(ProtocolVersion::V_2025_11_25);
    let client = connect(&h, &host).await;
    client
        .peer()
        .set_level(SetLevelRequestParams::new(LoggingLevel::Error))
        .await
        .expect("logging/setLevel answers");
    // Whatever was sent before the level took effect does not count.
    tokio::time::sleep(Duration::from_millis(200)).await;
    host.taken();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(host.texts().is_empty(), "{:?}", host.texts());
    // A level that lets the condition through: the standing one is sent again.
    client
        .peer()
        .set_level(SetLevelRequestParams::new(LoggingLevel::Warning))
        .await
        .expect("logging/setLevel answers");
    let m = host.wait_for(SETUP).await;
    assert_eq!(m.level, LoggingLevel::Warning);
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn a_lost_connection_and_its_return_reach_the_host() {
    let h = Harness::signed_in().await;
    let host = LogHost::new(ProtocolVersion::V_2025_11_25);
    let client = connect(&h, &host).await;
    let (err, _) = call(
        &client,
        "get_messages",
        json!({"chat_id": "me", "limit": 1}),
    )
    .await;
    assert!(!err);
    h.dc.inject(FaultRule::any(FaultAction::Drop));
    let (err, _) = call(
        &client,
        "get_messages",
        json!({"chat_id": "me", "limit": 1}),
    )
    .await;
    assert!(err);
    let lost = host.wait_for("connection to Telegram was lost").await;
    assert_eq!(lost.level, LoggingLevel::Warning);
    assert_well_formed(&lost);
    h.dc.clear_faults();
    let (err, _) = call(
        &client,
        "get_messages",
        json!({"chat_id": "me", "limit": 1}),
    )
    .await;
    assert!(!err);
    let back = host.wait_for("reachable again").await;
    assert_eq!(back.level, LoggingLevel::Notice);
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn telegram_unreachable_from_the_start_is_a_warning() {
    let h = Harness::signed_in().await;
    h.dc.inject(FaultRule::any(FaultAction::Drop));
    let host = LogHost::new(ProtocolVersion::V_2025_11_25);
    let client = connect(&h, &host).await;
    let m = host.wait_for("cannot be reached").await;
    assert_eq!(m.level, LoggingLevel::Warning);
    assert_well_formed(&m);
    assert!(!m.data.as_str().unwrap().contains("127.0.0.1"), "{m:?}");
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn on_2026_07_28_a_request_that_asks_gets_the_condition_and_set_level_is_no_method() {
    let h = Harness::with(sample_world(), false).await;
    let host = LogHost::new(ProtocolVersion::V_2026_07_28);
    let client = connect_modern(&h, &host).await;
    assert_eq!(
        client.peer_info().unwrap().protocol_version,
        ProtocolVersion::V_2026_07_28
    );
    assert!(client.peer_info().unwrap().capabilities.logging.is_some());
    // No logging/setLevel on this revision: the level rides each request.
    match client
        .peer()
        .set_level(SetLevelRequestParams::new(LoggingLevel::Warning))
        .await
    {
        Err(ServiceError::McpError(e)) => {
            assert_eq!(e.code, ErrorCode::METHOD_NOT_FOUND, "{e:?}");
            assert!(e.message.contains("logLevel"), "{e:?}");
        }
        other => panic!("expected method not found, got {other:?}"),
    }
    // A request that does not ask gets no message.
    let args = json!({"chat_id": "me"});
    let plain = CallToolRequestParams::new("get_messages")
        .with_arguments(args.as_object().cloned().unwrap());
    let result = client.call_tool(plain.clone()).await.unwrap();
    assert_eq!(result.is_error, Some(true));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(host.texts().is_empty(), "{:?}", host.texts());
    // One that asks for warnings gets the condition with its answer.
    let mut asking = plain.clone();
    let mut meta = RequestMetaObject::new();
    meta.set_log_level(LoggingLevel::Warning);
    asking.meta = Some(meta);
    let result = client.call_tool(asking).await.unwrap();
    assert_eq!(result.is_error, Some(true));
    let m = host.wait_for(SETUP).await;
    assert_eq!(m.level, LoggingLevel::Warning);
    assert_well_formed(&m);
    // One that asks only for errors does not.
    host.taken();
    let mut strict = plain;
    let mut meta = RequestMetaObject::new();
    meta.set_log_level(LoggingLevel::Error);
    strict.meta = Some(meta);
    client.call_tool(strict).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(host.texts().is_empty(), "{:?}", host.texts());
    // tools/list may ask too: the host learns of the condition before any call.
    let mut meta = RequestMetaObject::new();
    meta.set_log_level(LoggingLevel::Info);
    let mut list = PaginatedRequestParams::default();
    list.meta = Some(meta);
    client.peer().list_tools(Some(list)).await.unwrap();
    host.wait_for(SETUP).await;
    client.cancel().await.unwrap();
}
