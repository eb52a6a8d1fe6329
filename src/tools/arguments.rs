//! Tool arguments, checked before a tool is dispatched (`call_tool`), so that a wrong argument
//! is answered in the words of the schema the model read, naming the field:
//!
//! - `chat_id must be a string (got the number 123)`
//! - `limit must be an integer from 1 to 100 (got "ten")`
//! - `unknown argument "chatid" (did you mean "chat_id"?)`
//! - `missing required argument "chat_id"`
//!
//! and never in serde's or Rust's (`invalid type: integer 123, expected i64`).
//!
//! 1. [`drop_nulls`]: a top-level argument whose value is JSON `null` means "not given"; it is
//!    removed, and the parameter takes its default (whether or not the schema lists `null`).
//! 2. [`check`]: the arguments are validated against the tool's input schema as listed (after
//!    `compact::input`) with a JSON Schema validator, compiled once per tool and cached.
//! 3. The schema is the advertised contract; a few parameters accept more than it says
//!    (`find_chats` takes `filter` for `folder`, and a folder id as a number;
//!    `send_message_to_phone` takes a bare number as `phone_number`). So the schema's verdict
//!    decides the answer only when the tool's own deserialiser refuses the arguments too:
//!    `call_tool` checks first, dispatches, and answers with [`check`]'s message when the
//!    deserialiser fails — before the tool's code has run, so nothing was sent. What the
//!    schema lets through but the deserialiser refuses (an integer out of its Rust type's range,
//!    `1.0` for an integer) is worded by [`explain_serde`], in JSON words too.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use jsonschema::error::{TypeKind, ValidationErrorKind};
use rmcp::model::JsonObject;
use serde_json::Value;

/// At most this many problems are listed in one answer.
const MAX_PROBLEMS: usize = 5;
/// Strings longer than this are described by their length, not quoted.
const MAX_QUOTED: usize = 60;

/// Removes the top-level arguments whose value is `null` ("not given").
pub fn drop_nulls(arguments: &mut Option<JsonObject>) {
    if let Some(map) = arguments {
        map.retain(|_, value| !value.is_null());
    }
}

/// A tool's input schema, compiled.
struct Compiled {
    /// The schema it was compiled from (to notice a changed schema).
    schema: Arc<JsonObject>,
    /// The same, as a value (to look up what a field accepts).
    root: Value,
    validator: jsonschema::Validator,
}

/// The tool's compiled input schema, cached by tool name (recompiled if the schema changed).
fn compiled(tool: &str, schema: &Arc<JsonObject>) -> Option<Arc<Compiled>> {
    type Cache = Mutex<HashMap<String, Arc<Compiled>>>;
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(cached) = cache.lock().expect("validator cache").get(tool)
        && (Arc::ptr_eq(&cached.schema, schema) || cached.schema == *schema)
    {
        return Some(Arc::clone(cached));
    }
    let root = Value::Object((**schema).clone());
    let validator = match jsonschema::validator_for(&root) {
        Ok(v) => v,
        Err(e) => {
            tracing::warn!(tool, "the input schema does not compile: {e}");
            return None;
        }
    };
    let compiled = Arc::new(Compiled {
        schema: Arc::clone(schema),
        root,
        validator,
    });
    cache
        .lock()
        .expect("validator cache")
        .insert(tool.to_string(), Arc::clone(&compiled));
    Some(compiled)
}

/// Checks `arguments` (an object, nulls already dropped) against `tool`'s input `schema`:
/// `None` when they fit, else what is wrong, in plain words naming each field.
pub fn check(tool: &str, schema: &Arc<JsonObject>, arguments: &Value) -> Option<String> {
    let compiled = compiled(tool, schema)?;
    let mut problems: Vec<String> = Vec::new();
    for error in compiled.validator.iter_errors(arguments) {
        for problem in describe(&compiled.root, arguments, &error) {
            if !problems.contains(&problem) {
                problems.push(problem);
            }
        }
    }
    join(problems)
}

fn join(problems: Vec<String>) -> Option<String> {
    if problems.is_empty() {
        return None;
    }
    let more = problems.len().saturating_sub(MAX_PROBLEMS);
    let mut text = problems
        .into_iter()
        .take(MAX_PROBLEMS)
        .collect::<Vec<_>>()
        .join("; ");
    if more > 0 {
        text.push_str(&format!("; and {more} more"));
    }
    Some(text)
}

/// One step of a path into the arguments.
#[derive(Debug, Clone, PartialEq)]
enum Step {
    Key(String),
    Index(usize),
}

