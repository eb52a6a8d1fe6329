//! Tool schemas cost the model context on every session, so they are trimmed once at start:
//! no `$schema` or numeric `format` annotations, enums of constants as plain `enum`, and in
//! output schemas no descriptions, no `null` alternatives (absent fields are omitted, never
//! null) and no `required` lists inside shared definitions. Input validation is unchanged.

use serde_json::{Map, Value};

/// Compacts an input schema in place.
pub fn input(schema: &mut Map<String, Value>) {
    schema.remove("$schema");
    walk(schema, false);
}

/// Compacts an output schema in place. Nested definitions also lose `required`: the tool's own
/// fields stay required, but repeating that for every shared definition (entity, message,
/// media…) in every tool costs more context than it tells.
pub fn output(schema: &mut Map<String, Value>) {
    schema.remove("$schema");
    walk(schema, true);
    if let Some(Value::Object(defs)) = schema.get_mut("$defs") {
        for def in defs.values_mut() {
            if let Value::Object(def) = def {
                def.remove("required");
            }
        }
    }
}

fn walk(object: &mut Map<String, Value>, output: bool) {
    object.remove("format");
    if output {
        object.remove("description");
        drop_null(object);
    } else if object.get("default") == Some(&Value::Null) {
        object.remove("default");
    }
    constants_to_enum(object);
    for (key, value) in object.iter_mut() {
        // Property names are data, not schema keywords: walk into their values only.
        match value {
            Value::Object(child) if key == "properties" || key == "$defs" => {
                for property in child.values_mut() {
                    if let Value::Object(p) = property {
                        walk(p, output);
                    }
                }
            }
            Value::Object(child) => walk(child, output),
            Value::Array(items) => {
                for item in items {
                    if let Value::Object(child) = item {
                        walk(child, output);
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
                object.insert(k.clone(), v.clone());
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
                "description": {"type": "string"}
            },
            "required": ["id"]
        });
        super::output(schema.as_object_mut().unwrap());
        assert_eq!(
            schema,
            json!({
                "properties": {
                    "id": {"type": "integer"},
                    "link": {"type": "string"},
                    "chat": {"$ref": "#/$defs/Entity"},
                    "description": {"type": "string"}
                },
                "required": ["id"]
            })
        );
    }

    #[test]
    fn input_enums_become_plain_enums() {
        let mut schema = json!({"properties": {"scope": {"oneOf": [
            {"const": "auto", "type": "string", "description": "a"},
            {"const": "full", "type": "string"}
        ]}, "q": {"type": ["string", "null"], "default": null, "description": "kept"}}});
        super::input(schema.as_object_mut().unwrap());
        assert_eq!(
            schema["properties"]["scope"],
            json!({"type": "string", "enum": ["auto", "full"]})
        );
        assert_eq!(
            schema["properties"]["q"],
            json!({"type": ["string", "null"], "description": "kept"})
        );
    }
}
