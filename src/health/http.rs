//! `--serve`: the health report over HTTP/1.1, for monitors (Uptime Kuma, a container
//! orchestrator, Prometheus). Two routes only — `GET /health` (the JSON; 200 when healthy,
//! 503 otherwise) and `GET /metrics` (Prometheus text) — 404 for any other path, 405 for any
//! other method. Loopback only unless `--allow-remote`; small request heads, a read deadline,
//! a cap on open connections, and no request body is ever read.

use std::convert::Infallible;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::header::{ALLOW, CACHE_CONTROL, CONTENT_TYPE};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use super::check::{self, Scope, Status};
use super::metrics;
use crate::config::ConfigError;

/// The request head must arrive within this.
const HEADER_TIMEOUT: Duration = Duration::from_secs(5);
/// No connection lives longer than this.
const CONNECTION_TIMEOUT: Duration = Duration::from_secs(30);
/// Largest request head, in bytes (hyper's minimum buffer).
const MAX_HEAD_BYTES: usize = 8192;
/// Connections served at once; more are closed at once.
const MAX_CONNECTIONS: usize = 16;

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
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
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
        let Ok(slot) = Arc::clone(&slots).try_acquire_owned() else {
            tracing::warn!(%peer, "too many connections: closed");
            continue;
        };
        let scope = Arc::clone(&scope);
        tokio::spawn(async move {
            let service = service_fn(move |request| {
                let scope = Arc::clone(&scope);
                async move { Ok::<_, Infallible>(answer(&request, &scope).await) }
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
            drop(slot);
        });
    }
}

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

async fn answer(request: &Request<Incoming>, scope: &Scope) -> Response<Full<Bytes>> {
    const TEXT: &str = "text/plain; charset=utf-8";
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
}
