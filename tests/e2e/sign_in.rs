//! Signing in from the MCP host (`sign_in`): the server shows a QR code as an image, the test
//! "scans" it on the loopback DC (`FakeDc::accept_login_token`), and the next call finishes
//! the login; every tool then works on the same server, without a restart.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use grammers_session::Session;
use grammers_session::storages::SqliteSession;
use grammers_tl_types as tl;
use rmcp::model::CallToolResult;
use rmcp::{Peer, RoleClient};
use serde_json::{Value, json};

use testkit::fake_dc::DcOptions;
use testkit::harness::{Harness, call, call_result, result_value, sample_world, spawn_modern};

const LINK: &str = "tg://login?token=";
/// Generous: a debug build on a busy machine.
const PATIENCE: Duration = Duration::from_secs(60);

fn token_of(link: &str) -> Vec<u8> {
    let encoded = link.strip_prefix(LINK).expect("a tg://login link");
    URL_SAFE_NO_PAD.decode(encoded).expect("base64url token")
}

/// The text a QR code in a PNG encodes.
fn decode_png(png: &[u8]) -> String {
    let decoder = png::Decoder::new(std::io::Cursor::new(png));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let frame = reader.next_frame(&mut buf).unwrap();
    assert_eq!(frame.bit_depth, png::BitDepth::One);
    let (w, h) = (frame.width as usize, frame.height as usize);
    let row = frame.line_size;
    let mut image = rqrr::PreparedImage::prepare_from_bitmap(w, h, |x, y| {
        buf[y * row + x / 8] & (0x80 >> (x % 8)) == 0
    });
    let grids = image.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code in the image");
    grids[0].decode().unwrap().1
}

/// The images of a result: (MIME type, bytes).
fn images(result: &CallToolResult) -> Vec<(String, Vec<u8>)> {
    let content = serde_json::to_value(&result.content).unwrap();
    content
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["type"] == "image")
        .map(|c| {
            let mime = c["mimeType"].as_str().unwrap().to_string();
            (mime, STANDARD.decode(c["data"].as_str().unwrap()).unwrap())
        })
        .collect()
}

/// Calls sign_in: (is_error, value, result).
async fn sign_in(client: &Peer<RoleClient>) -> (bool, Value, CallToolResult) {
    let result = call_result(client, "sign_in", json!({})).await;
    let (err, value) = result_value(client, "sign_in", &result).await;
    (err, value, result)
}

/// The first call: a QR code to scan, as an image encoding the link it also gives as text.
async fn code_to_scan(client: &Peer<RoleClient>) -> String {
    let (err, v, result) = sign_in(client).await;
    assert!(!err, "{v}");
    assert_eq!(v["status"], "scan_qr_code", "{v}");
    let link = v["login_url"].as_str().unwrap().to_string();
    assert!(link.starts_with(LINK), "{link}");
    assert!(v["expires_at"].as_str().unwrap().ends_with('Z'), "{v}");
    assert!(
        v["next_step"]
            .as_str()
            .unwrap()
            .contains("Link Desktop Device")
    );
    let images = images(&result);
    assert_eq!(images.len(), 1, "one image");
    assert_eq!(images[0].0, "image/png");
    assert_eq!(
        decode_png(&images[0].1),
        link,
        "the image is the link's QR code"
    );
    link
}

fn assert_signed_in_as_ada(v: &Value) {
    assert_eq!(v["status"], "signed_in", "{v}");
    assert_eq!(v["account"]["name"], "Ada Lovelace", "{v}");
    assert_eq!(v["account"]["username"], "ada", "{v}");
    assert_eq!(
        v["account"]["phone"], "+15•••••••00",
        "never the full number: {v}"
    );
}

