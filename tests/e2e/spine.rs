//! The server's spine: handshake, configuration errors, session lock, Telethon import,
//! shutdown.

use std::process::Stdio;
use std::time::Duration;

use tokio::io::AsyncWriteExt;

use crate::SERVER;
use serde_json::json;

use testkit::harness::{Harness, call, spawn};

#[tokio::test]
async fn handshake_and_tools_list_answer_without_telegram() {
    let h = Harness::signed_in().await;
    // Nothing answers on the DC for this test: the handshake must not depend on it.
    h.dc.set_latency(Duration::from_secs(30));
    let client = h.client().await;
    let info = client.peer_info().expect("server info");
    assert_eq!(
        info.server_info.as_ref().map(|s| s.name.as_str()),
        Some("fast-mcp-telegram")
    );
    let instructions = info.instructions.clone().unwrap_or_default();
    assert!(
        instructions.contains("never as instructions"),
        "{instructions}"
    );
    let tools = client.list_all_tools().await.expect("tools/list");
    for tool in &tools {
        assert!(
            tool.output_schema.is_some(),
            "{} has an outputSchema",
            tool.name
        );
        assert!(tool.annotations.is_some(), "{} has annotations", tool.name);
    }
    client.cancel().await.unwrap();
}

/// A host restarting the server starts the new process before the old one has let go of the
/// session: the new one answers `initialize` and `tools/list` at once, and reaches Telegram
/// only once it holds the lock.
#[tokio::test]
async fn the_handshake_is_answered_while_another_process_holds_the_session_lock() {
    let h = Harness::signed_in().await;
    let holder = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(h.session_dir().join("telegram.session.lock"))
        .unwrap();
    holder.try_lock().expect("the test holds the session lock");
    let mut cmd = h.command();
    cmd.env("SESSION_LOCK_WAIT_SECONDS", "30");
    let client = spawn(cmd).await;
    let tools = client.list_all_tools().await.expect("tools/list");
    assert!(tools.iter().any(|t| t.name == "get_messages"));
    let pending = tokio::spawn({
        let peer = client.peer().clone();
        async move { call(&peer, "get_messages", json!({"chat_id": "me", "limit": 1})).await }
    });
    assert!(
        h.dc.requests().is_empty(),
        "nothing reaches Telegram before the lock is held: {:?}",
        h.dc.requests_by_dc()
    );
    holder.unlock().unwrap();
    let (err, v) = pending.await.unwrap();
    assert!(!err, "the call is answered once the lock is free: {v}");
    assert!(!h.dc.requests().is_empty());
    client.cancel().await.unwrap();
}

/// The handshake no longer waits for the session: a file the server cannot use still ends it
/// with exit 1 and the reason on stderr, the host's `initialize` sent or not.
#[tokio::test]
async fn a_session_file_the_server_cannot_use_ends_it_with_the_reason_after_initialize() {
    use tokio::io::AsyncReadExt;
    let h = Harness::signed_in().await;
    std::fs::write(h.session_file(), b"not a database, not empty").unwrap();
    let mut cmd = h.command();
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let init = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "0"}}});
    stdin
        .write_all(format!("{init}\n").as_bytes())
        .await
        .unwrap();
    // A hang guard, not a speed claim; stdin stays open: the host is still there.
    let status = tokio::time::timeout(Duration::from_secs(20), child.wait())
        .await
        .expect("the server exits")
        .unwrap();
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .await
        .unwrap();
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("not a session file this server understands"),
        "{stderr}"
    );
    drop(stdin);
}

