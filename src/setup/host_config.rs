//! What setup prints when it is done: who is signed in (phone masked) and a ready-to-paste
//! MCP host configuration for this session, carrying every server setting setup was given.

use std::path::{Path, PathBuf};

use serde_json::json;

use crate::config::{CommonArgs, Config, ConfigError, DEFAULT_SESSION_NAME};
use crate::logging::LogFileArgs;
use crate::options::{ServerArgs, ServerOptions};

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

/// The server binary next to the running one (setup may run as its own binary), by its full
/// path when it is there: an MCP bundle's binary is on no `PATH`.
pub fn server_command() -> String {
    let exe = std::env::current_exe().unwrap_or_else(|_| PathBuf::from("fast-mcp-telegram"));
    let server = exe.with_file_name("fast-mcp-telegram");
    if server.exists() {
        server.display().to_string()
    } else {
        "fast-mcp-telegram".into()
    }
}

/// A path as the host should see it: hosts start servers in a directory of their own, so a
/// relative path would point elsewhere. Canonical when it exists, else made absolute.
pub fn absolute(path: &Path) -> PathBuf {
    std::fs::canonicalize(path)
        .or_else(|_| std::path::absolute(path))
        .unwrap_or_else(|_| path.to_path_buf())
}

/// The server settings given to setup (flags, the environment or the settings file), checked
/// as the server would check them and written as the server reads them, for the host
/// configuration: absolute paths, normalised values.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Settings {
    env: Vec<(&'static str, String)>,
}

/// A setting's value, when one was given (empty counts as not given).
fn given(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|v| !v.is_empty())
}

impl Settings {
    /// Checks the settings the server would refuse (so setup fails before signing in, not
    /// the server afterwards) and keeps those that were given.
    pub fn from_args(
        common: &CommonArgs,
        server: &ServerArgs,
        log: &LogFileArgs,
    ) -> Result<Settings, ConfigError> {
        let mut env = Vec::new();
        if let Some(level) = given(common.session.log_level.as_deref()) {
            let level = crate::config::parse_log_level(Some(level))?;
            env.push(("LOG_LEVEL", level.as_filter().to_string()));
        }
        // Checked, then carried as the user wrote it: the server reads every form.
        if let Some(proxy) = given(common.telegram.mtproto_proxy.as_deref()) {
            crate::config::parse_proxy(Some(proxy))?;
            env.push(("MTPROTO_PROXY", proxy.to_string()));
        }
        let roots =
            crate::config::parse_allowed_file_roots(common.files.allowed_file_roots().as_deref())?;
        if !roots.is_empty() {
            let joined = std::env::join_paths(&roots).map_err(|e| {
                ConfigError(format!(
                    "ALLOWED_FILE_ROOTS cannot be written as a list: {e}"
                ))
            })?;
            env.push(("ALLOWED_FILE_ROOTS", joined.to_string_lossy().into_owned()));
        }
        for (name, value, default) in [
            ("ALLOW_HTTP_URLS", &common.files.allow_http_urls, false),
            ("BLOCK_PRIVATE_IPS", &common.files.block_private_ips, true),
        ] {
            if given(value.as_deref()).is_some() {
                let on = crate::config::parse_bool(name, value.as_deref(), default)?;
                env.push((name, on.to_string()));
            }
        }
        if given(common.files.max_file_size_mb.as_deref()).is_some() {
            let mb =
                crate::config::parse_max_file_size_mb(common.files.max_file_size_mb.as_deref())?;
            env.push(("MAX_FILE_SIZE_MB", mb.to_string()));
        }
        // The server's own options, checked as it checks them.
        let options = ServerOptions::from_args(server, crate::tools::names)?;
        if let Some(read_only) = server.read_only {
            env.push(("READ_ONLY", read_only.to_string()));
        }
        if let Some(tools) = &options.tools {
            let names: Vec<&str> = tools.iter().map(String::as_str).collect();
            env.push(("TOOLS", names.join(",")));
        }
        for (name, value) in [
            ("MAX_RESPONSE_CHARS", &server.max_response_chars),
            ("CALL_TIMEOUT_SECONDS", &server.call_timeout_seconds),
            (
                "SESSION_LOCK_WAIT_SECONDS",
                &server.session_lock_wait_seconds,
            ),
            ("FLOOD_WAIT_MAX_SECONDS", &server.flood_wait_max_seconds),
            ("MEDIA_MAX_BYTES", &server.media_max_bytes),
        ] {
            if let Some(value) = given(value.as_deref()) {
                env.push((name, value.to_string()));
            }
        }
        if let Some(file) = log.validate()? {
            env.push(("LOG_FILE", absolute(&file.path).display().to_string()));
            for (name, value) in [
                ("LOG_FILE_MAX_MB", &log.log_file_max_mb),
                ("LOG_FILE_KEEP", &log.log_file_keep),
            ] {
                if let Some(value) = given(value.as_deref()) {
                    env.push((name, value.to_string()));
                }
            }
        }
        Ok(Settings { env })
    }
}

/// The `mcpServers` entry for Claude Desktop, Cursor and other MCP hosts: the API id and
/// hash, the session (its directory as an absolute path when it is not the default one) and
/// every other server setting given to setup.
pub fn host_config(config: &Config, settings: &Settings) -> serde_json::Value {
    let mut env = serde_json::Map::new();
    env.insert("API_ID".into(), json!(config.api_id.to_string()));
    env.insert("API_HASH".into(), json!(config.api_hash));
    if config.session.name != DEFAULT_SESSION_NAME {
        env.insert("SESSION_NAME".into(), json!(config.session.name));
    }
    let dir = absolute(&config.session.dir);
    let default = crate::config::default_session_dir()
        .ok()
        .map(|d| absolute(&d));
    if default.as_ref() != Some(&dir) {
        env.insert("SESSION_DIR".into(), json!(dir.display().to_string()));
    }
    for (name, value) in &settings.env {
        env.insert((*name).into(), json!(value));
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