/// Every tool works on this server (the one that was signed in while running).
async fn every_tool_works(client: &Peer<RoleClient>) {
    let calls = [
        ("get_messages", json!({"chat_id": "@babbage", "limit": 1})),
        (
            "search_messages_globally",
            json!({"query": "engine", "limit": 1}),
        ),
        ("find_chats", json!({"query": "rust"})),
        ("get_chat_info", json!({"chat_id": "@babbage"})),
        (
            "send_message",
            json!({"chat_id": "me", "message": "signed in from the host"}),
        ),
        (
            "invoke_mtproto",
            json!({"method_full_name": "messages.getHistory", "params_json": {"peer": "@babbage",
                "offset_id": 0, "offset_date": 0, "add_offset": 0, "limit": 1, "max_id": 0,
                "min_id": 0, "hash": 0}}),
        ),
    ];
    for (tool, args) in calls {
        let (err, v) = call(client, tool, args).await;
        assert!(!err, "{tool}: {v}");
    }
}

/// A tool answers `authenticate_session`, its error saying `words`.
async fn tools_ask_to_sign_in(client: &Peer<RoleClient>, words: &str) {
    let (err, v) = call(client, "get_messages", json!({"chat_id": "me"})).await;
    assert!(err, "{v}");
    assert_eq!(v["action"], "authenticate_session");
    assert!(v["error"].as_str().unwrap().contains(words), "{v}");
}

/// Scans `link` on the DC, and checks the next sign_in call finishes the login.
async fn scan_and_finish(h: &Harness, client: &Peer<RoleClient>, link: &str) {
    h.dc.accept_login_token(&token_of(link)).unwrap();
    let (err, v, result) = sign_in(client).await;
    assert!(!err, "{v}");
    assert_signed_in_as_ada(&v);
    assert!(images(&result).is_empty());
}

/// A key-only session on the sample world whose QR codes live `ttl` seconds.
async fn codes_living(ttl: i32) -> Harness {
    let world = testkit::world::sample_with_login(json!({ "qr_token_ttl": ttl }));
    Harness::with(world, false).await
}

async fn home_dc(h: &Harness) -> i32 {
    SqliteSession::open(&h.session_file())
        .await
        .unwrap()
        .home_dc_id()
        .unwrap()
}

async fn signed_in_user_in_file(h: &Harness) -> Option<i64> {
    let session = SqliteSession::open(&h.session_file()).await.unwrap();
    match session
        .peer(grammers_session::types::PeerId::self_user())
        .await
    {
        Ok(Some(grammers_session::types::PeerInfo::User { id, .. })) => Some(id),
        _ => None,
    }
}

fn staging_exists(h: &Harness) -> bool {
    h.session_dir().join("telegram.session.setup").exists()
}

