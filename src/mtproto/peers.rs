//! Peer resolution for `invoke_mtproto`: a parameter (of the method or of a nested object)
//! with a peer-like name whose value is a chat identifier ("me", "@name", an id, a t.me link) becomes the input
//! constructor its declared type needs, through the facade's resolver.

use std::pin::Pin;

use grammers_tl_parser::tl::{Definition, ParameterType, Type};
use grammers_tl_types as tl;
use serde_json::{Value, json};

use crate::telegram::peers::Resolved;
use crate::telegram::{Telegram, TelegramError};

/// The parameter names resolved (as the reference server does).
pub const PEER_PARAMS: &[&str] = &[
    "peer",
    "from_peer",
    "to_peer",
    "user",
    "user_id",
    "channel",
    "chat",
    "chat_id",
    "users",
    "chats",
    "peers",
];

/// The declared types a chat identifier converts to.
const TARGETS: &[&str] = &[
    "InputPeer",
    "InputUser",
    "InputChannel",
    "InputDialogPeer",
    "InputNotifyPeer",
    "long",
];

/// Replaces identifiers in `params` by input constructors: in the method's fields and in the
/// fields of nested objects (`folder_peers[0].peer`), wherever the field name is peer-like.
pub async fn resolve(
    tg: &Telegram,
    method: &Definition,
    params: &mut Value,
) -> Result<(), TelegramError> {
    resolve_fields(tg, method, params, 0).await
}

/// Nesting followed at most (real parameters nest three or four deep).
const MAX_DEPTH: usize = 16;

type Step<'a> = Pin<Box<dyn Future<Output = Result<(), TelegramError>> + Send + 'a>>;

fn resolve_fields<'a>(
    tg: &'a Telegram,
    def: &'a Definition,
    value: &'a mut Value,
    depth: usize,
) -> Step<'a> {
    Box::pin(async move {
        let Value::Object(fields) = value else {
            return Ok(());
        };
        if depth > MAX_DEPTH {
            return Ok(());
        }
        for p in &def.params {
            let ParameterType::Normal { ty, .. } = &p.ty else {
                continue;
            };
            let Some(value) = fields.get_mut(&p.name) else {
                continue;
            };
            let (item, values): (&Type, Vec<&mut Value>) =
                match (ty.name.as_str(), ty.generic_arg.as_deref(), value) {
                    ("Vector" | "vector", Some(item), Value::Array(items)) => {
                        (item, items.iter_mut().collect())
                    }
                    ("Vector" | "vector", _, _) => continue,
                    (_, _, value) => (ty, vec![value]),
                };
            let peer_like = PEER_PARAMS.contains(&p.name.as_str())
                && item.namespace.is_empty()
                && TARGETS.contains(&item.name.as_str());
            for v in values {
                if peer_like && (v.is_string() || v.is_number()) {
                    convert(tg, item, &p.name, v).await?;
                } else if v.is_object()
                    && let Some(inner) = constructor_for(item, v)
                {
                    resolve_fields(tg, inner, v, depth + 1).await?;
                }
            }
        }
        Ok(())
    })
}

/// The constructor a nested object stands for: named in `"_"`, or its type's only one.
fn constructor_for(ty: &Type, v: &Value) -> Option<&'static Definition> {
    let schema = crate::mtproto::schema();
    let type_name = crate::mtproto::schema::type_name(ty);
    if ty.bare {
        return schema.constructor(&type_name);
    }
    match v.get("_").and_then(Value::as_str) {
        Some(name) => schema.constructor(name),
        None => {
            let choices = schema.constructors_of(&type_name);
            (choices.len() == 1).then(|| choices[0])
        }
    }
}

/// Converts one identifier; objects (already constructors) and other values stay as they are.
async fn convert(
    tg: &Telegram,
    ty: &Type,
    name: &str,
    value: &mut Value,
) -> Result<(), TelegramError> {
    let identifier = match value {
        Value::String(s) => s.clone(),
        // A number is already a bare id where a long is declared.
        Value::Number(_) if ty.name == "long" => return Ok(()),
        Value::Number(n) => n.to_string(),
        _ => return Ok(()),
    };
    // A constructor named by a plain string ("inputPeerSelf") is not an identifier.
    if ty.name != "long" && crate::mtproto::schema().constructor(&identifier).is_some() {
        return Ok(());
    }
    let resolved = tg.resolve(&identifier).await?;
    *value = input_json(&resolved, ty.name.as_str(), name)?;
    Ok(())
}

fn input_json(resolved: &Resolved, ty: &str, name: &str) -> Result<Value, TelegramError> {
    let peer = || boxed("InputPeer", resolved.input_peer_bytes());
    let not = |what: &str| {
        TelegramError::InvalidArgument(format!("{name}: chat {} is not {what}", resolved.id))
    };
    Ok(match ty {
        "InputPeer" => peer()?,
        "InputUser" => boxed(
            "InputUser",
            resolved.input_user_bytes().ok_or_else(|| not("a user"))?,
        )?,
        "InputChannel" => boxed(
            "InputChannel",
            resolved
                .input_channel_bytes()
                .ok_or_else(|| not("a channel or supergroup"))?,
        )?,
        "InputDialogPeer" => json!({"_": "inputDialogPeer", "peer": peer()?}),
        "InputNotifyPeer" => json!({"_": "inputNotifyPeer", "peer": peer()?}),
        // A bare id: the user, basic group or channel id without the -100 prefix.
        _ => crate::mtproto::decode::long_value(resolved.bare_id()),
    })
}

fn boxed(ty: &str, bytes: Vec<u8>) -> Result<Value, TelegramError> {
    crate::mtproto::decode_boxed(ty, &bytes).map_err(|e| TelegramError::Other(e.to_string()))
}

/// Caches the access hashes of the users and chats an answer carries (before sensitive fields
/// are dropped), so later calls — this tool's resolution and the other tools — can name them.
pub async fn remember(tg: &Telegram, answer: &Value) {
    let mut users = Vec::new();
    let mut chats = Vec::new();
    collect(answer, &mut users, &mut chats);
    if !users.is_empty() || !chats.is_empty() {
        tg.remember(&users, &chats).await;
    }
}

/// Enough for any page of results; a huge answer is not worth walking further.
const REMEMBER_MAX: usize = 1_000;

fn collect(v: &Value, users: &mut Vec<tl::enums::User>, chats: &mut Vec<tl::enums::Chat>) {
    if users.len() + chats.len() >= REMEMBER_MAX {
        return;
    }
    match v {
        Value::Object(map) => {
            match map.get("_").and_then(Value::as_str) {
                Some("user") => users.extend(typed::<tl::enums::User>("User", v)),
                Some("channel" | "chat") => chats.extend(typed::<tl::enums::Chat>("Chat", v)),
                _ => {}
            }
            for child in map.values() {
                collect(child, users, chats);
            }
        }
        Value::Array(items) => {
            for item in items {
                collect(item, users, chats);
            }
        }
        _ => {}
    }
}

/// The grammers value of a decoded object: encoded back by the codec, read by grammers.
fn typed<T: grammers_tl_types::Deserializable>(ty: &str, v: &Value) -> Option<T> {
    let ty: Type = ty.parse().ok()?;
    let bytes = crate::mtproto::encode::value(crate::mtproto::schema(), &ty, v).ok()?;
    T::from_bytes(&bytes).ok()
}
