//! `sign_in`: signs the session in from the MCP host, by QR code (see `setup::in_host`). The
//! first call answers a code to scan, as an image with its `tg://login` link; a later call
//! waits (within the call deadline, with progress notifications) for the scan and answers who
//! is signed in, or a renewed code. Signed in already, it only says as whom. A 2FA account is
//! sent to setup in a terminal: its password never passes through the model.
//!
//! Offered in read-only mode too: signing in writes nothing to Telegram's data (no message,
//! chat or setting); it only gives the server the session read-only mode then reads through.

use std::time::{Duration, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rmcp::model::{CallToolResult, ContentBlock, ProgressNotificationParam};
use rmcp::service::RequestContext;
use rmcp::{RoleServer, tool, tool_router};
use schemars::JsonSchema;
use serde::Serialize;

use super::{Action, ToolError};
use crate::schema::{self, sanitize};
use crate::server::TelegramServer;
use crate::setup::host_config::{mask_phone, server_command};
use crate::setup::in_host::{Code, Next};
use crate::setup::qr;
use crate::telegram::TelegramError;
use crate::telegram::types::ChatInfo;

pub const TOOL: &str = "sign_in";

/// The longest a call waits for a scan (less when the call deadline is shorter).
const MAX_WAIT: Duration = Duration::from_secs(45);
/// Time kept from the call deadline for answering.
const ANSWER_MARGIN: Duration = Duration::from_secs(5);
/// How often a waiting call reports progress.
const PROGRESS_EVERY: Duration = Duration::from_secs(5);

/// What the user is asked to do with a code.
const SCAN: &str = "Show the user this QR code. They scan it in the Telegram app (Settings → \
    Devices → Link Desktop Device); then call sign_in again to finish.";
const NOT_YET: &str = "Not scanned yet; the code already shown is valid until expires_at (a \
    new one comes when it expires). Call sign_in again once the user scanned it.";

#[derive(Debug, Serialize, JsonSchema)]
pub struct AccountOut {
    pub id: i64,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    // Masked: only the first and last two digits.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct SignInOut {
    #[schemars(extend("enum" = ["signed_in", "scan_qr_code", "waiting_for_scan"]))]
    pub status: &'static str,
    // `id`, `name`, `username`, `phone` (masked).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "super::compact::object")]
    pub account: Option<AccountOut>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub login_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_step: Option<&'static str>,
}

#[tool_router(router = sign_in_router, vis = "pub(crate)")]
impl TelegramServer {
    #[tool(
        name = "sign_in",
        title = "Sign in",
        description = "On authenticate_session: sign in with a QR code for the user to scan; \
            call again to finish.",
        output_schema = rmcp::handler::server::tool::schema_for_output::<SignInOut>(),
        annotations(
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    pub async fn sign_in(
        &self,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResult, CallToolResult> {
        self.run_tool(&ctx, TOOL, self.sign_in_work(&ctx)).await
    }
}

impl TelegramServer {
    async fn sign_in_work(
        &self,
        ctx: &RequestContext<RoleServer>,
    ) -> Result<CallToolResult, ToolError> {
        // Asked of Telegram, not taken from the state: a session revoked elsewhere is noticed.
        match self.telegram.signed_in_as().await {
            Ok(me) => return Ok(signed_in(me)),
            Err(TelegramError::NotSignedIn(_)) => {}
            Err(other) => return Err(other.into()),
        }
        let wait = self
            .options
            .call_timeout
            .saturating_sub(ANSWER_MARGIN)
            .min(MAX_WAIT);
        let deadline = tokio::time::Instant::now() + wait;
        let next = self.login.next(deadline);
        tokio::pin!(next);
        let mut progress = tokio::time::interval(PROGRESS_EVERY);
        progress.tick().await;
        let mut reported = 0.0;
        let next = loop {
            tokio::select! {
                next = &mut next => break next,
                _ = progress.tick() => {
                    if let Some(token) = ctx.meta.get_progress_token() {
                        reported += 1.0;
                        let param = ProgressNotificationParam::new(token, reported)
                            .with_message("waiting for the QR code to be scanned");
                        let _ = ctx.peer.notify_progress(param).await;
                    }
                }
            }
        };
        match next {
            Next::NewCode(code) => code_answer(&code, "scan_qr_code", SCAN, true),
            Next::Unchanged(Some(code)) => code_answer(&code, "waiting_for_scan", NOT_YET, false),
            Next::Unchanged(None) => Err(ToolError::new(
                "Telegram has not answered the login yet; call sign_in again",
            )),
            Next::SignedIn => Ok(signed_in(self.telegram.signed_in_as().await?)),
            Next::PasswordNeeded => Err(ToolError::new(format!(
                "the code was scanned, but this account has a two-step verification password, \
                 which must not pass through the assistant: the user finishes in a terminal. \
                 Stop this server (quit the app running it), run `{}` with API_ID and \
                 API_HASH set as in the server's settings (the server's binary: \"{}\"; it \
                 asks for the password, or shows a new code), then start the server again. \
                 Nothing is signed in yet: the session file is unchanged",
                self.telegram.setup_command(),
                server_command()
            ))
            .with_code("SESSION_PASSWORD_NEEDED")
            .with_action(Action::AuthenticateSession)),
            Next::Failed(why) => Err(ToolError::new(why).with_action(Action::Retry)),
        }
    }
}

/// The answer for a signed-in session: who it is (the phone number masked).
fn signed_in(me: Option<ChatInfo>) -> CallToolResult {
    let account = me.map(|me| AccountOut {
        id: me.id,
        name: sanitize::name(&me.title),
        username: me.username.as_deref().map(sanitize::technical),
        phone: me.phone.as_deref().map(mask_phone),
    });
    structured(&SignInOut {
        status: "signed_in",
        account,
        login_url: None,
        expires_at: None,
        next_step: None,
    })
}

/// The answer showing `code`: its link and expiry, and (`image`) the QR code as a PNG.
fn code_answer(
    code: &Code,
    status: &'static str,
    next_step: &'static str,
    image: bool,
) -> Result<CallToolResult, ToolError> {
    let expires = code
        .expires_at
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let mut answer = structured(&SignInOut {
        status,
        account: None,
        login_url: Some(code.url.clone()),
        expires_at: Some(schema::iso_date(expires)),
        next_step: Some(next_step),
    });
    if image {
        let png = qr::png(&code.url).map_err(|e| ToolError::new(format!("{e:#}")))?;
        answer
            .content
            .push(ContentBlock::image(STANDARD.encode(png), "image/png"));
    }
    Ok(answer)
}

fn structured(out: &SignInOut) -> CallToolResult {
    CallToolResult::structured(serde_json::to_value(out).expect("the answer serialises"))
}
