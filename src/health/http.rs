//! `--serve`: the health report over HTTP/1.1, for monitors (Uptime Kuma, a container
//! orchestrator, Prometheus). Two routes only — `GET /health` (the JSON; 200 when healthy,
//! 503 otherwise) and `GET /metrics` (Prometheus text) — 404 for any other path, 405 for any
//! other method. Loopback only unless `--allow-remote`; small request heads, a read deadline,
//! one request per connection, and no request body is ever read.
//!
//! Two things a hostile neighbour could otherwise do:
//!
//! - **DNS rebinding.** A web page on `evil.example`, re-pointed at 127.0.0.1, could have the
//!   user's browser read the report as same-origin. The browser still sends
//!   `Host: evil.example`, so a request whose `Host` (or absolute-form target) does not name
//!   this machine — `localhost`, a `127.x.y.z` literal or `[::1]`, any port, any letter case,
//!   `localhost.` too — gets `421 Misdirected Request` and nothing else; so does an HTTP/1.1
//!   request without `Host`. With `--allow-remote` any IP literal is accepted as well (a
//!   rebinding attack always arrives under a host *name*).
//! - **Locking the monitor out.** Idle or slow clients cannot hold the server: a connection
//!   that has not finished its request head is dropped after [`HEADER_TIMEOUT`], and when all
//!   [`MAX_CONNECTIONS`] are open, a new connection displaces the oldest one still waiting
//!   for its head. Only connections being answered (briefly) are never displaced.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::header::{ALLOW, CACHE_CONTROL, CONTENT_TYPE, HOST};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode, Version};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::AbortHandle;

use super::check::{self, Scope, Status};
use super::metrics;
use crate::config::ConfigError;

/// The request head must arrive within this, counted from the connection's start.
const HEADER_TIMEOUT: Duration = Duration::from_secs(5);
/// No connection lives longer than this.
const CONNECTION_TIMEOUT: Duration = Duration::from_secs(15);
/// Largest request head, in bytes (hyper's minimum buffer).
const MAX_HEAD_BYTES: usize = 8192;
/// Connections open at once. One more displaces the oldest connection still waiting for its
/// request head; only when every open connection is being answered is it closed instead.
const MAX_CONNECTIONS: usize = 32;

/// Parses `--serve`: `PORT`, `:PORT`, `localhost:PORT`, `IP:PORT` or `[IPv6]:PORT`. Addresses
/// that are not loopback are refused unless `allow_remote`.
pub fn parse_listen(value: &str, allow_remote: bool) -> Result<SocketAddr, ConfigError> {
    let value = value.trim();
    let bad = || {
        ConfigError(format!(
            "--serve {value:?} is not an address: give PORT, 127.0.0.1:PORT or [::1]:PORT"
        ))
    };
    let loopback_port = |port: &str| {
        port.parse::<u16>()
            .map(|p| SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), p))
            .map_err(|_| bad())
    };
    let addr = if let Some(port) = value.strip_prefix(':') {
        loopback_port(port)?
    } else if let Some(port) = value.strip_prefix("localhost:") {
        loopback_port(port)?
    } else if value.bytes().all(|b| b.is_ascii_digit()) {
        loopback_port(value)?
    } else {
        value.parse::<SocketAddr>().map_err(|_| bad())?
    };
    if !addr.ip().is_loopback() && !allow_remote {
        return Err(ConfigError(format!(
            "refusing to serve health and metrics on {addr}, which is not a loopback address: \
             pass --allow-remote to expose them beyond this machine"
        )));
    }
    Ok(addr)
}

