//! What every sending tool shares (`send_message`, `send_message_to_phone`, `edit_message`):
//! the parameters of a message to send, their checks (text, schedule, files, draft), the
//! delivery to a target already chosen, and the one answer of the writing tools.

use schemars::JsonSchema;
use serde::Serialize;

use super::dates::{self, Edge};
use crate::format::{self, CAPTION_MAX, Formatted, ParseMode, Parsed, SOURCE_MAX, TEXT_MAX};
use crate::schema::{self, Entity, Message, MessageStyle};
use crate::telegram::send::{ALBUM_MAX, Sent};
use crate::telegram::target::Target;
use crate::telegram::types::ChatInfo;
use crate::telegram::upload::UploadedMedia;
use crate::telegram::{Telegram, TelegramError};

/// How far ahead Telegram schedules messages.
const SCHEDULE_MAX_AHEAD: i64 = 365 * 86_400;

/// Declares a sending tool's parameters: its own fields (each ending with a comma, among them
/// `message`), then the ones every send takes — how to read the text, files, a schedule, a
/// draft — written once here, with their checks ([`outgoing`]).
macro_rules! sending_params {
    ($(#[$meta:meta])* pub struct $name:ident { $($own:tt)* }) => {
        $(#[$meta])*
        pub struct $name {
            $($own)*
            // auto detects HTML or Markdown; rich is read as Markdown.
            #[serde(default)]
            pub parse_mode: $crate::format::ParseMode,
            /// http(s) URLs or absolute local paths; several make an album.
            #[serde(default)]
            pub files: Option<Vec<String>>,
            /// Send later (ISO 8601, UTC).
            #[serde(default)]
            pub schedule_date: Option<String>,
            /// Save as the chat's draft; an empty message clears it.
            #[serde(default)]
            pub save_as_draft: bool,
        }

        impl $name {
            /// The message to send, checked; `reply_to` is the message it answers.
            pub(crate) fn outgoing(
                &self,
                reply_to: Option<i32>,
            ) -> Result<$crate::tools::outgoing::Outgoing, String> {
                $crate::tools::outgoing::outgoing(
                    &self.message,
                    self.parse_mode,
                    self.files.as_deref(),
                    self.schedule_date.as_deref(),
                    self.save_as_draft,
                    reply_to,
                )
            }
        }
    };
}
pub(crate) use sending_params;

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Sent,
    // Sent (or scheduled): Telegram has it but was still processing it when the answer was
    // due, so its id is not known yet. (No doc comment: it would become schema text.)
    SentNoId,
    Scheduled,
    DraftSaved,
    DraftCleared,
    // Only in edit_message's answer, whose own schema names it: not a send's status.
    #[schemars(skip)]
    Edited,
}

/// The channel post a comment was attached to.
#[derive(Debug, Serialize, JsonSchema)]
pub struct CommentOnOut {
    pub channel_id: i64,
    pub post_id: i32,
}

// Output doc comments are schema text the model reads: only where the name does not say it.
//
// The answer of every writing tool. `message_id` is the (first) message's id, for a scheduled
// message its id among the scheduled ones; `chat` is where it is (for a comment: the discussion
// group).
#[derive(Debug, Serialize, JsonSchema)]
pub struct SentOut {
    pub status: Status,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_id: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "super::compact::object")]
    pub chat: Option<Entity>,
    // One, an album's, or none for a draft.
    #[schemars(schema_with = "super::compact::objects")]
    pub messages: Vec<Message>,
    pub parsed_as: Parsed,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub scheduled: bool,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub draft_saved: bool,
    // For a comment: the channel post it is under.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "super::compact::object")]
    pub comment_on: Option<CommentOnOut>,
}

/// Checked arguments of a send.
pub(crate) struct Outgoing {
    pub text: Formatted,
    pub schedule_date: Option<i32>,
    pub draft: bool,
    pub files: Vec<String>,
}

