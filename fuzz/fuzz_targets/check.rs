// Shared by the formatting targets: parsing never panics, and every entity lies inside the
// text it was parsed into (offsets in UTF-16 code units, as Telegram counts them).
use fast_mcp_telegram::format::{self, ParseMode};

pub fn formatting(data: &[u8], mode: ParseMode) {
    let Ok(source) = std::str::from_utf8(data) else {
        return;
    };
    let formatted = format::format(source, mode);
    let len = format::utf16_len(&formatted.text) as i64;
    for entity in &formatted.entities {
        let (offset, length) = format::span(entity);
        let (offset, length) = (i64::from(offset), i64::from(length));
        assert!(offset >= 0 && length >= 0 && offset + length <= len);
    }
}
