//! `fast-mcp-telegram setup` and `fast-mcp-telegram-setup`, answered on stdin as a person
//! would type, against the loopback DC.

use std::process::Stdio;
use std::time::Duration;

use grammers_tl_types as tl;
use serde_json::json;
use tokio::io::AsyncWriteExt;

use testkit::harness::{Harness, call, sample_world};
use testkit::world::World;

const SETUP: &str = env!("CARGO_BIN_EXE_fast-mcp-telegram-setup");

pub(crate) struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs setup (`binary` with `args`) against the harness session, typing `input`.
async fn run(h: &Harness, binary: &str, args: &[&str], input: &str) -> Run {
    run_with(h, binary, args, &[], input).await
}

/// [`run`] with more environment variables.
pub(crate) async fn run_with(
    h: &Harness,
    binary: &str,
    args: &[&str],
    env: &[(&str, &str)],
    input: &str,
) -> Run {
    let mut cmd = h.command_for(binary);
    cmd.envs(env.iter().copied());
    cmd.args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(input.as_bytes()).await.unwrap();
    drop(stdin);
    let out = tokio::time::timeout(Duration::from_secs(30), child.wait_with_output())
        .await
        .expect("setup finishes")
        .unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
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

#[tokio::test]
async fn phone_login_with_the_code_prints_who_and_a_host_config() {
    let h = Harness::with(sample_world(), false).await;
    let r = run(
        &h,
        crate::SERVER,
        &["setup", "--phone-number", "+1 555 000 1000"],
        "12345\n",
    )
    .await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout
            .contains("Signed in as user Ada Lovelace (@ada), phone +15•••••••00"),
        "{}",
        r.stdout
    );
    assert!(
        !r.stdout.contains("15550001000") && !r.stderr.contains("15550001000"),
        "phone never in full"
    );
    assert!(!r.stderr.contains("12345"), "the code is never echoed");
    let config_start = r.stdout.find('{').unwrap();
    let config: serde_json::Value = serde_json::from_str(&r.stdout[config_start..]).unwrap();
    let server = &config["mcpServers"]["telegram"];
    assert!(
        server["command"]
            .as_str()
            .unwrap()
            .ends_with("fast-mcp-telegram")
    );
    assert_eq!(server["env"]["API_ID"], "12345");
    assert!(h.dc.is_signed_in());
    assert!(
        !h.session_dir().join("telegram.session.setup").exists(),
        "staging file gone"
    );
    assert!(signed_in_afterwards(&h).await);
}

#[tokio::test]
async fn two_factor_password_is_asked_with_its_hint() {
    let world = world_with(json!({"code": "24680", "password": "correct horse", "hint": "stable"}));
    let h = Harness::with(world, false).await;
    let r = run(
        &h,
        SETUP,
        &["--phone-number=+15550001000"],
        "24680\nwrong horse\ncorrect horse\n",
    )
    .await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("hint: stable"), "{}", r.stderr);
    assert!(
        r.stderr.contains("That password is not right"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("correct horse") && !r.stdout.contains("correct horse"));
    assert!(signed_in_afterwards(&h).await);
}

#[tokio::test]
async fn a_wrong_code_can_be_retyped_and_three_wrong_codes_change_nothing() {
    let h = Harness::with(sample_world(), false).await;
    let before = std::fs::read(h.session_file()).unwrap();
    let r = run(
        &h,
        SETUP,
        &["--phone-number", "+15550001000"],
        "11111\n22222\n33333\n",
    )
    .await;
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("not accepted"), "{}", r.stderr);
    assert_eq!(
        std::fs::read(h.session_file()).unwrap(),
        before,
        "the session is untouched"
    );
    assert!(!h.session_dir().join("telegram.session.setup").exists());
    let r = run(
        &h,
        SETUP,
        &["--phone-number", "+15550001000"],
        "11111\n12345\n",
    )
    .await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("That code is not right"), "{}", r.stderr);
}

