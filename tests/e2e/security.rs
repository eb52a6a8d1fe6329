//! Attacks a hostile folder, an injected prompt or a hostile host can try, each refused end to
//! end with nothing else lost: a `.env` in the working directory, the session file as an
//! attachment, host roots wider than the operator's, an unsafe settings file, a log file
//! pointed through a symlink.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use rmcp::model::CallToolRequestParams;
use rmcp::service::RunningService;
use rmcp::transport::TokioChildProcess;
use rmcp::{RoleClient, ServiceExt};
use serde_json::{Value, json};
use tempfile::TempDir;

use crate::send_files::Host;
use testkit::harness::{Harness, call, spawn, spawn_collecting_stderr};

/// Writes the settings file `~/.config/fast-mcp-telegram/.env` (the harness's HOME is its
/// directory), owner-only as it must be.
pub(crate) fn write_settings_file(h: &Harness, text: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let dir = h.session_dir().join(".config").join("fast-mcp-telegram");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(".env");
    std::fs::write(&path, text).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    path
}

/// A directory on PATH with an `lsb_release` that records that it ran (and with what
/// environment): any child the server starts that looks the system up shows up here.
fn trap_lsb_release(dir: &Path) -> (String, PathBuf) {
    use std::os::unix::fs::PermissionsExt;
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let marker = dir.join("a-child-ran");
    let script = bin.join("lsb_release");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nenv > '{}'\necho 'Distributor ID: Trap'\n",
            marker.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    (path, marker)
}

/// Asks the server to send `path` to Saved Messages; (is_error, value), checked by
/// `testkit::harness::result_value`.
async fn send_file<H: rmcp::ClientHandler>(
    client: &RunningService<RoleClient, H>,
    path: &Path,
) -> (bool, Value) {
    let args = json!({"chat_id": "me", "message": "see attached", "files": [path]});
    let result = client
        .call_tool(
            CallToolRequestParams::new("send_message")
                .with_arguments(args.as_object().cloned().unwrap()),
        )
        .await
        .expect("tools/call answered");
    testkit::harness::result_value(client, "send_message", &result).await
}

fn uploads(h: &Harness) -> usize {
    h.dc.request_names()
        .iter()
        .filter(|n| n.starts_with("upload.save"))
        .count()
}

#[tokio::test]
async fn a_dotenv_in_the_working_directory_changes_nothing_and_starts_nothing() {
    let h = Harness::signed_in().await;
    let repo = TempDir::new().unwrap();
    let r = repo.path();
    std::fs::write(
        r.join(".env"),
        format!(
            "LD_PRELOAD={r}/evil.so\nALLOWED_FILE_ROOTS=/\nSESSION_DIR={r}/stolen\n\
             SESSION_NAME=stolen\nLOG_FILE={r}/leak.log\nMTPROTO_PROXY=socks5://127.0.0.1:9\n\
             READ_ONLY=true\nTOOLS=find_chats\nAPI_ID=999\n",
            r = r.display()
        ),
    )
    .unwrap();
    std::fs::write(r.join(".env.local"), "ALLOWED_FILE_ROOTS=/etc\n").unwrap();
    let (path, marker) = trap_lsb_release(r);
    let mut cmd = h.command();
    cmd.current_dir(r).env("PATH", path);
    let (client, stderr) = spawn_collecting_stderr(cmd).await;

    // The session, the proxy, the tool list and read-only mode are the host's, not the file's.
    let tools: Vec<String> = client
        .list_all_tools()
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.name.to_string())
        .collect();
    assert!(tools.contains(&"send_message".to_string()), "{tools:?}");
    assert!(tools.contains(&"get_messages".to_string()), "{tools:?}");
    let (err, v) = call(
        &client,
        "get_messages",
        json!({"chat_id": "me", "limit": 1}),
    )
    .await;
    assert!(!err, "reached Telegram directly, on the real session: {v}");
    // The file policy is still deny-by-default.
    let (err, v) = send_file(&client, Path::new("/etc/passwd")).await;
    assert!(err);
    assert_eq!(v["error_code"], "LOCAL_FILES_DISABLED", "{v}");
    client.cancel().await.unwrap();

    assert!(
        !marker.exists(),
        "the server started a child process: {}",
        std::fs::read_to_string(&marker).unwrap_or_default()
    );
    assert!(!r.join("stolen").exists(), "no session moved into the repo");
    assert!(!r.join("leak.log").exists(), "no log written into the repo");
    assert_eq!(uploads(&h), 0);
    let stderr = stderr.lock().unwrap().clone();
    let warnings: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("in the working directory"))
        .collect();
    assert_eq!(warnings.len(), 2, "one line per file: {stderr}");
    assert!(warnings[0].contains("ignoring .env") && warnings[0].contains("ALLOWED_FILE_ROOTS"));
    assert!(warnings[1].contains("ignoring .env.local"));
    assert!(
        !stderr.contains("evil.so"),
        "values are never echoed: {stderr}"
    );
}

