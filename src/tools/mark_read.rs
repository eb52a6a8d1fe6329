//! `mark_read`: mark a chat, a forum topic or a thread (a post's comments) read, up to a
//! message or all of it (then its unread mentions and reactions too, and a chat's "marked as
//! unread"). A write, so read-only mode hides it; idempotent: a second call finds nothing
//! unread and sends nothing (the facade's `mark_read`, in `telegram/inbox.rs`).

use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::model::CallToolResult;
use rmcp::{tool, tool_router};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::ToolError;
use crate::server::TelegramServer;
use crate::telegram::inbox::{MarkedRead, PlaceKind, ReadScope};

pub const TOOL: &str = "mark_read";

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MarkReadParams {
    // "me", @username, numeric id or t.me link, as the server's instructions say once for all.
    pub chat_id: String,
    /// A forum topic, thread or post's comments: its first message.
    #[serde(default)]
    pub reply_to_id: Option<i32>,
    /// Up to this message; default all, with mentions and reactions.
    #[serde(default)]
    pub max_id: Option<i32>,
}

// Output doc comments are schema text the model reads: only where the name does not say it.
#[derive(Debug, Serialize, JsonSchema)]
pub struct MarkReadOut {
    pub changed: bool,
    pub unread_before: i32,
    // Your read marker now.
    pub read_up_to: i32,
    #[serde(skip_serializing_if = "crate::schema::is_zero")]
    pub mentions_read: i32,
    #[serde(skip_serializing_if = "crate::schema::is_zero")]
    pub reactions_read: i32,
    // A forum's topics still unread once the chat was read, then read one by one.
    #[serde(skip_serializing_if = "crate::schema::is_zero")]
    pub topics_read: i32,
    // Where a post's comments were read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub discussion_chat_id: Option<i64>,
}

fn answer(done: &MarkedRead, asked_chat: i64) -> MarkReadOut {
    let place = &done.place;
    MarkReadOut {
        changed: done.changed(),
        unread_before: place.inbox.unread_count,
        read_up_to: done.read_up_to,
        mentions_read: done.mentions_read,
        reactions_read: done.reactions_read,
        topics_read: i32::try_from(done.topics_read).unwrap_or(i32::MAX),
        discussion_chat_id: matches!(place.kind, PlaceKind::Thread(_))
            .then_some(place.chat.id)
            .filter(|id| *id != asked_chat),
    }
}

#[tool_router(router = mark_read_router, vis = "pub(crate)")]
impl TelegramServer {
    #[tool(
        name = "mark_read",
        title = "Mark read",
        description = "Mark a chat, forum topic or thread read.",
        annotations(
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    pub async fn mark_read(
        &self,
        Parameters(p): Parameters<MarkReadParams>,
        ctx: rmcp::service::RequestContext<rmcp::RoleServer>,
    ) -> Result<Json<MarkReadOut>, CallToolResult> {
        self.run_tool(&ctx, TOOL, async {
            for (name, id) in [("reply_to_id", p.reply_to_id), ("max_id", p.max_id)] {
                if id.is_some_and(|id| id <= 0) {
                    return Err(ToolError::invalid(format!(
                        "{name} must be a positive message id"
                    )));
                }
            }
            let scope = p.reply_to_id.map_or(ReadScope::Chat, ReadScope::Under);
            let tg = &self.telegram;
            let chat = tg.resolve(&p.chat_id).await?;
            let done = tg.mark_read(&chat, scope, p.max_id).await?;
            Ok(Json(answer(&done, chat.id)))
        })
        .await
    }
}