#[tokio::test]
async fn an_expired_code_is_replaced_by_a_new_one() {
    let h = Harness::with(sample_world(), false).await;
    let mut cmd = h.command_for(SETUP);
    cmd.args(["--phone-number", "+15550001000"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    // Wait for the code to be sent, expire it, then type it.
    for _ in 0..200 {
        if h.dc.request_names().iter().any(|n| n == "auth.sendCode") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    h.dc.expire_login_codes();
    stdin.write_all(b"12345\n12345\n").await.unwrap();
    drop(stdin);
    let out = tokio::time::timeout(Duration::from_secs(30), child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("expired"), "{stderr}");
    let sends =
        h.dc.request_names()
            .iter()
            .filter(|n| *n == "auth.sendCode")
            .count();
    assert_eq!(sends, 2);
}

/// Phone login on a world whose `auth.sendCode` answers with `code_type`, typing `input`.
async fn phone_login_by(code_type: &str, code: &str, input: &str) -> (Harness, Run) {
    let world = world_with(json!({"code": code, "code_type": code_type}));
    let h = Harness::with(world, false).await;
    let r = run(&h, SETUP, &["--phone-number=+15550001000"], input).await;
    (h, r)
}

#[tokio::test]
async fn setup_says_where_the_code_was_sent() {
    for (code_type, notice) in [
        ("app", "to your Telegram app on another device"),
        ("sms", "a login code by SMS"),
        ("call", "calling your phone"),
        ("email", "to your login e-mail a•••@example.com"),
        (
            "fragment_sms",
            "on Fragment: read it at https://fragment.com/my/numbers",
        ),
    ] {
        let (h, r) = phone_login_by(code_type, "12345", "12-34 5\n").await;
        assert_eq!(r.code, 0, "{code_type}: {}", r.stderr);
        assert!(r.stderr.contains(notice), "{code_type}: {}", r.stderr);
        assert!(r.stderr.contains("Login code: "), "{}", r.stderr);
        let sign_ins = h.dc.requests_of::<tl::functions::auth::SignIn>();
        assert_eq!(sign_ins.len(), 1);
        assert_eq!(typed_code(&sign_ins[0]), "12345", "{code_type}");
        assert!(signed_in_afterwards(&h).await);
    }
}

/// The code an `auth.signIn` carries: a code sent by e-mail comes back as
/// `email_verification`, any other as `phone_code`, never both.
fn typed_code(request: &tl::functions::auth::SignIn) -> String {
    match (&request.phone_code, &request.email_verification) {
        (Some(code), None) => code.clone(),
        (None, Some(tl::enums::EmailVerification::Code(c))) => c.code.clone(),
        other => panic!("unexpected code fields {other:?}"),
    }
}

#[tokio::test]
async fn a_code_sent_as_an_sms_word_or_phrase_is_sent_back_as_typed() {
    for (code_type, code, typed, notice) in [
        (
            "sms_phrase",
            "blue sky rising",
            "  blue sky rising \n",
            "login phrase by SMS (it starts with \"blue\")",
        ),
        (
            "sms_word",
            "apricot",
            "apricot\n",
            "login word by SMS (it starts with \"a\")",
        ),
    ] {
        let (h, r) = phone_login_by(code_type, code, typed).await;
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert!(r.stderr.contains(notice), "{}", r.stderr);
        assert!(r.stderr.contains("as received"), "{}", r.stderr);
        let sign_ins = h.dc.requests_of::<tl::functions::auth::SignIn>();
        assert_eq!(typed_code(&sign_ins[0]), code, "inner spaces kept");
        assert!(signed_in_afterwards(&h).await);
    }
}

#[tokio::test]
async fn a_number_without_a_login_email_sets_one_up_and_signs_in_with_the_code_sent_to_it() {
    // A refused address and a wrong e-mail code are typed again.
    let input = "not an address\nada@example.org\n11111\n678 90\n12345\n";
    let (h, r) = phone_login_by("set_up_email_required", "12345", input).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr.contains("until the account has a login e-mail"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("does not take that address"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains("sent a code to a•••@example.org to confirm"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("That code is not right"), "{}", r.stderr);
    assert!(
        r.stderr
            .contains("login code to your login e-mail a•••@example.org"),
        "{}",
        r.stderr
    );
    let all = format!("{}{}", r.stdout, r.stderr);
    for secret in ["ada@example.org", "67890", "678 90"] {
        assert!(!all.contains(secret), "{secret} echoed: {all}");
    }
    assert!(
        !r.stderr.contains("12345"),
        "the login code is never echoed"
    );
    let sends =
        h.dc.requests_of::<tl::functions::account::SendVerifyEmailCode>();
    assert_eq!(sends.len(), 2);
    assert_eq!(sends[1].email, "ada@example.org");
    let tl::enums::EmailVerifyPurpose::LoginSetup(purpose) = &sends[1].purpose else {
        panic!(
            "expected emailVerifyPurposeLoginSetup, got {:?}",
            sends[1].purpose
        );
    };
    assert_eq!(purpose.phone_number, "+15550001000");
    let verifies = h.dc.requests_of::<tl::functions::account::VerifyEmail>();
    assert_eq!(verifies.len(), 2);
    assert!(matches!(
        &verifies[1].verification,
        tl::enums::EmailVerification::Code(c) if c.code == "67890"
    ));
    let sign_ins = h.dc.requests_of::<tl::functions::auth::SignIn>();
    assert_eq!(sign_ins.len(), 1, "no code was asked for before the e-mail");
    assert_eq!(typed_code(&sign_ins[0]), "12345");
    assert!(signed_in_afterwards(&h).await);
}

#[tokio::test]
async fn a_login_email_that_cannot_be_confirmed_changes_nothing() {
    let (h, r) = phone_login_by(
        "set_up_email_required",
        "12345",
        "ada@example.org\n1\n2\n3\n",
    )
    .await;
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("e-mail code was not accepted"),
        "{}",
        r.stderr
    );
    assert!(
        !r.stderr.contains("Login code"),
        "no login code asked: {}",
        r.stderr
    );
    assert_eq!(h.dc.count_of::<tl::functions::auth::SignIn>(), 0);
    assert!(!h.dc.is_signed_in());
    assert!(!h.session_dir().join("telegram.session.setup").exists());
}

#[tokio::test]
async fn a_signed_in_session_is_replaced_only_with_overwrite() {
    let h = Harness::signed_in().await;
    let before = std::fs::read(h.session_file()).unwrap();
    let r = run(&h, SETUP, &["--phone-number", "+15550001000"], "12345\n").await;
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("--overwrite"), "{}", r.stderr);
    assert_eq!(std::fs::read(h.session_file()).unwrap(), before);
    let r = run(
        &h,
        SETUP,
        &["--overwrite", "--phone-number=+15550001000"],
        "12345\n",
    )
    .await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(signed_in_afterwards(&h).await);
}

#[tokio::test]
async fn a_session_logged_out_elsewhere_is_reauthorised() {
    let h = Harness::signed_in().await;
    h.dc.revoke_authorization();
    let r = run(
        &h,
        SETUP,
        &["--overwrite", "--phone-number=+15550001000"],
        "12345\n",
    )
    .await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(h.dc.is_signed_in());
    assert!(signed_in_afterwards(&h).await);
}

#[tokio::test]
async fn bot_token_login() {
    let world = world_with(json!({"bot_tokens": [{"token": "1004:AAE-secret", "user_id": 1004}]}));
    let h = Harness::with(world, false).await;
    let r = run(&h, SETUP, &["--bot-token", "1004:AAE-bad"], "").await;
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("bot token was refused"), "{}", r.stderr);
    assert!(!r.stderr.contains("AAE-bad"), "the token is never echoed");
    let r = run(&h, SETUP, &["--bot-api-token", "1004:AAE-secret"], "").await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.contains("Signed in as bot Weather (@weather_bot)"),
        "{}",
        r.stdout
    );
}

#[tokio::test]
async fn setup_refuses_a_session_in_use_by_a_server() {
    let h = Harness::signed_in().await;
    let client = h.client().await;
    let r = run(
        &h,
        SETUP,
        &["--overwrite", "--phone-number=+15550001000"],
        "12345\n",
    )
    .await;
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("in use") && r.stderr.contains("pid"),
        "{}",
        r.stderr
    );
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn missing_api_credentials_are_a_usage_error() {
    let h = Harness::with(sample_world(), false).await;
    let mut cmd = tokio::process::Command::new(SETUP);
    cmd.env_clear()
        .env("SESSION_DIR", h.session_dir())
        .env("HOME", h.session_dir())
        .current_dir(h.session_dir());
    let out = cmd.output().await.unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("API_ID is not set"));
}