/// The steps of a JSON pointer into `instance` (array positions read as indices).
fn steps(instance: &Value, pointer: &str) -> Vec<Step> {
    let mut node = Some(instance);
    let mut steps = Vec::new();
    for raw in pointer.split('/').skip(1) {
        let segment = raw.replace("~1", "/").replace("~0", "~");
        let step = match (node, segment.parse::<usize>()) {
            (Some(Value::Array(_)), Ok(i)) => Step::Index(i),
            _ => Step::Key(segment),
        };
        node = match (&step, node) {
            (Step::Index(i), Some(Value::Array(a))) => a.get(*i),
            (Step::Key(k), Some(Value::Object(o))) => o.get(k),
            _ => None,
        };
        steps.push(step);
    }
    steps
}

/// `chat_id`, `message_ids[1]`, `params.peer`; the root is "the arguments".
fn path_name(steps: &[Step]) -> String {
    let mut name = String::new();
    for step in steps {
        match step {
            Step::Index(i) => name.push_str(&format!("[{i}]")),
            Step::Key(k) if name.is_empty() => name.push_str(k),
            Step::Key(k) => {
                name.push('.');
                name.push_str(k);
            }
        }
    }
    if name.is_empty() {
        "the arguments".into()
    } else {
        name
    }
}

/// A local `$ref` followed; an `anyOf`/`oneOf` of one form and `null` read as that form.
fn resolve<'a>(root: &'a Value, mut node: &'a Value) -> &'a Value {
    for _ in 0..16 {
        if let Some(target) = node
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| r.strip_prefix('#'))
            .and_then(|p| root.pointer(p))
        {
            node = target;
            continue;
        }
        if node.get("type").is_none()
            && let Some(forms) = node
                .get("anyOf")
                .or_else(|| node.get("oneOf"))
                .and_then(Value::as_array)
        {
            let not_null: Vec<&Value> = forms
                .iter()
                .filter(|f| f.get("type").and_then(Value::as_str) != Some("null"))
                .collect();
            if let [only] = not_null.as_slice() {
                node = only;
                continue;
            }
        }
        break;
    }
    node
}

/// The schema that describes the value at `steps`.
fn subschema<'a>(root: &'a Value, steps: &[Step]) -> Option<&'a Value> {
    let mut node = resolve(root, root);
    for step in steps {
        node = match step {
            Step::Key(k) => node.get("properties")?.get(k)?,
            Step::Index(_) => node.get("items")?,
        };
        node = resolve(root, node);
    }
    Some(node)
}

/// What `schema` accepts, in words: "an integer from 1 to 100", "one of "auto", "full"",
/// "an array of integers".
fn expected(root: &Value, schema: &Value) -> Option<String> {
    let schema = resolve(root, schema);
    if let Some(options) = schema.get("enum").and_then(Value::as_array) {
        let options: Vec<String> = options
            .iter()
            .filter(|o| !o.is_null())
            .map(Value::to_string)
            .collect();
        return Some(match options.as_slice() {
            [one] => one.clone(),
            _ => format!("one of {}", options.join(", ")),
        });
    }
    if let Some(value) = schema.get("const") {
        return Some(value.to_string());
    }
    let types: Vec<&str> = match schema.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ => return None,
    };
    let shown: Vec<&str> = if types.len() > 1 {
        types.iter().copied().filter(|t| *t != "null").collect()
    } else {
        types
    };
    let words: Vec<String> = shown.iter().map(|t| type_words(root, schema, t)).collect();
    (!words.is_empty()).then(|| words.join(" or "))
}

fn type_words(root: &Value, schema: &Value, json_type: &str) -> String {
    match json_type {
        "integer" => format!("an integer{}", range(schema, true)),
        "number" => format!("a number{}", range(schema, false)),
        "string" => {
            let min = schema.get("minLength").and_then(Value::as_u64);
            let max = schema.get("maxLength").and_then(Value::as_u64);
            match (min, max) {
                (Some(1), None) => "a non-empty string".into(),
                (Some(min), Some(max)) if min > 0 => {
                    format!("a string of {min} to {max} characters")
                }
                (_, Some(max)) => format!("a string of at most {max} characters"),
                (Some(min), None) if min > 0 => format!("a string of at least {min} characters"),
                _ => "a string".into(),
            }
        }
        "boolean" => "true or false".into(),
        "array" => {
            let items =
                schema
                    .get("items")
                    .map(|i| resolve(root, i))
                    .and_then(|i| match i.get("type") {
                        Some(Value::String(t)) => plural(t),
                        _ => None,
                    });
            let mut words = match items {
                Some(items) => format!("an array of {items}"),
                None => "an array".into(),
            };
            let min = schema.get("minItems").and_then(Value::as_u64);
            let max = schema.get("maxItems").and_then(Value::as_u64);
            match (min, max) {
                (Some(min), Some(max)) if min > 0 => {
                    words.push_str(&format!(" with {min} to {max} items"))
                }
                (_, Some(max)) => words.push_str(&format!(" with at most {max} items")),
                (Some(min), None) if min > 0 => {
                    words.push_str(&format!(" with at least {min} items"))
                }
                _ => {}
            }
            words
        }
        "object" => "an object".into(),
        "null" => "null".into(),
        other => format!("of type {other}"),
    }
}

