//! Parsing the chat identifiers every tool accepts: `me`, `@username`, `username`, numeric
//! Bot API ids (user, `-group`, `-100channel`), `+phone` and `t.me` links — to a chat, or to a
//! message in it (Telegram's message links: `t.me/<chat>/<id>`, `t.me/c/<chat>/<id>`, a forum
//! topic's `t.me/<chat>/<topic>/<id>`, `?thread=<id>`, and a comment's `?comment=<id>`).

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

impl ChatRef {
    /// The identifier to give for this chat alone (what a tool's error suggests instead of a
    /// message link).
    pub fn identifier(&self) -> String {
        match self {
            ChatRef::Me => "me".into(),
            ChatRef::Username(name) => format!("@{name}"),
            ChatRef::Id(id) => id.to_string(),
            ChatRef::Phone(phone) => format!("+{phone}"),
        }
    }
}

/// The message a `t.me` link points at, beside the chat it names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MessageLink {
    /// The message in the linked chat; for a comment, the channel post it comments.
    pub id: i32,
    /// The thread or forum topic the message is in (`/<topic>/<id>`, `?thread=<id>`).
    pub thread: Option<i32>,
    /// A comment under the post, in the channel's discussion group (`?comment=<id>`).
    pub comment: Option<i32>,
}

impl MessageLink {
    /// The message the link shows: the comment, or the message itself.
    pub fn shown(&self) -> i32 {
        self.comment.unwrap_or(self.id)
    }

    /// What the link shows, in words: "message 13", "message 12 in topic 10", or "comment 3
    /// under post 10".
    pub fn describe(&self) -> String {
        match (self.comment, self.thread) {
            (Some(comment), _) => format!("comment {comment} under post {}", self.id),
            (None, Some(thread)) => format!("message {} in thread {thread}", self.id),
            (None, None) => format!("message {}", self.id),
        }
    }
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
        return parse_link(rest, input).map(|(chat, _)| chat);
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

/// The chat `input` names and, when it is a link to a message, that message.
pub fn parse_with_message(input: &str) -> Result<(ChatRef, Option<MessageLink>), String> {
    match strip_link(input.trim()) {
        Some(rest) => parse_link(rest, input),
        None => parse(input).map(|chat| (chat, None)),
    }
}

/// Whether `text` is a `t.me` link (to a chat, a message, an invite…).
pub fn is_link(text: &str) -> bool {
    strip_link(text.trim()).is_some()
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

fn parse_link(rest: &str, input: &str) -> Result<(ChatRef, Option<MessageLink>), String> {
    let (path, query) = match rest.split('#').next().unwrap_or_default().split_once('?') {
        Some((path, query)) => (path, query),
        None => (rest.split('#').next().unwrap_or_default(), ""),
    };
    let mut parts = path.split('/').filter(|p| !p.is_empty());
    let chat = match parts.next() {
        Some("c") => {
            let id: i64 = parts
                .next()
                .and_then(|p| p.parse().ok())
                .filter(|id| (1..1_000_000_000_000).contains(id))
                .ok_or_else(|| format!("{input:?} is not a valid t.me/c/ link"))?;
            ChatRef::Id(-(1_000_000_000_000 + id))
        }
        Some(p) if p.starts_with('+') || p == "joinchat" => {
            return Err(format!(
                "{input:?} is an invite link; join the chat first, then use its @username or id"
            ));
        }
        // `t.me/s/<channel>`: a public channel's web preview.
        Some("s") => match parts.next() {
            Some(name) if valid_username(name) => ChatRef::Username(name.to_string()),
            _ => return Err(format!("{input:?} is not a t.me link to a chat")),
        },
        Some(name) if valid_username(name) => ChatRef::Username(name.to_string()),
        _ => return Err(format!("{input:?} is not a t.me link to a chat")),
    };
    // What follows the chat: nothing, a message id, or a forum topic's id and a message id.
    let numbers: Vec<&str> = parts.collect();
    let ids: Option<Vec<i32>> = numbers.iter().map(|p| message_id(p)).collect();
    let (id, topic) = match ids.as_deref() {
        Some([]) => (None, None),
        Some([id]) => (Some(*id), None),
        Some([topic, id]) => (Some(*id), Some(*topic)),
        _ => {
            return Err(format!(
                "{input:?} is not a t.me link to a chat or to a message in one"
            ));
        }
    };
    let mut thread = topic;
    let mut comment = None;
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let slot = match key {
            "thread" | "topic" => &mut thread,
            "comment" => &mut comment,
            // `single` (one photo of an album), `t` (a media timestamp) and the like.
            _ => continue,
        };
        *slot = Some(
            message_id(value)
                .ok_or_else(|| format!("{input:?}: {key}= must be a message id, got {value:?}"))?,
        );
    }
    let message = match id {
        Some(id) => Some(MessageLink {
            id,
            thread,
            comment,
        }),
        None if thread.is_some() || comment.is_some() => {
            return Err(format!(
                "{input:?} has ?thread= or ?comment= but no message id after the chat"
            ));
        }
        None => None,
    };
    Ok((chat, message))
}

/// A message id in a link: a positive 32-bit number.
fn message_id(text: &str) -> Option<i32> {
    text.parse().ok().filter(|id| *id > 0)
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
    fn message_links_name_their_chat_and_their_message() {
        let link = |text: &str| parse_with_message(text).unwrap();
        let at = |id, thread, comment| {
            Some(MessageLink {
                id,
                thread,
                comment,
            })
        };
        let engine = || ChatRef::Username("engine_news".into());
        let private = || ChatRef::Id(-1001000000004);
        assert_eq!(link("@engine_news"), (engine(), None));
        assert_eq!(link("t.me/engine_news"), (engine(), None));
        assert_eq!(link("https://t.me/engine_news/"), (engine(), None));
        assert_eq!(
            link("https://t.me/engine_news/13"),
            (engine(), at(13, None, None))
        );
        assert_eq!(
            link("t.me/s/engine_news/13"),
            (engine(), at(13, None, None))
        );
        assert_eq!(
            link("https://t.me/engine_news/13?single&t=20"),
            (engine(), at(13, None, None))
        );
        assert_eq!(
            link("t.me/engine_news/10?comment=3"),
            (engine(), at(10, None, Some(3)))
        );
        assert_eq!(
            link("https://telegram.me/engine_news/5?thread=4#top"),
            (engine(), at(5, Some(4), None))
        );
        assert_eq!(
            link("https://t.me/c/1000000004/12"),
            (private(), at(12, None, None))
        );
        assert_eq!(
            link("t.me/c/1000000004/10/12"),
            (private(), at(12, Some(10), None))
        );
        assert_eq!(link("t.me/c/1000000004"), (private(), None));
        // The chat alone, for every tool that takes a chat.
        assert_eq!(parse("t.me/c/1000000004/10/12").unwrap(), private());
        assert_eq!(engine().identifier(), "@engine_news");
        assert_eq!(private().identifier(), "-1001000000004");
    }

    #[test]
    fn malformed_message_links_are_refused() {
        for bad in [
            "t.me/engine_news/abc",
            "t.me/engine_news/0",
            "t.me/engine_news/1/2/3",
            "t.me/engine_news/9999999999",
            "t.me/engine_news/10?comment=x",
            "t.me/engine_news?comment=3",
            "t.me/c/1000000004/x",
            "t.me/s",
        ] {
            assert!(parse_with_message(bad).is_err(), "{bad:?}");
            assert!(parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn bad_identifiers_say_why() {
        for bad in ["", "0", "@ab", "t.me/+abcdef", "hello world", "t.me/c/x/1"] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
    }
}
