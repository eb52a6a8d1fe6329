//! The name and MIME type a file is sent under. Names come from other people's servers and
//! paths, so they are cleaned: one path segment, no control or invisible characters, no
//! characters that file systems reserve, no leading dots, a bounded length. The name is only a
//! label for Telegram; nothing is ever written to disk under it.

use mime_guess::mime::Mime;
use percent_encoding::percent_decode_str;
use url::Url;

use crate::schema::sanitize;

/// Name used when nothing better is known.
pub const FALLBACK_NAME: &str = "file";
/// MIME type used when nothing better is known.
pub const FALLBACK_MIME: &str = "application/octet-stream";
/// Longest name kept, in characters (file systems allow 255 bytes).
const MAX_NAME_CHARS: usize = 128;

/// The file name in a `Content-Disposition` header: `filename*` (RFC 5987/6266) first, then
/// `filename`. Returned raw; pass it through [`clean_name`].
pub fn content_disposition_name(header: &str) -> Option<String> {
    let params = parameters(header);
    let extended = params
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("filename*"))
        .and_then(|(_, v)| decode_ext_value(v));
    extended.or_else(|| {
        params
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("filename"))
            .map(|(_, v)| v.clone())
            .filter(|v| !v.is_empty())
    })
}

/// Splits `type; a=b; c="d;e"` into its parameters, unquoting quoted strings.
fn parameters(header: &str) -> Vec<(String, String)> {
    let mut params = Vec::new();
    let mut rest = header.split_once(';').map_or("", |(_, r)| r);
    loop {
        rest = rest.trim_start_matches([' ', '\t', ';']);
        if rest.is_empty() {
            break;
        }
        let Some((key, after)) = rest.split_once('=') else {
            break;
        };
        let key = key.trim().to_string();
        let after = after.trim_start();
        let (value, remaining) = if let Some(quoted) = after.strip_prefix('"') {
            let mut value = String::new();
            let mut chars = quoted.char_indices();
            let mut end = quoted.len();
            while let Some((i, c)) = chars.next() {
                match c {
                    '\\' => {
                        if let Some((_, escaped)) = chars.next() {
                            value.push(escaped);
                        }
                    }
                    '"' => {
                        end = i + 1;
                        break;
                    }
                    c => value.push(c),
                }
            }
            (value, &quoted[end.min(quoted.len())..])
        } else {
            let end = after.find(';').unwrap_or(after.len());
            (after[..end].trim().to_string(), &after[end..])
        };
        params.push((key, value));
        rest = remaining;
    }
    params
}

/// Decodes an RFC 5987 `charset'language'value`; UTF-8 and ISO-8859-1 are understood.
fn decode_ext_value(value: &str) -> Option<String> {
    let mut parts = value.splitn(3, '\'');
    let charset = parts.next()?;
    let _language = parts.next()?;
    let encoded = parts.next()?;
    let bytes: Vec<u8> = percent_decode_str(encoded).collect();
    let decoded = if charset.eq_ignore_ascii_case("utf-8") {
        String::from_utf8(bytes).ok()?
    } else if charset.eq_ignore_ascii_case("iso-8859-1") {
        bytes.into_iter().map(char::from).collect()
    } else {
        return None;
    };
    Some(decoded).filter(|d| !d.is_empty())
}

/// The last non-empty path segment of a URL, percent-decoded. Raw; pass it through
/// [`clean_name`].
pub fn url_name(url: &Url) -> Option<String> {
    let segment = url.path_segments()?.rev().find(|s| !s.is_empty())?;
    Some(percent_decode_str(segment).decode_utf8_lossy().into_owned())
}

/// Cleans a name from an untrusted source; `None` when nothing usable is left.
pub fn clean_name(raw: &str) -> Option<String> {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or(raw);
    let cleaned: String = sanitize::text(last)
        .chars()
        .map(|c| match c {
            '\n' | '\t' | ':' | '*' | '?' | '"' | '<' | '>' | '|' => '_',
            c => c,
        })
        .collect();
    let trimmed = cleaned
        .trim()
        .trim_start_matches('.')
        .trim_end_matches(['.', ' ']);
    if trimmed.is_empty() {
        return None;
    }
    Some(cap_keeping_extension(trimmed))
}

fn cap_keeping_extension(name: &str) -> String {
    if name.chars().count() <= MAX_NAME_CHARS {
        return name.to_string();
    }
    let extension = name
        .rsplit_once('.')
        .map(|(_, ext)| ext)
        .filter(|ext| !ext.is_empty() && ext.chars().count() <= 16);
    match extension {
        Some(ext) => {
            let keep = MAX_NAME_CHARS - ext.chars().count() - 1;
            let stem: String = name.chars().take(keep).collect();
            format!("{stem}.{ext}")
        }
        None => name.chars().take(MAX_NAME_CHARS).collect(),
    }
}

