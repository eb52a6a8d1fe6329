//! Telegram content is written by other people: control and invisible characters are
//! removed (they can hide text from a reader or reorder it), and lengths are capped.

/// Longest name or title kept, in characters.
pub const MAX_NAME_CHARS: usize = 256;
/// Longest message text kept, in characters (Telegram's own limit is 4096).
pub const MAX_TEXT_CHARS: usize = 8192;

fn invisible(c: char) -> bool {
    matches!(c,
        '\u{200B}'..='\u{200F}'   // zero-width space/joiners, LRM/RLM
        | '\u{202A}'..='\u{202E}' // bidi embeddings and overrides
        | '\u{2060}'..='\u{2064}' // word joiner, invisible operators
        | '\u{2066}'..='\u{2069}' // bidi isolates
        | '\u{FEFF}'              // BOM / zero-width no-break space
        | '\u{FFF9}'..='\u{FFFB}' // interlinear annotations
        | '\u{E0000}'..='\u{E007F}' // tag characters (invisible text smuggling)
    )
}

/// Cleans free text: keeps newlines and tabs, drops other control and invisible characters.
pub fn text(input: &str) -> String {
    input
        .chars()
        .filter(|c| (!c.is_control() || *c == '\n' || *c == '\t') && !invisible(*c))
        .collect()
}

/// Cleans a name or title: one line, no control or invisible characters, capped.
pub fn name(input: &str) -> String {
    let cleaned: String = input
        .chars()
        .map(|c| if c == '\n' || c == '\t' { ' ' } else { c })
        .filter(|c| !c.is_control() && !invisible(*c))
        .collect();
    let trimmed = cleaned.trim();
    if trimmed.chars().count() > MAX_NAME_CHARS {
        let cut: String = trimmed.chars().take(MAX_NAME_CHARS).collect();
        format!("{cut}…")
    } else {
        trimmed.to_string()
    }
}

/// Cleans a message text and clips it to `limit` characters; returns the text and, when
/// clipped, the full length.
pub fn message_text(input: &str, limit: usize) -> (String, Option<usize>) {
    let cleaned = text(input);
    let length = cleaned.chars().count();
    if length <= limit {
        return (cleaned, None);
    }
    let cut: String = cleaned.chars().take(limit).collect();
    (
        format!("{cut}… [clipped: {length} characters in all]"),
        Some(length),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hidden_characters_are_removed() {
        assert_eq!(name("Ad\u{202E}min\u{200B}\u{0007}"), "Admin");
        assert_eq!(text("line one\nline\u{E0041} two"), "line one\nline two");
    }

    #[test]
    fn long_texts_are_clipped_with_their_length() {
        let (t, full) = message_text(&"a".repeat(20), 5);
        assert!(t.starts_with("aaaaa…"));
        assert_eq!(full, Some(20));
        assert_eq!(message_text("short", 5), ("short".into(), None));
    }
}