fn plural(json_type: &str) -> Option<&'static str> {
    Some(match json_type {
        "string" => "strings",
        "integer" => "integers",
        "number" => "numbers",
        "boolean" => "booleans",
        "object" => "objects",
        "array" => "arrays",
        _ => return None,
    })
}

/// " from 1 to 100", " of at least 0", " of at most 10", or nothing.
fn range(schema: &Value, integer: bool) -> String {
    // An inclusive bound as given; an exclusive one, on integers, as the inclusive one next
    // to it (`exclusiveMinimum: 0` is "at least 1").
    let bound = |inclusive: &str, exclusive: &str, step: i64| -> Option<String> {
        if let Some(v) = schema.get(inclusive).filter(|v| v.is_number()) {
            return Some(v.to_string());
        }
        let n = schema.get(exclusive)?.as_i64().filter(|_| integer)?;
        Some(n.saturating_add(step).to_string())
    };
    let min = bound("minimum", "exclusiveMinimum", 1);
    let max = bound("maximum", "exclusiveMaximum", -1);
    let over = schema.get("exclusiveMinimum").filter(|v| v.is_number());
    let under = schema.get("exclusiveMaximum").filter(|v| v.is_number());
    match (min, max, over, under) {
        (Some(min), Some(max), _, _) => format!(" from {min} to {max}"),
        (Some(min), None, _, None) => format!(" of at least {min}"),
        (Some(min), None, _, Some(under)) => format!(" of at least {min} and less than {under}"),
        (None, Some(max), None, _) => format!(" of at most {max}"),
        (None, Some(max), Some(over), _) => format!(" greater than {over} and at most {max}"),
        (None, None, Some(over), Some(under)) => {
            format!(" greater than {over} and less than {under}")
        }
        (None, None, Some(over), None) => format!(" greater than {over}"),
        (None, None, None, Some(under)) => format!(" less than {under}"),
        (None, None, None, None) => String::new(),
    }
}

/// A value as given, for "(got …)": `"ten"`, `0`, `true`, `null`, `an array of 3 items`.
fn shown(value: &Value) -> String {
    match value {
        Value::String(s) if s.chars().count() > MAX_QUOTED => {
            format!("a string of {} characters", s.chars().count())
        }
        Value::Array(a) => match a.len() {
            0 => "an empty array".into(),
            1 => "an array of 1 item".into(),
            n => format!("an array of {n} items"),
        },
        Value::Object(_) => "an object".into(),
        other => other.to_string(),
    }
}

/// A value as given, its type spelt out where that is the point: `the number 123`.
fn shown_typed(value: &Value) -> String {
    match value {
        Value::Number(n) => format!("the number {n}"),
        other => shown(other),
    }
}

fn json_type_words(json_type: &str) -> &'static str {
    match json_type {
        "integer" => "an integer",
        "number" => "a number",
        "string" => "a string",
        "boolean" => "true or false",
        "array" => "an array",
        "object" => "an object",
        "null" => "null",
        _ => "another type",
    }
}

