#![no_main]
//! `cargo +nightly fuzz run chat_id`: the chat identifier parser every tool uses.

use fast_mcp_telegram::telegram::chat_ref;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(input) = std::str::from_utf8(data) {
        let chat = chat_ref::parse(input);
        if let Err(why) = &chat {
            assert!(!why.is_empty());
        }
        // A message link names the same chat as the chat parser does.
        let linked = chat_ref::parse_with_message(input).map(|(chat, _)| chat);
        assert_eq!(chat, linked);
    }
});
