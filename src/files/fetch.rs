//! Downloads: a URL the model picked, fetched without letting it reach the user's machine or
//! network, and streamed to a private temporary file under the size cap.
//!
//! For every hop (the URL, then each redirect, at most [`FilePolicy::max_redirects`]):
//! 1. the URL is checked without the network: scheme (https, or http when allowed; an
//!    https→http redirect needs http allowed too), no credentials, no metadata host name, and
//!    the address itself when the host is an IP literal;
//! 2. a host name is resolved once with the policy's resolver and *every* answer must pass the
//!    address check (one private answer refuses the hop);
//! 3. those checked addresses are pinned: the HTTP client has no resolver but [`PinnedDns`],
//!    which answers only with them, and it uses no proxy. What was checked is what is
//!    connected to, whatever DNS says a moment later;
//! 4. redirects are not followed by the client but here, so each goes through 1–3.
//!
//! The body is refused early when `Content-Length` is over the cap, and counted while it
//! streams: past the cap the download stops, the connection is dropped and the temporary
//! directory is deleted. The whole download (lookups, redirects, body) has one deadline.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use reqwest::header::{CONTENT_DISPOSITION, CONTENT_TYPE, HeaderMap, LOCATION};
use tempfile::TempDir;
use tokio::io::{AsyncSeekExt, AsyncWriteExt};
use url::Url;

use super::error::FileError;
use super::naming;
use super::policy::{FilePolicy, Target};
use super::prepared::{Origin, PreparedFile};
use super::resolve::PinnedDns;
use super::spec::url_label;

/// Fetches `url` under `policy` into a temporary file.
pub(crate) async fn download(url: &Url, policy: &FilePolicy) -> Result<PreparedFile, FileError> {
    match tokio::time::timeout(policy.total_timeout(), fetch(url, policy)).await {
        Ok(result) => result,
        Err(_) => Err(FileError::Timeout {
            host: url_label(url),
            during: "downloading from",
        }),
    }
}

async fn fetch(original: &Url, policy: &FilePolicy) -> Result<PreparedFile, FileError> {
    let dns = PinnedDns::default();
    let client = client(policy, dns.clone())?;
    let mut current = original.clone();
    let mut redirects = 0;
    loop {
        if let Target::Name { host, port } = policy.target(&current)? {
            let addrs = resolve_checked(policy, &host, port).await?;
            dns.pin(&host, addrs);
        }
        tracing::debug!(url = %url_label(&current), "downloading");
        let response = client
            .get(current.clone())
            .send()
            .await
            .map_err(|e| request_error(&current, &e))?;
        let status = response.status();
        if matches!(status.as_u16(), 301 | 302 | 303 | 307 | 308) {
            redirects += 1;
            if redirects > policy.max_redirects() {
                return Err(FileError::TooManyRedirects {
                    max: policy.max_redirects(),
                });
            }
            let next = redirect_target(&current, response.headers())?;
            check_redirect(&current, &next, policy)?;
            current = next;
            continue;
        }
        if !status.is_success() {
            return Err(FileError::HttpStatus {
                host: url_label(&current),
                status: status.as_u16(),
            });
        }
        return stream_to_temp(original, current, response, policy).await;
    }
}

/// The client for one download: no redirects, no proxy, no resolver but the pinned one.
fn client(policy: &FilePolicy, dns: PinnedDns) -> Result<reqwest::Client, FileError> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .dns_resolver(Arc::new(dns))
        .https_only(!policy.allow_http())
        .connect_timeout(policy.connect_timeout())
        .read_timeout(policy.read_timeout())
        .timeout(policy.total_timeout())
        .referer(false)
        .user_agent(concat!("fast-mcp-telegram/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| FileError::Network {
            host: "(none)".into(),
            reason: format!("cannot set up the HTTP client: {}", root_cause(&e)),
        })
}

/// Resolves a host once and checks every answer; these are the addresses connected to.
pub(crate) async fn resolve_checked(
    policy: &FilePolicy,
    host: &str,
    port: u16,
) -> Result<Vec<SocketAddr>, FileError> {
    let addrs = policy
        .resolver()
        .resolve(host, port)
        .await
        .map_err(|e| FileError::Resolve {
            host: host.to_string(),
            reason: e.to_string(),
        })?;
    if addrs.is_empty() {
        return Err(FileError::Resolve {
            host: host.to_string(),
            reason: "no addresses".into(),
        });
    }
    for addr in &addrs {
        policy.check_address(host, addr.ip())?;
    }
    Ok(addrs)
}

fn redirect_target(current: &Url, headers: &HeaderMap) -> Result<Url, FileError> {
    let bad = |reason: &str| FileError::BadRedirect {
        host: url_label(current),
        reason: reason.to_string(),
    };
    let location = headers
        .get(LOCATION)
        .ok_or_else(|| bad("no Location header"))?
        .to_str()
        .map_err(|_| bad("the Location header is not ASCII"))?;
    current
        .join(location)
        .map_err(|e| bad(&format!("the Location header is not a URL ({e})")))
}

/// The redirect-only rule: no https→http unless http is allowed. Everything else is the same
/// check as for the first URL, done by the next hop.
pub(crate) fn check_redirect(from: &Url, to: &Url, policy: &FilePolicy) -> Result<(), FileError> {
    if from.scheme() == "https" && to.scheme() == "http" && !policy.allow_http() {
        return Err(FileError::Downgrade {
            host: url_label(from),
        });
    }
    Ok(())
}

