//! Configuration: `.env` files, the environment and command-line flags, parsed and validated
//! once into a [`Config`]. Precedence: flags, then the process environment, then the settings
//! file `~/.config/fast-mcp-telegram/.env` (see [`crate::env_file`]; a `.env` in the working
//! directory is never read).

use std::ffi::{OsStr, OsString};
use std::fmt;
use std::path::{Path, PathBuf};

use clap::Args;

/// The session name used when `SESSION_NAME` is not set (the reference's default).
pub const DEFAULT_SESSION_NAME: &str = "telegram";

/// The settings the server and `setup` share, each flag defined once (in the structs below)
/// with its environment variable. Every flag is global: given before or after `setup`, it
/// means the same.
#[derive(Debug, Clone, Default, Args)]
pub struct CommonArgs {
    #[command(flatten)]
    pub telegram: TelegramArgs,
    #[command(flatten)]
    pub session: SessionArgs,
    #[command(flatten)]
    pub files: FileArgs,
}

/// How to reach Telegram: the API credentials and a proxy.
#[derive(Debug, Clone, Default, Args)]
pub struct TelegramArgs {
    /// Telegram API id from https://my.telegram.org.
    #[arg(long, global = true, env = "API_ID", value_name = "ID")]
    pub api_id: Option<String>,
    /// Telegram API hash from https://my.telegram.org.
    #[arg(long, global = true, env = "API_HASH", value_name = "HASH", hide_env_values = true)]
    pub api_hash: Option<String>,
    /// Proxy for the Telegram connection: an MTProto proxy link (tg://proxy?server=…&port=…&secret=…,
    /// https://t.me/proxy?…), host:port:secret, or socks5://[user:pass@]host:port.
    #[arg(long, global = true, env = "MTPROTO_PROXY", value_name = "URL", hide_env_values = true)]
    pub mtproto_proxy: Option<String>,
}

/// Which session, and how much to log: every command (the health check too).
#[derive(Debug, Clone, Default, Args)]
pub struct SessionArgs {
    /// Session name: the session file is `<session-dir>/<name>.session`.
    #[arg(long, global = true, env = "SESSION_NAME", value_name = "NAME")]
    pub session_name: Option<String>,
    /// Directory holding session files [default: ~/.config/fast-mcp-telegram].
    #[arg(long, global = true, env = "SESSION_DIR", value_name = "DIR")]
    pub session_dir: Option<PathBuf>,
    /// Log level: error, warn, info, debug or trace (DEBUG/INFO/WARNING/ERROR accepted).
    #[arg(long, global = true, env = "LOG_LEVEL", value_name = "LEVEL")]
    pub log_level: Option<String>,
}

/// The file policy: which local files and URLs a send may attach (see [`file_policy`]).
#[derive(Debug, Clone, Default, Args)]
pub struct FileArgs {
    /// Directories local files may be sent from, separated by ':' (used when the MCP host
    /// declares no roots; none by default, so local files are refused). The flag also takes
    /// them as separate values (`--allowed-file-roots /a /b`, as an MCP bundle's host passes
    /// a list of directories), or none.
    #[arg(
        long,
        global = true,
        env = "ALLOWED_FILE_ROOTS",
        value_name = "DIRS",
        num_args = 0..
    )]
    pub allowed_file_roots: Vec<OsString>,
    /// Allow plain http:// URLs for files (true/false) [default: false, https only].
    #[arg(long, global = true, env = "ALLOW_HTTP_URLS", value_name = "BOOL")]
    pub allow_http_urls: Option<String>,
    /// Refuse file URLs that reach loopback, private, link-local or similar addresses
    /// (true/false) [default: true].
    #[arg(long, global = true, env = "BLOCK_PRIVATE_IPS", value_name = "BOOL")]
    pub block_private_ips: Option<String>,
    /// Largest file sent, in MiB [default: 50].
    #[arg(long, global = true, env = "MAX_FILE_SIZE_MB", value_name = "MB")]
    pub max_file_size_mb: Option<String>,
}

impl FileArgs {
    /// The allowed roots given, as one ':'-separated list (`None` when none was given).
    pub fn allowed_file_roots(&self) -> Option<OsString> {
        let mut values = self.allowed_file_roots.iter().filter(|v| !v.is_empty());
        let first = values.next()?;
        let mut joined = first.clone();
        for value in values {
            joined.push(":");
            joined.push(value);
        }
        Some(joined)
    }
}