/// The problems one validation error stands for, in plain words.
fn describe(
    root: &Value,
    instance: &Value,
    error: &jsonschema::ValidationError<'_>,
) -> Vec<String> {
    let steps = steps(instance, error.instance_path().as_str());
    let path = path_name(&steps);
    let at_root = steps.is_empty();
    let schema = subschema(root, &steps);
    let value = error.instance().as_ref();
    let expected = schema.and_then(|s| expected(root, s));
    let must_be = |fallback: String, got: String| {
        format!(
            "{path} must be {} (got {got})",
            expected.clone().unwrap_or(fallback)
        )
    };
    let problem = match error.kind() {
        ValidationErrorKind::Type { kind } => {
            let fallback = match kind {
                TypeKind::Single(t) => json_type_words(t.as_str()).to_string(),
                TypeKind::Multiple(_) => "of another type".to_string(),
            };
            must_be(fallback, shown_typed(value))
        }
        ValidationErrorKind::Enum { options } => {
            let options = options
                .as_array()
                .map(|o| {
                    o.iter()
                        .map(Value::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .unwrap_or_default();
            must_be(format!("one of {options}"), shown(value))
        }
        ValidationErrorKind::Constant { expected_value } => {
            must_be(expected_value.to_string(), shown(value))
        }
        ValidationErrorKind::Minimum { limit } => {
            must_be(format!("at least {limit}"), shown(value))
        }
        ValidationErrorKind::Maximum { limit } => must_be(format!("at most {limit}"), shown(value)),
        ValidationErrorKind::ExclusiveMinimum { limit } => {
            must_be(format!("greater than {limit}"), shown(value))
        }
        ValidationErrorKind::ExclusiveMaximum { limit } => {
            must_be(format!("less than {limit}"), shown(value))
        }
        ValidationErrorKind::MultipleOf { multiple_of } => {
            must_be(format!("a multiple of {multiple_of}"), shown(value))
        }
        ValidationErrorKind::MinLength { limit } | ValidationErrorKind::MaxLength { limit } => {
            let length = value.as_str().map_or(0, |s| s.chars().count());
            let fallback = match error.kind() {
                ValidationErrorKind::MinLength { .. } => {
                    format!("a string of at least {limit} characters")
                }
                _ => format!("a string of at most {limit} characters"),
            };
            must_be(fallback, format!("{length} characters"))
        }
        ValidationErrorKind::MinItems { limit } | ValidationErrorKind::MaxItems { limit } => {
            let fallback = match error.kind() {
                ValidationErrorKind::MinItems { .. } => {
                    format!("an array of at least {limit} items")
                }
                _ => format!("an array of at most {limit} items"),
            };
            must_be(fallback, shown(value))
        }
        ValidationErrorKind::UniqueItems => format!("{path} must not repeat an item"),
        ValidationErrorKind::Required { property } => {
            let name = property
                .as_str()
                .map_or_else(|| property.to_string(), str::to_string);
            if at_root {
                format!("missing required argument \"{name}\"")
            } else {
                format!("{path} is missing the field \"{name}\"")
            }
        }
        ValidationErrorKind::AdditionalProperties { unexpected }
        | ValidationErrorKind::UnevaluatedProperties { unexpected } => {
            let known: Vec<&str> = schema
                .and_then(|s| s.get("properties"))
                .and_then(Value::as_object)
                .map(|p| p.keys().map(String::as_str).collect())
                .unwrap_or_default();
            return unexpected
                .iter()
                .map(|name| unknown(&path, at_root, name, &known))
                .collect();
        }
        ValidationErrorKind::Pattern { pattern } => {
            must_be(format!("a string matching {pattern}"), shown(value))
        }
        ValidationErrorKind::Format { format } => must_be(format!("a {format}"), shown(value)),
        ValidationErrorKind::AnyOf { .. }
        | ValidationErrorKind::OneOfNotValid { .. }
        | ValidationErrorKind::OneOfMultipleValid { .. } => must_be(
            "one of the forms the schema allows".into(),
            shown_typed(value),
        ),
        ValidationErrorKind::FalseSchema if !at_root => match steps.last() {
            Some(Step::Key(name)) if steps.len() == 1 => unknown("", true, name, &[]),
            _ => format!("{path} is not allowed"),
        },
        _ => format!("{path}: {}", error.masked()),
    };
    vec![problem]
}

/// `unknown argument "chatid" (did you mean "chat_id"?)`.
fn unknown(path: &str, at_root: bool, name: &str, known: &[&str]) -> String {
    let what = if at_root {
        format!("unknown argument \"{name}\"")
    } else {
        format!("{path} has no field \"{name}\"")
    };
    match closest(name, known) {
        Some(near) => format!("{what} (did you mean \"{near}\"?)"),
        None if !known.is_empty() => format!("{what} (the known ones: {})", known.join(", ")),
        None => what,
    }
}

/// The known name `name` was most likely meant to be: equal once case, `_` and `-` are
/// ignored, or at most two edits away.
fn closest<'a>(name: &str, known: &[&'a str]) -> Option<&'a str> {
    let norm = |s: &str| -> Vec<char> {
        s.chars()
            .filter(|c| !matches!(c, '_' | '-' | ' '))
            .flat_map(char::to_lowercase)
            .collect()
    };
    let wanted = norm(name);
    known
        .iter()
        .map(|k| (edit_distance(&wanted, &norm(k)), *k))
        .filter(|(d, k)| *d == 0 || (*d <= 2 && wanted.len() > 3 && k.len() > 3))
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

fn edit_distance(a: &[char], b: &[char]) -> usize {
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != cb);
            current.push(substitution.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}

// ---------------------------------------------------------------------------------------
// serde's messages, in JSON words
// ---------------------------------------------------------------------------------------

/// The numbers and booleans among `arguments`, with their paths: what [`explain_serde`] looks
/// at to name the field a deserialisation error is about (serde's messages do not).
pub fn scalars(arguments: &Value) -> Vec<(String, Value)> {
    fn walk(value: &Value, steps: &mut Vec<Step>, out: &mut Vec<(String, Value)>) {
        if out.len() >= 256 {
            return;
        }
        match value {
            Value::Number(_) | Value::Bool(_) => out.push((path_name(steps), value.clone())),
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    steps.push(Step::Index(i));
                    walk(item, steps, out);
                    steps.pop();
                }
            }
            Value::Object(map) => {
                for (key, item) in map {
                    steps.push(Step::Key(key.clone()));
                    walk(item, steps, out);
                    steps.pop();
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(arguments, &mut Vec::new(), &mut out);
    out
}

/// A serde deserialisation message (rmcp's `failed to deserialize parameters: …` with its
/// prefix removed) in JSON words: no Rust type names, the field named when `scalars` show
/// which one it is.
pub fn explain_serde(message: &str, scalars: &[(String, Value)]) -> String {
    let message = message.trim();
    if let Some(rest) = message.strip_prefix("missing field ") {
        return format!("missing required argument {}", quoted(rest));
    }
    if let Some(rest) = message.strip_prefix("unknown field ") {
        let name = rest.split(", expected").next().unwrap_or(rest);
        let name = name.split(", there are no fields").next().unwrap_or(name);
        return format!("unknown argument {}", quoted(name));
    }
    if let Some(rest) = message.strip_prefix("unknown variant ") {
        let (got, expected) = rest.split_once(", expected ").unwrap_or((rest, ""));
        let expected = expected.strip_prefix("one of ").unwrap_or(expected);
        return format!(
            "an argument must be one of {} (got {})",
            words(expected),
            quoted(got)
        );
    }
    for prefix in ["invalid type: ", "invalid value: "] {
        if let Some(rest) = message.strip_prefix(prefix)
            && let Some((got, expected)) = rest.rsplit_once(", expected ")
        {
            let got_value = unexpected_value(got);
            let field = got_value.as_ref().and_then(|v| field_holding(v, scalars));
            return format!(
                "{} must be {} (got {})",
                field.unwrap_or_else(|| "an argument".into()),
                expected_words(expected.trim()),
                unexpected_words(got)
            );
        }
    }
    if let Some(rest) = message.strip_prefix("invalid length ")
        && let Some((got, expected)) = rest.split_once(", expected ")
    {
        return format!(
            "an argument must be {} (got {got} items)",
            expected_words(expected.trim())
        );
    }
    words(message)
}

/// `` `chat_id` `` → `"chat_id"`.
fn quoted(name: &str) -> String {
    let name = name.trim().trim_matches('`');
    format!("\"{name}\"")
}

/// The field among `scalars` that holds `value`, when exactly one does.
fn field_holding(value: &Value, scalars: &[(String, Value)]) -> Option<String> {
    let same = |v: &Value| match (v, value) {
        (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
        _ => v == value,
    };
    let mut holders = scalars.iter().filter(|(_, v)| same(v));
    let (path, _) = holders.next()?;
    holders.next().is_none().then(|| path.clone())
}

/// serde's `Unexpected` as the JSON value it shows, where it shows one.
fn unexpected_value(got: &str) -> Option<Value> {
    let inner = |prefix: &str| {
        got.strip_prefix(prefix)
            .map(|r| r.trim().trim_matches('`').to_string())
    };
    if let Some(n) = inner("integer ") {
        return serde_json::from_str(&n).ok();
    }
    if let Some(n) = inner("floating point ") {
        return n
            .parse::<f64>()
            .ok()
            .and_then(|f| serde_json::Number::from_f64(f).map(Value::Number));
    }
    if let Some(b) = inner("boolean ") {
        return serde_json::from_str(&b).ok();
    }
    None
}

/// serde's `Unexpected`, as "(got …)" says it.
fn unexpected_words(got: &str) -> String {
    let got = got.trim();
    let inner = |prefix: &str| {
        got.strip_prefix(prefix)
            .map(|r| r.trim().trim_matches('`').to_string())
    };
    if let Some(n) = inner("integer ").or_else(|| inner("floating point ")) {
        return format!("the number {n}");
    }
    if let Some(b) = inner("boolean ") {
        return b;
    }
    if let Some(s) = got.strip_prefix("string ") {
        return s.to_string();
    }
    match got {
        "null" | "unit value" | "unit" => "null".into(),
        "sequence" => "an array".into(),
        "map" => "an object".into(),
        other => words(other),
    }
}

/// serde's "expected …" part (a Rust type name or a visitor's words) in JSON words.
fn expected_words(expected: &str) -> String {
    let expected = expected.trim().trim_end_matches('.');
    let integer = |min: i128, max: i128| format!("an integer from {min} to {max}");
    match expected {
        "i8" => integer(i8::MIN.into(), i8::MAX.into()),
        "i16" => integer(i16::MIN.into(), i16::MAX.into()),
        "i32" => integer(i32::MIN.into(), i32::MAX.into()),
        "i64" | "i128" | "isize" => "an integer".into(),
        "u8" => integer(0, u8::MAX.into()),
        "u16" => integer(0, u16::MAX.into()),
        "u32" => integer(0, u32::MAX.into()),
        "u64" | "u128" | "usize" => "an integer of at least 0".into(),
        "f32" | "f64" => "a number".into(),
        "a boolean" | "bool" => "true or false".into(),
        "a string" | "a borrowed string" | "string" => "a string".into(),
        "a character" | "char" => "a single character".into(),
        "a sequence" | "sequence" => "an array".into(),
        "a map" | "map" => "an object".into(),
        "option" => "a value".into(),
        "unit" => "null".into(),
        other if other.starts_with("struct ") => "an object".into(),
        other if other.starts_with("enum ") => "one of the allowed values".into(),
        other if other.starts_with("a tuple of size ") || other.starts_with("tuple of ") => {
            let n: String = other.chars().filter(char::is_ascii_digit).collect();
            format!("an array of {n} items")
        }
        other => words(other),
    }
}

/// Rust type names replaced by JSON words, backticks by quotes.
fn words(text: &str) -> String {
    let replacement = |word: &str| -> Option<&'static str> {
        Some(match word {
            "i8" | "i16" | "i32" | "i64" | "i128" | "isize" => "integer",
            "u8" | "u16" | "u32" | "u64" | "u128" | "usize" => "non-negative integer",
            "f32" | "f64" => "number",
            "bool" => "boolean",
            "Option" | "option" => "optional value",
            "Vec" | "sequence" => "array",
            "map" | "HashMap" | "BTreeMap" => "object",
            "String" | "str" => "string",
            "struct" => "object",
            _ => return None,
        })
    };
    let mut out = String::with_capacity(text.len());
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        match replacement(word) {
            Some(r) => out.push_str(r),
            None => out.push_str(word),
        }
        word.clear();
    };
    for c in text.chars() {
        if c.is_alphanumeric() || c == '_' {
            word.push(c);
        } else {
            flush(&mut word, &mut out);
            out.push(if c == '`' { '"' } else { c });
        }
    }
    flush(&mut word, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// Words that must never reach the model in an argument error.
    const RUST_WORDS: &[&str] = &[
        "i8", "i16", "i32", "i64", "i128", "isize", "u8", "u16", "u32", "u64", "u128", "usize",
        "f32", "f64", "Option", "Vec", "String", "str", "struct", "enum", "sequence", "map",
        "unit", "bool",
    ];

    fn assert_json_words(message: &str) {
        for word in message.split(|c: char| !(c.is_alphanumeric() || c == '_')) {
            assert!(
                !RUST_WORDS.contains(&word),
                "Rust wording {word:?} in {message:?}"
            );
        }
        assert!(!message.contains('`'), "{message}");
    }

    fn schema(value: Value) -> Arc<JsonObject> {
        Arc::new(value.as_object().unwrap().clone())
    }

    fn problems(tool: &str, schema: &Arc<JsonObject>, arguments: Value) -> Option<String> {
        let mut arguments = Some(arguments.as_object().unwrap().clone());
        drop_nulls(&mut arguments);
        let message = check(tool, schema, &Value::Object(arguments.unwrap()));
        if let Some(m) = &message {
            assert_json_words(m);
        }
        message
    }

    /// A schema like the tools' own (as listed), with the bounds the wording reads.
    fn sample() -> Arc<JsonObject> {
        schema(json!({
            "type": "object",
            "additionalProperties": false,
            "$defs": {"ThreadScope": {"enum": ["auto", "full", "direct"], "type": "string"}},
            "properties": {
                "chat_id": {"type": "string"},
                "limit": {"type": "integer", "minimum": 1, "maximum": 100, "default": 50},
                "context": {"type": "integer", "minimum": 0},
                "message_ids": {"type": ["array", "null"], "items": {"type": "integer"}},
                "include_replies": {"type": "boolean"},
                "thread_scope": {"$ref": "#/$defs/ThreadScope"},
                "query": {"type": ["string", "null"]},
            },
            "required": ["chat_id"],
        }))
    }

    #[test]
    fn a_wrong_type_names_the_field_and_the_json_type() {
        let s = sample();
        assert_eq!(
            problems("t1", &s, json!({"chat_id": 123})).unwrap(),
            "chat_id must be a string (got the number 123)"
        );
        assert_eq!(
            problems("t1", &s, json!({"chat_id": "me", "limit": "ten"})).unwrap(),
            "limit must be an integer from 1 to 100 (got \"ten\")"
        );
        assert_eq!(
            problems("t1", &s, json!({"chat_id": "me", "limit": 1.5})).unwrap(),
            "limit must be an integer from 1 to 100 (got the number 1.5)"
        );
        assert_eq!(
            problems("t1", &s, json!({"chat_id": "me", "include_replies": "yes"})).unwrap(),
            "include_replies must be true or false (got \"yes\")"
        );
        assert_eq!(
            problems("t1", &s, json!({"chat_id": "me", "query": 5})).unwrap(),
            "query must be a string (got the number 5)"
        );
        assert_eq!(
            problems("t1", &s, json!({"chat_id": ["me"]})).unwrap(),
            "chat_id must be a string (got an array of 1 item)"
        );
    }

    #[test]
    fn out_of_range_values_say_the_range() {
        let s = sample();
        assert_eq!(
            problems("t1", &s, json!({"chat_id": "me", "limit": 0})).unwrap(),
            "limit must be an integer from 1 to 100 (got 0)"
        );
        assert_eq!(
            problems("t1", &s, json!({"chat_id": "me", "context": -1})).unwrap(),
            "context must be an integer of at least 0 (got -1)"
        );
    }

    #[test]
    fn exclusive_bounds_read_as_the_nearest_integer_or_in_words() {
        let s = schema(json!({"type": "object", "properties": {
            "n": {"type": "integer", "exclusiveMinimum": 0, "maximum": 10},
            "x": {"type": "number", "exclusiveMinimum": 0},
        }}));
        assert_eq!(
            problems("t3", &s, json!({"n": 0})).unwrap(),
            "n must be an integer from 1 to 10 (got 0)"
        );
        assert_eq!(
            problems("t3", &s, json!({"x": 0})).unwrap(),
            "x must be a number greater than 0 (got 0)"
        );
    }

    #[test]
    fn items_and_enums_are_named_by_their_path() {
        let s = sample();
        assert_eq!(
            problems(
                "t1",
                &s,
                json!({"chat_id": "me", "message_ids": [1, "two"]})
            )
            .unwrap(),
            "message_ids[1] must be an integer (got \"two\")"
        );
        assert_eq!(
            problems("t1", &s, json!({"chat_id": "me", "message_ids": "1,2"})).unwrap(),
            "message_ids must be an array of integers (got \"1,2\")"
        );
        assert_eq!(
            problems("t1", &s, json!({"chat_id": "me", "thread_scope": "all"})).unwrap(),
            "thread_scope must be one of \"auto\", \"full\", \"direct\" (got \"all\")"
        );
    }

    #[test]
    fn unknown_and_missing_arguments_are_named() {
        let s = sample();
        assert_eq!(
            problems("t1", &s, json!({"chatid": "me"})).unwrap(),
            "unknown argument \"chatid\" (did you mean \"chat_id\"?); \
             missing required argument \"chat_id\""
        );
        let m = problems("t1", &s, json!({"chat_id": "me", "colour": "red"})).unwrap();
        assert!(
            m.starts_with("unknown argument \"colour\" (the known ones: "),
            "{m}"
        );
        assert!(m.contains("chat_id") && m.contains("limit"), "{m}");
    }

    #[test]
    fn null_means_not_given() {
        let s = sample();
        assert_eq!(
            problems(
                "t1",
                &s,
                json!({"chat_id": "me", "limit": null, "query": null})
            ),
            None
        );
        assert_eq!(
            problems("t1", &s, json!({"chat_id": null})).unwrap(),
            "missing required argument \"chat_id\""
        );
        // Only top-level nulls: a null inside an array is a wrong item.
        assert_eq!(
            problems("t1", &s, json!({"chat_id": "me", "message_ids": [null]})).unwrap(),
            "message_ids[0] must be an integer (got null)"
        );
        // Even where the schema does not list null.
        let strict =
            schema(json!({"type": "object", "properties": {"limit": {"type": "integer"}}}));
        assert_eq!(problems("t2", &strict, json!({"limit": null})), None);
    }

    #[test]
    fn long_strings_are_not_echoed_and_problems_are_capped() {
        let s = sample();
        let long = "x".repeat(5000);
        let m = problems("t1", &s, json!({"chat_id": "me", "limit": long})).unwrap();
        assert_eq!(
            m,
            "limit must be an integer from 1 to 100 (got a string of 5000 characters)"
        );
        let many = json!({"chat_id": 1, "a": 1, "b": 2, "c": 3, "d": 4, "e": 5, "f": 6});
        let m = problems("t1", &s, many).unwrap();
        assert!(m.ends_with("; and 2 more"), "{m}");
    }

    #[test]
    fn the_tools_own_schemas_compile_and_check() {
        let router = crate::tools::router(&crate::options::ServerOptions::default());
        for tool in router.list_all() {
            assert!(
                compiled(&tool.name, &tool.input_schema).is_some(),
                "{}",
                tool.name
            );
        }
        let get = router.get("get_messages").unwrap();
        let m = problems("get_messages", &get.input_schema, json!({"chat_id": 123})).unwrap();
        assert_eq!(m, "chat_id must be a string (got the number 123)");
        let m = problems(
            "get_messages",
            &get.input_schema,
            json!({"chat_id": "me", "limit": "ten"}),
        )
        .unwrap();
        assert!(m.starts_with("limit must be an integer"), "{m}");
        assert!(m.ends_with("(got \"ten\")"), "{m}");
        let m = problems("get_messages", &get.input_schema, json!({"chatid": "me"})).unwrap();
        assert!(m.contains("missing required argument \"chat_id\""), "{m}");
        assert!(
            m.contains("unknown argument \"chatid\" (did you mean \"chat_id\"?)"),
            "{m}"
        );
        assert_eq!(
            problems(
                "get_messages",
                &get.input_schema,
                json!({"chat_id": "me", "limit": null, "query": null, "message_ids": null})
            ),
            None
        );
    }

    #[test]
    fn serde_messages_are_put_in_json_words() {
        let scalars = scalars(&json!({"chat_id": "me", "message_id": 3000000000u64, "limit": 1.0}));
        let cases = [
            (
                "invalid value: integer `3000000000`, expected i32",
                "message_id must be an integer from -2147483648 to 2147483647 (got the number 3000000000)",
            ),
            (
                "invalid type: floating point `1.0`, expected i64",
                "limit must be an integer (got the number 1.0)",
            ),
            (
                "invalid type: integer `123`, expected a string",
                "an argument must be a string (got the number 123)",
            ),
            (
                "invalid type: null, expected i64",
                "an argument must be an integer (got null)",
            ),
            (
                "invalid value: integer `-1`, expected u32",
                "an argument must be an integer from 0 to 4294967295 (got the number -1)",
            ),
            (
                "invalid type: string \"ten\", expected u8",
                "an argument must be an integer from 0 to 255 (got \"ten\")",
            ),
            (
                "missing field `chat_id`",
                "missing required argument \"chat_id\"",
            ),
            (
                "unknown field `chatid`, expected one of `chat_id`, `limit`",
                "unknown argument \"chatid\"",
            ),
            (
                "unknown variant `all`, expected one of `auto`, `full`, `direct`",
                "an argument must be one of \"auto\", \"full\", \"direct\" (got \"all\")",
            ),
            (
                "invalid type: sequence, expected a string",
                "an argument must be a string (got an array)",
            ),
            (
                "invalid type: boolean `true`, expected f64",
                "an argument must be a number (got true)",
            ),
            (
                "phone_number must be a string such as \"+15550001234\"",
                "phone_number must be a string such as \"+15550001234\"",
            ),
            (
                "expected i64 or Option<String>",
                "expected integer or optional value<string>",
            ),
        ];
        for (serde, plain) in cases {
            let m = explain_serde(serde, &scalars);
            assert_eq!(m, plain, "{serde}");
            assert_json_words(&m);
        }
    }

    #[test]
    fn a_misspelt_name_finds_its_nearest() {
        let known = ["chat_id", "limit", "message_ids", "from_user"];
        assert_eq!(closest("chatId", &known), Some("chat_id"));
        assert_eq!(closest("limt", &known), Some("limit"));
        assert_eq!(closest("message_id", &known), Some("message_ids"));
        assert_eq!(closest("colour", &known), None);
    }
}
