//! End-to-end: the real `fast-mcp-telegram` binary, spawned over stdio by rmcp's client,
//! driving grammers against the loopback DC. The DC and the harness come from the test kit
//! (`tests/support`, crate `testkit`).

mod call;
mod connections;
mod contract;
mod crash_recovery;
mod deadlines_and_cancellation;
mod dropped_connections;
mod duplicates;
mod edit_message;
mod eras;
mod find_chats;
mod flood_waits;
mod get_chat_info;
mod get_media;
mod get_messages;
mod health;
mod holes;
mod host_logging;
mod hostile_stdin;
mod hostile_telegram;
mod inbox;
mod invoke_mtproto;
mod limits;
mod load;
mod message_actions;
mod migrations;
mod mtproto_proxy;
mod parser_properties;
mod request_budget;
mod revoked_sessions;
mod search_messages_globally;
mod security;
mod send_files;
mod send_message;
mod send_message_to_phone;
mod session_memory;
mod sessions;
mod setup;
mod setup_qr;
mod sign_in;
mod spine;
mod tools_list;
mod untrusted_text;
mod wait_for_reply;

/// The server binary Cargo built for these tests.
pub const SERVER: &str = env!("CARGO_BIN_EXE_fast-mcp-telegram");

/// The harness runs the server it finds beside the test executable; it must be this one.
#[test]
fn the_test_kit_runs_the_server_cargo_built_for_these_tests() {
    assert_eq!(
        testkit::binaries::server(),
        std::path::Path::new(SERVER),
        "testkit::binaries::server() is not CARGO_BIN_EXE_fast-mcp-telegram"
    );
}
