//! What `invoke_mtproto` may call, decided in two steps.
//!
//! 1. **The method's class**, from the reviewed table [`METHOD_CLASSES`]
//!    (`method_classes.txt`): every function of the embedded layer exactly once, as `read`
//!    (a pure read, the only class read-only mode allows), `write` (an ordinary, reversible
//!    action of the user) or `dangerous` (needs `allow_dangerous`). A method the table does
//!    not name is dangerous, so a new layer cannot slip anything through; the unit tests fail
//!    until the table is reviewed against the layer.
//! 2. **The parameters actually sent**: whatever its class, a call is dangerous when its JSON
//!    parameters — the whole tree, nested objects and lists included — carry a field or a
//!    constructor ruled in the reviewed table [`PARAM_RULES`] (`param_rules.txt`: paying
//!    Stars, revoking, deleting, sharing the phone number, a 2FA password, invoices, paid
//!    media…). Such a call is not a read either.
//!
//! [`judge`] combines both into a [`Verdict`].

use std::collections::HashMap;
use std::fmt;
use std::sync::LazyLock;

use serde_json::Value;

/// The reviewed table: `namespace.method class`, `#` starts a comment.
pub const METHOD_CLASSES: &str = include_str!("method_classes.txt");

/// How a method is treated; ordered from harmless to dangerous.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Class {
    /// Changes nothing anyone can see, has no side effect; allowed in read-only mode.
    Read,
    /// An ordinary, reversible action of the user; allowed without `allow_dangerous`.
    Write,
    /// Needs `allow_dangerous: true`.
    Dangerous,
}

impl Class {
    pub fn as_str(self) -> &'static str {
        match self {
            Class::Read => "read",
            Class::Write => "write",
            Class::Dangerous => "dangerous",
        }
    }

    fn parse(word: &str) -> Option<Class> {
        match word {
            "read" => Some(Class::Read),
            "write" => Some(Class::Write),
            "dangerous" => Some(Class::Dangerous),
            _ => None,
        }
    }
}

impl fmt::Display for Class {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One line of the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// 1-based line number in `method_classes.txt`.
    pub line: usize,
    pub name: String,
    pub class: Class,
    /// The reason written after `#`, if any.
    pub note: Option<String>,
}

/// Parses the table; a malformed line is an error naming it.
pub fn parse_table(text: &str) -> Result<Vec<Entry>, String> {
    let mut entries = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let (body, note) = match raw.split_once('#') {
            Some((body, note)) => (body, Some(note.trim().to_string())),
            None => (raw, None),
        };
        let words: Vec<&str> = body.split_whitespace().collect();
        match words.as_slice() {
            [] => continue,
            [name, class] => {
                let class = Class::parse(class)
                    .ok_or_else(|| format!("line {}: unknown class {class:?}", i + 1))?;
                entries.push(Entry {
                    line: i + 1,
                    name: (*name).to_string(),
                    class,
                    note: note.filter(|n| !n.is_empty()),
                });
            }
            _ => {
                return Err(format!(
                    "line {}: expected `name class`, got {:?}",
                    i + 1,
                    raw.trim()
                ));
            }
        }
    }
    Ok(entries)
}

/// Lowercase name → (class, note). Malformed lines are skipped (their methods stay
/// dangerous); a name listed twice keeps its most dangerous class.
static TABLE: LazyLock<HashMap<String, (Class, Option<String>)>> = LazyLock::new(|| {
    let mut table: HashMap<String, (Class, Option<String>)> = HashMap::new();
    for line in METHOD_CLASSES.lines() {
        let Ok(entries) = parse_table(line) else {
            continue;
        };
        for e in entries {
            let slot = table
                .entry(e.name.to_ascii_lowercase())
                .or_insert((e.class, e.note.clone()));
            if e.class > slot.0 {
                *slot = (e.class, e.note);
            }
        }
    }
    table
});

/// The class of a method (any case); dangerous when the table does not name it.
pub fn class_of(name: &str) -> Class {
    TABLE
        .get(&name.trim().to_ascii_lowercase())
        .map_or(Class::Dangerous, |(class, _)| *class)
}

/// The reviewer's reason for a method's class, if the table gives one.
pub fn note_of(name: &str) -> Option<&'static str> {
    TABLE
        .get(&name.trim().to_ascii_lowercase())
        .and_then(|(_, note)| note.as_deref())
}

/// Whether the table names the method at all.
pub fn is_listed(name: &str) -> bool {
    TABLE.contains_key(&name.trim().to_ascii_lowercase())
}

/// When a parameter makes a call dangerous.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum When {
    /// Set to something: `true`, a non-zero number (or decimal string), a non-empty string
    /// or list, an object other than `boolFalse`.
    Set,
    /// Present at all (any value but `null`).
    Present,
}

