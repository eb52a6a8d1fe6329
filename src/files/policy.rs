//! The rules a file source must pass, in one value: which directories local files may come
//! from, which URLs may be fetched, how large a file may be, how long a download may take.
//!
//! The default is the safe one: no local files at all (no roots), https only, private
//! addresses refused, 50 MiB. Configuration builds it with [`crate::config::file_policy`].

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use ipnet::IpNet;
use url::{Host, Url};

use super::address::{self, AddressClass};
use super::error::FileError;
use super::protected::ProtectedPaths;
use super::resolve::{HostResolver, SystemResolver};

/// `MAX_FILE_SIZE_MB` when it is not set.
pub const DEFAULT_MAX_FILE_SIZE_MB: u64 = 50;
/// One "MB" of `MAX_FILE_SIZE_MB`: a mebibyte.
pub const BYTES_PER_MB: u64 = 1024 * 1024;
/// Redirects followed before a download is refused.
pub const DEFAULT_MAX_REDIRECTS: usize = 5;
/// Time allowed to open a TCP connection (and finish the TLS handshake's connect step).
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Time allowed between two reads of a response: a stalled server fails fast.
pub const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(30);
/// Time allowed for a whole download, every redirect and DNS lookup included (50 MiB at
/// ~200 KiB/s).
pub const DEFAULT_TOTAL_TIMEOUT: Duration = Duration::from_secs(300);

/// Where files may come from. Cheap to clone.
#[derive(Clone)]
pub struct FilePolicy {
    roots: Vec<PathBuf>,
    allow_http: bool,
    block_private_ips: bool,
    max_bytes: u64,
    max_redirects: usize,
    connect_timeout: Duration,
    read_timeout: Duration,
    total_timeout: Duration,
    exempt_networks: Vec<IpNet>,
    resolver: Arc<dyn HostResolver>,
    temp_dir: Option<PathBuf>,
    protected: ProtectedPaths,
}

impl Default for FilePolicy {
    fn default() -> Self {
        FilePolicy {
            roots: Vec::new(),
            allow_http: false,
            block_private_ips: true,
            max_bytes: DEFAULT_MAX_FILE_SIZE_MB * BYTES_PER_MB,
            max_redirects: DEFAULT_MAX_REDIRECTS,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            read_timeout: DEFAULT_READ_TIMEOUT,
            total_timeout: DEFAULT_TOTAL_TIMEOUT,
            exempt_networks: Vec::new(),
            resolver: Arc::new(SystemResolver),
            temp_dir: None,
            protected: ProtectedPaths::default(),
        }
    }
}

impl fmt::Debug for FilePolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FilePolicy")
            .field("roots", &self.roots)
            .field("allow_http", &self.allow_http)
            .field("block_private_ips", &self.block_private_ips)
            .field("max_bytes", &self.max_bytes)
            .field("max_redirects", &self.max_redirects)
            .field("connect_timeout", &self.connect_timeout)
            .field("read_timeout", &self.read_timeout)
            .field("total_timeout", &self.total_timeout)
            .field("exempt_networks", &self.exempt_networks)
            .field("temp_dir", &self.temp_dir)
            .field("protected", &self.protected)
            .finish_non_exhaustive()
    }
}

impl FilePolicy {
    /// The safe default: no local files, https only, private addresses refused, 50 MiB.
    pub fn new() -> Self {
        Self::default()
    }

    /// Directories local files may come from when the MCP host declares no roots. Give
    /// canonical directories ([`super::canonical_root`]); they are canonicalised again at
    /// every check, so a root that moved or vanished is handled safely either way.
    pub fn with_roots(mut self, roots: Vec<PathBuf>) -> Self {
        self.roots = roots;
        self
    }

    /// Allows plain `http://` URLs (and https→http redirects).
    pub fn with_allow_http(mut self, allow: bool) -> Self {
        self.allow_http = allow;
        self
    }

    /// Refuses loopback, private, link-local… addresses (on by default). Cloud metadata,
    /// multicast, broadcast and unspecified addresses stay refused either way.
    pub fn with_block_private_ips(mut self, block: bool) -> Self {
        self.block_private_ips = block;
        self
    }

    /// The largest file accepted, in bytes (at least 1).
    pub fn with_max_bytes(mut self, max_bytes: u64) -> Self {
        self.max_bytes = max_bytes.max(1);
        self
    }

    pub fn with_max_redirects(mut self, max: usize) -> Self {
        self.max_redirects = max;
        self
    }

    /// Connect timeout, idle-read timeout and the deadline for a whole download.
    pub fn with_timeouts(mut self, connect: Duration, read: Duration, total: Duration) -> Self {
        self.connect_timeout = connect;
        self.read_timeout = read;
        self.total_timeout = total;
        self
    }

