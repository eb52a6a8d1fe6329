//! `MTPROTO_PROXY` read as the Python server (Telethon) and Telegram's apps write it: a
//! `tg://proxy?…` or `t.me/proxy?…` link, `host:port:secret`, or a `socks5://` URL.
//!
//! A malformed value is refused with one sentence naming the part that is wrong and what was
//! expected; the secret itself is never repeated (it is the proxy's password).

use std::fmt;

use base64::Engine as _;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};

/// The longest cover domain a fake-TLS secret may carry: TDLib's limit
/// (`ProxySecret::MAX_DOMAIN_LENGTH`), which keeps the ClientHello within one 517-byte record.
pub const MAX_DOMAIN_LENGTH: usize = 182;

/// The proxy the Telegram connection goes through.
#[derive(Clone, PartialEq, Eq)]
pub enum ProxySetting {
    /// `socks5://[user:pass@]host:port`, handed to grammers as it is.
    Socks5(String),
    /// An MTProto proxy, reached through the in-process relay (see `super::relay`).
    MtProto(MtProxy),
}

/// An MTProto proxy: where it listens and the secret it expects.
#[derive(Clone, PartialEq, Eq)]
pub struct MtProxy {
    /// A host name or an IP address (IPv6 without brackets).
    pub host: String,
    pub port: u16,
    pub secret: Secret,
}

/// The three kinds of MTProto proxy secret, told apart by their first byte.
#[derive(Clone, PartialEq, Eq)]
pub enum Secret {
    /// 16 bytes: obfuscated intermediate transport.
    Plain([u8; 16]),
    /// `dd` + 16 bytes: obfuscated padded intermediate transport (random padding).
    Padded([u8; 16]),
    /// `ee` + 16 bytes + the cover domain: padded intermediate inside fake TLS records.
    FakeTls { key: [u8; 16], domain: String },
}

impl Secret {
    /// The 16 bytes the keys are derived from.
    pub fn key(&self) -> &[u8; 16] {
        match self {
            Secret::Plain(key) | Secret::Padded(key) | Secret::FakeTls { key, .. } => key,
        }
    }

    /// What kind of secret this is, in words (for logs: never the bytes).
    pub fn kind(&self) -> &'static str {
        match self {
            Secret::Plain(_) => "plain",
            Secret::Padded(_) => "dd (random padding)",
            Secret::FakeTls { .. } => "ee (fake TLS)",
        }
    }
}

// The secret is a password: `Debug` names its kind only.
impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({}, <hidden>)", self.kind())
    }
}

impl fmt::Debug for MtProxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MtProxy")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("secret", &self.secret)
            .finish()
    }
}

impl fmt::Debug for ProxySetting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProxySetting::Socks5(_) => f.write_str("Socks5(<hidden>)"),
            ProxySetting::MtProto(proxy) => proxy.fmt(f),
        }
    }
}

/// Why a value was refused: one line, never holding the secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkError(pub String);

impl fmt::Display for LinkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn bad(message: impl Into<String>) -> LinkError {
    LinkError(format!("MTPROTO_PROXY {}", message.into()))
}

const FORMS: &str = "tg://proxy?server=HOST&port=PORT&secret=SECRET, \
     https://t.me/proxy?server=…, HOST:PORT:SECRET or socks5://[user:pass@]host:port";

/// Reads `MTPROTO_PROXY`; empty means no proxy.
pub fn parse(value: &str) -> Result<Option<ProxySetting>, LinkError> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(None);
    }
    let lower = value.to_ascii_lowercase();
    if lower.starts_with("socks5://") {
        return parse_socks5(value).map(|v| Some(ProxySetting::Socks5(v)));
    }
    if let Some(query) = link_query(value, &lower) {
        return parse_query(query).map(|p| Some(ProxySetting::MtProto(p)));
    }
    if let Some((scheme, _)) = lower.split_once("://") {
        // The scheme alone: anything after it may hold a password.
        let scheme: String = scheme.chars().take(16).collect();
        return Err(bad(format!(
            "has an unsupported scheme {scheme:?}: expected {FORMS}"
        )));
    }
    parse_triple(value).map(|p| Some(ProxySetting::MtProto(p)))
}

