//! The one error shape every tool returns (the reference's, extended): a tool result with
//! `isError: true` whose single text block is a JSON object saying what failed and what to do
//! next. Never a JSON-RPC protocol error, never a crash.
//!
//! # Why errors carry no `structuredContent`
//!
//! Every tool declares an `outputSchema`, and the MCP specification (2025-11-25, tools) says
//! that when one is declared the server MUST return structured results that conform to it. The
//! output schema describes the *success* shape; an error object (`{"ok": false, "error": …}`)
//! does not conform to it, and clients that validate (the official MCP Inspector among them)
//! turned every tool error into a client-side failure: the message and its `action` never
//! reached the user. So an error result carries no `structuredContent` at all; its JSON object,
//! serialised compactly, is the one text content block:
//!
//! - the official SDK clients skip output-schema validation for `isError` results (the Python
//!   SDK's `ClientSession.call_tool` validates only `not result.is_error`; the TypeScript SDK
//!   requires structured content only when the result is not an error), but they do validate
//!   any `structuredContent` that is present, error or not;
//! - adding the error shape to every `outputSchema` (a `oneOf` of success and error) would
//!   double the schemas the model reads at the start of every conversation, for no gain.
//!
//! Facade and file errors become a [`ToolError`] through `From` (so `?` converts them), and a
//! `ToolError` becomes that text block through `From` too, once, in the call wrapper
//! (`TelegramServer::run_tool`), which also names the tool as the error's `operation` and
//! counts flood waits from the typed error. [`for_the_wire`], applied to every answer in
//! `call_tool`, puts any other error (rmcp's bare texts) in the same shape, so no error result
//! ever leaves the server with `structuredContent`. (A tool cannot return `ToolError` itself,
//! through rmcp's `IntoCallToolResult`: rmcp derives `outputSchema` only from a return type
//! spelled `Result<Json<T>, CallToolResult>`.)
//!
//! # What to do: `action`
//!
//! Every error carries one of three actions (see [`Action`]); an error built without one leaves
//! with `retry` (the conversion to a result fills it in), and Telegram's errors are classified
//! by their conversion (`From<TelegramError>`).

use rmcp::model::{CallToolResult, ContentBlock};
use serde::Serialize;
use serde_json::Value;

use crate::files::FileError;
use crate::telegram::TelegramError;

/// What the caller should do about an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Sign the session in (run setup); retrying will not help. Telegram's 401 errors and a
    /// session that is not signed in.
    AuthenticateSession,
    /// Try again later: Telegram unreachable, slow (the call deadline, RPC timeouts, 500s),
    /// asking to wait (FLOOD_WAIT, with `retry_after_seconds`), a cancelled call, and any error
    /// that is not classified otherwise.
    Retry,
    /// Change the arguments: they do not fit the schema, name nothing that exists, or Telegram
    /// refused them (its 400-class errors, including 403 "not allowed in this chat").
    FixArguments,
}

/// The `error_code` of arguments that do not fit the tool's input schema.
pub const INVALID_ARGUMENTS: &str = "INVALID_ARGUMENTS";

/// A tool's failure, as it is sent. Built without the tool's name: the call wrapper
/// (`TelegramServer::run_tool`) fills in `operation` for every tool.
#[derive(Debug, Clone, Serialize)]
pub struct ToolError {
    pub ok: bool,
    pub error: String,
    pub operation: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    /// Never absent on the wire: the conversion to a result fills in `retry`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action: Option<Action>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after_seconds: Option<u32>,
    /// The Telegram error reported, kept typed for the call counters; never sent.
    #[serde(skip)]
    cause: Option<TelegramError>,
}

impl ToolError {
    pub fn new(error: impl Into<String>) -> Self {
        Self {
            ok: false,
            error: error.into(),
            operation: String::new(),
            error_code: None,
            action: None,
            retry_after_seconds: None,
            cause: None,
        }
    }

    /// Bad arguments: the message says which and why.
    pub fn invalid(error: impl Into<String>) -> Self {
        Self::new(error).with_action(Action::FixArguments)
    }

    /// Arguments that do not fit the tool's input schema (`INVALID_ARGUMENTS`).
    pub fn invalid_arguments(error: impl Into<String>) -> Self {
        Self::invalid(error).with_code(INVALID_ARGUMENTS)
    }

