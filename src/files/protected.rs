//! The server's own files are never sent, whatever the roots say: whoever holds the session
//! file holds the account, 2FA included. Protected are any file named like a session or one of
//! its companions (`*.session`, `*.session.*` — lock, state record, Telethon backup, setup
//! staging — and `*.session-*` SQLite journals) wherever it lies, since other Telegram tools
//! keep theirs in project folders too; every file in the settings directory (its `.env` holds
//! the API hash); and the log file with its rotated copies.
//!
//! Judged twice: by the canonical path before opening, and by the opened file's identity
//! (device and inode) after, so a hard link or a bind mount of a protected file under another
//! name inside an allowed root is refused as well.

use std::ffi::OsStr;
use std::fs::Metadata;
use std::path::{Path, PathBuf};

/// Where the protected files are.
#[derive(Debug, Clone, Default)]
pub struct ProtectedPaths {
    dirs: Vec<PathBuf>,
    session_dirs: Vec<PathBuf>,
    files: Vec<PathBuf>,
}

impl ProtectedPaths {
    /// `dirs`: every file below them is protected. `session_dirs`: where session files live,
    /// searched for other names of them. `files`: these and their rotated copies (`<file>.1`,
    /// `<file>.2` …). Paths need not exist yet: they are resolved when checked.
    pub fn new(dirs: Vec<PathBuf>, session_dirs: Vec<PathBuf>, files: Vec<PathBuf>) -> Self {
        ProtectedPaths {
            dirs,
            session_dirs,
            files,
        }
    }

    /// Whether the canonical path names a protected file.
    pub(crate) fn covers_path(&self, canonical: &Path) -> bool {
        if canonical.file_name().is_some_and(looks_like_a_session) {
            return true;
        }
        if self
            .dirs
            .iter()
            .any(|dir| resolved(dir).is_some_and(|d| canonical.starts_with(d)))
        {
            return true;
        }
        self.files.iter().any(|file| {
            let (Some(parent), Some(name)) = (file.parent(), file.file_name()) else {
                return false;
            };
            let Some(parent) = resolved(parent) else {
                return false;
            };
            canonical.parent() == Some(parent.as_path())
                && canonical
                    .file_name()
                    .is_some_and(|n| is_same_or_rotated(n, name))
        })
    }

    /// Whether a downloaded file may not be saved in the canonical directory `dir`: the
    /// settings directory or below it, or the session directory itself (a saved file there
    /// could pose as a companion, or be mistaken for one by the next start; its
    /// subdirectories are the user's, as `SESSION_DIR` may be a shared folder).
    pub(crate) fn covers_dir_for_saving(&self, dir: &Path) -> bool {
        let resolved_is = |protected: &PathBuf, inside: bool| {
            resolved(protected).is_some_and(|p| {
                if inside {
                    dir.starts_with(&p)
                } else {
                    dir == p
                }
            })
        };
        self.dirs.iter().any(|d| resolved_is(d, true))
            || self.session_dirs.iter().any(|d| resolved_is(d, false))
    }

    /// Whether an opened file is one of the protected files under another name (a hard link,
    /// a bind mount).
    #[cfg(unix)]
    pub(crate) fn covers_file(&self, opened: &Metadata) -> bool {
        use std::os::unix::fs::MetadataExt;
        let same = |meta: &Metadata| meta.dev() == opened.dev() && meta.ino() == opened.ino();
        let any_in = |dir: &Path, named: &dyn Fn(&OsStr) -> bool| {
            std::fs::read_dir(dir).is_ok_and(|entries| {
                entries.flatten().any(|e| {
                    named(&e.file_name()) && e.metadata().is_ok_and(|m| m.is_file() && same(&m))
                })
            })
        };
        self.dirs.iter().any(|dir| any_in(dir, &|_| true))
            || self
                .session_dirs
                .iter()
                .any(|dir| any_in(dir, &looks_like_a_session))
            || self.files.iter().any(|file| {
                let (Some(parent), Some(log)) = (file.parent(), file.file_name()) else {
                    return false;
                };
                any_in(parent, &|name| is_same_or_rotated(name, log))
            })
    }

    #[cfg(not(unix))]
    pub(crate) fn covers_file(&self, _opened: &Metadata) -> bool {
        false
    }
}

/// A directory in canonical form, if it exists (a missing one protects nothing: nothing is in
/// it).
fn resolved(dir: &Path) -> Option<PathBuf> {
    std::fs::canonicalize(dir).ok()
}