async fn stream_to_temp(
    original: &Url,
    final_url: Url,
    mut response: reqwest::Response,
    policy: &FilePolicy,
) -> Result<PreparedFile, FileError> {
    let label = url_label(&final_url);
    let what = format!("the file at {label}");
    let max_bytes = policy.max_bytes();
    if let Some(length) = response.content_length()
        && length > max_bytes
    {
        return Err(FileError::TooLarge {
            what,
            size: Some(length),
            max_bytes,
        });
    }
    let header = |name| {
        response
            .headers()
            .get(name)
            .and_then(|v: &reqwest::header::HeaderValue| v.to_str().ok())
            .map(str::to_string)
    };
    let disposition = header(CONTENT_DISPOSITION);
    let content_type = header(CONTENT_TYPE);

    let (temp, path, file) = staging(policy)?;
    let mut file = tokio::fs::File::from_std(file);
    let write_error = |e| FileError::io("cannot write the download to a temporary file", e);
    let mut written: u64 = 0;
    while let Some(chunk) = response.chunk().await.map_err(|e| body_error(&label, &e))? {
        written += chunk.len() as u64;
        if written > max_bytes {
            // Returning drops the response (closing the connection) and `temp` (deleting it).
            return Err(FileError::TooLarge {
                what,
                size: None,
                max_bytes,
            });
        }
        file.write_all(&chunk).await.map_err(write_error)?;
    }
    if written == 0 {
        return Err(FileError::Empty { what });
    }
    file.flush().await.map_err(write_error)?;
    file.seek(std::io::SeekFrom::Start(0))
        .await
        .map_err(write_error)?;

    let name = naming::choose_name([
        disposition
            .as_deref()
            .and_then(naming::content_disposition_name),
        naming::url_name(&final_url),
        naming::url_name(original),
    ]);
    let mime_type = naming::mime_type(content_type.as_deref(), &name);
    Ok(PreparedFile {
        name,
        mime_type,
        size: written,
        origin: Origin::Url(final_url),
        path,
        file,
        temp: Some(temp),
    })
}

/// A private directory (`0700`) holding one file (`0600`), both deleted with the [`TempDir`].
/// The file has a fixed name: nothing from the server ever becomes part of a path.
fn staging(policy: &FilePolicy) -> Result<(TempDir, PathBuf, std::fs::File), FileError> {
    let parent = policy
        .temp_dir()
        .map(Path::to_path_buf)
        .unwrap_or_else(std::env::temp_dir);
    let mut builder = tempfile::Builder::new();
    builder.prefix("fast-mcp-telegram-");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o700));
    }
    let dir = builder
        .tempdir_in(&parent)
        .map_err(|e| FileError::io("cannot create a temporary directory for the download", e))?;
    let path = dir.path().join("download");
    let mut options = std::fs::OpenOptions::new();
    options.read(true).write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let file = options
        .open(&path)
        .map_err(|e| FileError::io("cannot create a temporary file for the download", e))?;
    Ok((dir, path, file))
}

/// A failed request, described by host and root cause (reqwest's own message carries the
/// whole URL, which may hold tokens).
fn request_error(url: &Url, e: &reqwest::Error) -> FileError {
    let host = url_label(url);
    if e.is_timeout() {
        return FileError::Timeout {
            host,
            during: if e.is_connect() {
                "connecting to"
            } else {
                "waiting for"
            },
        };
    }
    let reason = root_cause(e);
    let reason = if e.is_connect() {
        format!("cannot connect: {reason}")
    } else {
        reason
    };
    FileError::Network { host, reason }
}

fn body_error(label: &str, e: &reqwest::Error) -> FileError {
    if e.is_timeout() {
        FileError::Timeout {
            host: label.to_string(),
            during: "reading from",
        }
    } else {
        FileError::Network {
            host: label.to_string(),
            reason: format!("the download broke off: {}", root_cause(e)),
        }
    }
}

/// The innermost error's message: the actual cause, without reqwest's URL.
fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = e;
    while let Some(source) = cause.source() {
        cause = source;
    }
    cause.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn https_to_http_redirects_need_http_allowed() {
        let strict = FilePolicy::new();
        let e = check_redirect(
            &url("https://a.example/x"),
            &url("http://b.example/y"),
            &strict,
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "refused: https://a.example redirects from https to http (set ALLOW_HTTP_URLS=true \
             to allow)"
        );
        assert!(check_redirect(&url("https://a/x"), &url("https://b/y"), &strict).is_ok());
        let lax = FilePolicy::new().with_allow_http(true);
        assert!(check_redirect(&url("https://a/x"), &url("http://b/y"), &lax).is_ok());
    }

    #[test]
    fn redirect_locations_are_resolved_against_the_current_url() {
        let mut headers = HeaderMap::new();
        headers.insert(LOCATION, "../other/file.pdf?x=1".parse().unwrap());
        let next = redirect_target(&url("https://h.example/a/b/c"), &headers).unwrap();
        assert_eq!(next.as_str(), "https://h.example/a/other/file.pdf?x=1");
        let e = redirect_target(&url("https://h.example/"), &HeaderMap::new()).unwrap_err();
        assert!(e.to_string().contains("no Location header"));
        headers.insert(LOCATION, "http://[bad".parse().unwrap());
        assert!(redirect_target(&url("https://h.example/"), &headers).is_err());
    }

    #[cfg(unix)]
    #[test]
    fn staging_is_private_and_removed_on_drop() {
        use std::os::unix::fs::PermissionsExt;
        let parent = tempfile::tempdir().unwrap();
        let policy = FilePolicy::new().with_temp_dir(parent.path().to_path_buf());
        let (dir, path, _file) = staging(&policy).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(dir.path()), 0o700);
        assert_eq!(mode(&path), 0o600);
        drop(dir);
        assert_eq!(std::fs::read_dir(parent.path()).unwrap().count(), 0);
    }
}
