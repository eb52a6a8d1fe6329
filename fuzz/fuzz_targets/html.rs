#![no_main]
//! `cargo +nightly fuzz run html`: the HTML parser.

use fast_mcp_telegram::format::ParseMode;
use libfuzzer_sys::fuzz_target;

#[path = "check.rs"]
mod check;

fuzz_target!(|data: &[u8]| {
    check::formatting(data, ParseMode::Html);
});