/// A parameter (of the method or of any nested object) that makes a call dangerous.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamRule {
    pub field: String,
    pub when: When,
    /// Why, as the error message says it: "`field` …".
    pub why: String,
    /// `(method, path)` pairs where the field only filters what is read.
    pub except_in: Vec<(String, String)>,
    /// When not empty, the rule holds only in these methods.
    pub only_in: Vec<String>,
}

/// A constructor that makes a call dangerous wherever it appears (in `"_"`, or as a plain
/// string naming a constructor without fields), matched in any case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConstructorRule {
    /// A name, or a prefix when it ends in `*`.
    pub pattern: String,
    pub why: String,
}

/// The reviewed rules of `param_rules.txt`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DangerRules {
    pub params: Vec<ParamRule>,
    pub constructors: Vec<ConstructorRule>,
}

/// The reviewed rules on parameters and constructors; the file's header gives its format.
pub const PARAM_RULES: &str = include_str!("param_rules.txt");

/// Parses the rules; a malformed line is an error naming it.
pub fn parse_rules(text: &str) -> Result<DangerRules, String> {
    let mut rules = DangerRules {
        params: Vec::new(),
        constructors: Vec::new(),
    };
    for (i, raw) in text.lines().enumerate() {
        let line = raw.split_once('#').map_or(raw, |(body, _)| body);
        let bad = |what: &str| format!("line {}: {what}, got {:?}", i + 1, raw.trim());
        let mut words = line.split_whitespace();
        let Some(keyword) = words.next() else {
            continue;
        };
        let rest = |words: std::str::SplitWhitespace| words.collect::<Vec<_>>().join(" ");
        match keyword {
            "field" => {
                let (Some(field), Some(when)) = (words.next(), words.next()) else {
                    return Err(bad("expected `field NAME set|present WHY`"));
                };
                let when = match when {
                    "set" => When::Set,
                    "present" => When::Present,
                    _ => return Err(bad("expected `set` or `present`")),
                };
                let why = rest(words);
                if why.is_empty() {
                    return Err(bad("a field rule needs its reason"));
                }
                rules.params.push(ParamRule {
                    field: field.to_string(),
                    when,
                    why,
                    except_in: Vec::new(),
                    only_in: Vec::new(),
                });
            }
            "except" | "only" => {
                let Some(rule) = rules.params.last_mut() else {
                    return Err(bad("`except` and `only` follow a `field` line"));
                };
                let names: Vec<String> = words.map(str::to_string).collect();
                match (keyword, names.as_slice()) {
                    ("except", [method, path]) => {
                        rule.except_in.push((method.clone(), path.clone()))
                    }
                    ("only", [_, ..]) => rule.only_in.extend(names),
                    _ => return Err(bad("expected `except METHOD PATH` or `only METHOD…`")),
                }
            }
            "constructor" => {
                let Some(pattern) = words.next() else {
                    return Err(bad("expected `constructor PATTERN WHY`"));
                };
                let why = rest(words);
                if why.is_empty() {
                    return Err(bad("a constructor rule needs its reason"));
                }
                rules.constructors.push(ConstructorRule {
                    pattern: pattern.to_string(),
                    why,
                });
            }
            _ => return Err(bad("expected `field`, `except`, `only` or `constructor`")),
        }
    }
    Ok(rules)
}

/// The embedded rules, parsed once; `None` if they are malformed (a unit test keeps them
/// well-formed, and every call is then refused as dangerous rather than judged without them).
fn danger_rules() -> Option<&'static DangerRules> {
    static RULES: LazyLock<Option<DangerRules>> =
        LazyLock::new(|| match parse_rules(PARAM_RULES) {
            Ok(rules) => Some(rules),
            Err(e) => {
                tracing::error!(
                    "param_rules.txt is malformed ({e}): every invoke_mtproto call is dangerous"
                );
                None
            }
        });
    RULES.as_ref()
}

fn matches_pattern(pattern: &str, name: &str) -> bool {
    let name = name.trim().to_ascii_lowercase();
    match pattern.strip_suffix('*') {
        Some(prefix) => name.starts_with(&prefix.to_ascii_lowercase()),
        None => name == pattern.to_ascii_lowercase(),
    }
}

impl DangerRules {
    fn constructor(&self, name: &str) -> Option<&str> {
        self.constructors
            .iter()
            .find(|c| matches_pattern(&c.pattern, name))
            .map(|c| c.why.as_str())
    }