/// A validated configuration. `Debug` hides the API hash and the proxy's secret or credentials.
#[derive(Clone)]
pub struct Config {
    pub api_id: i32,
    pub api_hash: String,
    pub session: SessionLocation,
    pub log_level: LogLevel,
    pub proxy: Option<crate::proxy::ProxySetting>,
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("api_id", &self.api_id)
            .field("api_hash", &"<hidden>")
            .field("session", &self.session)
            .field("log_level", &self.log_level)
            .field("proxy", &self.proxy.as_ref().map(|_| "<set>"))
            .finish()
    }
}

/// Where the session file lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionLocation {
    pub dir: PathBuf,
    pub name: String,
}

impl SessionLocation {
    /// The session named by `SESSION_DIR` and `SESSION_NAME` (or their flags) alone, for
    /// commands that need no API credentials (the health check).
    pub fn from_args(args: &SessionArgs) -> Result<SessionLocation, ConfigError> {
        Ok(SessionLocation {
            dir: parse_session_dir(args.session_dir.as_deref())?,
            name: parse_session_name(args.session_name.as_deref())?,
        })
    }

    pub fn file(&self) -> PathBuf {
        self.dir.join(format!("{}.session", self.name))
    }

    /// A sibling of the session file: `<dir>/<name>.session<suffix>`.
    pub fn sibling(&self, suffix: &str) -> PathBuf {
        self.dir.join(format!("{}.session{suffix}", self.name))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogLevel {
    Error,
    Warn,
    Info,
    Debug,
    Trace,
}

impl LogLevel {
    /// Setup talks to a person: below warn, logs would drown the prompts.
    pub fn min_warn(self) -> LogLevel {
        match self {
            LogLevel::Info => LogLevel::Warn,
            other => other,
        }
    }

    pub fn as_filter(self) -> &'static str {
        match self {
            LogLevel::Error => "error",
            LogLevel::Warn => "warn",
            LogLevel::Info => "info",
            LogLevel::Debug => "debug",
            LogLevel::Trace => "trace",
        }
    }
}

/// A configuration problem, worded for the person who has to fix it.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(pub String);

fn bad(message: impl Into<String>) -> ConfigError {
    ConfigError(message.into())
}

pub fn parse_api_id(value: Option<&str>) -> Result<i32, ConfigError> {
    let value = value
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| {
            bad(
                "API_ID is not set: get an API id and hash at https://my.telegram.org and set \
             API_ID and API_HASH (or pass --api-id and --api-hash)",
            )
        })?;
    match value.parse::<i32>() {
        Ok(id) if id > 0 => Ok(id),
        _ => Err(bad(format!(
            "API_ID must be a positive number, got {value:?}"
        ))),
    }
}

pub fn parse_api_hash(value: Option<&str>) -> Result<String, ConfigError> {
    let value = value.map(str::trim).unwrap_or_default();
    if value.is_empty() {
        return Err(bad(
            "API_HASH is not set: set API_HASH (or pass --api-hash) to the hash from \
             https://my.telegram.org",
        ));
    }
    Ok(value.to_string())
}

/// Validates a session name: a plain file name, so it can never point outside the directory.
pub fn parse_session_name(value: Option<&str>) -> Result<String, ConfigError> {
    let raw = value.unwrap_or(DEFAULT_SESSION_NAME).trim();
    let name = raw.strip_suffix(".session").unwrap_or(raw);
    let problem = if name.is_empty() {
        Some("is empty")
    } else if name.contains('/') || name.contains('\\') {
        Some("contains a path separator")
    } else if name.contains("..") {
        Some("contains \"..\"")
    } else if name.starts_with('.') {
        Some("starts with a dot")
    } else if name.chars().any(char::is_control) {
        Some("contains control characters")
    } else if name.len() > 200 {
        Some("is longer than 200 bytes")
    } else {
        None
    };
    match problem {
        Some(why) => Err(bad(format!(
            "SESSION_NAME {raw:?} {why}: use a plain name such as \"telegram\" or \"work\""
        ))),
        None => Ok(name.to_string()),
    }
}

/// The default session directory, `~/.config/fast-mcp-telegram`, on every platform (the same
/// place the Python server uses, so its users keep their session).
pub fn default_session_dir() -> Result<PathBuf, ConfigError> {
    directories::BaseDirs::new()
        .map(|dirs| dirs.home_dir().join(".config").join("fast-mcp-telegram"))
        .ok_or_else(|| bad("cannot find the home directory: set SESSION_DIR"))
}

