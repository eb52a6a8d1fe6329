//! Server-only options: what the agent may do (read-only mode, a tool allowlist), how big an
//! answer may be, how long a call may take, how large a media `get_media` shows, and how long
//! to wait for a session held by a server that is shutting down.

use std::collections::BTreeSet;
use std::time::Duration;

use clap::Args;
use clap::builder::BoolishValueParser;

use crate::config::ConfigError;

/// Default answer budget in characters (about 10k tokens): room for a page of messages,
/// far below the point where hosts cut or refuse tool results.
pub const DEFAULT_MAX_RESPONSE_CHARS: usize = 40_000;
/// Below common host time-outs (60 s), so the call answers before the host gives up.
pub const DEFAULT_CALL_TIMEOUT_SECONDS: u64 = 55;
/// Hosts restart servers by starting the new one before the old one has exited.
pub const DEFAULT_SESSION_LOCK_WAIT_SECONDS: u64 = 20;
/// Flood waits up to this long are slept through inside the call; longer ones are answered at
/// once with `retry_after_seconds` (a call should not sit silent for minutes).
pub const DEFAULT_FLOOD_WAIT_MAX_SECONDS: u64 = 10;
/// Largest media `get_media` returns as content (1 MiB: what MCP hosts accept for an image).
pub const DEFAULT_MEDIA_MAX_BYTES: u64 = 1024 * 1024;

/// The server's own options (setup checks them and carries them into the host
/// configuration); global, like [`crate::config::CommonArgs`].
#[derive(Debug, Clone, Default, Args)]
pub struct ServerArgs {
    /// Offer only the tools that cannot change anything (true/false).
    #[arg(long, global = true, env = "READ_ONLY", value_parser = BoolishValueParser::new(), num_args = 0..=1, default_missing_value = "true", value_name = "BOOL")]
    pub read_only: Option<bool>,
    /// Offer only these tools (comma-separated names).
    #[arg(long, global = true, env = "TOOLS", value_name = "NAMES")]
    pub tools: Option<String>,
    /// Largest answer in characters; longer results are cut at a whole item with a cursor.
    #[arg(long, global = true, env = "MAX_RESPONSE_CHARS", value_name = "CHARS")]
    pub max_response_chars: Option<String>,
    /// Seconds a tool call may take before it answers `retry`.
    #[arg(long, global = true, env = "CALL_TIMEOUT_SECONDS", value_name = "SECONDS")]
    pub call_timeout_seconds: Option<String>,
    /// Seconds to wait for a session held by another server that is shutting down.
    #[arg(long, global = true, env = "SESSION_LOCK_WAIT_SECONDS", value_name = "SECONDS")]
    pub session_lock_wait_seconds: Option<String>,
    /// Longest FLOOD_WAIT (seconds) waited out automatically; longer ones answer `retry`.
    #[arg(long, global = true, env = "FLOOD_WAIT_MAX_SECONDS", value_name = "SECONDS")]
    pub flood_wait_max_seconds: Option<String>,
    /// Largest photo, voice or text (bytes) get_media shows; larger ones are saved or described.
    #[arg(long, global = true, env = "MEDIA_MAX_BYTES", value_name = "BYTES")]
    pub media_max_bytes: Option<String>,
}

/// Validated server options.
#[derive(Debug, Clone)]
pub struct ServerOptions {
    pub read_only: bool,
    /// `None`: every tool.
    pub tools: Option<BTreeSet<String>>,
    pub max_response_chars: usize,
    pub call_timeout: Duration,
    pub session_lock_wait: Duration,
    /// Longest flood wait slept through automatically.
    pub flood_wait_max: Duration,
    /// Largest media `get_media` returns as content.
    pub media_max_bytes: u64,
    /// Which files and URLs a send may attach (from the common file variables).
    pub files: crate::files::FilePolicy,
}

impl Default for ServerOptions {
    fn default() -> Self {
        Self {
            read_only: false,
            tools: None,
            max_response_chars: DEFAULT_MAX_RESPONSE_CHARS,
            call_timeout: Duration::from_secs(DEFAULT_CALL_TIMEOUT_SECONDS),
            session_lock_wait: Duration::from_secs(DEFAULT_SESSION_LOCK_WAIT_SECONDS),
            flood_wait_max: Duration::from_secs(DEFAULT_FLOOD_WAIT_MAX_SECONDS),
            media_max_bytes: DEFAULT_MEDIA_MAX_BYTES,
            files: crate::files::FilePolicy::default(),
        }
    }
}

