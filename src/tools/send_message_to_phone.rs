//! `send_message_to_phone`: send as the user to a phone number. An existing contact is used as
//! is; otherwise the number is imported as a contact (and, with `remove_if_new`, removed again
//! afterwards: only a contact this call created, never one that existed before). The number is
//! never written in full to logs or error messages.

use std::sync::Arc;

use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::model::CallToolResult;
use rmcp::service::RequestContext;
use rmcp::{RoleServer, tool, tool_router};
use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize};

use super::attachments;
use super::outgoing::{Outgoing, SentOut, deliver, sending_params};
use super::{Action, ToolError};
use crate::server::TelegramServer;
use crate::setup::host_config::mask_phone;
use crate::telegram::contacts::{PhoneContact, PhoneLookup};
use crate::telegram::peers::Resolved;
use crate::telegram::upload::UploadedMedia;
use crate::telegram::{Telegram, TelegramError};

const TOOL: &str = "send_message_to_phone";

fn default_first_name() -> String {
    "Contact".into()
}

fn default_last_name() -> String {
    "Name".into()
}

/// Accepts the number as a string or a bare JSON number, so a wrongly typed argument never
/// makes the deserialiser echo it in an error.
fn phone_string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Phone {
        Text(String),
        Number(u64),
    }
    match Phone::deserialize(d) {
        Ok(Phone::Text(s)) => Ok(s),
        Ok(Phone::Number(n)) => Ok(format!("+{n}")),
        Err(_) => Err(serde::de::Error::custom(
            "phone_number must be a string such as \"+15550001234\"",
        )),
    }
}

sending_params! {
    #[derive(Debug, Deserialize, JsonSchema)]
    #[serde(deny_unknown_fields)]
    pub struct SendToPhoneParams {
        /// E.g. "+15550001234".
        #[serde(deserialize_with = "phone_string")]
        #[schemars(with = "String")]
        pub phone_number: String,
        // With files: their caption.
        pub message: String,
        #[serde(default = "default_first_name")]
        pub first_name: String,
        #[serde(default = "default_last_name")]
        pub last_name: String,
        // Remove the contact after sending, if this call imported it.
        #[serde(default)]
        pub remove_if_new: bool,
        #[serde(default)]
        pub reply_to_msg_id: Option<i32>,
    }
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct PhoneSentOut {
    #[serde(flatten)]
    pub sent: SentOut,
    /// Masked.
    pub phone_number: String,
    // The number was not a contact: this call imported it (and removed it again).
    pub contact_was_new: bool,
    pub contact_removed: bool,
}

/// The number's digits, if it looks like an international phone number.
fn phone_digits(phone: &str) -> Result<String, String> {
    let trimmed = phone.trim();
    let well_formed = !trimmed.is_empty()
        && trimmed
            .chars()
            .enumerate()
            .all(|(i, c)| c.is_ascii_digit() || " -().".contains(c) || (c == '+' && i == 0));
    let digits: String = trimmed.chars().filter(char::is_ascii_digit).collect();
    if !well_formed || !(7..=15).contains(&digits.len()) {
        return Err(format!(
            "phone_number {} is not a phone number: give it in international format, e.g. \
             \"+15550001234\"",
            mask_phone(trimmed)
        ));
    }
    Ok(digits)
}

/// Who a send to the number reaches: its contact, else the number imported as one.
async fn recipient(
    tg: &Telegram,
    digits: &str,
    p: &SendToPhoneParams,
) -> Result<PhoneContact, ToolError> {
    let masked = mask_phone(digits);
    let first = p.first_name.trim();
    let first = if first.is_empty() { "Contact" } else { first };
    match tg
        .contact_for_phone(digits, first, p.last_name.trim())
        .await?
    {
        PhoneLookup::Found(found) if found.created => {
            let user_id = found.user.id;
            tracing::info!(phone = %masked, user_id, "imported the number as a contact");
            Ok(found)
        }
        PhoneLookup::Found(found) => {
            tracing::debug!(phone = %masked, "the number is a contact");
            Ok(found)
        }
        PhoneLookup::ImportLimited => Err(ToolError::new(format!(
            "Telegram did not import {masked} as a contact: the account has reached Telegram's \
             limit on importing contacts, so whether the number is on Telegram is not known. \
             Nothing was sent; try again later"
        ))
        .with_code("CONTACT_IMPORT_LIMITED")
        .with_action(Action::Retry)),
        PhoneLookup::NotOnTelegram => Err(ToolError::invalid(format!(
            "no Telegram account can be reached at {masked}: the number is not on Telegram, or \
             its owner does not let others find them by number"
        ))
        .with_code("PHONE_NOT_ON_TELEGRAM")),
    }
}

async fn send(
    tg: &Telegram,
    recipient: &PhoneContact,
    p: &SendToPhoneParams,
    out: &Outgoing,
    media: Vec<UploadedMedia>,
) -> Result<SentOut, TelegramError> {
    let target = tg.target(recipient.user.clone(), p.reply_to_msg_id).await?;
    deliver(tg, &target, out, media).await
}

#[tool_router(router = send_message_to_phone_router, vis = "pub(crate)")]
impl TelegramServer {
    #[tool(
        name = "send_message_to_phone",
        title = "Send message to phone",
        description = "Send a message as the user to a phone number, imported as a contact if \
            needed.",
        annotations(
            read_only_hint = false,
            destructive_hint = true,
            idempotent_hint = false,
            open_world_hint = true
        )
    )]
    pub async fn send_message_to_phone(
        &self,
        Parameters(p): Parameters<SendToPhoneParams>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<Json<PhoneSentOut>, CallToolResult> {
        self.run_tool(&ctx, TOOL, async {
            let invalid = ToolError::invalid;
            let digits = phone_digits(&p.phone_number).map_err(invalid)?;
            let masked = mask_phone(&digits);
            if p.reply_to_msg_id.is_some_and(|id| id <= 0) {
                return Err(invalid(
                    "reply_to_msg_id must be a positive message id".into(),
                ));
            }
            let out = p.outgoing(p.reply_to_msg_id).map_err(invalid)?;
            // Files are checked and uploaded before any contact is imported.
            let media = attachments::upload(self, &ctx, &out.files).await?;
            let tg = &self.telegram;
            let recipient = recipient(tg, &digits, &p).await?;
            // The contact this call created goes again, whether or not the send works — and
            // even if the call is cut short (deadline, cancellation) before it gets there.
            let mut pending = PendingRemoval {
                tg: Arc::clone(&self.telegram),
                user: (p.remove_if_new && recipient.created).then(|| recipient.user.clone()),
                masked: masked.clone(),
            };
            let sent = send(tg, &recipient, &p, &out, media).await;
            let removed = match pending.user.take() {
                Some(user) => remove(tg, &user, &masked).await,
                None => false,
            };
            let sent = sent?;
            Ok(Json(PhoneSentOut {
                sent,
                phone_number: masked,
                contact_was_new: recipient.created,
                contact_removed: removed,
            }))
        })
        .await
    }
}