/// Checks the session directory is usable: an existing directory, or creatable.
pub fn parse_session_dir(value: Option<&Path>) -> Result<PathBuf, ConfigError> {
    let dir = match value {
        Some(p) if p.as_os_str().is_empty() => return Err(bad("SESSION_DIR is empty")),
        Some(p) => expand_home(p),
        None => default_session_dir()?,
    };
    match std::fs::metadata(&dir) {
        Ok(meta) if meta.is_dir() => Ok(dir),
        Ok(_) => Err(bad(format!(
            "SESSION_DIR {} exists but is not a directory",
            dir.display()
        ))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            // Created on first use (0700); here only check that its parent can hold it.
            let parent_ok = dir
                .ancestors()
                .skip(1)
                .find(|a| a.exists())
                .is_some_and(|a| a.is_dir());
            if parent_ok {
                Ok(dir)
            } else {
                Err(bad(format!(
                    "SESSION_DIR {} cannot be created: a parent is not a directory",
                    dir.display()
                )))
            }
        }
        Err(e) => Err(bad(format!(
            "SESSION_DIR {} is not usable: {e}",
            dir.display()
        ))),
    }
}

fn expand_home(path: &Path) -> PathBuf {
    if let Ok(rest) = path.strip_prefix("~")
        && let Some(dirs) = directories::BaseDirs::new()
    {
        return dirs.home_dir().join(rest);
    }
    path.to_path_buf()
}

pub fn parse_log_level(value: Option<&str>) -> Result<LogLevel, ConfigError> {
    let Some(value) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(LogLevel::Info);
    };
    Ok(match value.to_ascii_lowercase().as_str() {
        "error" | "critical" => LogLevel::Error,
        "warn" | "warning" => LogLevel::Warn,
        "info" => LogLevel::Info,
        "debug" => LogLevel::Debug,
        "trace" => LogLevel::Trace,
        _ => {
            return Err(bad(format!(
                "LOG_LEVEL {value:?} is not one of error, warn, info, debug, trace"
            )));
        }
    })
}

/// Reads `MTPROTO_PROXY` (every form is in [`crate::proxy::link`]); a malformed value is
/// refused with one line that never repeats the secret.
pub fn parse_proxy(value: Option<&str>) -> Result<Option<crate::proxy::ProxySetting>, ConfigError> {
    crate::proxy::link::parse(value.unwrap_or_default()).map_err(|e| ConfigError(e.0))
}

impl Config {
    /// Validates everything; the first problem found is reported.
    pub fn from_args(args: &CommonArgs) -> Result<Config, ConfigError> {
        let (telegram, session) = (&args.telegram, &args.session);
        Ok(Config {
            api_id: parse_api_id(telegram.api_id.as_deref())?,
            api_hash: parse_api_hash(telegram.api_hash.as_deref())?,
            session: SessionLocation::from_args(session)?,
            log_level: parse_log_level(session.log_level.as_deref())?,
            proxy: parse_proxy(telegram.mtproto_proxy.as_deref())?,
        })
    }
}

// ---- File sources (send_message files=[…]) ----

/// Telegram's own upload limit is 2000 MiB (4000 MiB with Premium): a larger cap is a typo.
pub const MAX_FILE_SIZE_MB_LIMIT: u64 = 4000;

/// Parses a true/false setting; unset or empty means `default`.
pub fn parse_bool(name: &str, value: Option<&str>, default: bool) -> Result<bool, ConfigError> {
    let Some(value) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(default);
    };
    match value.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" => Ok(false),
        _ => Err(bad(format!("{name} must be true or false, got {value:?}"))),
    }
}

/// A whole number in `range`, or `default` when unset.
pub fn parse_number(
    name: &str,
    value: Option<&str>,
    default: u64,
    range: std::ops::RangeInclusive<u64>,
) -> Result<u64, ConfigError> {
    let Some(value) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(default);
    };
    match value.parse::<u64>() {
        Ok(n) if range.contains(&n) => Ok(n),
        _ => Err(bad(format!(
            "{name} must be a whole number from {} to {}, got {value:?}",
            range.start(),
            range.end()
        ))),
    }
}

pub fn parse_max_file_size_mb(value: Option<&str>) -> Result<u64, ConfigError> {
    let Some(value) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(crate::files::DEFAULT_MAX_FILE_SIZE_MB);
    };
    match value.parse::<u64>() {
        Ok(mb) if (1..=MAX_FILE_SIZE_MB_LIMIT).contains(&mb) => Ok(mb),
        _ => Err(bad(format!(
            "MAX_FILE_SIZE_MB must be a whole number of MiB from 1 to {MAX_FILE_SIZE_MB_LIMIT}, \
             got {value:?}"
        ))),
    }
}