/// A future `schedule_date`, as Unix seconds.
pub(crate) fn schedule(value: Option<&str>) -> Result<Option<i32>, String> {
    let Some(value) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    let at = dates::parse("schedule_date", value, Edge::Start)?;
    let now = chrono::Utc::now().timestamp();
    if at <= now {
        return Err(format!(
            "schedule_date {value:?} is not in the future (now is {})",
            schema::iso_date(now)
        ));
    }
    if at > now + SCHEDULE_MAX_AHEAD {
        return Err(
            "schedule_date is more than 365 days ahead; Telegram cannot schedule that far".into(),
        );
    }
    Ok(Some(at as i32))
}

/// Parses and checks a message text: Telegram's length limits (a caption's when files go
/// with it), and emptiness.
pub(crate) fn text(
    message: &str,
    mode: ParseMode,
    caption: bool,
    may_be_empty: bool,
) -> Result<Formatted, String> {
    if message.len() > SOURCE_MAX {
        return Err(format!(
            "message is {} bytes long; Telegram allows {TEXT_MAX} characters: shorten it or split it",
            message.len()
        ));
    }
    let formatted = format::format(message, mode);
    if caption {
        format::check_length(&formatted, CAPTION_MAX, "caption")?;
    } else {
        format::check_length(&formatted, TEXT_MAX, "message")?;
    }
    if !may_be_empty && formatted.text.trim().is_empty() {
        return Err("message is empty: give the text to send".into());
    }
    Ok(formatted)
}

/// The checks every send shares (send_message and send_message_to_phone).
pub(crate) fn outgoing(
    message: &str,
    mode: ParseMode,
    files: Option<&[String]>,
    schedule_date: Option<&str>,
    draft: bool,
    reply_to: Option<i32>,
) -> Result<Outgoing, String> {
    let files: Vec<String> = files
        .unwrap_or_default()
        .iter()
        .map(|f| f.trim().to_string())
        .filter(|f| !f.is_empty())
        .collect();
    let schedule_date = schedule(schedule_date)?;
    if draft && !files.is_empty() {
        return Err("save_as_draft cannot carry files: send them, or save the text alone".into());
    }
    if draft && schedule_date.is_some() {
        return Err(
            "save_as_draft and schedule_date cannot be combined: a draft is not sent".into(),
        );
    }
    if files.len() > ALBUM_MAX {
        return Err(format!(
            "at most {ALBUM_MAX} files go in one message (an album), not {}",
            files.len()
        ));
    }
    if reply_to.is_some_and(|id| id <= 0) {
        return Err("reply_to_id must be a positive message id".into());
    }
    let text = text(message, mode, !files.is_empty(), draft || !files.is_empty())?;
    Ok(Outgoing {
        text,
        schedule_date,
        draft,
        files,
    })
}

/// The answer for messages Telegram reported.
pub(crate) fn answer(
    sent: Sent,
    status: Status,
    target: &Target,
    info: Option<ChatInfo>,
    parsed_as: Parsed,
) -> SentOut {
    let mut directory = sent.directory;
    if let Some(info) = info {
        directory.chats.entry(info.id).or_insert(info);
    }
    let style = MessageStyle::default();
    let messages: Vec<Message> = sent
        .messages
        .iter()
        .map(|m| {
            let mut built = schema::message(m, &directory, style);
            if built.topic_id.is_none() {
                built.topic_id = target.topic_id;
            }
            built
        })
        .collect();
    SentOut {
        status,
        message_id: messages.first().map(|m| m.id),
        chat: directory.get(target.chat.id).map(schema::entity),
        messages,
        parsed_as,
        scheduled: sent.scheduled,
        draft_saved: false,
        comment_on: comment_on(target),
    }
}

