//! Setting up a login e-mail in the middle of a phone login, when Telegram sends no code to
//! the number until the account has one (`auth.sentCodeTypeSetUpEmailRequired`), as TDLib
//! and the official apps do (core.telegram.org/api/auth, "Email verification"): ask for an
//! address, `account.sendVerifyEmailCode` with `emailVerifyPurposeLoginSetup` sends a code to
//! it, `account.verifyEmail` checks the code typed back and answers
//! `account.emailVerifiedLogin`, whose `sent_code` is the login code (sent to that address),
//! and the login goes on with it. Neither the address nor the code is logged; the address is
//! only shown back as Telegram masks it.

use anyhow::bail;
use grammers_client::{Client, InvocationError};
use grammers_tl_types as tl;

use super::prompt::Prompter;
use super::{ATTEMPTS, explain};
use crate::schema::sanitize;

/// Sets up the login e-mail of `phone` (whose `auth.sendCode` answered `hash`) and returns
/// the login code Telegram then sent.
pub(super) async fn set_up(
    client: &Client,
    prompter: &Prompter,
    phone: &str,
    hash: &str,
) -> anyhow::Result<tl::enums::auth::SentCode> {
    let purpose: tl::enums::EmailVerifyPurpose = tl::types::EmailVerifyPurposeLoginSetup {
        phone_number: phone.to_string(),
        phone_code_hash: hash.to_string(),
    }
    .into();
    prompter.say(
        "Telegram sends this number no login code until the account has a login e-mail: give \
         an address you can read now, Telegram sends a code to it to confirm it, and then the \
         login code.",
    );
    send_to_address(client, prompter, &purpose).await?;
    for attempt in 1..=ATTEMPTS {
        let typed = prompter.ask("Code from the e-mail: ")?;
        let code = super::code::typed_digits(&typed);
        let request = tl::functions::account::VerifyEmail {
            purpose: purpose.clone(),
            verification: tl::types::EmailVerificationCode { code }.into(),
        };
        match client.invoke(&request).await {
            Ok(tl::enums::account::EmailVerified::Login(login)) => return Ok(login.sent_code),
            Ok(tl::enums::account::EmailVerified::Verified(_)) => bail!(
                "Telegram confirmed the e-mail address but sent no login code; run setup again"
            ),
            Err(InvocationError::Rpc(e)) if is_wrong_code(&e.name) && attempt < ATTEMPTS => {
                prompter.say("That code is not right; try again.");
            }
            Err(InvocationError::Rpc(e)) if is_wrong_code(&e.name) => bail!(
                "the e-mail code was not accepted ({}); run setup again",
                e.name
            ),
            Err(e) => return Err(explain(e, "confirming the e-mail address failed")),
        }
    }
    unreachable!("the loop returns on its last attempt")
}

fn is_wrong_code(name: &str) -> bool {
    matches!(name, "CODE_INVALID" | "EMAIL_CODE_INVALID")
}

/// Asks for an address until Telegram takes one, and sends the confirmation code to it.
async fn send_to_address(
    client: &Client,
    prompter: &Prompter,
    purpose: &tl::enums::EmailVerifyPurpose,
) -> anyhow::Result<()> {
    for attempt in 1..=ATTEMPTS {
        let email = prompter.ask("Login e-mail address: ")?;
        let request = tl::functions::account::SendVerifyEmailCode {
            purpose: purpose.clone(),
            email,
        };
        match client.invoke(&request).await {
            Ok(tl::enums::account::SentEmailCode::Code(sent)) => {
                prompter.say(&format!(
                    "Telegram sent a code to {} to confirm the address.",
                    sanitize::technical(&sent.email_pattern)
                ));
                return Ok(());
            }
            Err(InvocationError::Rpc(e))
                if matches!(e.name.as_str(), "EMAIL_INVALID" | "EMAIL_NOT_ALLOWED")
                    && attempt < ATTEMPTS =>
            {
                prompter.say("Telegram does not take that address; give another one.");
            }
            Err(e) => return Err(explain(e, "Telegram did not send a code to that address")),
        }
    }
    unreachable!("the loop returns on its last attempt")
}
