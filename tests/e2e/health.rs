//! `fast-mcp-telegram-health` and the state record a running server keeps: health without a
//! server, with a connected one, after a lost connection, after a crash, for several sessions,
//! over HTTP (`/health`, `/metrics`), and the logs and records holding nothing secret.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};

use testkit::fake_dc::{DcOptions, FaultAction, FaultRule};
use testkit::harness::{Harness, call, sample_world, spawn_collecting_stderr};
use testkit::seed::seed_session;

const HEALTH: &str = env!("CARGO_BIN_EXE_fast-mcp-telegram-health");

struct Report {
    code: i32,
    json: Value,
}

/// The health command for the harness session, without API credentials (it needs none).
fn health_command(h: &Harness, args: &[&str]) -> tokio::process::Command {
    let mut cmd = h.command_for(HEALTH);
    cmd.env_remove("API_ID")
        .env_remove("API_HASH")
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

async fn health(h: &Harness, args: &[&str]) -> Report {
    let out = tokio::time::timeout(Duration::from_secs(30), health_command(h, args).output())
        .await
        .expect("health answers")
        .unwrap();
    let json = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "one JSON document on stdout ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    Report {
        code: out.status.code().unwrap_or(-1),
        json,
    }
}

/// Runs the health command until `done` holds for its report (the record is written at most
/// every few seconds), and returns that report.
async fn health_until(h: &Harness, args: &[&str], done: impl Fn(&Value) -> bool) -> Report {
    let mut last = Value::Null;
    for _ in 0..200 {
        let report = health(h, args).await;
        if done(&report.json) {
            return report;
        }
        last = report.json;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the health report never got there; the last one: {last:#}");
}

fn session<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("session {name} in {report:#}"))
}

fn reasons(report: &Value) -> String {
    report["reasons"].to_string()
}

/// A session file's bytes and modification time.
fn fingerprint(path: &Path) -> (Vec<u8>, std::time::SystemTime) {
    (
        std::fs::read(path).unwrap(),
        std::fs::metadata(path).unwrap().modified().unwrap(),
    )
}

#[tokio::test]
async fn without_a_server_the_session_is_unhealthy_and_left_untouched() {
    let h = Harness::signed_in().await;
    let before = fingerprint(&h.session_file());
    let r = health(&h, &[]).await;
    assert_eq!(r.code, 1);
    assert_eq!(r.json["status"], "unhealthy");
    assert!(reasons(&r.json).contains("no server running"), "{}", r.json);
    assert_eq!(r.json["session_files"], 1);
    let s = session(&r.json, "telegram");
    assert_eq!(s["file_present"], true);
    assert_eq!(s["signed_in"], true);
    assert_eq!(s["server_running"], false);
    assert_eq!(s["is_connected"], false);
    let all = health(&h, &["--all"]).await;
    assert_eq!(all.json["sessions"].as_array().unwrap().len(), 1);
    assert_eq!(
        fingerprint(&h.session_file()),
        before,
        "the session file is never modified"
    );
    let files: Vec<_> = std::fs::read_dir(h.session_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(
        files.len(),
        1,
        "health created nothing beside it: {files:?}"
    );

    // A session that is not signed in, and a missing one.
    let unsigned = Harness::with(sample_world(), false).await;
    let r = health(&unsigned, &[]).await;
    assert_eq!(session(&r.json, "telegram")["signed_in"], false);
    assert!(reasons(&r.json).contains("not signed in"), "{}", r.json);
    let r = health(&h, &["--session-name", "nobody"]).await;
    assert_eq!(r.code, 1);
    assert_eq!(session(&r.json, "nobody")["file_present"], false);
    assert!(reasons(&r.json).contains("no session file"), "{}", r.json);
}

#[tokio::test]
async fn a_connected_server_is_healthy_and_counts_its_calls() {
    let h = Harness::signed_in().await;
    let client = h.client().await;
    for _ in 0..2 {
        let (err, v) = call(
            &client,
            "get_messages",
            json!({"chat_id": "me", "limit": 1}),
        )
        .await;
        assert!(!err, "{v}");
    }
    let (err, _) = call(
        &client,
        "get_messages",
        json!({"chat_id": "@nobody_by_that_name"}),
    )
    .await;
    assert!(err, "an unknown chat is an error");
    let r = health_until(&h, &[], |r| session(r, "telegram")["calls"] == 3).await;
    assert_eq!(r.code, 0, "{:#}", r.json);
    assert_eq!(r.json["status"], "healthy");
    assert_eq!(r.json["reasons"], json!([]));
    let s = session(&r.json, "telegram");
    assert_eq!(s["server_running"], true);
    assert_eq!(s["is_connected"], true);
    assert_eq!(s["state"], "connected");
    assert_eq!(s["errors"], 1);
    assert_eq!(s["flood_waits"], 0);
    assert_eq!(s["tools"]["get_messages"]["calls"], 3);
    assert_eq!(s["tools"]["get_messages"]["errors"], 1);
    assert!(s["tools"]["get_messages"]["p50_ms"].is_u64());
    assert!(s["tools"]["get_messages"]["p95_ms"].is_u64());
    assert!(s["last_access"].as_str().unwrap().ends_with('Z'));
    assert!(s["hours_since_access"].as_f64().unwrap() < 1.0);
    assert!(s["uptime_seconds"].is_u64());
    assert!(s["pid"].is_u64());

    // The record itself: owner-only, the signed-in user's id, nothing secret.
    let record_path = h.session_dir().join("telegram.session.state.json");
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&record_path)
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600);
    let record: Value =
        serde_json::from_str(&std::fs::read_to_string(&record_path).unwrap()).unwrap();
    assert_eq!(record["user_id"], 1000);
    assert_eq!(record["state"], "connected");
    assert_eq!(record["stopped"], false);
    assert!(record["rss_bytes"].as_u64().unwrap() > 0);
    assert!(record["cpu_seconds"].is_number());
    assert_secret_free("state record", &record.to_string(), &secrets(&h, &[]));

    // A flood wait is counted as such.
    h.dc.inject(FaultRule::on("messages.getHistory", FaultAction::FloodWait(600)).times(1));
    let (err, v) = call(
        &client,
        "get_messages",
        json!({"chat_id": "me", "limit": 1}),
    )
    .await;
    assert!(err, "{v}");
    let r = health_until(&h, &[], |r| session(r, "telegram")["flood_waits"] == 1).await;
    assert_eq!(session(&r.json, "telegram")["errors"], 2);

    // A clean stop marks the record stopped.
    client.cancel().await.unwrap();
    let r = health_until(&h, &[], |r| {
        session(r, "telegram")["stopped_at"].is_string()
    })
    .await;
    assert_eq!(r.code, 1);
    let s = session(&r.json, "telegram");
    assert_eq!(s["server_running"], false);
    assert_eq!(s["stale_record"], false);
    assert!(reasons(&r.json).contains("stopped cleanly"), "{}", r.json);
}

