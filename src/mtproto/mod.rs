//! The schema-driven TL ⇄ JSON codec behind `invoke_mtproto`: any method of the API layer,
//! called by name with JSON parameters, answered as JSON. The layer's schema (`api.tl`) is
//! embedded and parsed once; nothing here is generated per type.

pub mod decode;
pub mod encode;
pub mod peers;
pub mod raw;
pub mod rules;
pub mod schema;

use grammers_tl_parser::tl::Definition;
use serde_json::Value;

pub use schema::{Schema, full_name, schema};

/// Why a value cannot be encoded or decoded; the message names the field path.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct CodecError(pub String);

/// A method looked up by name, case-insensitively; an unknown name suggests the closest.
pub fn method(name: &str) -> Result<&'static Definition, CodecError> {
    let s = schema();
    s.function(name).ok_or_else(|| {
        CodecError(format!(
            "no method {:?} in API layer {}; did you mean {}?",
            name.trim(),
            s.layer,
            s.suggest_functions(name).join(", ")
        ))
    })
}

/// The bytes of a call of `method` with `params` (an object, or a JSON string holding one).
pub fn encode_call(method: &Definition, params: &Value) -> Result<Vec<u8>, CodecError> {
    let parsed;
    let params = match params {
        Value::String(text) if text.trim().is_empty() => &Value::Null,
        Value::String(text) => {
            parsed = serde_json::from_str::<Value>(text)
                .map_err(|e| CodecError(format!("params_json is not valid JSON: {e}")))?;
            &parsed
        }
        other => other,
    };
    encode::function(schema(), method, params)
}

/// The JSON of `method`'s answer.
pub fn decode_answer(method: &Definition, data: &[u8]) -> Result<Value, CodecError> {
    decode::value(schema(), &method.ty, data)
}

/// Decodes a boxed value of the named type (`InputPeer`) from its bytes.
pub fn decode_boxed(ty: &str, data: &[u8]) -> Result<Value, CodecError> {
    let ty: grammers_tl_parser::tl::Type = ty
        .parse()
        .map_err(|_| CodecError(format!("not a type: {ty}")))?;
    decode::value(schema(), &ty, data)
}

/// Fields dropped from answers unless `include_sensitive`, wherever they are nested: phone
/// numbers, and names that are a credential wherever the layer uses them — access hashes,
/// file references, authorisation keys, secrets, tokens (login tokens, bot tokens, stats
/// tokens), temporary passwords, login code hashes, future-login tokens, Passport secrets,
/// redeemable gift-code slugs, invite hashes of subscriptions.
pub const SENSITIVE_FIELDS: &[&str] = &[
    "phone",
    "phone_number",
    "access_hash",
    "file_reference",
    "auth_key",
    "secret",
    "token",
    "tmp_password",
    "phone_code_hash",
    "future_auth_token",
    "secure_secret",
    "gift_code_slug",
    "used_gift_slug",
    "chat_invite_hash",
];