/// The query of a proxy link (`tg://proxy?…`, `[http[s]://]t.me/proxy?…`,
/// `telegram.me`), or `None` when the value is no such link.
fn link_query<'a>(value: &'a str, lower: &str) -> Option<&'a str> {
    let rest_at = if let Some(rest) = lower.strip_prefix("tg://") {
        value.len() - rest.len()
    } else {
        let after_scheme = ["https://", "http://"]
            .iter()
            .find_map(|s| lower.strip_prefix(s))
            .unwrap_or(lower);
        let host = ["t.me/", "telegram.me/", "www.t.me/", "www.telegram.me/"]
            .iter()
            .find_map(|h| after_scheme.strip_prefix(h))?;
        value.len() - host.len()
    };
    let rest = &value[rest_at..];
    let (path, query) = rest.split_once('?')?;
    path.trim_end_matches('/')
        .eq_ignore_ascii_case("proxy")
        .then_some(query)
}

fn parse_socks5(value: &str) -> Result<String, LinkError> {
    let rest = &value["socks5://".len()..];
    let host_port = rest.rsplit_once('@').map_or(rest, |(_, hp)| hp);
    let host_port = host_port.trim_end_matches('/');
    let valid = host_port
        .rsplit_once(':')
        .is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok_and(|p| p > 0));
    if !valid {
        return Err(bad(
            "must name a host and port: socks5://[user:pass@]host:port",
        ));
    }
    Ok(value.to_string())
}

/// `server=…&port=…&secret=…` in any order, percent-decoded (`+` stays `+`: base64 uses it).
fn parse_query(query: &str) -> Result<MtProxy, LinkError> {
    let query = query.split('#').next().unwrap_or_default();
    let (mut server, mut port, mut secret) = (None, None, None);
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let decoded = percent_encoding::percent_decode_str(value)
            .decode_utf8()
            .map_err(|_| bad(format!("link's {key} is not valid percent-encoded UTF-8")))?
            .into_owned();
        let slot = match key.to_ascii_lowercase().as_str() {
            "server" => &mut server,
            "port" => &mut port,
            "secret" => &mut secret,
            _ => continue,
        };
        slot.get_or_insert(decoded);
    }
    let missing = |what: &str| bad(format!("link has no {what}= parameter: expected {FORMS}"));
    let server = server.ok_or_else(|| missing("server"))?;
    let port = port.ok_or_else(|| missing("port"))?;
    let secret = secret.ok_or_else(|| missing("secret"))?;
    let host = server.trim();
    let host = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    Ok(MtProxy {
        host: parse_host(host)?,
        port: parse_port(&port)?,
        secret: parse_secret(secret.trim())?,
    })
}

/// `host:port:secret`, the host an IPv6 address in brackets if it is one.
fn parse_triple(value: &str) -> Result<MtProxy, LinkError> {
    let shape = || {
        bad(format!(
            "must be one of {FORMS} (an IPv6 host in brackets: [::1]:443:SECRET)"
        ))
    };
    let (host, rest) = if let Some(bracketed) = value.strip_prefix('[') {
        let (host, rest) = bracketed.split_once(']').ok_or_else(shape)?;
        (host, rest.strip_prefix(':').ok_or_else(shape)?)
    } else {
        value.split_once(':').ok_or_else(shape)?
    };
    let (port, secret) = rest.split_once(':').ok_or_else(shape)?;
    if secret.contains(':') {
        return Err(shape());
    }
    Ok(MtProxy {
        host: parse_host(host)?,
        port: parse_port(port)?,
        secret: parse_secret(secret)?,
    })
}

fn parse_host(host: &str) -> Result<String, LinkError> {
    if host.parse::<std::net::IpAddr>().is_ok() {
        return Ok(host.to_string());
    }
    let valid = !host.is_empty()
        && host.len() <= 253
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.' || c == '_');
    if !valid {
        return Err(bad(
            "server must be a host name or an IP address (letters, digits, '-', '.')",
        ));
    }
    Ok(host.to_string())
}

fn parse_port(port: &str) -> Result<u16, LinkError> {
    port.trim()
        .parse::<u16>()
        .ok()
        .filter(|p| *p > 0)
        .ok_or_else(|| bad("port must be a number from 1 to 65535"))
}

const SECRET_FORMS: &str = "32 hex digits, dd + 32 hex digits, ee + 32 hex digits + the \
     cover domain in hex, or the same bytes in base64";

/// The secret's bytes, from hex (any case) or base64 / base64url (padded or not).
pub fn parse_secret(text: &str) -> Result<Secret, LinkError> {
    if !text.len().is_multiple_of(2) && text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(bad(format!(
            "secret has an odd number of hex digits ({}): expected {SECRET_FORMS}",
            text.len()
        )));
    }
    let bytes = decode_hex(text)
        .or_else(|| decode_base64(text))
        .ok_or_else(|| {
            bad(format!(
                "secret is neither hex nor base64 ({} characters): expected {SECRET_FORMS}",
                text.chars().count()
            ))
        })?;
    secret_from_bytes(&bytes)
}

