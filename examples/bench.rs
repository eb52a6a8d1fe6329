//! The benchmark the performance tables come from, in one run: start-up of this server beside
//! the floor (`examples/minimal_server.rs`, an rmcp stdio server with no tools) and, with
//! `--reference CMD`, the Python `fast-mcp-telegram`; then call latency, concurrency, and CPU
//! time and memory over a long run with faults, through the loopback DC. Every figure is
//! min / median / max of its runs. Before each block the machine is checked for other work;
//! a busy machine stops the run (or, with `--busy-ok`, marks the figures).
//! `scripts/bench.sh` builds it in release mode and installs the reference.
//!
//! Start-up is measured from the client's side, as a host sees it: from just before the
//! process is spawned to the answer's last byte, the request written before the server reads.
//! That includes `fork`/`exec`, loading the binary and starting the runtime, which the
//! server's own log timestamps cannot see; the floor pays them too, so the difference between
//! the two is the server's own. With a signed-in session and without one (no session file):
//! the answer is the same, the work behind it differs (the session lock and file, opened on a
//! task of their own while the handshake is answered).
//!
//! ```text
//! cargo run --release --example bench [-- --reference CMD] [--runs 20] [--calls 200] [--long-calls 2000] [--busy-ok]
//! ```

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use rmcp::ServiceExt;
use rmcp::model::CallToolRequestParams;
use rmcp::transport::TokioChildProcess;
use serde_json::{Value, json};

use testkit::bench::{Load, Summary};
use testkit::binaries::{build_example, build_server};
use testkit::fake_dc::{FaultAction, FaultRule};
use testkit::harness::Harness;
use testkit::process::{cpu_seconds, peak_rss_kb, rss_kb};

/// Start-up within this many milliseconds of the floor (median against median) is the target.
const START_TARGET_MS: f64 = 2.0;

struct Args {
    reference: Option<PathBuf>,
    runs: usize,
    calls: usize,
    long_calls: usize,
    busy_ok: bool,
}

fn args() -> Args {
    let mut args = Args {
        reference: None,
        runs: 20,
        calls: 200,
        long_calls: 2000,
        busy_ok: false,
    };
    let mut it = std::env::args().skip(1);
    let number =
        |v: Option<String>, default: usize| v.and_then(|v| v.parse().ok()).unwrap_or(default);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--reference" => args.reference = it.next().map(PathBuf::from),
            "--runs" => args.runs = number(it.next(), 20).max(1),
            "--calls" => args.calls = number(it.next(), 200).max(1),
            "--long-calls" => args.long_calls = number(it.next(), 2000).max(8),
            "--busy-ok" => args.busy_ok = true,
            other => eprintln!("ignored argument {other:?}"),
        }
    }
    args
}

/// Checks the machine before a block of measurements: `Err` when it is busy (unless
/// `busy_ok`), else why it was busy, to mark the block's figures with.
fn idle_before(block: &str, busy_ok: bool) -> Result<Option<String>, String> {
    let Some(load) = Load::sample(Duration::from_secs(1)) else {
        eprintln!("cannot read /proc: the machine's load is not checked before {block}");
        return Ok(Some(format!("{block}: load not checked")));
    };
    match load.busy() {
        None => Ok(None),
        Some(why) if busy_ok => {
            eprintln!("!!! the machine is busy before {block} ({why}): its figures are marked");
            Ok(Some(format!("{block}: {why}")))
        }
        Some(why) => Err(format!(
            "the machine is busy before {block} ({why}): figures taken now would measure the \
             other work. Run again when it is idle, or pass --busy-ok to mark them instead"
        )),
    }
}

/// One cold start: ms to the `initialize` answer, ms to the `tools/list` answer, the
/// `tools/list` result's size, RSS in KiB a moment later.
struct ColdStart {
    init_ms: f64,
    list_ms: f64,
    list_bytes: usize,
    rss_kb: u64,
}

