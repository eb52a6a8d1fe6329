//! Why a file could not be used. Every refusal is a value with a message that names the rule
//! that refused it, worded for the model (and the person) that has to change the request.
//!
//! Messages never carry secrets: a URL is shown by its host only (paths and queries of signed
//! URLs hold tokens), and a local path only as the caller gave it, never where a symlink led.

use std::io;
use std::net::IpAddr;

use super::address::AddressClass;

/// A file source that was refused or could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FileError {
    /// The string is neither an absolute path nor an http(s)/file URL, or is malformed.
    #[error("{0}")]
    InvalidSpec(String),
    /// No allowed roots exist: local files are refused by default.
    #[error(
        "local files are not allowed: no allowed directories are set. Set ALLOWED_FILE_ROOTS \
         (or --allowed-file-roots) to directories separated by ':', or use an MCP host that \
         declares roots"
    )]
    NoAllowedRoots,
    /// The path resolves (after symlinks and `..`) outside every allowed root.
    #[error("refused: {path} is outside the allowed directories")]
    OutsideRoots { path: String },
    /// The session, its companions, the settings or the log: never sent, whatever the roots.
    #[error(
        "refused: {path} is one of the Telegram session's or this server's own files, which \
         are never sent"
    )]
    Protected { path: String },
    #[error("{path} does not exist")]
    NotFound { path: String },
    /// A save would replace a file: files are never overwritten.
    #[error(
        "refused: {path} already exists and is never overwritten: give a new file name, or a \
         directory to save into"
    )]
    Exists { path: String },
    /// A directory, device, FIFO, socket…
    #[error("refused: {path} is {kind}, not a regular file")]
    NotRegularFile { path: String, kind: &'static str },
    /// The file changed (was replaced, or a symlink appeared) between the check and the open.
    #[error("refused: {path} changed while it was being opened")]
    Changed { path: String },
    /// Over `MAX_FILE_SIZE_MB`. `size` is `None` when a download was stopped at the cap.
    #[error(
        "refused: {what} is {} the {max_bytes}-byte limit (MAX_FILE_SIZE_MB)",
        size.map_or_else(|| "larger than".to_string(), |s| format!("{s} bytes, over"))
    )]
    TooLarge {
        what: String,
        size: Option<u64>,
        max_bytes: u64,
    },
    /// Telegram refuses empty files.
    #[error("refused: {what} is empty (0 bytes)")]
    Empty { what: String },
    /// http:// without `ALLOW_HTTP_URLS`, or a scheme that is never fetched.
    #[error("refused: {scheme}:// URLs are not allowed{hint}")]
    SchemeRefused { scheme: String, hint: &'static str },
    /// `https://user:pass@host/`: credentials do not belong in a tool argument.
    #[error("refused: URLs with a user name or password are not accepted")]
    CredentialsInUrl,
    /// The URL's host is, or resolves to, an address of a refused class.
    #[error("{}", address_message(host, ip, *class))]
    AddressRefused {
        host: String,
        ip: IpAddr,
        class: AddressClass,
    },
    /// A cloud metadata host name.
    #[error("refused: {host} is a cloud metadata service")]
    HostRefused { host: String },
    #[error("cannot resolve {host}: {reason}")]
    Resolve { host: String, reason: String },
    #[error("refused: more than {max} redirects")]
    TooManyRedirects { max: usize },
    #[error("refused: {host} redirects from https to http (set ALLOW_HTTP_URLS=true to allow)")]
    Downgrade { host: String },
    #[error("{host} sent a redirect without a usable location: {reason}")]
    BadRedirect { host: String, reason: String },
    /// The server answered with a non-success status.
    #[error("{host} answered HTTP {status}")]
    HttpStatus { host: String, status: u16 },
    #[error("timed out {during} {host}")]
    Timeout { host: String, during: &'static str },
    #[error("cannot download from {host}: {reason}")]
    Network { host: String, reason: String },
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: io::Error,
    },
}

/// "refused: 10.0.0.5 is a private address", or with the name when the URL had one.
fn address_message(host: &str, ip: &IpAddr, class: AddressClass) -> String {
    let host_is_ip = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<IpAddr>()
        .is_ok_and(|h| h == *ip);
    if host_is_ip {
        format!("refused: {ip} is {class}")
    } else {
        format!("refused: {host} resolves to {ip}, {class}")
    }
}