    /// The call was cancelled by the client: nothing more was sent to Telegram.
    pub fn cancelled() -> Self {
        Self::new("the call was cancelled").with_action(Action::Retry)
    }

    pub fn with_code(mut self, code: impl Into<String>) -> Self {
        self.error_code = Some(code.into());
        self
    }

    pub fn with_action(mut self, action: Action) -> Self {
        self.action = Some(action);
        self
    }

    /// The error as the tool `operation` reports it.
    pub fn in_operation(mut self, operation: &str) -> Self {
        self.operation = operation.to_string();
        self
    }

    /// Whether Telegram asked to wait (a FLOOD_WAIT): what the call counters count apart.
    pub fn is_flood_wait(&self) -> bool {
        match &self.cause {
            Some(TelegramError::FloodWait { .. }) => true,
            Some(TelegramError::Rpc { name, .. }) => name.starts_with("FLOOD_WAIT"),
            _ => false,
        }
    }

    /// The error as it is sent: `action` always present (`retry` when none was set).
    fn filled(&self) -> Self {
        let mut error = self.clone();
        error.action.get_or_insert(Action::Retry);
        error
    }

    /// The error object as it is sent: `action` always present (`retry` when none was set).
    pub fn to_value(&self) -> Value {
        serde_json::to_value(self.filled()).expect("error serialises")
    }
}

/// Telegram's error, with the action its kind calls for: 401 → `authenticate_session`; other
/// 4xx RPC errors (400 bad request, 403 not allowed in this chat, 404, 406) → `fix_arguments`;
/// 420/FLOOD_WAIT → `retry` with `retry_after_seconds`; 500, -503, timeouts, an unreachable
/// Telegram and anything unclassified → `retry`.
impl From<TelegramError> for ToolError {
    fn from(error: TelegramError) -> Self {
        let base = Self::new(error.to_string());
        let classified = match &error {
            TelegramError::NotSignedIn(_) => base.with_action(Action::AuthenticateSession),
            TelegramError::Unreachable(_) | TelegramError::Timeout(_) => {
                base.with_action(Action::Retry)
            }
            TelegramError::FloodWait { seconds } => Self {
                retry_after_seconds: Some(*seconds),
                ..base
                    .with_code(format!("FLOOD_WAIT_{seconds}"))
                    .with_action(Action::Retry)
            },
            // Reached here only if a caller kept it as a plain RPC error (the conversion
            // makes it `NotSignedIn`): still say what happened and what to do.
            TelegramError::Rpc { name, .. } if name == "AUTH_KEY_DUPLICATED" => Self::new(format!(
                "{}: run `fast-mcp-telegram setup`",
                crate::telegram::error::AUTH_KEY_DUPLICATED_WHY
            ))
            .with_code(name.clone())
            .with_action(Action::AuthenticateSession),
            TelegramError::Rpc { code, name } => base
                .with_code(name.clone())
                .with_action(rpc_action(*code, name)),
            TelegramError::InvalidArgument(_) => base.with_action(Action::FixArguments),
            TelegramError::NotFound(_) => base
                .with_code("ENTITY_NOT_FOUND")
                .with_action(Action::FixArguments),
            TelegramError::Other(_) => base.with_action(Action::Retry),
        };
        Self {
            cause: Some(error),
            ..classified
        }
    }
}

/// A file that cannot be sent: its stable code, and `retry` when the same request may work
/// later (the network, a slow server), else `fix_arguments`.
impl From<FileError> for ToolError {
    fn from(error: FileError) -> Self {
        let action = if error.is_retryable() {
            Action::Retry
        } else {
            Action::FixArguments
        };
        Self::new(error.to_string())
            .with_code(error.code())
            .with_action(action)
    }
}

/// The tool result: `isError: true`, the error object (compact, fields in their order: `ok`,
/// `error`, `operation`, …) as its single text block, no `structured_content`.
impl From<ToolError> for CallToolResult {
    fn from(error: ToolError) -> Self {
        let text = serde_json::to_string(&error.filled()).expect("error serialises");
        CallToolResult::error(vec![ContentBlock::text(text)])
    }
}

