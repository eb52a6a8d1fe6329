//! Local files: checked against the allowed roots, then opened so that what was checked is
//! what is read.
//!
//! 1. The path must be absolute, non-empty and free of NUL bytes (relative paths are refused,
//!    never resolved against the working directory).
//! 2. It is canonicalised (symlinks and `..` resolved) and must lie inside a canonical root.
//! 3. It must be a regular file (not a directory, device, FIFO or socket), not empty, and
//!    within the size cap.
//! 4. On Unix it is opened one directory at a time from `/` with `O_NOFOLLOW` on every
//!    component (`openat`), so a symlink swapped in anywhere along the canonical path after
//!    the check makes the open fail instead of leading elsewhere; the final open is
//!    non-blocking, so a FIFO swapped in cannot hang it. The opened descriptor's own metadata
//!    is checked again (type, size, and that it is the same file as step 3 saw).
//!
//! Hard links are not symlinks: a hard link placed inside a root by someone who can already
//! write there is treated as the file it is.

use std::io;
use std::path::{Component, Path, PathBuf};

use super::error::FileError;
use super::naming;
use super::policy::FilePolicy;
use super::prepared::{Origin, PreparedFile};
use super::protected::ProtectedPaths;
use super::roots;

/// Checks and opens a local file. Runs the blocking filesystem work off the async runtime.
pub(crate) async fn prepare(
    path: &Path,
    policy: &FilePolicy,
    host_roots: Option<&[PathBuf]>,
) -> Result<PreparedFile, FileError> {
    let roots = roots::effective(policy.roots(), host_roots);
    if roots.is_empty() && !(policy.roots().is_empty() && host_roots.is_none_or(<[_]>::is_empty)) {
        // Both sets were given and share no directory.
        return Err(FileError::OutsideRoots {
            path: path.display().to_string(),
        });
    }
    let path = path.to_path_buf();
    let max_bytes = policy.max_bytes();
    let protected = policy.protected().clone();
    let opened =
        tokio::task::spawn_blocking(move || open_checked(&path, &roots, &protected, max_bytes))
            .await
            .map_err(|e| FileError::io("checking the file", io::Error::other(e)))??;
    Ok(PreparedFile {
        name: opened.name,
        mime_type: opened.mime_type,
        size: opened.size,
        origin: Origin::Local(opened.canonical.clone()),
        path: opened.canonical,
        file: tokio::fs::File::from_std(opened.file),
        temp: None,
    })
}

/// A local file that passed every check, open.
#[derive(Debug)]
pub(crate) struct Opened {
    pub(crate) file: std::fs::File,
    pub(crate) canonical: PathBuf,
    pub(crate) name: String,
    pub(crate) mime_type: String,
    pub(crate) size: u64,
}

/// The blocking part of [`prepare`]: every rule in the module comment, in order.
pub(crate) fn open_checked(
    path: &Path,
    roots: &[PathBuf],
    protected: &ProtectedPaths,
    max_bytes: u64,
) -> Result<Opened, FileError> {
    let shown = path.display().to_string();
    check_shape(path)?;
    if roots.is_empty() {
        return Err(FileError::NoAllowedRoots);
    }
    let canonical = match std::fs::canonicalize(path) {
        Ok(c) => c,
        // Only say "does not exist" for paths inside a root: elsewhere, existence is not the
        // caller's business.
        Err(e) if lexically_inside(path, roots) => {
            return Err(match e.kind() {
                io::ErrorKind::NotFound => FileError::NotFound { path: shown },
                _ => FileError::io(format!("cannot open {shown}"), e),
            });
        }
        Err(_) => return Err(FileError::OutsideRoots { path: shown }),
    };
    if roots::containing_root(roots, &canonical).is_none() {
        return Err(FileError::OutsideRoots { path: shown });
    }
    if protected.covers_path(&canonical) {
        return Err(FileError::Protected { path: shown });
    }
    let before = std::fs::symlink_metadata(&canonical)
        .map_err(|e| FileError::io(format!("cannot read {shown}"), e))?;
    check_metadata(&before, &shown, max_bytes)?;

    let file = open_no_follow(&canonical).map_err(|e| match e.raw_os_error() {
        Some(code) if is_swap_error(code) => FileError::Changed {
            path: shown.clone(),
        },
        _ => FileError::io(format!("cannot open {shown}"), e),
    })?;
    let after = file
        .metadata()
        .map_err(|e| FileError::io(format!("cannot read {shown}"), e))?;
    check_metadata(&after, &shown, max_bytes)?;
    if !same_file(&before, &after) {
        return Err(FileError::Changed { path: shown });
    }
    if protected.covers_file(&after) {
        return Err(FileError::Protected { path: shown });
    }

    let given_name = path.file_name().map(|n| n.to_string_lossy().into_owned());
    let canonical_name = canonical
        .file_name()
        .map(|n| n.to_string_lossy().into_owned());
    let name = naming::choose_name([given_name, canonical_name]);
    let mime_type = naming::guess_mime(&name);
    Ok(Opened {
        file,
        canonical,
        name,
        mime_type,
        size: after.len(),
    })
}