    /// The rule `key` (at `path`) trips in `method` with `value`.
    fn param(&self, method: &str, key: &str, path: &str, value: &Value) -> Option<&ParamRule> {
        self.params.iter().find(|r| {
            r.field.eq_ignore_ascii_case(key)
                && (r.only_in.is_empty()
                    || r.only_in.iter().any(|m| m.eq_ignore_ascii_case(method)))
                && !r
                    .except_in
                    .iter()
                    .any(|(m, p)| m.eq_ignore_ascii_case(method) && p.eq_ignore_ascii_case(path))
                && match r.when {
                    When::Set => is_set(value),
                    When::Present => !value.is_null(),
                }
        })
    }
}

/// Whether a value counts as set (see [`When::Set`]).
pub fn is_set(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => {
            let s = s.trim();
            match s.parse::<f64>() {
                Ok(f) => f != 0.0,
                Err(_) => !s.is_empty(),
            }
        }
        Value::Array(items) => !items.is_empty(),
        Value::Object(o) => !o
            .get("_")
            .and_then(Value::as_str)
            .is_some_and(|n| n.trim().eq_ignore_ascii_case("boolFalse")),
    }
}

/// A parameter that makes a call dangerous: where, and why (never its value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tripped {
    /// The path of the field, as the codec names it (`media._`, `multi_media[0].media._`).
    pub path: String,
    pub why: &'static str,
}

impl fmt::Display for Tripped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.path, self.why)
    }
}

/// The first parameter of `params` (already parsed from its JSON string) that makes a call
/// of `method` dangerous.
pub fn dangerous_param(method: &str, params: &Value) -> Option<Tripped> {
    match danger_rules() {
        Some(rules) => walk(rules, method, params, ""),
        None => Some(Tripped {
            path: "params".to_string(),
            why: "cannot be checked: the parameter rules are malformed",
        }),
    }
}

fn child(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_string()
    } else {
        format!("{path}.{name}")
    }
}

fn walk(rules: &'static DangerRules, method: &str, v: &Value, path: &str) -> Option<Tripped> {
    match v {
        Value::Object(map) => {
            if let Some(name) = map.get("_").and_then(Value::as_str)
                && let Some(why) = rules.constructor(name)
            {
                return Some(Tripped {
                    path: child(path, "_"),
                    why,
                });
            }
            for (key, value) in map {
                if key == "_" {
                    continue;
                }
                let here = child(path, key);
                if let Some(r) = rules.param(method, key, &here, value) {
                    return Some(Tripped {
                        path: here,
                        why: &r.why,
                    });
                }
                if let Some(t) = walk(rules, method, value, &here) {
                    return Some(t);
                }
            }
            None
        }
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, item)| walk(rules, method, item, &format!("{path}[{i}]"))),
        // A constructor without fields may be named by a plain string.
        Value::String(s) => super::schema()
            .constructor(s)
            .and_then(|_| rules.constructor(s))
            .map(|why| Tripped {
                path: if path.is_empty() {
                    "params".to_string()
                } else {
                    path.to_string()
                },
                why,
            }),
        _ => None,
    }
}

/// What the rules say about one call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub class: Class,
    /// A parameter that makes the call dangerous whatever the class.
    pub tripped: Option<Tripped>,
}

impl Verdict {
    /// Allowed in read-only mode: a read whose parameters trip no rule.
    pub fn is_read(&self) -> bool {
        self.class == Class::Read && self.tripped.is_none()
    }

    /// Needs `allow_dangerous`.
    pub fn is_dangerous(&self) -> bool {
        self.class == Class::Dangerous || self.tripped.is_some()
    }
}

