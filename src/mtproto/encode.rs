//! JSON → TL bytes, driven by the schema: objects name their constructor in `"_"`, flags are
//! computed from which optional fields are present, and every error names the field path.

use std::collections::HashMap;

use base64::Engine as _;
use grammers_tl_parser::tl::{Definition, ParameterType, Type};
use serde_json::{Map, Value};

use super::CodecError;
use super::schema::{BOOL_FALSE_ID, BOOL_TRUE_ID, Schema, VECTOR_ID, full_name, type_name};

/// Encodes a call of `function` with `params` (its fields, an object).
pub fn function(
    schema: &Schema,
    function: &Definition,
    params: &Value,
) -> Result<Vec<u8>, CodecError> {
    let empty = Map::new();
    let fields = match params {
        Value::Object(map) => map,
        Value::Null => &empty,
        other => {
            return Err(CodecError(format!(
                "params_json must be an object of {}'s parameters, got {}",
                full_name(function),
                kind(other)
            )));
        }
    };
    if super::schema::is_generic(function) {
        return Err(CodecError(format!(
            "{} wraps another call (a generic !X query); call the inner method directly",
            full_name(function)
        )));
    }
    let mut out = Vec::new();
    out.extend(function.id.to_le_bytes());
    Encoder { schema }.fields(function, fields, "", &mut out)?;
    Ok(out)
}

/// Encodes a value of type `ty` (as a parameter of that type would be written).
pub fn value(schema: &Schema, ty: &Type, value: &Value) -> Result<Vec<u8>, CodecError> {
    let mut out = Vec::new();
    Encoder { schema }.value(ty, value, "", &mut out)?;
    Ok(out)
}

struct Encoder<'s> {
    schema: &'s Schema,
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

fn child(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_string()
    } else {
        format!("{path}.{name}")
    }
}

fn at(path: &str) -> String {
    if path.is_empty() {
        "the value".to_string()
    } else {
        path.to_string()
    }
}

fn wrong(path: &str, expected: &str, got: &Value) -> CodecError {
    CodecError(format!(
        "{}: expected {expected}, got {}",
        at(path),
        kind(got)
    ))
}

/// Whether an optional field counts as present (a `true` flag only when true).
fn present(ty: &Type, v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) if ty.name == "true" => *b,
        Some(_) => true,
    }
}

pub fn write_bytes(out: &mut Vec<u8>, data: &[u8]) {
    let header = if data.len() <= 253 {
        out.push(data.len() as u8);
        1
    } else {
        out.push(254);
        out.extend(&(data.len() as u32).to_le_bytes()[..3]);
        4
    };
    out.extend(data);
    let padding = (4 - (header + data.len()) % 4) % 4;
    out.extend(std::iter::repeat_n(0u8, padding));
}

fn int(path: &str, v: &Value) -> Result<i32, CodecError> {
    let n = match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse::<i64>().ok(),
        _ => None,
    };
    match n {
        Some(n) => i32::try_from(n)
            .or_else(|_| u32::try_from(n).map(|u| u as i32))
            .map_err(|_| CodecError(format!("{}: {n} does not fit an int (32 bits)", at(path)))),
        None => Err(wrong(path, "an int (whole number)", v)),
    }
}

fn long(path: &str, v: &Value) -> Result<i64, CodecError> {
    let n = match v {
        Value::Number(n) => n.as_i64().or_else(|| n.as_u64().map(|u| u as i64)),
        Value::String(s) => {
            let s = s.trim();
            s.parse::<i64>()
                .ok()
                .or_else(|| s.parse::<u64>().ok().map(|u| u as i64))
        }
        _ => None,
    };
    n.ok_or_else(|| wrong(path, "a long (whole number or decimal string)", v))
}

fn bytes(path: &str, v: &Value) -> Result<Vec<u8>, CodecError> {
    match v {
        Value::String(s) => Ok(base64::engine::general_purpose::STANDARD
            .decode(s)
            .or_else(|_| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(s))
            .unwrap_or_else(|_| s.as_bytes().to_vec())),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, b)| {
                b.as_u64()
                    .and_then(|b| u8::try_from(b).ok())
                    .ok_or_else(|| wrong(&format!("{path}[{i}]"), "a byte (0–255)", b))
            })
            .collect(),
        other => Err(wrong(path, "bytes (base64 or text)", other)),
    }
}

