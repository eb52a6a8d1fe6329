//! What the MCP host is told, as `notifications/message` (logger `fast-mcp-telegram`): the
//! conditions a user must see — no session or not signed in (with the setup command),
//! Telegram unreachable, the connection lost — and the notice that one of them is over. Each
//! message is one short sentence, with no secret and no error detail from the network (it may
//! name a proxy). stderr gets its own log lines; this is what a host can show its user.
//!
//! The two protocol eras the server speaks differ:
//!
//! - **2025-11-25 and older** (`initialize`): the host picks a level with `logging/setLevel`;
//!   messages below it are not sent. Until it picks one, the server sends warnings and above,
//!   and the notice that ends a condition it warned about (the spec leaves this choice to the
//!   server). A condition is sent when it begins — the connection-state watcher started after
//!   the handshake feeds it — and the standing one again when the host sets a level that lets
//!   it through, so a host that opens its log view late still learns of it.
//! - **2026-07-28** (`server/discover`): there is no `logging/setLevel` and no message outside a
//!   request. A request opts in with `_meta["io.modelcontextprotocol/logLevel"]`; a `tools/list`
//!   or `tools/call` that does is sent the standing condition (at or above that level) before
//!   its answer, and a tool call also any new condition that arose while it ran. A request
//!   without the key gets no message.

// Logging is deprecated by SEP-2577, but hosts still set levels and show these messages.
#![allow(deprecated)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use rmcp::model::{
    ClientRequest, ErrorCode, LoggingLevel, LoggingMessageNotificationParam, ProtocolVersion,
    ServerConfig, ServerResult,
};
use rmcp::service::{NotificationContext, Peer, RequestContext, Service};
use rmcp::{ErrorData, RoleServer};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::telegram::{LinkState, Telegram};

/// The `logger` of every message.
pub const LOGGER: &str = "fast-mcp-telegram";

/// How long after the handshake the first condition waits, so a host that sets its level
/// right after initialising has it honoured.
const SETTLE: Duration = Duration::from_millis(500);

/// One message for the host.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub level: LoggingLevel,
    pub text: String,
}

impl Message {
    fn new(level: LoggingLevel, text: impl Into<String>) -> Self {
        Self {
            level,
            text: text.into(),
        }
    }

    fn param(&self) -> LoggingMessageNotificationParam {
        LoggingMessageNotificationParam::new(self.level, serde_json::Value::from(self.text.clone()))
            .with_logger(LOGGER)
    }
}

/// RFC 5424 order: debug lowest, emergency highest.
fn severity(level: LoggingLevel) -> u8 {
    match level {
        LoggingLevel::Debug => 0,
        LoggingLevel::Info => 1,
        LoggingLevel::Notice => 2,
        LoggingLevel::Warning => 3,
        LoggingLevel::Error => 4,
        LoggingLevel::Critical => 5,
        LoggingLevel::Alert => 6,
        LoggingLevel::Emergency => 7,
    }
}

/// The condition a connection state puts the user in, if it needs their attention;
/// `sign_in_hint` says how to sign in ([`Telegram::sign_in_hint`]).
pub fn condition(state: &LinkState, sign_in_hint: &str) -> Option<Message> {
    let warning = |text: String| Some(Message::new(LoggingLevel::Warning, text));
    match state {
        LinkState::NoSession => warning(format!(
            "There is no Telegram session yet: {sign_in_hint}; tool calls fail until then."
        )),
        LinkState::Unauthorized => warning(format!(
            "The Telegram session is not signed in (or was logged out elsewhere): \
             {sign_in_hint}; tool calls fail until then."
        )),
        LinkState::Offline => warning(
            "Telegram cannot be reached: tool calls answer \"retry\" until it can (check the \
             network connection, or MTPROTO_PROXY if one is set)."
                .into(),
        ),
        LinkState::Reconnecting => warning(
            "The connection to Telegram was lost; reconnecting. Tool calls may fail until it is \
             back."
                .into(),
        ),
        LinkState::Connecting | LinkState::Connected => None,
    }
}

/// The notice that a condition the host was warned about is over.
fn recovered(previous: &LinkState) -> Message {
    let text = match previous {
        LinkState::Unauthorized | LinkState::NoSession => "The Telegram session is signed in now.",
        _ => "Telegram is reachable again.",
    };
    Message::new(LoggingLevel::Notice, text)
}

/// Whether `ctx` is a request of the 2026-07-28 era (no `logging/setLevel` there).
pub fn is_modern(ctx: &RequestContext<RoleServer>) -> bool {
    ctx.protocol_version()
        .is_some_and(|v| v.as_str() >= ProtocolVersion::V_2026_07_28.as_str())
}

