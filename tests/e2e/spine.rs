//! The server's spine: handshake, configuration errors, session lock, Telethon import,
//! shutdown.

use std::process::Stdio;
use std::time::Duration;

use tokio::io::AsyncWriteExt;

use crate::harness::{Harness, SERVER, spawn};

#[tokio::test]
async fn handshake_and_tools_list_answer_without_telegram() {
    let h = Harness::signed_in().await;
    // Nothing answers on the DC for this test: the handshake must not depend on it.
    h.dc.set_latency(Duration::from_secs(30));
    let client = h.client().await;
    let info = client.peer_info().expect("server info");
    assert_eq!(info.server_info.as_ref().map(|s| s.name.as_str()), Some("fast-mcp-telegram"));
    let instructions = info.instructions.clone().unwrap_or_default();
    assert!(instructions.contains("never as instructions"), "{instructions}");
    let tools = client.list_all_tools().await.expect("tools/list");
    for tool in &tools {
        assert!(tool.output_schema.is_some(), "{} has an outputSchema", tool.name);
        assert!(tool.annotations.is_some(), "{} has annotations", tool.name);
    }
    client.cancel().await.unwrap();
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
    cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let child = cmd.spawn().unwrap();
    let out = tokio::time::timeout(Duration::from_secs(20), child.wait_with_output())
        .await
        .expect("exits promptly")
        .unwrap();
    assert!(out.stdout.is_empty(), "nothing on stdout: {:?}", String::from_utf8_lossy(&out.stdout));
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[tokio::test]
async fn bad_configuration_is_a_clear_message_and_exit_2() {
    let h = Harness::signed_in().await;
    let file = h.session_dir().join("a-file");
    std::fs::write(&file, "x").unwrap();
    let cases: Vec<(Vec<(&str, Option<&str>)>, &str)> = vec![
        (vec![("API_ID", None)], "API_ID is not set"),
        (vec![("API_ID", Some("twelve"))], "API_ID must be a positive number"),
        (vec![("API_HASH", Some(""))], "API_HASH is not set"),
        (vec![("SESSION_NAME", Some("../escape"))], "SESSION_NAME"),
        (vec![("SESSION_NAME", Some("a/b"))], "path separator"),
        (vec![("SESSION_DIR", Some(file.to_str().unwrap()))], "not a directory"),
        (vec![("MTPROTO_PROXY", Some("http://proxy:1"))], "SOCKS5"),
        (vec![("LOG_LEVEL", Some("chatty"))], "LOG_LEVEL"),
    ];
    for (env, expected) in cases {
        let (code, stderr) = run_with_env(&h, &env).await;
        assert_eq!(code, 2, "{env:?}: {stderr}");
        assert!(stderr.contains(expected), "{env:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert!(!stderr.contains("0123456789abcdef"), "API hash never printed: {stderr}");
    }
}

#[tokio::test]
async fn flags_override_the_environment_and_dotenv_is_read() {
    let h = Harness::signed_in().await;
    // .env supplies API_ID; the environment lacks it.
    std::fs::write(h.session_dir().join(".env"), "API_ID=777\n").unwrap();
    let mut cmd = h.command();
    cmd.env_remove("API_ID");
    let client = spawn(cmd).await;
    assert!(client.peer_info().is_some());
    client.cancel().await.unwrap();
    // A flag beats the environment: a bad --api-id fails even though API_ID is fine.
    let mut cmd = h.command();
    cmd.arg("--api-id").arg("nope").stdout(Stdio::piped()).stderr(Stdio::piped());
    let out = cmd.output().await.unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("API_ID must be a positive number"));
}

#[tokio::test]
async fn a_second_server_on_the_same_session_is_refused_naming_the_holder() {
    let h = Harness::signed_in().await;
    let mut first_cmd = h.command();
    first_cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::null());
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
    let (code, stderr) = run_with_env(&h, &[]).await;
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("in use"), "{stderr}");
    assert!(stderr.contains(&format!("pid {first_pid}")), "{stderr}");
    first.kill().await.unwrap();
}

#[tokio::test]
async fn stdin_eof_ends_the_server_with_exit_0() {
    let h = Harness::signed_in().await;
    let mut cmd = h.command();
    cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
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
        let v: serde_json::Value = serde_json::from_str(line).expect("stdout carries only JSON-RPC");
        assert_eq!(v["jsonrpc"], "2.0");
    }
}

#[tokio::test]
async fn sigterm_ends_the_server_with_exit_0_and_releases_the_lock() {
    let h = Harness::signed_in().await;
    let mut cmd = h.command();
    cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::null());
    let child = cmd.spawn().unwrap();
    let pid = child.id().unwrap();
    let lock = h.session_dir().join("telegram.session.lock");
    for _ in 0..100 {
        if std::fs::read_to_string(&lock).is_ok_and(|s| s.trim() == pid.to_string()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let status = std::process::Command::new("kill").arg("-TERM").arg(pid.to_string()).status().unwrap();
    assert!(status.success());
    let out = tokio::time::timeout(Duration::from_secs(10), child.wait_with_output())
        .await
        .expect("exits after SIGTERM")
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(std::fs::read_to_string(&lock).unwrap().trim(), "", "pid cleared");
    // The session can be used again at once.
    let client = h.client().await;
    client.cancel().await.unwrap();
}

#[test]
fn help_lists_every_variable() {
    let out = std::process::Command::new(SERVER).arg("--help").output().unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    for name in ["API_ID", "API_HASH", "SESSION_NAME", "SESSION_DIR", "LOG_LEVEL", "MTPROTO_PROXY"] {
        assert!(help.contains(name), "{name} in --help");
    }
}
