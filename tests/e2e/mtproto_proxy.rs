//! `MTPROTO_PROXY` with an MTProto proxy: setup signs in and the server reads and sends
//! through the test kit's loopback proxy with each kind of secret, written in each form a
//! user copies (tg:// link, t.me link, host:port:secret, hex and base64url), and the proxy's
//! record shows what the relay asked it for. A wrong secret and an unreachable proxy answer
//! with what to check, within the call.

use std::process::Stdio;
use std::sync::{Arc, Mutex};

use grammers_tl_types as tl;
use serde_json::{Value, json};
use tokio::io::AsyncWriteExt;

use crate::setup::{Run, run_with};
use testkit::fake_dc::DcOptions;
use testkit::harness::{Client, Harness, call, sample_world, spawn_collecting_stderr};
use testkit::mtproxy::{MtProxy, ProtocolTag, ProxySecret, SecretKind};

/// The server for `h`'s session, told to use `proxy`.
async fn server_through(h: &Harness, proxy: &str) -> Client {
    server_logging_through(h, proxy).await.0
}

/// [`server_through`], with what the server writes to stderr (at `LOG_LEVEL=debug`).
async fn server_logging_through(h: &Harness, proxy: &str) -> (Client, Arc<Mutex<String>>) {
    let mut cmd = h.command();
    cmd.env("MTPROTO_PROXY", proxy);
    spawn_collecting_stderr(cmd).await
}

/// `fast-mcp-telegram setup` by phone through `proxy`, typing the world's code.
async fn setup_through(h: &Harness, proxy: &str) -> Run {
    let args = ["setup", "--phone-number", "+15550001000"];
    run_with(
        h,
        crate::SERVER,
        &args,
        &[("MTPROTO_PROXY", proxy)],
        "12345\n",
    )
    .await
}

/// Signs in through the proxy, then reads and sends through it; checks the proxy relayed it
/// all with the tag and DC id the secret calls for.
async fn sign_in_read_and_send(kind: SecretKind, value_of: impl Fn(&MtProxy) -> String) {
    let h = Harness::with(sample_world(), false).await;
    let proxy = MtProxy::start(&h.dc, ProxySecret::random(kind)).unwrap();
    let value = value_of(&proxy);

    let setup = setup_through(&h, &value).await;
    assert_eq!(setup.code, 0, "{}", setup.stderr);
    assert!(h.dc.is_signed_in());
    let config: Value =
        serde_json::from_str(&setup.stdout[setup.stdout.find('{').unwrap()..]).unwrap();
    assert_eq!(
        config["mcpServers"]["telegram"]["env"]["MTPROTO_PROXY"], value,
        "setup carries the value as written"
    );
    let secret_hex = proxy.hex();
    for text in [&setup.stderr, &setup.stdout.replace(&value, "")] {
        assert!(!text.contains(&secret_hex[2..]), "secret in output: {text}");
    }
    let after_setup = proxy.relayed().len();
    assert!(after_setup > 0, "setup went through the proxy");

    let (client, stderr) = server_logging_through(&h, &value).await;
    let (err, v) = call(
        &client,
        "get_messages",
        json!({"chat_id": "1001", "limit": 2}),
    )
    .await;
    assert!(!err, "{v}");
    assert_eq!(v["messages"].as_array().unwrap().len(), 2, "{v}");
    let (err, v) = call(&client, "find_chats", json!({"query": "Babbage"})).await;
    assert!(!err, "{v}");
    assert!(v.to_string().contains("Babbage"), "{v}");
    let (err, v) = call(
        &client,
        "send_message",
        json!({"chat_id": "1001", "message": "sent through the proxy"}),
    )
    .await;
    assert!(!err, "{v}");
    client.cancel().await.unwrap();
    let logged = stderr.lock().unwrap().clone();
    assert!(logged.contains("MTProto proxy relay listening"), "{logged}");
    assert!(
        !logged.contains(&secret_hex[2..]),
        "the secret in the log: {logged}"
    );
    assert!(
        !logged.contains("socks5://"),
        "the relay's credentials in the log: {logged}"
    );

    assert_eq!(h.dc.count_of::<tl::functions::messages::SendMessage>(), 1);
    let relayed = proxy.relayed();
    assert!(
        relayed.len() > after_setup,
        "the server went through the proxy"
    );
    let tag = match kind {
        SecretKind::Plain => ProtocolTag::Intermediate,
        _ => ProtocolTag::PaddedIntermediate,
    };
    for connection in &relayed {
        assert_eq!(connection.kind, Some(kind), "{connection:?}");
        assert_eq!(connection.tag, Some(tag), "{connection:?}");
        assert_eq!(connection.dc_id, Some(2), "{connection:?}");
    }
    if kind == SecretKind::FakeTls {
        assert!(
            relayed
                .iter()
                .all(|c| c.sni.as_deref() == Some("example.com"))
        );
    }
    let to_dc: u64 = relayed.iter().map(|c| c.to_dc.packets).sum();
    let to_client: u64 = relayed.iter().map(|c| c.to_client.packets).sum();
    assert!(to_dc >= 4 && to_client >= 4, "{relayed:?}");
    assert!(proxy.refusals().is_empty(), "{:?}", proxy.refusals());
}