    /// Networks treated as public whatever their class, checked before every other rule
    /// (including cloud metadata). Not reachable from configuration: it exists so tests can
    /// stand a loopback server in for "a public host" (`127.0.0.1/32`) while every other
    /// loopback address stays refused, and for embedders with a deliberate exception.
    pub fn with_exempt_networks(mut self, networks: Vec<IpNet>) -> Self {
        self.exempt_networks = networks;
        self
    }

    /// The resolver whose answers are checked and then used for the connection (the system
    /// resolver by default). Tests give a scripted one to exercise DNS rebinding.
    pub fn with_resolver(mut self, resolver: Arc<dyn HostResolver>) -> Self {
        self.resolver = resolver;
        self
    }

    /// Where downloads are staged (a private `0700` directory is made inside it for each
    /// download); the system temporary directory by default.
    pub fn with_temp_dir(mut self, dir: PathBuf) -> Self {
        self.temp_dir = Some(dir);
        self
    }

    /// The server's own files, never sent whatever the roots say.
    pub fn with_protected(mut self, protected: ProtectedPaths) -> Self {
        self.protected = protected;
        self
    }

    pub fn protected(&self) -> &ProtectedPaths {
        &self.protected
    }

    pub fn roots(&self) -> &[PathBuf] {
        &self.roots
    }

    pub fn allow_http(&self) -> bool {
        self.allow_http
    }

    pub fn block_private_ips(&self) -> bool {
        self.block_private_ips
    }

    pub fn max_bytes(&self) -> u64 {
        self.max_bytes
    }

    pub fn max_redirects(&self) -> usize {
        self.max_redirects
    }

    pub fn connect_timeout(&self) -> Duration {
        self.connect_timeout
    }

    pub fn read_timeout(&self) -> Duration {
        self.read_timeout
    }

    pub fn total_timeout(&self) -> Duration {
        self.total_timeout
    }

    pub(crate) fn resolver(&self) -> &Arc<dyn HostResolver> {
        &self.resolver
    }

    pub(crate) fn temp_dir(&self) -> Option<&Path> {
        self.temp_dir.as_deref()
    }

    /// Whether an address may be connected to; `host` is only for the message.
    pub fn check_address(&self, host: &str, ip: IpAddr) -> Result<(), FileError> {
        if self.exempt_networks.iter().any(|net| net.contains(&ip)) {
            return Ok(());
        }
        let class = address::classify(ip);
        let refused = match class {
            AddressClass::Public => false,
            c if c.always_refused() => true,
            _ => self.block_private_ips,
        };
        if refused {
            Err(FileError::AddressRefused {
                host: host.to_string(),
                ip,
                class,
            })
        } else {
            Ok(())
        }
    }

    /// Every check on a URL that needs no network: scheme, credentials, host, metadata names,
    /// and the address when the host is an IP literal. Returns where to connect.
    pub fn check_url(&self, url: &Url) -> Result<(), FileError> {
        self.target(url).map(|_| ())
    }

    pub(crate) fn target(&self, url: &Url) -> Result<Target, FileError> {
        match url.scheme() {
            "https" => {}
            "http" if self.allow_http => {}
            "http" => {
                return Err(FileError::SchemeRefused {
                    scheme: "http".into(),
                    hint: " (only https; set ALLOW_HTTP_URLS=true to allow http)",
                });
            }
            other => {
                return Err(FileError::SchemeRefused {
                    scheme: other.to_string(),
                    hint: " (only https and http)",
                });
            }
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(FileError::CredentialsInUrl);
        }
        let port = url.port_or_known_default().unwrap_or(443);
        let ip = match url.host() {
            None => {
                return Err(FileError::InvalidSpec("the URL has no host".into()));
            }
            Some(Host::Ipv4(v4)) => IpAddr::V4(v4),
            Some(Host::Ipv6(v6)) => IpAddr::V6(v6),
            Some(Host::Domain(name)) => {
                if address::is_metadata_host(name) {
                    return Err(FileError::HostRefused { host: name.into() });
                }
                match name.parse::<IpAddr>() {
                    Ok(ip) => ip,
                    Err(_) => {
                        return Ok(Target::Name {
                            host: name.to_string(),
                            port,
                        });
                    }
                }
            }
        };
        let host = url.host_str().unwrap_or_default();
        self.check_address(host, ip)?;
        Ok(Target::Literal(SocketAddr::new(ip, port)))
    }
}