/// Deletes the contact created for this message; true when it is gone.
async fn remove(tg: &Telegram, user: &Resolved, masked: &str) -> bool {
    match tg.delete_contact(user).await {
        Ok(()) => {
            tracing::info!(phone = %masked, "removed the contact created for this message");
            true
        }
        Err(e) => {
            tracing::warn!(phone = %masked, "cannot remove the contact created for this message: {e}");
            false
        }
    }
}

/// A contact still to remove: if the call ends before removing it, it is removed in the
/// background.
struct PendingRemoval {
    tg: Arc<Telegram>,
    user: Option<Resolved>,
    masked: String,
}

impl Drop for PendingRemoval {
    fn drop(&mut self) {
        let Some(user) = self.user.take() else { return };
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let tg = Arc::clone(&self.tg);
        let masked = std::mem::take(&mut self.masked);
        runtime.spawn(async move {
            remove(&tg, &user, &masked).await;
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_checked_and_masked_in_errors() {
        assert_eq!(phone_digits("+1 (555) 000-1001").unwrap(), "15550001001");
        let e = phone_digits("+1555000100x").unwrap_err();
        assert!(!e.contains("1555000100"), "{e}");
        assert!(e.contains("+15"), "{e}");
        assert!(phone_digits("123").is_err());
        assert!(phone_digits("1+5550001001").is_err());
    }

    #[test]
    fn numbers_given_as_json_numbers_are_accepted() {
        let p: SendToPhoneParams = serde_json::from_value(
            serde_json::json!({"phone_number": 15550001001u64, "message": "hi"}),
        )
        .unwrap();
        assert_eq!(p.phone_number, "+15550001001");
        assert_eq!(p.first_name, "Contact");
        let e = serde_json::from_value::<SendToPhoneParams>(
            serde_json::json!({"phone_number": [15550001001u64], "message": "hi"}),
        )
        .unwrap_err()
        .to_string();
        assert!(!e.contains("15550001001"), "{e}");
    }
}