/// The level a 2026-07-28 request asked for in its `_meta`, if it asked.
/// Whether a request asks for the log messages it should know of (2026-07-28).
pub fn asks_for_log_messages(ctx: &RequestContext<RoleServer>) -> bool {
    per_request_level(ctx).is_some()
}

fn per_request_level(ctx: &RequestContext<RoleServer>) -> Option<LoggingLevel> {
    if is_modern(ctx) {
        ctx.meta.log_level()
    } else {
        None
    }
}

/// What is decided under the lock: the level and what the host was told.
#[derive(Default)]
struct Inner {
    /// The level the host set with `logging/setLevel`; `None` until it does.
    level: Option<LoggingLevel>,
    /// The state the last condition was decided for, and whether the host was told of it.
    state: Option<LinkState>,
    told: bool,
}

/// The host-facing log of one server.
pub struct HostLog {
    states: watch::Receiver<LinkState>,
    /// How to sign in, as the facade words it when the log is made.
    sign_in_hint: String,
    inner: Mutex<Inner>,
}

impl HostLog {
    pub fn new(telegram: &Telegram) -> Self {
        Self {
            states: telegram.subscribe(),
            sign_in_hint: telegram.sign_in_hint(),
            inner: Mutex::default(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether a message passes the host's level: once set, at or above it; before, warnings
    /// and above (and recoveries, which `recovery` marks).
    fn passes(level: Option<LoggingLevel>, message: &Message, recovery: bool) -> bool {
        match level {
            Some(min) => severity(message.level) >= severity(min),
            None => recovery || severity(message.level) >= severity(LoggingLevel::Warning),
        }
    }

    /// The condition the connection is in now.
    pub fn standing(&self) -> Option<Message> {
        condition(&self.states.borrow(), &self.sign_in_hint)
    }

    /// `logging/setLevel` (2025-11-25 era): from now on only messages at or above `level`;
    /// the standing condition is sent again (to `peer`) if it passes.
    pub async fn set_level(&self, level: LoggingLevel, peer: &Peer<RoleServer>) {
        let message = {
            let mut inner = self.lock();
            inner.level = Some(level);
            let state = self.states.borrow().clone();
            let message = condition(&state, &self.sign_in_hint)
                .filter(|m| Self::passes(inner.level, m, false));
            if state != LinkState::Connecting {
                inner.told = message.is_some();
                inner.state = Some(state);
            }
            message
        };
        if let Some(message) = message {
            let _ = peer.notify_logging_message(message.param()).await;
        }
    }

    /// Starts telling the host about the connection (2025-11-25 era, after the handshake):
    /// the standing condition after a moment, then every change. Ends with the connection.
    pub fn attach(self: &Arc<Self>, peer: Peer<RoleServer>) -> JoinHandle<()> {
        let log = Arc::clone(self);
        let mut states = self.states.clone();
        tokio::spawn(async move {
            tokio::time::sleep(SETTLE).await;
            loop {
                let state = states.borrow_and_update().clone();
                if let Some(message) = log.changed(&state)
                    && peer.notify_logging_message(message.param()).await.is_err()
                {
                    return;
                }
                if states.changed().await.is_err() {
                    return;
                }
            }
        })
    }

    /// What to tell the host about a new state, if anything: a new condition, or the end of
    /// one it was told about.
    fn changed(&self, state: &LinkState) -> Option<Message> {
        let mut inner = self.lock();
        if inner.state.as_ref() == Some(state) || *state == LinkState::Connecting {
            return None;
        }
        let previous = inner.state.replace(state.clone());
        let was_told = std::mem::take(&mut inner.told);
        let (message, recovery) = match condition(state, &self.sign_in_hint) {
            Some(message) => (message, false),
            None if was_told => (recovered(previous.as_ref()?), true),
            None => return None,
        };
        if !Self::passes(inner.level, &message, recovery) {
            return None;
        }
        inner.told = !recovery;
        Some(message)
    }
}

/// The server with its host log: answers as the server does, and on 2026-07-28 sends a
/// request that asks for log messages the conditions it should know of (see the module).
pub struct HostLogged<S> {
    pub inner: S,
    pub log: Arc<HostLog>,
}

impl<S> HostLogged<S> {
    async fn tell(ctx: &RequestContext<RoleServer>, message: Option<&Message>, at: LoggingLevel) {
        if let Some(message) = message
            && severity(message.level) >= severity(at)
        {
            let _ = ctx.peer.notify_logging_message(message.param()).await;
        }
    }
}

impl<S: Service<RoleServer>> Service<RoleServer> for HostLogged<S> {
    async fn handle_request(
        &self,
        request: ClientRequest,
        context: RequestContext<RoleServer>,
    ) -> Result<ServerResult, ErrorData> {
        let asked = match &request {
            ClientRequest::CallToolRequest(_) | ClientRequest::ListToolsRequest(_) => {
                per_request_level(&context)
            }
            _ => None,
        };
        let Some(level) = asked else {
            return self.inner.handle_request(request, context).await;
        };
        let before = self.log.standing();
        Self::tell(&context, before.as_ref(), level).await;
        let peer_ctx = context.clone();
        let result = self.inner.handle_request(request, context).await;
        let after = self.log.standing();
        if after != before {
            Self::tell(&peer_ctx, after.as_ref(), level).await;
        }
        result
    }

    async fn handle_notification(
        &self,
        notification: rmcp::model::ClientNotification,
        context: NotificationContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        self.inner.handle_notification(notification, context).await
    }

    fn get_info(&self) -> ServerConfig {
        self.inner.get_info()
    }

    fn supported_protocol_versions(&self) -> std::borrow::Cow<'static, [ProtocolVersion]> {
        self.inner.supported_protocol_versions()
    }
}

/// The answer to `logging/setLevel` on 2026-07-28, where the method does not exist.
pub fn no_set_level_in_this_era() -> ErrorData {
    ErrorData::new(
        ErrorCode::METHOD_NOT_FOUND,
        "logging/setLevel is not part of protocol 2026-07-28: put the level in a request's \
         _meta as \"io.modelcontextprotocol/logLevel\"",
        None,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const SETUP: &str = "fast-mcp-telegram setup";

    #[test]
    fn conditions_name_the_setup_command_and_hold_no_detail() {
        for state in [LinkState::NoSession, LinkState::Unauthorized] {
            let m = condition(&state, SETUP).unwrap();
            assert_eq!(m.level, LoggingLevel::Warning);
            assert!(m.text.contains(SETUP), "{}", m.text);
        }
        let m = condition(&LinkState::Offline, SETUP).unwrap();
        assert!(m.text.contains("cannot be reached"), "{}", m.text);
        assert!(condition(&LinkState::Connected, SETUP).is_none());
        assert!(condition(&LinkState::Connecting, SETUP).is_none());
    }

    #[test]
    fn the_default_passes_warnings_and_recoveries_and_a_set_level_is_strict() {
        let warning = Message::new(LoggingLevel::Warning, "w");
        let notice = Message::new(LoggingLevel::Notice, "n");
        assert!(HostLog::passes(None, &warning, false));
        assert!(!HostLog::passes(None, &notice, false));
        assert!(HostLog::passes(None, &notice, true));
        assert!(!HostLog::passes(Some(LoggingLevel::Error), &warning, false));
        assert!(!HostLog::passes(Some(LoggingLevel::Warning), &notice, true));
        assert!(HostLog::passes(Some(LoggingLevel::Debug), &notice, true));
    }

    fn log_for(state: LinkState) -> (HostLog, watch::Sender<LinkState>) {
        let (tx, rx) = watch::channel(state);
        let log = HostLog {
            states: rx,
            sign_in_hint: SETUP.into(),
            inner: Mutex::default(),
        };
        (log, tx)
    }

    #[test]
    fn a_condition_is_told_once_and_its_end_follows() {
        let (log, _tx) = log_for(LinkState::Connecting);
        assert_eq!(log.changed(&LinkState::Connecting), None);
        assert_eq!(log.changed(&LinkState::Connected), None, "nothing to tell");
        let lost = log.changed(&LinkState::Reconnecting).unwrap();
        assert_eq!(lost.level, LoggingLevel::Warning);
        assert_eq!(log.changed(&LinkState::Reconnecting), None, "told once");
        let back = log.changed(&LinkState::Connected).unwrap();
        assert_eq!(back.level, LoggingLevel::Notice);
        assert!(back.text.contains("reachable again"), "{}", back.text);
        assert_eq!(
            log.changed(&LinkState::Offline).unwrap().level,
            LoggingLevel::Warning
        );
    }

    #[test]
    fn a_level_above_warnings_silences_them_and_their_end() {
        let (log, _tx) = log_for(LinkState::Connected);
        log.lock().level = Some(LoggingLevel::Error);
        assert_eq!(log.changed(&LinkState::Offline), None);
        assert_eq!(log.changed(&LinkState::Connected), None);
    }
}
