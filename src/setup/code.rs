//! Where Telegram sent a login code (`auth.SentCodeType`), said as the official apps say it,
//! and how the code the person types goes back: digits lose the spaces and dashes people type
//! between them, while an SMS word or phrase is sent as typed (only its ends trimmed); a code
//! sent to the login e-mail goes back as `email_verification`, any other as `phone_code` (as
//! TDLib sends them). A number that must set up a login e-mail first gets no code at all
//! until it did (see `email.rs`).

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
    /// The code went to the login e-mail.
    pub by_email: bool,
}

/// What `auth.sendCode` led to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sent {
    Code(Delivery),
    /// No code until a login e-mail is set up.
    EmailSetupRequired,
}

impl Delivery {
    /// `auth.signIn` with what was typed.
    pub fn sign_in(&self, phone: &str, hash: &str, typed: &str) -> tl::functions::auth::SignIn {
        let code = self.code_from(typed);
        let (phone_code, email_verification) = if self.by_email {
            let code = tl::types::EmailVerificationCode { code };
            (None, Some(code.into()))
        } else {
            (Some(code), None)
        };
        tl::functions::auth::SignIn {
            phone_number: phone.to_string(),
            phone_code_hash: hash.to_string(),
            phone_code,
            email_verification,
        }
    }

    /// The code to send for what was typed.
    pub fn code_from(&self, typed: &str) -> String {
        if self.words {
            typed.trim().to_string()
        } else {
            typed_digits(typed)
        }
    }
}

/// A code of digits as typed, without the spaces and dashes people type between groups.
pub(super) fn typed_digits(typed: &str) -> String {
    typed
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect()
}

fn digits(notice: String) -> Delivery {
    Delivery {
        notice,
        question: "Login code: ",
        words: false,
        by_email: false,
    }
}

/// " (it starts with “…”)", when Telegram tells the beginning.
fn starting(beginning: Option<&str>) -> String {
    match beginning.map(sanitize::name).filter(|b| !b.is_empty()) {
        Some(b) => format!(" (it starts with \"{b}\")"),
        None => String::new(),
    }
}

/// Where the code went, if one was sent.
pub fn delivery(kind: &tl::enums::auth::SentCodeType) -> Sent {
    use tl::enums::auth::SentCodeType as T;
    Sent::Code(match kind {
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
        T::EmailCode(email) => Delivery {
            by_email: true,
            ..digits(format!(
                "Telegram sent a login code to your login e-mail {}.",
                sanitize::technical(&email.email_pattern)
            ))
        },
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
            by_email: false,
        },
        T::SmsPhrase(phrase) => Delivery {
            notice: format!(
                "Telegram sent a login phrase by SMS{}.",
                starting(phrase.beginning.as_deref())
            ),
            question: "Login phrase (as received, with its spaces): ",
            words: true,
            by_email: false,
        },
        T::SetUpEmailRequired(_) => return Sent::EmailSetupRequired,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(kind: tl::enums::auth::SentCodeType) -> Delivery {
        match delivery(&kind) {
            Sent::Code(d) => d,
            Sent::EmailSetupRequired => panic!("expected a code"),
        }
    }

    #[test]
    fn digits_lose_spaces_and_dashes_but_words_keep_inner_spaces() {
        let app = code(tl::types::auth::SentCodeTypeApp { length: 5 }.into());
        assert_eq!(app.code_from(" 12 3-45 \n"), "12345");
        let phrase = code(
            tl::types::auth::SentCodeTypeSmsPhrase {
                beginning: Some("blue".into()),
            }
            .into(),
        );
        assert!(phrase.words);
        assert!(phrase.notice.contains("starts with \"blue\""), "{phrase:?}");
        assert_eq!(phrase.code_from("  blue sky-high \n"), "blue sky-high");
    }

    #[test]
    fn an_emailed_code_goes_back_as_email_verification() {
        let email = code(
            tl::types::auth::SentCodeTypeEmailCode {
                apple_signin_allowed: false,
                google_signin_allowed: false,
                email_pattern: "a•••@example.com".into(),
                length: 5,
                reset_available_period: None,
                reset_pending_date: None,
            }
            .into(),
        );
        let request = email.sign_in("+15550001000", "hash", "123 45");
        assert_eq!(request.phone_code, None);
        assert!(matches!(
            request.email_verification,
            Some(tl::enums::EmailVerification::Code(c)) if c.code == "12345"
        ));
    }

    #[test]
    fn a_required_login_email_is_not_a_code() {
        let kind = tl::types::auth::SentCodeTypeSetUpEmailRequired {
            apple_signin_allowed: false,
            google_signin_allowed: false,
        };
        assert_eq!(delivery(&kind.into()), Sent::EmailSetupRequired);
    }
}