#[tokio::test]
async fn a_dotenv_above_the_working_directory_or_a_fifo_in_it_changes_nothing() {
    let h = Harness::signed_in().await;
    let repo = TempDir::new().unwrap();
    let nested = repo.path().join("src").join("deep");
    std::fs::create_dir_all(&nested).unwrap();
    std::fs::write(repo.path().join(".env"), "ALLOWED_FILE_ROOTS=/\n").unwrap();
    // A FIFO planted as .env.local right here must not hang the start.
    let fifo = std::process::Command::new("mkfifo")
        .arg(nested.join(".env.local"))
        .status()
        .unwrap();
    assert!(fifo.success());
    let mut cmd = h.command();
    cmd.current_dir(&nested);
    let client = spawn(cmd).await;
    let (err, v) = send_file(&client, Path::new("/etc/passwd")).await;
    assert!(err);
    assert_eq!(v["error_code"], "LOCAL_FILES_DISABLED", "{v}");
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn the_settings_file_beside_the_sessions_is_read_below_the_environment() {
    let h = Harness::signed_in().await;
    let base = TempDir::new().unwrap();
    let (from_file, from_env) = (base.path().join("a"), base.path().join("b"));
    for dir in [&from_file, &from_env] {
        std::fs::create_dir(dir).unwrap();
        std::fs::write(dir.join("note.txt"), b"hello").unwrap();
    }
    write_settings_file(&h, &format!("ALLOWED_FILE_ROOTS={}\n", from_file.display()));
    let (path, marker) = trap_lsb_release(base.path());
    let mut cmd = h.command();
    cmd.env("PATH", &path);
    let client = spawn(cmd).await;
    let (err, v) = send_file(&client, &from_file.join("note.txt")).await;
    assert!(!err, "the settings file's root applies: {v}");
    client.cancel().await.unwrap();

    let mut cmd = h.command();
    cmd.env("PATH", &path).env("ALLOWED_FILE_ROOTS", &from_env);
    let client = spawn(cmd).await;
    let (err, v) = send_file(&client, &from_file.join("note.txt")).await;
    assert!(err, "the environment wins over the file");
    assert_eq!(v["error_code"], "PATH_NOT_ALLOWED", "{v}");
    let (err, v) = send_file(&client, &from_env.join("note.txt")).await;
    assert!(!err, "{v}");
    client.cancel().await.unwrap();
    assert!(!marker.exists(), "no child process");
}

#[tokio::test]
async fn a_settings_file_others_can_write_is_refused_with_the_fix() {
    use std::os::unix::fs::PermissionsExt;
    let h = Harness::signed_in().await;
    let path = write_settings_file(&h, "ALLOWED_FILE_ROOTS=/\n");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o666)).unwrap();
    let out = h
        .command()
        .stdin(Stdio::null())
        .output()
        .await
        .expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("writable by others") && stderr.contains("chmod 600"),
        "{stderr}"
    );
    assert!(out.stdout.is_empty());
}

#[tokio::test]
async fn the_session_and_its_companions_are_never_attached_whatever_the_roots() {
    let h = Harness::signed_in().await;
    let outside = TempDir::new().unwrap();
    let shared = outside.path().join("shared");
    let logs = outside.path().join("logs");
    std::fs::create_dir_all(&shared).unwrap();
    std::fs::create_dir_all(&logs).unwrap();
    std::fs::write(shared.join("ok.txt"), b"fine to send").unwrap();
    std::fs::hard_link(h.session_file(), shared.join("innocent.db")).unwrap();
    std::fs::write(shared.join("other-tool.session"), b"SQLite format 3\0").unwrap();
    let log = logs.join("server.log");
    std::fs::write(logs.join("server.log.1"), b"older log lines").unwrap();
    let roots = std::env::join_paths([h.session_dir(), outside.path()]).unwrap();
    let mut cmd = h.command();
    cmd.env("ALLOWED_FILE_ROOTS", &roots).env("LOG_FILE", &log);
    let client = spawn(cmd).await;
    let (err, _) = call(
        &client,
        "get_messages",
        json!({"chat_id": "me", "limit": 1}),
    )
    .await;
    assert!(!err);
    // The state record is written beside the calls, not before them: wait until it exists,
    // so every companion is there to be refused.
    let state = h.session_dir().join("telegram.session.state.json");
    testkit::wait::wait_until("the state record", || state.exists()).await;
    let mut companions: Vec<PathBuf> = std::fs::read_dir(h.session_dir())
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("telegram.session")
        })
        .collect();
    companions.sort();
    let names: Vec<String> = companions
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    for expected in [
        "telegram.session",
        "telegram.session.lock",
        "telegram.session.state.json",
    ] {
        assert!(names.iter().any(|n| n == expected), "{names:?}");
    }
    let mut attempts = companions.clone();
    attempts.extend([
        shared.join("innocent.db"),
        shared.join("other-tool.session"),
        log.clone(),
        logs.join("server.log.1"),
    ]);
    for path in &attempts {
        let (err, v) = send_file(&client, path).await;
        assert!(err, "{}", path.display());
        assert_eq!(v["error_code"], "PATH_PROTECTED", "{}: {v}", path.display());
    }
    assert_eq!(uploads(&h), 0, "nothing protected reached Telegram");
    let (err, v) = send_file(&client, &shared.join("ok.txt")).await;
    assert!(!err, "other files under the same roots still go: {v}");
    client.cancel().await.unwrap();

    // A host that declares the whole disk as its root cannot reach them either.
    let host = Host {
        roots: vec!["file:///".into()],
        ..Host::default()
    };
    let (transport, _) = TokioChildProcess::builder(h.command()).spawn().unwrap();
    let client = host.serve(transport).await.unwrap();
    for path in [h.session_file(), shared.join("innocent.db")] {
        let (err, v) = send_file(&client, &path).await;
        assert!(err, "{}", path.display());
        assert_eq!(v["error_code"], "PATH_PROTECTED", "{}: {v}", path.display());
    }
    client.cancel().await.unwrap();
    assert_eq!(uploads(&h), 1, "only ok.txt was ever uploaded");
}

