//! What can go wrong talking to Telegram, classified by what the caller should do about it.

use grammers_client::InvocationError;

#[derive(Debug, Clone, thiserror::Error)]
pub enum TelegramError {
    /// No session, or the session is not (or no longer) signed in.
    #[error("{0}")]
    NotSignedIn(String),
    /// Telegram could not be reached.
    #[error("Telegram is unreachable: {0}")]
    Unreachable(String),
    /// Telegram did not answer in time.
    #[error("Telegram did not answer within {0} seconds")]
    Timeout(u64),
    /// Too many requests: Telegram asks to wait.
    #[error("Telegram asks to wait {seconds} seconds before retrying (FLOOD_WAIT)")]
    FloodWait { seconds: u32 },
    /// Telegram refused the request.
    #[error("Telegram error {code} {name}")]
    Rpc { code: i32, name: String },
    /// The arguments cannot work (a malformed identifier, a bad date…).
    #[error("{0}")]
    InvalidArgument(String),
    /// No chat or message matches what was asked for.
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Other(String),
}

/// Telegram's spelling of an RPC error, with its numeric part put back (`FLOOD_WAIT_30`).
pub fn rpc_error_name(e: &grammers_client::sender::RpcError) -> String {
    match e.value {
        Some(v) if e.name.ends_with('_') || e.name.contains("__") => {
            e.name.replacen("__", &format!("_{v}_"), 1)
        }
        Some(v) => format!("{}_{v}", e.name),
        None => e.name.clone(),
    }
}

impl From<InvocationError> for TelegramError {
    fn from(error: InvocationError) -> Self {
        match error {
            InvocationError::Rpc(e) if e.code == 401 => {
                TelegramError::NotSignedIn(format!("the session is not signed in ({})", e.name))
            }
            InvocationError::Rpc(e) if e.code == 420 || e.name == "FLOOD_WAIT" => {
                TelegramError::FloodWait {
                    seconds: e.value.unwrap_or(0),
                }
            }
            InvocationError::Rpc(e) => TelegramError::Rpc {
                code: e.code,
                name: rpc_error_name(&e),
            },
            InvocationError::Io(e) => TelegramError::Unreachable(e.to_string()),
            InvocationError::Transport(e) => TelegramError::Unreachable(e.to_string()),
            InvocationError::Dropped(why) => TelegramError::Unreachable(why.to_string()),
            other => TelegramError::Other(other.to_string()),
        }
    }
}