/// Sends (or schedules, or saves as a draft) to a target already chosen.
pub(crate) async fn deliver(
    tg: &Telegram,
    target: &Target,
    out: &Outgoing,
    media: Vec<UploadedMedia>,
) -> Result<SentOut, TelegramError> {
    let parsed_as = out.text.parsed_as;
    if out.draft {
        tg.save_draft(target, &out.text).await?;
        let cleared = out.text.text.is_empty();
        return Ok(SentOut {
            status: if cleared {
                Status::DraftCleared
            } else {
                Status::DraftSaved
            },
            message_id: None,
            chat: chat_info(tg, target).await.as_ref().map(schema::entity),
            messages: Vec::new(),
            parsed_as,
            scheduled: false,
            draft_saved: true,
            comment_on: comment_on(target),
        });
    }
    let sent = if media.is_empty() {
        tg.send_text(target, &out.text, out.schedule_date).await?
    } else {
        tg.send_media(target, &out.text, media, out.schedule_date)
            .await?
    };
    let status = if sent.unconfirmed {
        Status::SentNoId
    } else if sent.scheduled {
        Status::Scheduled
    } else {
        Status::Sent
    };
    let info = match sent.directory.get(target.chat.id) {
        Some(_) => None,
        None => chat_info(tg, target).await,
    };
    Ok(answer(sent, status, target, info, parsed_as))
}

async fn chat_info(tg: &Telegram, target: &Target) -> Option<ChatInfo> {
    match &target.info {
        Some(info) => Some(info.clone()),
        None => tg.describe(&target.chat).await,
    }
}

fn comment_on(target: &Target) -> Option<CommentOnOut> {
    target.comment_on.map(|c| CommentOnOut {
        channel_id: c.channel_id,
        post_id: c.post_id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedules_must_lie_ahead() {
        assert!(
            schedule(Some("2001-01-01T00:00:00Z"))
                .unwrap_err()
                .contains("not in the future")
        );
        assert!(
            schedule(Some("2999-01-01T00:00:00Z"))
                .unwrap_err()
                .contains("365 days")
        );
        assert!(
            schedule(Some("soon"))
                .unwrap_err()
                .contains("schedule_date")
        );
        assert_eq!(schedule(None).unwrap(), None);
        let next_week = chrono::Utc::now() + chrono::Duration::days(7);
        let at = schedule(Some(&next_week.to_rfc3339())).unwrap().unwrap();
        assert_eq!(at as i64, next_week.timestamp());
    }

    #[test]
    fn drafts_take_no_files_and_no_schedule() {
        let files = vec!["/tmp/a.png".to_string()];
        let e = outgoing("hi", ParseMode::Auto, Some(&files), None, true, None)
            .err()
            .unwrap();
        assert!(e.contains("files"), "{e}");
        let e = outgoing("hi", ParseMode::Auto, None, Some("2999-01-01"), true, None)
            .err()
            .unwrap();
        assert!(e.contains("365") || e.contains("cannot be combined"), "{e}");
        let soon = (chrono::Utc::now() + chrono::Duration::days(1)).to_rfc3339();
        let e = outgoing("hi", ParseMode::Auto, None, Some(&soon), true, None)
            .err()
            .unwrap();
        assert!(e.contains("cannot be combined"), "{e}");
        // An empty draft clears it; an empty message is refused.
        assert!(outgoing("", ParseMode::Auto, None, None, true, None).is_ok());
        assert!(
            outgoing("  ", ParseMode::Auto, None, None, false, None)
                .err()
                .unwrap()
                .contains("empty")
        );
    }

    #[test]
    fn captions_have_their_own_limit() {
        let files = vec!["/tmp/a.png".to_string()];
        let long = "a".repeat(CAPTION_MAX + 1);
        let e = outgoing(&long, ParseMode::Auto, Some(&files), None, false, None)
            .err()
            .unwrap();
        assert!(e.contains("caption") && e.contains("1024"), "{e}");
        assert!(outgoing(&long, ParseMode::Auto, None, None, false, None).is_ok());
        assert!(outgoing("", ParseMode::Auto, Some(&files), None, false, None).is_ok());
    }
}