#[tokio::test]
async fn a_scanned_qr_code_signs_the_running_server_in_and_every_tool_works() {
    let h = Harness::with(sample_world(), false).await;
    let client = h.client().await;
    tools_ask_to_sign_in(&client, "sign_in tool").await;

    let link = code_to_scan(&client).await;
    scan_and_finish(&h, &client, &link).await;
    // One export shows the code, one after updateLoginToken finishes.
    assert_eq!(
        h.dc.count_of::<tl::functions::auth::ExportLoginToken>(),
        2,
        "{:?}",
        h.dc.request_names()
    );
    // Saved as setup saves it: the session file records the user, no staging file is left.
    assert_eq!(signed_in_user_in_file(&h).await, Some(h.dc.world().me().id));
    assert!(!staging_exists(&h));
    every_tool_works(&client).await;

    // Signed in: only says as whom, asking Telegram for no new code.
    let (err, v, _) = sign_in(&client).await;
    assert!(!err, "{v}");
    assert_signed_in_as_ada(&v);
    assert_eq!(h.dc.count_of::<tl::functions::auth::ExportLoginToken>(), 2);
    client.cancel().await.unwrap();

    // And the next server starts signed in.
    let client = h.client().await;
    every_tool_works(&client).await;
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn a_signed_in_session_answers_who_without_a_login() {
    let (h, client) = Harness::warmed_up().await;
    let asked = h.dc.count_of::<tl::functions::users::GetUsers>();
    let (err, v, _) = sign_in(&client).await;
    assert!(!err, "{v}");
    assert_signed_in_as_ada(&v);
    // One request: Telegram is asked who the session is (a revoked one would say so).
    assert_eq!(h.dc.count_of::<tl::functions::users::GetUsers>(), asked + 1);
    assert_eq!(h.dc.count_of::<tl::functions::auth::ExportLoginToken>(), 0);
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn a_session_revoked_while_serving_is_signed_in_again() {
    let (h, client) = Harness::warmed_up().await;
    h.dc.revoke_authorization();
    // No call has met the revocation yet: sign_in finds it.
    let link = code_to_scan(&client).await;
    scan_and_finish(&h, &client, &link).await;
    every_tool_works(&client).await;
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn an_expired_code_is_renewed_and_the_renewed_one_signs_in() {
    let h = codes_living(2).await;
    let client = h.client().await;
    let first = code_to_scan(&client).await;
    // Codes from now on outlive the test; the next call waits for the renewal and shows it.
    h.dc.world().login.qr_token_ttl = 300;
    let far = testkit::world::tl_build::now() + 200;
    let renewed = tokio::time::timeout(PATIENCE, async {
        loop {
            let (err, v, result) = sign_in(&client).await;
            assert!(!err, "{v}");
            if v["status"] == "scan_qr_code" {
                let link = v["login_url"].as_str().unwrap().to_string();
                assert_eq!(decode_png(&images(&result)[0].1), link);
                if let Some((token, expires)) = h.dc.login_token()
                    && expires > far
                    && token == token_of(&link)
                {
                    return link;
                }
            }
        }
    })
    .await
    .expect("a renewed code");
    assert_ne!(renewed, first);
    assert!(
        h.dc.accept_login_token(&token_of(&first)).is_err(),
        "the old code no longer works"
    );
    scan_and_finish(&h, &client, &renewed).await;
    every_tool_works(&client).await;
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn an_unscanned_code_is_answered_again_without_an_image_when_the_wait_ends() {
    let h = codes_living(300).await;
    let mut cmd = h.command();
    // A short deadline: the call waits 3 s for the scan.
    cmd.env("CALL_TIMEOUT_SECONDS", "8");
    let client = testkit::harness::spawn(cmd).await;
    let link = code_to_scan(&client).await;
    let (err, v, result) = sign_in(&client).await;
    assert!(!err, "{v}");
    assert_eq!(v["status"], "waiting_for_scan", "{v}");
    assert_eq!(v["login_url"], link.as_str());
    assert!(images(&result).is_empty(), "the code was shown already");
    assert_eq!(h.dc.count_of::<tl::functions::auth::ExportLoginToken>(), 1);
    // Scanned later: the next call finishes.
    scan_and_finish(&h, &client, &link).await;
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn the_login_follows_the_account_to_its_dc() {
    let h = Harness::with_options(DcOptions {
        signed_in: false,
        dc_ids: vec![2, 4],
        ..DcOptions::new(sample_world())
    })
    .await;
    h.dc.set_qr_migrate_to(4);
    let client = h.client().await;
    let link = code_to_scan(&client).await;
    scan_and_finish(&h, &client, &link).await;
    let imports = h.dc.requests_of::<tl::functions::auth::ImportLoginToken>();
    assert_eq!(imports.len(), 1, "{:?}", h.dc.request_names());
    assert_eq!(imports[0].token, token_of(&link));
    assert_eq!(
        home_dc(&h).await,
        4,
        "the session's home is the account's DC"
    );
    every_tool_works(&client).await;
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn a_two_factor_account_is_sent_to_setup_and_nothing_changes() {
    let world = testkit::world::sample_with_login(
        json!({"code": "24680", "password": "correct horse", "hint": "stable"}),
    );
    let h = Harness::with(world, false).await;
    let client = h.client().await;
    let link = code_to_scan(&client).await;
    // (Read once the server opened it: it adds a table of its own at the start.)
    let before = std::fs::read(h.session_file()).unwrap();
    h.dc.accept_login_token(&token_of(&link)).unwrap();
    let (err, v, _) = sign_in(&client).await;
    assert!(err, "{v}");
    assert_eq!(v["action"], "authenticate_session", "{v}");
    assert_eq!(v["error_code"], "SESSION_PASSWORD_NEEDED", "{v}");
    let said = v["error"].as_str().unwrap();
    assert!(said.contains("fast-mcp-telegram setup"), "{said}");
    // A bundle's binary is on no PATH: its full path is named.
    assert!(said.contains(&format!("\"{}\"", crate::SERVER)), "{said}");
    assert!(said.contains("session file is unchanged"), "{said}");
    // The password was never asked for, the session file is as it was, no staging is left.
    assert_eq!(h.dc.count_of::<tl::functions::account::GetPassword>(), 0);
    assert_eq!(h.dc.count_of::<tl::functions::auth::CheckPassword>(), 0);
    assert!(
        std::fs::read(h.session_file()).unwrap() == before,
        "the session file changed"
    );
    assert!(!staging_exists(&h));
    // The tools still say to sign in; Telegram keeps the scanned login waiting for the
    // password, so the next call says the same at once.
    tools_ask_to_sign_in(&client, "sign_in tool").await;
    let (err, v, _) = sign_in(&client).await;
    assert!(err, "{v}");
    assert_eq!(v["error_code"], "SESSION_PASSWORD_NEEDED", "{v}");
    client.cancel().await.unwrap();

    // Setup in a terminal finishes it: it asks only for the password.
    let mut setup = h.command_for(env!("CARGO_BIN_EXE_fast-mcp-telegram-setup"));
    setup
        .arg("--qr")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = setup.spawn().unwrap();
    use tokio::io::AsyncWriteExt;
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(b"correct horse\n").await.unwrap();
    drop(stdin);
    let out = tokio::time::timeout(PATIENCE, child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(!stderr.contains(LINK), "no new code to scan: {stderr}");
    assert_eq!(signed_in_user_in_file(&h).await, Some(h.dc.world().me().id));
}

#[tokio::test]
async fn sign_in_works_on_2026_07_28() {
    let h = Harness::with(sample_world(), false).await;
    let client = spawn_modern(h.command()).await;
    let link = code_to_scan(&client).await;
    scan_and_finish(&h, &client, &link).await;
    every_tool_works(&client).await;
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn a_waiting_call_reports_progress_and_a_cancelled_one_leaves_the_login_running() {
    use rmcp::ServiceExt;
    use rmcp::model::{
        CallToolRequest, CallToolRequestParams, ClientRequest, NumberOrString, ProgressToken,
        RequestMetaObject,
    };
    let h = codes_living(300).await;
    let mut cmd = h.command();
    // The call waits 7 s for the scan: progress every 5 s.
    cmd.env("CALL_TIMEOUT_SECONDS", "12");
    let host = crate::send_files::Host::default();
    let (transport, _) = rmcp::transport::TokioChildProcess::builder(cmd)
        .spawn()
        .unwrap();
    let client = host.clone().serve(transport).await.unwrap();
    let link = code_to_scan(&client).await;

    let mut params = CallToolRequestParams::new("sign_in");
    params.meta = Some(RequestMetaObject::with_progress_token(ProgressToken(
        NumberOrString::String("sign-in-1".into()),
    )));
    let result = client.call_tool(params).await.unwrap();
    let (err, v) = result_value(&client, "sign_in", &result).await;
    assert!(!err, "{v}");
    assert_eq!(v["status"], "waiting_for_scan", "{v}");
    testkit::wait::wait_until("a progress notification", || {
        !host.progress.lock().unwrap().is_empty()
    })
    .await;

    // A call cancelled while it waits ends; the login it waited for goes on.
    let request =
        ClientRequest::CallToolRequest(CallToolRequest::new(CallToolRequestParams::new("sign_in")));
    let handle = client
        .peer()
        .send_cancellable_request(request, rmcp::service::PeerRequestOptions::no_options())
        .await
        .unwrap();
    handle.cancel(None).await.unwrap();
    scan_and_finish(&h, &client, &link).await;
    assert_eq!(h.dc.count_of::<tl::functions::auth::ExportLoginToken>(), 2);
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn a_server_that_started_without_a_session_file_serves_the_one_signed_in() {
    let h = Harness::with(sample_world(), false).await;
    // The server starts without a session file…
    let aside = h.session_dir().join("aside");
    std::fs::rename(h.session_file(), &aside).unwrap();
    let client = h.client().await;
    tools_ask_to_sign_in(&client, "no Telegram session yet").await;
    // …and the login starts from one with the loopback DC's addresses (a real first login
    // would reach Telegram's own).
    std::fs::rename(&aside, h.session_file()).unwrap();
    let link = code_to_scan(&client).await;
    scan_and_finish(&h, &client, &link).await;
    every_tool_works(&client).await;
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn read_only_mode_signs_in_too_and_then_reads() {
    let h = Harness::with(sample_world(), false).await;
    let mut cmd = h.command();
    cmd.env("READ_ONLY", "true");
    let client = testkit::harness::spawn(cmd).await;
    let link = code_to_scan(&client).await;
    scan_and_finish(&h, &client, &link).await;
    let (err, v) = call(
        &client,
        "get_messages",
        json!({"chat_id": "@babbage", "limit": 1}),
    )
    .await;
    assert!(!err, "{v}");
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn a_login_telegram_refuses_says_why_changes_nothing_and_the_next_call_starts_anew() {
    use testkit::fake_dc::{FaultAction, FaultRule};
    let h = Harness::with(sample_world(), false).await;
    let client = h.client().await;
    tools_ask_to_sign_in(&client, "sign_in tool").await;
    let before = std::fs::read(h.session_file()).unwrap();
    h.dc.inject(
        FaultRule::on(
            "auth.exportLoginToken",
            FaultAction::Error {
                code: 400,
                message: "API_ID_INVALID".into(),
            },
        )
        .times(1),
    );
    let (err, v, _) = sign_in(&client).await;
    assert!(err, "{v}");
    assert_eq!(v["action"], "retry", "{v}");
    assert!(
        v["error"].as_str().unwrap().contains("API_ID_INVALID"),
        "{v}"
    );
    assert!(
        std::fs::read(h.session_file()).unwrap() == before,
        "the session file changed"
    );
    assert!(!staging_exists(&h));
    // The next call starts a new login, which works.
    let link = code_to_scan(&client).await;
    scan_and_finish(&h, &client, &link).await;
    client.cancel().await.unwrap();
}

/// With `TOOLS` leaving `sign_in` out, advice names only setup: the model cannot call a tool
/// it was not offered.
#[tokio::test]
async fn a_server_that_does_not_offer_sign_in_advises_setup_alone() {
    let h = Harness::with(sample_world(), false).await;
    let mut cmd = h.command();
    cmd.env("TOOLS", "get_messages,find_chats");
    let client = testkit::harness::spawn(cmd).await;
    let instructions = client
        .peer_info()
        .and_then(|info| info.instructions.clone())
        .unwrap_or_default();
    assert!(
        instructions.contains("the user runs the setup command"),
        "{instructions}"
    );
    assert!(!instructions.contains("sign_in"), "{instructions}");
    let (err, v) = call(&client, "get_messages", json!({"chat_id": "me"})).await;
    assert!(err, "{v}");
    assert_eq!(v["action"], "authenticate_session");
    let why = v["error"].as_str().unwrap();
    assert!(why.contains("fast-mcp-telegram setup"), "{v}");
    assert!(!why.contains("sign_in"), "{v}");
    client.cancel().await.unwrap();

    // Offered (the default), the instructions name it.
    let client = h.client().await;
    let instructions = client
        .peer_info()
        .and_then(|info| info.instructions.clone())
        .unwrap_or_default();
    assert!(instructions.contains("call `sign_in`"), "{instructions}");
    client.cancel().await.unwrap();
}
