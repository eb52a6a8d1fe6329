//! Message formatting: turning what the model writes (Markdown, HTML or plain text) into the
//! text and formatting entities Telegram stores. Offsets and lengths are UTF-16 code units,
//! as Telegram counts them.
//!
//! - `markdown`: Telegram's own markers (the ones its apps and Telethon understand):
//!   `**bold**`, `__italic__`, `~~strike~~`, `||spoiler||`, `` `code` ``,
//!   ```` ```lang\npre``` ```` and `[text](url)`. Everything else stays as written: single
//!   `*`/`_`, `#` headings and list markers are ordinary characters, and line breaks are kept.
//! - `html`: Telegram's HTML subset: `<b>`/`<strong>`, `<i>`/`<em>`, `<u>`/`<ins>`,
//!   `<s>`/`<strike>`/`<del>`, `<code>`, `<pre>` (with `<code class="language-x">`),
//!   `<a href="…">`, `<blockquote>` (`expandable`), `<tg-spoiler>` /
//!   `<span class="tg-spoiler">`, `<br>`; character references (`&lt;`, `&amp;`, `&#…;`)
//!   are decoded. Other tags are kept as literal text, never silently dropped.
//! - `auto`: HTML when the text's recognised tags, outside Markdown code spans and blocks,
//!   form at least one entity (or a `<br>`); otherwise Markdown when its markers form at least
//!   one entity; otherwise the text is plain and sent exactly as written.
//! - `rich`: treated as `markdown`. Layer 230's rich messages (`inputRichMessage…`) are a
//!   separate document format that older apps show differently and whose server-side parsing
//!   is not documented; the same text with Markdown entities reaches everyone.

mod html;
mod markdown;

use grammers_tl_types as tl;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Telegram's limit for a message text, in UTF-16 code units.
pub const TEXT_MAX: usize = 4096;
/// Telegram's limit for a media caption (accounts without Premium), in UTF-16 code units.
pub const CAPTION_MAX: usize = 1024;
/// Longest source text parsed at all (formatting markup included), in bytes.
pub const SOURCE_MAX: usize = 65_536;

// How `message` is formatted: named and enumerated well enough without a description (a
// type's doc comment would become schema text).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
#[schemars(inline)]
pub enum ParseMode {
    /// **bold**, __italic__, ~~strike~~, ||spoiler||, `code`, ```pre```, [text](url).
    #[serde(alias = "Markdown", alias = "MARKDOWN", alias = "md")]
    Markdown,
    /// <b>, <i>, <u>, <s>, <code>, <pre>, <a href>, <blockquote>, <tg-spoiler>.
    #[serde(alias = "HTML", alias = "Html")]
    Html,
    /// HTML if the text uses its tags, else Markdown if it uses its markers, else plain.
    #[default]
    #[serde(alias = "Auto", alias = "AUTO")]
    Auto,
    /// Same as markdown.
    #[serde(alias = "Rich", alias = "RICH")]
    Rich,
}

/// How a text was read in the end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Parsed {
    Plain,
    Markdown,
    Html,
}

/// Text ready for Telegram.
#[derive(Debug, Clone, PartialEq)]
pub struct Formatted {
    pub text: String,
    pub entities: Vec<tl::enums::MessageEntity>,
    pub parsed_as: Parsed,
}

impl Formatted {
    /// Length in UTF-16 code units, as Telegram counts it.
    pub fn len_utf16(&self) -> usize {
        utf16_len(&self.text)
    }

    /// The entities as a request carries them (`None` when there are none).
    pub fn entities_opt(&self) -> Option<Vec<tl::enums::MessageEntity>> {
        (!self.entities.is_empty()).then(|| self.entities.clone())
    }

    fn plain(text: &str) -> Self {
        Self {
            text: text.to_string(),
            entities: Vec::new(),
            parsed_as: Parsed::Plain,
        }
    }
}

pub fn utf16_len(text: &str) -> usize {
    text.encode_utf16().count()
}

/// Which syntax a text uses, by the rule `auto` follows.
pub fn detect(source: &str) -> Parsed {
    if source.contains('<') && html::uses_html(&markdown::without_code(source)) {
        Parsed::Html
    } else if !markdown::parse(source).1.is_empty() {
        Parsed::Markdown
    } else {
        Parsed::Plain
    }
}

/// Parses `source` in `mode`.
pub fn format(source: &str, mode: ParseMode) -> Formatted {
    let parsed = match mode {
        ParseMode::Markdown | ParseMode::Rich => Parsed::Markdown,
        ParseMode::Html => Parsed::Html,
        ParseMode::Auto => detect(source),
    };
    let (text, entities) = match parsed {
        Parsed::Plain => return Formatted::plain(source),
        Parsed::Markdown => markdown::parse(source),
        Parsed::Html => html::parse(source),
    };
    Formatted {
        text,
        entities: sorted(entities),
        parsed_as: parsed,
    }
}

