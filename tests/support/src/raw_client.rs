//! A raw JSON-RPC line client over the server's stdio, for what rmcp's client would never send:
//! malformed lines, requests before `initialize`, huge messages, or a kill mid-request.

use std::process::Stdio;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, ChildStdout};

/// The server spawned with piped stdin and stdout (stderr discarded), spoken to line by line.
pub struct RawClient {
    /// The server process, for a test to kill.
    pub child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl RawClient {
    pub fn spawn(mut cmd: tokio::process::Command) -> RawClient {
        cmd.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        let mut child = cmd.spawn().expect("server spawns");
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        RawClient {
            child,
            stdin,
            stdout,
        }
    }

    pub async fn send_line(&mut self, line: &[u8]) {
        eprintln!(
            "RAW> {}",
            String::from_utf8_lossy(&line[..line.len().min(200)])
        );
        self.stdin.write_all(line).await.unwrap();
        self.stdin.write_all(b"\n").await.unwrap();
        self.stdin.flush().await.unwrap();
    }

    pub async fn send(&mut self, message: Value) {
        self.send_line(message.to_string().as_bytes()).await;
    }

    /// The next message on stdout, within 30 s; `None` when stdout closed.
    pub async fn next(&mut self) -> Option<Value> {
        let mut line = String::new();
        let n = tokio::time::timeout(Duration::from_secs(30), self.stdout.read_line(&mut line))
            .await
            .expect("the server answers within 30 s")
            .unwrap();
        if n == 0 {
            return None;
        }
        Some(serde_json::from_str(&line).expect("stdout carries only JSON-RPC"))
    }

    /// Waits for the answer to request `id`, skipping notifications and other answers.
    pub async fn answer(&mut self, id: i64) -> Value {
        loop {
            let message = self.next().await.expect("server still running");
            if message["id"] == id {
                return message;
            }
        }
    }

    /// The MCP handshake, as a 2025-06-18 client.
    pub async fn initialize(&mut self) {
        self.send(
            json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {},
            "clientInfo": {"name": "raw", "version": "0"}}}),
        )
        .await;
        let answer = self.answer(0).await;
        assert!(answer["result"]["serverInfo"].is_object(), "{answer}");
        self.send(json!({"jsonrpc": "2.0", "method": "notifications/initialized"}))
            .await;
    }

    /// Asserts the server still answers a valid request.
    pub async fn still_serving(&mut self, id: i64) {
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": "tools/list"}))
            .await;
        let answer = self.answer(id).await;
        assert!(
            answer["result"]["tools"]
                .as_array()
                .is_some_and(|t| !t.is_empty()),
            "{answer}"
        );
    }
}