/// Serves until `stop` resolves. The bound address (useful with port 0) is printed on stdout
/// first, as `listening on http://ADDR`.
pub async fn serve(
    addr: SocketAddr,
    scope: Scope,
    stop: impl Future<Output = ()>,
) -> anyhow::Result<()> {
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {addr}: {e}"))?;
    let bound = listener.local_addr()?;
    {
        use std::io::Write;
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "listening on http://{bound}")?;
        stdout.flush()?;
    }
    tracing::info!(address = %bound, "serving /health and /metrics");
    let scope = Arc::new(scope);
    let remote = !bound.ip().is_loopback();
    let connections = Connections::default();
    tokio::pin!(stop);
    loop {
        let (stream, peer) = tokio::select! {
            _ = &mut stop => return Ok(()),
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    tracing::warn!("accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        connections.admit(stream, peer, Arc::clone(&scope), remote);
    }
}

/// The open connections, oldest first, each with whether its request is being answered (then
/// it is never displaced) and the handle that ends it.
#[derive(Clone, Default)]
struct Connections {
    inner: Arc<Mutex<Table>>,
}

#[derive(Default)]
struct Table {
    next_id: u64,
    open: BTreeMap<u64, Open>,
}

struct Open {
    answering: bool,
    task: AbortHandle,
}

impl Connections {
    fn table(&self) -> MutexGuard<'_, Table> {
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Serves a new connection, making room for it first when every slot is taken.
    fn admit(&self, stream: TcpStream, peer: SocketAddr, scope: Arc<Scope>, remote: bool) {
        let mut table = self.table();
        if table.open.len() >= MAX_CONNECTIONS {
            let idle = table
                .open
                .iter()
                .find(|(_, open)| !open.answering)
                .map(|(id, _)| *id);
            let Some(idle) = idle else {
                drop(table);
                tracing::warn!(%peer, "every connection is being answered: closed");
                return;
            };
            let displaced = table.open.remove(&idle).map(|open| open.task);
            drop(table);
            tracing::debug!(%peer, "all connections taken: the oldest idle one is closed");
            // Outside the lock: ending the task runs its guard, which takes the lock.
            if let Some(task) = displaced {
                task.abort();
            }
            table = self.table();
        }
        let id = table.next_id;
        table.next_id += 1;
        // Spawned under the lock, so the entry exists before the connection can touch it.
        let task = tokio::spawn(self.clone().run(id, stream, peer, scope, remote));
        table.open.insert(
            id,
            Open {
                answering: false,
                task: task.abort_handle(),
            },
        );
    }

    /// Marks a connection as answering its request; false when it was displaced already.
    fn answering(&self, id: u64) -> bool {
        match self.table().open.get_mut(&id) {
            Some(open) => {
                open.answering = true;
                true
            }
            None => false,
        }
    }

    async fn run(
        self,
        id: u64,
        stream: TcpStream,
        peer: SocketAddr,
        scope: Arc<Scope>,
        remote: bool,
    ) {
        // Leaves the table however the connection ends: done, failed, timed out or displaced.
        let _entry = Entry {
            connections: self.clone(),
            id,
        };
        let service = service_fn(move |request| {
            let scope = Arc::clone(&scope);
            let admitted = self.answering(id);
            async move {
                Ok::<_, Infallible>(if admitted {
                    answer(&request, &scope, remote).await
                } else {
                    response(StatusCode::SERVICE_UNAVAILABLE, TEXT, "busy\n")
                })
            }
        });
        let connection = http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(HEADER_TIMEOUT)
            .max_buf_size(MAX_HEAD_BYTES)
            .keep_alive(false)
            .serve_connection(TokioIo::new(stream), service);
        match tokio::time::timeout(CONNECTION_TIMEOUT, connection).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::debug!(%peer, "connection ended: {e}"),
            Err(_) => tracing::debug!(%peer, "connection timed out"),
        }
    }
}

/// A connection's place in the table, given up when the connection's task ends.
struct Entry {
    connections: Connections,
    id: u64,
}

impl Drop for Entry {
    fn drop(&mut self) {
        self.connections.table().open.remove(&self.id);
    }
}

const TEXT: &str = "text/plain; charset=utf-8";

fn response(
    status: StatusCode,
    content_type: &str,
    body: impl Into<Bytes>,
) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(body.into()));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        content_type.parse().expect("valid content type"),
    );
    headers.insert(CACHE_CONTROL, "no-store".parse().expect("valid header"));
    response
}

async fn answer(request: &Request<Incoming>, scope: &Scope, remote: bool) -> Response<Full<Bytes>> {
    if !addressed_here(request, remote) {
        return response(
            StatusCode::MISDIRECTED_REQUEST,
            TEXT,
            "misdirected request: address this server as localhost, 127.0.0.1 or [::1]\n",
        );
    }
    let path = request.uri().path();
    if path != "/health" && path != "/metrics" {
        return response(
            StatusCode::NOT_FOUND,
            TEXT,
            "not found: try /health or /metrics\n",
        );
    }
    if request.method() != Method::GET {
        let mut refused = response(StatusCode::METHOD_NOT_ALLOWED, TEXT, "only GET\n");
        refused
            .headers_mut()
            .insert(ALLOW, "GET".parse().expect("valid header"));
        return refused;
    }
    let report = check::check(scope).await;
    if path == "/metrics" {
        return response(
            StatusCode::OK,
            metrics::CONTENT_TYPE,
            metrics::render(&report),
        );
    }
    let status = if report.status == Status::Healthy {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let mut body = serde_json::to_vec_pretty(&report).expect("the report serialises");
    body.push(b'\n');
    response(status, "application/json", body)
}

/// Whether the request names this server: exactly one acceptable `Host` (required from
/// HTTP/1.1 on), and an acceptable authority in an absolute-form target, if any.
fn addressed_here<B>(request: &Request<B>, remote: bool) -> bool {
    let mut hosts = request.headers().get_all(HOST).iter();
    let host_ok = match (hosts.next(), hosts.next()) {
        (Some(host), None) => host.to_str().is_ok_and(|host| host_allowed(host, remote)),
        (None, _) => request.version() < Version::HTTP_11,
        (Some(_), Some(_)) => false,
    };
    host_ok
        && request
            .uri()
            .authority()
            .is_none_or(|authority| host_allowed(authority.as_str(), remote))
}

/// Whether a `Host` value (`host[:port]`) names this machine: `localhost` (or `localhost.`),
/// an IPv4 loopback literal or `[::1]`, in any letter case, with an optional numeric port; any
/// IP literal too when `remote`. Never a name a DNS answer could re-point.
fn host_allowed(value: &str, remote: bool) -> bool {
    let value = value.trim_matches([' ', '\t']);
    let (host, port) = if let Some(rest) = value.strip_prefix('[') {
        let Some((inside, after)) = rest.split_once(']') else {
            return false;
        };
        let port = match after {
            "" => None,
            _ => match after.strip_prefix(':') {
                Some(port) => Some(port),
                None => return false,
            },
        };
        let Ok(ip) = inside.parse::<Ipv6Addr>() else {
            return false;
        };
        (Host::Ip(IpAddr::V6(ip)), port)
    } else {
        let (host, port) = match value.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (value, None),
        };
        match host.parse::<Ipv4Addr>() {
            Ok(ip) => (Host::Ip(IpAddr::V4(ip)), port),
            Err(_) => (Host::Name(host), port),
        }
    };
    let port_ok = port.is_none_or(|port| {
        !port.is_empty()
            && port.len() <= 5
            && port.bytes().all(|b| b.is_ascii_digit())
            && port.parse::<u16>().is_ok()
    });
    port_ok
        && match host {
            Host::Ip(ip) => ip.is_loopback() || remote,
            Host::Name(name) => {
                name.eq_ignore_ascii_case("localhost") || name.eq_ignore_ascii_case("localhost.")
            }
        }
}