/// Fields dropped only from the named constructor (`"_"`), where the same field name is
/// harmless elsewhere (a `link` to a message, a `url` of a web page, a `hash` for caching):
///
/// - invite links: `chatInviteExported.link` (chat invites, also inside full chats and admin
///   logs), `exportedChatlistInvite.url` (shared folders), `phone.exportedGroupCallInvite.link`,
///   `recentMeUrlChatInvite.url`, and `exportedContactToken.url` (adds this account as a
///   contact);
/// - the RTMP stream key: `phone.groupCallStreamRtmpUrl.key`;
/// - session handles, which end sessions or confirm logins: `authorization.hash`,
///   `webAuthorization.hash`, `updateNewAuthorization.hash`;
/// - login material: `auth.exportedAuthorization.bytes` (logs another DC in as this account),
///   `urlAuthResultAccepted.url`, `webViewResultUrl.url` (signed user data for a bot),
///   `emojiURL.url`, `payments.starsRevenueAdsAccountUrl.url`, `toncenter.streamingUrl.url`;
/// - money: `payments.starsRevenueWithdrawalUrl.url`, `payments.starGiftWithdrawalUrl.url`,
///   `onrampSession.url`, `messageActionGiftCode.slug` (a redeemable gift code),
///   `wallet.encryptedSecretPhrasePart.data`;
/// - TURN credentials of calls: `phoneConnectionWebrtc.username` and `.password`;
/// - the user's e-mail addresses: `account.passwordSettings.email` (2FA recovery),
///   `account.emailVerified.email`, `account.emailVerifiedLogin.email`,
///   `paymentRequestedInfo.email`, `securePlainEmail.email`.
pub const SENSITIVE_CONSTRUCTOR_FIELDS: &[(&str, &str)] = &[
    ("chatInviteExported", "link"),
    ("exportedChatlistInvite", "url"),
    ("phone.exportedGroupCallInvite", "link"),
    ("recentMeUrlChatInvite", "url"),
    ("exportedContactToken", "url"),
    ("phone.groupCallStreamRtmpUrl", "key"),
    ("authorization", "hash"),
    ("webAuthorization", "hash"),
    ("updateNewAuthorization", "hash"),
    ("auth.exportedAuthorization", "bytes"),
    ("urlAuthResultAccepted", "url"),
    ("webViewResultUrl", "url"),
    ("emojiURL", "url"),
    ("payments.starsRevenueAdsAccountUrl", "url"),
    ("toncenter.streamingUrl", "url"),
    ("payments.starsRevenueWithdrawalUrl", "url"),
    ("payments.starGiftWithdrawalUrl", "url"),
    ("onrampSession", "url"),
    ("messageActionGiftCode", "slug"),
    ("wallet.encryptedSecretPhrasePart", "data"),
    ("phoneConnectionWebrtc", "username"),
    ("phoneConnectionWebrtc", "password"),
    ("account.passwordSettings", "email"),
    ("account.emailVerified", "email"),
    ("account.emailVerifiedLogin", "email"),
    ("paymentRequestedInfo", "email"),
    ("securePlainEmail", "email"),
];