impl ServerOptions {
    /// Validates the options; `known_tools` gives the names a `TOOLS` list may use (asked only
    /// when there is one: listing the tools builds their schemas, which start-up need not wait
    /// for).
    pub fn from_args(
        args: &ServerArgs,
        known_tools: impl FnOnce() -> Vec<String>,
    ) -> Result<ServerOptions, ConfigError> {
        let tools = match args
            .tools
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
        {
            None => None,
            Some(list) => {
                let names: BTreeSet<String> = list
                    .split(',')
                    .map(|n| n.trim().to_string())
                    .filter(|n| !n.is_empty())
                    .collect();
                let known_tools = known_tools();
                if let Some(unknown) = names.iter().find(|n| !known_tools.contains(n)) {
                    return Err(ConfigError(format!(
                        "TOOLS names {unknown:?}, which is not a tool; the tools are {}",
                        known_tools.join(", ")
                    )));
                }
                Some(names)
            }
        };
        Ok(ServerOptions {
            read_only: args.read_only.unwrap_or(false),
            tools,
            max_response_chars: crate::config::parse_number(
                "MAX_RESPONSE_CHARS",
                args.max_response_chars.as_deref(),
                DEFAULT_MAX_RESPONSE_CHARS as u64,
                1_000..=10_000_000,
            )? as usize,
            call_timeout: Duration::from_secs(crate::config::parse_number(
                "CALL_TIMEOUT_SECONDS",
                args.call_timeout_seconds.as_deref(),
                DEFAULT_CALL_TIMEOUT_SECONDS,
                1..=3_600,
            )?),
            session_lock_wait: Duration::from_secs(crate::config::parse_number(
                "SESSION_LOCK_WAIT_SECONDS",
                args.session_lock_wait_seconds.as_deref(),
                DEFAULT_SESSION_LOCK_WAIT_SECONDS,
                0..=600,
            )?),
            flood_wait_max: Duration::from_secs(crate::config::parse_number(
                "FLOOD_WAIT_MAX_SECONDS",
                args.flood_wait_max_seconds.as_deref(),
                DEFAULT_FLOOD_WAIT_MAX_SECONDS,
                0..=3_600,
            )?),
            media_max_bytes: crate::config::parse_number(
                "MEDIA_MAX_BYTES",
                args.media_max_bytes.as_deref(),
                DEFAULT_MEDIA_MAX_BYTES,
                1_024..=64 * 1024 * 1024,
            )?,
            files: crate::files::FilePolicy::default(),
        })
    }

    /// Whether a tool is offered, given whether it only reads.
    pub fn offers(&self, name: &str, read_only_tool: bool) -> bool {
        (!self.read_only || read_only_tool) && self.tools.as_ref().is_none_or(|t| t.contains(name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tool_lists_must_name_real_tools() {
        let args = ServerArgs {
            tools: Some("get_messages, nope".into()),
            ..Default::default()
        };
        let known = ["get_messages".to_string(), "find_chats".to_string()];
        let e = ServerOptions::from_args(&args, || known.to_vec()).unwrap_err();
        assert!(e.0.contains("\"nope\""), "{e}");
    }

    #[test]
    fn read_only_offers_only_reading_tools() {
        let options = ServerOptions {
            read_only: true,
            ..Default::default()
        };
        assert!(options.offers("get_messages", true));
        assert!(!options.offers("send_message", false));
    }

    #[test]
    fn numbers_are_range_checked() {
        let args = ServerArgs {
            call_timeout_seconds: Some("0".into()),
            ..Default::default()
        };
        assert!(ServerOptions::from_args(&args, Vec::new).is_err());
    }

    #[test]
    fn flood_wait_threshold_defaults_to_ten_seconds() {
        let options = ServerOptions::from_args(&ServerArgs::default(), Vec::new).unwrap();
        assert_eq!(options.flood_wait_max, Duration::from_secs(10));
        let args = ServerArgs {
            flood_wait_max_seconds: Some("0".into()),
            ..Default::default()
        };
        let options = ServerOptions::from_args(&args, Vec::new).unwrap();
        assert_eq!(options.flood_wait_max, Duration::ZERO);
        let args = ServerArgs {
            flood_wait_max_seconds: Some("ten".into()),
            ..Default::default()
        };
        assert!(ServerOptions::from_args(&args, Vec::new).is_err());
    }
}
