//! Where Telegram sent a login code (`auth.SentCodeType`), said as the official apps say it,
//! and how to read the code the person types back: digits lose the spaces and dashes people
//! type between them, while an SMS word or phrase is sent as typed (only its ends trimmed).
//! A number that must set up a login e-mail first gets no code at all: setup stops and says
//! what to do instead of waiting for it.

use anyhow::bail;
use grammers_tl_types as tl;

use crate::schema::sanitize;

/// How the code reached the person, and what kind of code it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// Where to look, a full sentence.
    pub notice: String,
    /// What to ask for.
    pub question: &'static str,
    /// The code is a word or phrase: inner spaces are part of it.
    pub words: bool,
}

impl Delivery {
    /// The code to send for what was typed.
    pub fn code_from(&self, typed: &str) -> String {
        if self.words {
            typed.trim().to_string()
        } else {
            typed
                .chars()
                .filter(|c| !c.is_whitespace() && *c != '-')
                .collect()
        }
    }
}

fn digits(notice: String) -> Delivery {
    Delivery {
        notice,
        question: "Login code: ",
        words: false,
    }
}

/// " (it starts with “…”)", when Telegram tells the beginning.
fn starting(beginning: Option<&str>) -> String {
    match beginning.map(sanitize::name).filter(|b| !b.is_empty()) {
        Some(b) => format!(" (it starts with \"{b}\")"),
        None => String::new(),
    }
}

/// Where the code went; an error when none was sent and none will come.
pub fn delivery(kind: &tl::enums::auth::SentCodeType) -> anyhow::Result<Delivery> {
    use tl::enums::auth::SentCodeType as T;
    Ok(match kind {
        T::App(_) => digits(
            "Telegram sent a login code to your Telegram app on another device (look for a \
             message from \"Telegram\")."
                .into(),
        ),
        T::Sms(_) | T::FirebaseSms(_) => digits("Telegram sent a login code by SMS.".into()),
        T::Call(_) | T::FlashCall(_) => {
            digits("Telegram is calling your phone to dictate the login code.".into())
        }
        T::MissedCall(call) => digits(format!(
            "Telegram is calling your phone: the login code is the last {} digits of the \
             calling number (it starts with {}).",
            call.length,
            sanitize::technical(&call.prefix)
        )),
        T::EmailCode(email) => digits(format!(
            "Telegram sent a login code to your login e-mail {}.",
            sanitize::technical(&email.email_pattern)
        )),
        T::FragmentSms(fragment) => digits(format!(
            "Telegram sent the login code to this anonymous number on Fragment: read it at {}.",
            sanitize::technical(&fragment.url)
        )),
        T::SmsWord(word) => Delivery {
            notice: format!(
                "Telegram sent a login word by SMS{}.",
                starting(word.beginning.as_deref())
            ),
            question: "Login word (as received): ",
            words: true,
        },
        T::SmsPhrase(phrase) => Delivery {
            notice: format!(
                "Telegram sent a login phrase by SMS{}.",
                starting(phrase.beginning.as_deref())
            ),
            question: "Login phrase (as received, with its spaces): ",
            words: true,
        },
        T::SetUpEmailRequired(_) => bail!(
            "Telegram sends this number no login code until a login e-mail is set up for it. \
             Sign in once in an official Telegram app (it asks for the e-mail), or sign in \
             here by QR code from a device already signed in: run setup without \
             --phone-number"
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits_lose_spaces_and_dashes_but_words_keep_inner_spaces() {
        let app = delivery(&tl::types::auth::SentCodeTypeApp { length: 5 }.into()).unwrap();
        assert_eq!(app.code_from(" 12 3-45 \n"), "12345");
        let phrase = delivery(
            &tl::types::auth::SentCodeTypeSmsPhrase {
                beginning: Some("blue".into()),
            }
            .into(),
        )
        .unwrap();
        assert!(phrase.words);
        assert!(phrase.notice.contains("starts with \"blue\""), "{phrase:?}");
        assert_eq!(phrase.code_from("  blue sky-high \n"), "blue sky-high");
    }

    #[test]
    fn a_required_login_email_stops_instead_of_waiting() {
        let kind = tl::types::auth::SentCodeTypeSetUpEmailRequired {
            apple_signin_allowed: false,
            google_signin_allowed: false,
        };
        let refused = delivery(&kind.into()).unwrap_err().to_string();
        assert!(refused.contains("login e-mail"), "{refused}");
    }
}
