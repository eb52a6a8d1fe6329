//! The side-by-side benchmark: cold start, memory, `tools/list` size, call latency and
//! concurrency of this server (through the loopback DC), and — when `--reference CMD` names the
//! Python `fast-mcp-telegram` — the same start-up figures for it. Prints a table.
//! `scripts/bench.sh` installs the reference in a throw-away virtualenv and runs this.
//!
//! ```text
//! cargo run --release --example bench [-- --reference /path/to/fast-mcp-telegram] [--runs 10] [--calls 200]
//! ```

use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use rmcp::ServiceExt;
use rmcp::model::CallToolRequestParams;
use rmcp::transport::TokioChildProcess;
use serde_json::json;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

use testkit::binaries::build_server;
use testkit::harness::Harness;
use testkit::process::{peak_rss_kb, rss_kb};

struct Args {
    reference: Option<PathBuf>,
    runs: usize,
    calls: usize,
}

fn args() -> Args {
    let mut args = Args {
        reference: None,
        runs: 10,
        calls: 200,
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--reference" => args.reference = it.next().map(PathBuf::from),
            "--runs" => args.runs = it.next().and_then(|v| v.parse().ok()).unwrap_or(10),
            "--calls" => args.calls = it.next().and_then(|v| v.parse().ok()).unwrap_or(200),
            other => eprintln!("ignored argument {other:?}"),
        }
    }
    args
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn percentile(mut v: Vec<f64>, p: f64) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

/// One cold start over raw JSON-RPC: (ms to initialize, ms to tools/list, tools/list bytes,
/// idle RSS in KiB).
async fn cold_start(mut cmd: tokio::process::Command) -> Result<(f64, f64, usize, u64), String> {
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true);
    let start = Instant::now();
    let mut child = cmd.spawn().map_err(|e| e.to_string())?;
    let pid = child.id().unwrap_or(0);
    let mut stdin = child.stdin.take().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let init = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "bench", "version": "0"}}});
    stdin
        .write_all(format!("{init}\n").as_bytes())
        .await
        .map_err(|e| e.to_string())?;
    wait_for(1, &mut lines).await?;
    let t_init = start.elapsed().as_secs_f64() * 1000.0;
    let notify = json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
    let list = json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list"});
    stdin
        .write_all(format!("{notify}\n{list}\n").as_bytes())
        .await
        .map_err(|e| e.to_string())?;
    let line = wait_for(2, &mut lines).await?;
    let t_list = start.elapsed().as_secs_f64() * 1000.0;
    let result =
        serde_json::from_str::<serde_json::Value>(&line).map_err(|e| e.to_string())?["result"]
            .clone();
    let bytes = serde_json::to_string(&result).map(|s| s.len()).unwrap_or(0);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rss = rss_kb(pid).unwrap_or(0);
    let _ = child.kill().await;
    Ok((t_init, t_list, bytes, rss))
}

type Lines = tokio::io::Lines<BufReader<tokio::process::ChildStdout>>;

