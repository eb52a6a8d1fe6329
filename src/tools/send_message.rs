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
            let tg = &self.telegram;
            let chat = tg.resolve(&p.chat_id).await?;
            let target = tg.target(chat, p.reply_to_id).await?;
            let media = attachments::upload(self, &ctx, &out.files).await?;
            Ok(Json(deliver(tg, &target, &out, media).await?))
        })
        .await
    }
}