/// Spawns `cmd`, writes `initialize`, then `tools/list`, and times the answers (blocking I/O
/// on this thread: no runtime between the pipe and the clock). Killed after 60 s.
fn cold_start(mut cmd: std::process::Command) -> Result<ColdStart, String> {
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let init = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "bench", "version": "0"}}});
    let start = Instant::now();
    let mut child = cmd.spawn().map_err(|e| e.to_string())?;
    let watchdog = Watchdog::new(child.id(), Duration::from_secs(60));
    let mut stdin = child.stdin.take().ok_or("no stdin")?;
    let mut stdout = BufReader::new(child.stdout.take().ok_or("no stdout")?);
    let result = (|| {
        writeln!(stdin, "{init}").map_err(|e| e.to_string())?;
        read_answer(&mut stdout, 1)?;
        let init_ms = start.elapsed().as_secs_f64() * 1000.0;
        let notify = json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
        let list = json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list"});
        write!(stdin, "{notify}\n{list}\n").map_err(|e| e.to_string())?;
        let answer = read_answer(&mut stdout, 2)?;
        let list_ms = start.elapsed().as_secs_f64() * 1000.0;
        let list_bytes = serde_json::to_string(&answer["result"]).map_or(0, |s| s.len());
        std::thread::sleep(Duration::from_millis(300));
        let rss_kb = rss_kb(child.id()).unwrap_or(0);
        Ok(ColdStart {
            init_ms,
            list_ms,
            list_bytes,
            rss_kb,
        })
    })();
    drop(watchdog);
    let _ = child.kill();
    let _ = child.wait();
    result
}

/// Reads stdout lines until the answer with `id`.
fn read_answer(stdout: &mut impl BufRead, id: i64) -> Result<Value, String> {
    let mut line = String::new();
    loop {
        line.clear();
        if stdout.read_line(&mut line).map_err(|e| e.to_string())? == 0 {
            return Err(format!(
                "the server closed stdout before answering request {id}"
            ));
        }
        if let Ok(v) = serde_json::from_str::<Value>(&line)
            && v["id"] == id
        {
            return Ok(v);
        }
    }
}

/// Kills a process that is still running when its time is up (dropped in time: nothing).
struct Watchdog(std::sync::mpsc::Sender<()>);

impl Watchdog {
    fn new(pid: u32, limit: Duration) -> Watchdog {
        let (done, wait) = std::sync::mpsc::channel::<()>();
        std::thread::spawn(move || {
            if let Err(std::sync::mpsc::RecvTimeoutError::Timeout) = wait.recv_timeout(limit)
                && let Some(pid) = rustix::process::Pid::from_raw(pid as i32)
            {
                let _ = rustix::process::kill_process(pid, rustix::process::Signal::KILL);
            }
        });
        Watchdog(done)
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        let _ = self.0.send(());
    }
}

/// What a started program is to the comparison.
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Floor,
    Ours,
    Reference,
}

/// The note on a start-up figure: how far above the floor, and whether ours meets the target
/// (the reference is compared with ours with a session too).
fn start_note(
    kind: Kind,
    init: Option<Summary>,
    floor: Option<Summary>,
    ours: Option<Summary>,
) -> String {
    let (Some(init), Some(floor)) = (init, floor) else {
        return String::new();
    };
    let above = init.median - floor.median;
    match kind {
        Kind::Floor => String::new(),
        Kind::Ours => format!(
            "median {above:+.1} ms against the floor (target ≤ {START_TARGET_MS} ms: {})",
            if above <= START_TARGET_MS {
                "met"
            } else {
                "NOT met"
            }
        ),
        Kind::Reference => format!(
            "median {above:+.1} ms against the floor{}",
            ours.map_or(String::new(), |o| format!(
                "; {:.0}× ours with a session",
                init.median / o.median
            ))
        ),
    }
}

/// One program started again and again, and what it measured.
struct Starter {
    kind: Kind,
    label: String,
    make: Box<dyn Fn() -> std::process::Command>,
    runs: Vec<ColdStart>,
    failed: Option<String>,
}

impl Starter {
    fn new(kind: Kind, label: &str, make: impl Fn() -> std::process::Command + 'static) -> Starter {
        Starter {
            kind,
            label: label.into(),
            make: Box::new(make),
            runs: Vec::new(),
            failed: None,
        }
    }

    fn figure(&self, of: impl Fn(&ColdStart) -> f64) -> Option<Summary> {
        Summary::of(&self.runs.iter().map(of).collect::<Vec<_>>())
    }
}

