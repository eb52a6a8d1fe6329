//! Which IP addresses a URL may reach. A URL the model picks must not become a way into the
//! user's own machine, network or cloud account (SSRF), so every address is sorted into a
//! class here, and only [`AddressClass::Public`] is fetched by default.
//!
//! IPv6 forms that carry an IPv4 address (mapped, compatible, translated, 6to4, NAT64) are
//! judged by the IPv4 address inside them: `::ffff:10.0.0.5` is as private as `10.0.0.5`. IPv6
//! outside the global unicast block `2000::/3` is never public.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// What kind of address an IP is, as far as fetching a file from it is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AddressClass {
    /// Globally routable unicast: allowed.
    Public,
    /// 127.0.0.0/8, ::1.
    Loopback,
    /// RFC 1918 (10/8, 172.16/12, 192.168/16) and deprecated IPv6 site-local (fec0::/10).
    Private,
    /// IPv6 unique-local addresses, fc00::/7.
    UniqueLocal,
    /// 169.254.0.0/16, fe80::/10.
    LinkLocal,
    /// Carrier-grade NAT shared space, 100.64.0.0/10.
    SharedCgnat,
    /// 224.0.0.0/4, ff00::/8.
    Multicast,
    /// 0.0.0.0, :: (on Linux, connecting to them reaches the local host).
    Unspecified,
    /// 255.255.255.255.
    Broadcast,
    /// 192.0.2/24, 198.51.100/24, 203.0.113/24, 2001:db8::/32, 3fff::/20.
    Documentation,
    /// 198.18.0.0/15, 2001:2::/48.
    Benchmarking,
    /// Cloud instance metadata services (169.254.169.254, fd00:ec2::254, …): they hand out
    /// credentials, so they stay refused even when private addresses are allowed.
    CloudMetadata,
    /// Everything else that is not globally routable: 0/8, 192.0.0/24, 240/4, 6to4 relays,
    /// Teredo, ORCHID, discard-only, local-use NAT64, unassigned IPv6.
    Reserved,
}

impl AddressClass {
    /// The class as a phrase that completes "refused: 10.0.0.5 is …".
    pub fn describe(self) -> &'static str {
        match self {
            AddressClass::Public => "a public address",
            AddressClass::Loopback => "a loopback address",
            AddressClass::Private => "a private address",
            AddressClass::UniqueLocal => "a unique-local (private) address",
            AddressClass::LinkLocal => "a link-local address",
            AddressClass::SharedCgnat => "a shared (carrier-grade NAT) address",
            AddressClass::Multicast => "a multicast address",
            AddressClass::Unspecified => "an unspecified address",
            AddressClass::Broadcast => "the broadcast address",
            AddressClass::Documentation => "a documentation address",
            AddressClass::Benchmarking => "a benchmarking address",
            AddressClass::CloudMetadata => "a cloud metadata address",
            AddressClass::Reserved => "a reserved address",
        }
    }

    /// Classes refused even with `BLOCK_PRIVATE_IPS=false`: turning the private-address block
    /// off is for reaching a server on the user's network, and none of these is one.
    pub fn always_refused(self) -> bool {
        matches!(
            self,
            AddressClass::CloudMetadata
                | AddressClass::Unspecified
                | AddressClass::Multicast
                | AddressClass::Broadcast
        )
    }
}

impl fmt::Display for AddressClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.describe())
    }
}

/// Host names of metadata services, refused before they are even resolved (lower case, no
/// trailing dot). Their addresses are refused too; the names make the refusal clear, do not
/// depend on what a resolver answers, and cover the services that sit at public addresses.
const METADATA_HOSTS: &[&str] = &[
    "metadata.google.internal",     // GCP
    "metadata.goog",                // GCP
    "metadata",                     // GCP, through the instance's DNS search domain
    "instance-data",                // AWS EC2, through the VPC's DNS search domain
    "instance-data.ec2.internal",   // AWS EC2 (us-east-1; see also is_metadata_host)
    "metadata.tencentyun.com",      // Tencent Cloud
    "api.metadata.cloud.ibm.com",   // IBM Cloud VPC
    "metadata.platformequinix.com", // Equinix Metal (a public address)
    "metadata.packet.net",          // Equinix Metal, formerly Packet (a public address)
];

/// True for a host name that belongs to a cloud metadata service, in any letter case and with
/// or without trailing dots.
pub fn is_metadata_host(host: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    METADATA_HOSTS.contains(&host.as_str())
        // AWS EC2 outside us-east-1: instance-data.<region>.compute.internal.
        || (host.starts_with("instance-data.") && host.ends_with(".internal"))
}

