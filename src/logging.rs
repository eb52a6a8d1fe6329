//! Logs go to stderr, and also to a file rotated by size when `LOG_FILE` is set; never to
//! stdout, which is the MCP protocol channel and carries nothing else.

use std::fs::OpenOptions;
use std::os::unix::fs::OpenOptionsExt;
use std::path::PathBuf;
use std::sync::Mutex;

use clap::Args;
use file_rotate::compression::Compression;
use file_rotate::suffix::AppendCount;
use file_rotate::{ContentLimit, FileRotate};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

use crate::config::{ConfigError, LogLevel};

pub const DEFAULT_LOG_FILE_MAX_MB: u64 = 10;
pub const DEFAULT_LOG_FILE_KEEP: u64 = 3;

/// The log file options, each with its environment variable.
#[derive(Debug, Clone, Default, Args)]
pub struct LogFileArgs {
    /// Also write logs to this file (owner-only), rotated by size.
    #[arg(long, env = "LOG_FILE", value_name = "PATH")]
    pub log_file: Option<PathBuf>,
    /// Size in MiB at which the log file is rotated [default: 10].
    #[arg(long, env = "LOG_FILE_MAX_MB", value_name = "MB")]
    pub log_file_max_mb: Option<String>,
    /// Rotated log files kept, as <file>.1 (newest) to <file>.N [default: 3].
    #[arg(long, env = "LOG_FILE_KEEP", value_name = "N")]
    pub log_file_keep: Option<String>,
}

/// A validated log file setting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogFile {
    pub path: PathBuf,
    pub max_bytes: usize,
    pub keep: usize,
}

impl LogFileArgs {
    /// Checks the settings and that the file can be opened for appending (creating it 0600).
    pub fn validate(&self) -> Result<Option<LogFile>, ConfigError> {
        let max_mb = crate::config::parse_number(
            "LOG_FILE_MAX_MB",
            self.log_file_max_mb.as_deref(),
            DEFAULT_LOG_FILE_MAX_MB,
            1..=10_240,
        )?;
        let keep = crate::config::parse_number(
            "LOG_FILE_KEEP",
            self.log_file_keep.as_deref(),
            DEFAULT_LOG_FILE_KEEP,
            0..=100,
        )?;
        let Some(path) = self.log_file.clone().filter(|p| !p.as_os_str().is_empty()) else {
            return Ok(None);
        };
        if path.is_dir() {
            return Err(ConfigError(format!(
                "LOG_FILE {} is a directory: name a file in it",
                path.display()
            )));
        }
        let parent = path.parent().filter(|p| !p.as_os_str().is_empty());
        if let Some(dir) = parent
            && !dir.is_dir()
        {
            return Err(ConfigError(format!(
                "LOG_FILE {}: the directory {} does not exist",
                path.display(),
                dir.display()
            )));
        }
        if std::fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink()) {
            return Err(ConfigError(format!(
                "LOG_FILE {} is a symbolic link: name the file itself",
                path.display()
            )));
        }
        let file = open_options().open(&path).map_err(|e| {
            ConfigError(format!(
                "LOG_FILE {} cannot be written: {e}",
                path.display()
            ))
        })?;
        owner_only(&file).map_err(|e| {
            ConfigError(format!(
                "LOG_FILE {} cannot be made owner-only: {e}",
                path.display()
            ))
        })?;
        // Rotated copies left readable by an older run (or another program) are tightened too.
        for n in 1..=keep {
            let rotated = PathBuf::from(format!("{}.{n}", path.display()));
            if let Ok(file) = open_options().create(false).open(&rotated) {
                let _ = owner_only(&file);
            }
        }
        Ok(Some(LogFile {
            path,
            max_bytes: (max_mb * 1024 * 1024) as usize,
            keep: keep as usize,
        }))
    }
}

/// How the log file is opened (file-rotate requires read, create and append): created 0600,
/// never through a symlink (one planted at the path would send the logs elsewhere).
fn open_options() -> OpenOptions {
    let mut options = OpenOptions::new();
    options
        .read(true)
        .create(true)
        .append(true)
        .mode(0o600)
        .custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32);
    options
}

/// Makes an existing log file readable by its owner only (`mode` applies only on creation).
fn owner_only(file: &std::fs::File) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mode = file.metadata()?.permissions().mode();
    if mode & 0o077 != 0 {
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(())
}

/// The log file's writer: once a write takes the file past `max_bytes`, it becomes
/// `<file>.1` (older ones shift to `.2` … and past `keep` are deleted) and a new file starts.
fn rotating(file: &LogFile) -> FileRotate<AppendCount> {
    FileRotate::new(
        &file.path,
        AppendCount::new(file.keep),
        ContentLimit::BytesSurpassed(file.max_bytes),
        Compression::None,
        Some(open_options()),
    )
}

/// Installs the stderr logger at `level`; dependencies log at warn unless tracing is asked for.
pub fn init(level: LogLevel) {
    init_with_file(level, None);
}

/// The filter for `level`: this crate at `level`; the libraries it builds on at warn (error when
/// only errors are asked for), rmcp at info under `debug` and at debug under `trace`, grammers
/// and libsql at debug under `trace`. rmcp's service module is kept apart: at info it prints
/// whole messages (the `initialize` parameters, every notification), so it stays at warn below
/// `trace`; at debug it prints every request and response in full (message texts, phone
/// numbers), so it never goes below info. Nor does its transport, which prints a line it cannot
/// parse whole at debug.
pub fn filter_directives(level: LogLevel) -> String {
    let ours = level.as_filter();
    let quiet = if level == LogLevel::Error {
        "error"
    } else {
        "warn"
    };
    let (deps, rmcp, rmcp_service) = match level {
        LogLevel::Error | LogLevel::Warn | LogLevel::Info => (quiet, quiet, quiet),
        LogLevel::Debug => ("warn", "info", "warn"),
        LogLevel::Trace => ("debug", "debug", "info"),
    };
    format!(
        "{ours},fast_mcp_telegram={ours},grammers_mtsender={deps},grammers_mtproto={deps},\
         grammers_session={deps},grammers_client={deps},libsql={deps},rmcp={rmcp},\
         rmcp::service={rmcp_service},rmcp::transport={rmcp_service}"
    )
}

