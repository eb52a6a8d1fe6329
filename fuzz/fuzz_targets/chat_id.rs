#![no_main]
//! `cargo +nightly fuzz run chat_id`: the chat identifier parser every tool uses.

use fast_mcp_telegram::telegram::chat_ref;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(input) = std::str::from_utf8(data) {
        if let Err(why) = chat_ref::parse(input) {
            assert!(!why.is_empty());
        }
    }
});