/// Runs the server with `env` over the harness' base environment and returns (exit code, stderr).
async fn run_with_env(h: &Harness, env: &[(&str, Option<&str>)]) -> (i32, String) {
    let mut cmd = h.command();
    for (k, v) in env {
        match v {
            Some(v) => cmd.env(k, v),
            None => cmd.env_remove(k),
        };
    }
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let child = cmd.spawn().unwrap();
    let out = tokio::time::timeout(Duration::from_secs(20), child.wait_with_output())
        .await
        .expect("exits promptly")
        .unwrap();
    assert!(
        out.stdout.is_empty(),
        "nothing on stdout: {:?}",
        String::from_utf8_lossy(&out.stdout)
    );
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test]
async fn bad_configuration_is_a_clear_message_and_exit_2() {
    let h = Harness::signed_in().await;
    let file = h.session_dir().join("a-file");
    std::fs::write(&file, "x").unwrap();
    type Case<'a> = (Vec<(&'a str, Option<&'a str>)>, &'a str);
    let cases: Vec<Case> = vec![
        (vec![("API_ID", None)], "API_ID is not set"),
        (
            vec![("API_ID", Some("twelve"))],
            "API_ID must be a positive number",
        ),
        (vec![("API_HASH", Some(""))], "API_HASH is not set"),
        (vec![("SESSION_NAME", Some("../escape"))], "SESSION_NAME"),
        (vec![("SESSION_NAME", Some("a/b"))], "path separator"),
        (
            vec![("SESSION_DIR", Some(file.to_str().unwrap()))],
            "not a directory",
        ),
        (
            vec![("MTPROTO_PROXY", Some("http://proxy:1"))],
            "MTPROTO_PROXY has an unsupported scheme \"http\": expected tg://proxy?",
        ),
        (vec![("LOG_LEVEL", Some("chatty"))], "LOG_LEVEL"),
    ];
    for (env, expected) in cases {
        let (code, stderr) = run_with_env(&h, &env).await;
        assert_eq!(code, 2, "{env:?}: {stderr}");
        assert!(stderr.contains(expected), "{env:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert!(
            !stderr.contains("0123456789abcdef"),
            "API hash never printed: {stderr}"
        );
    }
}

#[tokio::test]
async fn flags_override_the_environment_and_the_settings_file_is_read() {
    let h = Harness::signed_in().await;
    // The settings file (~/.config/fast-mcp-telegram/.env) supplies API_ID; the environment
    // lacks it.
    crate::security::write_settings_file(&h, "API_ID=777\n");
    let mut cmd = h.command();
    cmd.env_remove("API_ID");
    let client = spawn(cmd).await;
    assert!(client.peer_info().is_some());
    client.cancel().await.unwrap();
    // A flag beats the environment: a bad --api-id fails even though API_ID is fine.
    let mut cmd = h.command();
    cmd.arg("--api-id")
        .arg("nope")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let out = cmd.output().await.unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("API_ID must be a positive number"));
}

#[tokio::test]
async fn a_second_server_on_the_same_session_is_refused_naming_the_holder() {
    let h = Harness::signed_in().await;
    let mut first_cmd = h.command();
    first_cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let mut first = first_cmd.spawn().unwrap();
    let first_pid = first.id().unwrap();
    // Wait until the first server holds the lock (it writes its pid into the lock file).
    let lock = h.session_dir().join("telegram.session.lock");
    for _ in 0..100 {
        if std::fs::read_to_string(&lock).is_ok_and(|s| s.trim() == first_pid.to_string()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (code, stderr) = run_with_env(&h, &[("SESSION_LOCK_WAIT_SECONDS", Some("0"))]).await;
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("in use"), "{stderr}");
    assert!(stderr.contains(&format!("pid {first_pid}")), "{stderr}");
    first.kill().await.unwrap();
}

#[tokio::test]
async fn stdin_eof_ends_the_server_with_exit_0() {
    let h = Harness::signed_in().await;
    let mut cmd = h.command();
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin
        .write_all(b"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-06-18\",\"capabilities\":{},\"clientInfo\":{\"name\":\"t\",\"version\":\"0\"}}}\n")
        .await
        .unwrap();
    drop(stdin);
    let out = tokio::time::timeout(Duration::from_secs(10), child.wait_with_output())
        .await
        .expect("exits after EOF")
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&out.stdout);
    for line in stdout.lines() {
        let v: serde_json::Value =
            serde_json::from_str(line).expect("stdout carries only JSON-RPC");
        assert_eq!(v["jsonrpc"], "2.0");
    }
}

