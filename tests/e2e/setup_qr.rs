//! Signing in by QR code: setup runs as a person would start it, the test reads the login link
//! it prints, "scans" it on the loopback DC (`FakeDc::accept_login_token`) and checks that the
//! session works afterwards.

use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use grammers_session::Session;
use grammers_session::storages::SqliteSession;
use grammers_tl_types as tl;
use serde_json::json;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::process::{Child, ChildStdin};
use tokio::task::JoinHandle;

use crate::SERVER;
use testkit::fake_dc::DcOptions;
use testkit::harness::{Harness, call, sample_world};
use testkit::world::World;

const SETUP: &str = env!("CARGO_BIN_EXE_fast-mcp-telegram-setup");
const LINK: &str = "tg://login?token=";
/// Generous: a debug build on a busy machine.
const PATIENCE: Duration = Duration::from_secs(60);

/// Setup running, its output collected as it comes.
struct Live {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: Arc<Mutex<String>>,
    stderr: Arc<Mutex<String>>,
    readers: Vec<JoinHandle<()>>,
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn collect(
    mut from: impl AsyncRead + Unpin + Send + 'static,
) -> (Arc<Mutex<String>>, JoinHandle<()>) {
    let text = Arc::new(Mutex::new(String::new()));
    let sink = Arc::clone(&text);
    let task = tokio::spawn(async move {
        let mut bytes = Vec::new();
        let mut buf = [0u8; 4096];
        while let Ok(n) = from.read(&mut buf).await {
            if n == 0 {
                break;
            }
            bytes.extend_from_slice(&buf[..n]);
            *sink.lock().unwrap() = String::from_utf8_lossy(&bytes).into_owned();
        }
    });
    (text, task)
}

impl Live {
    fn start(h: &Harness, binary: &str, args: &[&str]) -> Live {
        let mut cmd = h.command_for(binary);
        cmd.args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        let stdin = child.stdin.take();
        let (stdout, out_task) = collect(child.stdout.take().unwrap());
        let (stderr, err_task) = collect(child.stderr.take().unwrap());
        Live {
            child,
            stdin,
            stdout,
            stderr,
            readers: vec![out_task, err_task],
        }
    }

    fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Every login link printed so far, in order.
    fn links(&self) -> Vec<String> {
        links_in(&self.stderr())
    }

    /// Waits until stderr satisfies `ready`.
    async fn wait_for(&self, what: &str, ready: impl Fn(&Live) -> bool) {
        let waited = tokio::time::timeout(PATIENCE, async {
            while !ready(self) {
                tokio::time::sleep(Duration::from_millis(25)).await;
            }
        })
        .await;
        assert!(
            waited.is_ok(),
            "no {what} in time; stderr:\n{}",
            self.stderr()
        );
    }

    /// The `n`th login link (counting from 1), once printed.
    async fn link(&self, n: usize) -> String {
        self.wait_for(&format!("login link #{n}"), |l| l.links().len() >= n)
            .await;
        self.links()[n - 1].clone()
    }

    async fn type_line(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().expect("stdin open");
        stdin
            .write_all(format!("{line}\n").as_bytes())
            .await
            .unwrap();
        stdin.flush().await.unwrap();
    }

