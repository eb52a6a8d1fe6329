//! Sessions that survive real life: a server killed at any moment (a hot SQLite journal, a
//! state record's temporary file), a session file another program touched, an imported
//! session whose first contact never finished, and a key used from two places at once
//! (`AUTH_KEY_DUPLICATED`). No timing assertions: kills happen at points counted on the DC,
//! and every wait is bounded.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use grammers_tl_types as tl;
use rmcp::ServiceExt;
use rmcp::model::CallToolRequestParams;
use serde_json::{Value, json};

use testkit::fake_dc::{FaultAction, FaultRule};
use testkit::harness::{Client, Harness, call, collect_stderr};
use testkit::seed::{add_telethon_tables, journal_path, leave_hot_journal, seed_telethon_session};
use testkit::wait::wait_until;

/// A server the test owns as a process (to SIGKILL it), with an MCP client on its stdio and
/// its stderr collected.
struct Server {
    child: tokio::process::Child,
    client: Client,
    stderr: Arc<Mutex<String>>,
}

impl Server {
    /// Spawns `cmd` and completes the MCP handshake, or panics with the server's stderr.
    async fn start(mut cmd: tokio::process::Command) -> Server {
        cmd.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("server spawns");
        let stdout = child.stdout.take().unwrap();
        let stdin = child.stdin.take().unwrap();
        let stderr = collect_stderr(child.stderr.take().unwrap());
        let client =
            match tokio::time::timeout(Duration::from_secs(20), ().serve((stdout, stdin))).await {
                Ok(Ok(client)) => client,
                Ok(Err(e)) => {
                    let status = tokio::time::timeout(Duration::from_secs(5), child.wait()).await;
                    panic!(
                        "no answer to initialize ({e}; {status:?}); stderr:\n{}",
                        text(&stderr)
                    )
                }
                Err(_) => panic!(
                    "initialize not answered in 20 s; stderr:\n{}",
                    text(&stderr)
                ),
            };
        Server {
            child,
            client,
            stderr,
        }
    }

    fn stderr(&self) -> String {
        text(&self.stderr)
    }

    /// Reads Saved Messages and asserts it worked; `what` says what that shows.
    async fn serves(&self, what: &str) {
        let (err, v) = call(
            &self.client,
            "get_messages",
            json!({"chat_id": "me", "limit": 1}),
        )
        .await;
        assert!(!err, "{what}: {v}\n{}", self.stderr());
    }

    /// SIGKILL, and waits until the process is gone.
    async fn kill(mut self) {
        self.child.kill().await.unwrap();
        drop(self.client);
    }

    /// Closes stdin (the host going away) and returns the exit code.
    async fn stop(mut self) -> Option<i32> {
        let _ = self.client.cancel().await;
        let status = tokio::time::timeout(Duration::from_secs(20), self.child.wait())
            .await
            .expect("exits after stdin closes")
            .unwrap();
        status.code()
    }
}

fn text(buffer: &Arc<Mutex<String>>) -> String {
    buffer.lock().unwrap().clone()
}

/// Whether SQLite would take the journal beside `session` for a hot one (it exists and its
/// header is not zeroed).
fn hot_journal(session: &Path) -> bool {
    std::fs::read(journal_path(session)).is_ok_and(|j| j.first().is_some_and(|b| *b != 0))
}

/// The state record's temporary files in `dir` (`.<name>.session.state.json.*.tmp`).
fn state_temporaries(dir: &Path, name: &str) -> Vec<PathBuf> {
    let prefix = format!(".{name}.session.state.json.");
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| {
            let n = e.file_name().to_string_lossy().into_owned();
            n.starts_with(&prefix) && n.ends_with(".tmp")
        })
        .map(|e| e.path())
        .collect();
    found.sort();
    found
}

async fn signed_in_on_disk(h: &Harness) -> bool {
    fast_mcp_telegram::session::inspect::signed_in(&h.session_file())
        .await
        .unwrap()
}

fn sends(h: &Harness) -> usize {
    h.dc.count_of::<tl::functions::messages::SendMessage>()
}

// ---------------------------------------------------------------------------------------
// Killed at the wrong moment
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn sessions_a_hot_journal_left_by_a_kill_is_rolled_back_by_the_next_start() {
    let h = Harness::signed_in().await;
    // A commit cut short: the file already lacks the signed-in user, the hot journal still
    // holds it. Read as it is, the file would not be signed in; rolled back, it is.
    let size = leave_hot_journal(&h.session_file(), "DELETE FROM peer_info")
        .await
        .unwrap();
    assert!(size > 0 && hot_journal(&h.session_file()));

    let server = Server::start(h.command()).await;
    server.serves("the rolled-back session is signed in").await;
    assert!(
        !journal_path(&h.session_file()).exists(),
        "SQLite rolled the journal back and removed it"
    );
    assert_eq!(server.stop().await, Some(0));
    assert!(signed_in_on_disk(&h).await, "the self user is back");
}

