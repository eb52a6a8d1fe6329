//! Settings files. MCP hosts start the server inside whatever folder the user opened, often a
//! repository someone else wrote, so a `.env` there is hostile input: it could point the file
//! policy at `/`, move the session or the log, or (once exported) load a library into any child
//! process. The rules:
//!
//! - The one settings file read is `~/.config/fast-mcp-telegram/.env`, beside the default
//!   sessions: whoever can write there can take the session already. It must be a regular
//!   file (not a symlink) owned by this user and not writable by group or others.
//! - Only the server's own settings are taken from it, and only as the lowest-precedence
//!   defaults of the command line (flags, then the environment, then this file). Nothing read
//!   from any file ever enters the process environment.
//! - `.env` and `.env.local` in the working directory (or above it) are never read for
//!   settings. When one names a setting of ours, one warning line says it was ignored, so a
//!   user coming from the Python server knows where the setting went.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::config::ConfigError;

/// The settings file's name inside the configuration directory.
pub const FILE_NAME: &str = ".env";
/// Largest settings file read: a settings file is a few lines; anything larger is a mistake.
const MAX_BYTES: u64 = 64 * 1024;

/// Settings read from the configuration directory's `.env`: variable name → value.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Settings {
    values: BTreeMap<String, String>,
}

impl Settings {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }
}

/// The configuration directory, `~/.config/fast-mcp-telegram` on every platform (the default
/// session directory too, as in the Python server).
pub fn config_dir() -> Option<PathBuf> {
    directories::BaseDirs::new().map(|d| d.home_dir().join(".config").join("fast-mcp-telegram"))
}

/// The settings file's path, if there is a home directory.
pub fn path() -> Option<PathBuf> {
    config_dir().map(|d| d.join(FILE_NAME))
}

/// Reads the settings file, keeping only `known` variable names; warns (one line each) about
/// working-directory `.env` files that name one of them. A missing file is no settings; an
/// unsafe or unreadable one is a configuration error, so it is fixed rather than half-used.
pub fn load(program: &str, known: &[String]) -> Result<Settings, ConfigError> {
    warn_about_working_directory(program, known);
    match path() {
        Some(path) => read_settings(&path, known),
        None => Ok(Settings::default()),
    }
}

/// Reads `path` as a settings file (see the module rules).
pub fn read_settings(path: &Path, known: &[String]) -> Result<Settings, ConfigError> {
    let text = match read_owned_file(path) {
        Ok(Some(text)) => text,
        Ok(None) => return Ok(Settings::default()),
        Err(why) => {
            return Err(ConfigError(format!(
                "the settings file {} {why}",
                path.display()
            )));
        }
    };
    let mut values = BTreeMap::new();
    for item in dotenvy::from_read_iter(text.as_bytes()) {
        let (name, value) = item.map_err(|e| {
            ConfigError(format!(
                "the settings file {} cannot be read: {}",
                path.display(),
                describe_parse_error(&e)
            ))
        })?;
        if known.contains(&name) {
            values.insert(name, value);
        } else {
            tracing::debug!(name = %name, "ignoring a setting that is not the server's");
        }
    }
    Ok(Settings { values })
}

/// A parse error without the offending line's text (it may hold a secret).
fn describe_parse_error(error: &dotenvy::Error) -> String {
    match error {
        dotenvy::Error::LineParse(_, index) => format!("a line is malformed near byte {index}"),
        dotenvy::Error::Io(e) => e.to_string(),
        dotenvy::Error::EnvVar(e) => e.to_string(),
        _ => "it is malformed".to_string(),
    }
}

/// The file's text when it exists and is safe to trust; `Err` says why not.
#[cfg(unix)]
fn read_owned_file(path: &Path) -> Result<Option<String>, String> {
    use std::os::unix::fs::MetadataExt;

    let file = match open_no_follow(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) if e.raw_os_error() == Some(rustix::io::Errno::LOOP.raw_os_error()) => {
            return Err("is a symbolic link: make it a regular file".into());
        }
        Err(e) => return Err(format!("cannot be opened: {e}")),
    };
    let meta = file
        .metadata()
        .map_err(|e| format!("cannot be read: {e}"))?;
    if !meta.is_file() {
        return Err("is not a regular file".into());
    }
    let me = rustix::process::geteuid().as_raw();
    if meta.uid() != me && meta.uid() != 0 {
        return Err(format!(
            "belongs to another user (uid {}): it must be yours",
            meta.uid()
        ));
    }
    if meta.mode() & 0o022 != 0 {
        return Err(format!(
            "is writable by others (mode {:o}): run chmod 600 on it",
            meta.mode() & 0o777
        ));
    }
    if meta.len() > MAX_BYTES {
        return Err(format!("is larger than {MAX_BYTES} bytes"));
    }
    let mut text = String::new();
    file.take(MAX_BYTES)
        .read_to_string(&mut text)
        .map_err(|e| format!("cannot be read: {e}"))?;
    Ok(Some(text))
}

/// Opens for reading without following a final symlink and without blocking on a FIFO.
#[cfg(unix)]
fn open_no_follow(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags((rustix::fs::OFlags::NOFOLLOW | rustix::fs::OFlags::NONBLOCK).bits() as i32)
        .open(path)
}

#[cfg(not(unix))]
fn open_no_follow(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::File::open(path)
}

#[cfg(not(unix))]
fn read_owned_file(path: &Path) -> Result<Option<String>, String> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("cannot be read: {e}")),
    }
}

