//! Where the server's binaries of this build are. Cargo puts them in `target/<profile>/`, and
//! the running test (`target/<profile>/deps/`) or example (`target/<profile>/examples/`) sits
//! one directory below: the kit finds them from there. Cargo builds a crate's binaries before
//! its integration tests run; `cargo run --example` does not, so examples call
//! [`build_server`] first.

use std::path::{Path, PathBuf};

/// The server's binary.
pub const SERVER: &str = "fast-mcp-telegram";

/// `target/<profile>/`: the parent of the running executable's directory.
pub fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the running executable's path");
    exe.parent()
        .and_then(Path::parent)
        .expect("the executable runs from target/<profile>/<dir>/")
        .to_path_buf()
}

/// Binary `name` of this build (whether it exists is the caller's to check).
pub fn binary(name: &str) -> PathBuf {
    profile_dir().join(format!("{name}{}", std::env::consts::EXE_SUFFIX))
}

/// The server binary of this build.
pub fn server() -> PathBuf {
    binary(SERVER)
}

/// For the examples: builds the server with the running executable's profile, so an example
/// never runs a stale server, and returns its path.
pub fn build_server() -> Result<PathBuf, String> {
    cargo_build(&["--package", SERVER, "--bin", SERVER])?;
    existing(server())
}

/// For the benchmarks: builds example `name` of the server's package (the minimal rmcp server
/// the start-up is compared with) with the running executable's profile; returns its path.
pub fn build_example(name: &str) -> Result<PathBuf, String> {
    cargo_build(&["--package", SERVER, "--example", name])?;
    existing(
        profile_dir()
            .join("examples")
            .join(format!("{name}{}", std::env::consts::EXE_SUFFIX)),
    )
}

/// `cargo build --quiet <args>` in the running executable's profile.
fn cargo_build(args: &[&str]) -> Result<(), String> {
    let release = profile_dir().file_name().is_some_and(|n| n == "release");
    let mut build = std::process::Command::new(std::env::var("CARGO").unwrap_or("cargo".into()));
    build.args(["build", "--quiet"]).args(args);
    if release {
        build.arg("--release");
    }
    let status = build
        .current_dir(crate::repository_root())
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !status.success() {
        return Err(format!("cargo build {} failed", args.join(" ")));
    }
    Ok(())
}

fn existing(path: PathBuf) -> Result<PathBuf, String> {
    if path.exists() {
        Ok(path)
    } else {
        Err(format!("{} was not built", path.display()))
    }
}