fn fixed(path: &str, v: &Value, size: usize) -> Result<Vec<u8>, CodecError> {
    let Value::String(s) = v else {
        return Err(wrong(path, &format!("{} bytes as hex or base64", size), v));
    };
    let s = s.trim();
    let hex = s.strip_prefix("0x").unwrap_or(s);
    let decoded = if hex.len() == size * 2 && hex.chars().all(|c| c.is_ascii_hexdigit()) {
        (0..size)
            .map(|i| u8::from_str_radix(&hex[i * 2..i * 2 + 2], 16).ok())
            .collect::<Option<Vec<u8>>>()
    } else {
        base64::engine::general_purpose::STANDARD.decode(s).ok()
    };
    match decoded {
        Some(b) if b.len() == size => Ok(b),
        _ => Err(CodecError(format!(
            "{}: expected {size} bytes as {} hex digits or base64",
            at(path),
            size * 2
        ))),
    }
}

impl Encoder<'_> {
    fn value(&self, ty: &Type, v: &Value, path: &str, out: &mut Vec<u8>) -> Result<(), CodecError> {
        if ty.generic_ref {
            return Err(CodecError(format!(
                "{}: generic queries (!{}) are not supported",
                at(path),
                ty.name
            )));
        }
        match (ty.namespace.is_empty(), ty.name.as_str()) {
            (true, "int") => out.extend(int(path, v)?.to_le_bytes()),
            (true, "long") => out.extend(long(path, v)?.to_le_bytes()),
            (true, "double") => {
                let n = v
                    .as_f64()
                    .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
                    .ok_or_else(|| wrong(path, "a number", v))?;
                out.extend(n.to_le_bytes());
            }
            (true, "string") => match v {
                Value::String(s) => write_bytes(out, s.as_bytes()),
                other => return Err(wrong(path, "a string", other)),
            },
            (true, "bytes") => write_bytes(out, &bytes(path, v)?),
            (true, "int128") => out.extend(fixed(path, v, 16)?),
            (true, "int256") => out.extend(fixed(path, v, 32)?),
            (true, "Bool") => match v {
                Value::Bool(b) => {
                    out.extend(if *b { BOOL_TRUE_ID } else { BOOL_FALSE_ID }.to_le_bytes())
                }
                Value::Object(o) => match o.get("_").and_then(Value::as_str) {
                    Some(n) if n.eq_ignore_ascii_case("boolTrue") => {
                        out.extend(BOOL_TRUE_ID.to_le_bytes())
                    }
                    Some(n) if n.eq_ignore_ascii_case("boolFalse") => {
                        out.extend(BOOL_FALSE_ID.to_le_bytes())
                    }
                    _ => return Err(wrong(path, "true or false", v)),
                },
                other => return Err(wrong(path, "true or false", other)),
            },
            (true, "true") => {}
            (true, "Vector" | "vector") => {
                let Some(item) = ty.generic_arg.as_deref() else {
                    return Err(CodecError(format!(
                        "{}: a vector without item type",
                        at(path)
                    )));
                };
                let Value::Array(items) = v else {
                    return Err(wrong(path, "a list", v));
                };
                if ty.name == "Vector" {
                    out.extend(VECTOR_ID.to_le_bytes());
                }
                out.extend((items.len() as i32).to_le_bytes());
                for (i, item_value) in items.iter().enumerate() {
                    self.value(item, item_value, &format!("{path}[{i}]"), out)?;
                }
            }
            _ if ty.bare => {
                let name = type_name(ty);
                let def = self
                    .schema
                    .constructor(&name)
                    .ok_or_else(|| CodecError(format!("{}: unknown bare type {name}", at(path))))?;
                let Value::Object(fields) = v else {
                    return Err(wrong(path, &format!("an object ({name})"), v));
                };
                self.fields(def, fields, path, out)?;
            }
            _ => self.boxed(&type_name(ty), v, path, out)?,
        }
        Ok(())
    }

    /// A boxed object: the constructor id, then its fields.
    fn boxed(&self, ty: &str, v: &Value, path: &str, out: &mut Vec<u8>) -> Result<(), CodecError> {
        let empty = Map::new();
        let (named, fields) = match v {
            Value::Object(fields) => (fields.get("_"), fields),
            // A constructor without fields may be named by a plain string.
            Value::String(_) => (Some(v), &empty),
            other => return Err(wrong(path, &format!("an object ({ty})"), other)),
        };
        let choices = self.schema.constructors_of(ty);
        let def = match named {
            Some(Value::String(name)) => {
                let found = self
                    .schema
                    .constructor(name)
                    .filter(|d| type_name(&d.ty) == ty);
                match found {
                    Some(d) => d,
                    None => {
                        let elsewhere = self
                            .schema
                            .constructor(name)
                            .map(|d| format!(" ({} is a {})", full_name(d), type_name(&d.ty)))
                            .unwrap_or_default();
                        return Err(CodecError(format!(
                            "{}: {name:?} is not a constructor of {ty}{elsewhere}; {}",
                            at(path),
                            one_of(&choices, name)
                        )));
                    }
                }
            }
            Some(other) => {
                return Err(wrong(&child(path, "_"), "a constructor name", other));
            }
            None if choices.len() == 1 => choices[0],
            None => {
                return Err(CodecError(format!(
                    "{}: name the {ty} constructor in \"_\"; {}",
                    at(path),
                    one_of(&choices, "")
                )));
            }
        };
        out.extend(def.id.to_le_bytes());
        self.fields(def, fields, path, out)
    }

    /// A constructor's (or function's) fields in order, flags computed from presence.
    fn fields(
        &self,
        def: &Definition,
        fields: &Map<String, Value>,
        path: &str,
        out: &mut Vec<u8>,
    ) -> Result<(), CodecError> {
        for key in fields.keys() {
            if key == "_" {
                continue;
            }
            if !def.params.iter().any(|p| p.name == *key) {
                let known: Vec<&str> = def
                    .params
                    .iter()
                    .filter(|p| matches!(p.ty, ParameterType::Normal { .. }))
                    .map(|p| p.name.as_str())
                    .collect();
                return Err(CodecError(format!(
                    "{}: {} has no field {key:?}; its fields are: {}",
                    at(path),
                    full_name(def),
                    if known.is_empty() {
                        "(none)".to_string()
                    } else {
                        known.join(", ")
                    }
                )));
            }
        }
        let mut bits: HashMap<&str, u32> = HashMap::new();
        for p in &def.params {
            if let ParameterType::Normal {
                ty,
                flag: Some(flag),
            } = &p.ty
                && present(ty, fields.get(&p.name))
            {
                *bits.entry(flag.name.as_str()).or_default() |= 1 << flag.index;
            }
        }
        for p in &def.params {
            let field_path = child(path, &p.name);
            match &p.ty {
                ParameterType::Flags => {
                    out.extend(
                        bits.get(p.name.as_str())
                            .copied()
                            .unwrap_or(0)
                            .to_le_bytes(),
                    );
                }
                ParameterType::Normal {
                    ty,
                    flag: Some(flag),
                } => {
                    let set =
                        bits.get(flag.name.as_str()).copied().unwrap_or(0) & (1 << flag.index) != 0;
                    let v = fields.get(&p.name);
                    if !set || ty.name == "true" {
                        if let Some(v) = v
                            && ty.name == "true"
                            && !v.is_boolean()
                            && !v.is_null()
                        {
                            return Err(wrong(&field_path, "true or false", v));
                        }
                        continue;
                    }
                    match v.filter(|v| !v.is_null()) {
                        Some(v) => self.value(ty, v, &field_path, out)?,
                        None => {
                            let with: Vec<&str> = def
                                .params
                                .iter()
                                .filter(|q| {
                                    q.name != p.name
                                        && matches!(&q.ty, ParameterType::Normal { flag: Some(f), .. } if f == flag)
                                        && fields.contains_key(&q.name)
                                })
                                .map(|q| q.name.as_str())
                                .collect();
                            return Err(CodecError(format!(
                                "{field_path}: required together with {} ({ty})",
                                with.join(", ")
                            )));
                        }
                    }
                }
                ParameterType::Normal { ty, flag: None } => {
                    if ty.name == "true" && ty.namespace.is_empty() {
                        continue;
                    }
                    match fields.get(&p.name).filter(|v| !v.is_null()) {
                        Some(v) => self.value(ty, v, &field_path, out)?,
                        None => {
                            return Err(CodecError(format!(
                                "{field_path}: missing required field ({ty}) of {}",
                                full_name(def)
                            )));
                        }
                    }
                }
            }
        }
        Ok(())
    }
}

/// "one of: a, b, c" (the closest first when there are many).
fn one_of(choices: &[&Definition], near: &str) -> String {
    let mut names: Vec<String> = choices.iter().map(|d| full_name(d)).collect();
    if names.len() > 8 {
        let near = near.to_ascii_lowercase();
        names.sort_by_key(|n| super::schema::levenshtein(&near, &n.to_ascii_lowercase()));
        names.truncate(8);
        return format!("closest constructors: {}", names.join(", "));
    }
    format!("one of: {}", names.join(", "))
}
