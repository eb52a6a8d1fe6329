//! Property tests of the parsers, in process: chat ids, dates and message formatting never panic,
//! always give a value or an error, and formatting's entities always fit the text.

use fast_mcp_telegram::format::{self, ParseMode};
use fast_mcp_telegram::telegram::chat_ref;
use fast_mcp_telegram::tools::dates::{self, Edge};
use proptest::prelude::*;

/// Text biased towards the syntax the parsers look for.
fn markup() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("**".to_string()),
        Just("__".to_string()),
        Just("~~".to_string()),
        Just("||".to_string()),
        Just("`".to_string()),
        Just("```".to_string()),
        Just("[".to_string()),
        Just("](".to_string()),
        Just(")".to_string()),
        Just("<b>".to_string()),
        Just("</b>".to_string()),
        Just("<a href=\"".to_string()),
        Just("</a>".to_string()),
        Just("<pre><code class=\"language-".to_string()),
        Just("</code></pre>".to_string()),
        Just("<tg-spoiler>".to_string()),
        Just("<blockquote expandable>".to_string()),
        Just("&lt;&amp;&#x1F980;&#99999999;&".to_string()),
        Just("<br>".to_string()),
        Just("🦀".to_string()),
        Just("\u{202E}\u{200B}\u{0000}".to_string()),
        "\\PC{0,8}",
        "[ a-z\n]{0,6}",
    ];
    proptest::collection::vec(piece, 0..24).prop_map(|v| v.concat())
}

fn assert_entities_fit(source: &str, mode: ParseMode) {
    let formatted = format::format(source, mode);
    let len = format::utf16_len(&formatted.text) as i64;
    for entity in &formatted.entities {
        let (offset, length) = format::span(entity);
        let (offset, length) = (i64::from(offset), i64::from(length));
        assert!(
            offset >= 0 && length > 0 && offset + length <= len,
            "{mode:?} {source:?}: entity {entity:?} outside the {len}-unit text {:?}",
            formatted.text
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn reliability_chat_ids_parse_or_explain(input in "\\PC{0,40}|[-+@0-9a-z_./:]{0,40}") {
        if let Err(why) = chat_ref::parse(&input) {
            prop_assert!(!why.is_empty());
        }
    }

    #[test]
    fn reliability_numeric_chat_ids_never_overflow(n in any::<i64>(), prefix in "(|-|-100|\\+|t\\.me/c/)") {
        let _ = chat_ref::parse(&format!("{prefix}{n}"));
        let _ = chat_ref::parse(&format!("{prefix}{n}{n}"));
    }

    #[test]
    fn reliability_dates_parse_or_explain(
        input in "\\PC{0,32}|[-+0-9:TZ. ]{0,32}|[0-9]{1,6}-[0-9]{1,3}-[0-9]{1,3}(T[0-9]{1,2}:[0-9]{1,2}(:[0-9]{1,2})?)?",
        other in "[0-9]{4}-[0-9]{2}-[0-9]{2}",
    ) {
        for edge in [Edge::Start, Edge::End] {
            if let Err(why) = dates::parse("min_date", &input, edge) {
                prop_assert!(why.contains("min_date"), "{why}");
            }
        }
        let _ = dates::window(Some(&input), Some(&other));
        let _ = dates::window(Some(&other), Some(&input));
    }

    #[test]
    fn reliability_formatting_never_panics_and_entities_fit_the_text(source in markup()) {
        for mode in [ParseMode::Markdown, ParseMode::Html, ParseMode::Auto, ParseMode::Rich] {
            assert_entities_fit(&source, mode);
        }
    }

    #[test]
    fn reliability_formatting_of_any_text_never_panics(source in "\\PC{0,200}") {
        for mode in [ParseMode::Markdown, ParseMode::Html, ParseMode::Auto] {
            assert_entities_fit(&source, mode);
        }
    }
}
