//! Tool schemas cost the model context in every conversation, so they are trimmed once at
//! start, without changing what they accept or promise:
//!
//! - no `$schema`, numeric `format`s, `"default": null` or `"additionalProperties": true`;
//! - enums of constants as a plain `enum`;
//! - no `null` alternatives: an optional input is simply left out (an explicit `null` is
//!   dropped before validation), and an absent output field is omitted, never null. A single
//!   `type` keeps the schemas portable to clients that map them onto one-type dialects;
//! - a definition used once is written where it is used, and output definitions lose their
//!   `required` lists (the tool's own fields stay required).
//!
//! - annotations only where they tell something: `openWorldHint: true` is the protocol's
//!   default (and every tool here talks to Telegram), and `destructiveHint` / `idempotentHint`
//!   mean nothing for a tool that reads only (the protocol says so). `destructiveHint` is
//!   written for every tool that writes, either way (it is what a host warns about);
//!   `readOnlyHint: false` and `idempotentHint: false` are the defaults and left out.
//!
//! Descriptions stay where they are a field's: the doc comments of parameter and output fields
//! are the text the model reads, so they say only what a field's name and type do not. A
//! type's own doc comment (a shared definition's description) is for the code and is dropped.

use schemars::{Schema, SchemaGenerator, json_schema};
use serde_json::{Map, Value};

/// Compacts an input schema in place.
pub fn input(schema: &mut Map<String, Value>) {
    schema.remove("$schema");
    walk(schema);
    for def in definitions(schema) {
        def.remove("description");
    }
    inline_single_use(schema);
}

/// Compacts an output schema in place. Nested definitions also lose `required`: the tool's own
/// fields stay required, but repeating that for every shared definition costs more context
/// than it tells.
pub fn output(schema: &mut Map<String, Value>) {
    schema.remove("$schema");
    walk(schema);
    for def in definitions(schema) {
        def.remove("description");
        def.remove("required");
    }
    inline_single_use(schema);
}

/// Compacts a tool's annotations in place (see the module's header): each hint removed means
/// the same as the protocol's default or is ignored by its definition.
pub fn annotations(annotations: &mut rmcp::model::ToolAnnotations) {
    if annotations.open_world_hint == Some(true) {
        annotations.open_world_hint = None;
    }
    if annotations.read_only_hint == Some(true) {
        annotations.destructive_hint = None;
        annotations.idempotent_hint = None;
    }
    if annotations.idempotent_hint == Some(false) {
        annotations.idempotent_hint = None;
    }
    if annotations.read_only_hint == Some(false) {
        annotations.read_only_hint = None;
    }
}

/// The schema's `$defs`. A definition's description is its type's doc comment, written for
/// the code; what the model reads about a field is the field's own doc comment.
fn definitions(schema: &mut Map<String, Value>) -> impl Iterator<Item = &mut Map<String, Value>> {
    schema
        .get_mut("$defs")
        .and_then(Value::as_object_mut)
        .into_iter()
        .flat_map(|defs| defs.values_mut())
        .filter_map(Value::as_object_mut)
}

/// The schema of `invoke_mtproto`'s answer: every method of the layer returns a constructor
/// (an object naming itself in `"_"`), a vector or a `Bool` (see `mtproto::decode`).
pub fn telegram_answer(_: &mut SchemaGenerator) -> Schema {
    json_schema!({"anyOf": [{"type": "object"}, {"type": "array"}, {"type": "boolean"}]})
}

/// The schema of `invoke_mtproto`'s parameters: an object, or a JSON string of one.
pub fn object_or_json_string(_: &mut SchemaGenerator) -> Schema {
    json_schema!({"anyOf": [{"type": "object"}, {"type": "string"}]})
}

/// A shared shape (a message, an entity) inside an answer: an object. Its fields are the same
/// in every tool and self-describing in each answer, and spelling them out in every tool that
/// returns one cost more than half of `tools/list`.
pub fn object(_: &mut SchemaGenerator) -> Schema {
    json_schema!({"type": "object"})
}

/// A list of shared shapes (messages, entities): an array of objects.
pub fn objects(_: &mut SchemaGenerator) -> Schema {
    json_schema!({"type": "array", "items": {"type": "object"}})
}