enum Host<'a> {
    Ip(IpAddr),
    Name(&'a str),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listen_addresses_default_to_loopback_and_refuse_remote() {
        assert_eq!(
            parse_listen("8080", false).unwrap().to_string(),
            "127.0.0.1:8080"
        );
        assert_eq!(
            parse_listen(":0", false).unwrap().to_string(),
            "127.0.0.1:0"
        );
        assert_eq!(
            parse_listen("localhost:9", false).unwrap().to_string(),
            "127.0.0.1:9"
        );
        assert_eq!(
            parse_listen("[::1]:9", false).unwrap().to_string(),
            "[::1]:9"
        );
        let e = parse_listen("0.0.0.0:8080", false).unwrap_err();
        assert!(e.0.contains("--allow-remote"), "{e}");
        assert!(parse_listen("0.0.0.0:8080", true).is_ok());
        assert!(parse_listen("example.org:80", true).is_err());
        assert!(parse_listen("99999", false).is_err());
    }

    #[test]
    fn only_names_of_this_machine_are_accepted_as_host() {
        for host in [
            "localhost",
            "localhost:9464",
            "LOCALHOST:9464",
            "LocalHost",
            "localhost.",
            "localhost.:9464",
            "127.0.0.1",
            "127.0.0.1:9464",
            "127.1.2.3:80",
            "[::1]",
            "[::1]:9464",
            "[0:0:0:0:0:0:0:1]:9464",
            "localhost:0",
            "localhost:65535",
        ] {
            assert!(host_allowed(host, false), "{host}");
            assert!(host_allowed(host, true), "{host}");
        }
        for host in [
            "evil.example",
            "evil.example:9464",
            "127.0.0.1.evil.example",
            "127.0.0.1.evil.example:9464",
            "localhost.evil.example",
            "evil-localhost",
            "localhost..",
            "sub.localhost",
            "127.0.0.1.",
            "",
            ":9464",
            "localhost:",
            "localhost:65536",
            "localhost:+80",
            "localhost:80:80",
            "localhost:x",
            "user@localhost",
            "[::1",
            "[::1]x",
            "[::1]:",
            "[localhost]",
            "::1",
            "[::ffff:127.0.0.1]:80",
            "127.1",
            "2130706433",
            "0x7f000001",
            "10.0.0.5:9464",
            "[fe80::1]:9464",
            "0.0.0.0",
        ] {
            assert!(!host_allowed(host, false), "{host:?}");
        }
        // Serving beyond loopback, IP literals are fine too, names still are not.
        assert!(host_allowed("10.0.0.5:9464", true));
        assert!(host_allowed("[2001:db8::1]:9464", true));
        assert!(!host_allowed("evil.example:9464", true));
        assert!(!host_allowed("monitor.lan", true));
    }

    fn request(version: Version, target: &str, hosts: &[&str]) -> Request<()> {
        let mut builder = Request::get(target).version(version);
        for host in hosts {
            builder = builder.header(HOST, *host);
        }
        builder.body(()).unwrap()
    }

    #[test]
    fn host_is_required_from_http_1_1_and_must_be_single_and_agree_with_the_target() {
        let v11 = Version::HTTP_11;
        assert!(addressed_here(
            &request(v11, "/health", &["localhost:1"]),
            false
        ));
        assert!(!addressed_here(&request(v11, "/health", &[]), false));
        assert!(addressed_here(
            &request(Version::HTTP_10, "/health", &[]),
            false
        ));
        assert!(!addressed_here(
            &request(Version::HTTP_10, "/health", &["evil.example"]),
            false
        ));
        assert!(!addressed_here(
            &request(v11, "/health", &["localhost", "evil.example"]),
            false
        ));
        assert!(!addressed_here(
            &request(v11, "http://evil.example/health", &["localhost"]),
            false
        ));
        assert!(addressed_here(
            &request(v11, "http://127.0.0.1:9/health", &["localhost"]),
            false
        ));
    }
}