/// Checks a formatted text against Telegram's limit (`TEXT_MAX` or `CAPTION_MAX`).
pub fn check_length(formatted: &Formatted, limit: usize, what: &str) -> Result<(), String> {
    let len = formatted.len_utf16();
    if len > limit {
        return Err(format!(
            "the {what} is {len} characters long (counted in UTF-16 units, after formatting); \
             Telegram allows at most {limit}: shorten it or split it into several messages"
        ));
    }
    Ok(())
}

/// Offset and length of an entity.
pub fn span(entity: &tl::enums::MessageEntity) -> (i32, i32) {
    use tl::enums::MessageEntity as E;
    match entity {
        E::Bold(e) => (e.offset, e.length),
        E::Italic(e) => (e.offset, e.length),
        E::Underline(e) => (e.offset, e.length),
        E::Strike(e) => (e.offset, e.length),
        E::Spoiler(e) => (e.offset, e.length),
        E::Code(e) => (e.offset, e.length),
        E::Pre(e) => (e.offset, e.length),
        E::TextUrl(e) => (e.offset, e.length),
        E::Blockquote(e) => (e.offset, e.length),
        _ => (0, 0),
    }
}

/// Entities by offset, outer (longer) ones first, none empty.
fn sorted(mut entities: Vec<tl::enums::MessageEntity>) -> Vec<tl::enums::MessageEntity> {
    entities.retain(|e| span(e).1 > 0);
    entities.sort_by_key(|e| {
        let (offset, length) = span(e);
        (offset, std::cmp::Reverse(length))
    });
    entities
}

/// What an entity marks.
#[derive(Debug, Clone, PartialEq)]
enum Kind {
    Bold,
    Italic,
    Underline,
    Strike,
    Spoiler,
    Code,
    Pre(String),
    TextUrl(String),
    Blockquote { collapsed: bool },
}

fn entity(kind: Kind, offset: i32, length: i32) -> tl::enums::MessageEntity {
    match kind {
        Kind::Bold => tl::types::MessageEntityBold { offset, length }.into(),
        Kind::Italic => tl::types::MessageEntityItalic { offset, length }.into(),
        Kind::Underline => tl::types::MessageEntityUnderline { offset, length }.into(),
        Kind::Strike => tl::types::MessageEntityStrike { offset, length }.into(),
        Kind::Spoiler => tl::types::MessageEntitySpoiler { offset, length }.into(),
        Kind::Code => tl::types::MessageEntityCode { offset, length }.into(),
        Kind::Pre(language) => tl::types::MessageEntityPre {
            offset,
            length,
            language,
        }
        .into(),
        Kind::TextUrl(url) => tl::types::MessageEntityTextUrl {
            offset,
            length,
            url,
        }
        .into(),
        Kind::Blockquote { collapsed } => tl::types::MessageEntityBlockquote {
            collapsed,
            offset,
            length,
        }
        .into(),
    }
}

/// Text being built, with its length in UTF-16 units.
#[derive(Default)]
struct Builder {
    text: String,
    len16: i32,
    entities: Vec<tl::enums::MessageEntity>,
}

impl Builder {
    fn push_str(&mut self, s: &str) {
        self.text.push_str(s);
        self.len16 += utf16_len(s) as i32;
    }

    fn push(&mut self, c: char) {
        self.text.push(c);
        self.len16 += c.len_utf16() as i32;
    }

    fn add(&mut self, kind: Kind, start: i32) {
        let length = self.len16 - start;
        if length > 0 {
            self.entities.push(entity(kind, start, length));
        }
    }