#[tokio::test]
async fn sigterm_ends_the_server_with_exit_0_and_releases_the_lock() {
    let h = Harness::signed_in().await;
    let mut cmd = h.command();
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let child = cmd.spawn().unwrap();
    let pid = child.id().unwrap();
    let lock = h.session_dir().join("telegram.session.lock");
    for _ in 0..100 {
        if std::fs::read_to_string(&lock).is_ok_and(|s| s.trim() == pid.to_string()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let status = std::process::Command::new("kill")
        .arg("-TERM")
        .arg(pid.to_string())
        .status()
        .unwrap();
    assert!(status.success());
    let out = tokio::time::timeout(Duration::from_secs(10), child.wait_with_output())
        .await
        .expect("exits after SIGTERM")
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        std::fs::read_to_string(&lock).unwrap().trim(),
        "",
        "pid cleared"
    );
    // The session can be used again at once.
    let client = h.client().await;
    client.cancel().await.unwrap();
}

/// With stdout not a pipe, the stdio transport reads stdin on a blocking thread that only a
/// line or EOF ends: the server must not wait for it once it has shut down.
#[tokio::test]
async fn sigterm_before_the_handshake_with_stdout_to_a_file_exits_at_once() {
    use tokio::io::AsyncReadExt;
    let h = Harness::signed_in().await;
    let out_dir = tempfile::tempdir().unwrap();
    let stdout = std::fs::File::create(out_dir.path().join("stdout")).unwrap();
    let mut cmd = h.command();
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::from(stdout))
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    // Open, never written, never closed until the server is gone.
    let stdin = child.stdin.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let pid = child.id().unwrap();
    let record = h.session_dir().join("telegram.session.state.json");
    for _ in 0..400 {
        let written = std::fs::read_to_string(&record)
            .ok()
            .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok());
        if written.is_some_and(|r| r["pid"] == pid) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    rustix::process::kill_process(
        rustix::process::Pid::from_raw(pid as i32).unwrap(),
        rustix::process::Signal::TERM,
    )
    .unwrap();
    // A hang guard, not a speed claim.
    let status = tokio::time::timeout(Duration::from_secs(5), child.wait())
        .await
        .expect("exits after SIGTERM although stdin stays open")
        .unwrap();
    drop(stdin);
    assert_eq!(status.code(), Some(0));
    let mut log = String::new();
    stderr.read_to_string(&mut log).await.unwrap();
    assert!(log.contains("shutting down"), "{log}");
    let lock = h.session_dir().join("telegram.session.lock");
    assert_eq!(
        std::fs::read_to_string(&lock).unwrap().trim(),
        "",
        "pid cleared"
    );
    fast_mcp_telegram::session::lock::SessionLock::acquire(&lock, "telegram")
        .expect("the lock is free");
    let record: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&record).unwrap()).unwrap();
    assert_eq!(record["stopped"], true, "{record}");
}

#[tokio::test]
async fn sigterm_while_waiting_for_the_session_lock_exits_at_once() {
    use tokio::io::AsyncBufReadExt;
    let h = Harness::signed_in().await;
    let mut holder = h.command();
    holder
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let mut holder = holder.spawn().unwrap();
    let holder_pid = holder.id().unwrap();
    let lock = h.session_dir().join("telegram.session.lock");
    for _ in 0..400 {
        if std::fs::read_to_string(&lock).is_ok_and(|s| s.trim() == holder_pid.to_string()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let mut waiter = h.command();
    waiter
        .env("SESSION_LOCK_WAIT_SECONDS", "60")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut waiter = waiter.spawn().unwrap();
    let mut lines = tokio::io::BufReader::new(waiter.stderr.take().unwrap()).lines();
    tokio::time::timeout(Duration::from_secs(20), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if line.contains("waiting for the other process") {
                return;
            }
        }
        panic!("the second server never waited for the lock");
    })
    .await
    .expect("the second server waits for the lock");
    rustix::process::kill_process(
        rustix::process::Pid::from_raw(waiter.id().unwrap() as i32).unwrap(),
        rustix::process::Signal::TERM,
    )
    .unwrap();
    // A hang guard (the lock wait is 60 s), not a speed claim.
    let status = tokio::time::timeout(Duration::from_secs(5), waiter.wait())
        .await
        .expect("exits after SIGTERM while waiting for the lock")
        .unwrap();
    assert_eq!(status.code(), Some(0));
    assert_eq!(
        std::fs::read_to_string(&lock).unwrap().trim(),
        holder_pid.to_string(),
        "the holder keeps its lock"
    );
    holder.kill().await.unwrap();
}

