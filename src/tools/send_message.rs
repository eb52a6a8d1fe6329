//! `send_message`: send text (optionally formatted, scheduled, or kept as the chat's draft) as
//! the user: to a chat, as a reply, into a forum topic, or as a comment under a channel post.

use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::model::CallToolResult;
use rmcp::service::RequestContext;
use rmcp::{RoleServer, tool, tool_router};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::delete_messages::message_ids;
use super::outgoing::{Outgoing, SentOut, Status, answer, deliver, schedule, sending_params};
use super::{ToolError, attachments};
use crate::format::Parsed;
use crate::server::TelegramServer;
use crate::telegram::forward::Forwarded;
use crate::telegram::target::Target;
use crate::telegram::{Telegram, TelegramError, chat_ref};

/// The forum topic every message without one goes to.
const GENERAL_TOPIC: i32 = 1;

const TOOL: &str = "send_message";

sending_params! {
    #[derive(Debug, Deserialize, JsonSchema)]
    #[serde(deny_unknown_fields)]
    pub struct SendMessageParams {
        // "me", @username, numeric id or t.me link, as the server's instructions say once for all.
        pub chat_id: String,
        // With files: their caption.
        pub message: String,
        /// Reply to this message; a forum topic's id posts in the topic, a channel post's id comments on it.
        #[serde(default)]
        pub reply_to_id: Option<i32>,
        /// Forward message_ids from this chat; message becomes an optional comment.
        #[serde(default)]
        pub forward_from: Option<String>,
        // 1 to 100 ids (checked, with the limit in the error).
        #[serde(default)]
        pub message_ids: Option<Vec<i32>>,
        #[serde(default)]
        pub hide_author: bool,
    }
}

// Output doc comments are schema text the model reads: only where the name does not say it.
// `not_forwarded`: asked ids Telegram did not forward.
#[derive(Debug, Serialize, JsonSchema)]
pub struct SendMessageOut {
    #[serde(flatten)]
    pub sent: SentOut,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schemars(schema_with = "super::compact::array")]
    pub not_forwarded: Vec<i32>,
}

#[tool_router(router = send_message_router, vis = "pub(crate)")]
impl TelegramServer {
    #[tool(
        name = "send_message",
        title = "Send message",
        description = "Send a message as the user. parse_mode auto detects HTML or Markdown \
            (**bold**, __italic__, `code`, [text](url)).",
        annotations(
            read_only_hint = false,
            destructive_hint = true,
            idempotent_hint = false,
            open_world_hint = true
        )
    )]
    pub async fn send_message(
        &self,
        Parameters(p): Parameters<SendMessageParams>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<Json<SendMessageOut>, CallToolResult> {
        self.run_tool(&ctx, TOOL, async {
            let forwarding = forwarding(&p).map_err(ToolError::invalid)?;
            let out = match &forwarding {
                Some(_) if p.message.trim().is_empty() => None,
                _ => Some(p.outgoing(p.reply_to_id).map_err(ToolError::invalid)?),
            };
            linked_reply(&p.chat_id, p.reply_to_id).map_err(ToolError::invalid)?;
            let tg = &self.telegram;
            let chat = tg.resolve(&p.chat_id).await?;
            let target = tg.target(chat, p.reply_to_id).await?;
            let out = match (forwarding, out) {
                // Boxed: the forward's future would make every send's too large for a
                // worker's stack.
                (Some((from, ids)), comment) => {
                    return Box::pin(forward_after(tg, &p, &target, from, &ids, comment))
                        .await
                        .map(Json);
                }
                (None, Some(out)) => out,
                (None, None) => return Err(ToolError::invalid("message is empty")),
            };
            let media = attachments::upload(self, &ctx, &out.files).await?;
            let sent = deliver(tg, &target, &out, media).await;
            let sent = sent.map_err(|e| closed_topic(e, &target, p.reply_to_id))?;
            Ok(Json(SendMessageOut {
                sent,
                not_forwarded: Vec::new(),
            }))
        })
        .await
    }
}

/// Forwards `ids` of `from` to `target`, after the `comment` if there is one.
async fn forward_after(
    tg: &Telegram,
    p: &SendMessageParams,
    target: &Target,
    from: &str,
    ids: &[i32],
    comment: Option<Outgoing>,
) -> Result<SendMessageOut, ToolError> {
    let from = tg.resolve(from).await?;
    let schedule_date = match &comment {
        Some(out) => out.schedule_date,
        None => schedule(p.schedule_date.as_deref()).map_err(ToolError::invalid)?,
    };
    let comment = match &comment {
        Some(out) => Some(
            deliver(tg, target, out, Vec::new())
                .await
                .map_err(|e| closed_topic(e, target, p.reply_to_id))?,
        ),
        None => None,
    };
    let forwarded = tg
        .forward(&from, ids, target, p.hide_author, schedule_date)
        .await
        .map_err(|e| forward_refused(closed_topic(e, target, p.reply_to_id), &comment))?;
    Ok(forwarded_answer(forwarded, comment, target))
}