/// Rule 1: absolute, non-empty, no NUL byte.
pub(crate) fn check_shape(path: &Path) -> Result<(), FileError> {
    let bytes = path.as_os_str().as_encoded_bytes();
    if bytes.is_empty() {
        return Err(FileError::InvalidSpec("the file path is empty".into()));
    }
    if bytes.contains(&0) {
        return Err(FileError::InvalidSpec(
            "refused: the file path contains a NUL byte".into(),
        ));
    }
    if !path.is_absolute() {
        return Err(FileError::InvalidSpec(format!(
            "refused: {} is a relative path: give an absolute path inside an allowed directory",
            path.display()
        )));
    }
    Ok(())
}

/// Whether `path`, with `.` and `..` resolved by name only, lies inside a root as configured
/// or as canonicalised. Used only to word errors for paths that cannot be canonicalised.
pub(crate) fn lexically_inside(path: &Path, roots: &[PathBuf]) -> bool {
    let mut lexical = PathBuf::new();
    for component in path.components() {
        match component {
            Component::ParentDir => {
                lexical.pop();
            }
            Component::CurDir => {}
            other => lexical.push(other),
        }
    }
    roots.iter().any(|root| lexical.starts_with(root))
        || roots::containing_root(roots, &lexical).is_some()
}

/// Rule 3: a regular file, not empty, within the cap.
fn check_metadata(meta: &std::fs::Metadata, shown: &str, max_bytes: u64) -> Result<(), FileError> {
    if !meta.is_file() {
        return Err(FileError::NotRegularFile {
            path: shown.to_string(),
            kind: kind_of(&meta.file_type()),
        });
    }
    if meta.len() > max_bytes {
        return Err(FileError::TooLarge {
            what: shown.to_string(),
            size: Some(meta.len()),
            max_bytes,
        });
    }
    if meta.len() == 0 {
        return Err(FileError::Empty {
            what: shown.to_string(),
        });
    }
    Ok(())
}

fn kind_of(file_type: &std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if file_type.is_fifo() {
            return "a FIFO";
        }
        if file_type.is_socket() {
            return "a socket";
        }
        if file_type.is_block_device() || file_type.is_char_device() {
            return "a device";
        }
    }
    if file_type.is_dir() {
        "a directory"
    } else if file_type.is_symlink() {
        "a symbolic link"
    } else {
        "not a regular file"
    }
}

#[cfg(unix)]
fn same_file(a: &std::fs::Metadata, b: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    a.dev() == b.dev() && a.ino() == b.ino()
}

#[cfg(not(unix))]
fn same_file(_: &std::fs::Metadata, _: &std::fs::Metadata) -> bool {
    true
}

/// Errors from the no-follow open that mean the path changed under us: a symlink where a
/// directory or the file was (ELOOP, ENOTDIR), the file gone (ENOENT), or a special file that
/// cannot be opened (ENXIO: a socket).
#[cfg(unix)]
fn is_swap_error(code: i32) -> bool {
    use rustix::io::Errno;
    [Errno::LOOP, Errno::NOTDIR, Errno::NOENT, Errno::NXIO]
        .iter()
        .any(|e| e.raw_os_error() == code)
}

#[cfg(not(unix))]
fn is_swap_error(_: i32) -> bool {
    false
}

/// Opens a canonical path without following any symlink on the way: every directory with
/// `O_DIRECTORY | O_NOFOLLOW`, the file with `O_NOFOLLOW | O_NONBLOCK | O_NOCTTY`.
#[cfg(unix)]
pub(crate) fn open_no_follow(canonical: &Path) -> io::Result<std::fs::File> {
    use rustix::fs::{Mode, OFlags, fcntl_getfl, fcntl_setfl, openat};

    let (dir, file_name) = open_parent_no_follow(canonical)?;
    let fd = openat(
        &dir,
        file_name,
        OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::NOCTTY | OFlags::CLOEXEC,
        Mode::empty(),
    )?;
    let flags = fcntl_getfl(&fd)?;
    fcntl_setfl(&fd, flags - OFlags::NONBLOCK)?;
    Ok(std::fs::File::from(fd))
}