#[tokio::test]
async fn a_lost_connection_is_degraded_until_a_call_gets_through() {
    let h = Harness::signed_in().await;
    let client = h.client().await;
    let (err, _) = call(
        &client,
        "get_messages",
        json!({"chat_id": "me", "limit": 1}),
    )
    .await;
    assert!(!err);
    health_until(&h, &[], |r| r["status"] == "healthy").await;
    h.dc.inject(FaultRule::any(FaultAction::Drop));
    let (err, v) = call(
        &client,
        "get_messages",
        json!({"chat_id": "me", "limit": 1}),
    )
    .await;
    assert!(err, "{v}");
    assert_eq!(v["action"], "retry", "{v}");
    let r = health_until(&h, &[], |r| r["status"] != "healthy").await;
    assert_eq!(r.code, 1);
    assert_eq!(r.json["status"], "degraded", "{:#}", r.json);
    let s = session(&r.json, "telegram");
    assert_eq!(s["state"], "reconnecting");
    assert_eq!(s["is_connected"], false);
    assert_eq!(s["server_running"], true);
    assert!(reasons(&r.json).contains("reconnecting"), "{}", r.json);

    h.dc.clear_faults();
    let (err, v) = call(
        &client,
        "get_messages",
        json!({"chat_id": "me", "limit": 1}),
    )
    .await;
    assert!(!err, "{v}");
    let r = health_until(&h, &[], |r| r["status"] == "healthy").await;
    assert_eq!(r.code, 0);
    assert_eq!(session(&r.json, "telegram")["reconnects"], 1);
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn a_session_logged_out_elsewhere_is_unhealthy() {
    let h = Harness::signed_in().await;
    let client = h.client().await;
    let (err, _) = call(
        &client,
        "get_messages",
        json!({"chat_id": "me", "limit": 1}),
    )
    .await;
    assert!(!err);
    h.dc.revoke_authorization();
    let (err, v) = call(
        &client,
        "get_messages",
        json!({"chat_id": "me", "limit": 1}),
    )
    .await;
    assert!(err);
    assert_eq!(v["action"], "authenticate_session", "{v}");
    let r = health_until(&h, &[], |r| {
        session(r, "telegram")["state"] == "unauthorized"
    })
    .await;
    assert_eq!(r.code, 1);
    assert_eq!(r.json["status"], "unhealthy");
    assert!(reasons(&r.json).contains("setup --overwrite"), "{}", r.json);
    let record: Value = serde_json::from_str(
        &std::fs::read_to_string(h.session_dir().join("telegram.session.state.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(record["user_id"], Value::Null, "no user while signed out");
    client.cancel().await.unwrap();
}

/// Starts the server without an MCP client and waits until its record names it.
async fn start_bare_server(h: &Harness, name: &str) -> tokio::process::Child {
    let mut cmd = h.command();
    cmd.env("SESSION_NAME", name)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let child = cmd.spawn().unwrap();
    let pid = child.id().unwrap();
    let record = h.session_dir().join(format!("{name}.session.state.json"));
    for _ in 0..400 {
        let written = std::fs::read_to_string(&record)
            .ok()
            .and_then(|t| serde_json::from_str::<Value>(&t).ok());
        if written.is_some_and(|r| r["pid"] == pid) {
            return child;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("the server never wrote its state record");
}

#[tokio::test]
async fn a_killed_server_leaves_a_stale_record_that_is_reported() {
    let h = Harness::signed_in().await;
    let mut server = start_bare_server(&h, "telegram").await;
    let pid = server.id().unwrap();
    let r = health_until(&h, &[], |r| {
        session(r, "telegram")["server_running"] == true
    })
    .await;
    assert_eq!(session(&r.json, "telegram")["pid"], pid);
    server.kill().await.unwrap(); // SIGKILL: no chance to mark the record stopped
    let r = health(&h, &[]).await;
    assert_eq!(r.code, 1);
    assert_eq!(r.json["status"], "unhealthy");
    let s = session(&r.json, "telegram");
    assert_eq!(s["stale_record"], true, "{:#}", r.json);
    assert_eq!(s["server_running"], false);
    assert!(
        reasons(&r.json).contains(&format!("pid {pid}")),
        "{}",
        r.json
    );
    assert!(reasons(&r.json).contains("stale"), "{}", r.json);
}

#[tokio::test]
async fn a_write_left_unfinished_by_a_kill_is_reported_and_left_for_the_server() {
    use testkit::seed::{journal_path, leave_hot_journal};
    let h = Harness::signed_in().await;
    leave_hot_journal(&h.session_file(), "DELETE FROM peer_info")
        .await
        .unwrap();
    let journal = journal_path(&h.session_file());
    let before = (fingerprint(&h.session_file()), fingerprint(&journal));
    let r = health(&h, &[]).await;
    assert_eq!(r.code, 1);
    let why = reasons(&r.json);
    assert!(
        why.contains("left unfinished") && why.contains("telegram.session-journal"),
        "{why}"
    );
    assert!(why.contains("next server start rolls it back"), "{why}");
    assert!(
        !why.contains("not signed in"),
        "the file's content is not final yet: {why}"
    );
    assert_eq!(
        (fingerprint(&h.session_file()), fingerprint(&journal)),
        before,
        "the health check recovers nothing"
    );

    // The next server rolls it back; then the file is healthy but for the missing server.
    let client = h.client().await;
    client.cancel().await.unwrap();
    let r = health_until(&h, &[], |r| {
        session(r, "telegram")["server_running"] == false
            && r["reasons"].to_string().contains("stopped cleanly")
    })
    .await;
    let why = reasons(&r.json);
    assert!(!why.contains("unfinished"), "{why}");
    assert_eq!(session(&r.json, "telegram")["signed_in"], true, "{why}");
    assert!(!journal.exists());
}

#[tokio::test]
async fn a_session_file_that_cannot_be_opened_says_why() {
    let h = Harness::signed_in().await;
    std::fs::write(h.session_file(), vec![b'x'; 4096]).unwrap();
    let r = health(&h, &[]).await;
    assert_eq!(r.code, 1);
    let why = reasons(&r.json);
    assert!(why.contains("the session file cannot be opened"), "{why}");
    assert!(why.contains("not a database"), "{why}");
    assert!(why.contains("no server running"), "{why}");
}

#[tokio::test]
async fn all_reports_every_session_in_the_directory() {
    let h = Harness::signed_in().await;
    seed_session(&h.session_dir().join("work.session"), &h.dc, true)
        .await
        .unwrap();
    let first = start_bare_server(&h, "telegram").await;
    let mut work = start_bare_server(&h, "work").await;
    let r = health_until(&h, &["--all"], |r| {
        r["sessions"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["is_connected"] == true)
    })
    .await;
    assert_eq!(r.code, 0, "{:#}", r.json);
    assert_eq!(r.json["session_files"], 2);
    let names: Vec<_> = r.json["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].clone())
        .collect();
    assert_eq!(names, vec![json!("telegram"), json!("work")]);
    // Without --all, only the configured session counts.
    let only = health(&h, &["--session-name", "work"]).await;
    assert_eq!(only.json["sessions"].as_array().unwrap().len(), 1);
    assert_eq!(only.code, 0);

    work.kill().await.unwrap();
    let r = health(&h, &["--all"]).await;
    assert_eq!(r.code, 1);
    assert_eq!(r.json["status"], "unhealthy");
    assert_eq!(session(&r.json, "telegram")["status"], "healthy");
    assert_eq!(session(&r.json, "work")["stale_record"], true);
    let reasons = r.json["reasons"].as_array().unwrap();
    assert!(
        !reasons.is_empty()
            && reasons
                .iter()
                .all(|r| r.as_str().unwrap().starts_with("work: ")),
        "{reasons:?}"
    );
    drop(first);
}

// ---- HTTP ----

struct HttpAnswer {
    status: u16,
    headers: String,
    body: String,
}

async fn http(addr: &str, request: &[u8]) -> HttpAnswer {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.write_all(request).await.unwrap();
    let mut raw = Vec::new();
    tokio::time::timeout(Duration::from_secs(20), stream.read_to_end(&mut raw))
        .await
        .expect("the server closes the connection")
        .unwrap();
    let text = String::from_utf8(raw).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    HttpAnswer {
        status,
        headers: head.to_ascii_lowercase(),
        body: body.to_string(),
    }
}

async fn get(addr: &str, path: &str) -> HttpAnswer {
    http(
        addr,
        format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").as_bytes(),
    )
    .await
}

/// A sample line of the exposition format: name, labels, value.
#[derive(Debug)]
struct Sample {
    name: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

/// A strict reader of Prometheus' text format 0.0.4: every line a HELP, a TYPE or a sample;
/// one HELP and TYPE per family, before its samples; samples of a family together; valid
/// names; label values with only the three escapes; values that are numbers; no series twice.
fn parse_exposition(text: &str) -> Vec<Sample> {
    assert!(text.ends_with('\n'), "ends with a line feed");
    let mut types: BTreeMap<String, String> = BTreeMap::new();
    let mut helped = BTreeSet::new();
    let mut finished_families = BTreeSet::new();
    let mut current: Option<String> = None;
    let mut series = BTreeSet::new();
    let mut samples = Vec::new();
    for line in text.lines() {
        assert!(!line.is_empty(), "no empty lines");
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let (name, _) = rest.split_once(' ').expect("HELP has text");
            assert!(valid_name(name), "{line}");
            assert!(
                helped.insert(name.to_string()),
                "one HELP per family: {line}"
            );
            continue;
        }
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').expect("TYPE has a kind");
            assert!(valid_name(name), "{line}");
            assert!(
                ["counter", "gauge", "summary", "histogram", "untyped"].contains(&kind),
                "{line}"
            );
            assert!(
                types.insert(name.to_string(), kind.to_string()).is_none(),
                "one TYPE per family: {line}"
            );
            if let Some(previous) = current.replace(name.to_string()) {
                finished_families.insert(previous);
            }
            continue;
        }
        assert!(!line.starts_with('#'), "no other comments: {line}");
        let name_end = line.find(['{', ' ']).expect("a sample has a value");
        let name = &line[..name_end];
        assert!(valid_name(name), "{line}");
        let mut labels = BTreeMap::new();
        let mut rest = &line[name_end..];
        if let Some(inner) = rest.strip_prefix('{') {
            let mut chars = inner.char_indices().peekable();
            let end = loop {
                let (start, c) = chars.next().expect("labels close");
                if c == '}' {
                    break start;
                }
                if c == ',' {
                    continue;
                }
                let mut key = String::from(c);
                for (_, c) in chars.by_ref() {
                    if c == '=' {
                        break;
                    }
                    key.push(c);
                }
                assert!(
                    valid_name(&key) && !key.contains(':'),
                    "label name {key:?} in {line}"
                );
                assert_eq!(chars.next().map(|(_, c)| c), Some('"'), "{line}");
                let mut value = String::new();
                loop {
                    let (_, c) = chars.next().expect("label value closes");
                    match c {
                        '"' => break,
                        '\\' => match chars.next().map(|(_, c)| c) {
                            Some('\\') => value.push('\\'),
                            Some('"') => value.push('"'),
                            Some('n') => value.push('\n'),
                            other => panic!("bad escape {other:?} in {line}"),
                        },
                        '\n' => panic!("raw line feed in {line}"),
                        c => value.push(c),
                    }
                }
                assert!(
                    labels.insert(key, value).is_none(),
                    "a label twice in {line}"
                );
                assert!(matches!(chars.peek(), Some((_, ',' | '}'))), "{line}");
            };
            rest = &inner[end + 1..];
        }
        let value = rest.strip_prefix(' ').expect("one space before the value");
        assert!(!value.contains(' '), "no timestamps here: {line}");
        let value: f64 = value.parse().unwrap_or_else(|_| panic!("value of {line}"));
        let family = [
            name.strip_suffix("_sum"),
            name.strip_suffix("_count"),
            Some(name),
        ]
        .into_iter()
        .flatten()
        .find(|f| types.contains_key(*f))
        .unwrap_or_else(|| panic!("sample before its TYPE: {line}"));
        assert_eq!(
            current.as_deref(),
            Some(family),
            "samples of a family together: {line}"
        );
        assert!(!finished_families.contains(family), "{line}");
        assert!(helped.contains(family), "HELP for {family}");
        if labels.contains_key("quantile") {
            assert_eq!(types[family], "summary", "{line}");
        }
        assert!(
            series.insert(format!("{name}{labels:?}")),
            "a series twice: {line}"
        );
        samples.push(Sample {
            name: name.to_string(),
            labels,
            value,
        });
    }
    samples
}

fn value_of(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    samples
        .iter()
        .find(|s| {
            s.name == name
                && s.labels.len() == labels.len()
                && labels
                    .iter()
                    .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
        })
        .map(|s| s.value)
}

#[test]
fn the_exposition_reader_is_strict() {
    let good = "# HELP x_total X.\n# TYPE x_total counter\nx_total{a=\"q\\\"\\\\\\n\"} 1\n";
    assert_eq!(parse_exposition(good)[0].labels["a"], "q\"\\\n");
    for bad in [
        "x 1\n",                                          // no TYPE
        "# HELP x X.\n# TYPE x gauge\nx{a=\"b\\t\"} 1\n", // bad escape
        "# HELP x X.\n# TYPE x gauge\nx 1\nx 2\n",        // twice
        "# HELP x X.\n# TYPE x gauge\nx one\n",           // not a number
    ] {
        assert!(
            std::panic::catch_unwind(|| parse_exposition(bad)).is_err(),
            "{bad:?}"
        );
    }
}

/// Starts `health --serve` and returns it with the address it printed first.
async fn serve(h: &Harness, args: &[&str]) -> (tokio::process::Child, String) {
    let mut cmd = health_command(h, args);
    cmd.stderr(Stdio::inherit()).kill_on_drop(true);
    let mut child = cmd.spawn().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = tokio::time::timeout(Duration::from_secs(20), lines.next_line())
        .await
        .expect("the address is printed")
        .unwrap()
        .expect("a first line");
    let addr = first
        .strip_prefix("listening on http://")
        .unwrap_or_else(|| panic!("{first}"));
    (child, addr.to_string())
}

#[tokio::test]
async fn serve_answers_health_and_metrics_and_nothing_else() {
    let h = Harness::signed_in().await;
    seed_session(&h.session_dir().join("we\"ird.session"), &h.dc, true)
        .await
        .unwrap();
    let client = h.client().await;
    let (err, _) = call(
        &client,
        "get_messages",
        json!({"chat_id": "me", "limit": 1}),
    )
    .await;
    assert!(!err);
    health_until(&h, &[], |r| session(r, "telegram")["calls"] == 1).await;
    let before = fingerprint(&h.session_dir().join("we\"ird.session"));
    let (mut server, addr) = serve(&h, &["--serve", "127.0.0.1:0"]).await;
    assert!(addr.starts_with("127.0.0.1:"), "{addr}");

    let answer = get(&addr, "/health").await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert!(
        answer.headers.contains("content-type: application/json"),
        "{}",
        answer.headers
    );
    let report: Value = serde_json::from_str(&answer.body).unwrap();
    assert_eq!(report["status"], "healthy");
    assert_eq!(session(&report, "telegram")["calls"], 1);

    let metrics = get(&addr, "/metrics").await;
    assert_eq!(metrics.status, 200);
    assert!(
        metrics
            .headers
            .contains("content-type: text/plain; version=0.0.4"),
        "{}",
        metrics.headers
    );
    let samples = parse_exposition(&metrics.body);
    let telegram = [("session", "telegram")];
    let tool = [("session", "telegram"), ("tool", "get_messages")];
    assert_eq!(
        value_of(&samples, "fast_mcp_telegram_up", &telegram),
        Some(1.0)
    );
    assert_eq!(
        value_of(&samples, "fast_mcp_telegram_connected", &telegram),
        Some(1.0)
    );
    assert_eq!(
        value_of(&samples, "fast_mcp_telegram_tool_calls_total", &tool),
        Some(1.0)
    );
    assert_eq!(
        value_of(&samples, "fast_mcp_telegram_tool_errors_total", &tool),
        Some(0.0)
    );
    assert_eq!(
        value_of(&samples, "fast_mcp_telegram_tool_latency_ms_count", &tool),
        Some(1.0)
    );
    let p50 = [
        ("session", "telegram"),
        ("tool", "get_messages"),
        ("quantile", "0.5"),
    ];
    assert!(value_of(&samples, "fast_mcp_telegram_tool_latency_ms", &p50).is_some());
    let p95 = [
        ("session", "telegram"),
        ("tool", "get_messages"),
        ("quantile", "0.95"),
    ];
    assert!(value_of(&samples, "fast_mcp_telegram_tool_latency_ms", &p95).is_some());
    assert_eq!(
        value_of(&samples, "fast_mcp_telegram_reconnects_total", &telegram),
        Some(0.0)
    );
    assert_eq!(
        value_of(&samples, "fast_mcp_telegram_flood_waits_total", &telegram),
        Some(0.0)
    );
    assert!(
        value_of(
            &samples,
            "fast_mcp_telegram_resident_memory_bytes",
            &telegram
        )
        .unwrap()
            > 0.0
    );
    assert_eq!(
        value_of(&samples, "fast_mcp_telegram_session_files", &[]),
        Some(2.0)
    );

    // Other paths and methods, and a request head that is too large.
    assert_eq!(get(&addr, "/").await.status, 404);
    assert_eq!(get(&addr, "/health/../metrics").await.status, 404);
    let post = http(
        &addr,
        b"POST /health HTTP/1.1\r\nHost: localhost\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}",
    )
    .await;
    assert_eq!(post.status, 405);
    assert!(post.headers.contains("allow: get"), "{}", post.headers);
    let huge = format!(
        "GET /health HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
        "a".repeat(64 * 1024)
    );
    // The server stops reading at its limit and closes with the rest unread, which may reset
    // the connection under the client: a write or read error is a refusal too.
    let mut stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let mut raw = Vec::new();
    if stream.write_all(huge.as_bytes()).await.is_ok() {
        let _ = tokio::time::timeout(Duration::from_secs(20), stream.read_to_end(&mut raw))
            .await
            .expect("the server closes the connection");
    }
    let head = String::from_utf8_lossy(&raw);
    assert!(
        head.is_empty() || head.starts_with("HTTP/1.1 431"),
        "a huge head is refused: {head}"
    );
    assert_eq!(get(&addr, "/health").await.status, 200, "still serving");

    // --all over HTTP: the other session has no server, so 503 and a labelled metric.
    server.kill().await.unwrap();
    let (mut all, addr) = serve(&h, &["--serve", "127.0.0.1:0", "--all"]).await;
    let answer = get(&addr, "/health").await;
    assert_eq!(answer.status, 503);
    let report: Value = serde_json::from_str(&answer.body).unwrap();
    assert_eq!(report["status"], "unhealthy");
    let samples = parse_exposition(&get(&addr, "/metrics").await.body);
    assert_eq!(
        value_of(&samples, "fast_mcp_telegram_up", &[("session", "we\"ird")]),
        Some(0.0)
    );
    assert_eq!(
        value_of(&samples, "fast_mcp_telegram_up", &telegram),
        Some(1.0)
    );
    all.kill().await.unwrap();
    assert_eq!(
        fingerprint(&h.session_dir().join("we\"ird.session")),
        before
    );

    // Only loopback unless asked.
    let refused = health_command(&h, &["--serve", "0.0.0.0:0"])
        .output()
        .await
        .unwrap();
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--allow-remote"));
    client.cancel().await.unwrap();
}

/// A request for `path` with these header lines (each ending in CRLF), on HTTP/1.1.
async fn get_with(addr: &str, path: &str, headers: &str) -> HttpAnswer {
    http(
        addr,
        format!("GET {path} HTTP/1.1\r\n{headers}Connection: close\r\n\r\n").as_bytes(),
    )
    .await
}

/// The answer is the health report or the metrics, not a refusal.
fn assert_served(answer: &HttpAnswer, what: &str) {
    assert!(
        matches!(answer.status, 200 | 503),
        "{what}: {} {}",
        answer.status,
        answer.body
    );
    assert!(
        answer.body.contains("\"sessions\"") || answer.body.contains("fast_mcp_telegram_up"),
        "{what}: {}",
        answer.body
    );
}

/// The answer is the Host refusal, with nothing of the report in it.
fn assert_misdirected(answer: &HttpAnswer, what: &str) {
    assert_eq!(answer.status, 421, "{what}: {}", answer.body);
    assert!(answer.body.len() < 200, "{what}: {}", answer.body);
    for leak in ["sessions", "telegram", "status", "fast_mcp", "healthy"] {
        assert!(!answer.body.contains(leak), "{what}: {}", answer.body);
    }
}

#[tokio::test]
async fn serve_answers_only_requests_addressed_to_this_machine() {
    let h = Harness::signed_in().await;
    let (mut server, addr) = serve(&h, &["--serve", "127.0.0.1:0"]).await;
    let port = addr.rsplit(':').next().unwrap();

    // DNS rebinding: the browser connects to 127.0.0.1 but names the attacker's host.
    for host in [
        "evil.example".to_string(),
        format!("evil.example:{port}"),
        "127.0.0.1.evil.example".to_string(),
        format!("127.0.0.1.evil.example:{port}"),
        format!("localhost.evil.example:{port}"),
        format!("EVIL.example.:{port}"),
        format!("10.0.0.5:{port}"),
        format!("[fe80::1]:{port}"),
        format!("localhost:{port}x"),
        format!("user@localhost:{port}"),
    ] {
        for path in ["/health", "/metrics"] {
            let answer = get_with(&addr, path, &format!("Host: {host}\r\n")).await;
            assert_misdirected(&answer, &format!("Host: {host} {path}"));
        }
    }
    // No Host at all on HTTP/1.1, two of them, or a target naming another host.
    assert_misdirected(&get_with(&addr, "/health", "").await, "no Host");
    assert_misdirected(
        &get_with(
            &addr,
            "/health",
            &format!("Host: localhost:{port}\r\nHost: evil.example:{port}\r\n"),
        )
        .await,
        "two Hosts",
    );
    assert_misdirected(
        &get_with(
            &addr,
            &format!("http://evil.example:{port}/health"),
            &format!("Host: localhost:{port}\r\n"),
        )
        .await,
        "absolute-form target",
    );
    // The refusal comes before the routing: no telling which paths exist.
    assert_misdirected(
        &get_with(&addr, "/nothing-here", "Host: evil.example\r\n").await,
        "another path",
    );

    // The names of this machine, with or without the port, in any case.
    for host in [
        format!("localhost:{port}"),
        "localhost".to_string(),
        format!("LocalHost.:{port}"),
        format!("127.0.0.1:{port}"),
        "127.0.0.1".to_string(),
        format!("127.0.0.2:{port}"),
        format!("[::1]:{port}"),
        "[::1]".to_string(),
    ] {
        for path in ["/health", "/metrics"] {
            let answer = get_with(&addr, path, &format!("Host: {host}\r\n")).await;
            assert_served(&answer, &format!("Host: {host} {path}"));
        }
    }
    // HTTP/1.0 predates Host: a bare probe is still answered.
    let answer = http(&addr, b"GET /health HTTP/1.0\r\n\r\n").await;
    assert_served(&answer, "HTTP/1.0 without Host");
    server.kill().await.unwrap();

    // Bound on [::1], where this machine has IPv6 loopback.
    if std::net::TcpListener::bind("[::1]:0").is_ok() {
        let (mut server, addr) = serve(&h, &["--serve", "[::1]:0"]).await;
        let port = addr.rsplit(':').next().unwrap();
        assert_served(
            &get_with(&addr, "/health", &format!("Host: [::1]:{port}\r\n")).await,
            "[::1] on [::1]",
        );
        assert_served(
            &get_with(&addr, "/health", &format!("Host: localhost:{port}\r\n")).await,
            "localhost on [::1]",
        );
        assert_misdirected(
            &get_with(&addr, "/health", &format!("Host: evil.example:{port}\r\n")).await,
            "evil.example on [::1]",
        );
        server.kill().await.unwrap();
    } else {
        eprintln!("no IPv6 loopback here: the [::1] part is skipped");
    }
}

#[tokio::test]
async fn idle_and_stalled_connections_never_lock_the_monitor_out() {
    let h = Harness::signed_in().await;
    let (mut server, addr) = serve(&h, &["--serve", "127.0.0.1:0"]).await;

    // Many more idle connections than the server keeps, and some that stall mid-head.
    let mut idle = Vec::new();
    for _ in 0..40 {
        idle.push(tokio::net::TcpStream::connect(&addr).await.unwrap());
    }
    for _ in 0..10 {
        let mut stalled = tokio::net::TcpStream::connect(&addr).await.unwrap();
        stalled
            .write_all(b"GET /health HTTP/1.1\r\nHost: local")
            .await
            .unwrap();
        idle.push(stalled);
    }
    // The monitor still gets its answer, again and again…
    for _ in 0..3 {
        assert_served(&get(&addr, "/health").await, "behind 50 idle connections");
    }
    assert_served(&get(&addr, "/metrics").await, "metrics behind them");
    // …also when more idle ones keep arriving between its requests.
    for round in 0..3 {
        for _ in 0..20 {
            idle.push(tokio::net::TcpStream::connect(&addr).await.unwrap());
        }
        assert_served(&get(&addr, "/health").await, &format!("round {round}"));
    }

    // Every idle connection is closed by the server in the end: displaced, or timed out
    // waiting for its request head. (The bound only guards against a hang.)
    for (n, mut stream) in idle.into_iter().enumerate() {
        let mut buf = [0u8; 512];
        let mut seen = Vec::new();
        loop {
            match tokio::time::timeout(Duration::from_secs(60), stream.read(&mut buf))
                .await
                .unwrap_or_else(|_| panic!("idle connection {n} is never closed"))
            {
                Ok(0) | Err(_) => break,
                Ok(read) => seen.extend_from_slice(&buf[..read]),
            }
        }
        let seen = String::from_utf8_lossy(&seen);
        assert!(!seen.contains("sessions"), "connection {n} got: {seen}");
    }
    assert_served(&get(&addr, "/health").await, "after the storm");
    server.kill().await.unwrap();
}

#[tokio::test]
async fn the_state_record_is_never_seen_half_written() {
    let h = Harness::signed_in().await;
    let client = h.client().await;
    let (err, _) = call(
        &client,
        "get_messages",
        json!({"chat_id": "me", "limit": 1}),
    )
    .await;
    assert!(!err);
    let path = h.session_dir().join("telegram.session.state.json");
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let reader = {
        let stop = Arc::clone(&stop);
        let path = path.clone();
        std::thread::spawn(move || {
            let mut reads = 0u64;
            let mut states = BTreeSet::new();
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                if let Ok(text) = std::fs::read(&path) {
                    let record: Value = serde_json::from_slice(&text).unwrap_or_else(|e| {
                        panic!(
                            "a half-written record ({e}): {}",
                            String::from_utf8_lossy(&text)
                        )
                    });
                    states.insert(record["state"].as_str().unwrap().to_string());
                    reads += 1;
                }
            }
            (reads, states)
        })
    };
    // Every lost and regained connection rewrites the record at once, twice.
    for _ in 0..8 {
        h.dc.inject(FaultRule::any(FaultAction::Drop));
        let (err, _) = call(
            &client,
            "get_messages",
            json!({"chat_id": "me", "limit": 1}),
        )
        .await;
        assert!(err);
        h.dc.clear_faults();
        let (err, _) = call(
            &client,
            "get_messages",
            json!({"chat_id": "me", "limit": 1}),
        )
        .await;
        assert!(!err);
    }
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let (reads, states) = reader.join().expect("every read parsed");
    assert!(reads > 0);
    assert!(states.contains("connected"), "{states:?}");
    // The record is rewritten on each reconnect and after each call: wait for the one that
    // has seen all 17 calls, not the one written at the eighth reconnect.
    let r = health_until(&h, &[], |r| {
        let s = session(r, "telegram");
        s["reconnects"] == 8 && s["calls"] == 17
    })
    .await;
    assert_eq!(r.json["status"], "healthy");
    let leftovers: Vec<_> = std::fs::read_dir(h.session_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert_eq!(leftovers, Vec::<String>::new(), "no temporary files left");
    client.cancel().await.unwrap();
}

// ---- Logs ----

/// What must never appear in logs or records for the harness session.
fn secrets(h: &Harness, extra: &[&str]) -> Vec<String> {
    use base64::Engine;
    let key = h.dc.auth_key();
    let hex: String = key.iter().map(|b| format!("{b:02x}")).collect();
    let mut secrets = vec![
        "0123456789abcdef0123456789abcdef".to_string(), // the API hash
        "15550001000".to_string(),                      // the full phone number
        hex.clone(),
        hex.to_uppercase(),
        hex[..32].to_string(),
        base64::engine::general_purpose::STANDARD.encode(key),
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(key),
        base64::engine::general_purpose::STANDARD.encode(&key[..24]),
        format!("{:?}", &key[..16]),
    ];
    secrets.extend(extra.iter().map(|s| s.to_string()));
    secrets
}

fn assert_secret_free(what: &str, text: &str, secrets: &[String]) {
    for secret in secrets {
        assert!(
            !text.contains(secret.as_str()),
            "{what} holds a secret ({secret:.12}…)"
        );
    }
}

#[tokio::test]
async fn a_full_run_logs_no_secrets() {
    let code = "97531";
    let password = "correct horse battery staple";
    let world = testkit::world::sample_with_login(
        json!({"code": code, "password": password, "hint": "a stable"}),
    );
    let mut options = DcOptions::new(world);
    options.signed_in = false;
    let h = Harness::with_options(options).await;
    let log = h.session_dir().join("logs").join("server.log");
    std::fs::create_dir(log.parent().unwrap()).unwrap();

    // Sign in (code and 2FA password typed on stdin), logging to the file at debug.
    let mut setup = h.command_for(crate::SERVER);
    setup
        .args(["setup", "--phone-number", "+15550001000"])
        .env("LOG_FILE", &log)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = setup.spawn().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin
        .write_all(format!("{code}\n{password}\n").as_bytes())
        .await
        .unwrap();
    drop(stdin);
    let out = tokio::time::timeout(Duration::from_secs(60), child.wait_with_output())
        .await
        .expect("setup finishes")
        .unwrap();
    let setup_stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(0), "{setup_stderr}");

    // Serve a few calls, one failing and one through a lost connection.
    let mut cmd = h.command();
    cmd.env("LOG_FILE", &log).env("LOG_FILE_KEEP", "2");
    let (client, stderr) = spawn_collecting_stderr(cmd).await;
    let (err, _) = call(
        &client,
        "get_messages",
        json!({"chat_id": "me", "limit": 2}),
    )
    .await;
    assert!(!err);
    let (err, _) = call(&client, "find_chats", json!({"query": "ada"})).await;
    assert!(!err);
    let (err, _) = call(&client, "get_chat_info", json!({"chat_id": "+15550001001"})).await;
    let _ = err;
    h.dc.inject(FaultRule::any(FaultAction::Drop));
    let (err, _) = call(
        &client,
        "get_messages",
        json!({"chat_id": "me", "limit": 1}),
    )
    .await;
    assert!(err);
    h.dc.clear_faults();
    let (err, _) = call(
        &client,
        "get_messages",
        json!({"chat_id": "me", "limit": 1}),
    )
    .await;
    assert!(!err);
    health_until(&h, &[], |r| session(r, "telegram")["calls"] == 5).await;
    client.cancel().await.unwrap();
    health_until(&h, &[], |r| {
        session(r, "telegram")["stopped_at"].is_string()
    })
    .await;

    let file_log = std::fs::read_to_string(&log).unwrap();
    for expected in [
        "server starting",
        "session signed in",
        "tool call",
        "connection state changed",
        "server stopped",
    ] {
        assert!(
            file_log.contains(expected),
            "the log file has {expected:?}:\n{file_log}"
        );
    }
    assert!(!file_log.contains('\u{1b}'), "no colour codes in the file");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&log).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let secrets = secrets(&h, &[code, password]);
    assert_secret_free("the log file", &file_log, &secrets);
    assert_secret_free("setup's stderr", &setup_stderr, &secrets);
    assert_secret_free("the server's stderr", &stderr.lock().unwrap(), &secrets);
    let record =
        std::fs::read_to_string(h.session_dir().join("telegram.session.state.json")).unwrap();
    assert_secret_free("the state record", &record, &secrets);
}

#[tokio::test]
async fn bad_log_file_settings_are_configuration_errors() {
    let h = Harness::signed_in().await;
    for (var, value, expected) in [
        ("LOG_FILE_MAX_MB", "lots", "LOG_FILE_MAX_MB"),
        ("LOG_FILE_KEEP", "-1", "LOG_FILE_KEEP"),
        (
            "LOG_FILE",
            "/nonexistent-dir/x/server.log",
            "does not exist",
        ),
    ] {
        let mut cmd = h.command();
        cmd.env(var, value)
            .env(
                "LOG_FILE",
                if var == "LOG_FILE" {
                    value
                } else {
                    "server.log"
                },
            )
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let out = cmd.output().await.unwrap();
        assert_eq!(out.status.code(), Some(2), "{var}={value}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(expected), "{var}: {stderr}");
        assert!(out.stdout.is_empty(), "stdout stays the protocol's");
    }
}