/// Removes the sensitive fields everywhere in `value`; returns how many were dropped.
pub fn drop_sensitive(value: &mut Value) -> usize {
    match value {
        Value::Object(map) => {
            let before = map.len();
            map.retain(|k, _| !SENSITIVE_FIELDS.contains(&k.as_str()));
            let mut dropped = before - map.len();
            if let Some(constructor) = map.get("_").and_then(Value::as_str).map(str::to_owned) {
                for (c, field) in SENSITIVE_CONSTRUCTOR_FIELDS {
                    if c.eq_ignore_ascii_case(&constructor) && map.remove(*field).is_some() {
                        dropped += 1;
                    }
                }
            }
            dropped + map.values_mut().map(drop_sensitive).sum::<usize>()
        }
        Value::Array(items) => items.iter_mut().map(drop_sensitive).sum(),
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn unknown_methods_suggest_close_names() {
        let e = method("messages.getHistroy").unwrap_err();
        assert!(e.0.contains("messages.getHistory"), "{e}");
        assert_eq!(
            full_name(method("MESSAGES.GETHISTORY").unwrap()),
            "messages.getHistory"
        );
    }

    #[test]
    fn errors_name_the_field_path() {
        let m = method("messages.sendMedia").unwrap();
        let params = json!({
            "peer": {"_": "inputPeerSelf"},
            "message": "",
            "random_id": 1,
            "media": {"_": "inputMediaTodo", "todo": {
                "title": {"text": "t", "entities": []},
                "list": [
                    {"id": 1, "title": {"text": "a", "entities": []}},
                    {"id": 2}
                ]
            }}
        });
        let e = encode_call(m, &params).unwrap_err();
        assert_eq!(
            e.0,
            "media.todo.list[1].title: missing required field (TextWithEntities) of todoItem"
        );
    }

    #[test]
    fn flags_come_from_presence() {
        let m = method("messages.getHistory").unwrap();
        let bytes = encode_call(
            m,
            &json!({"peer": "inputPeerSelf", "offset_id": 0, "offset_date": 0, "add_offset": 0,
                "limit": 10, "max_id": 0, "min_id": 0, "hash": "0"}),
        )
        .unwrap();
        assert_eq!(&bytes[..4], &m.id.to_le_bytes());
        let back = decode::function(schema(), &bytes).unwrap();
        assert_eq!(back["limit"], 10);
        assert_eq!(back["peer"]["_"], "inputPeerSelf");

        let m = method("messages.sendMessage").unwrap();
        let p = json!({"peer": {"_": "inputPeerSelf"}, "message": "hi", "random_id": "-5",
            "silent": true, "noforwards": false, "flags": 12345});
        let bytes = encode_call(m, &p).unwrap();
        let back = decode::function(schema(), &bytes).unwrap();
        assert_eq!(back["silent"], true);
        assert!(back.get("noforwards").is_none());
        assert_eq!(back["random_id"], -5);
        let e = encode_call(m, &json!({"peer": {"_": "inputPeerSelf"}})).unwrap_err();
        assert!(e.0.contains("message: missing required field"), "{e}");
        let e = encode_call(
            m,
            &json!({"peer": {"_": "inputUserSelf"}, "message": "", "random_id": 1}),
        )
        .unwrap_err();
        assert!(e.0.contains("is a InputUser"), "{e}");
    }

    #[test]
    fn sensitive_fields_are_dropped() {
        let mut v = json!({"users": [{"_": "user", "id": 1, "access_hash": "9", "phone": "1"}]});
        assert_eq!(drop_sensitive(&mut v), 2);
        assert_eq!(v, json!({"users": [{"_": "user", "id": 1}]}));
    }

    #[test]
    fn secrets_are_dropped_by_constructor() {
        let mut v = json!({"_": "account.authorizations", "authorization_ttl_days": 7,
            "authorizations": [{"_": "authorization", "hash": "123", "device_model": "pc"}]});
        assert_eq!(drop_sensitive(&mut v), 1);
        assert!(v["authorizations"][0].get("hash").is_none());
        assert_eq!(v["authorizations"][0]["device_model"], "pc");

        let mut v = json!({"_": "phone.groupCallStreamRtmpUrl", "url": "rtmps://x", "key": "k"});
        drop_sensitive(&mut v);
        assert_eq!(
            v,
            json!({"_": "phone.groupCallStreamRtmpUrl", "url": "rtmps://x"})
        );

        let mut v = json!({"_": "messages.exportedChatInvite", "users": [],
            "invite": {"_": "chatInviteExported", "link": "https://t.me/+abc", "admin_id": 1}});
        drop_sensitive(&mut v);
        assert!(v["invite"].get("link").is_none());
        assert_eq!(v["invite"]["admin_id"], 1);

        // The same field names elsewhere are kept.
        let mut v = json!({"_": "exportedMessageLink", "link": "https://t.me/c/1/2", "html": ""});
        assert_eq!(drop_sensitive(&mut v), 0);
        let mut v = json!({"_": "webPage", "url": "https://example.org", "hash": 5});
        assert_eq!(drop_sensitive(&mut v), 0);
    }

    #[test]
    fn the_redaction_lists_name_real_fields() {
        let s = schema();
        let has_field = |d: &Definition, f: &str| d.params.iter().any(|p| p.name == f);
        for (constructor, field) in SENSITIVE_CONSTRUCTOR_FIELDS {
            let d = s
                .constructor(constructor)
                .unwrap_or_else(|| panic!("no constructor {constructor}"));
            assert_eq!(full_name(d), *constructor);
            assert!(has_field(d, field), "{constructor} has no {field}");
        }
        // `auth_key` is in no constructor of this layer; kept in case one brings it back.
        for field in SENSITIVE_FIELDS.iter().filter(|f| **f != "auth_key") {
            assert!(
                s.types().any(|d| has_field(d, field)),
                "no constructor has {field}"
            );
        }
    }
}