/// The directory holding the last component of a canonical path, walked to from `/` without
/// following any symlink (each directory `O_DIRECTORY | O_NOFOLLOW`), and that component.
/// Directories are opened for walking (`O_PATH` on Linux) unless `writable` asks for a
/// descriptor to create files in.
#[cfg(unix)]
fn walk_no_follow(
    canonical: &Path,
    writable: bool,
) -> io::Result<(rustix::fd::OwnedFd, &std::ffi::OsStr)> {
    use rustix::fs::{CWD, Mode, OFlags, openat};

    let mut names = Vec::new();
    for component in canonical.components() {
        match component {
            Component::RootDir => {}
            Component::Normal(name) => names.push(name),
            _ => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "the path is not canonical",
                ));
            }
        }
    }
    let Some((last, dirs)) = names.split_last() else {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "the path names no file",
        ));
    };
    // O_PATH opens a directory for walking without needing read permission on it.
    #[cfg(any(target_os = "linux", target_os = "android"))]
    let walk = OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC;
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    let walk = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;

    let mut dir = openat(CWD, "/", walk, Mode::empty())?;
    for name in dirs {
        dir = openat(&dir, *name, walk | OFlags::NOFOLLOW, Mode::empty())?;
    }
    if writable {
        let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        return Ok((openat(&dir, *last, flags, Mode::empty())?, *last));
    }
    Ok((dir, *last))
}

/// See [`walk_no_follow`]: the parent of a canonical path's last component, for opening it.
#[cfg(unix)]
fn open_parent_no_follow(canonical: &Path) -> io::Result<(rustix::fd::OwnedFd, &std::ffi::OsStr)> {
    walk_no_follow(canonical, false)
}

/// A canonical directory opened to create files in, reached without following any symlink.
#[cfg(unix)]
pub(crate) fn open_dir_no_follow(canonical: &Path) -> io::Result<rustix::fd::OwnedFd> {
    walk_no_follow(canonical, true).map(|(dir, _)| dir)
}