/// Starts every program `runs` times, interleaved (the order turning each round, so none
/// always follows the same one).
fn interleaved(starters: &mut [Starter], runs: usize) {
    for round in 0..runs {
        for i in 0..starters.len() {
            let s = &mut starters[(round + i) % starters.len()];
            if s.failed.is_some() {
                continue;
            }
            match cold_start((s.make)()) {
                Ok(run) => s.runs.push(run),
                Err(e) => s.failed = Some(e),
            }
        }
    }
}

/// The server's command from `h` (its clean environment), sessions in `session_dir`.
fn ours(server: &Path, h: &Harness, session_dir: &Path) -> std::process::Command {
    let mut cmd = clone_command(h.command_for(server).as_std());
    cmd.env("SESSION_DIR", session_dir)
        .env("SESSION_LOCK_WAIT_SECONDS", "5")
        .env("LOG_LEVEL", "error");
    cmd
}

fn reference(path: &Path, home: &Path) -> std::process::Command {
    let mut cmd = std::process::Command::new(path);
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("API_ID", "12345")
        .env("API_HASH", "0123456789abcdef0123456789abcdef")
        .env("SESSION_DIR", home)
        .env("DO_NOT_TRACK", "1")
        .env("LOG_LEVEL", "ERROR");
    cmd
}

/// A table row: the figure, ours, the note.
struct Row(String, String, String);

fn ms(s: Option<Summary>) -> String {
    s.map_or("—".into(), |s| format!("{s} ms"))
}