/// Metadata services at IPv4 addresses. Most would otherwise be merely link-local, CGNAT or
/// reserved (allowed with `BLOCK_PRIVATE_IPS=false`); Azure's WireServer is even public. Every
/// IPv6 form carrying one of these (mapped, compatible, translated, NAT64, 6to4) is refused too.
const METADATA_V4: &[Ipv4Addr] = &[
    // AWS EC2 IMDS, GCP, Azure IMDS, Oracle Cloud, OpenStack, DigitalOcean, Hetzner,
    // Linode/Akamai, Vultr, IBM Cloud, …
    Ipv4Addr::new(169, 254, 169, 254),
    Ipv4Addr::new(169, 254, 170, 2), // AWS ECS task metadata and task-role credentials
    Ipv4Addr::new(169, 254, 170, 23), // AWS EKS Pod Identity agent (credentials)
    Ipv4Addr::new(168, 63, 129, 16), // Azure WireServer (a public address)
    Ipv4Addr::new(100, 100, 100, 200), // Alibaba Cloud
    Ipv4Addr::new(192, 0, 0, 192),   // Oracle Cloud (Classic, Cloud@Customer)
    Ipv4Addr::new(169, 254, 0, 23),  // Tencent Cloud (metadata.tencentyun.com)
    Ipv4Addr::new(169, 254, 42, 42), // Scaleway
];

/// Metadata services at IPv6 addresses (unique-local or link-local otherwise).
const METADATA_V6: &[Ipv6Addr] = &[
    Ipv6Addr::new(0xfd20, 0x00ce, 0, 0, 0, 0, 0, 0x0254), // GCP (IPv6-only instances)
    Ipv6Addr::new(0xfd00, 0x00c1, 0, 0, 0, 0, 0xa9fe, 0xa9fe), // Oracle Cloud
    Ipv6Addr::new(0xfd00, 0x0042, 0, 0, 0, 0, 0, 0x0042), // Scaleway
    Ipv6Addr::new(0xfd00, 0xa9fe, 0xa9fe, 0, 0, 0, 0, 1), // Linode/Akamai
    Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0xa9fe, 0xa9fe), // OpenStack (Victoria on), Linode
    // Alibaba Cloud: widely listed, not confirmed in Alibaba's own documentation.
    Ipv6Addr::new(0xfd00, 0x0100, 0, 0, 0, 0, 0x0100, 0x0200),
];

/// AWS's IPv6 service block, fd00:ec2::/32, refused whole: EC2 IMDS (`fd00:ec2::254`), EKS Pod
/// Identity (`fd00:ec2::23`), and beside them the VPC resolver (`::253`) and time sync
/// (`::123`), none of which serves files. (AWS documents no IPv6 address for ECS task
/// metadata; a future one would most likely land here.)
const AWS_V6_SERVICES: u128 = 0xfd00_0ec2 << 96;

/// The local-use NAT64 prefix, 64:ff9b:1::/48 (RFC 8215): a translator there may use any
/// prefix length of RFC 6052 from /48 to /96, each of which puts the IPv4 address elsewhere.
const LOCAL_NAT64: u128 = 0x0064_ff9b_0001 << 80;

/// IPv4 blocks, most specific first where they overlap (0.0.0.0/32 before 0.0.0.0/8).
const V4_BLOCKS: &[([u8; 4], u8, AddressClass)] = &[
    ([0, 0, 0, 0], 32, AddressClass::Unspecified),
    ([255, 255, 255, 255], 32, AddressClass::Broadcast),
    ([0, 0, 0, 0], 8, AddressClass::Reserved),
    ([10, 0, 0, 0], 8, AddressClass::Private),
    ([100, 64, 0, 0], 10, AddressClass::SharedCgnat),
    ([127, 0, 0, 0], 8, AddressClass::Loopback),
    ([169, 254, 0, 0], 16, AddressClass::LinkLocal),
    ([172, 16, 0, 0], 12, AddressClass::Private),
    ([192, 0, 0, 0], 24, AddressClass::Reserved),
    ([192, 0, 2, 0], 24, AddressClass::Documentation),
    ([192, 88, 99, 0], 24, AddressClass::Reserved),
    ([192, 168, 0, 0], 16, AddressClass::Private),
    ([198, 18, 0, 0], 15, AddressClass::Benchmarking),
    ([198, 51, 100, 0], 24, AddressClass::Documentation),
    ([203, 0, 113, 0], 24, AddressClass::Documentation),
    ([224, 0, 0, 0], 4, AddressClass::Multicast),
    ([240, 0, 0, 0], 4, AddressClass::Reserved),
];