/// Elsewhere the canonical path is opened as is; the descriptor's metadata is still checked.
#[cfg(not(unix))]
pub(crate) fn open_no_follow(canonical: &Path) -> io::Result<std::fs::File> {
    std::fs::File::open(canonical)
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Fixture {
        _dir: tempfile::TempDir,
        base: PathBuf,
        root: PathBuf,
    }

    /// `<base>/root/{inside.txt, sub/deep.txt, empty.txt, dir/}`, `<base>/outside.txt`.
    fn fixture() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().canonicalize().unwrap();
        let root = base.join("root");
        std::fs::create_dir_all(root.join("sub")).unwrap();
        std::fs::create_dir_all(root.join("dir")).unwrap();
        std::fs::write(root.join("inside.txt"), b"hello").unwrap();
        std::fs::write(root.join("sub/deep.txt"), b"deep").unwrap();
        std::fs::write(root.join("empty.txt"), b"").unwrap();
        std::fs::write(base.join("outside.txt"), b"secret").unwrap();
        Fixture {
            _dir: dir,
            base,
            root,
        }
    }

    fn open(f: &Fixture, path: impl AsRef<Path>) -> Result<Opened, FileError> {
        open_checked(
            path.as_ref(),
            std::slice::from_ref(&f.root),
            &ProtectedPaths::default(),
            1024,
        )
    }

    #[test]
    fn a_file_inside_the_root_opens_with_its_name_size_and_type() {
        let f = fixture();
        let opened = open(&f, f.root.join("inside.txt")).unwrap();
        assert_eq!(opened.name, "inside.txt");
        assert_eq!(opened.size, 5);
        assert_eq!(opened.mime_type, "text/plain");
        assert_eq!(opened.canonical, f.root.join("inside.txt"));
    }

    #[test]
    fn dotdot_is_resolved_before_the_check() {
        let f = fixture();
        assert!(open(&f, f.root.join("sub/../inside.txt")).is_ok());
        for escaping in [
            "../outside.txt",
            "sub/../../outside.txt",
            "./../outside.txt",
        ] {
            let e = open(&f, f.root.join(escaping)).unwrap_err();
            assert!(
                matches!(e, FileError::OutsideRoots { .. }),
                "{escaping}: {e}"
            );
        }
    }

    #[test]
    fn relative_empty_and_nul_paths_are_refused() {
        let f = fixture();
        assert!(
            open(&f, "inside.txt")
                .unwrap_err()
                .to_string()
                .contains("relative path")
        );
        assert!(open(&f, "").unwrap_err().to_string().contains("empty"));
        #[cfg(unix)]
        {
            use std::os::unix::ffi::OsStrExt;
            let nul = Path::new(std::ffi::OsStr::from_bytes(b"/tmp/a\0b"));
            assert!(open(&f, nul).unwrap_err().to_string().contains("NUL byte"));
        }
    }

    #[test]
    fn no_roots_means_no_local_files() {
        let f = fixture();
        let e = open_checked(
            &f.root.join("inside.txt"),
            &[],
            &ProtectedPaths::default(),
            1024,
        )
        .unwrap_err();
        assert!(matches!(e, FileError::NoAllowedRoots));
        assert!(e.to_string().contains("ALLOWED_FILE_ROOTS"));
    }

    #[test]
    fn directories_empty_and_oversized_files_are_refused() {
        let f = fixture();
        let e = open(&f, f.root.join("dir")).unwrap_err();
        assert!(e.to_string().contains("is a directory"), "{e}");
        assert!(matches!(
            open(&f, f.root.join("empty.txt")),
            Err(FileError::Empty { .. })
        ));
        std::fs::write(f.root.join("big.bin"), vec![0u8; 1025]).unwrap();
        assert!(matches!(
            open(&f, f.root.join("big.bin")),
            Err(FileError::TooLarge {
                size: Some(1025),
                ..
            })
        ));
    }

    #[test]
    fn missing_files_are_reported_only_inside_roots() {
        let f = fixture();
        assert!(matches!(
            open(&f, f.root.join("missing.txt")),
            Err(FileError::NotFound { .. })
        ));
        assert!(matches!(
            open(&f, f.base.join("missing.txt")),
            Err(FileError::OutsideRoots { .. })
        ));
        assert!(matches!(
            open(&f, "/definitely/not/here"),
            Err(FileError::OutsideRoots { .. })
        ));
    }

    #[cfg(unix)]
    #[test]
    fn symlinks_are_judged_by_their_target() {
        use std::os::unix::fs::symlink;
        let f = fixture();
        symlink(f.base.join("outside.txt"), f.root.join("escape.txt")).unwrap();
        symlink(f.base.clone(), f.root.join("up")).unwrap();
        symlink(f.root.join("inside.txt"), f.root.join("alias.pdf")).unwrap();
        assert!(matches!(
            open(&f, f.root.join("escape.txt")),
            Err(FileError::OutsideRoots { .. })
        ));
        assert!(matches!(
            open(&f, f.root.join("up/outside.txt")),
            Err(FileError::OutsideRoots { .. })
        ));
        let alias = open(&f, f.root.join("alias.pdf")).unwrap();
        assert_eq!(alias.canonical, f.root.join("inside.txt"));
        assert_eq!(
            alias.name, "alias.pdf",
            "the name is the one the caller used"
        );
    }

    #[cfg(unix)]
    #[test]
    fn special_files_are_refused_without_blocking() {
        use rustix::fs::{CWD, FileType, Mode, mknodat};
        let f = fixture();
        let fifo = f.root.join("pipe");
        mknodat(CWD, &fifo, FileType::Fifo, Mode::from_raw_mode(0o600), 0).unwrap();
        let e = open(&f, &fifo).unwrap_err();
        assert!(e.to_string().contains("is a FIFO"), "{e}");
        let sock = f.root.join("sock");
        let _listener = std::os::unix::net::UnixListener::bind(&sock).unwrap();
        let e = open(&f, &sock).unwrap_err();
        assert!(e.to_string().contains("is a socket"), "{e}");
        // The no-follow open itself never blocks on a FIFO either.
        let opened = open_no_follow(&fifo).unwrap();
        assert!(!opened.metadata().unwrap().is_file());
        let e = open_checked(
            Path::new("/dev/null"),
            &[PathBuf::from("/dev")],
            &ProtectedPaths::default(),
            1024,
        )
        .unwrap_err();
        assert!(e.to_string().contains("is a device"), "{e}");
    }

    #[cfg(unix)]
    #[test]
    fn the_no_follow_open_refuses_a_symlink_anywhere_on_the_path() {
        use std::os::unix::fs::symlink;
        let f = fixture();
        // As if `sub` were swapped for a symlink after the path was canonicalised.
        symlink(f.root.join("sub"), f.root.join("swapped")).unwrap();
        symlink(f.root.join("inside.txt"), f.root.join("last")).unwrap();
        let err = open_no_follow(&f.root.join("swapped/deep.txt")).unwrap_err();
        assert!(is_swap_error(err.raw_os_error().unwrap()), "{err}");
        let err = open_no_follow(&f.root.join("last")).unwrap_err();
        assert!(is_swap_error(err.raw_os_error().unwrap()), "{err}");
        assert!(open_no_follow(&f.root.join("sub/deep.txt")).is_ok());
        assert!(open_no_follow(&f.root.join("sub/../inside.txt")).is_err());
    }
}