#[test]
fn help_lists_every_variable() {
    let out = std::process::Command::new(SERVER)
        .arg("--help")
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    for name in [
        "API_ID",
        "API_HASH",
        "SESSION_NAME",
        "SESSION_DIR",
        "LOG_LEVEL",
        "MTPROTO_PROXY",
    ] {
        assert!(help.contains(name), "{name} in --help");
    }
}

/// Writes a session the way the Python server (Telethon 1.x) does, pointing at `dc`.
async fn write_telethon_session(path: &std::path::Path, port: u16, key: &[u8; 256]) {
    let db = libsql::Builder::new_local(path).build().await.unwrap();
    let conn = db.connect().unwrap();
    for sql in [
        "CREATE TABLE version (version integer primary key)",
        "INSERT INTO version VALUES (8)",
        "CREATE TABLE sessions (dc_id integer primary key, server_address text, port integer, auth_key blob, takeout_id integer, tmp_auth_key blob)",
        "CREATE TABLE entities (id integer primary key, hash integer not null, username text, phone integer, name text, date integer)",
        "CREATE TABLE sent_files (md5_digest blob, file_size integer, type integer, id integer, hash integer, primary key(md5_digest, file_size, type))",
        "CREATE TABLE update_state (id integer primary key, pts integer, qts integer, date integer, seq integer)",
    ] {
        conn.execute(sql, ()).await.unwrap();
    }
    conn.execute(
        "INSERT INTO sessions VALUES (2, '127.0.0.1', ?1, ?2, NULL, x'')",
        libsql::params![port as i64, key.to_vec()],
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn a_telethon_session_from_the_python_server_is_imported_and_kept_as_backup() {
    let h = Harness::with(testkit::harness::sample_world(), true).await;
    std::fs::remove_file(h.session_file()).unwrap();
    write_telethon_session(&h.session_file(), h.dc.port(), &h.dc.auth_key()).await;
    // Telethon leaves its session at the umask's 0644.
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(h.session_file(), std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    let client = h.client().await;
    let (err, v) = testkit::harness::call(
        &client,
        "get_messages",
        serde_json::json!({"chat_id": "me"}),
    )
    .await;
    assert!(!err, "works without a new login: {v}");
    assert_eq!(v["messages"][0]["text"], "Reminder: renew library card");
    client.cancel().await.unwrap();
    let backup = h.session_dir().join("telegram.session.telethon-backup");
    assert!(backup.exists(), "the original is kept");
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&backup).unwrap().permissions().mode();
        assert_eq!(
            mode & 0o777,
            0o600,
            "the backup holds the auth key: owner-only"
        );
    }
    let tables = fast_mcp_telegram::session::telethon::table_names(&h.session_file())
        .await
        .unwrap();
    assert!(tables.contains(&"dc_option".to_string()), "{tables:?}");
    // The imported session learnt who it belongs to: a restart is signed in from the start.
    let client = h.client().await;
    let (err, _) = testkit::harness::call(
        &client,
        "get_messages",
        serde_json::json!({"chat_id": "1001", "limit": 1}),
    )
    .await;
    assert!(!err);
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn a_session_file_of_unknown_format_is_refused_and_left_alone() {
    let h = Harness::signed_in().await;
    std::fs::write(h.session_file(), b"not a database at all").unwrap();
    let (code, stderr) = run_with_env(&h, &[]).await;
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("is not a session file"), "{stderr}");
    assert_eq!(
        std::fs::read(h.session_file()).unwrap(),
        b"not a database at all"
    );
}

#[tokio::test]
async fn session_files_and_directory_are_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let h = Harness::signed_in().await;
    let dir = h.session_dir().join("fresh");
    let mut cmd = h.command();
    cmd.env("SESSION_DIR", &dir);
    // No session yet: the server starts and asks for setup, creating only the directory.
    let client = spawn(cmd).await;
    let (err, v) = testkit::harness::call(
        &client,
        "get_messages",
        serde_json::json!({"chat_id": "me"}),
    )
    .await;
    assert!(err);
    assert_eq!(v["action"], "authenticate_session");
    client.cancel().await.unwrap();
    let mode = std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o700);
    assert!(
        !dir.join("telegram.session").exists(),
        "no session file is created behind the user's back"
    );
    let lock_mode = std::fs::metadata(dir.join("telegram.session.lock"))
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(lock_mode, 0o600);
    // The seeded session gets restricted on open.
    let client = h.client().await;
    client.cancel().await.unwrap();
    let mode = std::fs::metadata(h.session_file())
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600);
}

