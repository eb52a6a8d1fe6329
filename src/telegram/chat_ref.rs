//! Parsing the chat identifiers every tool accepts: `me`, `@username`, `username`, numeric
//! Bot API ids (user, `-group`, `-100channel`), `+phone` and `t.me` links.

/// A parsed chat identifier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChatRef {
    /// Saved Messages (the self user).
    Me,
    Username(String),
    /// A Bot API id.
    Id(i64),
    /// A phone number (digits only), for contacts.
    Phone(String),
}

fn valid_username(name: &str) -> bool {
    let len = name.len();
    (4..=32).contains(&len)
        && name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Parses an identifier; the error says what was wrong with it.
pub fn parse(input: &str) -> Result<ChatRef, String> {
    let text = input.trim();
    if text.is_empty() {
        return Err("chat_id is empty".into());
    }
    let lower = text.to_ascii_lowercase();
    if matches!(lower.as_str(), "me" | "self" | "saved" | "saved messages") {
        return Ok(ChatRef::Me);
    }
    if let Some(rest) = strip_link(text) {
        return parse_link(rest, input);
    }
    if let Some(name) = text.strip_prefix('@') {
        return if valid_username(name) {
            Ok(ChatRef::Username(name.to_string()))
        } else {
            Err(format!("{input:?} is not a valid @username"))
        };
    }
    if let Some(digits) = text.strip_prefix('+') {
        let digits: String = digits.chars().filter(|c| !" -().".contains(*c)).collect();
        return if (7..=15).contains(&digits.len()) && digits.chars().all(|c| c.is_ascii_digit()) {
            Ok(ChatRef::Phone(digits))
        } else {
            Err(format!("{input:?} is not a phone number"))
        };
    }
    if let Ok(id) = text.parse::<i64>() {
        return if id == 0 {
            Err("chat_id 0 names no chat".into())
        } else {
            Ok(ChatRef::Id(id))
        };
    }
    if valid_username(text) {
        return Ok(ChatRef::Username(text.to_string()));
    }
    Err(format!(
        "{input:?} is not a chat identifier: use \"me\", @username, a numeric id, or a t.me link"
    ))
}

fn strip_link(text: &str) -> Option<&str> {
    let without_scheme = text
        .strip_prefix("https://")
        .or_else(|| text.strip_prefix("http://"))
        .unwrap_or(text);
    ["t.me/", "telegram.me/", "telegram.dog/", "www.t.me/"]
        .iter()
        .find_map(|host| without_scheme.strip_prefix(host))
}

fn parse_link(rest: &str, input: &str) -> Result<ChatRef, String> {
    let path = rest.split(['?', '#']).next().unwrap_or_default();
    let mut parts = path.split('/').filter(|p| !p.is_empty());
    match parts.next() {
        Some("c") => {
            let id: i64 = parts
                .next()
                .and_then(|p| p.parse().ok())
                .filter(|id| *id > 0)
                .ok_or_else(|| format!("{input:?} is not a valid t.me/c/ link"))?;
            Ok(ChatRef::Id(-(1_000_000_000_000 + id)))
        }
        Some(p) if p.starts_with('+') || p == "joinchat" => Err(format!(
            "{input:?} is an invite link; join the chat first, then use its @username or id"
        )),
        Some(name) if valid_username(name) => Ok(ChatRef::Username(name.to_string())),
        _ => Err(format!("{input:?} is not a t.me link to a chat")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_of_every_form() {
        assert_eq!(parse("me").unwrap(), ChatRef::Me);
        assert_eq!(
            parse("@Rust_Learners").unwrap(),
            ChatRef::Username("Rust_Learners".into())
        );
        assert_eq!(
            parse("rust_learners").unwrap(),
            ChatRef::Username("rust_learners".into())
        );
        assert_eq!(parse("1001").unwrap(), ChatRef::Id(1001));
        assert_eq!(parse("-4001").unwrap(), ChatRef::Id(-4001));
        assert_eq!(
            parse("-1001000000001").unwrap(),
            ChatRef::Id(-1001000000001)
        );
        assert_eq!(
            parse("https://t.me/engine_news/3").unwrap(),
            ChatRef::Username("engine_news".into())
        );
        assert_eq!(
            parse("t.me/c/1000000001/5").unwrap(),
            ChatRef::Id(-1001000000001)
        );
        assert_eq!(
            parse("+1 555 000 1001").unwrap(),
            ChatRef::Phone("15550001001".into())
        );
    }

    #[test]
    fn bad_identifiers_say_why() {
        for bad in ["", "0", "@ab", "t.me/+abcdef", "hello world", "t.me/c/x/1"] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
    }
}
