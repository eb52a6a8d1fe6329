//! Saving a file downloaded from Telegram: the rules of sending, in reverse. The path comes
//! from the model and the file name, when one is used, from Telegram: both are hostile.
//!
//! 1. `save_path` is absolute, non-empty, without NUL; a directory (then the file is named
//!    from Telegram's name, cleaned by `naming`, or the caller's default, numbered `name (2)`
//!    … while taken) or a new file in an existing directory.
//! 2. The directory, canonicalised, lies inside an allowed root, and is neither the settings
//!    directory (or below it) nor the session directory; the name is not a session's or a
//!    companion's.
//! 3. The directory is opened from `/` one component at a time with `O_NOFOLLOW` (as local
//!    files are read), so a symlink swapped in after the check makes the save fail instead of
//!    writing elsewhere.
//! 4. The bytes go to a new temporary file in that directory (`O_CREAT | O_EXCL`), which is
//!    linked to its name only when complete (`linkat`: fails if the name exists, replacing
//!    nothing, even a file created meanwhile) and then removed. An error, a cancellation
//!    (the future dropped) or a crash before that leaves no file under the name; the
//!    temporary file is removed on drop.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use super::error::FileError;
use super::local::{check_shape, lexically_inside};
use super::naming;
use super::policy::FilePolicy;
use super::protected::ProtectedPaths;
use super::roots;

/// Where a download is being written, until [`SaveTarget::persist`] names it.
pub struct SaveTarget {
    #[cfg(unix)]
    dir: rustix::fd::OwnedFd,
    temp: String,
    name: String,
    /// The path the file gets, as the answer shows it.
    path: PathBuf,
    file: std::fs::File,
    named: bool,
}

/// Checks `save_path` and opens a temporary file where it points (see the module
/// documentation); `default_name` names the file when `save_path` is a directory.
pub async fn create(
    save_path: &Path,
    default_name: String,
    policy: &FilePolicy,
    host_roots: Option<&[PathBuf]>,
) -> Result<SaveTarget, FileError> {
    let roots = roots::effective(policy.roots(), host_roots);
    let path = save_path.to_path_buf();
    let protected = policy.protected().clone();
    tokio::task::spawn_blocking(move || create_checked(&path, &default_name, &roots, &protected))
        .await
        .map_err(|e| FileError::io("preparing the file", io::Error::other(e)))?
}

/// The blocking part of [`create`].
fn create_checked(
    path: &Path,
    default_name: &str,
    roots: &[PathBuf],
    protected: &ProtectedPaths,
) -> Result<SaveTarget, FileError> {
    let shown = path.display().to_string();
    check_shape(path)?;
    if roots.is_empty() {
        return Err(FileError::NoAllowedRoots);
    }
    let outside = || FileError::OutsideRoots {
        path: shown.clone(),
    };
    let (dir, name, numbered) = match std::fs::symlink_metadata(path) {
        Ok(_) => match std::fs::canonicalize(path) {
            Ok(canonical) if canonical.is_dir() => (canonical, default_name.to_string(), true),
            // A file, or a symlink (even a dangling one): never written through.
            _ if lexically_inside(path, roots) => {
                return Err(FileError::Exists { path: shown });
            }
            _ => return Err(outside()),
        },
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            let (Some(parent), Some(name)) = (path.parent(), path.file_name()) else {
                return Err(outside());
            };
            match std::fs::canonicalize(parent) {
                Ok(dir) if dir.is_dir() => (dir, name.to_string_lossy().into_owned(), false),
                _ if lexically_inside(path, roots) => {
                    return Err(FileError::NotFound {
                        path: parent.display().to_string(),
                    });
                }
                _ => return Err(outside()),
            }
        }
        Err(e) => return Err(FileError::io(format!("cannot check {shown}"), e)),
    };
    if roots::containing_root(roots, &dir).is_none() {
        return Err(outside());
    }
    let target = dir.join(&name);
    if protected.covers_dir_for_saving(&dir) || protected.covers_path(&target) {
        return Err(FileError::Protected { path: shown });
    }
    open_temp(&dir, name, numbered)
}

/// `name (n).ext`: the n-th name for a file saved into a directory that has `name` already.
fn numbered_name(name: &str, n: u32) -> String {
    match name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => format!("{stem} ({n}).{ext}"),
        _ => format!("{name} ({n})"),
    }
}