/// The forward asked for, checked: the chat and the ids (`None` when not forwarding).
fn forwarding(p: &SendMessageParams) -> Result<Option<(&str, Vec<i32>)>, String> {
    let (from, ids) = match (&p.forward_from, &p.message_ids) {
        (None, None) if p.hide_author => {
            return Err("hide_author goes with forward_from and message_ids".into());
        }
        (None, None) => return Ok(None),
        (Some(from), Some(ids)) => (from.as_str(), message_ids(ids)?),
        _ => {
            return Err(
                "forward_from and message_ids go together: the chat and the messages to forward"
                    .into(),
            );
        }
    };
    if p.files.as_ref().is_some_and(|f| !f.is_empty()) {
        return Err("files cannot go with a forward: send them in a message of their own".into());
    }
    if p.save_as_draft {
        return Err("save_as_draft cannot go with a forward: a draft holds text only".into());
    }
    Ok(Some((from, ids)))
}

/// The answer of a forward: the comment sent first (if any), then the forwarded copies.
fn forwarded_answer(done: Forwarded, comment: Option<SentOut>, target: &Target) -> SendMessageOut {
    let status = if done.sent.unconfirmed {
        Status::SentNoId
    } else if done.sent.scheduled {
        Status::Scheduled
    } else {
        Status::Sent
    };
    let parsed_as = comment.as_ref().map_or(Parsed::Plain, |c| c.parsed_as);
    let mut sent = answer(done.sent, status, target, None, parsed_as);
    if let Some(comment) = comment {
        sent.messages.splice(0..0, comment.messages);
        sent.message_id = sent.messages.first().map(|m| m.id);
        sent.chat = sent.chat.or(comment.chat);
    }
    SendMessageOut {
        sent,
        not_forwarded: done.not_forwarded,
    }
}

/// Telegram's refusals of a forward, in words; after a comment went out, the error says so.
fn forward_refused(error: ToolError, comment: &Option<SentOut>) -> ToolError {
    let code = error.error_code.clone();
    let mut error = match code.as_deref() {
        Some("CHAT_FORWARDS_RESTRICTED") => ToolError::invalid(
            "forward_from protects its content: Telegram forbids forwarding (or copying) its              messages. Nothing was forwarded",
        )
        .with_code("CHAT_FORWARDS_RESTRICTED"),
        Some("MESSAGE_ID_INVALID") => ToolError::invalid(
            "none of message_ids is a message of forward_from that can be forwarded. Nothing was              forwarded",
        )
        .with_code("MESSAGE_ID_INVALID"),
        _ => error,
    };
    if let Some(id) = comment.as_ref().and_then(|c| c.message_id) {
        error.error = format!(
            "{} (the comment was sent first, as message {id})",
            error.error
        );
    }
    error
}

/// Telegram's `TOPIC_CLOSED` in words: a closed forum topic takes posts only from its creator
/// and the group's admins. Any other error is reported as it is.
fn closed_topic(error: TelegramError, target: &Target, reply_to_id: Option<i32>) -> ToolError {
    if !matches!(&error, TelegramError::Rpc { name, .. } if name == "TOPIC_CLOSED") {
        return error.into();
    }
    let topic = match (target.topic_id, reply_to_id) {
        (Some(id), _) if id != GENERAL_TOPIC => format!("forum topic {id}"),
        (None, Some(message)) => format!("the forum topic of message {message}"),
        _ => "the forum's General topic".to_string(),
    };
    ToolError::invalid(format!(
        "{topic} is closed: only its creator and the group's admins may post in it. Nothing \
         was sent; post in an open topic instead"
    ))
    .with_code("TOPIC_CLOSED")
}

/// A message link as chat_id names its chat only with a `reply_to_id` that agrees with it (the
/// linked message, or its topic or thread): a post that lands in the chat at large, in a forum's
/// General topic or on a channel when the link pointed at one message, a topic or a comment
/// would surprise whoever pasted it, and cannot be taken back unseen.
fn linked_reply(chat_id: &str, reply_to_id: Option<i32>) -> Result<(), String> {
    let Ok((chat, Some(m))) = chat_ref::parse_with_message(chat_id) else {
        return Ok(());
    };
    let alone = chat.identifier();
    let what = m.describe();
    match reply_to_id {
        Some(id) if id == m.id || Some(id) == m.thread => Ok(()),
        Some(id) => Err(format!(
            "chat_id links to {what} but reply_to_id is {id}: give the chat alone (\"{alone}\") \
             with reply_to_id {id}, or reply_to_id {} to answer the linked message",
            m.id
        )),
        None => {
            let under = match (m.comment, m.thread) {
                (Some(comment), _) => format!(
                    "reply_to_id {} comments under the post (to answer comment {comment} itself, \
                     give the channel's discussion group as chat_id with reply_to_id {comment})",
                    m.id
                ),
                (None, Some(thread)) => format!(
                    "reply_to_id {thread} posts in that topic or thread, reply_to_id {} answers \
                     the message",
                    m.id
                ),
                (None, None) => format!("reply_to_id {} answers it", m.id),
            };
            Err(format!(
                "chat_id links to {what}, not only to a chat: add {under}; to post in the chat \
                 at large, give chat_id \"{alone}\""
            ))
        }
    }
}