/// Where a checked URL connects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Target {
    /// An IP literal, already checked: the connection goes there without any lookup.
    Literal(SocketAddr),
    /// A name still to be resolved; its answers are checked before use.
    Name { host: String, port: u16 },
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn defaults_are_the_safe_ones() {
        let p = FilePolicy::new();
        assert!(p.roots().is_empty());
        assert!(!p.allow_http());
        assert!(p.block_private_ips());
        assert_eq!(p.max_bytes(), 50 * 1024 * 1024);
        assert_eq!(p.max_redirects(), 5);
    }

    #[test]
    fn http_needs_allow_http() {
        let p = FilePolicy::new();
        let e = p.check_url(&url("http://example.com/a")).unwrap_err();
        assert!(e.to_string().contains("ALLOW_HTTP_URLS=true"), "{e}");
        assert!(p.check_url(&url("https://example.com/a")).is_ok());
        let p = p.with_allow_http(true);
        assert!(p.check_url(&url("http://example.com/a")).is_ok());
    }

    #[test]
    fn credentials_and_metadata_names_are_refused() {
        let p = FilePolicy::new();
        assert!(matches!(
            p.check_url(&url("https://u:p@example.com/")),
            Err(FileError::CredentialsInUrl)
        ));
        assert!(matches!(
            p.check_url(&url("https://u@example.com/")),
            Err(FileError::CredentialsInUrl)
        ));
        for name in [
            "metadata.google.internal",
            "METADATA.GOOGLE.INTERNAL.",
            "metadata.goog",
        ] {
            let e = p.check_url(&url(&format!("https://{name}/computeMetadata/v1/")));
            assert!(matches!(e, Err(FileError::HostRefused { .. })), "{name}");
        }
        let off = FilePolicy::new().with_block_private_ips(false);
        assert!(
            off.check_url(&url("https://metadata.google.internal/"))
                .is_err()
        );
    }

    #[test]
    fn ip_literals_are_checked_in_every_spelling() {
        let p = FilePolicy::new();
        for u in [
            "https://127.0.0.1/",
            "https://127.1/",
            "https://0x7f000001/",
            "https://2130706433/",
            "https://0177.0.0.1/",
            "https://[::1]/",
            "https://[::ffff:127.0.0.1]/",
            "https://[::ffff:7f00:1]/",
            "https://10.0.0.5:8443/",
            "https://[fd00::1]/",
            "https://[fe80::1]/",
            "https://169.254.169.254/latest/meta-data/",
            "https://[fd00:ec2::254]/",
            "https://100.64.0.1/",
            "https://0.0.0.0/",
            "https://[::]/",
            "https://[64:ff9b::a00:1]/",
            "https://[2002:a00:1::]/",
        ] {
            assert!(
                matches!(p.check_url(&url(u)), Err(FileError::AddressRefused { .. })),
                "{u}"
            );
        }
        let e = p.check_url(&url("https://10.0.0.5/x")).unwrap_err();
        assert_eq!(e.to_string(), "refused: 10.0.0.5 is a private address");
        assert!(p.check_url(&url("https://93.184.216.34/")).is_ok());
        assert!(p.check_url(&url("https://[2606:4700::1111]/")).is_ok());
    }

    #[test]
    fn unblocking_private_ips_keeps_metadata_and_non_unicast_refused() {
        let p = FilePolicy::new().with_block_private_ips(false);
        assert!(p.check_url(&url("https://10.0.0.5/")).is_ok());
        assert!(p.check_url(&url("https://127.0.0.1/")).is_ok());
        assert!(p.check_url(&url("https://[fd12::1]/")).is_ok());
        for u in [
            "https://169.254.169.254/",
            "https://[fd00:ec2::254]/",
            "https://224.0.0.1/",
            "https://255.255.255.255/",
            "https://0.0.0.0/",
        ] {
            assert!(p.check_url(&url(u)).is_err(), "{u}");
        }
    }

    #[test]
    fn exempt_networks_override_the_classifier_for_those_addresses_only() {
        let p = FilePolicy::new().with_exempt_networks(vec!["127.0.0.1/32".parse().unwrap()]);
        assert!(p.check_url(&url("https://127.0.0.1:9/")).is_ok());
        assert!(p.check_url(&url("https://127.0.0.2:9/")).is_err());
        assert!(p.check_url(&url("https://[::1]:9/")).is_err());
    }

    #[test]
    fn names_are_left_for_resolution_with_their_port() {
        let p = FilePolicy::new().with_allow_http(true);
        assert_eq!(
            p.target(&url("https://example.com/x")).unwrap(),
            Target::Name {
                host: "example.com".into(),
                port: 443
            }
        );
        assert_eq!(
            p.target(&url("http://example.com:8080/x")).unwrap(),
            Target::Name {
                host: "example.com".into(),
                port: 8080
            }
        );
    }

    #[test]
    fn max_bytes_is_never_zero() {
        assert_eq!(FilePolicy::new().with_max_bytes(0).max_bytes(), 1);
    }
}