#[tokio::test]
async fn a_plain_secret_in_a_tg_link_signs_in_reads_and_sends() {
    sign_in_read_and_send(SecretKind::Plain, MtProxy::tg_link).await;
}

#[tokio::test]
async fn a_dd_secret_as_host_port_secret_signs_in_reads_and_sends() {
    sign_in_read_and_send(SecretKind::Padded, MtProxy::host_port_secret).await;
}

#[tokio::test]
async fn an_ee_secret_in_base64url_in_a_t_me_link_signs_in_reads_and_sends() {
    sign_in_read_and_send(SecretKind::FakeTls, |p| {
        let at = p.address();
        format!(
            "https://t.me/proxy?server={}&port={}&secret={}",
            at.ip(),
            at.port(),
            p.base64url()
        )
    })
    .await;
}

#[tokio::test]
async fn a_move_to_another_dc_through_the_proxy_names_that_dc() {
    let h = Harness::with_options(DcOptions {
        dc_ids: vec![2, 4],
        ..DcOptions::new(sample_world())
    })
    .await;
    let proxy = MtProxy::start(&h.dc, ProxySecret::random(SecretKind::Padded)).unwrap();
    let client = server_through(&h, &proxy.tg_link()).await;
    let history = json!({"chat_id": "1001", "limit": 2});
    let (err, v) = call(&client, "get_messages", history.clone()).await;
    assert!(!err, "{v}");
    h.dc.move_account(4);
    h.dc.clear_requests();
    let (err, v) = call(&client, "get_messages", history).await;
    assert!(!err, "{v}");
    client.cancel().await.unwrap();
    let dcs: Vec<i32> =
        h.dc.requests_by_dc()
            .into_iter()
            .filter(|(_, n)| n == "messages.getHistory")
            .map(|(dc, _)| dc)
            .collect();
    assert_eq!(dcs, [2, 4, 4]);
    let mut asked: Vec<i16> = proxy.relayed().iter().filter_map(|c| c.dc_id).collect();
    asked.dedup();
    assert_eq!(asked, [2, 4], "{:?}", proxy.relayed());
}

/// A tool call's error through a proxy that cannot work (`value` is `host:port:secret`); the
/// secret is in no log line.
async fn error_through(h: &Harness, value: &str) -> Value {
    let (client, stderr) = server_logging_through(h, value).await;
    let (err, v) = call(
        &client,
        "get_messages",
        json!({"chat_id": "1001", "limit": 1}),
    )
    .await;
    client.cancel().await.unwrap();
    assert!(err, "{v}");
    assert_eq!(v["action"], "retry", "{v}");
    let logged = stderr.lock().unwrap().clone();
    let secret = value.rsplit(':').next().unwrap_or_default();
    assert!(!logged.contains(secret), "the secret in the log: {logged}");
    v
}

