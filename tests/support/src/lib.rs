//! The test kit shared by the integration tests, the examples and the benchmarks: the loopback
//! Telegram DC and its world, the session seeder, and the harness that spawns the real server
//! over stdio as an MCP host does. A crate of its own so that it is compiled once, not into
//! every target that uses it; never published, never in a release binary.

pub mod bench;
pub mod binaries;
pub mod fake_dc;
pub mod harness;
pub mod mtproxy;
pub mod process;
pub mod raw_client;
pub mod request_budget;
pub mod seed;
pub mod wait;
pub mod world;

use std::path::Path;

/// The repository this kit lives in (`tests/support/` is two levels below it): where the
/// bundled worlds are and where Cargo builds the server.
pub fn repository_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("tests/support sits two levels below the repository root")
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_repository_root_holds_the_server_and_the_bundled_worlds() {
        let root = super::repository_root();
        assert!(root.join("Cargo.toml").is_file(), "{}", root.display());
        assert!(crate::world::sample_path().is_file());
        crate::world::World::load(&crate::world::sample_path()).expect("the sample world loads");
    }
}
