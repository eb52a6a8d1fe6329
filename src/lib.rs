//! fast-mcp-telegram: an MCP server that gives an AI assistant access to one Telegram account
//! over MTProto (the user API), one process per session, speaking MCP over stdio.

pub mod cli;
pub mod config;
pub mod env_file;
pub mod files;
pub mod format;
pub mod handshake;
pub mod health;
pub mod host_log;
pub mod logging;
pub mod mtproto;
pub mod oneshot;
pub mod options;
pub mod proxy;
pub mod schema;
pub mod server;
pub mod session;
pub mod setup;
pub mod telegram;
pub mod tools;