/// One warning line per working-directory `.env` file that names a setting of ours. The file
/// is only looked at for names, never used.
fn warn_about_working_directory(program: &str, known: &[String]) {
    for name in [".env", ".env.local"] {
        // Not through a symlink, and never blocking on a FIFO planted under that name.
        let Ok(file) = open_no_follow(Path::new(name)) else {
            continue;
        };
        if !file.metadata().is_ok_and(|m| m.is_file()) {
            continue;
        }
        let mut text = String::new();
        if file.take(MAX_BYTES).read_to_string(&mut text).is_err() {
            continue;
        }
        let mut ours: Vec<String> = dotenvy::from_read_iter(text.as_bytes())
            .filter_map(Result::ok)
            .map(|(key, _)| key)
            .filter(|key| known.contains(key))
            .collect();
        ours.sort();
        ours.dedup();
        if ours.is_empty() {
            continue;
        }
        let home = path().map_or_else(
            || "~/.config/fast-mcp-telegram/.env".to_string(),
            |p| p.display().to_string(),
        );
        eprintln!(
            "{program}: warning: ignoring {name} in the working directory (it sets {}): \
             settings come from the host's environment, flags, or {home}",
            ours.join(", ")
        );
    }
}

/// The environment variable names a command line reads, its subcommands' included.
pub fn variable_names(command: &clap::Command) -> Vec<String> {
    let mut names: Vec<String> = command
        .get_arguments()
        .filter_map(|a| a.get_env())
        .map(|e| e.to_string_lossy().into_owned())
        .collect();
    for sub in command.get_subcommands() {
        names.extend(variable_names(sub));
    }
    names.sort();
    names.dedup();
    names
}

/// Makes each setting the default of the argument that reads its variable, so a flag or the
/// environment still wins. The value is hidden from `--help` (it may be a secret).
pub fn apply_defaults(command: clap::Command, settings: &Settings) -> clap::Command {
    if settings.is_empty() {
        return command;
    }
    command
        .mut_args(|arg| {
            let value = arg
                .get_env()
                .and_then(|e| e.to_str())
                .and_then(|e| settings.get(e))
                .map(str::to_string);
            match value {
                Some(value) => arg.default_value(value).hide_default_value(true),
                None => arg,
            }
        })
        .mut_subcommands(|sub| apply_defaults(sub, settings))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known() -> Vec<String> {
        ["API_ID", "ALLOWED_FILE_ROOTS", "SESSION_DIR"]
            .map(String::from)
            .to_vec()
    }

    #[cfg(unix)]
    fn write(path: &Path, text: &str, mode: u32) {
        use std::os::unix::fs::PermissionsExt;
        std::fs::write(path, text).unwrap();
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn only_the_servers_settings_are_kept_and_nothing_is_exported() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".env");
        write(
            &path,
            "API_ID=42\nLD_PRELOAD=./evil.so\nFMT_PROBE_NOT_EXPORTED=1\n# comment\nSESSION_DIR=\"/x y\"\n",
            0o600,
        );
        let settings = read_settings(&path, &known()).unwrap();
        assert_eq!(settings.get("API_ID"), Some("42"));
        assert_eq!(settings.get("SESSION_DIR"), Some("/x y"));
        assert_eq!(settings.get("LD_PRELOAD"), None);
        assert!(std::env::var_os("FMT_PROBE_NOT_EXPORTED").is_none());
        assert!(std::env::var_os("LD_PRELOAD").is_none());
    }

    #[cfg(unix)]
    #[test]
    fn unsafe_settings_files_are_refused_with_the_reason() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".env");
        write(&path, "API_ID=1\n", 0o666);
        let e = read_settings(&path, &known()).unwrap_err();
        assert!(e.0.contains("writable by others"), "{e}");
        write(&path, "API_ID=1\n", 0o600);
        let link = dir.path().join("link.env");
        std::os::unix::fs::symlink(&path, &link).unwrap();
        let e = read_settings(&link, &known()).unwrap_err();
        assert!(e.0.contains("symbolic link"), "{e}");
        assert!(
            read_settings(&dir.path().join("missing"), &known())
                .unwrap()
                .is_empty()
        );
        write(&path, "API_HASH='unterminated secret\n", 0o600);
        let e = read_settings(&path, &known()).unwrap_err();
        assert!(!e.0.contains("secret"), "{e}");
    }

    #[test]
    fn settings_are_defaults_below_flags_and_environment() {
        #[derive(clap::Parser, Debug)]
        struct Cli {
            #[arg(long, env = "FMT_TEST_SETTING_A")]
            a: Option<String>,
            #[arg(long, env = "FMT_TEST_SETTING_B")]
            b: Option<String>,
        }
        use clap::{CommandFactory, FromArgMatches};
        let settings = Settings {
            values: [
                ("FMT_TEST_SETTING_A", "file"),
                ("FMT_TEST_SETTING_B", "file"),
            ]
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .into(),
        };
        let command = apply_defaults(Cli::command(), &settings);
        let matches = command.try_get_matches_from(["x", "--b", "flag"]).unwrap();
        let cli = Cli::from_arg_matches(&matches).unwrap();
        assert_eq!(cli.a.as_deref(), Some("file"));
        assert_eq!(cli.b.as_deref(), Some("flag"));
        assert_eq!(
            variable_names(&Cli::command()),
            ["FMT_TEST_SETTING_A", "FMT_TEST_SETTING_B"]
        );
    }
}
