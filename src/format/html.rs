//! Telegram's HTML subset. Recognised tags become entities; `<br>` a line break; character
//! references are decoded. Tags it does not know (and closing tags that close nothing) stay in
//! the text exactly as written, so nothing the sender typed disappears. A tag left open runs
//! to the end of the text.

use grammers_tl_types as tl;

use super::{Builder, Kind};

/// Longest tag recognised, attributes included, in bytes.
const MAX_TAG: usize = 4096;

pub fn parse(source: &str) -> (String, Vec<tl::enums::MessageEntity>) {
    run(source).0.finish()
}

/// Whether the text's recognised tags form at least one entity or line break.
pub fn uses_html(source: &str) -> bool {
    if !source.contains('<') {
        return false;
    }
    let (out, breaks) = run(source);
    breaks > 0 || !out.entities.is_empty()
}

/// An open element: what it becomes, where it started in the output, and its tag name.
struct Open {
    name: String,
    kind: Option<Kind>,
    start: i32,
}

/// A tag as written: `<name attr="v">`, `</name>`, `<name/>`.
struct Tag {
    name: String,
    closing: bool,
    attrs: Vec<(String, String)>,
    /// Byte just after the `>`.
    end: usize,
}

impl Tag {
    fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

fn run(source: &str) -> (Builder, usize) {
    let mut out = Builder::default();
    let mut stack: Vec<Open> = Vec::new();
    let mut breaks = 0;
    let mut i = 0;
    while i < source.len() {
        let rest = &source[i..];
        if rest.starts_with('<')
            && let Some(tag) = tag_at(source, i)
        {
            if handle(&tag, &mut out, &mut stack, &mut breaks) {
                i = tag.end;
                continue;
            }
            // Not ours: the tag stays as text.
            out.push_str(&source[i..tag.end]);
            i = tag.end;
            continue;
        }
        if rest.starts_with('&')
            && let Some((decoded, len)) = reference(rest)
        {
            out.push(decoded);
            i += len;
            continue;
        }
        let c = rest.chars().next().expect("in bounds");
        out.push(c);
        i += c.len_utf8();
    }
    // Tags left open close at the end.
    while let Some(open) = stack.pop() {
        if let Some(kind) = open.kind {
            out.add(kind, open.start);
        }
    }
    (out, breaks)
}

/// Applies a recognised tag; false if the tag is not one Telegram knows.
fn handle(tag: &Tag, out: &mut Builder, stack: &mut Vec<Open>, breaks: &mut usize) -> bool {
    let name = tag.name.as_str();
    if name == "br" {
        if tag.closing {
            return false;
        }
        out.push('\n');
        *breaks += 1;
        return true;
    }
    if tag.closing {
        let Some(at) = stack.iter().rposition(|o| o.name == name) else {
            return false;
        };
        // Closing an outer tag closes the ones opened inside it too.
        while stack.len() > at {
            let open = stack.pop().expect("non-empty");
            if let Some(kind) = open.kind {
                out.add(kind, open.start);
            }
        }
        return true;
    }
    let kind = match name {
        "b" | "strong" => Some(Kind::Bold),
        "i" | "em" => Some(Kind::Italic),
        "u" | "ins" => Some(Kind::Underline),
        "s" | "strike" | "del" => Some(Kind::Strike),
        "tg-spoiler" => Some(Kind::Spoiler),
        "span" if tag.attr("class") == Some("tg-spoiler") => Some(Kind::Spoiler),
        "blockquote" => Some(Kind::Blockquote {
            collapsed: tag.attr("expandable").is_some(),
        }),
        "pre" => Some(Kind::Pre(language(tag).unwrap_or_default())),
        "code" => {
            // `<pre><code class="language-x">`: the language of the block, not a code span.
            if let Some(Open {
                kind: Some(Kind::Pre(lang)),
                start,
                ..
            }) = stack.last_mut()
                && *start == out.len16
            {
                if let Some(l) = language(tag) {
                    *lang = l;
                }
                None
            } else {
                Some(Kind::Code)
            }
        }
        "a" => match tag.attr("href").map(str::trim) {
            Some(href) if !href.is_empty() => Some(Kind::TextUrl(href.to_string())),
            _ => None,
        },
        // Custom emoji need ids this server does not resolve: keep their fallback text.
        "tg-emoji" => None,
        _ => return false,
    };
    stack.push(Open {
        name: name.to_string(),
        kind,
        start: out.len16,
    });
    true
}

fn language(tag: &Tag) -> Option<String> {
    tag.attr("class")?
        .split_whitespace()
        .find_map(|c| c.strip_prefix("language-"))
        .map(str::to_string)
}

/// Parses the tag starting at `i` (a `<`), if it is well-formed.
fn tag_at(s: &str, i: usize) -> Option<Tag> {
    // A tag is short: looking no further keeps unclosed `<a href="…` linear.
    let mut limit = (i + MAX_TAG).min(s.len());
    while !s.is_char_boundary(limit) {
        limit -= 1;
    }
    let s = &s[..limit];
    let bytes = s.as_bytes();
    let mut j = i + 1;
    let closing = bytes.get(j) == Some(&b'/');
    if closing {
        j += 1;
    }
    let name_start = j;
    if !bytes.get(j)?.is_ascii_alphabetic() {
        return None;
    }
    while bytes
        .get(j)
        .is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'-')
    {
        j += 1;
    }
    let name = s[name_start..j].to_ascii_lowercase();
    let mut attrs = Vec::new();
    loop {
        while bytes.get(j).is_some_and(u8::is_ascii_whitespace) {
            j += 1;
        }
        match bytes.get(j)? {
            b'>' => break,
            b'/' if bytes.get(j + 1) == Some(&b'>') => {
                j += 1;
                break;
            }
            b'<' => return None,
            _ if closing => return None,
            _ => {}
        }
        let attr_start = j;
        while bytes
            .get(j)
            .is_some_and(|b| !b.is_ascii_whitespace() && !b"=>/<\"'".contains(b))
        {
            j += 1;
        }
        if j == attr_start {
            return None;
        }
        let attr = s[attr_start..j].to_ascii_lowercase();
        while bytes.get(j).is_some_and(u8::is_ascii_whitespace) {
            j += 1;
        }
        let mut value = String::new();
        if bytes.get(j) == Some(&b'=') {
            j += 1;
            while bytes.get(j).is_some_and(u8::is_ascii_whitespace) {
                j += 1;
            }
            let raw = match bytes.get(j)? {
                q @ (b'"' | b'\'') => {
                    let start = j + 1;
                    let end = s[start..].find(*q as char)? + start;
                    j = end + 1;
                    &s[start..end]
                }
                _ => {
                    let start = j;
                    while bytes
                        .get(j)
                        .is_some_and(|b| !b.is_ascii_whitespace() && *b != b'>')
                    {
                        j += 1;
                    }
                    &s[start..j]
                }
            };
            value = decode(raw);
        }
        attrs.push((attr, value));
    }
    Some(Tag {
        name,
        closing,
        attrs,
        end: j + 1,
    })
}

/// Decodes the character references in an attribute value.
fn decode(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        let rest = &raw[i..];
        if rest.starts_with('&')
            && let Some((c, len)) = reference(rest)
        {
            out.push(c);
            i += len;
            continue;
        }
        let c = rest.chars().next().expect("in bounds");
        out.push(c);
        i += c.len_utf8();
    }
    out
}

/// The character a reference at the start of `s` (`&amp;`, `&#38;`, `&#x26;`) stands for,
/// and its length; `None` for anything else.
fn reference(s: &str) -> Option<(char, usize)> {
    let end = s.char_indices().take(12).find(|(_, c)| *c == ';')?.0;
    let body = &s[1..end];
    let c = match body {
        "lt" => '<',
        "gt" => '>',
        "amp" => '&',
        "quot" => '"',
        "apos" => '\'',
        "nbsp" => '\u{a0}',
        _ => {
            let number = body.strip_prefix('#')?;
            let code = match number.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => number.parse().ok()?,
            };
            char::from_u32(code).filter(|c| *c != '\0')?
        }
    };
    Some((c, end + 1))
}