    async fn finish(mut self) -> Run {
        drop(self.stdin.take());
        let status = tokio::time::timeout(PATIENCE, self.child.wait())
            .await
            .expect("setup finishes")
            .unwrap();
        for reader in self.readers {
            reader.await.unwrap();
        }
        let stdout = self.stdout.lock().unwrap().clone();
        let stderr = self.stderr.lock().unwrap().clone();
        Run {
            code: status.code().unwrap_or(-1),
            stdout,
            stderr,
        }
    }
}

/// Every `tg://login?token=…` link in `text`, in order.
fn links_in(text: &str) -> Vec<String> {
    text.match_indices(LINK)
        .map(|(at, _)| {
            text[at..]
                .chars()
                .take_while(|c| !c.is_whitespace())
                .collect()
        })
        .collect()
}

fn token_of(link: &str) -> Vec<u8> {
    let encoded = link.strip_prefix(LINK).expect("a tg://login link");
    URL_SAFE_NO_PAD.decode(encoded).expect("base64url token")
}

fn world_with(login: serde_json::Value) -> World {
    testkit::world::sample_with_login(login)
}

async fn signed_in_afterwards(h: &Harness) -> bool {
    let client = h.client().await;
    let (err, _) = call(
        &client,
        "get_messages",
        json!({"chat_id": "me", "limit": 1}),
    )
    .await;
    client.cancel().await.unwrap();
    !err
}

async fn home_dc(h: &Harness) -> i32 {
    let session = SqliteSession::open(&h.session_file()).await.unwrap();
    session.home_dc_id().unwrap()
}

/// Starts `binary args`, scans the first code, and returns how setup ended.
async fn scan_first_code(h: &Harness, binary: &str, args: &[&str]) -> Run {
    let live = Live::start(h, binary, args);
    let link = live.link(1).await;
    h.dc.accept_login_token(&token_of(&link)).unwrap();
    live.finish().await
}

/// Scans `token`, lets setup finish, and checks it signed in having exported `exports`
/// tokens in all.
async fn scan_to_the_end(h: &Harness, live: Live, token: &[u8], exports: usize) -> Run {
    h.dc.accept_login_token(token).unwrap();
    let r = live.finish().await;
    assert_signed_in_as_ada(&r);
    assert_eq!(
        h.dc.count_of::<tl::functions::auth::ExportLoginToken>(),
        exports,
        "{:?}",
        h.dc.request_names()
    );
    assert!(signed_in_afterwards(h).await);
    r
}

fn assert_signed_in_as_ada(r: &Run) {
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout
            .contains("Signed in as user Ada Lovelace (@ada), phone +15•••••••00"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("\"mcpServers\""), "{}", r.stdout);
}

#[tokio::test]
async fn qr_login_signs_in_once_the_code_is_scanned() {
    let h = Harness::with(sample_world(), false).await;
    let r = scan_first_code(&h, SERVER, &["setup", "--qr"]).await;
    assert_signed_in_as_ada(&r);
    assert!(
        r.stderr
            .contains("Settings → Devices → Link Desktop Device"),
        "{}",
        r.stderr
    );
    // The code itself, drawn in half blocks without colours (no terminal here).
    assert!(r.stderr.contains("█████"), "{}", r.stderr);
    assert!(
        !r.stderr.contains('\x1b'),
        "no ANSI colours without a terminal"
    );
    // The token appears only inside the link.
    let link = &links_in(&r.stderr)[0];
    let encoded = link.strip_prefix(LINK).unwrap();
    let all = format!("{}{}", r.stdout, r.stderr);
    assert_eq!(all.matches(encoded).count(), 1, "{all}");
    assert!(h.dc.is_signed_in());
    assert!(!h.session_dir().join("telegram.session.setup").exists());
    assert_eq!(home_dc(&h).await, 2);
    assert!(signed_in_afterwards(&h).await);
}

#[tokio::test]
async fn the_setup_binary_signs_in_by_qr_too() {
    let h = Harness::with(sample_world(), false).await;
    let r = scan_first_code(&h, SETUP, &["--qr"]).await;
    assert_signed_in_as_ada(&r);
    assert!(signed_in_afterwards(&h).await);
}

#[tokio::test]
async fn qr_login_asks_for_the_two_factor_password() {
    let world = world_with(json!({"code": "24680", "password": "correct horse", "hint": "stable"}));
    let h = Harness::with(world, false).await;
    let mut live = Live::start(&h, SETUP, &["--qr"]);
    let link = live.link(1).await;
    h.dc.accept_login_token(&token_of(&link)).unwrap();
    live.wait_for("password prompt", |l| l.stderr().contains("hint: stable"))
        .await;
    live.type_line("wrong horse").await;
    live.wait_for("second password prompt", |l| {
        l.stderr().contains("That password is not right")
    })
    .await;
    live.type_line("correct horse").await;
    let r = live.finish().await;
    assert_signed_in_as_ada(&r);
    assert!(!r.stderr.contains("correct horse") && !r.stdout.contains("correct horse"));
    assert!(signed_in_afterwards(&h).await);
}

#[tokio::test]
async fn qr_login_moves_the_session_to_the_accounts_dc() {
    let h = Harness::with_options(DcOptions {
        signed_in: false,
        dc_ids: vec![2, 4],
        ..DcOptions::new(sample_world())
    })
    .await;
    h.dc.set_qr_migrate_to(4);
    assert_eq!(home_dc(&h).await, 2);
    let live = Live::start(&h, SETUP, &["--qr"]);
    let link = live.link(1).await;
    let token = token_of(&link);
    h.dc.accept_login_token(&token).unwrap();
    let r = live.finish().await;
    assert_signed_in_as_ada(&r);
    let imports = h.dc.requests_of::<tl::functions::auth::ImportLoginToken>();
    assert_eq!(imports.len(), 1, "{:?}", h.dc.request_names());
    assert_eq!(
        h.dc.count_of::<tl::functions::auth::ExportLoginToken>(),
        2,
        "{:?}",
        h.dc.request_names()
    );
    assert_eq!(imports[0].token, token);
    assert_eq!(
        home_dc(&h).await,
        4,
        "the session's home is the account's DC"
    );
    assert!(signed_in_afterwards(&h).await);
}

#[tokio::test]
async fn a_scan_costs_two_exports_however_long_the_code_waits() {
    let h = Harness::with(sample_world(), false).await;
    let live = Live::start(&h, SETUP, &["--qr"]);
    let link = live.link(1).await;
    // Long enough for a client polling every 2 s to ask again (this one must not).
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(
        h.dc.count_of::<tl::functions::auth::ExportLoginToken>(),
        1,
        "waiting for the scan asks nothing: {:?}",
        h.dc.request_names()
    );
    // One export shows the code, one after updateLoginToken finishes.
    let r = scan_to_the_end(&h, live, &token_of(&link), 2).await;
    assert_eq!(links_in(&r.stderr).len(), 1, "the code was drawn once");
}

#[tokio::test]
async fn a_dropped_connection_while_waiting_renews_the_code_at_once() {
    // Codes that outlive the test: only the drop can renew this one.
    let h = Harness::with(world_with(json!({"qr_token_ttl": 300})), false).await;
    let live = Live::start(&h, SETUP, &["--qr"]);
    let first = live.link(1).await;
    // Telegram's word that the code was scanned could be lost with the connection: setup
    // asks again right away instead of waiting for the code to expire.
    h.dc.drop_connections();
    let second = live.link(2).await;
    assert_ne!(second, first);
    scan_to_the_end(&h, live, &token_of(&second), 3).await;
}

#[tokio::test]
async fn an_expired_code_is_replaced_by_a_new_one() {
    let h = Harness::with(world_with(json!({"qr_token_ttl": 2})), false).await;
    let live = Live::start(&h, SETUP, &["--qr"]);
    let first = live.link(1).await;
    // Tokens from now on outlive the test: the one to scan is the DC's current token, once
    // shown (a renewal or two more on a slow machine change nothing).
    h.dc.world().login.qr_token_ttl = 300;
    let far = testkit::world::tl_build::now() + 200;
    let waited = tokio::time::timeout(PATIENCE, async {
        loop {
            if let Some((token, expires)) = h.dc.login_token()
                && expires > far
                && live.links().last().map(|l| token_of(l)) == Some(token.clone())
            {
                return token;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    })
    .await;
    let renewed = waited.unwrap_or_else(|_| panic!("no renewed code; stderr:\n{}", live.stderr()));
    assert_ne!(renewed, token_of(&first));
    assert!(
        h.dc.accept_login_token(&token_of(&first)).is_err(),
        "the old code no longer works"
    );
    h.dc.accept_login_token(&renewed).unwrap();
    let r = live.finish().await;
    assert_signed_in_as_ada(&r);
    assert!(r.stderr.contains("The QR code was renewed"), "{}", r.stderr);
    let shown = links_in(&r.stderr).len();
    assert_eq!(
        h.dc.count_of::<tl::functions::auth::ExportLoginToken>(),
        shown + 1,
        "one export per code shown, and one to finish"
    );
    assert!(signed_in_afterwards(&h).await);
}

#[tokio::test]
async fn without_a_terminal_qr_is_only_used_when_asked_for() {
    let h = Harness::with(sample_world(), false).await;
    let before = std::fs::read(h.session_file()).unwrap();
    for (binary, args) in [(SERVER, &["setup"][..]), (SETUP, &[][..])] {
        let r = Live::start(&h, binary, args).finish().await;
        assert_eq!(r.code, 2, "a usage error: {}", r.stderr);
        assert!(
            r.stderr.contains("terminal") && r.stderr.contains("--phone-number"),
            "{}",
            r.stderr
        );
        assert!(!r.stderr.contains(LINK));
    }
    assert_eq!(std::fs::read(h.session_file()).unwrap(), before);
    assert!(!h.session_dir().join("telegram.session.setup").exists());
    assert!(
        !h.dc
            .request_names()
            .iter()
            .any(|n| n == "auth.exportLoginToken"),
        "Telegram was not asked"
    );
}

#[tokio::test]
async fn an_unscanned_code_gives_up_after_the_timeout() {
    let h = Harness::with(sample_world(), false).await;
    let before = std::fs::read(h.session_file()).unwrap();
    let mut cmd = h.command_for(SETUP);
    cmd.arg("--qr").env("QR_TIMEOUT", "1").stdin(Stdio::null());
    let out = tokio::time::timeout(PATIENCE, cmd.output())
        .await
        .expect("setup finishes")
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains(LINK), "{stderr}");
    assert!(stderr.contains("not scanned within 1 second"), "{stderr}");
    assert_eq!(std::fs::read(h.session_file()).unwrap(), before);
    assert!(!h.session_dir().join("telegram.session.setup").exists());
    assert!(!h.dc.is_signed_in());
}

#[cfg(unix)]
#[tokio::test]
async fn ctrl_c_while_waiting_for_the_scan_changes_nothing() {
    let h = Harness::with(sample_world(), false).await;
    let before = std::fs::read(h.session_file()).unwrap();
    let live = Live::start(&h, SETUP, &["--qr"]);
    live.link(1).await;
    let pid = live.child.id().expect("setup is running").to_string();
    let sent = std::process::Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .unwrap();
    assert!(sent.success());
    let r = live.finish().await;
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("interrupted"), "{}", r.stderr);
    assert_eq!(std::fs::read(h.session_file()).unwrap(), before);
    assert!(!h.session_dir().join("telegram.session.setup").exists());
}
