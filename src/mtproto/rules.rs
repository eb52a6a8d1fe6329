//! Which methods `invoke_mtproto` calls only when asked explicitly (`allow_dangerous`), and
//! which it calls in read-only mode. Both rules read the method's name, so they cover every
//! method of the layer, including ones added later.
//!
//! Dangerous: the name (method part, any case) contains `delete`, `reset`, `destroy`,
//! `terminate`, `logout`, `leave`, `block`, `ban`, `kick` or `clear` — deleting messages,
//! history, chats or the account, ending sessions, leaving or banning. (This catches a few
//! harmless ones too, such as `contacts.unblock`: refusing too much is the safe side.) Also
//! dangerous, by name, are the few methods that hand the account to someone else or spend
//! money without any of those words: [`ACCOUNT_TAKEOVER_OR_PAYMENT`] (accepting a login QR
//! token, exporting an authorisation, changing the 2FA password or the phone number, sharing
//! passport data, paying).
//!
//! Read-only: the method part starts with the verb `get`, `search`, `check` or `resolve`
//! alone or followed by a capital (`search`, `getHistory`, not `getaway`), outside the `auth` namespace (where
//! `checkPassword` signs in), is not dangerous, and is not one of the few getters with side
//! effects listed in [`READ_VERB_SIDE_EFFECTS`]. Telegram names methods that change state with
//! other verbs (`send`, `edit`, `save`, `update`, `toggle`, `join`, `set`…), so this admits
//! only reads. `help.*` and `langpack.*` getters pass by the same verb rule; their other
//! methods (`help.acceptTermsOfService`, `help.saveAppLog`) do not.

use super::schema::Schema;

/// Words that make a method dangerous (matched in the lowercase method part).
pub const DANGEROUS_WORDS: &[&str] = &[
    "delete",
    "reset",
    "destroy",
    "terminate",
    "logout",
    "leave",
    "block",
    "ban",
    "kick",
    "clear",
];

/// Methods that log another device in, change how the account is secured, or pay.
pub const ACCOUNT_TAKEOVER_OR_PAYMENT: &[&str] = &[
    "auth.acceptLoginToken",
    "auth.exportAuthorization",
    "account.updatePasswordSettings",
    "account.changePhone",
    "account.sendChangePhoneCode",
    "account.acceptAuthorization",
    "account.setAuthorizationTTL",
    "account.changeAuthorizationSettings",
    "payments.sendPaymentForm",
    "payments.sendStarsForm",
    "payments.transferStarGift",
];

/// The verbs of reading methods.
pub const READ_VERBS: &[&str] = &["get", "search", "check", "resolve"];

/// Getters that change something: pressing a bot button, counting a view, sharing the
/// location, minting a temporary password.
pub const READ_VERB_SIDE_EFFECTS: &[&str] = &[
    "messages.getBotCallbackAnswer",
    "messages.getMessagesViews",
    "contacts.getLocated",
    "account.getTmpPassword",
];

fn method_part(name: &str) -> &str {
    name.rsplit('.').next().unwrap_or(name)
}

/// Whether `name` (canonical, `messages.deleteMessages`) deletes, resets or ends something.
pub fn is_dangerous(name: &str) -> bool {
    let method = method_part(name).to_ascii_lowercase();
    DANGEROUS_WORDS.iter().any(|w| method.contains(w))
        || ACCOUNT_TAKEOVER_OR_PAYMENT
            .iter()
            .any(|m| m.eq_ignore_ascii_case(name))
}

/// Whether `name` only reads (allowed in read-only mode).
pub fn is_read_only(name: &str) -> bool {
    if name.starts_with("auth.") || is_dangerous(name) || READ_VERB_SIDE_EFFECTS.contains(&name) {
        return false;
    }
    let method = method_part(name);
    READ_VERBS.iter().any(|verb| {
        method.strip_prefix(verb).is_some_and(|rest| {
            rest.is_empty() || rest.starts_with(|c: char| c.is_ascii_uppercase())
        })
    })
}

/// The dangerous methods of a schema, by the rule above.
pub fn dangerous_methods(schema: &Schema) -> Vec<String> {
    schema
        .functions()
        .map(super::full_name)
        .filter(|n| is_dangerous(n))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reference_list_is_dangerous() {
        for name in [
            "account.deleteAccount",
            "messages.deleteMessages",
            "messages.deleteHistory",
            "messages.deleteUserHistory",
            "messages.deleteChatUser",
            "channels.deleteHistory",
            "channels.deleteMessages",
            "auth.logOut",
            "auth.resetAuthorizations",
            "channels.leaveChannel",
            "channels.editBanned",
            "contacts.block",
            "messages.clearAllDrafts",
        ] {
            assert!(is_dangerous(name), "{name}");
            // The reference's list names messages.deleteUserHistory, gone from this layer.
            assert!(
                name == "messages.deleteUserHistory"
                    || crate::mtproto::schema().function(name).is_some(),
                "{name}"
            );
        }
        for name in ACCOUNT_TAKEOVER_OR_PAYMENT {
            assert!(is_dangerous(name), "{name}");
            assert!(crate::mtproto::schema().function(name).is_some(), "{name}");
        }
        assert!(!is_dangerous("messages.getHistory"));
        assert!(!is_dangerous("messages.sendMessage"));
        let all = dangerous_methods(crate::mtproto::schema());
        assert!(all.len() > 30, "{}", all.len());
    }

    #[test]
    fn only_reads_pass_in_read_only_mode() {
        for name in [
            "messages.getHistory",
            "messages.search",
            "contacts.resolveUsername",
            "help.getConfig",
            "langpack.getLangPack",
            "account.checkUsername",
        ] {
            assert!(is_read_only(name), "{name}");
        }
        for name in [
            "messages.sendMessage",
            "messages.deleteMessages",
            "auth.checkPassword",
            "help.acceptTermsOfService",
            "help.saveAppLog",
            "messages.getBotCallbackAnswer",
            "messages.readHistory",
            "channels.joinChannel",
            "invokeWithLayer",
        ] {
            assert!(!is_read_only(name), "{name}");
        }
    }
}