/// IPv6 blocks that carry no IPv4 address; checked after the embedded forms.
const V6_BLOCKS: &[(u128, u8, AddressClass)] = &[
    (0x0100_0000_0000_0000 << 64, 64, AddressClass::Reserved), // 100::/64 discard-only
    (0x0064_ff9b_0001 << 80, 48, AddressClass::Reserved),      // 64:ff9b:1::/48 local NAT64
    (0x2001_0000 << 96, 32, AddressClass::Reserved),           // Teredo
    (0x2001_0002_0000 << 80, 48, AddressClass::Benchmarking),  // 2001:2::/48
    (0x2001_0010 << 96, 28, AddressClass::Reserved),           // ORCHID
    (0x2001_0020 << 96, 28, AddressClass::Reserved),           // ORCHIDv2
    (0x2001_0db8 << 96, 32, AddressClass::Documentation),      // 2001:db8::/32
    (0x3fff << 112, 20, AddressClass::Documentation),          // 3fff::/20
    (0xfc00 << 112, 7, AddressClass::UniqueLocal),             // fc00::/7
    (0xfe80 << 112, 10, AddressClass::LinkLocal),              // fe80::/10
    (0xfec0 << 112, 10, AddressClass::Private),                // site-local, deprecated
    (0xff00 << 112, 8, AddressClass::Multicast),               // ff00::/8
];

/// Sorts an address into its class.
pub fn classify(ip: IpAddr) -> AddressClass {
    match ip {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => classify_v6(v6),
    }
}

fn classify_v4(ip: Ipv4Addr) -> AddressClass {
    if METADATA_V4.contains(&ip) {
        return AddressClass::CloudMetadata;
    }
    let bits = u32::from(ip);
    V4_BLOCKS
        .iter()
        .find(|(net, len, _)| prefix_matches_v4(bits, u32::from_be_bytes(*net), *len))
        .map_or(AddressClass::Public, |(_, _, class)| *class)
}

fn classify_v6(ip: Ipv6Addr) -> AddressClass {
    let bits = u128::from(ip);
    if METADATA_V6.contains(&ip)
        || prefix_matches_v6(bits, AWS_V6_SERVICES, 32)
        || local_nat64_carries_metadata(ip)
    {
        return AddressClass::CloudMetadata;
    }
    if bits == 0 {
        return AddressClass::Unspecified;
    }
    if bits == 1 {
        return AddressClass::Loopback;
    }
    if let Some((v4, form)) = embedded_v4(bits) {
        return match (classify_v4(v4), form) {
            // Deprecated or translation-only forms have no business on the public internet.
            (AddressClass::Public, Embedding::Compatible | Embedding::Translated) => {
                AddressClass::Reserved
            }
            (class, _) => class,
        };
    }
    if let Some((_, _, class)) = V6_BLOCKS
        .iter()
        .find(|(net, len, _)| prefix_matches_v6(bits, *net, *len))
    {
        return *class;
    }
    if prefix_matches_v6(bits, 0x2000 << 112, 3) {
        AddressClass::Public
    } else {
        AddressClass::Reserved
    }
}

/// How an IPv6 address carries an IPv4 one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Embedding {
    /// ::ffff:a.b.c.d — the IPv4 address itself, seen from a dual-stack socket.
    Mapped,
    /// ::a.b.c.d — deprecated IPv4-compatible.
    Compatible,
    /// ::ffff:0:a.b.c.d — SIIT IPv4-translated.
    Translated,
    /// 64:ff9b::a.b.c.d — the well-known NAT64 prefix.
    Nat64,
    /// 2002:aabb:ccdd::/48 — 6to4.
    SixToFour,
}

fn embedded_v4(bits: u128) -> Option<(Ipv4Addr, Embedding)> {
    let low32 = Ipv4Addr::from((bits & 0xffff_ffff) as u32);
    let form = if bits >> 32 == 0xffff {
        Embedding::Mapped
    } else if bits >> 32 == 0 {
        Embedding::Compatible
    } else if bits >> 32 == 0xffff_0000 {
        Embedding::Translated
    } else if bits >> 32 == 0x0064_ff9b_0000_0000_0000_0000 {
        Embedding::Nat64
    } else if bits >> 112 == 0x2002 {
        let v4 = Ipv4Addr::from(((bits >> 80) & 0xffff_ffff) as u32);
        return Some((v4, Embedding::SixToFour));
    } else {
        return None;
    };
    Some((low32, form))
}