#[tokio::test]
async fn a_wrong_secret_says_to_check_the_secret() {
    for kind in [SecretKind::Plain, SecretKind::FakeTls] {
        let h = Harness::signed_in().await;
        let proxy = MtProxy::start(&h.dc, ProxySecret::random(kind)).unwrap();
        let wrong = ProxySecret::random(kind);
        let value = wrong.host_port_secret(proxy.address());
        let v = error_through(&h, &value).await;
        let error = v["error"].as_str().unwrap();
        assert!(error.contains("MTPROTO_PROXY"), "{v}");
        assert!(error.contains("check the secret"), "{v}");
        assert!(!error.contains(&wrong.hex()[2..]), "{v}");
        assert!(!proxy.refusals().is_empty());
        assert_eq!(h.dc.request_names().len(), 0, "nothing reached the DC");
    }
}

#[tokio::test]
async fn an_unreachable_proxy_says_so() {
    let h = Harness::signed_in().await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let secret = ProxySecret::random(SecretKind::Padded);
    let value = format!("127.0.0.1:{port}:{}", secret.hex());
    let v = error_through(&h, &value).await;
    let error = v["error"].as_str().unwrap();
    assert!(
        error.contains("cannot be reached (connection refused)"),
        "{v}"
    );
    assert!(error.contains(&format!("127.0.0.1:{port}")), "{v}");
    assert!(error.contains("MTPROTO_PROXY"), "{v}");
}

#[tokio::test]
async fn setup_through_a_proxy_with_another_secret_fails_saying_what_to_check() {
    let h = Harness::with(sample_world(), false).await;
    let proxy = MtProxy::start(&h.dc, ProxySecret::random(SecretKind::Padded)).unwrap();
    let wrong = ProxySecret::random(SecretKind::Padded);
    let setup = setup_through(&h, &wrong.tg_link(proxy.address())).await;
    assert_ne!(setup.code, 0);
    // The error setup ends with (the log lines before it say the same, from the relay).
    let error = setup
        .stderr
        .lines()
        .find(|l| l.starts_with("fast-mcp-telegram: error:"))
        .unwrap_or_else(|| panic!("{}", setup.stderr));
    assert!(error.contains("MTPROTO_PROXY"), "{error}");
    assert!(error.contains("check the secret"), "{error}");
    assert!(
        !setup.stderr.contains(&wrong.hex()[2..]),
        "{}",
        setup.stderr
    );
    assert!(!h.dc.is_signed_in());
}

#[tokio::test]
async fn a_malformed_proxy_value_stops_the_server_with_one_line_and_no_secret() {
    let h = Harness::signed_in().await;
    let secret = "0123456789abcdef0123456789abcde"; // 31 hex digits
    let mut cmd = h.command();
    cmd.env(
        "MTPROTO_PROXY",
        format!("tg://proxy?server=h&port=443&secret={secret}"),
    )
    .stdin(Stdio::null())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let out = cmd.output().await.unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("MTPROTO_PROXY secret has an odd number of hex digits"),
        "{stderr}"
    );
    assert!(!stderr.contains(secret), "{stderr}");
}

/// A SOCKS5 proxy in a few lines (the relay's own SOCKS5 side, forwarding bytes as they
/// are): where `socks5://` still goes straight to grammers. Returns its port and the number
/// of connections it forwarded.
async fn socks5_forwarder() -> (u16, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use fast_mcp_telegram::proxy::socks::{self, Credentials, Reply};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let forwarded = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let count = std::sync::Arc::clone(&forwarded);
    tokio::spawn(async move {
        while let Ok((mut client, _)) = listener.accept().await {
            let count = std::sync::Arc::clone(&count);
            tokio::spawn(async move {
                let credentials = Credentials {
                    user: "user".into(),
                    password: "pass".into(),
                };
                let target = socks::accept(&mut client, &credentials).await.ok()?;
                let mut upstream = tokio::net::TcpStream::connect(target).await.ok()?;
                socks::reply(&mut client, Reply::Succeeded).await.ok()?;
                count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                tokio::io::copy_bidirectional(&mut client, &mut upstream)
                    .await
                    .ok()
            });
        }
    });
    (port, forwarded)
}

