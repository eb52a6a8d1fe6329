//! What setup prints when it is done: who is signed in (phone masked) and a ready-to-paste
//! MCP host configuration for this session.

use std::path::PathBuf;

use serde_json::json;

use crate::config::{Config, DEFAULT_SESSION_NAME};

/// `+15550001000` → `+15•••••••00`: enough to recognise, not enough to use.
pub fn mask_phone(phone: &str) -> String {
    let digits: Vec<char> = phone.chars().filter(char::is_ascii_digit).collect();
    if digits.len() < 5 {
        return "•".repeat(digits.len().max(3));
    }
    let head: String = digits[..2].iter().collect();
    let tail: String = digits[digits.len() - 2..].iter().collect();
    format!("+{head}{}{tail}", "•".repeat(digits.len() - 4))
}

/// The server binary next to the running one (setup may run as its own binary).
fn server_command() -> String {
    let exe = std::env::current_exe().unwrap_or_else(|_| PathBuf::from("fast-mcp-telegram"));
    let server = exe.with_file_name("fast-mcp-telegram");
    if server.exists() {
        server.display().to_string()
    } else {
        "fast-mcp-telegram".into()
    }
}

/// The `mcpServers` entry for Claude Desktop, Cursor and other MCP hosts.
pub fn host_config(config: &Config) -> serde_json::Value {
    let mut env = serde_json::Map::new();
    env.insert("API_ID".into(), json!(config.api_id.to_string()));
    env.insert("API_HASH".into(), json!(config.api_hash));
    if config.session.name != DEFAULT_SESSION_NAME {
        env.insert("SESSION_NAME".into(), json!(config.session.name));
    }
    if crate::config::default_session_dir().ok().as_ref() != Some(&config.session.dir) {
        env.insert(
            "SESSION_DIR".into(),
            json!(config.session.dir.display().to_string()),
        );
    }
    let key = if config.session.name == DEFAULT_SESSION_NAME {
        "telegram".to_string()
    } else {
        format!("telegram-{}", config.session.name)
    };
    json!({ "mcpServers": { key: { "command": server_command(), "args": [], "env": env } } })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_are_masked() {
        assert_eq!(mask_phone("+15550001000"), "+15•••••••00");
        assert_eq!(mask_phone("15550001000"), "+15•••••••00");
        assert!(!mask_phone("+15550001000").contains("5550001"));
    }
}