/// True when `ip` is in the local-use NAT64 prefix and carries a metadata IPv4 address at one
/// of the places RFC 6052 puts it for a /48, /56, /64 or /96 translator prefix (octet 8, the
/// "u" octet, is always skipped).
fn local_nat64_carries_metadata(ip: Ipv6Addr) -> bool {
    if !prefix_matches_v6(u128::from(ip), LOCAL_NAT64, 48) {
        return false;
    }
    let o = ip.octets();
    [
        [o[6], o[7], o[9], o[10]],    // /48
        [o[7], o[9], o[10], o[11]],   // /56
        [o[9], o[10], o[11], o[12]],  // /64
        [o[12], o[13], o[14], o[15]], // /96
    ]
    .into_iter()
    .any(|v4| METADATA_V4.contains(&Ipv4Addr::from(v4)))
}

fn prefix_matches_v4(ip: u32, net: u32, len: u8) -> bool {
    let mask = if len == 0 { 0 } else { u32::MAX << (32 - len) };
    ip & mask == net & mask
}

fn prefix_matches_v6(ip: u128, net: u128, len: u8) -> bool {
    let mask = if len == 0 {
        0
    } else {
        u128::MAX << (128 - len)
    };
    ip & mask == net & mask
}

#[cfg(test)]
mod tests {
    use super::*;

    fn class(text: &str) -> AddressClass {
        classify(text.parse().unwrap_or_else(|e| panic!("{text}: {e}")))
    }

    fn assert_all(expected: AddressClass, addresses: &[&str]) {
        for a in addresses {
            assert_eq!(class(a), expected, "{a}");
        }
    }

    #[test]
    fn public_addresses_pass() {
        assert_all(
            AddressClass::Public,
            &[
                "1.1.1.1",
                "8.8.8.8",
                "93.184.216.34",
                "100.63.255.255",
                "100.128.0.0",
                "172.15.255.255",
                "172.32.0.0",
                "192.167.255.255",
                "192.169.0.0",
                "198.17.255.255",
                "198.20.0.0",
                "223.255.255.255",
                "169.253.255.255",
                "2606:4700:4700::1111",
                "2a00:1450:4001:80b::200e",
                "::ffff:8.8.8.8",
                "64:ff9b::808:808",
                "2002:808:808::1",
            ],
        );
    }

    #[test]
    fn loopback_v4_and_v6() {
        assert_all(
            AddressClass::Loopback,
            &[
                "127.0.0.1",
                "127.0.0.2",
                "127.255.255.254",
                "::1",
                "::ffff:127.0.0.1",
                "::127.0.0.1",
                "::ffff:0:127.0.0.1",
                "64:ff9b::7f00:1",
                "2002:7f00:1::",
            ],
        );
    }

    #[test]
    fn rfc1918_private_v4_and_mapped_forms() {
        assert_all(
            AddressClass::Private,
            &[
                "10.0.0.5",
                "10.255.255.255",
                "172.16.0.1",
                "172.31.255.255",
                "192.168.0.1",
                "192.168.255.255",
                "::ffff:10.0.0.5",
                "::ffff:a00:5",
                "::10.0.0.5",
                "::ffff:0:192.168.1.1",
                "64:ff9b::c0a8:101",
                "2002:c0a8:101::1",
                "2002:ac10:1:ffff::",
                "fec0::1",
                "feff:ffff::1",
            ],
        );
    }

    #[test]
    fn unique_local_v6() {
        assert_all(
            AddressClass::UniqueLocal,
            &["fc00::1", "fd12:3456:789a::1", "fdff:ffff:ffff::"],
        );
    }

    #[test]
    fn link_local_v4_and_v6() {
        assert_all(
            AddressClass::LinkLocal,
            &[
                "169.254.0.1",
                "169.254.255.255",
                "169.254.169.253",
                "fe80::1",
                "febf:ffff::1",
                "::ffff:169.254.1.1",
            ],
        );
    }

    #[test]
    fn shared_cgnat_range() {
        assert_all(
            AddressClass::SharedCgnat,
            &[
                "100.64.0.0",
                "100.127.255.255",
                "100.100.100.199",
                "::ffff:100.64.0.1",
            ],
        );
    }

