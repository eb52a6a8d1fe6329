//! The one error shape every tool returns (the reference's, extended): a tool result with
//! `isError: true` whose structured content says what failed and what to do next. Never a
//! JSON-RPC protocol error, never a crash.

use rmcp::model::CallToolResult;
use serde::Serialize;

use crate::telegram::TelegramError;

/// What the caller should do about an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Sign the session in (run setup); retrying will not help.
    AuthenticateSession,
    /// Try again later (Telegram unreachable, slow, or asking to wait).
    Retry,
    /// Change the arguments.
    FixArguments,
}

#[derive(Debug, Clone, Serialize)]
pub struct ToolError {
    pub ok: bool,
    pub error: String,
    pub operation: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action: Option<Action>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after_seconds: Option<u32>,
}

impl ToolError {
    pub fn new(operation: &str, error: impl Into<String>) -> Self {
        Self {
            ok: false,
            error: error.into(),
            operation: operation.to_string(),
            error_code: None,
            action: None,
            retry_after_seconds: None,
        }
    }

    /// Bad arguments: the message says which and why.
    pub fn invalid(operation: &str, error: impl Into<String>) -> Self {
        Self::new(operation, error).with_action(Action::FixArguments)
    }

    pub fn with_code(mut self, code: impl Into<String>) -> Self {
        self.error_code = Some(code.into());
        self
    }

    pub fn with_action(mut self, action: Action) -> Self {
        self.action = Some(action);
        self
    }

    pub fn telegram(operation: &str, error: &TelegramError) -> Self {
        let base = Self::new(operation, error.to_string());
        match error {
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
            TelegramError::Rpc { name, .. } => base.with_code(name.clone()),
            TelegramError::InvalidArgument(_) => base.with_action(Action::FixArguments),
            TelegramError::NotFound(_) => base
                .with_code("ENTITY_NOT_FOUND")
                .with_action(Action::FixArguments),
            TelegramError::Other(_) => base,
        }
    }

    pub fn into_result(self) -> CallToolResult {
        let value = serde_json::to_value(&self).expect("error serialises");
        CallToolResult::structured_error(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flood_waits_say_how_long() {
        let e = ToolError::telegram("get_messages", &TelegramError::FloodWait { seconds: 42 });
        let v = serde_json::to_value(&e).unwrap();
        assert_eq!(v["ok"], false);
        assert_eq!(v["action"], "retry");
        assert_eq!(v["retry_after_seconds"], 42);
        assert_eq!(v["error_code"], "FLOOD_WAIT_42");
    }

    #[test]
    fn not_signed_in_asks_for_authentication() {
        let e = ToolError::telegram(
            "find_chats",
            &TelegramError::NotSignedIn("run setup".into()),
        );
        let v = serde_json::to_value(&e).unwrap();
        assert_eq!(v["action"], "authenticate_session");
        assert_eq!(v["operation"], "find_chats");
        assert!(v.get("error_code").is_none());
    }
}
