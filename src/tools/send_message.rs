//! `send_message`: send text (optionally formatted, scheduled, or kept as the chat's draft) as
//! the user: to a chat, as a reply, into a forum topic, or as a comment under a channel post.

use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::model::CallToolResult;
use rmcp::service::RequestContext;
use rmcp::{RoleServer, tool, tool_router};
use schemars::JsonSchema;
use serde::Deserialize;

use super::outgoing::{SentOut, deliver, sending_params};
use super::{ToolError, attachments};
use crate::server::TelegramServer;
use crate::telegram::target::Target;
use crate::telegram::{TelegramError, chat_ref};

/// The forum topic every message without one goes to.
const GENERAL_TOPIC: i32 = 1;

const TOOL: &str = "send_message";

sending_params! {
    #[derive(Debug, Deserialize, JsonSchema)]
    #[serde(deny_unknown_fields)]
    pub struct SendMessageParams {
        /// "me", @username, numeric id or t.me link.
        pub chat_id: String,
        // With files: their caption.
        pub message: String,
        /// Reply to this message; a forum topic's id posts in the topic, a channel post's id comments on it.
        #[serde(default)]
        pub reply_to_id: Option<i32>,
    }
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
    ) -> Result<Json<SentOut>, CallToolResult> {
        self.run_tool(&ctx, TOOL, async {
            let out = p.outgoing(p.reply_to_id).map_err(ToolError::invalid)?;
            linked_reply(&p.chat_id, p.reply_to_id).map_err(ToolError::invalid)?;
            let tg = &self.telegram;
            let chat = tg.resolve(&p.chat_id).await?;
            let target = tg.target(chat, p.reply_to_id).await?;
            let media = attachments::upload(self, &ctx, &out.files).await?;
            let sent = deliver(tg, &target, &out, media).await;
            Ok(Json(
                sent.map_err(|e| closed_topic(e, &target, p.reply_to_id))?,
            ))
        })
        .await
    }
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