    #[test]
    fn multicast_v4_and_v6() {
        assert_all(
            AddressClass::Multicast,
            &[
                "224.0.0.1",
                "239.255.255.250",
                "ff02::1",
                "ff0e::1",
                "::ffff:224.0.0.251",
            ],
        );
    }

    #[test]
    fn unspecified_and_broadcast() {
        assert_all(
            AddressClass::Unspecified,
            &["0.0.0.0", "::", "::ffff:0.0.0.0"],
        );
        assert_all(
            AddressClass::Broadcast,
            &["255.255.255.255", "::ffff:255.255.255.255"],
        );
    }

    #[test]
    fn documentation_and_benchmarking_ranges() {
        assert_all(
            AddressClass::Documentation,
            &[
                "192.0.2.1",
                "198.51.100.7",
                "203.0.113.200",
                "2001:db8::1",
                "2001:db8:ffff::1",
                "3fff::1",
                "3fff:fff:ffff::1",
            ],
        );
        assert_all(
            AddressClass::Benchmarking,
            &[
                "198.18.0.1",
                "198.19.255.255",
                "2001:2::1",
                "2001:2:0:ffff::1",
            ],
        );
    }

    /// Every known metadata address, with the service it belongs to.
    const METADATA: &[(&str, &str)] = &[
        (
            "169.254.169.254",
            "AWS/GCP/Azure/Oracle/OpenStack/DigitalOcean/Hetzner/Linode/…",
        ),
        ("169.254.170.2", "AWS ECS task metadata and credentials"),
        ("169.254.170.23", "AWS EKS Pod Identity"),
        ("168.63.129.16", "Azure WireServer"),
        ("100.100.100.200", "Alibaba Cloud"),
        ("192.0.0.192", "Oracle Cloud Classic"),
        ("169.254.0.23", "Tencent Cloud"),
        ("169.254.42.42", "Scaleway"),
        ("fd00:ec2::254", "AWS IMDS"),
        ("fd00:ec2::23", "AWS EKS Pod Identity"),
        ("fd00:ec2::253", "AWS VPC resolver (same block)"),
        ("fd00:ec2::123", "AWS time sync (same block)"),
        (
            "fd00:ec2:ffff:ffff:ffff:ffff:ffff:ffff",
            "AWS service block, last address",
        ),
        ("fd20:ce::254", "GCP"),
        ("fd00:c1::a9fe:a9fe", "Oracle Cloud"),
        ("fd00:42::42", "Scaleway"),
        ("fd00:a9fe:a9fe::1", "Linode/Akamai"),
        ("fe80::a9fe:a9fe", "OpenStack, Linode"),
        ("fd00:100::100:200", "Alibaba Cloud"),
        ("FD00:EC2:0::254", "AWS IMDS, another spelling"),
    ];

    #[test]
    fn cloud_metadata_by_address() {
        for (address, service) in METADATA {
            assert_eq!(
                class(address),
                AddressClass::CloudMetadata,
                "{address} ({service})"
            );
        }
    }

    #[test]
    fn every_ipv6_form_of_an_ipv4_metadata_address_is_metadata() {
        for (address, service) in METADATA {
            let Ok(v4) = address.parse::<Ipv4Addr>() else {
                continue;
            };
            let n = u32::from(v4) as u128;
            let o = v4.octets();
            for (form, bits) in [
                ("mapped", 0xffff_0000_0000 | n),
                ("compatible", n),
                ("translated", (0xffff_0000u128 << 32) | n),
                ("NAT64", (0x0064_ff9bu128 << 96) | n),
                ("6to4", (0x2002u128 << 112) | (n << 80)),
                ("local NAT64 /96", LOCAL_NAT64 | n),
                ("local NAT64 /64", LOCAL_NAT64 | (n << 24)),
                (
                    "local NAT64 /56",
                    LOCAL_NAT64 | ((o[0] as u128) << 64) | ((n & 0xff_ffff) << 32),
                ),
                (
                    "local NAT64 /48",
                    LOCAL_NAT64 | ((n >> 16) << 64) | ((n & 0xffff) << 40),
                ),
            ] {
                let v6 = Ipv6Addr::from(bits);
                assert_eq!(
                    classify_v6(v6),
                    AddressClass::CloudMetadata,
                    "{address} ({service}) {form}: {v6}"
                );
            }
        }
        // Written out, as a URL would carry them.
        assert_all(
            AddressClass::CloudMetadata,
            &[
                "::ffff:169.254.170.23",
                "::ffff:a9fe:aa17",
                "::169.254.170.2",
                "::ffff:0:169.254.0.23",
                "64:ff9b::a9fe:a9fe",
                "64:ff9b::169.254.170.23",
                "64:ff9b::a83f:8110",
                "64:ff9b::100.100.100.200",
                "::ffff:192.0.0.192",
                "2002:a9fe:aa02::",
                "64:ff9b:1::a9fe:aa17",
                "64:ff9b:1:a9fe:a9:fe00::",
            ],
        );
    }

