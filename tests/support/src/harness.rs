//! Spawning the real server against a fake DC, as an MCP host does, and reading its tool results
//! the way the suite trusts them: every result is checked against what the server promises.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex, OnceLock};

use rmcp::model::{CallToolRequestParams, CallToolResult};
use rmcp::service::RunningService;
use rmcp::transport::TokioChildProcess;
use rmcp::{Peer, RoleClient, ServiceExt};
use serde_json::{Value, json};
use tempfile::TempDir;

use crate::fake_dc::{DcOptions, FakeDc, FaultAction, FaultRule};
use crate::seed::seed_session;
use crate::world::{self, World};

/// The bundled sample world (`examples/worlds/sample.json`), loaded afresh.
pub fn sample_world() -> World {
    World::load(&crate::world::sample_path()).expect("sample world loads")
}

/// A fake DC plus a session directory seeded for it.
pub struct Harness {
    pub dc: FakeDc,
    pub dir: TempDir,
}

/// rmcp's client connected to one spawned server.
pub type Client = RunningService<RoleClient, ()>;

impl Harness {
    /// A signed-in session on the sample world.
    pub async fn signed_in() -> Harness {
        Harness::with(sample_world(), true).await
    }

    /// A signed-in session and its server, warmed up (see [`warm_up`]): the start of every
    /// test that injects a fault into a call.
    pub async fn warmed_up() -> (Harness, Client) {
        let h = Harness::signed_in().await;
        let client = h.client().await;
        warm_up(&client).await;
        (h, client)
    }

    /// A session on `world`, signed in or holding only the key (as before `setup`).
    pub async fn with(world: World, signed_in: bool) -> Harness {
        let mut options = DcOptions::new(world);
        options.signed_in = signed_in;
        Harness::with_options(options).await
    }

    /// A DC started with `options` (e.g. several DC ids) and a session seeded for all of them,
    /// home in the first, signed in as `options.signed_in` says.
    pub async fn with_options(options: DcOptions) -> Harness {
        let signed_in = options.signed_in;
        let dc = FakeDc::start_with(options).expect("DC starts");
        let dir = TempDir::new().unwrap();
        seed_session(&dir.path().join("telegram.session"), &dc, signed_in)
            .await
            .unwrap();
        Harness { dc, dir }
    }

    /// The `SESSION_DIR` the server is given (also its `HOME` and working directory).
    pub fn session_dir(&self) -> &Path {
        self.dir.path()
    }

    /// The seeded session file, `telegram.session`.
    pub fn session_file(&self) -> PathBuf {
        self.dir.path().join("telegram.session")
    }

    /// How many messages the DC stores in the chat with `peer`.
    pub fn history_len(&self, peer: world::Peer) -> usize {
        self.dc.world().history(peer).count()
    }

    /// The pid of the server that holds this session now (its lock file names it).
    pub fn server_pid(&self) -> Option<u32> {
        std::fs::read_to_string(self.dir.path().join("telegram.session.lock"))
            .ok()?
            .trim()
            .parse()
            .ok()
    }

    /// `program` (the server or setup) with a clean, complete environment for this session.
    pub fn command_for(&self, program: impl AsRef<std::ffi::OsStr>) -> tokio::process::Command {
        let mut cmd = tokio::process::Command::new(program);
        cmd.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", self.dir.path())
            .env("API_ID", "12345")
            .env("API_HASH", "0123456789abcdef0123456789abcdef")
            .env("SESSION_DIR", self.dir.path())
            .env("LOG_LEVEL", "debug")
            .current_dir(self.dir.path())
            .kill_on_drop(true);
        cmd
    }

    /// The server command (the server of this build: see [`crate::binaries`]).
    pub fn command(&self) -> tokio::process::Command {
        self.command_for(crate::binaries::server())
    }

    /// Spawns the server and completes the MCP handshake.
    pub async fn client(&self) -> Client {
        spawn(self.command()).await
    }

