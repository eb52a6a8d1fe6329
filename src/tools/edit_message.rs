//! `edit_message`: replace the text of a message the user sent (or of a post in a channel
//! they own), formatted like `send_message`; with `schedule_date`, edit and reschedule a
//! scheduled message.

use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::model::CallToolResult;
use rmcp::{tool, tool_router};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::ToolError;
use super::outgoing::{Status, answer, schedule, text};
use crate::format::{ParseMode, Parsed};
use crate::schema::{Entity, Message};
use crate::server::TelegramServer;
use crate::telegram::chat_ref;
use crate::telegram::target::Target;

const TOOL: &str = "edit_message";

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EditMessageParams {
    // "me", @username, numeric id or t.me link, as the server's instructions say once for all.
    pub chat_id: String,
    /// With schedule_date: a scheduled message's id.
    pub message_id: i32,
    pub message: String,
    // auto detects HTML or Markdown; rich is read as Markdown.
    #[serde(default)]
    pub parse_mode: ParseMode,
    /// Reschedule a scheduled message (ISO 8601, UTC).
    #[serde(default)]
    pub schedule_date: Option<String>,
}

// Output doc comments are schema text the model reads: only where the name does not say it.
//
// An edit's answer: the sending tools' answer without what an edit never is (a draft, a
// comment), so its schema promises only what an edit returns.
#[derive(Debug, Serialize, JsonSchema)]
pub struct EditedOut {
    pub status: Edited,
    pub message_id: i32,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "super::compact::object")]
    pub chat: Option<Entity>,
    #[schemars(schema_with = "super::compact::objects")]
    pub messages: Vec<Message>,
    pub parsed_as: Parsed,
    // The message edited is a scheduled one.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub scheduled: bool,
}

/// The one status of an edit.
#[derive(Debug, Clone, Copy, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Edited {
    Edited,
}

#[tool_router(router = edit_message_router, vis = "pub(crate)")]
impl TelegramServer {
    #[tool(
        name = "edit_message",
        title = "Edit message",
        description = "Edit, as the user, the text of their message or of a post in a channel \
            they own.",
        annotations(
            read_only_hint = false,
            destructive_hint = true,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    pub async fn edit_message(
        &self,
        Parameters(p): Parameters<EditMessageParams>,
        ctx: rmcp::service::RequestContext<rmcp::RoleServer>,
    ) -> Result<Json<EditedOut>, CallToolResult> {
        self.run_tool(&ctx, TOOL, async {
            if p.message_id <= 0 {
                return Err(ToolError::invalid(
                    "message_id must be a positive message id",
                ));
            }
            linked_edit(&p.chat_id, p.message_id).map_err(ToolError::invalid)?;
            let schedule_date = schedule(p.schedule_date.as_deref()).map_err(ToolError::invalid)?;
            let formatted =
                text(&p.message, p.parse_mode, false, false).map_err(ToolError::invalid)?;
            let tg = &self.telegram;
            let chat = tg.resolve(&p.chat_id).await?;
            let sent = tg
                .edit_text(&chat, p.message_id, &formatted, schedule_date)
                .await?;
            let info = match sent.directory.get(chat.id) {
                Some(_) => None,
                None => tg.describe(&chat).await,
            };
            let target = Target::plain(chat);
            let out = answer(sent, Status::Edited, &target, info, formatted.parsed_as);
            Ok(Json(EditedOut {
                status: Edited::Edited,
                message_id: out.message_id.unwrap_or(p.message_id),
                chat: out.chat,
                messages: out.messages,
                parsed_as: out.parsed_as,
                scheduled: out.scheduled,
            }))
        })
        .await
    }
}

/// A message link as chat_id names its chat when it links to the message being edited; one
/// that names another message, or a comment (which lives in the discussion group, not in the
/// linked channel), is refused rather than editing something else.
fn linked_edit(chat_id: &str, message_id: i32) -> Result<(), String> {
    let Ok((chat, Some(m))) = chat_ref::parse_with_message(chat_id) else {
        return Ok(());
    };
    let alone = chat.identifier();
    if let Some(comment) = m.comment {
        return Err(format!(
            "chat_id links to comment {comment} under post {} of {alone}: a comment is edited in \
             the channel's discussion group; give that group as chat_id with message_id {comment}",
            m.id
        ));
    }
    if m.id != message_id {
        return Err(format!(
            "chat_id links to message {} but message_id is {message_id}: give the chat alone \
             (\"{alone}\") with the message_id to edit",
            m.id
        ));
    }
    Ok(())
}
