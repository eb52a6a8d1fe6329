//! For the examples: the server binary of this build (`target/<profile>/fast-mcp-telegram`),
//! built first with the same profile so an example never runs a stale server.

use std::path::{Path, PathBuf};

pub fn server_binary() -> Result<PathBuf, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .ok_or("cannot locate the target directory")?;
    let server = profile_dir.join("fast-mcp-telegram");
    let release = profile_dir.file_name().is_some_and(|n| n == "release");
    let mut build = std::process::Command::new(std::env::var("CARGO").unwrap_or("cargo".into()));
    build.args(["build", "--quiet", "--bin", "fast-mcp-telegram"]);
    if release {
        build.arg("--release");
    }
    let status = build
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !status.success() || !server.exists() {
        return Err("building the server failed".into());
    }
    Ok(server)
}