/// Opens the temporary file in `dir` for a file named `name`; a name the server chose
/// (`numbered`: saving into a directory) becomes `name (2)`, `name (3)` … while taken.
#[cfg(unix)]
fn open_temp(dir: &Path, name: String, numbered: bool) -> Result<SaveTarget, FileError> {
    use rustix::fs::{AtFlags, Mode, OFlags, openat, statat};

    let shown = dir.join(&name).display().to_string();
    let dir_fd = super::local::open_dir_no_follow(dir).map_err(|e| match e.kind() {
        io::ErrorKind::NotFound => FileError::Changed {
            path: shown.clone(),
        },
        _ if e.raw_os_error() == Some(rustix::io::Errno::LOOP.raw_os_error())
            || e.raw_os_error() == Some(rustix::io::Errno::NOTDIR.raw_os_error()) =>
        {
            FileError::Changed {
                path: shown.clone(),
            }
        }
        _ => FileError::io(format!("cannot open the directory of {shown}"), e),
    })?;
    let taken = |name: &str| statat(&dir_fd, name, AtFlags::SYMLINK_NOFOLLOW).is_ok();
    let name = match (taken(&name), numbered) {
        (false, _) => name,
        (true, true) => (2..100)
            .map(|n| numbered_name(&name, n))
            .find(|candidate| !taken(candidate))
            .ok_or(FileError::Exists { path: shown })?,
        (true, false) => return Err(FileError::Exists { path: shown }),
    };
    let path = dir.join(&name);
    let shown = path.display().to_string();
    let flags = OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    let mut attempts = 0;
    let (temp, fd) = loop {
        let mut random = [0u8; 8];
        getrandom::fill(&mut random)
            .map_err(|e| FileError::io("randomness", io::Error::other(e.to_string())))?;
        let temp = format!(
            ".fast-mcp-telegram-{:016x}.part",
            u64::from_le_bytes(random)
        );
        match openat(&dir_fd, temp.as_str(), flags, Mode::from_raw_mode(0o644)) {
            Ok(fd) => break (temp, fd),
            Err(rustix::io::Errno::EXIST) if attempts < 8 => attempts += 1,
            Err(e) => {
                return Err(FileError::io(
                    format!("cannot create a file beside {shown}"),
                    e.into(),
                ));
            }
        }
    };
    Ok(SaveTarget {
        dir: dir_fd,
        temp,
        name,
        path,
        file: std::fs::File::from(fd),
        named: false,
    })
}

#[cfg(not(unix))]
fn open_temp(_dir: &Path, _name: String, _numbered: bool) -> Result<SaveTarget, FileError> {
    Err(FileError::InvalidSpec(
        "saving files is supported on Unix systems only".into(),
    ))
}

impl SaveTarget {
    /// The path the file gets.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends downloaded bytes.
    pub fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.file.write_all(bytes)
    }

    /// Gives the complete file its name, never replacing a file (see the module
    /// documentation), and answers its path.
    #[cfg(unix)]
    pub fn persist(mut self) -> Result<PathBuf, FileError> {
        use rustix::fs::{AtFlags, linkat, unlinkat};

        let shown = self.path.display().to_string();
        self.file
            .sync_all()
            .map_err(|e| FileError::io(format!("cannot write {shown}"), e))?;
        match linkat(
            &self.dir,
            self.temp.as_str(),
            &self.dir,
            self.name.as_str(),
            AtFlags::empty(),
        ) {
            Ok(()) => {}
            Err(rustix::io::Errno::EXIST) => return Err(FileError::Exists { path: shown }),
            Err(e) => return Err(FileError::io(format!("cannot write {shown}"), e.into())),
        }
        self.named = true;
        let _ = unlinkat(&self.dir, self.temp.as_str(), AtFlags::empty());
        Ok(std::mem::take(&mut self.path))
    }

    #[cfg(not(unix))]
    pub fn persist(self) -> Result<PathBuf, FileError> {
        Err(FileError::InvalidSpec(
            "saving files is supported on Unix systems only".into(),
        ))
    }
}

impl Drop for SaveTarget {
    /// An unfinished download leaves nothing behind.
    fn drop(&mut self) {
        #[cfg(unix)]
        if !self.named {
            let _ =
                rustix::fs::unlinkat(&self.dir, self.temp.as_str(), rustix::fs::AtFlags::empty());
        }
    }
}