/// The verdict on calling `method` (canonical name) with `params` (parsed JSON).
pub fn judge(method: &str, params: &Value) -> Verdict {
    Verdict {
        class: class_of(method),
        tripped: dangerous_param(method, params),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use grammers_tl_parser::tl::{Parameter, ParameterType, Type};
    use serde_json::json;

    use super::*;
    use crate::mtproto::schema::{full_name, type_name};
    use crate::mtproto::{Schema, schema};

    fn rules() -> &'static DangerRules {
        danger_rules().expect("param_rules.txt parses")
    }

    #[test]
    fn the_parameter_rules_parse_and_keep_their_exceptions() {
        let rules = parse_rules(PARAM_RULES).unwrap();
        assert_eq!((rules.params.len(), rules.constructors.len()), (49, 12));
        let revoked = rules.params.iter().find(|r| r.field == "revoked").unwrap();
        assert_eq!(
            revoked.except_in,
            [("messages.getExportedChatInvites".into(), "revoked".into())]
        );
        let bot = rules.params.iter().find(|r| r.field == "bot").unwrap();
        assert_eq!(bot.when, When::Present);
        assert_eq!(
            bot.only_in,
            ["photos.updateProfilePhoto", "photos.uploadProfilePhoto"]
        );
        let suggested = rules
            .params
            .iter()
            .find(|r| r.field == "suggested_post")
            .unwrap();
        assert_eq!(
            suggested.why,
            "is a suggested post, which can carry a Star or TON price"
        );
    }

    #[test]
    fn a_malformed_rule_line_is_named() {
        for (text, line) in [
            ("field stars sometimes moves Stars", 1),
            ("field stars set", 1),
            ("\n  except messages.getHistory x", 2),
            ("field delete set deletes\n  except channels.getAdminLog", 2),
            ("constructor inputInvoice*", 1),
            ("fields stars set moves Stars", 1),
        ] {
            let error = parse_rules(text).unwrap_err();
            assert!(
                error.starts_with(&format!("line {line}:")),
                "{text:?}: {error}"
            );
        }
    }

    #[test]
    fn every_function_is_classified_once() {
        let entries = parse_table(METHOD_CLASSES).unwrap();
        let mut seen: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for e in &entries {
            seen.entry(e.name.clone()).or_default().push(e.line);
        }
        let twice: Vec<_> = seen.iter().filter(|(_, lines)| lines.len() > 1).collect();
        assert!(twice.is_empty(), "listed more than once: {twice:?}");

        let functions: BTreeSet<String> = schema().functions().map(full_name).collect();
        let missing: Vec<&String> = functions
            .iter()
            .filter(|f| !seen.contains_key(*f))
            .collect();
        assert!(
            missing.is_empty(),
            "{} functions of layer {} are not classified in method_classes.txt (review each, \
             then add it): {missing:?}",
            missing.len(),
            schema().layer
        );
        let unknown: Vec<&String> = seen.keys().filter(|n| !functions.contains(*n)).collect();
        assert!(
            unknown.is_empty(),
            "method_classes.txt names methods the layer lacks: {unknown:?}"
        );
        assert_eq!(entries.len(), functions.len());
        for f in &functions {
            assert!(is_listed(f), "{f}");
        }
    }

    #[test]
    fn class_counts_are_plausible() {
        let entries = parse_table(METHOD_CLASSES).unwrap();
        let count = |c| entries.iter().filter(|e| e.class == c).count();
        assert!(count(Class::Read) > 250, "{}", count(Class::Read));
        assert!(count(Class::Write) > 150, "{}", count(Class::Write));
        assert!(count(Class::Dangerous) > 250, "{}", count(Class::Dangerous));
    }

    #[test]
    fn unknown_methods_are_dangerous() {
        assert_eq!(class_of("messages.notInThisLayer"), Class::Dangerous);
        assert_eq!(class_of(""), Class::Dangerous);
        assert!(!is_listed("messages.notInThisLayer"));
        assert_eq!(class_of("MESSAGES.GETHISTORY"), Class::Read);
    }

    #[test]
    fn malformed_tables_are_refused() {
        assert!(parse_table("messages.getHistory readish\n").is_err());
        assert!(parse_table("messages.getHistory read extra\n").is_err());
        let ok = parse_table("# c\n\nmessages.getHistory read # why\n").unwrap();
        assert_eq!(ok[0].line, 3);
        assert_eq!(ok[0].note.as_deref(), Some("why"));
    }

    /// Methods an attacker once got through without `allow_dangerous`, and others of note.
    #[test]
    fn the_reviewed_examples_have_their_class() {
        for name in [
            "account.sendVerifyEmailCode",
            "account.verifyEmail",
            "account.registerDevice",
            "account.updateConnectedBot",
            "messages.acceptUrlAuth",
            "messages.requestUrlAuth",
            "channels.editAdmin",
            "messages.sendPaidReaction",
            "payments.transferStarGift",
            "payments.convertStarGift",
            "payments.upgradeStarGift",
            "payments.saveStarGift",
            "payments.updateStarGiftPrice",
            "payments.sendStarGiftOffer",
            "payments.resolveStarGiftOffer",
            "payments.craftStarGift",
            "payments.changeStarsSubscription",
            "payments.fulfillStarsSubscription",
            "payments.sendStarsForm",
            "payments.sendPaymentForm",
            "payments.getPaymentForm",
            "messages.discardEncryption",
            "channels.convertToGigagroup",
            "messages.migrateChat",
            "account.updateUsername",
            "channels.updateUsername",
            "account.setAccountTTL",
            "account.deleteAccount",
            "messages.deleteMessages",
            "messages.deleteHistory",
            "messages.deleteChatUser",
            "channels.deleteHistory",
            "channels.deleteMessages",
            "auth.logOut",
            "auth.resetAuthorizations",
            "auth.acceptLoginToken",
            "auth.exportAuthorization",
            "channels.leaveChannel",
            "channels.editBanned",
            "contacts.block",
            "contacts.importContacts",
            "messages.clearAllDrafts",
            "account.getTmpPassword",
            "account.updatePasswordSettings",
            "account.changePhone",
            "account.setPrivacy",
            "account.initTakeoutSession",
            "messages.exportChatInvite",
            "messages.editChatCreator",
            "contacts.getLocated",
            "bots.exportBotToken",
            "wallet.exportSecretPhrase",
            "wallet.sendTransfer",
            "invokeWithLayer",
            "initConnection",
        ] {
            assert_eq!(class_of(name), Class::Dangerous, "{name}");
        }
        for name in [
            "messages.getWebPagePreview",
            "messages.getWebPage",
            "messages.getInlineBotResults",
            "messages.getBotCallbackAnswer",
            "messages.getMessagesViews",
            "messages.sendMessage",
            "messages.sendMedia",
            "messages.forwardMessages",
            "messages.editMessage",
            "messages.readHistory",
            "messages.saveDraft",
            "messages.sendReaction",
            "messages.updatePinnedMessage",
            "channels.joinChannel",
            "account.updateProfile",
            "account.updateNotifySettings",
            "folders.editPeerFolders",
            "messages.createChat",
            "messages.sendVote",
            "stories.readStories",
        ] {
            assert_eq!(class_of(name), Class::Write, "{name}");
        }
        for name in [
            "messages.getHistory",
            "messages.search",
            "messages.getDialogs",
            "contacts.resolveUsername",
            "help.getConfig",
            "langpack.getLangPack",
            "account.checkUsername",
            "account.getAuthorizations",
            "channels.searchPosts",
            "phone.getGroupCallStreamRtmpUrl",
            "users.getFullUser",
            "payments.getStarsStatus",
        ] {
            assert_eq!(class_of(name), Class::Read, "{name}");
        }
        // Every name above is a function of the layer.
        let schema = schema();
        for e in parse_table(METHOD_CLASSES).unwrap() {
            assert!(schema.function(&e.name).is_some(), "{}", e.name);
        }
    }

    #[test]
    fn parameters_make_any_method_dangerous() {
        let send = |extra: Value| {
            let mut p = json!({"peer": "me", "message": "hi", "random_id": 1});
            for (k, v) in extra.as_object().unwrap() {
                p[k] = v.clone();
            }
            judge("messages.sendMessage", &p)
        };
        let plain = send(json!({}));
        assert_eq!(plain.class, Class::Write);
        assert!(!plain.is_dangerous() && !plain.is_read());
        for (extra, path) in [
            (json!({"allow_paid_stars": 10}), "allow_paid_stars"),
            (json!({"allow_paid_stars": "10"}), "allow_paid_stars"),
            (
                json!({"allow_paid_floodskip": true}),
                "allow_paid_floodskip",
            ),
            (
                json!({"suggested_post": {"schedule_date": 1}}),
                "suggested_post",
            ),
            (
                json!({"reply_markup": {"_": "x", "rows": [{"buttons": [{"revoke": true}]}]}}),
                "reply_markup.rows[0].buttons[0].revoke",
            ),
        ] {
            let v = send(extra.clone());
            assert!(v.is_dangerous(), "{extra}");
            assert_eq!(v.tripped.unwrap().path, path, "{extra}");
        }
        for extra in [
            json!({"allow_paid_stars": 0}),
            json!({"allow_paid_stars": "0"}),
            json!({"allow_paid_stars": null}),
            json!({"allow_paid_floodskip": false}),
            json!({"suggested_post": null}),
            json!({"silent": true}),
        ] {
            assert!(!send(extra.clone()).is_dangerous(), "{extra}");
        }

        // Reads stop being reads.
        let posts = json!({"query": "x", "offset_rate": 0, "offset_peer": "inputPeerEmpty",
            "offset_id": 0, "limit": 10});
        assert!(judge("channels.searchPosts", &posts).is_read());
        let mut paid = posts.clone();
        paid["allow_paid_stars"] = json!(5);
        let v = judge("channels.searchPosts", &paid);
        assert!(!v.is_read() && v.is_dangerous());
        let rtmp = json!({"peer": "me", "revoke": false});
        assert!(judge("phone.getGroupCallStreamRtmpUrl", &rtmp).is_read());
        let v = judge(
            "phone.getGroupCallStreamRtmpUrl",
            &json!({"peer": "me", "revoke": true}),
        );
        assert_eq!(v.tripped.unwrap().path, "revoke");
        let v = judge(
            "phone.getGroupCallStreamRtmpUrl",
            &json!({"peer": "me", "revoke": {"_": "boolTrue"}}),
        );
        assert!(v.is_dangerous());
        assert!(
            !judge(
                "phone.getGroupCallStreamRtmpUrl",
                &json!({"peer": "me", "revoke": {"_": "BoolFalse"}})
            )
            .is_dangerous()
        );

        // Each named attack.
        for (method, params, path) in [
            (
                "messages.acceptUrlAuth",
                json!({"share_phone_number": true, "url": "https://x"}),
                "share_phone_number",
            ),
            (
                "messages.discardEncryption",
                json!({"delete_history": true, "chat_id": 1}),
                "delete_history",
            ),
            (
                "messages.deleteChatUser",
                json!({"revoke_history": true, "chat_id": 1, "user_id": "me"}),
                "revoke_history",
            ),
            (
                "messages.exportChatInvite",
                json!({"peer": "me", "legacy_revoke_permanent": true}),
                "legacy_revoke_permanent",
            ),
            (
                "messages.getBotCallbackAnswer",
                json!({"peer": "me", "msg_id": 1,
                    "password": {"_": "inputCheckPasswordSRP", "srp_id": 1}}),
                "password",
            ),
            (
                "contacts.resolveUsername",
                json!({"username": "x", "referer": "ref"}),
                "referer",
            ),
            (
                "messages.sendMedia",
                json!({"peer": "me", "message": "", "random_id": 1,
                    "media": {"_": "InputMediaPaidMedia", "stars_amount": 0, "extended_media": []}}),
                "media._",
            ),
            (
                "messages.sendMultiMedia",
                json!({"peer": "me", "multi_media": [{"media": {"_": "inputMediaStakeDice"}}]}),
                "multi_media[0].media._",
            ),
            (
                "messages.sendMedia",
                json!({"peer": "me", "message": "", "random_id": 1,
                    "media": {"_": "inputMediaContact", "phone_number": "+15551234567",
                        "first_name": "a", "last_name": "", "vcard": ""}}),
                "media.phone_number",
            ),
            (
                "messages.sendReaction",
                json!({"peer": "me", "msg_id": 1, "reaction": ["reactionPaid"]}),
                "reaction[0]",
            ),
            (
                "phone.toggleGroupCallSettings",
                json!({"call": {}, "reset_invite_hash": true}),
                "reset_invite_hash",
            ),
            (
                "stories.updateAlbum",
                json!({"peer": "me", "album_id": 1, "delete_stories": [3]}),
                "delete_stories",
            ),
            (
                "account.toggleWebBrowserSettingsException",
                json!({"delete": true, "url": "https://x"}),
                "delete",
            ),
            (
                "phone.sendGroupCallMessage",
                json!({"call": {}, "random_id": 1, "message": {}, "allow_paid_stars": 1}),
                "allow_paid_stars",
            ),
        ] {
            let v = judge(method, &params);
            assert!(v.is_dangerous(), "{method} {params}");
            assert!(!v.is_read(), "{method} {params}");
            assert_eq!(v.tripped.unwrap().path, path, "{method}");
        }

        // A filter, not an action, where listed.
        assert!(
            dangerous_param(
                "messages.getExportedChatInvites",
                &json!({"revoked": true, "peer": "me", "admin_id": "me", "limit": 5})
            )
            .is_none()
        );
        assert!(
            dangerous_param(
                "messages.editExportedChatInvite",
                &json!({"revoked": true, "peer": "me", "link": "x"})
            )
            .is_some()
        );
        assert!(
            dangerous_param(
                "channels.getAdminLog",
                &json!({"channel": "@c", "q": "", "events_filter": {"delete": true},
                    "max_id": 0, "min_id": 0, "limit": 5})
            )
            .is_none()
        );
        // `bot` changes a bot only in the profile-photo methods.
        let photo = json!({"id": {"_": "inputPhotoEmpty"}});
        assert!(dangerous_param("photos.updateProfilePhoto", &photo).is_none());
        let mut of_bot = photo.clone();
        of_bot["bot"] = json!({"_": "inputUserSelf"});
        assert!(dangerous_param("photos.updateProfilePhoto", &of_bot).is_some());
        assert!(
            dangerous_param(
                "messages.startBot",
                &json!({"bot": {"_": "inputUserSelf"}, "peer": "me", "random_id": 1,
                    "start_param": ""})
            )
            .is_none()
        );
        // Plain strings that are not constructors are text.
        assert!(
            dangerous_param(
                "messages.sendMessage",
                &json!({"message": "inputInvoiceNotAThing"})
            )
            .is_none()
        );
    }

    /// Every constructor and parameter name the rules mention exists in the layer (no stale
    /// entries).
    #[test]
    fn the_rules_name_real_fields_and_constructors() {
        let (fields, constructors) = input_side(schema());
        for r in &rules().params {
            assert!(fields.contains(&r.field), "{} is in no input", r.field);
            for (m, _) in &r.except_in {
                assert!(schema().function(m).is_some(), "{m}");
            }
            for m in &r.only_in {
                let f = schema().function(m).unwrap_or_else(|| panic!("{m}"));
                assert!(
                    f.params.iter().any(|p| p.name == r.field),
                    "{m} {}",
                    r.field
                );
            }
        }
        for ConstructorRule { pattern, .. } in &rules().constructors {
            assert!(
                constructors.iter().any(|c| matches_pattern(pattern, c)),
                "{pattern} matches no input constructor"
            );
        }
        for name in REVIEWED_HARMLESS {
            assert!(
                fields.contains(*name) || constructors.iter().any(|c| matches_pattern(name, c)),
                "{name} is in no input"
            );
        }
    }

    /// Names (of input fields and constructors) about paying, Stars, TON, gifts, premium,
    /// boosts, subscriptions, invoices, revoking, deleting, reporting, the phone number or a
    /// password, reviewed and found harmless (the method's class decides, or they only
    /// filter what is read).
    const REVIEWED_HARMLESS: &[&str] = &[
        // Filters and identifiers in reads.
        "boost_peer",
        "exclude_unsaved",
        "for_paid_reactions",
        "gift_id",
        "gifts",
        "phone_calls",
        "sort_by_price",
        "stars_only",
        "subscription_expired",
        "subscription_id",
        "ton",
        "stargift",
        "premium",
        // Only in methods classed dangerous, or inside an invoice or rights object that is.
        "boosts",
        "charge_id",
        "change_gift_settings",
        "view_gifts",
        "just_clear",
        "payload",
        "payment_data",
        "payment_method",
        "payment_token",
        "phone_code",
        "phone_code_hash",
        "phone_requested",
        "phone_to_provider",
        "prices",
        "max_tip_amount",
        "suggested_tip_amounts",
        "subscription_period",
        "new_password_hash",
        "phonecalls_less_data",
        "new_noncontact_peers_require_premium",
        "disallowed_gifts",
        "display_gifts_button",
        "disallow_limited_stargifts",
        "disallow_premium_gifts",
        "disallow_stargifts_from_channels",
        "disallow_unique_stargifts",
        "disallow_unlimited_stargifts",
        "stake_ton_amount",
        "premium_days",
        "refund",
        "subscribed",
        "subscribers_only",
        "requires_password",
        // Descriptive fields of objects Telegram returns (gifts, giveaways, channels), which
        // input types happen to nest (a poll answer or a rich message can carry media).
        "availability_resale",
        "convert_stars",
        "gift",
        "gift_address",
        "gift_emoji_id",
        "gifts_per_round",
        "offer_min_stars",
        "only_new_subscribers",
        "refunded",
        "require_premium",
        "resale_ton_only",
        "resell_min_stars",
        "subscription_until_date",
        "total_amount",
        "upgrade_stars",
        "value_amount",
        "value_usd_amount",
        "starGift",
        "starGiftUnique",
        "starGiftAttribute*",
        "starGiftBackground",
        "webPageAttributeStarGiftAuction",
        "webPageAttributeStarGiftCollection",
        "webPageAttributeUniqueStarGift",
        "privacyValueAllowPremium",
        "storyItemDeleted",
        "labeledPrice",
        // Reasons for reports (only in methods classed dangerous); text formatting.
        "inputReportReason*",
        "messageEntityDiffDelete",
        "messageEntityTonAddress",
        "textTonAddress",
        "textAutoPhone",
        "textSubscript",
        // Constructors: identifiers and settings reached through methods classed dangerous,
        // or reads.
        "inputStickerSetPremiumGifts",
        "inputStickerSetTonGifts",
        "inputSavedStarGiftUser",
        "inputSavedStarGiftChat",
        "inputSavedStarGiftSlug",
        "inputStarGiftAuction",
        "inputStarGiftAuctionSlug",
        "inputStarsTransaction",
        "inputChatThemeUniqueGift",
        "inputPrivacyKeyStarGiftsAutoSave",
        "inputPrivacyKeyNoPaidMessages",
        "inputPrivacyKeyPhoneCall",
        "inputPrivacyKeyPhoneNumber",
        "inputPrivacyKeyPhoneP2P",
        "inputPrivacyKeyAddedByPhone",
        "inputPrivacyValueAllowPremium",
        "inputCheckPasswordEmpty",
        "inputPhoneCall",
        "inputPhoneContact",
        "inputCollectiblePhone",
        "inputMessagesFilterPhoneCalls",
        "inputMediaContact",
        "paidReactionPrivacyDefault",
        "paidReactionPrivacyAnonymous",
        "paidReactionPrivacyPeer",
        "disallowedGiftsSettings",
        "mediaAreaStarGift",
        "profileTabGifts",
        "messageEntityPhone",
        "textPhone",
        "starsAmount",
        "starsTonAmount",
        "inlineButtonTypeBuy",
        "buttonTypeRequestPhone",
        "phoneCallProtocol",
        "phoneCallDiscardReasonBusy",
        "phoneCallDiscardReasonDisconnect",
        "phoneCallDiscardReasonHangup",
        "phoneCallDiscardReasonMissed",
        "phoneCallDiscardReasonMigrateConferenceCall",
        "topPeerCategoryPhoneCalls",
        "paymentRequestedInfo",
        "invoice",
        "premiumGiftCodeOption",
        "passwordKdfAlgoSHA256SHA256PBKDF2HMACSHA512iter100000SHA256ModPow",
        "passwordKdfAlgoUnknown",
        "securePasswordKdfAlgoPBKDF2HMACSHA512iter100000",
        "securePasswordKdfAlgoSHA512",
        "securePasswordKdfAlgoUnknown",
        "securePlainPhone",
        "secureValueTypePhone",
        "account.passwordInputSettings",
    ];

    fn reviewed(name: &str) -> bool {
        REVIEWED_HARMLESS
            .iter()
            .any(|r| *r == name || (r.ends_with('*') && matches_pattern(r, name)))
    }

    /// Splits `snake_case` and `camelCase` names into lowercase words.
    fn words(name: &str) -> Vec<String> {
        let mut out = Vec::new();
        for part in name.split(['_', '.']) {
            let mut word = String::new();
            for c in part.chars() {
                if c.is_ascii_uppercase() && !word.is_empty() {
                    out.push(std::mem::take(&mut word));
                }
                word.push(c.to_ascii_lowercase());
            }
            if !word.is_empty() {
                out.push(word);
            }
        }
        out
    }

    /// Whether a name is about paying, Stars, TON, gifts, revoking, deleting, reporting, the
    /// phone number or a password.
    fn watched(name: &str) -> bool {
        const EXACT: &[&str] = &["star", "ton", "tip", "fee", "share", "stake"];
        const PREFIX: &[&str] = &[
            "paid", "pay", "stars", "stargift", "starref", "price", "amount", "charge", "refund",
            "invoice", "subscri", "gift", "boost", "premium", "revoke", "delete", "phone",
            "password", "purchase", "resel", "resale", "transfer", "withdraw", "report", "referer",
        ];
        words(name)
            .iter()
            .any(|w| EXACT.contains(&w.as_str()) || PREFIX.iter().any(|p| w.starts_with(p)))
    }

    /// The field and constructor names a call can carry: the functions' parameters, and the
    /// constructors (with their fields) of every type reachable from them.
    fn input_side<'s>(schema: &'s Schema) -> (BTreeSet<String>, BTreeSet<String>) {
        let mut fields: BTreeSet<String> = BTreeSet::new();
        let mut constructors = BTreeSet::new();
        let mut types: Vec<&Type> = Vec::new();
        let mut seen = BTreeSet::new();
        let mut add = |params: &'s [Parameter], types: &mut Vec<&'s Type>| {
            for p in params {
                if let ParameterType::Normal { ty, .. } = &p.ty {
                    fields.insert(p.name.clone());
                    types.push(ty);
                }
            }
        };
        for f in schema.functions() {
            add(&f.params, &mut types);
        }
        while let Some(ty) = types.pop() {
            if let Some(arg) = ty.generic_arg.as_deref() {
                types.push(arg);
            }
            let name = type_name(ty);
            if !seen.insert(name.clone()) {
                continue;
            }
            let defs = if ty.bare {
                schema.constructor(&name).into_iter().collect()
            } else {
                schema.constructors_of(&name)
            };
            for d in defs {
                constructors.insert(full_name(d));
                add(&d.params, &mut types);
            }
        }
        (fields, constructors)
    }

    /// A new layer with, say, an `allow_paid_*` flag or an `inputInvoice…` constructor fails
    /// here until it is given a rule or reviewed as harmless.
    #[test]
    fn every_watched_parameter_is_reviewed() {
        let (fields, constructors) = input_side(schema());
        assert!(
            fields.contains("allow_paid_stars") && constructors.contains("inputMediaPaidMedia")
        );
        let unreviewed_fields: Vec<&String> = fields
            .iter()
            .filter(|f| watched(f))
            .filter(|f| !rules().params.iter().any(|r| &r.field == *f))
            .filter(|f| !reviewed(f))
            .collect();
        let unreviewed_constructors: Vec<&String> = constructors
            .iter()
            .filter(|c| watched(c))
            .filter(|c| rules().constructor(c).is_none())
            .filter(|c| !reviewed(c))
            .collect();
        assert!(
            unreviewed_fields.is_empty() && unreviewed_constructors.is_empty(),
            "give these a rule in param_rules.txt or review them as \
             harmless: fields {unreviewed_fields:?}, constructors {unreviewed_constructors:?}"
        );
        assert!(watched("allow_paid_newthing") && watched("inputInvoiceNew"));
        assert!(!watched("start_param") && !watched("button") && !watched("tone"));
    }
}
