//! End-to-end: the real `fast-mcp-telegram` binary, spawned over stdio by rmcp's client,
//! driving grammers against the loopback DC.

#[path = "../support/mod.rs"]
mod support;

mod harness;
mod spine;
mod get_messages;
mod search_messages_globally;
mod setup;
mod find_chats;
mod get_chat_info;
mod limits;