/// The name a file from Telegram is saved under in a directory: Telegram's name cleaned
/// (never a path: only its last component, without hidden characters or leading dots),
/// else `fallback` (e.g. `photo_42.jpg`).
pub fn saved_name(telegram_name: Option<&str>, fallback: String) -> String {
    naming::choose_name([telegram_name.map(str::to_string), Some(fallback)])
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    struct Fixture {
        _dir: tempfile::TempDir,
        base: PathBuf,
        root: PathBuf,
    }

    fn fixture() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().canonicalize().unwrap();
        let root = base.join("root");
        std::fs::create_dir_all(root.join("sub")).unwrap();
        std::fs::write(root.join("taken.txt"), b"old").unwrap();
        Fixture {
            _dir: dir,
            base,
            root,
        }
    }

    fn create(f: &Fixture, path: PathBuf) -> Result<SaveTarget, FileError> {
        create_checked(
            &path,
            "photo_1.jpg",
            std::slice::from_ref(&f.root),
            &ProtectedPaths::new(vec![], vec![f.root.join("sub")], vec![]),
        )
    }

    fn entries(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn a_new_file_in_a_root_is_written_only_when_complete() {
        let f = fixture();
        let mut target = create(&f, f.root.join("new.bin")).unwrap();
        target.write(b"hello").unwrap();
        assert!(!f.root.join("new.bin").exists(), "not named before persist");
        let saved = target.persist().unwrap();
        assert_eq!(saved, f.root.join("new.bin"));
        assert_eq!(std::fs::read(&saved).unwrap(), b"hello");
        assert_eq!(entries(&f.root), ["new.bin", "sub", "taken.txt"]);
    }

    #[test]
    fn a_directory_gets_the_default_name_numbered_while_taken() {
        let f = fixture();
        let target = create(&f, f.root.clone()).unwrap();
        assert_eq!(target.persist().unwrap(), f.root.join("photo_1.jpg"));
        let target = create(&f, f.root.clone()).unwrap();
        assert_eq!(target.persist().unwrap(), f.root.join("photo_1 (2).jpg"));
        assert_eq!(numbered_name("notes", 3), "notes (3)");
    }

    #[test]
    fn a_dropped_save_leaves_nothing() {
        let f = fixture();
        let mut target = create(&f, f.root.join("new.bin")).unwrap();
        target.write(b"half").unwrap();
        drop(target);
        assert_eq!(entries(&f.root), ["sub", "taken.txt"]);
    }

    #[test]
    fn existing_files_are_never_replaced_even_when_created_meanwhile() {
        let f = fixture();
        assert!(matches!(
            create(&f, f.root.join("taken.txt")),
            Err(FileError::Exists { .. })
        ));
        let mut target = create(&f, f.root.join("late.txt")).unwrap();
        std::fs::write(f.root.join("late.txt"), b"theirs").unwrap();
        target.write(b"ours").unwrap();
        assert!(matches!(target.persist(), Err(FileError::Exists { .. })));
        assert_eq!(std::fs::read(f.root.join("late.txt")).unwrap(), b"theirs");
        assert_eq!(entries(&f.root), ["late.txt", "sub", "taken.txt"]);
    }

    #[test]
    fn outside_roots_protected_places_and_symlinks_are_refused() {
        use std::os::unix::fs::symlink;
        let f = fixture();
        assert!(matches!(
            create(&f, f.base.join("out.txt")),
            Err(FileError::OutsideRoots { .. })
        ));
        assert!(matches!(
            create(&f, f.root.join("../out.txt")),
            Err(FileError::OutsideRoots { .. })
        ));
        assert!(matches!(
            create(&f, f.root.join("sub/x.txt")),
            Err(FileError::Protected { .. })
        ));
        assert!(matches!(
            create(&f, f.root.join("a.session")),
            Err(FileError::Protected { .. })
        ));
        symlink(&f.base, f.root.join("up")).unwrap();
        assert!(matches!(
            create(&f, f.root.join("up/x.txt")),
            Err(FileError::OutsideRoots { .. })
        ));
        symlink(f.base.join("nowhere"), f.root.join("dangling")).unwrap();
        assert!(matches!(
            create(&f, f.root.join("dangling")),
            Err(FileError::Exists { .. })
        ));
        assert!(!f.base.join("nowhere").exists());
        assert!(matches!(
            create(&f, PathBuf::from("relative.txt")),
            Err(FileError::InvalidSpec(_))
        ));
    }

    #[test]
    fn names_from_telegram_are_cleaned() {
        assert_eq!(
            saved_name(Some("../../etc/passwd"), "document_1".into()),
            "passwd"
        );
        assert_eq!(saved_name(Some(".."), "document_1".into()), "document_1");
        assert_eq!(saved_name(None, "photo_1.jpg".into()), "photo_1.jpg");
    }
}