#[tokio::test]
async fn host_roots_only_narrow_the_configured_roots() {
    let h = Harness::signed_in().await;
    let base = TempDir::new().unwrap();
    let project = base.path().join("project");
    let sub = project.join("sub");
    let elsewhere = base.path().join("elsewhere");
    std::fs::create_dir_all(&sub).unwrap();
    std::fs::create_dir_all(&elsewhere).unwrap();
    std::fs::write(project.join("a.txt"), b"a").unwrap();
    std::fs::write(sub.join("b.txt"), b"b").unwrap();
    std::fs::write(elsewhere.join("c.txt"), b"c").unwrap();
    let host_with = |roots: Vec<String>| Host {
        roots,
        ..Host::default()
    };
    let uri = |p: &Path| format!("file://{}", p.display());
    let connect = |host: Host| {
        let mut cmd = h.command();
        cmd.env("ALLOWED_FILE_ROOTS", &project);
        async move {
            let (transport, _) = TokioChildProcess::builder(cmd).spawn().unwrap();
            host.serve(transport).await.unwrap()
        }
    };

    // The host declares the whole disk: the operator's folder still bounds it.
    let client = connect(host_with(vec!["file:///".into()])).await;
    let (err, v) = send_file(&client, Path::new("/etc/passwd")).await;
    assert!(err);
    assert_eq!(v["error_code"], "PATH_NOT_ALLOWED", "{v}");
    let (err, v) = send_file(&client, &project.join("a.txt")).await;
    assert!(!err, "{v}");
    client.cancel().await.unwrap();

    // The host declares a narrower folder: only that part of the operator's is open.
    let client = connect(host_with(vec![uri(&sub)])).await;
    let (err, v) = send_file(&client, &project.join("a.txt")).await;
    assert!(err);
    assert_eq!(v["error_code"], "PATH_NOT_ALLOWED", "{v}");
    let (err, v) = send_file(&client, &sub.join("b.txt")).await;
    assert!(!err, "{v}");
    client.cancel().await.unwrap();

    // Disjoint sets share nothing.
    let client = connect(host_with(vec![uri(&elsewhere)])).await;
    for path in [project.join("a.txt"), elsewhere.join("c.txt")] {
        let (err, v) = send_file(&client, &path).await;
        assert!(err, "{}", path.display());
        assert_eq!(v["error_code"], "PATH_NOT_ALLOWED", "{v}");
    }
    client.cancel().await.unwrap();
    assert_eq!(uploads(&h), 2);
}

#[tokio::test]
async fn a_log_file_behind_a_symlink_is_refused_and_an_open_one_made_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let h = Harness::signed_in().await;
    let logs = TempDir::new().unwrap();
    let target = logs.path().join("victim.txt");
    std::fs::write(&target, b"untouched").unwrap();
    let link = logs.path().join("server.log");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let out = h
        .command()
        .env("LOG_FILE", &link)
        .stdin(Stdio::null())
        .output()
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("symbolic link"), "{stderr}");
    assert_eq!(std::fs::read(&target).unwrap(), b"untouched");

    let open = logs.path().join("open.log");
    std::fs::write(&open, b"").unwrap();
    std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o666)).unwrap();
    let mut cmd = h.command();
    cmd.env("LOG_FILE", &open);
    let client = spawn(cmd).await;
    let (err, _) = call(
        &client,
        "get_messages",
        json!({"chat_id": "me", "limit": 1}),
    )
    .await;
    assert!(!err);
    client.cancel().await.unwrap();
    let mode = std::fs::metadata(&open).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    assert!(!std::fs::read_to_string(&open).unwrap().is_empty());
}