/// Like [`init`], and also writes every line to `file`, rotating it past its size.
pub fn init_with_file(level: LogLevel, file: Option<&LogFile>) {
    let filter = EnvFilter::new(filter_directives(level));
    let stderr = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false);
    let file = file.map(|file| {
        tracing_subscriber::fmt::layer()
            .with_writer(Mutex::new(rotating(file)))
            .with_ansi(false)
            .with_target(false)
    });
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(stderr)
        .with(file)
        .try_init();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rmcp_is_quiet_by_default_and_never_logs_whole_requests() {
        let directive = |level: LogLevel, target: &str| -> String {
            filter_directives(level)
                .split(',')
                .find_map(|d| d.strip_prefix(&format!("{target}=")).map(str::to_string))
                .unwrap()
        };
        for level in [LogLevel::Warn, LogLevel::Info, LogLevel::Debug] {
            // Below trace, not even the initialize parameters are printed whole.
            assert_eq!(directive(level, "rmcp::service"), "warn");
        }
        assert_eq!(directive(LogLevel::Info, "rmcp"), "warn");
        assert_eq!(directive(LogLevel::Warn, "rmcp"), "warn");
        assert_eq!(directive(LogLevel::Error, "rmcp"), "error");
        assert_eq!(directive(LogLevel::Debug, "rmcp"), "info");
        assert_eq!(directive(LogLevel::Trace, "rmcp"), "debug");
        for level in [
            LogLevel::Error,
            LogLevel::Warn,
            LogLevel::Info,
            LogLevel::Debug,
            LogLevel::Trace,
        ] {
            // rmcp's service logs every request and response in full at debug.
            for target in ["rmcp::service", "rmcp::transport"] {
                let service = directive(level, target);
                assert!(
                    ["error", "warn", "info"].contains(&service.as_str()),
                    "{level:?} {target}"
                );
            }
            assert_eq!(directive(level, "fast_mcp_telegram"), level.as_filter());
        }
    }

    #[test]
    fn the_log_file_rotates_by_size_keeping_the_newest() {
        use std::io::Write;
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("server.log");
        let file = LogFile {
            path: path.clone(),
            max_bytes: 100,
            keep: 2,
        };
        let mut writer = rotating(&file);
        for n in 0..40 {
            writeln!(writer, "line {n:04} of the log").unwrap();
        }
        writer.flush().unwrap();
        let mut names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(names, ["server.log", "server.log.1", "server.log.2"]);
        let newest = std::fs::read_to_string(&path).unwrap();
        assert!(newest.contains("line 0039"), "{newest}");
        for name in &names {
            let meta = std::fs::metadata(dir.path().join(name)).unwrap();
            assert!(meta.len() <= 100 + 22, "{name} is {} bytes", meta.len());
            assert_eq!(meta.permissions().mode() & 0o777, 0o600, "{name}");
        }
    }

    #[test]
    fn log_file_settings_are_checked() {
        let dir = tempfile::tempdir().unwrap();
        let args = |file: Option<PathBuf>, mb: &str, keep: &str| LogFileArgs {
            log_file: file,
            log_file_max_mb: Some(mb.into()),
            log_file_keep: Some(keep.into()),
        };
        assert_eq!(args(None, "", "").validate().unwrap(), None);
        let path = dir.path().join("server.log");
        let file = args(Some(path.clone()), "2", "5")
            .validate()
            .unwrap()
            .unwrap();
        assert_eq!(file.max_bytes, 2 * 1024 * 1024);
        assert_eq!(file.keep, 5);
        let e = args(Some(path.clone()), "0", "").validate().unwrap_err();
        assert!(e.0.contains("LOG_FILE_MAX_MB"), "{e}");
        let e = args(Some(path), "", "many").validate().unwrap_err();
        assert!(e.0.contains("LOG_FILE_KEEP"), "{e}");
        let e = args(Some(dir.path().into()), "", "")
            .validate()
            .unwrap_err();
        assert!(e.0.contains("is a directory"), "{e}");
        let e = args(Some(dir.path().join("no/such/x.log")), "", "")
            .validate()
            .unwrap_err();
        assert!(e.0.contains("does not exist"), "{e}");
    }

    #[test]
    fn the_log_file_is_never_a_symlink_and_always_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let args = |file: PathBuf| LogFileArgs {
            log_file: Some(file),
            ..Default::default()
        };
        let target = dir.path().join("elsewhere.txt");
        std::fs::write(&target, b"keep").unwrap();
        let link = dir.path().join("linked.log");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let e = args(link).validate().unwrap_err();
        assert!(e.0.contains("symbolic link"), "{e}");
        assert_eq!(std::fs::read(&target).unwrap(), b"keep");

        let open = dir.path().join("open.log");
        let rotated = dir.path().join("open.log.1");
        for file in [&open, &rotated] {
            std::fs::write(file, b"old\n").unwrap();
            std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o666)).unwrap();
        }
        args(open.clone()).validate().unwrap().unwrap();
        for file in [&open, &rotated] {
            let mode = std::fs::metadata(file).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "{}", file.display());
        }
    }
}