fn secret_from_bytes(bytes: &[u8]) -> Result<Secret, LinkError> {
    let key = |b: &[u8]| -> Option<[u8; 16]> { b.get(..16)?.try_into().ok() };
    match bytes {
        [0xdd, rest @ ..] if rest.len() == 16 => Ok(Secret::Padded(key(rest).unwrap_or_default())),
        [0xee, rest @ ..] if rest.len() > 16 => {
            let domain = std::str::from_utf8(&rest[16..])
                .ok()
                .filter(|d| valid_domain(d))
                .ok_or_else(|| {
                    bad(format!(
                        "secret's cover domain (after ee and 16 bytes) must be a host name \
                         of at most {MAX_DOMAIN_LENGTH} letters, digits, '-' and '.'"
                    ))
                })?;
            Ok(Secret::FakeTls {
                key: key(rest).unwrap_or_default(),
                domain: domain.to_ascii_lowercase(),
            })
        }
        [0xee, rest @ ..] if rest.len() == 16 => Err(bad(
            "secret starts with ee (fake TLS) but carries no cover domain after its 16 bytes",
        )),
        _ if bytes.len() == 16 => Ok(Secret::Plain(key(bytes).unwrap_or_default())),
        _ => Err(bad(format!(
            "secret has {} bytes: expected {SECRET_FORMS}",
            bytes.len()
        ))),
    }
}

fn valid_domain(domain: &str) -> bool {
    !domain.is_empty()
        && domain.len() <= MAX_DOMAIN_LENGTH
        && domain
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).ok())
        .collect()
}