/// Splits `ALLOWED_FILE_ROOTS` on the platform's path-list separator (':' on Unix) and
/// canonicalises each directory. Empty entries are skipped; relative entries, missing paths
/// and files are errors (a root that silently allowed nothing would be a surprise).
pub fn parse_allowed_file_roots(value: Option<&OsStr>) -> Result<Vec<PathBuf>, ConfigError> {
    let Some(value) = value else {
        return Ok(Vec::new());
    };
    let mut roots = Vec::new();
    for entry in std::env::split_paths(value) {
        if entry.as_os_str().is_empty() {
            continue;
        }
        let entry = expand_home(&entry);
        let root = crate::files::canonical_root(&entry).map_err(|e| {
            bad(format!(
                "ALLOWED_FILE_ROOTS entry {} is not usable: {e} (give absolute directories \
                 separated by ':')",
                entry.display()
            ))
        })?;
        if !roots.contains(&root) {
            roots.push(root);
        }
    }
    Ok(roots)
}

/// The validated file-source policy from `ALLOWED_FILE_ROOTS`, `ALLOW_HTTP_URLS`,
/// `BLOCK_PRIVATE_IPS` and `MAX_FILE_SIZE_MB`.
pub fn file_policy(args: &FileArgs) -> Result<crate::files::FilePolicy, ConfigError> {
    let max_mb = parse_max_file_size_mb(args.max_file_size_mb.as_deref())?;
    Ok(crate::files::FilePolicy::new()
        .with_roots(parse_allowed_file_roots(
            args.allowed_file_roots().as_deref(),
        )?)
        .with_allow_http(parse_bool(
            "ALLOW_HTTP_URLS",
            args.allow_http_urls.as_deref(),
            false,
        )?)
        .with_block_private_ips(parse_bool(
            "BLOCK_PRIVATE_IPS",
            args.block_private_ips.as_deref(),
            true,
        )?)
        .with_max_bytes(max_mb * crate::files::BYTES_PER_MB))
}