/// Picks the first candidate that has an extension, else the first usable one, else
/// [`FALLBACK_NAME`]. Candidates are raw and cleaned here.
pub fn choose_name<I: IntoIterator<Item = Option<String>>>(candidates: I) -> String {
    let cleaned: Vec<String> = candidates
        .into_iter()
        .flatten()
        .filter_map(|raw| clean_name(&raw))
        .collect();
    cleaned
        .iter()
        .find(|n| {
            n.rsplit_once('.')
                .is_some_and(|(stem, ext)| !stem.is_empty() && !ext.is_empty())
        })
        .or_else(|| cleaned.first())
        .cloned()
        .unwrap_or_else(|| FALLBACK_NAME.to_string())
}

/// The MIME type: the server's `Content-Type` when it says something specific, else a guess
/// from the name's extension, else `application/octet-stream`.
pub fn mime_type(content_type: Option<&str>, name: &str) -> String {
    let declared = content_type
        .and_then(|ct| ct.trim().parse::<Mime>().ok())
        .map(|m| m.essence_str().to_ascii_lowercase())
        .filter(|m| m != FALLBACK_MIME && m != "binary/octet-stream");
    declared.unwrap_or_else(|| guess_mime(name))
}

/// The MIME type for a name, by its extension.
pub fn guess_mime(name: &str) -> String {
    mime_guess::from_path(name)
        .first_raw()
        .unwrap_or(FALLBACK_MIME)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_disposition_prefers_the_extended_name() {
        assert_eq!(
            content_disposition_name(
                "attachment; filename=\"fallback.pdf\"; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf"
            )
            .as_deref(),
            Some("résumé.pdf")
        );
        assert_eq!(
            content_disposition_name("attachment; filename=\"a \\\"quoted\\\" name.txt\"")
                .as_deref(),
            Some("a \"quoted\" name.txt")
        );
        assert_eq!(
            content_disposition_name("inline; filename=plain.txt; size=10").as_deref(),
            Some("plain.txt")
        );
        assert_eq!(
            content_disposition_name("attachment; filename*=iso-8859-1'en'%A3rates.txt").as_deref(),
            Some("£rates.txt")
        );
        assert_eq!(
            content_disposition_name("attachment; filename=\"semi;colon.txt\"").as_deref(),
            Some("semi;colon.txt")
        );
        assert_eq!(content_disposition_name("attachment"), None);
        assert_eq!(content_disposition_name("attachment; filename=\"\""), None);
        assert_eq!(
            content_disposition_name("attachment; filename*=bogus"),
            None
        );
    }

    #[test]
    fn names_are_one_clean_segment() {
        assert_eq!(clean_name("../../etc/passwd").as_deref(), Some("passwd"));
        assert_eq!(clean_name("C:\\Users\\me\\a.txt").as_deref(), Some("a.txt"));
        assert_eq!(clean_name(".bashrc").as_deref(), Some("bashrc"));
        assert_eq!(
            clean_name("evil\u{202E}fdp.exe").as_deref(),
            Some("evilfdp.exe")
        );
        assert_eq!(clean_name("a\nb\u{0}c.txt").as_deref(), Some("a_bc.txt"));
        assert_eq!(clean_name("what?.txt").as_deref(), Some("what_.txt"));
        assert_eq!(clean_name(".."), None);
        assert_eq!(clean_name("  "), None);
        assert_eq!(clean_name("dir/"), None);
        let long = format!("{}.pdf", "x".repeat(500));
        let capped = clean_name(&long).unwrap();
        assert_eq!(capped.chars().count(), MAX_NAME_CHARS);
        assert!(capped.ends_with(".pdf"));
    }

    #[test]
    fn url_names_come_from_the_last_segment() {
        let u = Url::parse("https://h/files/My%20Report.pdf?sig=1").unwrap();
        assert_eq!(url_name(&u).as_deref(), Some("My Report.pdf"));
        let u = Url::parse("https://h/dir/").unwrap();
        assert_eq!(url_name(&u).as_deref(), Some("dir"));
        let u = Url::parse("https://h/").unwrap();
        assert_eq!(url_name(&u), None);
    }

    #[test]
    fn the_first_name_with_an_extension_wins() {
        assert_eq!(
            choose_name([None, Some("download".into()), Some("report.pdf".into())]),
            "report.pdf"
        );
        assert_eq!(choose_name([Some("download".into()), None]), "download");
        assert_eq!(choose_name([None, Some("..".into())]), FALLBACK_NAME);
    }

    #[test]
    fn mime_comes_from_the_server_then_the_extension() {
        assert_eq!(
            mime_type(Some("Image/PNG; charset=x"), "a.bin"),
            "image/png"
        );
        assert_eq!(
            mime_type(Some("application/octet-stream"), "a.pdf"),
            "application/pdf"
        );
        assert_eq!(mime_type(None, "a.jpg"), "image/jpeg");
        assert_eq!(mime_type(Some("not a mime"), "noext"), FALLBACK_MIME);
        assert_eq!(guess_mime("x.unknownext"), FALLBACK_MIME);
    }
}
