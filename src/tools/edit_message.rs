//! `edit_message`: replace the text of a message the user sent (or of a post in a channel
//! they own), formatted like `send_message`; with `schedule_date`, edit and reschedule a
//! scheduled message.

use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::model::CallToolResult;
use rmcp::{tool, tool_router};
use schemars::JsonSchema;
use serde::Deserialize;

use super::ToolError;
use super::send_message::{SentOut, Status, answer, schedule, text};
use crate::format::ParseMode;
use crate::server::TelegramServer;
use crate::telegram::send::Target;

const TOOL: &str = "edit_message";

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EditMessageParams {
    /// The chat: "me", @username, numeric id (-100… for channels) or t.me link.
    pub chat_id: String,
    /// The message to edit (with schedule_date: a scheduled message's id).
    pub message_id: i32,
    /// The new text.
    pub message: String,
    /// markdown, html, auto (detect) or rich (same as markdown).
    #[serde(default)]
    pub parse_mode: ParseMode,
    /// Reschedule a scheduled message: an ISO date-time in the future.
    #[serde(default)]
    pub schedule_date: Option<String>,
}

#[tool_router(router = edit_message_router, vis = "pub(crate)")]
impl TelegramServer {
    #[tool(
        name = "edit_message",
        description = "Edit the text of a message the user sent (or a post of a channel they \
            own), as the user. parse_mode as in send_message. With schedule_date, message_id is \
            a scheduled message, edited and rescheduled. Refusals come back with error_code \
            (MESSAGE_NOT_MODIFIED, MESSAGE_AUTHOR_REQUIRED, MESSAGE_EDIT_TIME_EXPIRED).",
        annotations(
            title = "Edit message",
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
    ) -> Result<Json<SentOut>, CallToolResult> {
        self.bounded_cancellable(&ctx, TOOL, async {
            let invalid = |e: String| ToolError::invalid(TOOL, e).into_result();
            if p.message_id <= 0 {
                return Err(invalid("message_id must be a positive message id".into()));
            }
            let schedule_date = schedule(p.schedule_date.as_deref()).map_err(invalid)?;
            let formatted = text(&p.message, p.parse_mode, false, false).map_err(invalid)?;
            let tg = &self.telegram;
            let result = async {
                let chat = tg.resolve(&p.chat_id).await?;
                let sent = tg
                    .edit_text(&chat, p.message_id, &formatted, schedule_date)
                    .await?;
                let info = match sent.directory.get(chat.id) {
                    Some(_) => None,
                    None => tg.describe(&chat).await,
                };
                let target = Target {
                    info: chat.info.clone(),
                    chat,
                    reply_to: None,
                    comment_on: None,
                    topic_id: None,
                };
                let mut out = answer(sent, Status::Edited, &target, info, formatted.parsed_as);
                if out.message_id.is_none() {
                    out.message_id = Some(p.message_id);
                }
                Ok(out)
            }
            .await;
            result
                .map(Json)
                .map_err(|e| ToolError::telegram(TOOL, &e).into_result())
        })
        .await
    }
}