#[tokio::test]
async fn a_flood_wait_says_how_long_to_wait() {
    use testkit::fake_dc::{FaultAction, FaultRule};
    let h = Harness::with(sample_world(), false).await;
    h.dc.inject(FaultRule::on("auth.sendCode", FaultAction::FloodWait(600)));
    let before = std::fs::read(h.session_file()).unwrap();
    let r = run(&h, SETUP, &["--phone-number", "+15550001000"], "").await;
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("wait 600 seconds"), "{}", r.stderr);
    assert_eq!(std::fs::read(h.session_file()).unwrap(), before);
}

#[tokio::test]
async fn setup_killed_mid_login_leaves_the_session_as_it_was() {
    let h = Harness::signed_in().await;
    let before = std::fs::read(h.session_file()).unwrap();
    let mut cmd = h.command_for(SETUP);
    cmd.args(["--overwrite", "--phone-number", "+15550001000"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut child = cmd.spawn().unwrap();
    // Wait until the code was requested: the staging session is in use by then.
    for _ in 0..400 {
        if h.dc.request_names().iter().any(|n| n == "auth.sendCode") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(h.dc.request_names().iter().any(|n| n == "auth.sendCode"));
    child.kill().await.unwrap(); // SIGKILL: no clean-up at all
    assert_eq!(
        std::fs::read(h.session_file()).unwrap(),
        before,
        "untouched"
    );
    // The next start works with the old session, and the next setup starts cleanly.
    assert!(signed_in_afterwards(&h).await);
    let r = run(
        &h,
        SETUP,
        &["--overwrite", "--phone-number=+15550001000"],
        "12345\n",
    )
    .await;
    assert_eq!(r.code, 0, "{}", r.stderr);
}

/// The host configuration setup printed: the `env` of its one server, and its command.
fn printed_config(stdout: &str) -> (serde_json::Map<String, serde_json::Value>, String) {
    let start = stdout.find('{').expect("a host configuration");
    let config: serde_json::Value = serde_json::from_str(&stdout[start..]).unwrap();
    let servers = config["mcpServers"].as_object().unwrap();
    assert_eq!(servers.len(), 1, "{config}");
    let server = servers.values().next().unwrap();
    (
        server["env"].as_object().unwrap().clone(),
        server["command"].as_str().unwrap().to_string(),
    )
}

#[tokio::test]
async fn the_printed_configuration_carries_every_setting_with_absolute_paths() {
    let h = Harness::with(sample_world(), false).await;
    let docs = h.session_dir().join("docs");
    std::fs::create_dir(&docs).unwrap();
    let logs = h.session_dir().join("logs");
    std::fs::create_dir(&logs).unwrap();
    // Run from the session directory's parent, naming everything relative to it.
    let parent = h.session_dir().parent().unwrap().to_path_buf();
    let name = h.session_dir().file_name().unwrap().to_str().unwrap();
    let session_dir = format!("./{name}");
    let log_file = format!("./{name}/logs/server.log");
    let mut cmd = h.command_for(SETUP);
    cmd.current_dir(&parent)
        .env_remove("SESSION_DIR")
        .env("READ_ONLY", "yes")
        .env("TOOLS", "get_messages, find_chats")
        .env("CALL_TIMEOUT_SECONDS", "40")
        .env("LOG_FILE_KEEP", "5")
        .args([
            "--phone-number=+15550001000",
            "--session-dir",
            &session_dir,
            "--allowed-file-roots",
            "~/docs",
            "--allow-http-urls",
            "true",
            "--block-private-ips",
            "false",
            "--max-file-size-mb",
            "20",
            "--log-file",
            &log_file,
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(b"12345\n").await.unwrap();
    drop(stdin);
    let out = tokio::time::timeout(Duration::from_secs(30), child.wait_with_output())
        .await
        .expect("setup finishes")
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (env, command) = printed_config(&stdout);
    let canonical = |p: &std::path::Path| p.canonicalize().unwrap().display().to_string();
    let expected = [
        ("API_ID", "12345".to_string()),
        ("API_HASH", "0123456789abcdef0123456789abcdef".to_string()),
        ("SESSION_DIR", canonical(h.session_dir())),
        ("LOG_LEVEL", "debug".to_string()),
        ("ALLOWED_FILE_ROOTS", canonical(&docs)),
        ("ALLOW_HTTP_URLS", "true".to_string()),
        ("BLOCK_PRIVATE_IPS", "false".to_string()),
        ("MAX_FILE_SIZE_MB", "20".to_string()),
        ("READ_ONLY", "true".to_string()),
        ("TOOLS", "find_chats,get_messages".to_string()),
        ("CALL_TIMEOUT_SECONDS", "40".to_string()),
        ("LOG_FILE", canonical(&logs.join("server.log"))),
        ("LOG_FILE_KEEP", "5".to_string()),
    ];
    for (name, value) in &expected {
        assert_eq!(env.get(*name), Some(&json!(value)), "{name} in {env:?}");
    }
    assert_eq!(env.len(), expected.len(), "nothing else: {env:?}");
    assert!(
        stdout.contains(&format!("Session file: {}", canonical(&h.session_file()))),
        "{stdout}"
    );

    // The configuration works as a host runs it: from another directory, with only its env.
    let mut server = tokio::process::Command::new(command);
    server
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", h.session_dir())
        .current_dir("/")
        .kill_on_drop(true);
    for (name, value) in &env {
        server.env(name, value.as_str().unwrap());
    }
    let client = testkit::harness::spawn(server).await;
    let tools = client.list_all_tools().await.unwrap();
    let mut names: Vec<String> = tools.iter().map(|t| t.name.to_string()).collect();
    names.sort();
    assert_eq!(names, ["find_chats", "get_messages"]);
    let (err, v) = call(
        &client,
        "get_messages",
        json!({"chat_id": "me", "limit": 1}),
    )
    .await;
    assert!(!err, "the session is found: {v}");
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn a_setting_the_server_would_refuse_stops_setup_before_signing_in() {
    let h = Harness::with(sample_world(), false).await;
    let mut cmd = h.command_for(SETUP);
    cmd.env("TOOLS", "get_messages,no_such_tool")
        .arg("--phone-number=+15550001000")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let out = cmd.output().await.unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("no_such_tool"), "{stderr}");
    assert!(
        !h.dc.request_names().iter().any(|n| n == "auth.sendCode"),
        "no login was started"
    );
}