    /// Closes the server's connection now, and the next one it makes as soon as its handshake
    /// is answered: the requests of the next call queue for a connection that closes as it
    /// opens. Returns once the server has had time to see the first close (on loopback it
    /// arrives within microseconds), so that the next call meets the second.
    pub async fn drop_the_connection_and_the_next_at_its_handshake(&self) {
        self.dc
            .inject(FaultRule::on("help.getConfig", FaultAction::DropAfterAnswer).times(1));
        self.dc.drop_connections();
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

/// The first call of a test that injects faults: reading `me` connects the server to the DC, so
/// that the fault injected next meets the call under test, not the connection.
pub async fn warm_up(client: &Peer<RoleClient>) {
    let (err, v) = call(client, "get_messages", json!({"chat_id": "me", "limit": 1})).await;
    assert!(!err, "connected first: {v}");
}

/// Spawns `cmd` (its stderr shown with the test's) and completes the MCP handshake.
pub async fn spawn(cmd: tokio::process::Command) -> Client {
    let transport = TokioChildProcess::builder(cmd)
        .stderr(Stdio::inherit())
        .spawn()
        .expect("server spawns")
        .0;
    ().serve(transport).await.expect("MCP handshake")
}

/// Spawns the server and completes the handshake, collecting its stderr as it is written (for
/// tests that read the logs or warnings of a run).
pub async fn spawn_collecting_stderr(cmd: tokio::process::Command) -> (Client, Arc<Mutex<String>>) {
    let (transport, stderr) = TokioChildProcess::builder(cmd)
        .stderr(Stdio::piped())
        .spawn()
        .expect("server spawns");
    let collected = collect_stderr(stderr.expect("stderr piped"));
    let client = ().serve(transport).await.expect("MCP handshake");
    (client, collected)
}

/// Collects what a child process writes to `stderr` as it writes it, in the background.
pub fn collect_stderr(mut stderr: tokio::process::ChildStderr) -> Arc<Mutex<String>> {
    use tokio::io::AsyncReadExt;
    let collected = Arc::new(Mutex::new(String::new()));
    let sink = Arc::clone(&collected);
    tokio::spawn(async move {
        let mut buf = [0u8; 4096];
        while let Ok(n) = stderr.read(&mut buf).await {
            if n == 0 {
                break;
            }
            sink.lock()
                .unwrap()
                .push_str(&String::from_utf8_lossy(&buf[..n]));
        }
    });
    collected
}

/// Spawns the server and connects as a 2026-07-28 client (`server/discover`, per-request
/// metadata, no server-to-client requests).
pub async fn spawn_modern(cmd: tokio::process::Command) -> Client {
    let transport = TokioChildProcess::builder(cmd)
        .stderr(Stdio::inherit())
        .spawn()
        .expect("server spawns")
        .0;
    rmcp::service::serve_client_with_lifecycle(
        (),
        transport,
        rmcp::service::ClientLifecycleMode::Discover {
            preferred_versions: vec![rmcp::model::ProtocolVersion::V_2026_07_28],
        },
    )
    .await
    .expect("MCP discovery")
}

/// Calls a tool; returns (is_error, value): a success's structured content, checked against
/// the tool's `outputSchema`, or an error's object, checked for the shared shape (see
/// [`result_value`]).
pub async fn call(client: &Peer<RoleClient>, tool: &str, args: Value) -> (bool, Value) {
    let result = call_result(client, tool, args).await;
    result_value(client, tool, &result).await
}

/// Calls a tool and returns its result as it came, unchecked.
pub async fn call_result(client: &Peer<RoleClient>, tool: &str, args: Value) -> CallToolResult {
    client
        .call_tool(
            CallToolRequestParams::new(tool.to_string())
                .with_arguments(args.as_object().cloned().unwrap_or_default()),
        )
        .await
        .expect("tools/call answered")
}

/// Reads @babbage's latest message: one `messages.getHistory`, the call the fault tests put
/// under a fault on that method.
pub async fn read_babbage(client: &Peer<RoleClient>) -> (bool, Value) {
    call(
        client,
        "get_messages",
        json!({"chat_id": "1001", "limit": 1}),
    )
    .await
}

// ---------------------------------------------------------------------------------------
// Every result the suite sees is checked against what the server promises
// ---------------------------------------------------------------------------------------

/// The three things an error can ask for.
pub const ACTIONS: [&str; 3] = ["authenticate_session", "retry", "fix_arguments"];

/// The fields an error object may have.
const ERROR_FIELDS: [&str; 6] = [
    "ok",
    "error",
    "operation",
    "error_code",
    "action",
    "retry_after_seconds",
];

/// A tool result as the suite reads it: (is_error, value). A success must carry
/// `structuredContent` that validates against the tool's `outputSchema` (as that server's
/// `tools/list` gives it); an error must carry no `structuredContent` and exactly one text
/// block, the compact error object (see [`error_object`]), which is returned. Panics on any
/// drift, so every test that reads a result also checks the schemas are truthful.
pub async fn result_value(
    client: &Peer<RoleClient>,
    tool: &str,
    result: &CallToolResult,
) -> (bool, Value) {
    if result.is_error == Some(true) {
        return (true, error_object(Some(tool), result));
    }
    let validator = output_validator(client, tool).await;
    let Some(structured) = result.structured_content.clone() else {
        assert!(
            validator.is_none(),
            "{tool}: a success without structuredContent, but the tool declares an outputSchema"
        );
        let text = result
            .content
            .first()
            .and_then(|c| c.as_text())
            .map(|t| t.text.clone())
            .unwrap_or_default();
        return (
            false,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        );
    };
    if let Some(validator) = validator {
        let problems: Vec<String> = validator
            .iter_errors(&structured)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(
            problems.is_empty(),
            "{tool}: structuredContent does not match the outputSchema:\n  {}\nin {structured}",
            problems.join("\n  ")
        );
    }
    (false, structured)
}

/// The error object of an error result, after checking its shape: `isError`, no
/// `structuredContent`, exactly one text block holding a compact JSON object with `ok: false`,
/// `error`, `operation` (the tool, when given), an `action` among [`ACTIONS`] and nothing but
/// the shared fields.
pub fn error_object(tool: Option<&str>, result: &CallToolResult) -> Value {
    let what = tool.unwrap_or("a tool");
    assert_eq!(result.is_error, Some(true), "{what}: not an error result");
    assert!(
        result.structured_content.is_none(),
        "{what}: an error result carries structuredContent (it does not match the \
         outputSchema): {:?}",
        result.structured_content
    );
    assert_eq!(
        result.content.len(),
        1,
        "{what}: an error result has exactly one content block: {:?}",
        result.content
    );
    let text = &result.content[0]
        .as_text()
        .unwrap_or_else(|| panic!("{what}: the error's content is not text"))
        .text;
    assert!(
        !text.contains('\n'),
        "{what}: the error object is compact: {text}"
    );
    let v: Value = serde_json::from_str(text)
        .unwrap_or_else(|e| panic!("{what}: the error text is not JSON ({e}): {text}"));
    let object = v
        .as_object()
        .unwrap_or_else(|| panic!("{what}: the error is not a JSON object: {v}"));
    for key in object.keys() {
        assert!(
            ERROR_FIELDS.contains(&key.as_str()),
            "{what}: unexpected error field {key:?}: {v}"
        );
    }
    assert_eq!(v["ok"], false, "{what}: {v}");
    assert!(
        v["error"].as_str().is_some_and(|e| !e.is_empty()),
        "{what}: the error says what went wrong: {v}"
    );
    match tool {
        Some(tool) => assert_eq!(v["operation"], tool, "{v}"),
        None => assert!(v["operation"].is_string(), "{v}"),
    }
    assert!(
        v["action"].as_str().is_some_and(|a| ACTIONS.contains(&a)),
        "{what}: every error carries one of {ACTIONS:?}: {v}"
    );
    if let Some(code) = object.get("error_code") {
        assert!(code.is_string(), "{what}: {v}");
    }
    if let Some(seconds) = object.get("retry_after_seconds") {
        assert!(seconds.is_u64(), "{what}: {v}");
        assert_eq!(v["action"], "retry", "{what}: {v}");
    }
    v
}

/// [`error_object`] for a `tools/call` result read off the wire as JSON (`{"isError": true,
/// "content": […]}`).
pub fn raw_error_object(tool: Option<&str>, result: &Value) -> Value {
    assert!(
        result.get("structuredContent").is_none(),
        "an error result carries structuredContent: {result}"
    );
    let result: CallToolResult = serde_json::from_value(result.clone())
        .unwrap_or_else(|e| panic!("not a tool result ({e}): {result}"));
    error_object(tool, &result)
}

/// Output-schema validators by (protocol version, tool). Every server the suite spawns is the
/// same binary, and its configuration only decides which tools are listed, not their schemas:
/// a validator is compiled once per test process from the `tools/list` of the first client
/// that needs it, and the protocol version is part of the key in case an era ever lists
/// different schemas.
type Validators = HashMap<(String, String), Option<Arc<jsonschema::Validator>>>;

fn validators() -> &'static Mutex<Validators> {
    static VALIDATORS: OnceLock<Mutex<Validators>> = OnceLock::new();
    VALIDATORS.get_or_init(Default::default)
}

/// The validator for `tool`'s `outputSchema` as `client`'s server lists it (`None`: the tool
/// declares none).
async fn output_validator(
    client: &Peer<RoleClient>,
    tool: &str,
) -> Option<Arc<jsonschema::Validator>> {
    let era = client
        .peer_info()
        .map(|i| i.protocol_version.to_string())
        .unwrap_or_default();
    let key = (era.clone(), tool.to_string());
    if let Some(v) = validators().lock().unwrap().get(&key) {
        return v.clone();
    }
    let tools = client
        .list_all_tools()
        .await
        .unwrap_or_else(|e| panic!("tools/list, to check {tool}'s result: {e}"));
    let mut compiled = HashMap::new();
    for listed in &tools {
        let validator = listed.output_schema.as_ref().map(|schema| {
            let schema = Value::Object((**schema).clone());
            Arc::new(jsonschema::validator_for(&schema).unwrap_or_else(|e| {
                panic!(
                    "{}: the outputSchema is not a valid JSON Schema: {e}",
                    listed.name
                )
            }))
        });
        compiled.insert((era.clone(), listed.name.to_string()), validator);
    }
    assert!(
        compiled.contains_key(&key),
        "{tool} answered but is not in tools/list"
    );
    let mut cache = validators().lock().unwrap();
    for (k, v) in compiled {
        cache.entry(k).or_insert(v);
    }
    cache[&key].clone()
}