/// A list whose name says what it holds (ids): an array.
pub fn array(_: &mut SchemaGenerator) -> Schema {
    json_schema!({"type": "array"})
}

fn walk(object: &mut Map<String, Value>) {
    object.remove("format");
    // An absent flag is false: `"default": false` tells nothing.
    if matches!(
        object.get("default"),
        Some(Value::Null | Value::Bool(false))
    ) {
        object.remove("default");
    }
    if object.get("additionalProperties") == Some(&Value::Bool(true)) {
        object.remove("additionalProperties");
    }
    drop_null(object);
    constants_to_enum(object);
    for (key, value) in object.iter_mut() {
        // Property names are data, not schema keywords: walk into their values only.
        match value {
            Value::Object(child) if key == "properties" || key == "$defs" => {
                for property in child.values_mut() {
                    if let Value::Object(p) = property {
                        walk(p);
                    }
                }
            }
            Value::Object(child) => walk(child),
            Value::Array(items) => {
                for item in items {
                    if let Value::Object(child) = item {
                        walk(child);
                    }
                }
            }
            _ => {}
        }
    }
}

/// `["string", "null"]` → `"string"`; `anyOf: [{$ref}, {type: null}]` → `$ref`.
fn drop_null(object: &mut Map<String, Value>) {
    if let Some(Value::Array(types)) = object.get("type") {
        let kept: Vec<Value> = types.iter().filter(|t| *t != "null").cloned().collect();
        if kept.len() == 1 {
            object.insert("type".into(), kept[0].clone());
        }
    }
    if let Some(Value::Array(options)) = object.get("anyOf") {
        let kept: Vec<Value> = options
            .iter()
            .filter(|o| o.get("type") != Some(&Value::String("null".into())))
            .cloned()
            .collect();
        if let [Value::Object(only)] = kept.as_slice() {
            object.remove("anyOf");
            for (k, v) in only {
                // The property's own description wins over the definition's.
                if !object.contains_key(k) {
                    object.insert(k.clone(), v.clone());
                }
            }
        }
    }
}

/// `oneOf` of string constants → `{"type": "string", "enum": [...]}`.
fn constants_to_enum(object: &mut Map<String, Value>) {
    let Some(Value::Array(options)) = object.get("oneOf") else {
        return;
    };
    let constants: Option<Vec<Value>> = options.iter().map(|o| o.get("const").cloned()).collect();
    if let Some(values) = constants.filter(|v| v.iter().all(Value::is_string)) {
        object.remove("oneOf");
        object.insert("type".into(), Value::String("string".into()));
        object.insert("enum".into(), Value::Array(values));
    }
}

/// Writes every definition referenced exactly once in place of its reference, innermost
/// first; definitions used more than once, or by themselves, stay in `$defs`.
fn inline_single_use(schema: &mut Map<String, Value>) {
    loop {
        let Some(Value::Object(defs)) = schema.get("$defs") else {
            return;
        };
        let mut counts = std::collections::HashMap::<String, usize>::new();
        count_refs(&Value::Object(schema.clone()), &mut counts);
        let name = defs.iter().find_map(|(name, def)| {
            let mut inner = std::collections::HashMap::new();
            count_refs(def, &mut inner);
            (counts.get(&pointer(name)) == Some(&1) && inner.is_empty()).then(|| name.clone())
        });
        let Some(name) = name else {
            return;
        };
        let Some(Value::Object(defs)) = schema.get_mut("$defs") else {
            return;
        };
        let Some(Value::Object(def)) = defs.remove(&name) else {
            return;
        };
        if defs.is_empty() {
            schema.remove("$defs");
        }
        replace_ref(schema, &pointer(&name), &def);
    }
}

fn pointer(name: &str) -> String {
    format!("#/$defs/{name}")
}

