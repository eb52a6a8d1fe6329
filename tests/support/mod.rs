//! Test support shared by the integration tests and the examples: the loopback Telegram DC,
//! its world, and the session seeder. Compiled into tests and examples only, never into the
//! release binaries.
#![allow(dead_code)]

pub mod binaries;
pub mod fake_dc;
pub mod seed;
pub mod world;