/// The action for a Telegram RPC error with this code and name.
fn rpc_action(code: i32, name: &str) -> Action {
    // A revoked or duplicated authorisation key is a session problem whatever its code.
    if name.starts_with("AUTH_KEY_") || name.starts_with("SESSION_REVOKED") {
        return Action::AuthenticateSession;
    }
    if name.starts_with("FLOOD_") {
        return Action::Retry;
    }
    match code {
        401 => Action::AuthenticateSession,
        420 => Action::Retry,
        400..=499 => Action::FixArguments,
        _ => Action::Retry,
    }
}

/// The error object an error result carries (its text block), if `result` is one.
pub fn error_object(result: &CallToolResult) -> Option<Value> {
    if result.is_error != Some(true) {
        return None;
    }
    if let Some(value @ Value::Object(_)) = &result.structured_content {
        return Some(value.clone());
    }
    let [content] = result.content.as_slice() else {
        return None;
    };
    let value: Value = serde_json::from_str(&content.as_text()?.text).ok()?;
    (value.get("ok") == Some(&Value::Bool(false))).then_some(value)
}

/// The text blocks of a result, joined by spaces.
pub fn result_text(result: &CallToolResult) -> String {
    let parts: Vec<&str> = result
        .content
        .iter()
        .filter_map(|c| c.as_text())
        .map(|t| t.text.as_str())
        .collect();
    parts.join(" ")
}

