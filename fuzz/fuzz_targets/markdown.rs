#![no_main]
//! `cargo +nightly fuzz run markdown`: the Markdown parser (and `auto` detection).

use fast_mcp_telegram::format::ParseMode;
use libfuzzer_sys::fuzz_target;

#[path = "check.rs"]
mod check;

fuzz_target!(|data: &[u8]| {
    check::formatting(data, ParseMode::Markdown);
    check::formatting(data, ParseMode::Auto);
});