/// Standard and URL-safe alphabets, with or without `=` padding.
fn decode_base64(text: &str) -> Option<Vec<u8>> {
    let lenient =
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);
    let engines = [
        GeneralPurpose::new(&base64::alphabet::URL_SAFE, lenient),
        GeneralPurpose::new(&base64::alphabet::STANDARD, lenient),
    ];
    engines.iter().find_map(|e| e.decode(text).ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose;

    const KEY_HEX: &str = "0123456789abcdef0123456789abcdef";
    const KEY: [u8; 16] = [
        0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd,
        0xef,
    ];

    fn mt(value: &str) -> MtProxy {
        match parse(value) {
            Ok(Some(ProxySetting::MtProto(p))) => p,
            other => panic!("{value}: {other:?}"),
        }
    }

    fn refused(value: &str) -> String {
        let e = parse(value).expect_err(value).0;
        assert!(e.starts_with("MTPROTO_PROXY "), "{e}");
        assert!(!e.contains('\n'), "one line: {e}");
        e
    }

    #[test]
    fn every_link_form_reads_the_same_proxy() {
        let expected = MtProxy {
            host: "proxy.example".into(),
            port: 443,
            secret: Secret::Plain(KEY),
        };
        for value in [
            format!("tg://proxy?server=proxy.example&port=443&secret={KEY_HEX}"),
            format!("TG://proxy?secret={KEY_HEX}&server=proxy.example&port=443"),
            format!("https://t.me/proxy?port=443&server=proxy.example&secret={KEY_HEX}"),
            format!("http://t.me/proxy?server=proxy.example&port=443&secret={KEY_HEX}"),
            format!("t.me/proxy?server=proxy.example&port=443&secret={KEY_HEX}"),
            format!("https://telegram.me/proxy/?server=proxy.example&port=443&secret={KEY_HEX}"),
            format!("https://t.me/proxy?server=proxy%2Eexample&port=%34%343&secret={KEY_HEX}"),
            format!("  proxy.example:443:{}  ", KEY_HEX.to_ascii_uppercase()),
            format!("tg://proxy?server=proxy.example&port=443&secret={KEY_HEX}&bot=x#frag"),
        ] {
            assert_eq!(mt(&value), expected, "{value}");
        }
    }

    #[test]
    fn ipv6_hosts_in_brackets_and_in_links() {
        let p = mt(&format!("[::1]:443:{KEY_HEX}"));
        assert_eq!((p.host.as_str(), p.port), ("::1", 443));
        let p = mt(&format!(
            "tg://proxy?server=2001:db8::1&port=8443&secret={KEY_HEX}"
        ));
        assert_eq!((p.host.as_str(), p.port), ("2001:db8::1", 8443));
        let p = mt(&format!(
            "tg://proxy?server=%5B2001:db8::1%5D&port=1&secret={KEY_HEX}"
        ));
        assert_eq!(p.host, "2001:db8::1");
    }

    #[test]
    fn the_three_kinds_of_secret_in_hex_and_base64() {
        assert_eq!(parse_secret(KEY_HEX).unwrap(), Secret::Plain(KEY));
        assert_eq!(
            parse_secret(&format!("DD{KEY_HEX}")).unwrap(),
            Secret::Padded(KEY)
        );
        let google = hex_of(b"google.com");
        assert_eq!(
            parse_secret(&format!("ee{KEY_HEX}{google}")).unwrap(),
            Secret::FakeTls {
                key: KEY,
                domain: "google.com".into()
            }
        );
        // Telegram's apps write ee secrets in base64url (the brief's example: a zero key).
        assert_eq!(
            parse_secret("7gAAAAAAAAAAAAAAAAAAAABnb29nbGUuY29t").unwrap(),
            Secret::FakeTls {
                key: [0; 16],
                domain: "google.com".into()
            }
        );
        let b64 = |bytes: &[u8], engine: &GeneralPurpose| engine.encode(bytes);
        let mut dd = vec![0xdd];
        dd.extend([0xfb; 16]);
        for engine in [
            &general_purpose::STANDARD,
            &general_purpose::URL_SAFE_NO_PAD,
        ] {
            assert_eq!(
                parse_secret(&b64(&dd, engine)).unwrap(),
                Secret::Padded([0xfb; 16])
            );
            assert_eq!(
                parse_secret(&b64(&[0xfb; 16], engine)).unwrap(),
                Secret::Plain([0xfb; 16])
            );
        }
    }

    #[test]
    fn socks5_is_kept_as_written() {
        for value in ["socks5://127.0.0.1:1080", "socks5://u:p@proxy.example:9050"] {
            assert_eq!(
                parse(value).unwrap(),
                Some(ProxySetting::Socks5(value.into()))
            );
        }
        assert!(refused("socks5://hostonly").contains("host and port"));
        assert!(refused("socks5://host:0").contains("host and port"));
        assert_eq!(parse("").unwrap(), None);
        assert_eq!(parse("   ").unwrap(), None);
    }

    #[test]
    fn malformed_values_say_which_part_without_the_secret() {
        let secret = "feedfacefeedfacefeedfacefeedfac";
        let cases = [
            (
                "http://proxy:8080".to_string(),
                "unsupported scheme \"http\"",
            ),
            (format!("tg://proxy?server=h&secret={KEY_HEX}"), "no port="),
            (format!("tg://proxy?port=1&secret={KEY_HEX}"), "no server="),
            ("tg://proxy?server=h&port=1".into(), "no secret="),
            (format!("h:0:{KEY_HEX}"), "port must be"),
            (format!("h:99999:{KEY_HEX}"), "port must be"),
            (format!("h:x:{KEY_HEX}"), "port must be"),
            (format!("bad host:1:{KEY_HEX}"), "server must be"),
            (format!("h:1:{secret}"), "odd number of hex digits (31)"),
            (
                "h:1:not*a*secret".into(),
                "neither hex nor base64 (12 characters)",
            ),
            (format!("h:1:{secret}abc"), "secret has 17 bytes"),
            (format!("h:1:ee{KEY_HEX}"), "no cover domain"),
            (
                format!("h:1:ee{KEY_HEX}{}", hex_of(b"bad domain")),
                "cover domain",
            ),
            (format!("h:1:dd{KEY_HEX}00"), "secret has 18 bytes"),
            ("just-a-host".into(), "must be one of"),
            (format!("[::1:443:{KEY_HEX}"), "must be one of"),
            (format!("h:1:{KEY_HEX}:extra"), "must be one of"),
        ];
        for (value, expected) in cases {
            let e = refused(&value);
            assert!(e.contains(expected), "{value}: {e}");
            for part in [secret, KEY_HEX] {
                assert!(!e.contains(part), "{value}: secret echoed: {e}");
            }
        }
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let p = mt(&format!("h:1:dd{KEY_HEX}"));
        let shown = format!("{:?}", ProxySetting::MtProto(p));
        assert!(!shown.contains("0123") && !shown.contains("[1,"), "{shown}");
        assert!(shown.contains("dd (random padding)"), "{shown}");
        let socks = format!("{:?}", parse("socks5://u:pw@h:1").unwrap());
        assert!(!socks.contains("pw"), "{socks}");
    }

    fn hex_of(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }
}
