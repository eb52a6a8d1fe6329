//! Which Telegram datacenter an address is: the obfuscated header names the DC, not the
//! address, and grammers' SOCKS5 request gives only the address. The session's DC options
//! (what `help.getConfig` and the sign-in taught it; tests point them at loopback ports) are
//! asked first, Telegram's published addresses second. An address neither knows is refused,
//! never guessed.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use grammers_session::Session;

/// Address → DC id as the obfuscated header carries it.
pub type DcDirectory = Arc<dyn Fn(SocketAddr) -> Option<i16> + Send + Sync>;

/// The DC ids Telegram's production network uses.
const DC_IDS: std::ops::RangeInclusive<i32> = 1..=5;

/// A directory reading `session`'s DC options at each lookup (a migration may add one).
pub fn from_session<S: Session>(session: Arc<S>) -> DcDirectory {
    Arc::new(move |address| {
        DC_IDS
            .filter_map(|id| session.dc_option(id).ok().flatten())
            .find(|o| SocketAddr::V4(o.ipv4) == address || SocketAddr::V6(o.ipv6) == address)
            .and_then(|o| i16::try_from(o.id).ok())
            .or_else(|| published(address.ip()))
    })
}

/// Production DCs as Telegram publishes them (grammers' defaults, the addresses
/// `help.getConfig` answers with, mtprotoproxy's list).
const PRODUCTION: [(i16, [u8; 4]); 10] = [
    (1, [149, 154, 175, 50]),
    (1, [149, 154, 175, 53]),
    (2, [149, 154, 167, 41]),
    (2, [149, 154, 167, 50]),
    (2, [149, 154, 167, 51]),
    (3, [149, 154, 175, 100]),
    (4, [149, 154, 167, 91]),
    (4, [149, 154, 167, 92]),
    (5, [149, 154, 171, 5]),
    (5, [91, 108, 56, 104]),
];

/// Test DCs (my.telegram.org lists 149.154.167.40 for DC 2). Clients add 10000 to a test
/// DC's id in the header (TDLib, Telegram Desktop), which is how the proxy tells them apart.
const TEST: [(i16, [u8; 4]); 3] = [
    (1, [149, 154, 175, 10]),
    (2, [149, 154, 167, 40]),
    (3, [149, 154, 175, 117]),
];

/// Telegram's published address for a DC, IPv4 or the IPv6 `2001:…:f00N::a` form.
pub fn published(ip: IpAddr) -> Option<i16> {
    match ip {
        IpAddr::V4(v4) => {
            let find = |list: &[(i16, [u8; 4])]| {
                list.iter()
                    .find(|(_, a)| Ipv4Addr::from(*a) == v4)
                    .map(|(id, _)| *id)
            };
            find(&PRODUCTION).or_else(|| find(&TEST).map(|id| id + 10_000))
        }
        IpAddr::V6(v6) => production_v6(v6),
    }
}

/// `2001:b28:f23d:f00N::a`, `2001:67c:4e8:f00N::a`, `2001:b28:f23f:f00N::a`.
fn production_v6(v6: Ipv6Addr) -> Option<i16> {
    let s = v6.segments();
    let networks = [
        [0x2001, 0x0b28, 0xf23d],
        [0x2001, 0x067c, 0x04e8],
        [0x2001, 0x0b28, 0xf23f],
    ];
    let id = (s[3] & 0x000f) as i16;
    (networks.iter().any(|n| s[..3] == n[..])
        && s[3] & 0xfff0 == 0xf000
        && s[4..] == [0, 0, 0, 0x000a]
        && (1..=5).contains(&id))
    .then_some(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn published_addresses_name_their_dc_and_others_none() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        assert_eq!(published(ip("149.154.167.51")), Some(2));
        assert_eq!(published(ip("91.108.56.104")), Some(5));
        assert_eq!(published(ip("149.154.167.40")), Some(10_002), "test DC 2");
        assert_eq!(published(ip("2001:67c:4e8:f004::a")), Some(4));
        assert_eq!(published(ip("2001:b28:f23d:f001::a")), Some(1));
        assert_eq!(published(ip("2001:b28:f23d:f009::a")), None);
        assert_eq!(published(ip("127.0.0.1")), None);
        assert_eq!(
            published(ip("149.154.167.99")),
            None,
            "no guessing by network"
        );
    }
}
