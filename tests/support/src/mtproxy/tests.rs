//! The proxy end to end over loopback: the test client speaks each secret kind and framing to
//! a real fake DC through it (an encrypted MTProto `ping` answered by `pong`), and every
//! refusal closes the connection with its reason recorded.

use std::time::Duration;

use grammers_crypto::{AuthKey, DequeBuffer};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use super::test_client::{TestClient, client_header, client_hello, now};
use super::*;
use crate::fake_dc::FakeDc;
use crate::fake_dc::mtproto::envelope;
use crate::world::{World, sample_path};

const PING: u32 = 0x7abe77ec;
const PONG: u32 = 0x347773c5;

fn dc() -> FakeDc {
    FakeDc::start(World::load(&sample_path()).unwrap()).unwrap()
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// `body` in an encrypted MTProto message under the DC's auth key, as a client sends it.
fn encrypted(key: &AuthKey, body: &[u8]) -> Vec<u8> {
    let msg_id = (i64::from(now()) << 32) | 4;
    let plain = envelope(0, 0x5e55_1017, msg_id, 1, body);
    let mut buffer = DequeBuffer::with_capacity(plain.len(), 32);
    buffer.extend(&plain);
    grammers_crypto::encrypt_data_v2(&mut buffer, key);
    buffer.as_ref().to_vec()
}

/// A `ping`, encrypted.
fn ping(key: &AuthKey, ping_id: i64) -> Vec<u8> {
    let mut body = PING.to_le_bytes().to_vec();
    body.extend_from_slice(&ping_id.to_le_bytes());
    encrypted(key, &body)
}

/// `msgs_ack` for `count` message ids, encrypted: a packet as large as a client wants.
fn large_ack(key: &AuthKey, count: usize) -> Vec<u8> {
    let mut body = 0x62d6b459u32.to_le_bytes().to_vec();
    body.extend_from_slice(&0x1cb5c415u32.to_le_bytes());
    body.extend_from_slice(&(count as u32).to_le_bytes());
    for i in 0..count {
        body.extend_from_slice(&((i as i64) << 2).to_le_bytes());
    }
    encrypted(key, &body)
}

/// Reads packets until the DC's `pong` for `ping_id` (after `new_session_created`), within
/// 10 s; strips the padding a padded packet carries before decrypting.
async fn expect_pong(client: &mut TestClient, key: &AuthKey, ping_id: i64) {
    let wait = async {
        loop {
            let mut packet = client.receive().await.expect("a packet");
            let len = 24 + (packet.len() - 24) / 16 * 16;
            packet.truncate(len);
            let plain = grammers_crypto::decrypt_data_v2(&mut packet, key).expect("decrypts");
            let body = &plain[32..];
            if body[..4] == PONG.to_le_bytes() {
                assert_eq!(body[12..20], ping_id.to_le_bytes());
                return;
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(10), wait)
        .await
        .expect("pong within 10 s");
}

fn round_trip(secret: ProxySecret, tag: ProtocolTag, dc_id: i16) -> (MtProxy, FakeDc) {
    let dc = dc();
    let proxy = MtProxy::start(&dc, secret.clone()).unwrap();
    let key = AuthKey::from_bytes(dc.auth_key());
    runtime().block_on(async {
        let mut client = TestClient::connect(proxy.address(), &secret, tag, dc_id)
            .await
            .unwrap();
        client.send(&ping(&key, 77)).await.unwrap();
        expect_pong(&mut client, &key, 77).await;
        // A second packet on the same connection continues both keystreams.
        client.send(&ping(&key, 78)).await.unwrap();
        expect_pong(&mut client, &key, 78).await;
    });
    (proxy, dc)
}

#[test]
fn a_plain_secret_relays_every_framing() {
    for tag in [
        ProtocolTag::Abridged,
        ProtocolTag::Intermediate,
        ProtocolTag::PaddedIntermediate,
    ] {
        let (proxy, _dc) = round_trip(ProxySecret::random(SecretKind::Plain), tag, 2);
        let relayed = proxy.relayed();
        assert_eq!(relayed.len(), 1, "{tag:?}");
        let connection = &relayed[0];
        assert_eq!(connection.kind, Some(SecretKind::Plain));
        assert_eq!(connection.tag, Some(tag));
        assert_eq!(connection.dc_id, Some(2));
        assert_eq!(connection.to_dc.packets, 2);
        assert!(connection.to_client.packets >= 2, "{connection:?}");
        assert!(proxy.refusals().is_empty());
    }
}

#[test]
fn a_dd_secret_relays_padded_intermediate_and_strips_the_padding() {
    let (proxy, _dc) = round_trip(
        ProxySecret::random(SecretKind::Padded),
        ProtocolTag::PaddedIntermediate,
        2,
    );
    let connection = &proxy.relayed()[0];
    assert_eq!(connection.kind, Some(SecretKind::Padded));
    // Two pings of 24 + 48 bytes reached the DC without their padding.
    assert_eq!(connection.to_dc.bytes, 2 * ping_len());
}

fn ping_len() -> u64 {
    ping(&AuthKey::from_bytes([1; 256]), 1).len() as u64
}

#[test]
fn an_ee_secret_relays_inside_tls_records() {
    let (proxy, _dc) = round_trip(
        ProxySecret::fake_tls([9; 16], "cover.example"),
        ProtocolTag::PaddedIntermediate,
        2,
    );
    let connection = &proxy.relayed()[0];
    assert_eq!(connection.kind, Some(SecretKind::FakeTls));
    assert_eq!(connection.sni.as_deref(), Some("cover.example"));
    assert_eq!(connection.to_dc.packets, 2);
}

#[test]
fn a_media_dc_id_reaches_the_same_dc() {
    let (proxy, _dc) = round_trip(
        ProxySecret::random(SecretKind::Padded),
        ProtocolTag::PaddedIntermediate,
        -2,
    );
    assert_eq!(proxy.relayed()[0].dc_id, Some(-2));
}

/// Connects, sends `bytes` (then ends its side if `hang_up`), and returns the refusal the
/// proxy recorded for that connection (the last one) once it closed it.
fn refused_after(proxy: &MtProxy, bytes: &[u8], hang_up: bool) -> Refusal {
    runtime().block_on(async {
        let mut stream = TcpStream::connect(proxy.address()).await.unwrap();
        stream.write_all(bytes).await.unwrap();
        if hang_up {
            stream.shutdown().await.unwrap();
        }
        let mut byte = [0u8; 1];
        let closed = tokio::time::timeout(
            Duration::from_secs(15),
            tokio::io::AsyncReadExt::read(&mut stream, &mut byte),
        )
        .await
        .expect("the proxy closes a refused connection");
        assert!(matches!(closed, Ok(0) | Err(_)), "{closed:?}");
    });
    let connections = proxy.connections();
    let last = connections.last().expect("the connection was accepted");
    last.refusal.clone().expect("a refusal is recorded")
}

fn refused(proxy: &MtProxy, bytes: &[u8]) -> Refusal {
    refused_after(proxy, bytes, false)
}

/// An obfuscated2 header for `tag` and DC `dc` made with `key`.
fn header(tag: ProtocolTag, dc: i16, key: &[u8; 16]) -> [u8; 64] {
    client_header(tag, dc, key).0
}

/// Sends `bytes` on a connection kept open until `passed` says the proxy took them.
fn sent_and_kept(proxy: &MtProxy, bytes: &[u8], passed: impl Fn(&[ConnectionRecord]) -> bool) {
    runtime().block_on(async {
        let mut first = TcpStream::connect(proxy.address()).await.unwrap();
        first.write_all(bytes).await.unwrap();
        while !passed(&proxy.connections()) {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    });
}

#[test]
fn a_wrong_secret_is_refused_as_an_unknown_tag() {
    let dc = dc();
    let proxy = MtProxy::start(&dc, ProxySecret::plain([1; 16])).unwrap();
    let refusal = refused(&proxy, &header(ProtocolTag::Intermediate, 2, &[2; 16]));
    assert!(matches!(refusal, Refusal::UnknownTag(_)), "{refusal:?}");
    assert_eq!(proxy.connections()[0].kind, None);
    assert_eq!(dc.connections_accepted(), 0);
}

#[test]
fn a_dd_secret_refuses_the_unpadded_framings() {
    let dc = dc();
    let secret = ProxySecret::padded([1; 16]);
    for tag in [ProtocolTag::Abridged, ProtocolTag::Intermediate] {
        let proxy = MtProxy::start(&dc, secret.clone()).unwrap();
        let refusal = refused(&proxy, &header(tag, 2, secret.key()));
        assert_eq!(refusal, Refusal::TagNotAllowed(tag));
    }
}

#[test]
fn a_dc_id_the_fake_dc_does_not_serve_is_refused() {
    let dc = dc();
    let secret = ProxySecret::plain([1; 16]);
    let proxy = MtProxy::start(&dc, secret.clone()).unwrap();
    let refusal = refused(&proxy, &header(ProtocolTag::Intermediate, 5, secret.key()));
    assert_eq!(refusal, Refusal::UnknownDc(5));
    let connection = &proxy.connections()[0];
    assert_eq!(connection.dc_id, Some(5));
    assert_eq!(
        connection.kind,
        Some(SecretKind::Plain),
        "the secret was right"
    );
    assert!(proxy.relayed().is_empty());
}

#[test]
fn a_replayed_header_is_refused() {
    let dc = dc();
    let secret = ProxySecret::plain([1; 16]);
    let proxy = MtProxy::start(&dc, secret.clone()).unwrap();
    let header = header(ProtocolTag::Intermediate, 2, secret.key());
    sent_and_kept(&proxy, &header, |c| c.iter().any(|c| c.kind.is_some()));
    assert_eq!(refused(&proxy, &header), Refusal::Replayed);
}

#[test]
fn an_unreachable_dc_is_refused() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port(); // closed again as the listener drops
    let secret = ProxySecret::plain([1; 16]);
    let proxy = MtProxy::start_for(vec![(2, port)], secret.clone()).unwrap();
    let refusal = refused(&proxy, &header(ProtocolTag::Intermediate, 2, secret.key()));
    assert_eq!(refusal, Refusal::DcUnreachable);
}

fn fake_tls_proxy(dc: &FakeDc) -> (MtProxy, ProxySecret) {
    let secret = ProxySecret::fake_tls([3; 16], "cover.example");
    (MtProxy::start(dc, secret.clone()).unwrap(), secret)
}

#[test]
fn an_ee_secret_refuses_a_client_that_does_not_speak_tls() {
    let dc = dc();
    let (proxy, secret) = fake_tls_proxy(&dc);
    let refusal = refused(
        &proxy,
        &header(ProtocolTag::PaddedIntermediate, 2, secret.key()),
    );
    assert_eq!(refusal, Refusal::NotTls);
}

#[test]
fn an_ee_secret_refuses_a_hello_signed_with_another_key() {
    let dc = dc();
    let (proxy, _) = fake_tls_proxy(&dc);
    let hello = client_hello(&[4; 16], "cover.example", now());
    assert_eq!(refused(&proxy, &hello), Refusal::BadHmac);
}

#[test]
fn an_ee_secret_refuses_an_old_hello_and_a_replayed_one() {
    let dc = dc();
    let (proxy, secret) = fake_tls_proxy(&dc);
    let hello = client_hello(secret.key(), "cover.example", now() - 3600);
    let refusal = refused(&proxy, &hello);
    assert!(
        matches!(refusal, Refusal::TimestampOutOfWindow { skew_secs } if skew_secs <= -3600),
        "{refusal:?}"
    );

    let (proxy, secret) = fake_tls_proxy(&dc);
    let hello = client_hello(secret.key(), "cover.example", now());
    sent_and_kept(&proxy, &hello, |c| c.iter().any(|c| c.sni.is_some()));
    assert_eq!(refused(&proxy, &hello), Refusal::Replayed);
}

#[test]
fn a_tls_hello_to_a_plain_secret_is_refused() {
    let dc = dc();
    let proxy = MtProxy::start(&dc, ProxySecret::plain([3; 16])).unwrap();
    let hello = client_hello(&[3; 16], "cover.example", now());
    assert_eq!(refused(&proxy, &hello), Refusal::UnexpectedTls);
}

#[test]
fn a_client_that_stops_mid_header_is_an_incomplete_handshake() {
    let dc = dc();
    let proxy = MtProxy::start(&dc, ProxySecret::plain([3; 16])).unwrap();
    let refusal = refused_after(&proxy, &[1; 20], true);
    assert_eq!(refusal, Refusal::IncompleteHandshake);
}

#[test]
fn dropping_connections_and_stopping_close_everything() {
    let dc = dc();
    let secret = ProxySecret::random(SecretKind::Plain);
    let mut proxy = MtProxy::start(&dc, secret.clone()).unwrap();
    let key = AuthKey::from_bytes(dc.auth_key());
    let address = proxy.address();
    runtime().block_on(async {
        let mut client = TestClient::connect(address, &secret, ProtocolTag::Intermediate, 2)
            .await
            .unwrap();
        client.send(&ping(&key, 1)).await.unwrap();
        expect_pong(&mut client, &key, 1).await;
        proxy.drop_connections();
        assert!(client.closed_by_proxy().await);
        assert_eq!(proxy.connections()[0].ending, Some(Ending::Dropped));

        let mut client = TestClient::connect(address, &secret, ProtocolTag::Intermediate, 2)
            .await
            .unwrap();
        client.send(&ping(&key, 2)).await.unwrap();
        expect_pong(&mut client, &key, 2).await;
        proxy.stop();
        assert!(client.closed_by_proxy().await);
        assert!(TcpStream::connect(address).await.is_err());
    });
}

#[test]
fn the_links_name_the_proxy_address() {
    let dc = dc();
    let proxy = MtProxy::start(&dc, ProxySecret::padded([0xab; 16])).unwrap();
    let port = proxy.address().port();
    assert_eq!(
        proxy.tg_link(),
        format!(
            "tg://proxy?server=127.0.0.1&port={port}&secret=dd{}",
            "ab".repeat(16)
        )
    );
    assert!(
        proxy
            .tme_link()
            .starts_with("https://t.me/proxy?server=127.0.0.1&")
    );
    assert_eq!(
        proxy.host_port_secret(),
        format!("127.0.0.1:{port}:{}", proxy.hex())
    );
    assert_eq!(
        ProxySecret::parse(&proxy.base64url()).as_ref(),
        Some(proxy.secret())
    );
}

#[test]
fn a_black_hole_holds_new_connections_silent_until_they_are_dropped() {
    let dc = dc();
    let secret = ProxySecret::random(SecretKind::Padded);
    let proxy = MtProxy::start(&dc, secret.clone()).unwrap();
    proxy.black_hole(true);
    runtime().block_on(async {
        let mut client =
            TestClient::connect(proxy.address(), &secret, ProtocolTag::PaddedIntermediate, 2)
                .await
                .unwrap();
        client.send(&[0; 40]).await.unwrap();
        while !proxy.connections().first().is_some_and(|c| c.black_holed) {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        proxy.drop_connections();
        // The first thing the client reads is the close: nothing was written before it.
        assert!(client.closed_by_proxy().await);
    });
    let connection = &proxy.connections()[0];
    assert!(connection.black_holed);
    assert_eq!(connection.kind, None);
    assert_eq!(dc.connections_accepted(), 0);
}

#[test]
fn a_proxy_clock_an_hour_ahead_refuses_a_fake_tls_client_of_now() {
    let dc = dc();
    let (proxy, secret) = fake_tls_proxy(&dc);
    proxy.set_clock_skew(3600);
    let connected = runtime().block_on(TestClient::connect(
        proxy.address(),
        &secret,
        ProtocolTag::PaddedIntermediate,
        2,
    ));
    assert!(connected.is_err(), "no ServerHello for a hello an hour old");
    let refusal = proxy.refusals().pop();
    assert!(
        matches!(refusal, Some(Refusal::TimestampOutOfWindow { skew_secs }) if skew_secs <= -3599),
        "{refusal:?}"
    );
}

#[test]
fn a_packet_larger_than_a_tls_record_reaches_the_dc_whole_in_every_framing() {
    for (secret, tag) in [
        (
            ProxySecret::random(SecretKind::Plain),
            ProtocolTag::Abridged,
        ),
        (
            ProxySecret::random(SecretKind::Plain),
            ProtocolTag::Intermediate,
        ),
        (
            ProxySecret::random(SecretKind::Padded),
            ProtocolTag::PaddedIntermediate,
        ),
        (
            ProxySecret::random(SecretKind::FakeTls),
            ProtocolTag::PaddedIntermediate,
        ),
    ] {
        let dc = dc();
        let proxy = MtProxy::start(&dc, secret.clone()).unwrap();
        let key = AuthKey::from_bytes(dc.auth_key());
        let large = large_ack(&key, 7000);
        assert!(large.len() > 3 * 16384);
        runtime().block_on(async {
            let mut client = TestClient::connect(proxy.address(), &secret, tag, 2)
                .await
                .unwrap();
            client.send(&large).await.unwrap();
            // The DC closes a connection whose packet does not decrypt; a pong after it
            // shows the large packet arrived whole.
            client.send(&ping(&key, 9)).await.unwrap();
            expect_pong(&mut client, &key, 9).await;
        });
        let connection = &proxy.relayed()[0];
        assert_eq!(connection.to_dc.packets, 2, "{tag:?}");
        assert_eq!(
            connection.to_dc.bytes,
            (large.len() + ping(&key, 9).len()) as u64,
            "{tag:?}"
        );
    }
}
