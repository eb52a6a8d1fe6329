//! `delete_messages`: delete messages of one chat, for everyone unless `just_me` (private
//! chats and basic groups only: supergroups and channels always delete for everyone). A
//! destructive write, so read-only mode hides it; idempotent: deleting again deletes 0. The
//! work is the facade's `delete_messages` (`telegram/message_actions.rs`).

use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::model::CallToolResult;
use rmcp::{tool, tool_router};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::ToolError;
use crate::server::TelegramServer;
use crate::telegram::TelegramError;

pub const TOOL: &str = "delete_messages";

/// Message ids one call acts on at most (Telegram's limit for deleting and forwarding).
pub const IDS_MAX: usize = 100;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteMessagesParams {
    // "me", @username, numeric id or t.me link, as the server's instructions say once for all.
    pub chat_id: String,
    // 1 to 100 ids (checked, with the limit in the error).
    pub message_ids: Vec<i32>,
    /// Delete only for you, where Telegram allows (private chats, groups).
    #[serde(default)]
    pub just_me: bool,
}

// Output doc comments are schema text the model reads: only where the name does not say it.
// `not_deleted`: asked ids still there after the call.
#[derive(Debug, Serialize, JsonSchema)]
pub struct DeleteMessagesOut {
    pub deleted: i32,
    pub for_everyone: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schemars(schema_with = "super::compact::array")]
    pub not_deleted: Vec<i32>,
}

/// `message_ids` checked: 1 to [`IDS_MAX`] positive ids, each once, in the order given.
pub(crate) fn message_ids(ids: &[i32]) -> Result<Vec<i32>, String> {
    if ids.is_empty() || ids.len() > IDS_MAX {
        return Err(format!(
            "message_ids takes 1 to {IDS_MAX} ids, not {}",
            ids.len()
        ));
    }
    if let Some(bad) = ids.iter().find(|id| **id <= 0) {
        return Err(format!(
            "message_ids: {bad} is not a message id (they are positive)"
        ));
    }
    let mut unique = Vec::with_capacity(ids.len());
    for id in ids {
        if !unique.contains(id) {
            unique.push(*id);
        }
    }
    Ok(unique)
}

/// Telegram's refusal in words: others' messages need the right to delete them.
fn forbidden(error: TelegramError) -> ToolError {
    if !matches!(&error, TelegramError::Rpc { name, .. } if name == "MESSAGE_DELETE_FORBIDDEN") {
        return error.into();
    }
    ToolError::invalid(
        "Telegram refused: some of these messages are not yours and deleting others' messages \
         here takes admin rights (or one is a service message). Nothing was deleted; delete \
         only your own",
    )
    .with_code("MESSAGE_DELETE_FORBIDDEN")
}

#[tool_router(router = delete_messages_router, vis = "pub(crate)")]
impl TelegramServer {
    #[tool(
        name = "delete_messages",
        title = "Delete messages",
        description = "Delete messages; for everyone unless just_me. Cannot be undone.",
        annotations(
            read_only_hint = false,
            destructive_hint = true,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    pub async fn delete_messages(
        &self,
        Parameters(p): Parameters<DeleteMessagesParams>,
        ctx: rmcp::service::RequestContext<rmcp::RoleServer>,
    ) -> Result<Json<DeleteMessagesOut>, CallToolResult> {
        self.run_tool(&ctx, TOOL, async {
            let ids = message_ids(&p.message_ids).map_err(ToolError::invalid)?;
            let tg = &self.telegram;
            let chat = tg.resolve(&p.chat_id).await?;
            let done = tg
                .delete_messages(&chat, &ids, p.just_me)
                .await
                .map_err(forbidden)?;
            Ok(Json(DeleteMessagesOut {
                deleted: done.deleted,
                for_everyone: done.for_everyone,
                not_deleted: done.not_deleted,
            }))
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_ids_are_positive_bounded_and_taken_once() {
        assert_eq!(message_ids(&[3, 1, 3]).unwrap(), vec![3, 1]);
        assert!(message_ids(&[]).unwrap_err().contains("1 to 100"));
        assert!(message_ids(&[1; 101]).unwrap_err().contains("not 101"));
        assert!(message_ids(&[2, 0]).unwrap_err().contains("0 is not"));
    }
}