#[tokio::test]
async fn a_socks5_proxy_still_carries_the_connection() {
    let h = Harness::signed_in().await;
    let (port, forwarded) = socks5_forwarder().await;
    let client = server_through(&h, &format!("socks5://user:pass@127.0.0.1:{port}")).await;
    let (err, v) = call(
        &client,
        "get_messages",
        json!({"chat_id": "1001", "limit": 2}),
    )
    .await;
    client.cancel().await.unwrap();
    assert!(!err, "{v}");
    assert!(forwarded.load(std::sync::atomic::Ordering::SeqCst) >= 1);
}

#[tokio::test]
async fn a_tls_server_that_is_no_proxy_of_this_secret_is_told_apart() {
    use tokio::io::AsyncReadExt;
    // What a proxy with another secret forwards an ee client to: a real TLS server, whose
    // ServerHello cannot carry the HMAC of our secret.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut hello = [0u8; 517];
                stream.read_exact(&mut hello).await.ok()?;
                let mut answer = vec![0x16, 0x03, 0x03, 0x00, 0x40];
                answer.extend([0x02; 0x40]);
                answer.extend([
                    0x14, 0x03, 0x03, 0x00, 0x01, 0x01, 0x17, 0x03, 0x03, 0x00, 0x10,
                ]);
                answer.extend([0x33; 0x10]);
                stream.write_all(&answer).await.ok()?;
                let mut rest = Vec::new();
                stream.read_to_end(&mut rest).await.ok()
            });
        }
    });
    let h = Harness::signed_in().await;
    let secret = ProxySecret::random(SecretKind::FakeTls);
    let v = error_through(&h, &format!("127.0.0.1:{port}:{}", secret.base64url())).await;
    let error = v["error"].as_str().unwrap();
    assert!(error.contains("did not prove it knows the secret"), "{v}");
    assert!(error.contains("MTPROTO_PROXY"), "{v}");
}

/// A proxy gone silent (accepts, then neither reads, writes nor closes) with a `kind` secret:
/// the call still ends, saying what to check.
async fn a_silent_proxy_is_told_within_the_call(kind: SecretKind) -> String {
    let h = Harness::signed_in().await;
    let proxy = MtProxy::start(&h.dc, ProxySecret::random(kind)).unwrap();
    proxy.black_hole(true);
    let v = error_through(&h, &proxy.host_port_secret()).await;
    assert!(proxy.relayed().is_empty());
    v["error"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn a_proxy_that_takes_requests_and_never_answers_is_told_within_the_call() {
    // What mtprotoproxy does with a client whose secret it cannot read: say nothing, so that
    // a prober learns nothing. Found when grammers gives the dead connection up (about 16 s
    // here), within the call.
    let error = a_silent_proxy_is_told_within_the_call(SecretKind::Padded).await;
    assert!(
        error.contains("accepted the connection but never answered"),
        "{error}"
    );
    assert!(
        error.contains("check the secret in MTPROTO_PROXY"),
        "{error}"
    );
}

#[tokio::test]
async fn a_proxy_silent_at_the_tls_hello_is_told_within_the_call() {
    let error = a_silent_proxy_is_told_within_the_call(SecretKind::FakeTls).await;
    assert!(
        error.contains("no answer to the TLS hello within 10 seconds"),
        "{error}"
    );
    assert!(error.contains("MTPROTO_PROXY"), "{error}");
}

#[tokio::test]
async fn a_clock_the_proxy_refuses_is_named_with_the_secret() {
    let h = Harness::signed_in().await;
    let proxy = MtProxy::start(&h.dc, ProxySecret::random(SecretKind::FakeTls)).unwrap();
    proxy.set_clock_skew(3600);
    let v = error_through(&h, &proxy.host_port_secret()).await;
    let error = v["error"].as_str().unwrap();
    assert!(
        error.contains("check the secret in MTPROTO_PROXY and the clock"),
        "{v}"
    );
    assert!(
        proxy
            .refusals()
            .iter()
            .all(|r| matches!(r, testkit::mtproxy::Refusal::TimestampOutOfWindow { .. })),
        "{:?}",
        proxy.refusals()
    );
}
