//! Telegram-style Markdown: `**bold**`, `__italic__`, `~~strike~~`, `||spoiler||`,
//! `` `code` ``, ```` ```lang\npre``` ```` and `[text](url)`, nestable (except inside code).
//!
//! A marker only counts when it is closed: an opener must be followed by a non-space, a
//! closer preceded by one, and `__` must not sit inside a word (`snake__case` stays as is).
//! Unclosed or unmatched markers are ordinary characters, so text without formatting comes
//! out exactly as it went in.

use std::collections::HashMap;

use grammers_tl_types as tl;

use super::{Builder, Kind};

const PAIRS: [(&str, Kind); 4] = [
    ("**", Kind::Bold),
    ("__", Kind::Italic),
    ("~~", Kind::Strike),
    ("||", Kind::Spoiler),
];

pub fn parse(source: &str) -> (String, Vec<tl::enums::MessageEntity>) {
    let mut out = Builder::default();
    inline(source, &mut out);
    out.finish()
}

fn char_before(s: &str, i: usize) -> Option<char> {
    s[..i].chars().next_back()
}

fn char_at(s: &str, i: usize) -> Option<char> {
    s[i..].chars().next()
}

fn is_word(c: Option<char>) -> bool {
    c.is_some_and(char::is_alphanumeric)
}

fn is_space(c: Option<char>) -> bool {
    c.is_none_or(char::is_whitespace)
}

/// End of the code span or block starting at `i` (a backtick), as (content start, content
/// end, end of the closing fence).
fn code_span(s: &str, i: usize) -> Option<(usize, usize, usize)> {
    if s[i..].starts_with("```") {
        let start = i + 3;
        let close = s[start..].find("```")? + start;
        return (close > start).then_some((start, close, close + 3));
    }
    let start = i + 1;
    let close = s[start..].find('`')? + start;
    (close > start).then_some((start, close, close + 1))
}

/// Where the closing `delim` of an opener ending at `from` is: the first well-placed
/// occurrence, skipping code spans.
fn closer(s: &str, from: usize, delim: &str) -> Option<usize> {
    let mut i = from;
    while i < s.len() {
        if s[i..].starts_with('`') {
            if let Some((_, _, end)) = code_span(s, i) {
                i = end;
                continue;
            }
        } else if s[i..].starts_with(delim)
            && i > from
            && !is_space(char_before(s, i))
            && (delim != "__" || !is_word(char_at(s, i + delim.len())))
        {
            return Some(i);
        }
        i += char_at(s, i).map_or(1, char::len_utf8);
    }
    None
}

/// Where the `]` closing each `[` is (nesting counted, code spans skipped), in one pass.
fn brackets(s: &str) -> HashMap<usize, usize> {
    let mut open = Vec::new();
    let mut pairs = HashMap::new();
    let mut j = 0;
    while let Some(c) = char_at(s, j) {
        match c {
            '`' => {
                if let Some((_, _, end)) = code_span(s, j) {
                    j = end;
                    continue;
                }
            }
            '[' => open.push(j),
            ']' => {
                if let Some(o) = open.pop() {
                    pairs.insert(o, j);
                }
            }
            _ => {}
        }
        j += c.len_utf8();
    }
    pairs
}

/// Finds links: `[text](url)`.
struct Links {
    brackets: Option<HashMap<usize, usize>>,
    /// No `)` follows this position.
    no_paren_after: Option<usize>,
}

impl Links {
    fn new() -> Self {
        Self {
            brackets: None,
            no_paren_after: None,
        }
    }

    /// The link starting at `i` (a `[`): (text start, text end, url, end).
    fn at(&mut self, s: &str, i: usize) -> Option<(usize, usize, String, usize)> {
        let text_start = i + 1;
        let text_end = *self.brackets.get_or_insert_with(|| brackets(s)).get(&i)?;
        if text_end == text_start || !s[text_end..].starts_with("](") {
            return None;
        }
        let url_start = text_end + 2;
        if self.no_paren_after.is_some_and(|p| url_start >= p) {
            return None;
        }
        let Some(close) = s[url_start..].find(')') else {
            self.no_paren_after = Some(url_start);
            return None;
        };
        let url_end = close + url_start;
        let url = s[url_start..url_end].trim();
        if url.is_empty() || url.chars().any(char::is_whitespace) {
            return None;
        }
        Some((text_start, text_end, url.to_string(), url_end + 1))
    }
}

/// The text with its code spans and blocks blanked out (for telling which syntax the rest
/// uses: `<br>` inside backticks is an example, not a tag).
pub fn without_code(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while let Some(c) = char_at(s, i) {
        if c == '`'
            && let Some((_, _, end)) = code_span(s, i)
        {
            out.push(' ');
            i = end;
            continue;
        }
        out.push(c);
        i += c.len_utf8();
    }
    out
}

fn inline(s: &str, out: &mut Builder) {
    // Delimiters already known to have no closer after a position: later openers of the
    // same kind skip the search (keeps pathological inputs linear).
    let mut unclosed: [Option<usize>; 4] = [None; 4];
    let mut links = Links::new();
    let mut i = 0;
    while i < s.len() {
        let rest = &s[i..];
        if rest.starts_with('`')
            && let Some((start, end, after)) = code_span(s, i)
        {
            if rest.starts_with("```") {
                pre(&s[start..end], out);
            } else {
                let begin = out.len16;
                out.push_str(&s[start..end]);
                out.add(Kind::Code, begin);
            }
            i = after;
            continue;
        }
        if rest.starts_with('[')
            && let Some((text_start, text_end, url, after)) = links.at(s, i)
        {
            let begin = out.len16;
            inline(&s[text_start..text_end], out);
            out.add(Kind::TextUrl(url), begin);
            i = after;
            continue;
        }
        if let Some((n, (delim, kind))) = PAIRS
            .iter()
            .enumerate()
            .find(|(_, (d, _))| rest.starts_with(d))
        {
            let open = i + delim.len();
            let opens = !is_space(char_at(s, open))
                && (*delim != "__" || !is_word(char_before(s, i)))
                && unclosed[n].is_none_or(|from| open < from);
            if opens {
                match closer(s, open, delim) {
                    Some(close) => {
                        let begin = out.len16;
                        inline(&s[open..close], out);
                        out.add(kind.clone(), begin);
                        i = close + delim.len();
                        continue;
                    }
                    None => unclosed[n] = Some(open),
                }
            }
            // A marker that opens nothing is ordinary text, both of its characters.
            out.push_str(delim);
            i = open;
            continue;
        }
        let c = char_at(s, i).expect("in bounds");
        out.push(c);
        i += c.len_utf8();
    }
}

/// A ```` ``` ```` block: an optional language on the first line, then the code; the newline
/// before the closing fence is not part of it.
fn pre(content: &str, out: &mut Builder) {
    let (language, code) = match content.split_once('\n') {
        Some((first, rest))
            if !first.is_empty()
                && first
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+-_#.".contains(c)) =>
        {
            (first.to_string(), rest)
        }
        Some(("", rest)) => (String::new(), rest),
        _ => (String::new(), content),
    };
    let code = code.strip_suffix('\n').unwrap_or(code);
    let begin = out.len16;
    out.push_str(code);
    out.add(Kind::Pre(language), begin);
}