/// When a kill-loop cycle kills its server.
#[derive(Debug, Clone, Copy)]
enum KillAt {
    /// Once the DC has received this many of the burst's sends (0: as soon as the burst is
    /// written, before Telegram saw any of it).
    Received(usize),
    /// Once this many of the burst's calls have been answered (the server is then writing
    /// what the answers taught it into the session).
    Answered(usize),
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_forty_kills_during_send_bursts_and_every_restart_serves() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    const CYCLES: usize = 40;
    const BURST: usize = 8;
    const SCHEDULE: [KillAt; 10] = [
        KillAt::Received(0),
        KillAt::Answered(1),
        KillAt::Received(1),
        KillAt::Answered(3),
        KillAt::Received(2),
        KillAt::Answered(5),
        KillAt::Received(4),
        KillAt::Answered(8),
        KillAt::Received(7),
        KillAt::Answered(2),
    ];
    // Chats the server resolves and writes into the session as their answers come back,
    // so the kills find it writing.
    const CHATS: [&str; 8] = [
        "@babbage",
        "@grace",
        "@turing",
        "me",
        "-4001",
        "@rust_learners",
        "@engine_news",
        "@engine_news_chat",
    ];
    let h = Harness::signed_in().await;
    let name = "telegram";
    let (mut hot_journals, mut journals, mut temporaries) = (0, 0, 0);
    for cycle in 0..CYCLES {
        // Restarted directly after the kill: no repair by the test.
        let server = Server::start(h.command()).await;
        server.serves(&format!("cycle {cycle}")).await;
        let before = sends(&h);
        let answered = Arc::new(AtomicUsize::new(0));
        let burst: Vec<_> = (0..BURST)
            .map(|i| {
                let peer = server.client.peer().clone();
                let answered = Arc::clone(&answered);
                tokio::spawn(async move {
                    let request = CallToolRequestParams::new("send_message").with_arguments(
                        json!({"chat_id": CHATS[i % CHATS.len()], "message": format!("cycle {cycle} send {i}")})
                            .as_object()
                            .cloned()
                            .unwrap(),
                    );
                    // Cut off by the kill, or answered: either is fine here.
                    if peer.call_tool(request).await.is_ok() {
                        answered.fetch_add(1, Ordering::SeqCst);
                    }
                })
            })
            .collect();
        let at = SCHEDULE[cycle % SCHEDULE.len()];
        wait_until(&format!("cycle {cycle}: {at:?}"), || match at {
            KillAt::Received(n) => sends(&h) >= before + n,
            KillAt::Answered(n) => answered.load(Ordering::SeqCst) >= n,
        })
        .await;
        server.kill().await;
        for task in burst {
            let _ = tokio::time::timeout(Duration::from_secs(20), task).await;
        }
        hot_journals += usize::from(hot_journal(&h.session_file()));
        journals += usize::from(journal_path(&h.session_file()).exists());
        temporaries += state_temporaries(h.session_dir(), name).len();
    }
    eprintln!(
        "{CYCLES} kills: {hot_journals} left a hot journal ({journals} a journal), \
         {temporaries} a state temporary file"
    );
    let server = Server::start(h.command()).await;
    server.serves("the session serves").await;
    assert_eq!(server.stop().await, Some(0));
    assert!(!hot_journal(&h.session_file()));
    assert_eq!(
        state_temporaries(h.session_dir(), name),
        Vec::<PathBuf>::new()
    );
    assert!(signed_in_on_disk(&h).await);
}

#[tokio::test]
async fn sessions_a_start_removes_its_own_stale_state_temporaries_only() {
    let h = Harness::signed_in().await;
    let dir = h.session_dir();
    let own = dir.join(".telegram.session.state.json.Ab12Cd.tmp");
    let other = dir.join(".work.session.state.json.Ab12Cd.tmp");
    std::fs::write(&own, b"{\"format\": 1, \"pid\": 1").unwrap();
    std::fs::write(&other, b"{\"format\": 1, \"pid\": 1").unwrap();
    let server = Server::start(h.command()).await;
    let record = dir.join("telegram.session.state.json");
    wait_until("the state record", || record.exists()).await;
    wait_until("the stale temporary removed", || !own.exists()).await;
    assert!(
        other.exists(),
        "another session's file is not ours to remove"
    );
    assert_eq!(server.stop().await, Some(0));
}

// ---------------------------------------------------------------------------------------
// Shared with other programs
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn sessions_telethons_tables_in_our_file_do_not_make_it_a_telethon_session() {
    let h = Harness::signed_in().await;
    // The Python server run once on the same file.
    add_telethon_tables(&h.session_file()).await.unwrap();
    let server = Server::start(h.command()).await;
    server.serves("still our session").await;
    let stderr = server.stderr();
    assert_eq!(server.stop().await, Some(0));
    assert!(
        stderr.contains("another program"),
        "a warning says another program touched the file:\n{stderr}"
    );
    assert!(
        !h.session_dir()
            .join("telegram.session.telethon-backup")
            .exists(),
        "not imported"
    );
    let tables = fast_mcp_telegram::session::telethon::table_names(&h.session_file())
        .await
        .unwrap();
    assert!(
        tables.iter().any(|t| t == "sessions") && tables.iter().any(|t| t == "dc_option"),
        "the file is left as it was: {tables:?}"
    );
}

