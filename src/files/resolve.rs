//! Name resolution that cannot be rebound. A name is resolved once, every answer is checked,
//! and the HTTP client is handed exactly those checked addresses ([`PinnedDns`]): it has no
//! resolver of its own, so a DNS answer that changes between the check and the connect (DNS
//! rebinding) is never seen by it.

use std::collections::HashMap;
use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use futures::future::BoxFuture;

/// Resolves a host name to socket addresses. The system resolver by default; tests script one.
pub trait HostResolver: Send + Sync {
    fn resolve<'a>(
        &'a self,
        host: &'a str,
        port: u16,
    ) -> BoxFuture<'a, io::Result<Vec<SocketAddr>>>;
}

/// The operating system's resolver (`getaddrinfo`, through tokio).
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemResolver;

impl HostResolver for SystemResolver {
    fn resolve<'a>(
        &'a self,
        host: &'a str,
        port: u16,
    ) -> BoxFuture<'a, io::Result<Vec<SocketAddr>>> {
        Box::pin(async move { Ok(tokio::net::lookup_host((host, port)).await?.collect()) })
    }
}

/// The HTTP client's only resolver: it answers with the addresses pinned for a name after they
/// were checked, and refuses every other name.
#[derive(Clone, Default)]
pub(crate) struct PinnedDns {
    pins: Arc<Mutex<HashMap<String, Vec<SocketAddr>>>>,
}

impl PinnedDns {
    /// Records the checked addresses for `host`, replacing earlier ones.
    pub(crate) fn pin(&self, host: &str, addrs: Vec<SocketAddr>) {
        let mut pins = self
            .pins
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        pins.insert(normalise(host), addrs);
    }

    fn lookup(&self, host: &str) -> Option<Vec<SocketAddr>> {
        let pins = self
            .pins
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        pins.get(&normalise(host)).cloned()
    }
}

fn normalise(host: &str) -> String {
    host.to_ascii_lowercase()
}

#[derive(Debug, thiserror::Error)]
#[error("{0} was not checked before connecting")]
struct NotPinned(String);

impl reqwest::dns::Resolve for PinnedDns {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let answer = self.lookup(name.as_str()).filter(|addrs| !addrs.is_empty());
        let host = name.as_str().to_string();
        Box::pin(async move {
            match answer {
                Some(addrs) => Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs),
                None => Err(Box::new(NotPinned(host)) as Box<dyn std::error::Error + Send + Sync>),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::dns::Resolve;

    #[tokio::test]
    async fn only_pinned_names_resolve_and_only_to_the_pinned_addresses() {
        let dns = PinnedDns::default();
        let addr: SocketAddr = "93.184.216.34:443".parse().unwrap();
        dns.pin("Example.com", vec![addr]);
        let got: Vec<_> = dns
            .resolve("example.com".parse().unwrap())
            .await
            .unwrap()
            .collect();
        assert_eq!(got, vec![addr]);
        let err = dns
            .resolve("other.example".parse().unwrap())
            .await
            .err()
            .unwrap();
        assert!(err.to_string().contains("not checked"));
    }
}