/// `name` is `file` or a rotated copy of it (`file.1`, `file.2` …).
fn is_same_or_rotated(name: &OsStr, file: &OsStr) -> bool {
    if name == file {
        return true;
    }
    let (Some(name), Some(file)) = (name.to_str(), file.to_str()) else {
        return false;
    };
    name.strip_prefix(file)
        .and_then(|rest| rest.strip_prefix('.'))
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// Session files and their companions by name: `x.session`, `x.session.lock`,
/// `x.session-journal`, `x.session.telethon-backup` …
fn looks_like_a_session(name: &OsStr) -> bool {
    let name = name.to_string_lossy().to_ascii_lowercase();
    name.ends_with(".session") || name.contains(".session.") || name.contains(".session-")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_names_and_companions_are_recognised() {
        for name in [
            "telegram.session",
            "Work.SESSION",
            "telegram.session.lock",
            "telegram.session.state.json",
            "telegram.session-journal",
            "telegram.session.telethon-backup.1",
        ] {
            assert!(looks_like_a_session(OsStr::new(name)), "{name}");
        }
        for name in [
            "session.txt",
            "report.pdf",
            "sessions.csv",
            "my-session-notes.md",
        ] {
            assert!(!looks_like_a_session(OsStr::new(name)), "{name}");
        }
    }

    #[test]
    fn rotated_log_copies_are_the_log() {
        let log = OsStr::new("server.log");
        assert!(is_same_or_rotated(OsStr::new("server.log"), log));
        assert!(is_same_or_rotated(OsStr::new("server.log.3"), log));
        assert!(!is_same_or_rotated(OsStr::new("server.log.bak"), log));
        assert!(!is_same_or_rotated(OsStr::new("server.logs"), log));
        assert!(!is_same_or_rotated(OsStr::new("server.log."), log));
    }

    #[cfg(unix)]
    #[test]
    fn files_are_protected_by_name_place_and_identity() {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().canonicalize().unwrap();
        let settings = base.join("settings");
        let sessions = base.join("sessions");
        let logs = base.join("logs");
        let shared = base.join("shared");
        for d in [&settings, &sessions, &logs, &shared] {
            std::fs::create_dir(d).unwrap();
        }
        std::fs::write(settings.join(".env"), b"e").unwrap();
        std::fs::write(sessions.join("work.session"), b"s").unwrap();
        std::fs::write(sessions.join("notes.txt"), b"n").unwrap();
        std::fs::write(logs.join("server.log.1"), b"l").unwrap();
        std::fs::write(shared.join("ok.txt"), b"o").unwrap();
        std::fs::hard_link(sessions.join("work.session"), shared.join("copy")).unwrap();
        std::fs::hard_link(settings.join(".env"), shared.join("env-copy")).unwrap();
        std::fs::hard_link(logs.join("server.log.1"), shared.join("old-log")).unwrap();
        let p = ProtectedPaths::new(
            vec![settings.clone()],
            vec![sessions.clone()],
            vec![logs.join("server.log")],
        );
        assert!(p.covers_path(&settings.join(".env")));
        assert!(p.covers_path(&sessions.join("work.session")));
        assert!(p.covers_path(&shared.join("elsewhere.session.lock")));
        assert!(
            !p.covers_path(&sessions.join("notes.txt")),
            "the session directory may be shared with other files"
        );
        assert!(p.covers_path(&logs.join("server.log")));
        assert!(p.covers_path(&logs.join("server.log.1")));
        assert!(!p.covers_path(&logs.join("other.log")));
        assert!(!p.covers_path(&shared.join("copy")), "not by place");
        let meta = |name: &str| std::fs::metadata(shared.join(name)).unwrap();
        assert!(p.covers_file(&meta("copy")), "a hard link of a session");
        assert!(
            p.covers_file(&meta("env-copy")),
            "a hard link of the settings"
        );
        assert!(
            p.covers_file(&meta("old-log")),
            "a hard link of a rotated log"
        );
        assert!(!p.covers_file(&meta("ok.txt")));
        assert!(p.covers_dir_for_saving(&sessions));
        std::fs::create_dir(settings.join("sub")).unwrap();
        std::fs::create_dir(sessions.join("sub")).unwrap();
        assert!(p.covers_dir_for_saving(&settings.join("sub")));
        assert!(!p.covers_dir_for_saving(&sessions.join("sub")));
        assert!(!p.covers_dir_for_saving(&shared));
        assert!(!p.covers_dir_for_saving(&base));
    }
}