/// The server's own files, never sent as attachments: sessions and their companions, the
/// settings directory and the log file (with its rotated copies).
pub fn protected_paths(
    session: &SessionLocation,
    log_file: Option<&Path>,
) -> crate::files::ProtectedPaths {
    let absolute = |p: &Path| {
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            std::env::current_dir().unwrap_or_default().join(p)
        }
    };
    let settings = crate::env_file::config_dir().into_iter().collect();
    let files = log_file
        .filter(|p| !p.as_os_str().is_empty())
        .map(absolute)
        .into_iter()
        .collect();
    crate::files::ProtectedPaths::new(settings, vec![absolute(&session.dir)], files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_id_must_be_a_positive_number() {
        assert!(
            parse_api_id(None)
                .unwrap_err()
                .0
                .contains("API_ID is not set")
        );
        assert!(
            parse_api_id(Some("abc"))
                .unwrap_err()
                .0
                .contains("positive number")
        );
        assert!(parse_api_id(Some("-5")).is_err());
        assert_eq!(parse_api_id(Some(" 12345 ")).unwrap(), 12345);
    }

    #[test]
    fn session_names_cannot_escape_the_directory() {
        for bad_name in ["", "a/b", "a\\b", "..", "x..y", ".hidden", "a\0b"] {
            assert!(parse_session_name(Some(bad_name)).is_err(), "{bad_name:?}");
        }
        assert_eq!(parse_session_name(None).unwrap(), "telegram");
        assert_eq!(parse_session_name(Some("work.session")).unwrap(), "work");
    }

    #[test]
    fn log_levels_accept_the_reference_spellings() {
        assert_eq!(parse_log_level(Some("WARNING")).unwrap(), LogLevel::Warn);
        assert_eq!(parse_log_level(Some("DEBUG")).unwrap(), LogLevel::Debug);
        assert_eq!(parse_log_level(None).unwrap(), LogLevel::Info);
        assert!(parse_log_level(Some("loud")).is_err());
    }

    #[test]
    fn proxies_are_socks5_urls_or_mtproto_proxy_links() {
        assert!(
            parse_proxy(Some("socks5://127.0.0.1:1080"))
                .unwrap()
                .is_some()
        );
        let link = "tg://proxy?server=h&port=443&secret=dd0123456789abcdef0123456789abcdef";
        assert!(matches!(
            parse_proxy(Some(link)).unwrap(),
            Some(crate::proxy::ProxySetting::MtProto(_))
        ));
        assert!(parse_proxy(Some("http://proxy:8080")).is_err());
        assert!(parse_proxy(Some("socks5://hostonly")).is_err());
        assert_eq!(parse_proxy(Some("")).unwrap(), None);
        assert_eq!(parse_proxy(None).unwrap(), None);
    }

    #[test]
    fn debug_output_hides_the_api_hash() {
        let config = Config {
            api_id: 1,
            api_hash: "supersecret".into(),
            session: SessionLocation {
                dir: "/tmp".into(),
                name: "t".into(),
            },
            log_level: LogLevel::Info,
            proxy: parse_proxy(Some("socks5://u:pw@h:1")).unwrap(),
        };
        let shown = format!("{config:?}");
        assert!(!shown.contains("supersecret") && !shown.contains("pw@"));
        let config = Config {
            proxy: parse_proxy(Some("h:1:0123456789abcdef0123456789abcdef")).unwrap(),
            ..config
        };
        let shown = format!("{config:?}");
        assert!(!shown.contains("0123456789abcdef"), "{shown}");
    }

    #[test]
    fn file_policy_defaults_are_deny_https_only_blocked_50_mib() {
        let policy = file_policy(&FileArgs::default()).unwrap();
        assert!(policy.roots().is_empty());
        assert!(!policy.allow_http());
        assert!(policy.block_private_ips());
        assert_eq!(policy.max_bytes(), 50 * 1024 * 1024);
    }

    #[test]
    fn allowed_roots_may_be_given_as_separate_values_or_none() {
        #[derive(clap::Parser)]
        struct Flags {
            #[command(flatten)]
            files: FileArgs,
        }
        let parse = |args: &[&str]| {
            let flags = <Flags as clap::Parser>::try_parse_from(
                std::iter::once("server").chain(args.iter().copied()),
            )
            .unwrap();
            flags.files.allowed_file_roots()
        };
        // As an MCP bundle's host passes a list of folders: one value each.
        assert_eq!(
            parse(&["--allowed-file-roots", "/a", "/b:/c"]),
            Some(OsString::from("/a:/b:/c"))
        );
        // An empty list: the flag alone.
        assert_eq!(parse(&["--allowed-file-roots"]), None);
        assert_eq!(parse(&[]), None);
    }

    #[test]
    fn file_policy_reads_every_setting() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a");
        let b = dir.path().join("b");
        std::fs::create_dir(&a).unwrap();
        std::fs::create_dir(&b).unwrap();
        let list = std::env::join_paths([&a, &b, &a]).unwrap();
        let args = FileArgs {
            allowed_file_roots: vec![list],
            allow_http_urls: Some("TRUE".into()),
            block_private_ips: Some("off".into()),
            max_file_size_mb: Some(" 7 ".into()),
        };
        let policy = file_policy(&args).unwrap();
        let canonical = |p: &Path| p.canonicalize().unwrap();
        assert_eq!(policy.roots(), &[canonical(&a), canonical(&b)]);
        assert!(policy.allow_http());
        assert!(!policy.block_private_ips());
        assert_eq!(policy.max_bytes(), 7 * 1024 * 1024);
    }

    #[test]
    fn bad_file_settings_are_config_errors() {
        assert!(
            parse_bool("ALLOW_HTTP_URLS", Some("ture"), false)
                .unwrap_err()
                .0
                .contains("ALLOW_HTTP_URLS must be true or false")
        );
        assert!(!parse_bool("BLOCK_PRIVATE_IPS", Some("0"), true).unwrap());
        assert!(parse_bool("BLOCK_PRIVATE_IPS", Some(""), true).unwrap());
        for bad_size in ["0", "-1", "1.5", "abc", "4001", "99999999999999999999"] {
            let e = parse_max_file_size_mb(Some(bad_size)).unwrap_err();
            assert!(e.0.contains("MAX_FILE_SIZE_MB must be"), "{bad_size}: {e}");
        }
        assert_eq!(parse_max_file_size_mb(Some("4000")).unwrap(), 4000);
        let e = parse_allowed_file_roots(Some(OsStr::new("relative/dir"))).unwrap_err();
        assert!(e.0.contains("ALLOWED_FILE_ROOTS entry relative/dir"), "{e}");
        let e = parse_allowed_file_roots(Some(OsStr::new("/definitely/missing"))).unwrap_err();
        assert!(e.0.contains("/definitely/missing"), "{e}");
        let file = tempfile::NamedTempFile::new().unwrap();
        let e = parse_allowed_file_roots(Some(file.path().as_os_str())).unwrap_err();
        assert!(e.0.contains("not a directory"), "{e}");
        assert!(
            parse_allowed_file_roots(Some(OsStr::new("")))
                .unwrap()
                .is_empty()
        );
    }
}
