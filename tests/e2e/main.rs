//! End-to-end: the real `fast-mcp-telegram` binary, spawned over stdio by rmcp's client,
//! driving grammers against the loopback DC.

#[path = "../support/mod.rs"]
mod support;

mod call;
mod connections;
mod contract;
mod duplicates;
mod edit_message;
mod eras;
mod find_chats;
mod get_chat_info;
mod get_messages;
mod harness;
mod health;
mod host_logging;
mod invoke_mtproto;
mod limits;
mod migrations;
mod reliability;
mod search_messages_globally;
mod security;
mod send_files;
mod send_message;
mod send_message_to_phone;
mod sessions;
mod setup;
mod setup_qr;
mod spine;
mod tools_list;
mod untrusted_text;