#[tokio::test]
async fn sessions_an_import_whose_first_contact_never_finished_tries_its_key_next_time() {
    let h = Harness::signed_in().await;
    std::fs::remove_file(h.session_file()).unwrap();
    seed_telethon_session(&h.session_file(), h.dc.port(), &h.dc.auth_key())
        .await
        .unwrap();
    // Telegram never answers who the session belongs to, and the server is killed.
    h.dc.inject(FaultRule::on("users.getUsers", FaultAction::Silent));
    let server = Server::start(h.command()).await;
    wait_until("the first contact to reach the DC", || {
        h.dc.request_names().iter().any(|n| n == "users.getUsers")
    })
    .await;
    server.kill().await;
    assert!(
        h.session_dir()
            .join("telegram.session.telethon-backup")
            .exists(),
        "imported"
    );
    assert!(!signed_in_on_disk(&h).await, "no user recorded yet");

    h.dc.clear_faults();
    let server = Server::start(h.command()).await;
    server.serves("the imported key works without setup").await;
    assert_eq!(server.stop().await, Some(0));
    assert!(signed_in_on_disk(&h).await, "the user is recorded now");
}

#[tokio::test]
async fn sessions_an_import_made_offline_works_once_telegram_answers() {
    let h = Harness::signed_in().await;
    std::fs::remove_file(h.session_file()).unwrap();
    seed_telethon_session(&h.session_file(), h.dc.port(), &h.dc.auth_key())
        .await
        .unwrap();
    // Every connection is cut: the import happens, the first contact fails.
    h.dc.inject(FaultRule::any(FaultAction::Drop));
    let server = Server::start(h.command()).await;
    let record = h.session_dir().join("telegram.session.state.json");
    wait_until("the server to find Telegram offline", || {
        std::fs::read_to_string(&record)
            .ok()
            .and_then(|t| serde_json::from_str::<Value>(&t).ok())
            .is_some_and(|r| r["state"] == "offline")
    })
    .await;
    assert_eq!(server.stop().await, Some(0));

    h.dc.clear_faults();
    let server = Server::start(h.command()).await;
    server.serves("the session serves").await;
    assert_eq!(server.stop().await, Some(0));
}

#[tokio::test]
async fn sessions_a_never_signed_in_key_is_probed_and_still_asks_for_setup() {
    // A key without a user (a setup that never finished): the probe finds it unregistered.
    let h = Harness::with(testkit::harness::sample_world(), false).await;
    let server = Server::start(h.command()).await;
    let (err, v) = call(
        &server.client,
        "get_messages",
        json!({"chat_id": "me", "limit": 1}),
    )
    .await;
    assert!(err, "{v}");
    assert_eq!(v["action"], "authenticate_session", "{v}");
    assert!(v["error"].as_str().unwrap().contains("setup"), "{v}");
    assert_eq!(server.stop().await, Some(0));
}

#[tokio::test]
async fn sessions_auth_key_duplicated_asks_to_sign_in_again_and_says_why() {
    let h = Harness::signed_in().await;
    let server = Server::start(h.command()).await;
    server.serves("signed in before the fault").await;
    h.dc.inject(
        FaultRule::on(
            "messages.getHistory",
            FaultRule::error(406, "AUTH_KEY_DUPLICATED"),
        )
        .times(1),
    );
    let (err, v) = call(
        &server.client,
        "get_messages",
        json!({"chat_id": "1001", "limit": 1}),
    )
    .await;
    assert!(err, "{v}");
    assert_eq!(v["action"], "authenticate_session", "{v}");
    let why = v["error"].as_str().unwrap();
    for words in [
        "AUTH_KEY_DUPLICATED",
        "another program",
        "another machine",
        "fast-mcp-telegram setup",
    ] {
        assert!(why.contains(words), "{words:?} in {why}");
    }
    // Like a session logged out elsewhere: the server keeps serving, and every later call
    // explains why too, not only the one that met the error.
    let (err, v) = call(
        &server.client,
        "find_chats",
        json!({"query": "rust", "limit": 1}),
    )
    .await;
    assert!(err, "{v}");
    assert_eq!(v["action"], "authenticate_session", "{v}");
    let later = v["error"].as_str().unwrap();
    assert!(
        later.contains("AUTH_KEY_DUPLICATED") && later.contains("fast-mcp-telegram setup"),
        "{later}"
    );
    let record = h.session_dir().join("telegram.session.state.json");
    wait_until("the record to say unauthorized", || {
        std::fs::read_to_string(&record)
            .ok()
            .and_then(|t| serde_json::from_str::<Value>(&t).ok())
            .is_some_and(|r| r["state"] == "unauthorized")
    })
    .await;
    assert_eq!(server.stop().await, Some(0));
    assert!(h.session_file().exists(), "the session file is kept");
}