impl FileError {
    pub(crate) fn io(context: impl Into<String>, source: io::Error) -> Self {
        FileError::Io {
            context: context.into(),
            source,
        }
    }

    /// True when the same request may work later (the network, a slow or failing server);
    /// false when the request itself has to change.
    pub fn is_retryable(&self) -> bool {
        match self {
            FileError::Resolve { .. } | FileError::Timeout { .. } | FileError::Network { .. } => {
                true
            }
            FileError::HttpStatus { status, .. } => *status == 429 || *status >= 500,
            FileError::Io { .. } => true,
            _ => false,
        }
    }

    /// A stable code for the tool layer's `error_code`.
    pub fn code(&self) -> &'static str {
        match self {
            FileError::InvalidSpec(_) => "FILE_SPEC_INVALID",
            FileError::NoAllowedRoots => "LOCAL_FILES_DISABLED",
            FileError::OutsideRoots { .. } => "PATH_NOT_ALLOWED",
            FileError::Protected { .. } => "PATH_PROTECTED",
            FileError::NotFound { .. } => "FILE_NOT_FOUND",
            FileError::Exists { .. } => "FILE_EXISTS",
            FileError::NotRegularFile { .. } => "NOT_A_REGULAR_FILE",
            FileError::Changed { .. } => "FILE_CHANGED",
            FileError::TooLarge { .. } => "FILE_TOO_LARGE",
            FileError::Empty { .. } => "FILE_EMPTY",
            FileError::SchemeRefused { .. } => "URL_SCHEME_NOT_ALLOWED",
            FileError::CredentialsInUrl => "URL_CREDENTIALS_NOT_ALLOWED",
            FileError::AddressRefused { .. } | FileError::HostRefused { .. } => {
                "URL_ADDRESS_NOT_ALLOWED"
            }
            FileError::Resolve { .. } => "URL_RESOLVE_FAILED",
            FileError::TooManyRedirects { .. } => "URL_TOO_MANY_REDIRECTS",
            FileError::Downgrade { .. } => "URL_REDIRECT_DOWNGRADE",
            FileError::BadRedirect { .. } => "URL_BAD_REDIRECT",
            FileError::HttpStatus { .. } => "URL_HTTP_ERROR",
            FileError::Timeout { .. } => "URL_TIMEOUT",
            FileError::Network { .. } => "URL_NETWORK_ERROR",
            FileError::Io { .. } => "FILE_IO_ERROR",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn address_refusals_name_the_address_and_its_class() {
        let e = FileError::AddressRefused {
            host: "10.0.0.5".into(),
            ip: "10.0.0.5".parse().unwrap(),
            class: AddressClass::Private,
        };
        assert_eq!(e.to_string(), "refused: 10.0.0.5 is a private address");
        let e = FileError::AddressRefused {
            host: "intranet.example".into(),
            ip: "192.168.1.2".parse().unwrap(),
            class: AddressClass::Private,
        };
        assert_eq!(
            e.to_string(),
            "refused: intranet.example resolves to 192.168.1.2, a private address"
        );
        let e = FileError::AddressRefused {
            host: "[::1]".into(),
            ip: "::1".parse().unwrap(),
            class: AddressClass::Loopback,
        };
        assert_eq!(e.to_string(), "refused: ::1 is a loopback address");
    }

    #[test]
    fn size_refusals_say_whether_the_size_is_known() {
        let known = FileError::TooLarge {
            what: "a.bin".into(),
            size: Some(10),
            max_bytes: 5,
        };
        assert_eq!(
            known.to_string(),
            "refused: a.bin is 10 bytes, over the 5-byte limit (MAX_FILE_SIZE_MB)"
        );
        let streamed = FileError::TooLarge {
            what: "the download from h".into(),
            size: None,
            max_bytes: 5,
        };
        assert!(
            streamed
                .to_string()
                .contains("is larger than the 5-byte limit")
        );
    }

    #[test]
    fn retryable_errors_are_the_transient_ones() {
        assert!(
            FileError::HttpStatus {
                host: "h".into(),
                status: 503
            }
            .is_retryable()
        );
        assert!(
            !FileError::HttpStatus {
                host: "h".into(),
                status: 404
            }
            .is_retryable()
        );
        assert!(!FileError::NoAllowedRoots.is_retryable());
        assert_eq!(FileError::NoAllowedRoots.code(), "LOCAL_FILES_DISABLED");
    }
}
