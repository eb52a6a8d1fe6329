//! Allowed roots: the directories local files may come from: `ALLOWED_FILE_ROOTS`, narrowed by
//! the roots the MCP host declares (which can never widen it; see [`effective`]); with neither,
//! none, and local files are refused.
//!
//! Roots are compared in canonical form (symlinks and `..` resolved), component by component,
//! so `/data/inbox-evil` is not inside `/data/inbox`.

use std::io;
use std::path::{Path, PathBuf};

use url::Url;

/// Turns the host's declared root URIs into canonical directories. Non-`file://` URIs, URIs
/// with a host, paths that do not exist and paths that are not directories are skipped (a
/// host's roots are hints about its workspace, not configuration to fail on). Duplicates are
/// removed; order is kept.
///
/// This touches the filesystem (canonicalisation): call it when the roots change, not per file.
pub fn roots_from_uris(uris: &[String]) -> Vec<PathBuf> {
    let mut roots = Vec::new();
    for uri in uris {
        let Ok(url) = Url::parse(uri) else {
            tracing::debug!(uri = %uri, "ignoring an MCP root that is not a URI");
            continue;
        };
        if url.scheme() != "file" {
            tracing::debug!(scheme = url.scheme(), "ignoring a non-file MCP root");
            continue;
        }
        let Ok(path) = url.to_file_path() else {
            tracing::debug!(uri = %uri, "ignoring a file MCP root with a host");
            continue;
        };
        match canonical_root(&path) {
            Ok(root) if !roots.contains(&root) => roots.push(root),
            Ok(_) => {}
            Err(e) => tracing::debug!(path = %path.display(), "ignoring an MCP root: {e}"),
        }
    }
    roots
}

/// Canonicalises a root directory: absolute, existing, a directory (after symlinks).
pub fn canonical_root(path: &Path) -> io::Result<PathBuf> {
    if !path.is_absolute() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "is not an absolute path",
        ));
    }
    let canonical = std::fs::canonicalize(path)?;
    if !std::fs::metadata(&canonical)?.is_dir() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "is not a directory",
        ));
    }
    Ok(canonical)
}

/// The roots in force. Host roots only ever narrow the operator's: with both sets the allowed
/// directories are their intersection (for each pair, the deeper of the two when one contains
/// the other); with one set, that set; with none, nothing. A host that declares an empty list
/// narrows nothing. Both sets are canonical.
pub(crate) fn effective(configured: &[PathBuf], host: Option<&[PathBuf]>) -> Vec<PathBuf> {
    let host = host.unwrap_or_default();
    if host.is_empty() {
        return configured.to_vec();
    }
    if configured.is_empty() {
        return host.to_vec();
    }
    let mut both = Vec::new();
    for c in configured {
        for h in host {
            let inner = if h.starts_with(c) {
                h
            } else if c.starts_with(h) {
                c
            } else {
                continue;
            };
            if !both.contains(inner) {
                both.push(inner.clone());
            }
        }
    }
    both
}

/// The canonical root that contains `canonical_target`, if any. Roots are canonicalised again
/// here, so one that was replaced by a symlink since start-up is judged by where it points now,
/// and one that vanished allows nothing.
pub(crate) fn containing_root(roots: &[PathBuf], canonical_target: &Path) -> Option<PathBuf> {
    roots
        .iter()
        .filter_map(|root| canonical_root(root).ok())
        .find(|root| canonical_target.starts_with(root))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_uris_become_canonical_directories_and_the_rest_is_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().canonicalize().unwrap();
        std::fs::create_dir(base.join("a b")).unwrap();
        std::fs::write(base.join("file.txt"), b"x").unwrap();
        let uris = vec![
            Url::from_directory_path(base.join("a b"))
                .unwrap()
                .to_string(),
            format!("file://{}/a%20b/../a%20b", base.display()),
            "https://example.com/project".to_string(),
            "not a uri".to_string(),
            "file://remote-host/share".to_string(),
            Url::from_file_path(base.join("file.txt"))
                .unwrap()
                .to_string(),
            Url::from_file_path(base.join("missing"))
                .unwrap()
                .to_string(),
        ];
        assert_eq!(roots_from_uris(&uris), vec![base.join("a b")]);
    }

    #[cfg(unix)]
    #[test]
    fn symlinked_roots_resolve_to_their_target() {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().canonicalize().unwrap();
        std::fs::create_dir(base.join("real")).unwrap();
        std::os::unix::fs::symlink(base.join("real"), base.join("link")).unwrap();
        let uri = Url::from_file_path(base.join("link")).unwrap().to_string();
        assert_eq!(roots_from_uris(&[uri]), vec![base.join("real")]);
    }

    #[test]
    fn relative_roots_are_refused() {
        assert!(canonical_root(Path::new("relative/dir")).is_err());
    }

    #[test]
    fn host_roots_only_narrow_the_configured_ones() {
        let p = |s: &str| PathBuf::from(s);
        let configured = vec![p("/home/u/share"), p("/srv/out")];
        // Only one set: that set.
        assert_eq!(effective(&configured, None), configured);
        assert_eq!(effective(&configured, Some(&[])), configured);
        assert_eq!(effective(&[], Some(&[p("/ws")])), vec![p("/ws")]);
        assert!(effective(&[], None).is_empty());
        // Both: the intersection, whichever side is deeper.
        let host = vec![p("/"), p("/home/u/share/project"), p("/elsewhere")];
        assert_eq!(
            effective(&configured, Some(&host)),
            vec![
                p("/home/u/share"),
                p("/home/u/share/project"),
                p("/srv/out")
            ]
        );
        assert!(effective(&configured, Some(&[p("/etc")])).is_empty());
    }

    #[test]
    fn containment_is_by_component_not_by_string_prefix() {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().canonicalize().unwrap();
        std::fs::create_dir(base.join("inbox")).unwrap();
        let roots = vec![base.join("inbox")];
        assert!(containing_root(&roots, &base.join("inbox/a.txt")).is_some());
        assert!(containing_root(&roots, &base.join("inbox-evil/a.txt")).is_none());
        assert!(containing_root(&roots, &base).is_none());
        // A root that no longer exists allows nothing.
        let gone = vec![base.join("gone")];
        assert!(containing_root(&gone, &base.join("gone/a.txt")).is_none());
    }
}
