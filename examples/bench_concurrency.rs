//! Concurrency benchmark: 64 `get_messages` calls at once through the real server, against the
//! loopback DC with 100 ms of latency on every answer. Prints the wall time of each round and
//! the server's resident memory. With strictly serial handling the 64 calls would take at
//! least 6.4 s; concurrent handling takes a few hundred milliseconds.
//!
//! ```text
//! cargo run --release --example bench_concurrency [-- ROUNDS CALLS LATENCY_MS]
//! ```

use std::time::{Duration, Instant};

use rmcp::model::CallToolRequestParams;
use serde_json::json;

use testkit::binaries::build_server;
use testkit::harness::{Harness, spawn};
use testkit::process::rss_kb;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1).map(|a| a.parse::<u64>());
    let rounds = args.next().transpose()?.unwrap_or(5) as usize;
    let calls = args.next().transpose()?.unwrap_or(64) as usize;
    let latency = Duration::from_millis(args.next().transpose()?.unwrap_or(100));

    build_server()?;
    let h = Harness::signed_in().await;
    let mut cmd = h.command();
    cmd.env("LOG_LEVEL", "warn");
    let client = spawn(cmd).await;
    let params = |chat: &str| {
        CallToolRequestParams::new("get_messages").with_arguments(
            json!({"chat_id": chat, "limit": 5})
                .as_object()
                .cloned()
                .unwrap(),
        )
    };
    // Connect and warm the caches without latency.
    client.call_tool(params("me")).await?;
    h.dc.set_latency(latency);
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    println!(
        "{calls} concurrent get_messages, {} ms DC latency, {cores} cores, {} build",
        latency.as_millis(),
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        }
    );
    let chats = ["1001", "me", "@rust_learners", "@engine_news"];
    let mut times = Vec::new();
    for round in 1..=rounds {
        let started = Instant::now();
        let batch = (0..calls).map(|i| {
            let peer = client.peer().clone();
            let request = params(chats[i % chats.len()]);
            tokio::spawn(async move { peer.call_tool(request).await })
        });
        let mut failed = 0;
        for result in futures::future::join_all(batch).await {
            if !matches!(result, Ok(Ok(ref r)) if r.is_error != Some(true)) {
                failed += 1;
            }
        }
        let elapsed = started.elapsed();
        times.push(elapsed);
        println!(
            "round {round}: {calls} calls in {:.0} ms ({failed} failed)",
            elapsed.as_secs_f64() * 1000.0
        );
    }
    times.sort();
    println!(
        "median {:.0} ms, best {:.0} ms (serial would be ≥ {} ms); server RSS {} kB",
        times[times.len() / 2].as_secs_f64() * 1000.0,
        times[0].as_secs_f64() * 1000.0,
        latency.as_millis() * calls as u128,
        h.server_pid()
            .and_then(rss_kb)
            .map_or("?".into(), |v| v.to_string()),
    );
    client.cancel().await?;
    Ok(())
}
