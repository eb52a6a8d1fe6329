//! Spawning the real server against a fake DC, as an MCP host does.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use rmcp::model::{CallToolRequestParams, CallToolResult};
use rmcp::service::RunningService;
use rmcp::transport::TokioChildProcess;
use rmcp::{RoleClient, ServiceExt};
use serde_json::Value;
use tempfile::TempDir;

use crate::support::fake_dc::{DcOptions, FakeDc};
use crate::support::seed::seed_session;
use crate::support::world::World;

pub const SERVER: &str = env!("CARGO_BIN_EXE_fast-mcp-telegram");

pub fn sample_world() -> World {
    World::load(&crate::support::world::sample_path()).expect("sample world loads")
}

/// A fake DC plus a session directory seeded for it.
pub struct Harness {
    pub dc: FakeDc,
    pub dir: TempDir,
}

pub type Client = RunningService<RoleClient, ()>;

impl Harness {
    /// A signed-in session on the sample world.
    pub async fn signed_in() -> Harness {
        Harness::with(sample_world(), true).await
    }

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

    pub fn session_dir(&self) -> &Path {
        self.dir.path()
    }

    pub fn session_file(&self) -> PathBuf {
        self.dir.path().join("telegram.session")
    }

    /// `program` (the server or setup) with a clean, complete environment for this session.
    pub fn command_for(&self, program: &str) -> tokio::process::Command {
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

    /// The server command.
    pub fn command(&self) -> tokio::process::Command {
        self.command_for(SERVER)
    }

    /// Spawns the server and completes the MCP handshake.
    pub async fn client(&self) -> Client {
        spawn(self.command()).await
    }
}

pub async fn spawn(cmd: tokio::process::Command) -> Client {
    let transport = TokioChildProcess::builder(cmd)
        .stderr(Stdio::inherit())
        .spawn()
        .expect("server spawns")
        .0;
    ().serve(transport).await.expect("MCP handshake")
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

/// Calls a tool and returns (is_error, structured content).
pub async fn call(client: &Client, tool: &str, args: Value) -> (bool, Value) {
    let result: CallToolResult = client
        .call_tool(
            CallToolRequestParams::new(tool.to_string())
                .with_arguments(args.as_object().cloned().unwrap_or_default()),
        )
        .await
        .expect("tools/call answered");
    let structured = result.structured_content.clone().unwrap_or(Value::Null);
    (result.is_error == Some(true), structured)
}
