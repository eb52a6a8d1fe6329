//! The schema-driven codec against the whole layer: a sample of every constructor and every
//! function is encoded, decoded and encoded again to the same bytes; a hand-picked set is also
//! read back with grammers' generated types, which proves the bytes are what Telegram expects.

use fast_mcp_telegram::mtproto::{self, decode, encode, full_name, schema};
use grammers_tl_parser::tl::{Category, Definition, ParameterType, Type};
use grammers_tl_types as tl;
use grammers_tl_types::{Deserializable, Serializable};
use serde_json::{Map, Value, json};

/// Below this depth optional fields are filled and vectors hold one item; deeper, the sample
/// takes the cheapest constructors and empty vectors so it ends.
const FULL_DEPTH: usize = 3;
const MAX_DEPTH: usize = 40;

fn primitive(ty: &Type) -> Option<Value> {
    if !ty.namespace.is_empty() {
        return None;
    }
    Some(match ty.name.as_str() {
        "int" => json!(7),
        // Beyond 2^53: travels as a decimal string.
        "long" => json!("1311768467463790320"),
        "double" => json!(1.5),
        "string" => json!("s"),
        "bytes" => json!("aGk="),
        "int128" => json!("00112233445566778899aabbccddeeff"),
        "int256" => json!("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"),
        "Bool" => json!(true),
        "true" => json!(true),
        _ => return None,
    })
}

/// How many boxed, required fields a constructor needs (the cost of going deeper).
fn cost(d: &Definition) -> usize {
    d.params
        .iter()
        .filter(|p| match &p.ty {
            ParameterType::Normal { ty, flag: None } => {
                primitive(ty).is_none() && ty.name != "Vector" && ty.name != "vector"
            }
            _ => false,
        })
        .count()
}

fn sample(ty: &Type, depth: usize) -> Value {
    assert!(depth < MAX_DEPTH, "the sample of {ty} does not end");
    if let Some(v) = primitive(ty) {
        return v;
    }
    if ty.name == "Vector" || ty.name == "vector" {
        let item = ty.generic_arg.as_deref().unwrap();
        return if depth < FULL_DEPTH {
            json!([sample(item, depth + 1)])
        } else {
            json!([])
        };
    }
    let s = schema();
    let name = if ty.namespace.is_empty() {
        ty.name.clone()
    } else {
        format!("{}.{}", ty.namespace.join("."), ty.name)
    };
    if ty.bare {
        return object(s.constructor(&name).unwrap(), depth + 1);
    }
    let choices = s.constructors_of(&name);
    assert!(!choices.is_empty(), "no constructor for {name}");
    let pick = if depth < FULL_DEPTH {
        choices[0]
    } else {
        *choices
            .iter()
            .min_by_key(|d| (cost(d), d.params.len()))
            .unwrap()
    };
    object(pick, depth + 1)
}

fn object(d: &Definition, depth: usize) -> Value {
    let mut out = Map::new();
    out.insert("_".into(), Value::String(full_name(d)));
    for p in &d.params {
        if let ParameterType::Normal { ty, flag } = &p.ty {
            if flag.is_some() && depth >= FULL_DEPTH {
                continue;
            }
            out.insert(p.name.clone(), sample(ty, depth));
        }
    }
    Value::Object(out)
}

/// Encodes the sample of a constructor (boxed), decodes it and encodes the decoded JSON again.
fn round_trip(d: &Definition) -> Vec<u8> {
    let s = schema();
    let v = object(d, 0);
    let bytes = encode::value(s, &d.ty, &v).unwrap_or_else(|e| panic!("{}: {e}", full_name(d)));
    assert_eq!(bytes[..4], d.id.to_le_bytes(), "{}", full_name(d));
    let back = decode::value(s, &d.ty, &bytes).unwrap_or_else(|e| panic!("{}: {e}", full_name(d)));
    // Bool answers are JSON booleans; every other constructor names itself.
    if back.is_object() {
        assert_eq!(back["_"], full_name(d));
    }
    let again = encode::value(s, &d.ty, &back).unwrap_or_else(|e| panic!("{}: {e}", full_name(d)));
    assert_eq!(bytes, again, "{} re-encodes differently", full_name(d));
    bytes
}

#[test]
fn every_constructor_of_the_layer_round_trips() {
    let s = schema();
    let mut count = 0;
    for d in s.types() {
        round_trip(d);
        count += 1;
    }
    eprintln!("{count} constructors round-tripped");
    assert!(count > 1400, "{count}");
}

#[test]
fn every_function_of_the_layer_round_trips() {
    let s = schema();
    let mut count = 0;
    for d in s.functions().filter(|d| !mtproto::schema::is_generic(d)) {
        let v = object(d, 0);
        let bytes = mtproto::encode_call(d, &v).unwrap_or_else(|e| panic!("{}: {e}", full_name(d)));
        let back = decode::function(s, &bytes).unwrap_or_else(|e| panic!("{}: {e}", full_name(d)));
        assert_eq!(back["_"], full_name(d));
        let again = mtproto::encode_call(d, &back).unwrap();
        assert_eq!(bytes, again, "{}", full_name(d));
        count += 1;
    }
    eprintln!("{count} functions round-tripped");
    assert!(count > 700, "{count}");
    assert!(
        s.definitions
            .iter()
            .all(|d| d.category == Category::Types || d.category == Category::Functions)
    );
}

