//! What the model asked to send: a local path or a URL, told apart from one string.
//!
//! Rules, so that nothing depends on where the server happens to run:
//! - an absolute path is a local file; a `file://` URL is the same local path;
//! - `http://` and `https://` URLs are downloads (whether http is allowed is the policy's call);
//! - relative paths are refused, not resolved against the working directory, and `~` is not
//!   expanded (the server's working directory means nothing to the model);
//! - empty strings, NUL bytes, other URL schemes and over-long strings are refused.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use url::Url;

use super::error::FileError;

/// Longest spec accepted, in bytes (PATH_MAX is 4096; URLs get more room for queries).
pub const MAX_SPEC_BYTES: usize = 8192;

/// A file to send: a local path (absolute, not yet checked against the roots) or a URL (not
/// yet checked against the network policy). Checking happens in [`super::prepare`].
#[derive(Clone, PartialEq, Eq)]
pub enum FileSpec {
    Local(PathBuf),
    Url(Url),
}

impl FileSpec {
    /// Parses a user string: an absolute path, a `file://` URL, or an `http(s)://` URL.
    pub fn parse(input: &str) -> Result<FileSpec, FileError> {
        if input.trim().is_empty() {
            return Err(invalid("the file path or URL is empty"));
        }
        if input.contains('\0') {
            return Err(invalid("refused: the file path or URL contains a NUL byte"));
        }
        if input.len() > MAX_SPEC_BYTES {
            return Err(invalid(format!(
                "the file path or URL is longer than {MAX_SPEC_BYTES} bytes"
            )));
        }
        if Path::new(input).is_absolute() {
            return Ok(FileSpec::Local(PathBuf::from(input)));
        }
        match Url::parse(input) {
            Ok(url) => from_url(url),
            Err(_) if looks_like_url(input) => {
                Err(invalid(format!("{:?} is not a valid URL", shorten(input))))
            }
            Err(_) => Err(invalid(format!(
                "refused: {:?} is a relative path: give an absolute path inside an allowed \
                 directory (relative paths are not resolved and ~ is not expanded), or an \
                 https:// URL",
                shorten(input)
            ))),
        }
    }

    /// For messages: the path as given, or the URL's host (never its path or query).
    pub fn describe(&self) -> String {
        match self {
            FileSpec::Local(path) => path.display().to_string(),
            FileSpec::Url(url) => url_label(url),
        }
    }
}

impl FromStr for FileSpec {
    type Err = FileError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        FileSpec::parse(s)
    }
}

/// `Debug` shows a URL by its host only, so logs do not collect signed-URL tokens.
impl fmt::Debug for FileSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FileSpec::Local(path) => f.debug_tuple("Local").field(path).finish(),
            FileSpec::Url(url) => f.debug_tuple("Url").field(&url_label(url)).finish(),
        }
    }
}

fn from_url(url: Url) -> Result<FileSpec, FileError> {
    match url.scheme() {
        "http" | "https" => Ok(FileSpec::Url(url)),
        "file" => {
            let path = url.to_file_path().map_err(|()| {
                invalid(
                    "a file:// URL must name an absolute local path, without a host \
                     (file:///home/me/file.pdf)",
                )
            })?;
            // Percent-decoding can produce a NUL byte (file:///a%00b).
            if path.as_os_str().as_encoded_bytes().contains(&0) {
                return Err(invalid("refused: the file path or URL contains a NUL byte"));
            }
            Ok(FileSpec::Local(path))
        }
        other => Err(FileError::SchemeRefused {
            scheme: other.to_string(),
            hint: " (use an https:// URL or an absolute path)",
        }),
    }
}

/// `scheme://` at the start: a malformed URL rather than a relative path.
fn looks_like_url(input: &str) -> bool {
    input.split_once("://").is_some_and(|(scheme, _)| {
        !scheme.is_empty()
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    })
}

fn shorten(input: &str) -> String {
    const KEEP: usize = 120;
    if input.chars().count() <= KEEP {
        input.to_string()
    } else {
        let cut: String = input.chars().take(KEEP).collect();
        format!("{cut}…")
    }
}

fn invalid(message: impl Into<String>) -> FileError {
    FileError::InvalidSpec(message.into())
}

/// A URL as `scheme://host[:port]`: what error messages and logs may show.
pub(crate) fn url_label(url: &Url) -> String {
    let host = url.host_str().unwrap_or("(no host)");
    match url.port() {
        Some(port) => format!("{}://{host}:{port}", url.scheme()),
        None => format!("{}://{host}", url.scheme()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(input: &str) -> String {
        FileSpec::parse(input).unwrap_err().to_string()
    }

    #[test]
    fn absolute_paths_are_local() {
        assert_eq!(
            FileSpec::parse("/home/me/a b.pdf").unwrap(),
            FileSpec::Local("/home/me/a b.pdf".into())
        );
        // Not normalised here: `..` is resolved (and checked) when the file is prepared.
        assert_eq!(
            FileSpec::parse("/srv/../etc/passwd").unwrap(),
            FileSpec::Local("/srv/../etc/passwd".into())
        );
    }

    #[test]
    fn file_urls_are_local_paths_with_percent_decoding() {
        assert_eq!(
            FileSpec::parse("file:///home/me/a%20b.pdf").unwrap(),
            FileSpec::Local("/home/me/a b.pdf".into())
        );
        assert_eq!(
            FileSpec::parse("file://localhost/tmp/x").unwrap(),
            FileSpec::Local("/tmp/x".into())
        );
        assert!(message("file://server/share/x").contains("without a host"));
        assert!(message("file:///a%00b").contains("NUL byte"));
    }

    #[test]
    fn http_and_https_are_urls_and_other_schemes_are_refused() {
        assert!(matches!(
            FileSpec::parse("https://example.com/a.pdf"),
            Ok(FileSpec::Url(_))
        ));
        assert!(matches!(
            FileSpec::parse("HTTP://example.com/"),
            Ok(FileSpec::Url(_))
        ));
        for bad in [
            "ftp://example.com/x",
            "data:text/plain,hi",
            "javascript:alert(1)",
        ] {
            assert!(
                matches!(FileSpec::parse(bad), Err(FileError::SchemeRefused { .. })),
                "{bad}"
            );
        }
        assert!(message("gopher://x").contains("gopher://"));
    }

    #[test]
    fn empty_nul_relative_and_oversized_inputs_are_refused() {
        assert!(message("").contains("empty"));
        assert!(message("   ").contains("empty"));
        assert!(message("/tmp/a\0b").contains("NUL byte"));
        assert!(message("notes.txt").contains("relative path"));
        assert!(message("./notes.txt").contains("relative path"));
        assert!(message("../etc/passwd").contains("relative path"));
        assert!(message("~/notes.txt").contains("~ is not expanded"));
        assert!(message(&format!("/{}", "a".repeat(MAX_SPEC_BYTES))).contains("longer than"));
        assert!(message("https://exa mple.com/").contains("not a valid URL"));
    }

    #[test]
    fn urls_are_described_by_host_only() {
        let spec = FileSpec::parse("https://cdn.example:8443/f.pdf?token=SECRET").unwrap();
        assert_eq!(spec.describe(), "https://cdn.example:8443");
        assert!(!format!("{spec:?}").contains("SECRET"));
    }
}