/// `result` as it may leave the server: an error result loses its `structured_content` (the
/// error object is its one text block; see the module documentation). An error that is not
/// in the shared shape yet (a bare text) is put in it, and one without an `action` gets
/// `retry`.
pub fn for_the_wire(operation: &str, mut result: CallToolResult) -> CallToolResult {
    if result.is_error != Some(true) {
        return result;
    }
    let copy = result.structured_content.take();
    let text = match result.content.as_slice() {
        [content] => content.as_text().map(|t| t.text.clone()),
        _ => None,
    };
    let in_text = text
        .as_deref()
        .and_then(|t| serde_json::from_str::<Value>(t).ok())
        .filter(|v| v.get("ok") == Some(&Value::Bool(false)));
    // Already the one text block, with an action: sent as it is.
    if let Some(object) = &in_text
        && object.get("action").is_some_and(Value::is_string)
        && copy.as_ref().is_none_or(|c| c == object)
    {
        return result;
    }
    let mut object = match (copy, in_text) {
        (Some(value @ Value::Object(_)), _) | (None, Some(value)) => value,
        _ => {
            let text = result_text(&result);
            let text = if text.trim().is_empty() {
                "the call failed".to_string()
            } else {
                text
            };
            ToolError::new(text).in_operation(operation).to_value()
        }
    };
    if let Some(map) = object.as_object_mut() {
        map.entry("action")
            .or_insert_with(|| serde_json::to_value(Action::Retry).expect("action serialises"));
    }
    result.content = vec![ContentBlock::text(object.to_string())];
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Telegram's `error` as the tool `operation` reports it.
    fn telegram(operation: &str, error: &TelegramError) -> ToolError {
        ToolError::from(error.clone()).in_operation(operation)
    }

    #[test]
    fn flood_waits_say_how_long() {
        let e = telegram("get_messages", &TelegramError::FloodWait { seconds: 42 });
        let v = serde_json::to_value(&e).unwrap();
        assert_eq!(v["ok"], false);
        assert_eq!(v["action"], "retry");
        assert_eq!(v["retry_after_seconds"], 42);
        assert_eq!(v["error_code"], "FLOOD_WAIT_42");
    }

    #[test]
    fn not_signed_in_asks_for_authentication() {
        let e = telegram(
            "find_chats",
            &TelegramError::NotSignedIn("run setup".into()),
        );
        let v = serde_json::to_value(&e).unwrap();
        assert_eq!(v["action"], "authenticate_session");
        assert_eq!(v["operation"], "find_chats");
        assert!(v.get("error_code").is_none());
    }

    fn action_of(error: TelegramError) -> Value {
        telegram("x", &error).to_value()["action"].clone()
    }

    fn rpc(code: i32, name: &str) -> TelegramError {
        TelegramError::Rpc {
            code,
            name: name.into(),
        }
    }

    #[test]
    fn every_telegram_error_says_what_to_do() {
        assert_eq!(action_of(rpc(400, "MESSAGE_NOT_MODIFIED")), "fix_arguments");
        assert_eq!(action_of(rpc(400, "PEER_ID_INVALID")), "fix_arguments");
        assert_eq!(action_of(rpc(403, "CHAT_WRITE_FORBIDDEN")), "fix_arguments");
        assert_eq!(action_of(rpc(406, "CHANNEL_PRIVATE")), "fix_arguments");
        assert_eq!(
            action_of(rpc(401, "SESSION_PASSWORD_NEEDED")),
            "authenticate_session"
        );
        assert_eq!(
            action_of(rpc(406, "AUTH_KEY_DUPLICATED")),
            "authenticate_session"
        );
        let duplicated = telegram("x", &rpc(406, "AUTH_KEY_DUPLICATED")).to_value();
        assert!(
            duplicated["error"]
                .as_str()
                .unwrap()
                .contains("copied to another machine"),
            "{duplicated}"
        );
        assert_eq!(action_of(rpc(420, "SLOWMODE_WAIT_10")), "retry");
        assert_eq!(action_of(rpc(500, "INTERNAL")), "retry");
        assert_eq!(action_of(rpc(-503, "TIMEOUT")), "retry");
        assert_eq!(action_of(rpc(303, "NETWORK_MIGRATE_2")), "retry");
        assert_eq!(action_of(TelegramError::Timeout(30)), "retry");
        assert_eq!(
            action_of(TelegramError::Unreachable("down".into())),
            "retry"
        );
        assert_eq!(action_of(TelegramError::Other("?".into())), "retry");
        assert_eq!(
            action_of(TelegramError::NotFound("no".into())),
            "fix_arguments"
        );
        let e = telegram("edit_message", &rpc(400, "MESSAGE_NOT_MODIFIED")).to_value();
        assert_eq!(e["error_code"], "MESSAGE_NOT_MODIFIED");
    }

    #[test]
    fn a_flood_wait_is_known_by_its_typed_cause_and_nothing_more_is_sent() {
        let flood = telegram("get_messages", &TelegramError::FloodWait { seconds: 42 });
        assert!(flood.is_flood_wait());
        let text = result_text(&CallToolResult::from(flood));
        assert_eq!(
            text,
            r#"{"ok":false,"error":"Telegram asks to wait 42 seconds before retrying (FLOOD_WAIT)","operation":"get_messages","error_code":"FLOOD_WAIT_42","action":"retry","retry_after_seconds":42}"#
        );
        assert!(!telegram("x", &rpc(400, "PEER_ID_INVALID")).is_flood_wait());
        assert!(!ToolError::new("no").is_flood_wait());
    }

    #[test]
    fn an_error_built_without_an_action_leaves_with_retry() {
        let v = error_object(&ToolError::new("no").in_operation("x").into()).unwrap();
        assert_eq!(v["action"], "retry");
        assert_eq!(
            ToolError::cancelled().in_operation("x").to_value()["action"],
            "retry"
        );
    }

    #[test]
    fn on_the_wire_an_error_is_one_compact_text_block_and_no_structured_content() {
        let result = CallToolResult::from(
            ToolError::invalid_arguments("limit must be an integer").in_operation("get_messages"),
        );
        let wire = for_the_wire("get_messages", result);
        assert_eq!(wire.is_error, Some(true));
        assert!(wire.structured_content.is_none());
        assert_eq!(wire.content.len(), 1);
        let text = &wire.content[0].as_text().unwrap().text;
        assert!(!text.contains('\n') && !text.contains(": "), "{text}");
        assert!(text.starts_with(r#"{"ok":false,"error":"#), "{text}");
        let v: Value = serde_json::from_str(text).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"ok": false, "error": "limit must be an integer",
                "operation": "get_messages", "error_code": "INVALID_ARGUMENTS",
                "action": "fix_arguments"})
        );
        assert_eq!(error_object(&wire), Some(v));
    }

    #[test]
    fn a_bare_error_is_put_in_the_shared_shape() {
        let bare = CallToolResult::error(vec![ContentBlock::text("something broke")]);
        let v = error_object(&for_the_wire("find_chats", bare)).unwrap();
        assert_eq!(v["error"], "something broke");
        assert_eq!(v["operation"], "find_chats");
        assert_eq!(v["action"], "retry");
    }

    #[test]
    fn successes_pass_unchanged() {
        let ok = CallToolResult::structured(serde_json::json!({"messages": []}));
        let wire = for_the_wire("get_messages", ok.clone());
        assert_eq!(wire, ok);
    }
}