fn count_refs(value: &Value, counts: &mut std::collections::HashMap<String, usize>) {
    match value {
        Value::Object(object) => {
            for (key, child) in object {
                match (key.as_str(), child) {
                    ("$ref", Value::String(target)) => {
                        *counts.entry(target.clone()).or_default() += 1;
                    }
                    _ => count_refs(child, counts),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|i| count_refs(i, counts)),
        _ => {}
    }
}

/// Replaces `{"$ref": target, ...}` with the definition, the reference's own keywords (its
/// description) kept over the definition's.
fn replace_ref(object: &mut Map<String, Value>, target: &str, def: &Map<String, Value>) {
    if object.get("$ref").and_then(Value::as_str) == Some(target) {
        object.remove("$ref");
        for (k, v) in def {
            if !object.contains_key(k) {
                object.insert(k.clone(), v.clone());
            }
        }
        return;
    }
    for value in object.values_mut() {
        match value {
            Value::Object(child) => replace_ref(child, target, def),
            Value::Array(items) => {
                for item in items {
                    if let Value::Object(child) = item {
                        replace_ref(child, target, def);
                    }
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    #[test]
    fn output_schemas_lose_noise_not_meaning() {
        let mut schema = json!({
            "$schema": "x",
            "properties": {
                "id": {"type": "integer", "format": "int32", "description": "d"},
                "link": {"type": ["string", "null"]},
                "chat": {"anyOf": [{"$ref": "#/$defs/Entity"}, {"type": "null"}]},
                "sender": {"$ref": "#/$defs/Entity"},
                "media": {"anyOf": [{"$ref": "#/$defs/Media"}, {"type": "null"}], "description": "p"},
                "extra": {"type": "object", "additionalProperties": true},
                "description": {"type": "string"}
            },
            "required": ["id"],
            "$defs": {
                "Entity": {"type": "object", "properties": {"id": {"type": "integer"}},
                    "required": ["id"]},
                "Media": {"type": "object", "description": "m",
                    "properties": {"type": {"type": "string"}}, "required": ["type"]}
            }
        });
        super::output(schema.as_object_mut().unwrap());
        assert_eq!(
            schema,
            json!({
                "properties": {
                    "id": {"type": "integer", "description": "d"},
                    "link": {"type": "string"},
                    "chat": {"$ref": "#/$defs/Entity"},
                    "sender": {"$ref": "#/$defs/Entity"},
                    "media": {"type": "object", "description": "p",
                        "properties": {"type": {"type": "string"}}},
                    "extra": {"type": "object"},
                    "description": {"type": "string"}
                },
                "required": ["id"],
                "$defs": {
                    "Entity": {"type": "object", "properties": {"id": {"type": "integer"}}}
                }
            })
        );
    }

    #[test]
    fn input_enums_become_plain_enums_and_optional_is_not_null() {
        let mut schema = json!({
            "properties": {
                "scope": {"$ref": "#/$defs/Scope", "description": "which"},
                "q": {"type": ["string", "null"], "default": null, "description": "kept"},
                "ids": {"type": ["array", "null"], "items": {"type": "integer"}}
            },
            "$defs": {"Scope": {"oneOf": [
                {"const": "auto", "type": "string", "description": "a"},
                {"const": "full", "type": "string"}
            ]}}
        });
        super::input(schema.as_object_mut().unwrap());
        assert_eq!(
            schema,
            json!({"properties": {
                "scope": {"type": "string", "enum": ["auto", "full"], "description": "which"},
                "q": {"type": "string", "description": "kept"},
                "ids": {"type": "array", "items": {"type": "integer"}}
            }})
        );
    }

    #[test]
    fn recursive_definitions_stay_definitions() {
        let mut schema = json!({
            "properties": {"messages": {"type": "array", "items": {"$ref": "#/$defs/Message"}}},
            "$defs": {"Message": {"type": "object", "properties": {
                "replies": {"type": "array", "items": {"$ref": "#/$defs/Message"}}
            }}}
        });
        let before = schema.clone();
        super::output(schema.as_object_mut().unwrap());
        assert_eq!(schema, before);
    }

    /// `telegram_answer` is truthful only while every method of the embedded layer answers a
    /// boxed type: a constructor (an object), `Vector<…>` (an array) or `Bool`; never a bare
    /// number or string. (`!X` wrappers answer their inner query and are refused.)
    #[test]
    fn every_method_answers_an_object_a_vector_or_a_bool() {
        use crate::mtproto::schema::{full_name, is_generic, schema};
        for f in schema().functions() {
            assert!(
                !f.ty.bare || is_generic(f),
                "{} answers a bare {}: widen compact::telegram_answer",
                full_name(f),
                f.ty.name
            );
        }
    }
}
