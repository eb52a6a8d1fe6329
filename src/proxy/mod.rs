//! MTProto proxies (`MTPROTO_PROXY`), without forking grammers: the value is read in `link`,
//! and an in-process relay (`relay`) that grammers reaches as its SOCKS5 proxy (`socks`)
//! speaks the proxy's protocol for it: the obfuscated header and ciphers (`obfuscated`),
//! (padded) intermediate framing (`framing`), fake TLS for `ee` secrets (`fake_tls`), the DC
//! id named from the address grammers asked for (`datacenters`). A `socks5://` proxy is
//! handed to grammers as it is.

pub mod datacenters;
pub mod fake_tls;
pub mod framing;
pub mod link;
pub mod obfuscated;
pub mod relay;
pub mod socks;

pub use link::{MtProxy, ProxySetting, Secret};

use std::sync::Arc;

use datacenters::DcDirectory;
use relay::Relay;

/// How grammers reaches Telegram: directly, through a SOCKS5 proxy, or through the relay to
/// an MTProto proxy (which lives as long as this value).
#[derive(Clone, Default)]
pub struct Route {
    socks_url: Option<String>,
    relay: Option<Arc<Relay>>,
}

impl Route {
    /// The route for `setting`, starting the relay on the current runtime for an MTProto
    /// proxy; `directory` names the DC of an address grammers asks for.
    pub async fn start(
        setting: Option<&ProxySetting>,
        directory: DcDirectory,
    ) -> std::io::Result<Route> {
        Ok(match setting {
            None => Route::default(),
            Some(ProxySetting::Socks5(url)) => Route {
                socks_url: Some(url.clone()),
                relay: None,
            },
            Some(ProxySetting::MtProto(proxy)) => {
                let relay = Relay::start(proxy.clone(), directory).await?;
                Route {
                    socks_url: Some(relay.socks_url().to_string()),
                    relay: Some(Arc::new(relay)),
                }
            }
        })
    }

    /// The `proxy_url` grammers is given.
    pub fn proxy_url(&self) -> Option<String> {
        self.socks_url.clone()
    }

    /// Why the MTProto proxy failed last, worded for the user, if nothing has worked since.
    pub fn last_failure(&self) -> Option<String> {
        self.relay
            .as_ref()
            .and_then(|r| r.last_failure())
            .map(|f| f.to_string())
    }
}