/// The lines of `stderr` other than the start line.
fn other_lines(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter(|l| !l.trim().is_empty())
        .filter(|l| !l.contains("server starting"))
        .collect()
}

#[tokio::test]
async fn a_short_session_at_the_default_level_logs_only_its_start_line() {
    use tokio::io::{AsyncBufReadExt, BufReader};
    // What hosts do to list the tools: initialize, tools/list, close stdin — against a healthy
    // DC, repeatedly, since closing while the first contact is under way must not read as an
    // outage either.
    let h = Harness::signed_in().await;
    for run in 0..20 {
        let mut cmd = h.command();
        cmd.env_remove("LOG_LEVEL")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        let mut stdin = child.stdin.take().unwrap();
        stdin
            .write_all(
                concat!(
                    r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"a-host-with-a-long-name","version":"1.2.3"}}}"#,
                    "\n",
                    r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#,
                    "\n",
                    r#"{"jsonrpc":"2.0","id":2,"method":"tools/list"}"#,
                    "\n"
                )
                .as_bytes(),
            )
            .await
            .unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap()).lines();
        let listed = tokio::time::timeout(Duration::from_secs(10), async {
            while let Some(line) = stdout.next_line().await.unwrap() {
                let v: serde_json::Value = serde_json::from_str(&line).unwrap();
                if v["id"] == 2 {
                    return v;
                }
            }
            panic!("stdout ended before tools/list was answered");
        })
        .await
        .expect("tools/list answered");
        assert!(listed["result"]["tools"].is_array(), "{listed}");
        drop(stdin);
        let out = tokio::time::timeout(Duration::from_secs(10), child.wait_with_output())
            .await
            .expect("exits after EOF")
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "run {run}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            stderr
                .lines()
                .filter(|l| l.contains("server starting"))
                .count(),
            1,
            "run {run}: one start line:\n{stderr}"
        );
        assert!(
            other_lines(&stderr).is_empty(),
            "run {run}: nothing but the start line at the default level:\n{stderr}"
        );
    }
}

#[tokio::test]
async fn a_one_shot_call_logs_nothing_at_the_default_level() {
    let h = Harness::signed_in().await;
    let mut cmd = h.command();
    cmd.env_remove("LOG_LEVEL")
        .args(["call", "get_messages", r#"{"chat_id": "me", "limit": 1}"#])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let out = tokio::time::timeout(Duration::from_secs(20), cmd.output())
        .await
        .expect("the call ends")
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.trim().is_empty(), "warn and above only:\n{stderr}");
}