/// grammers reads `bytes` as `T` and writes the very same bytes back.
fn grammers_agrees<T: Deserializable + Serializable>(name: &str) {
    let d = schema()
        .constructor(name)
        .unwrap_or_else(|| panic!("no constructor {name}"));
    let bytes = round_trip(d);
    let parsed = T::from_bytes(&bytes).unwrap_or_else(|e| panic!("{name}: grammers: {e:?}"));
    assert_eq!(parsed.to_bytes(), bytes, "{name}");
}

fn grammers_agrees_on_call<T: Deserializable + Serializable>(name: &str) {
    let d = mtproto::method(name).unwrap();
    let bytes = mtproto::encode_call(d, &object(d, 0)).unwrap();
    // A function's deserialiser reads the body: the id was read to pick it.
    let parsed = T::from_bytes(&bytes[4..]).unwrap_or_else(|e| panic!("{name}: grammers: {e:?}"));
    assert_eq!(parsed.to_bytes(), bytes, "{name}");
}

#[test]
fn grammers_reads_what_the_codec_writes() {
    use tl::enums as e;
    grammers_agrees::<e::InputPeer>("inputPeerUser");
    grammers_agrees::<e::InputPeer>("inputPeerChannelFromMessage");
    grammers_agrees::<e::InputUser>("inputUser");
    grammers_agrees::<e::MessagesFilter>("inputMessagesFilterPhoneCalls");
    grammers_agrees::<e::Message>("message");
    grammers_agrees::<e::Message>("messageService");
    grammers_agrees::<e::User>("user");
    grammers_agrees::<e::Chat>("channel");
    grammers_agrees::<e::messages::Messages>("messages.channelMessages");
    grammers_agrees::<e::MessageMedia>("messageMediaPhoto");
    grammers_agrees::<e::MessageMedia>("messageMediaDocument");
    grammers_agrees::<e::Photo>("photo");
    grammers_agrees::<e::Document>("document");
    grammers_agrees::<e::MessageEntity>("messageEntityTextUrl");
    grammers_agrees::<e::Update>("updateNewMessage");
    grammers_agrees::<e::Updates>("updates");
    grammers_agrees::<e::ReplyMarkup>("replyInlineMarkup");
    grammers_agrees::<e::ChatFull>("channelFull");
    grammers_agrees::<e::UserFull>("userFull");
    grammers_agrees::<e::Dialog>("dialog");
    grammers_agrees::<e::InputMedia>("inputMediaTodo");
    grammers_agrees::<e::MessageReplyHeader>("messageReplyHeader");
    grammers_agrees::<e::Config>("config");
    grammers_agrees::<e::InputCheckPasswordSrp>("inputCheckPasswordSRP");
    grammers_agrees::<e::auth::Authorization>("auth.authorization");
    grammers_agrees_on_call::<tl::functions::messages::GetHistory>("messages.getHistory");
    grammers_agrees_on_call::<tl::functions::messages::Search>("messages.search");
    grammers_agrees_on_call::<tl::functions::messages::SendMessage>("messages.sendMessage");
    grammers_agrees_on_call::<tl::functions::messages::SendMedia>("messages.sendMedia");
    grammers_agrees_on_call::<tl::functions::channels::EditBanned>("channels.editBanned");
}

#[test]
fn typed_grammers_values_decode_as_expected() {
    let peer = tl::enums::InputPeer::Channel(tl::types::InputPeerChannel {
        channel_id: 5,
        access_hash: i64::MIN,
    });
    let v = mtproto::decode_boxed("InputPeer", &peer.to_bytes()).unwrap();
    assert_eq!(
        v,
        json!({"_": "inputPeerChannel", "channel_id": 5, "access_hash": "-9223372036854775808"})
    );
    let ty: Type = "Vector<long>".parse().unwrap();
    let bytes = encode::value(schema(), &ty, &json!([1, "2"])).unwrap();
    assert_eq!(bytes, vec![1i64, 2].to_bytes());
    assert_eq!(decode::value(schema(), &ty, &bytes).unwrap(), json!([1, 2]));
}

#[path = "mtproto_typed/types.rs"]
mod typed;

/// The Rust type name space of a TL type (`messages.Messages`).
fn type_key(d: &Definition) -> String {
    if d.ty.namespace.is_empty() {
        d.ty.name.clone()
    } else {
        format!("{}.{}", d.ty.namespace.join("."), d.ty.name)
    }
}

#[test]
fn grammers_reads_and_rewrites_every_constructor_the_codec_writes() {
    let s = schema();
    let (mut checked, mut builtin) = (0, 0);
    for d in s.types() {
        let bytes = round_trip(d);
        match typed::rewrite_as(&type_key(d), &bytes) {
            Some(Ok(rewritten)) => {
                assert_eq!(
                    rewritten,
                    bytes,
                    "{}: grammers writes other bytes",
                    full_name(d)
                );
                checked += 1;
            }
            Some(Err(e)) => panic!("{}: grammers cannot read it: {e}", full_name(d)),
            None => builtin += 1,
        }
    }
    eprintln!("{checked} constructors read and rewritten by grammers; {builtin} built-in");
    // Only boolFalse, boolTrue and true: grammers maps them to Rust's bool.
    assert!(builtin <= 3, "{builtin} constructors had no grammers type");
    assert!(checked > 1400, "{checked}");
}
