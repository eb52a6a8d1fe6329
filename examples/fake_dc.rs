//! Runs the loopback Telegram DC by hand: loads a world, seeds a session file that points at
//! the DC, prints `{"port": …, "session_file": …}` on stdout and serves until killed.
//!
//! ```text
//! cargo run --example fake_dc -- --world examples/worlds/sample.json \
//!     --session-dir /tmp/fmt-demo --signed-in
//! SESSION_DIR=/tmp/fmt-demo API_ID=1 API_HASH=x cargo run   # the real server, against it
//! ```
//!
//! `--proxy plain|dd|ee` also starts a loopback MTProto proxy in front of it and adds its
//! `tg://proxy` link to what is printed (`"proxy"`), for `MTPROTO_PROXY`.

use std::path::PathBuf;

use clap::Parser;

use testkit::fake_dc::{DcOptions, FakeDc};
use testkit::mtproxy::{MtProxy, ProxySecret, SecretKind};
use testkit::seed::seed_session;
use testkit::world::World;

#[derive(Parser)]
#[command(about = "A loopback Telegram datacenter for trying the server without Telegram")]
struct Args {
    /// World file (JSON) describing the account; see docs/loopback-dc.md, "The world file".
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/worlds/sample.json"))]
    world: PathBuf,
    /// Directory to write the session file into (created if missing).
    #[arg(long)]
    session_dir: PathBuf,
    /// Session name: the file is `<session-dir>/<session-name>.session`.
    #[arg(long, default_value = "telegram")]
    session_name: String,
    /// Seed a signed-in session (otherwise only the key: run `setup` to log in).
    #[arg(long)]
    signed_in: bool,
    /// Also start an MTProto proxy in front of the DC with a random secret of this kind.
    #[arg(long, value_parser = ["plain", "dd", "ee"])]
    proxy: Option<String>,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), String> {
    let args = Args::parse();
    let world = World::load(&args.world)?;
    let mut options = DcOptions::new(world);
    options.signed_in = args.signed_in;
    let dc = FakeDc::start_with(options).map_err(|e| format!("cannot start the DC: {e}"))?;
    std::fs::create_dir_all(&args.session_dir)
        .map_err(|e| format!("cannot create {}: {e}", args.session_dir.display()))?;
    let session_file = args
        .session_dir
        .join(format!("{}.session", args.session_name));
    if session_file.exists() {
        return Err(format!(
            "{} exists already; pick another --session-name or remove it",
            session_file.display()
        ));
    }
    seed_session(&session_file, &dc, args.signed_in).await?;
    let kind = match args.proxy.as_deref() {
        Some("plain") => Some(SecretKind::Plain),
        Some("dd") => Some(SecretKind::Padded),
        Some(_) => Some(SecretKind::FakeTls),
        None => None,
    };
    let proxy = kind
        .map(|kind| MtProxy::start(&dc, ProxySecret::random(kind)))
        .transpose()
        .map_err(|e| format!("cannot start the proxy: {e}"))?;
    let mut printed = serde_json::json!({"port": dc.port(), "session_file": session_file});
    if let Some(proxy) = &proxy {
        printed["proxy"] = proxy.tg_link().into();
    }
    println!("{printed}");
    eprintln!("fake DC serving on 127.0.0.1:{}; Ctrl-C to stop", dc.port());
    tokio::signal::ctrl_c().await.map_err(|e| e.to_string())?;
    Ok(())
}