    fn finish(self) -> (String, Vec<tl::enums::MessageEntity>) {
        (self.text, self.entities)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spans(f: &Formatted) -> Vec<(&'static str, i32, i32)> {
        use tl::enums::MessageEntity as E;
        f.entities
            .iter()
            .map(|e| {
                let name = match e {
                    E::Bold(_) => "bold",
                    E::Italic(_) => "italic",
                    E::Underline(_) => "underline",
                    E::Strike(_) => "strike",
                    E::Spoiler(_) => "spoiler",
                    E::Code(_) => "code",
                    E::Pre(_) => "pre",
                    E::TextUrl(_) => "text_url",
                    E::Blockquote(_) => "blockquote",
                    _ => "other",
                };
                let (o, l) = span(e);
                (name, o, l)
            })
            .collect()
    }

    #[test]
    fn detection_picks_html_then_markdown_then_plain() {
        assert_eq!(detect("<b>hi</b> there"), Parsed::Html);
        assert_eq!(
            detect("see <a href=\"https://x.org\">this</a>"),
            Parsed::Html
        );
        assert_eq!(detect("line<br>break"), Parsed::Html);
        assert_eq!(detect("<tg-spoiler>secret</tg-spoiler>"), Parsed::Html);
        assert_eq!(detect("**bold** and <b>bold</b>"), Parsed::Html);
        assert_eq!(detect("**bold** move"), Parsed::Markdown);
        assert_eq!(detect("run `cargo test`"), Parsed::Markdown);
        assert_eq!(detect("[docs](https://docs.rs)"), Parsed::Markdown);
        assert_eq!(detect("~~old~~ new"), Parsed::Markdown);
        assert_eq!(detect("```\nfn main() {}\n```"), Parsed::Markdown);
        assert_eq!(detect("__italic__"), Parsed::Markdown);
        // Neither: left alone.
        assert_eq!(detect("2 * 3 * 4 = 24, a < b > c"), Parsed::Plain);
        assert_eq!(detect("Vec<T> and Option<u8>"), Parsed::Plain);
        assert_eq!(detect("snake_case_name and a_b"), Parsed::Plain);
        assert_eq!(detect("a ** b ** c"), Parsed::Plain);
        assert_eq!(detect("unclosed **bold"), Parsed::Plain);
        assert_eq!(detect("# Title\n- item\n*single*"), Parsed::Plain);
        assert_eq!(detect("x || y"), Parsed::Plain);
        // Tags shown as code are examples, not markup.
        assert_eq!(
            detect("Use `<br>` or ```\n<b>x</b>\n``` in **HTML**"),
            Parsed::Markdown
        );
        assert_eq!(detect("`<b>` alone"), Parsed::Markdown);
        assert_eq!(detect("<i>real</i> and `<b>`"), Parsed::Html);
    }

    #[test]
    fn plain_text_is_untouched() {
        let text = "Tom &amp; Jerry: 2*3 <not a tag> __ ** `";
        let f = format(text, ParseMode::Auto);
        assert_eq!(f.text, text);
        assert!(f.entities.is_empty());
        assert_eq!(f.parsed_as, Parsed::Plain);
    }

    #[test]
    fn markdown_offsets_count_utf16_units() {
        // 🎉 is two UTF-16 units; é is one.
        let f = format(
            "🎉 **bold** é __it__ `c` [link](https://example.org)",
            ParseMode::Markdown,
        );
        assert_eq!(f.text, "🎉 bold é it c link");
        assert_eq!(
            spans(&f),
            vec![
                ("bold", 3, 4),
                ("italic", 10, 2),
                ("code", 13, 1),
                ("text_url", 15, 4)
            ]
        );
        let tl::enums::MessageEntity::TextUrl(link) = &f.entities[3] else {
            panic!()
        };
        assert_eq!(link.url, "https://example.org");
    }

    #[test]
    fn markdown_nests_and_keeps_lines() {
        let f = format(
            "**bold __both__**\n~~gone~~ ||hidden||\n- item",
            ParseMode::Markdown,
        );
        assert_eq!(f.text, "bold both\ngone hidden\n- item");
        assert_eq!(
            spans(&f),
            vec![
                ("bold", 0, 9),
                ("italic", 5, 4),
                ("strike", 10, 4),
                ("spoiler", 15, 6)
            ]
        );
    }

    #[test]
    fn markdown_pre_with_language_and_code_is_literal() {
        let f = format(
            "Run:\n```rust\nlet **x** = 1;\n```\ndone",
            ParseMode::Markdown,
        );
        assert_eq!(f.text, "Run:\nlet **x** = 1;\ndone");
        let tl::enums::MessageEntity::Pre(pre) = &f.entities[0] else {
            panic!("{f:?}")
        };
        assert_eq!(
            (pre.offset, pre.length, pre.language.as_str()),
            (5, 14, "rust")
        );
        let f = format("`**not bold**` **bold**", ParseMode::Markdown);
        assert_eq!(f.text, "**not bold** bold");
        assert_eq!(spans(&f), vec![("code", 0, 12), ("bold", 13, 4)]);
    }

    #[test]
    fn markdown_word_rules_for_underscores() {
        let f = format("snake__case__name and __it__", ParseMode::Markdown);
        assert_eq!(f.text, "snake__case__name and it");
        assert_eq!(spans(&f), vec![("italic", 22, 2)]);
    }

    #[test]
    fn html_entities_with_utf16_offsets() {
        let f = format(
            "👍 <b>bold</b> <i>it</i> <u>u</u> <s>s</s> <code>c</code> \
             <a href=\"https://example.org/?a=1&amp;b=2\">link</a> <tg-spoiler>x</tg-spoiler>",
            ParseMode::Html,
        );
        assert_eq!(f.text, "👍 bold it u s c link x");
        assert_eq!(
            spans(&f),
            vec![
                ("bold", 3, 4),
                ("italic", 8, 2),
                ("underline", 11, 1),
                ("strike", 13, 1),
                ("code", 15, 1),
                ("text_url", 17, 4),
                ("spoiler", 22, 1),
            ]
        );
        let tl::enums::MessageEntity::TextUrl(link) = &f.entities[5] else {
            panic!()
        };
        assert_eq!(link.url, "https://example.org/?a=1&b=2");
    }

    #[test]
    fn html_pre_blockquote_breaks_and_references() {
        let f = format(
            "<pre><code class=\"language-rust\">a &lt; b</code></pre><br/>\
             <blockquote expandable>q</blockquote> &amp; &#128512; &#x41; &bogus; <p>kept</p>",
            ParseMode::Html,
        );
        assert_eq!(f.text, "a < b\nq & 😀 A &bogus; <p>kept</p>");
        let tl::enums::MessageEntity::Pre(pre) = &f.entities[0] else {
            panic!("{f:?}")
        };
        assert_eq!(
            (pre.offset, pre.length, pre.language.as_str()),
            (0, 5, "rust")
        );
        let tl::enums::MessageEntity::Blockquote(q) = &f.entities[1] else {
            panic!("{f:?}")
        };
        assert_eq!((q.offset, q.length, q.collapsed), (6, 1, true));
    }

    #[test]
    fn html_unclosed_tags_run_to_the_end_and_stray_closers_stay() {
        let f = format("<b>bold to the end", ParseMode::Html);
        assert_eq!(f.text, "bold to the end");
        assert_eq!(spans(&f), vec![("bold", 0, 15)]);
        let f = format("a </b> b", ParseMode::Html);
        assert_eq!(f.text, "a </b> b");
        assert!(f.entities.is_empty());
    }

    #[test]
    fn rich_is_markdown_and_lengths_are_checked() {
        assert_eq!(format("**x**", ParseMode::Rich).parsed_as, Parsed::Markdown);
        let long = format(&"é".repeat(TEXT_MAX + 1), ParseMode::Auto);
        assert!(
            check_length(&long, TEXT_MAX, "message")
                .unwrap_err()
                .contains("4096")
        );
        // Markup does not count: only the visible text.
        let marked = format(&format!("**{}**", "a".repeat(TEXT_MAX)), ParseMode::Auto);
        assert!(check_length(&marked, TEXT_MAX, "message").is_ok());
        // Two UTF-16 units per emoji.
        let emoji = format(&"😀".repeat(TEXT_MAX / 2 + 1), ParseMode::Auto);
        assert!(check_length(&emoji, TEXT_MAX, "message").is_err());
    }

    #[test]
    fn parse_modes_deserialise_case_insensitively() {
        let m: ParseMode = serde_json::from_str("\"HTML\"").unwrap();
        assert_eq!(m, ParseMode::Html);
        let m: ParseMode = serde_json::from_str("\"Markdown\"").unwrap();
        assert_eq!(m, ParseMode::Markdown);
        assert!(serde_json::from_str::<ParseMode>("\"bbcode\"").is_err());
    }

    #[test]
    fn pathological_inputs_parse_in_linear_passes() {
        // Openers without closers, unclosed tags and brackets, filling the whole source
        // allowance: each is parsed without rescanning the rest of the text per character.
        for unit in [
            "**a ",
            "[[a(",
            "[a](",
            "<a href=\"",
            "`` _",
            "__x_",
            "||~~",
            "```a",
            "<b>",
        ] {
            let source = unit.repeat(SOURCE_MAX / unit.len());
            for mode in [ParseMode::Auto, ParseMode::Markdown, ParseMode::Html] {
                let f = format(&source, mode);
                assert!(f.len_utf16() <= source.len());
            }
        }
    }

    #[test]
    fn links_nest_brackets_and_need_a_url() {
        let f = format(
            "[a [b] c](https://x.org) [no url]() [x] (y)",
            ParseMode::Markdown,
        );
        assert_eq!(f.text, "a [b] c [no url]() [x] (y)");
        assert_eq!(spans(&f), vec![("text_url", 0, 7)]);
    }
}