/// The mark of a figure taken on a busy machine (why is told once, under the table).
fn mark(busy: &Option<String>) -> &'static str {
    if busy.is_some() {
        " ⚠ busy machine"
    } else {
        ""
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = args();
    let server = build_server()?;
    let floor = build_example("minimal_server")?;
    let h = Harness::signed_in().await;
    // Hundreds of calls a minute: the server's cost is measured, not Telegram's budgets.
    for (method, _) in testkit::world::rate_limits::DEFAULT_RATE_LIMITS {
        h.dc.world()
            .rate_limiter
            .set(method, testkit::world::rate_limits::limit(u32::MAX, 1));
    }
    let no_session = tempfile::tempdir()?;
    let ref_home = tempfile::tempdir()?;
    let mut rows = Vec::new();
    // Why blocks were measured on a busy machine (`--busy-ok`).
    let mut busy_blocks: Vec<String> = Vec::new();

    // Start-up, every program in turn.
    let busy = idle_before("the start-up runs", args.busy_ok)?;
    busy_blocks.extend(busy.clone());
    let mut starters = vec![
        Starter::new(Kind::Floor, "minimal rmcp server (the floor)", {
            let floor = floor.clone();
            move || {
                let mut cmd = std::process::Command::new(&floor);
                cmd.env_clear();
                cmd
            }
        }),
        Starter::new(Kind::Ours, "ours, signed-in session", {
            let cmd = ours(&server, &h, h.session_dir());
            move || clone_command(&cmd)
        }),
        Starter::new(Kind::Ours, "ours, no session file", {
            let cmd = ours(&server, &h, no_session.path());
            move || clone_command(&cmd)
        }),
    ];
    if let Some(path) = &args.reference {
        let (path, home) = (path.clone(), ref_home.path().to_path_buf());
        starters.push(Starter::new(
            Kind::Reference,
            "Python reference 0.46.1",
            move || reference(&path, &home),
        ));
    }
    eprintln!("start-up: {} interleaved runs of each", args.runs);
    tokio::task::block_in_place(|| interleaved(&mut starters, args.runs));
    let floor_init = starters[0].figure(|r| r.init_ms);
    let ours_with_session = starters[1].figure(|r| r.init_ms);
    for s in &starters {
        if let Some(e) = &s.failed {
            eprintln!("{} did not start: {e}", s.label);
        }
        let init = s.figure(|r| r.init_ms);
        let above = start_note(s.kind, init, floor_init, ours_with_session);
        rows.push(Row(
            format!("spawn → initialize, {}", s.label),
            ms(init),
            format!("{above}{}", mark(&busy)),
        ));
    }
    for s in &starters {
        rows.push(Row(
            format!("spawn → tools/list, {}", s.label),
            ms(s.figure(|r| r.list_ms)),
            mark(&busy).into(),
        ));
    }
    for s in &starters {
        let bytes = s.runs.last().map_or(0, |r| r.list_bytes);
        rows.push(Row(
            format!("RSS 0.3 s after tools/list, {}", s.label),
            s.figure(|r| r.rss_kb as f64 / 1024.0)
                .map_or("—".into(), |x| format!("{x} MB")),
            format!(
                "tools/list {:.1} kB (≈{} tokens){}",
                bytes as f64 / 1000.0,
                bytes / 4,
                mark(&busy)
            ),
        ));
    }

    // Calls through the loopback DC, on one server.
    let (transport, _) = TokioChildProcess::builder(tokio::process::Command::from(ours(
        &server,
        &h,
        h.session_dir(),
    )))
    .stderr(Stdio::null())
    .spawn()?;
    let pid = transport.id().unwrap_or(0);
    let client = ().serve(transport).await?;
    let call = |tool: &'static str, a: Value| {
        let peer = client.peer().clone();
        async move {
            let t = Instant::now();
            let r = peer
                .call_tool(
                    CallToolRequestParams::new(tool)
                        .with_arguments(a.as_object().cloned().unwrap_or_default()),
                )
                .await;
            let ok = r.as_ref().is_ok_and(|r| r.is_error != Some(true));
            if !ok {
                eprintln!("{tool} failed: {r:?}");
            }
            (t.elapsed().as_secs_f64() * 1000.0, ok)
        }
    };
    let reads = [
        (
            "get_messages",
            json!({"chat_id": "@rust_learners", "limit": 50}),
        ),
        (
            "search_messages_globally",
            json!({"query": "engine", "limit": 50}),
        ),
    ];
    // Connected and warm before anything is timed.
    for (tool, a) in &reads {
        call(tool, a.clone()).await;
    }
    for delay in [0u64, 50] {
        let busy = idle_before(&format!("the calls at {delay} ms"), args.busy_ok)?;
        busy_blocks.extend(busy.clone());
        h.dc.set_latency(Duration::from_millis(delay));
        for (tool, a) in &reads {
            let mut times = Vec::new();
            for _ in 0..args.calls {
                let (t, ok) = call(tool, a.clone()).await;
                if !ok {
                    return Err(format!("{tool} failed during the benchmark").into());
                }
                times.push(t);
            }
            let p95 = Summary::quantile(&times, 0.95).unwrap_or(f64::NAN);
            let s = Summary::of(&times);
            let overhead = match s {
                Some(s) if delay > 0 => {
                    format!(", median {:.2} ms above the DC's", s.median - delay as f64)
                }
                _ => String::new(),
            };
            rows.push(Row(
                format!("{tool}, DC latency {delay} ms ({} calls)", args.calls),
                s.map_or("—".into(), |s| {
                    format!("{:.2} / {:.2} / {:.2} ms", s.min, s.median, s.max)
                }),
                format!("p95 {p95:.2} ms{overhead}{}", mark(&busy)),
            ));
        }
    }
    let busy = idle_before("the concurrent bursts", args.busy_ok)?;
    busy_blocks.extend(busy.clone());
    h.dc.set_latency(Duration::from_millis(100));
    let mut bursts = Vec::new();
    let mut failed = 0;
    for _ in 0..5 {
        let started = Instant::now();
        let results =
            futures::future::join_all((0..64).map(|_| call("get_messages", reads[0].1.clone())))
                .await;
        bursts.push(started.elapsed().as_secs_f64() * 1000.0);
        failed += results.iter().filter(|(_, ok)| !ok).count();
    }
    rows.push(Row(
        "64 concurrent get_messages, DC latency 100 ms (5 bursts)".into(),
        ms(Summary::of(&bursts)),
        format!(
            "serial would be ≥ 6400 ms{}{}",
            if failed > 0 {
                format!("; {failed} calls failed")
            } else {
                String::new()
            },
            mark(&busy)
        ),
    ));
    h.dc.set_latency(Duration::ZERO);

    // A long run with faults: CPU time per call, and whether memory stays flat.
    let busy = idle_before("the long run", args.busy_ok)?;
    busy_blocks.extend(busy.clone());
    let chats = ["me", "@rust_learners", "@engine_news", "1001"];
    let cpu_before = cpu_seconds(pid);
    let mut rss_mb = vec![rss_kb(pid).unwrap_or(0) as f64 / 1024.0];
    let (mut done, mut answered_ok, mut drops) = (0, 0, 0);
    while done < args.long_calls {
        if done > 0 && done % 200 == 0 {
            h.dc.drop_connections();
            drops += 1;
        }
        if done % 100 == 50 {
            h.dc.inject(
                FaultRule::on(
                    "messages.getHistory",
                    FaultAction::Error {
                        code: 500,
                        message: "INTERNAL".into(),
                    },
                )
                .times(1),
            );
        }
        let batch = (0..8).map(|i| {
            call(
                "get_messages",
                json!({"chat_id": chats[(done + i) % chats.len()], "limit": 20}),
            )
        });
        answered_ok += futures::future::join_all(batch)
            .await
            .iter()
            .filter(|(_, ok)| *ok)
            .count();
        done += 8;
        if done % 200 == 0 {
            rss_mb.push(rss_kb(pid).unwrap_or(0) as f64 / 1024.0);
        }
    }
    let cpu_ms_per_call = match (cpu_before, cpu_seconds(pid)) {
        (Some(a), Some(b)) => format!("{:.3} ms", (b - a) * 1000.0 / done as f64),
        _ => "—".into(),
    };
    rows.push(Row(
        format!("server CPU time per call, {done} get_messages with faults"),
        cpu_ms_per_call,
        format!(
            "user + system; {answered_ok} answered ok, the rest structured errors; {drops} connection drops, an rpc error every 100 calls{}",
            mark(&busy)
        ),
    ));
    rows.push(Row(
        format!("server RSS over the {done} calls (sampled every 200)"),
        Summary::of(&rss_mb).map_or("—".into(), |s| format!("{s} MB")),
        format!(
            "first {:.1} MB, last {:.1} MB; peak {:.1} MB{}",
            rss_mb.first().copied().unwrap_or(0.0),
            rss_mb.last().copied().unwrap_or(0.0),
            peak_rss_kb(pid).unwrap_or(0) as f64 / 1024.0,
            mark(&busy)
        ),
    ));
    client.cancel().await?;
    rows.push(Row(
        format!(
            "server binary ({} build)",
            if cfg!(debug_assertions) {
                "debug"
            } else {
                "release"
            }
        ),
        format!(
            "{:.1} MB",
            std::fs::metadata(&server)?.len() as f64 / 1_048_576.0
        ),
        String::new(),
    ));

    println!(
        "Run of {} UTC; {} cores; figures are min / median / max.",
        chrono::Utc::now().format("%Y-%m-%d %H:%M"),
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!();
    println!("| figure | min / median / max | note |");
    println!("|---|---|---|");
    for Row(figure, value, note) in rows {
        println!("| {figure} | {value} | {note} |");
    }
    println!();
    if !busy_blocks.is_empty() {
        println!("⚠ Measured on a busy machine (--busy-ok), not comparable with an idle run:");
        for why in &busy_blocks {
            println!("- {why}");
        }
        println!();
    }
    println!(
        "Start-up is timed by the client: spawn to the answer, fork/exec and loading included (the \
         floor pays them too). Calls, bursts and the long run go through the loopback DC, which \
         the reference cannot talk to (it speaks layer 229 through Telethon)."
    );
    Ok(())
}

/// A copy of `cmd` (program, arguments, directory) with only the environment it sets.
fn clone_command(cmd: &std::process::Command) -> std::process::Command {
    let mut copy = std::process::Command::new(cmd.get_program());
    copy.args(cmd.get_args()).env_clear();
    for (key, value) in cmd.get_envs() {
        match value {
            Some(v) => copy.env(key, v),
            None => copy.env_remove(key),
        };
    }
    if let Some(dir) = cmd.get_current_dir() {
        copy.current_dir(dir);
    }
    copy
}
