//! `react_or_pin`: set or remove the user's reaction to a message, or pin or unpin it (pins
//! are silent: nobody is notified). One tool for both: neither destroys anything, and both are
//! idempotent. A write, so read-only mode hides it. The work is the facade's `react` and `pin`
//! (`telegram/message_actions.rs`).

use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::model::CallToolResult;
use rmcp::{tool, tool_router};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::ToolError;
use crate::server::TelegramServer;
use crate::telegram::TelegramError;
use crate::telegram::message_actions::AllowedReactions;
use crate::telegram::peers::Resolved;
use crate::telegram::types::ReactionCount;

pub const TOOL: &str = "react_or_pin";

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReactOrPinParams {
    // As every tool's chat_id: described there, not again.
    pub chat_id: String,
    pub message_id: i32,
    /// An emoji; "" removes yours.
    #[serde(default)]
    pub reaction: Option<String>,
    /// true pins (silently), false unpins.
    #[serde(default)]
    pub pin: Option<bool>,
}

#[derive(Debug, Serialize)]
pub struct ReactionOut {
    pub emoji: String,
    pub count: i32,
    pub chosen: bool,
}

// Output doc comments are schema text the model reads: only where the name does not say it.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ReactOrPinOut {
    // Each {emoji, count, chosen}.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "super::compact::objects")]
    pub reactions: Option<Vec<ReactionOut>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pinned: Option<bool>,
}

/// The reaction to send: `None` removes the user's. Telegram names the red heart without the
/// emoji variation selector, as most keyboards type it with one.
fn reaction(given: &str) -> Result<Option<String>, String> {
    let emoji = given.trim();
    if emoji.is_empty() {
        return Ok(None);
    }
    if emoji.chars().count() > 8 || emoji.chars().any(|c| c.is_ascii_alphanumeric()) {
        return Err(format!(
            "reaction {:?} is not one emoji (custom emoji reactions are not supported here)",
            crate::schema::sanitize::name(emoji)
        ));
    }
    Ok(Some(emoji.replace("❤\u{fe0f}", "❤")))
}

fn reactions_out(list: Vec<ReactionCount>) -> Vec<ReactionOut> {
    list.into_iter()
        .map(|r| ReactionOut {
            emoji: crate::schema::sanitize::name(&r.emoji),
            count: r.count,
            chosen: r.chosen,
        })
        .collect()
}

/// A chat's allowed reactions as the error names them: Telegram's strings, cleaned, at most
/// [`NAMED_MAX`] of them.
fn listed(reactions: &[String]) -> String {
    let mut named: Vec<String> = reactions
        .iter()
        .take(NAMED_MAX)
        .map(|r| crate::schema::sanitize::name(r))
        .collect();
    if reactions.len() > NAMED_MAX {
        named.push(format!("and {} more", reactions.len() - NAMED_MAX));
    }
    named.join(" ")
}

/// How many allowed reactions an error names.
const NAMED_MAX: usize = 20;

/// Telegram's refusals of a reaction or pin, in words.
async fn explained(
    server: &TelegramServer,
    chat: &Resolved,
    message_id: i32,
    error: TelegramError,
) -> ToolError {
    let TelegramError::Rpc { name, .. } = &error else {
        return error.into();
    };
    let why = match name.as_str() {
        "REACTION_INVALID" => {
            let allowed = match server.telegram.allowed_reactions(chat).await {
                Some(AllowedReactions::None) => "this chat allows no reactions".to_string(),
                Some(AllowedReactions::Some(list)) => {
                    format!("this chat allows only {}", listed(&list))
                }
                _ => "try another standard emoji".to_string(),
            };
            format!("Telegram refused this reaction: {allowed}")
        }
        "REACTIONS_TOO_MANY" => "Telegram refused: too many reactions on this message".into(),
        "MESSAGE_ID_INVALID" => {
            format!("message {message_id} does not exist in this chat (or is a service message)")
        }
        "CHAT_ADMIN_REQUIRED" => {
            "pinning in this chat takes admin rights (the right to pin messages)".into()
        }
        _ => return error.into(),
    };
    ToolError::invalid(why).with_code(name.clone())
}

#[tool_router(router = react_or_pin_router, vis = "pub(crate)")]
impl TelegramServer {
    #[tool(
        name = "react_or_pin",
        title = "React or pin",
        description = "Set or remove your reaction to a message, or pin or unpin it.",
        annotations(
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    pub async fn react_or_pin(
        &self,
        Parameters(p): Parameters<ReactOrPinParams>,
        ctx: rmcp::service::RequestContext<rmcp::RoleServer>,
    ) -> Result<Json<ReactOrPinOut>, CallToolResult> {
        self.run_tool(&ctx, TOOL, async {
            if p.reaction.is_none() && p.pin.is_none() {
                return Err(ToolError::invalid(
                    "give reaction (an emoji, or \"\" to remove yours), pin (true or false), or both",
                ));
            }
            if p.message_id <= 0 {
                return Err(ToolError::invalid("message_id must be a positive message id"));
            }
            let emoji = p
                .reaction
                .as_deref()
                .map(reaction)
                .transpose()
                .map_err(ToolError::invalid)?;
            let tg = &self.telegram;
            let chat = tg.resolve(&p.chat_id).await?;
            let mut out = ReactOrPinOut {
                reactions: None,
                pinned: None,
            };
            if let Some(emoji) = emoji {
                match tg.react(&chat, p.message_id, emoji.as_deref()).await {
                    Ok(list) => out.reactions = list.map(reactions_out),
                    Err(e) => return Err(explained(self, &chat, p.message_id, e).await),
                }
            }
            if let Some(pin) = p.pin {
                match tg.pin(&chat, p.message_id, pin).await {
                    Ok(()) => out.pinned = Some(pin),
                    Err(e) => return Err(explained(self, &chat, p.message_id, e).await),
                }
            }
            Ok(Json(out))
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reaction_is_one_emoji_or_nothing() {
        assert_eq!(reaction("").unwrap(), None);
        assert_eq!(reaction(" 👍 ").unwrap().as_deref(), Some("👍"));
        assert_eq!(reaction("❤\u{fe0f}").unwrap().as_deref(), Some("❤"));
        assert!(reaction("thumbs up").unwrap_err().contains("not one emoji"));
    }

    #[test]
    fn allowed_reactions_are_named_cleaned_and_capped() {
        let hostile = vec!["👍".to_string(), "\u{202e}❤".to_string()];
        assert_eq!(listed(&hostile), "👍 ❤");
        let many: Vec<String> = (0..25).map(|_| "👍".to_string()).collect();
        assert!(listed(&many).ends_with("and 5 more"));
    }
}