    #[test]
    fn the_neighbours_of_metadata_addresses_keep_their_own_class() {
        assert_all(
            AddressClass::LinkLocal,
            &[
                "169.254.170.22",
                "169.254.170.24",
                "169.254.0.22",
                "169.254.42.43",
                "fe80::a9fe:a9fd",
                "::ffff:169.254.170.3",
            ],
        );
        assert_all(
            AddressClass::UniqueLocal,
            &[
                "fd00:ec3::254",
                "fd00:ec1:ffff::254",
                "fd20:ce::253",
                "fd00:c1::a9fe:a9fd",
                "fd00:42::43",
                "fd00:a9fe:a9fe::2",
            ],
        );
        assert_all(AddressClass::Public, &["168.63.129.17", "168.63.129.15"]);
        assert_all(
            AddressClass::SharedCgnat,
            &["100.100.100.201", "100.100.100.199", "100.100.101.200"],
        );
        assert_all(
            AddressClass::Reserved,
            &["192.0.0.193", "64:ff9b:1::1", "64:ff9b:1::a9fe:a9fd"],
        );
    }

    #[test]
    fn cloud_metadata_by_name() {
        for host in [
            "metadata.google.internal",
            "METADATA.google.internal.",
            "metadata.google.internal..",
            "Metadata.Goog",
            "metadata.goog.",
            "metadata",
            "METADATA.",
            "instance-data",
            "instance-data.",
            "instance-data.ec2.internal",
            "Instance-Data.EC2.Internal.",
            "instance-data.eu-west-1.compute.internal",
            "metadata.tencentyun.com",
            "METADATA.TENCENTYUN.COM.",
            "api.metadata.cloud.ibm.com",
            "metadata.platformequinix.com",
            "metadata.packet.net.",
        ] {
            assert!(is_metadata_host(host), "{host}");
        }
        for host in [
            "example.com",
            "metadata.example.com",
            "google.internal",
            "metadata.google.internal.example.com",
            "xmetadata.goog",
            "instance-data.example.com",
            "tencentyun.com",
            "metadata.cloud.ibm.com",
            "",
        ] {
            assert!(!is_metadata_host(host), "{host}");
        }
    }

    #[test]
    fn reserved_ranges() {
        assert_all(
            AddressClass::Reserved,
            &[
                "0.1.2.3",
                "192.0.0.8",
                "192.88.99.1",
                "240.0.0.1",
                "255.255.255.254",
                "100::1",
                "64:ff9b:1::1",
                "2001::1",
                "2001:0:4136:e378:8000:63bf:3fff:fdd2",
                "2001:10::1",
                "2001:20::1",
                "4000::1",
                "::2:1:2:3",
                // Deprecated/translation forms never carry a public address legitimately.
                "::8.8.8.8",
                "::ffff:0:8.8.8.8",
            ],
        );
    }

    #[test]
    fn every_embedded_form_matches_its_ipv4_class_for_blocked_addresses() {
        for v4 in [
            "10.1.2.3",
            "127.0.0.1",
            "169.254.169.254",
            "100.64.1.1",
            "192.168.1.1",
        ] {
            let v4: Ipv4Addr = v4.parse().unwrap();
            let expected = classify_v4(v4);
            let n = u32::from(v4) as u128;
            for bits in [
                0xffff_0000_0000 | n,
                n,
                (0xffff_0000u128 << 32) | n,
                (0x0064_ff9bu128 << 96) | n,
                (0x2002u128 << 112) | (n << 80),
            ] {
                assert_eq!(
                    classify_v6(Ipv6Addr::from(bits)),
                    expected,
                    "{v4} in {bits:x}"
                );
            }
        }
    }

    #[test]
    fn only_some_classes_survive_disabling_the_private_block() {
        assert!(AddressClass::CloudMetadata.always_refused());
        assert!(AddressClass::Multicast.always_refused());
        assert!(!AddressClass::Private.always_refused());
        assert!(!AddressClass::Loopback.always_refused());
        assert_eq!(class("10.0.0.5").to_string(), "a private address");
    }
}