/// Reads stdout lines until the answer with `id` (60 s at most).
async fn wait_for(id: i64, lines: &mut Lines) -> Result<String, String> {
    let answer = async {
        loop {
            let Some(line) = lines.next_line().await.map_err(|e| e.to_string())? else {
                return Err("the server closed stdout".to_string());
            };
            if serde_json::from_str::<serde_json::Value>(&line).is_ok_and(|v| v["id"] == id) {
                return Ok(line);
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(60), answer)
        .await
        .map_err(|_| format!("no answer to request {id} within 60 s"))?
}

struct StartFigures {
    init_ms: f64,
    list_ms: f64,
    list_bytes: usize,
    rss_mb: f64,
}

async fn start_figures(
    make: impl Fn() -> tokio::process::Command,
    runs: usize,
) -> Result<StartFigures, String> {
    let mut init = Vec::new();
    let mut list = Vec::new();
    let mut bytes = 0;
    let mut rss = Vec::new();
    for _ in 0..runs {
        let (i, l, b, r) = cold_start(make()).await?;
        init.push(i);
        list.push(l);
        bytes = b;
        rss.push(r as f64 / 1024.0);
    }
    Ok(StartFigures {
        init_ms: median(init),
        list_ms: median(list),
        list_bytes: bytes,
        rss_mb: median(rss),
    })
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = args();
    let server = build_server()?;
    let h = Harness::signed_in().await;
    let dc = &h.dc;
    let ours = || {
        let mut cmd = h.command();
        cmd.env("SESSION_LOCK_WAIT_SECONDS", "5")
            .env("LOG_LEVEL", "error");
        cmd
    };
    eprintln!("cold starts: {} runs each", args.runs);
    let our_start = start_figures(ours, args.runs).await?;
    let ref_dir = tempfile::tempdir()?;
    let reference = match &args.reference {
        Some(path) => {
            let make = || {
                let mut cmd = tokio::process::Command::new(path);
                cmd.env_clear()
                    .env("PATH", std::env::var("PATH").unwrap_or_default())
                    .env("HOME", ref_dir.path())
                    .env("API_ID", "12345")
                    .env("API_HASH", "0123456789abcdef0123456789abcdef")
                    .env("SESSION_DIR", ref_dir.path())
                    .env("DO_NOT_TRACK", "1")
                    .env("LOG_LEVEL", "ERROR");
                cmd
            };
            match start_figures(make, args.runs).await {
                Ok(f) => Some(f),
                Err(e) => {
                    eprintln!("the reference did not start: {e}");
                    None
                }
            }
        }
        None => None,
    };

    // Calls through the loopback DC.
    let (transport, _) = TokioChildProcess::builder(ours())
        .stderr(Stdio::null())
        .spawn()?;
    let pid = transport.id().unwrap_or(0);
    let client = ().serve(transport).await?;
    let call = |tool: &'static str, a: serde_json::Value| {
        let client = &client;
        async move {
            let t = Instant::now();
            let r = client
                .call_tool(
                    CallToolRequestParams::new(tool)
                        .with_arguments(a.as_object().cloned().unwrap()),
                )
                .await;
            let ok = r.as_ref().is_ok_and(|r| r.is_error != Some(true));
            (t.elapsed().as_secs_f64() * 1000.0, ok)
        }
    };
    let mut latency = Vec::new();
    for (label, delay) in [("0 ms", 0u64), ("50 ms", 50)] {
        dc.set_latency(Duration::from_millis(delay));
        for (tool, a) in [
            (
                "get_messages",
                json!({"chat_id": "@rust_learners", "limit": 50}),
            ),
            (
                "search_messages_globally",
                json!({"query": "engine", "limit": 50}),
            ),
        ] {
            let mut times = Vec::new();
            for _ in 0..args.calls.max(1) {
                let (ms, ok) = call(tool, a.clone()).await;
                if !ok {
                    return Err(format!("{tool} failed during the benchmark").into());
                }
                times.push(ms);
            }
            latency.push((
                tool,
                label,
                delay,
                percentile(times.clone(), 0.5),
                percentile(times, 0.95),
            ));
        }
    }
    dc.set_latency(Duration::from_millis(100));
    let started = Instant::now();
    let results = futures::future::join_all((0..64).map(|_| {
        call(
            "get_messages",
            json!({"chat_id": "@rust_learners", "limit": 50}),
        )
    }))
    .await;
    let concurrent_ms = started.elapsed().as_secs_f64() * 1000.0;
    let all_ok = results.iter().all(|(_, ok)| *ok);
    let peak_mb = peak_rss_kb(pid).unwrap_or(0) as f64 / 1024.0;
    client.cancel().await?;
    let binary_mb = std::fs::metadata(&server)?.len() as f64 / 1_048_576.0;

    let dash = "—".to_string();
    let r = |f: &dyn Fn(&StartFigures) -> f64, unit: &str| match &reference {
        Some(x) => format!("{:.1} {unit}", f(x)),
        None => dash.clone(),
    };
    let ratio = |ours: f64, f: &dyn Fn(&StartFigures) -> f64| match &reference {
        Some(x) if ours > 0.0 => format!("{:.1}×", f(x) / ours),
        _ => dash.clone(),
    };
    println!("| figure | ours | reference | reference / ours |");
    println!("|---|---|---|---|");
    println!(
        "| spawn → initialize (median of {}) | {:.1} ms | {} | {} |",
        args.runs,
        our_start.init_ms,
        r(&|x| x.init_ms, "ms"),
        ratio(our_start.init_ms, &|x| x.init_ms)
    );
    println!(
        "| spawn → tools/list (median) | {:.1} ms | {} | {} |",
        our_start.list_ms,
        r(&|x| x.list_ms, "ms"),
        ratio(our_start.list_ms, &|x| x.list_ms)
    );
    println!(
        "| RSS idle after tools/list | {:.1} MB | {} | {} |",
        our_start.rss_mb,
        r(&|x| x.rss_mb, "MB"),
        ratio(our_start.rss_mb, &|x| x.rss_mb)
    );
    println!(
        "| tools/list size | {:.1} kB (≈{} tokens) | {} | {} |",
        our_start.list_bytes as f64 / 1000.0,
        our_start.list_bytes / 4,
        r(&|x| x.list_bytes as f64 / 1000.0, "kB"),
        ratio(our_start.list_bytes as f64, &|x| x.list_bytes as f64)
    );
    for (tool, label, delay, p50, p95) in &latency {
        let overhead = if *delay > 0 {
            format!(" (overhead {:.2} ms)", p50 - *delay as f64)
        } else {
            String::new()
        };
        println!(
            "| {tool}, DC latency {label}: p50 / p95 over {} calls | {p50:.2} / {p95:.2} ms{overhead} | not compared | — |",
            args.calls
        );
    }
    println!(
        "| 64 concurrent get_messages, DC latency 100 ms | {concurrent_ms:.0} ms{} | not compared | — |",
        if all_ok { "" } else { " (some failed)" }
    );
    println!("| peak RSS during the call workload | {peak_mb:.1} MB | not compared | — |");
    println!("| binary size (this build) | {binary_mb:.1} MB | — | — |");
    println!();
    println!(
        "Not compared: call latency, concurrency and peak memory need the reference to talk to the loopback DC, which serves layer 230 to grammers; the reference speaks layer 229 through Telethon, whose answers the DC does not model."
    );
    Ok(())
}
