//! TL bytes → JSON, driven by the schema: objects carry their constructor in `"_"`, `bytes`
//! become base64, `int128`/`int256` hex, and longs beyond ±2^53 decimal strings (JSON numbers
//! lose precision there).

use std::collections::HashMap;

use base64::Engine as _;
use grammers_tl_parser::tl::{Definition, ParameterType, Type};
use serde_json::{Map, Value};

use super::CodecError;
use super::schema::{BOOL_FALSE_ID, BOOL_TRUE_ID, Schema, VECTOR_ID, full_name, type_name};

/// The largest integer a JSON number (a double) holds exactly.
const EXACT: i64 = 1 << 53;

/// Decodes a whole value of type `ty` from `data`; trailing bytes are an error.
pub fn value(schema: &Schema, ty: &Type, data: &[u8]) -> Result<Value, CodecError> {
    let mut reader = Reader { data, pos: 0 };
    let v = Decoder { schema }.value(ty, &mut reader, 0)?;
    if reader.pos != data.len() {
        return Err(CodecError(format!(
            "{} bytes left over after a {ty}",
            data.len() - reader.pos
        )));
    }
    Ok(v)
}

/// Decodes a function call (its id, then its parameters) into `{"_": name, …}`.
pub fn function(schema: &Schema, data: &[u8]) -> Result<Value, CodecError> {
    let mut reader = Reader { data, pos: 0 };
    let id = reader.u32()?;
    let def = schema
        .function_by_id(id)
        .ok_or_else(|| CodecError(format!("unknown function id {id:#010x}")))?;
    let v = Decoder { schema }.object(def, &mut reader, 0)?;
    if reader.pos != data.len() {
        return Err(CodecError("bytes left over after the call".into()));
    }
    Ok(v)
}

/// Deep enough for any real answer; stops malicious nesting.
const MAX_DEPTH: usize = 64;

struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], CodecError> {
        if self.data.len() - self.pos < n {
            return Err(CodecError(format!(
                "the answer ends early (needed {n} bytes at offset {})",
                self.pos
            )));
        }
        let out = &self.data[self.pos..self.pos + n];
        self.pos += n;
        Ok(out)
    }

    fn u32(&mut self) -> Result<u32, CodecError> {
        Ok(u32::from_le_bytes(
            self.take(4)?.try_into().expect("4 bytes"),
        ))
    }

    fn i64(&mut self) -> Result<i64, CodecError> {
        Ok(i64::from_le_bytes(
            self.take(8)?.try_into().expect("8 bytes"),
        ))
    }

    fn remaining(&self) -> usize {
        self.data.len() - self.pos
    }

    fn bytes(&mut self) -> Result<Vec<u8>, CodecError> {
        let first = self.take(1)?[0];
        let (len, header) = if first == 254 {
            let b = self.take(3)?;
            (u32::from_le_bytes([b[0], b[1], b[2], 0]) as usize, 4)
        } else {
            (first as usize, 1)
        };
        let data = self.take(len)?.to_vec();
        let padding = (4 - (header + len) % 4) % 4;
        self.take(padding)?;
        Ok(data)
    }
}

fn hex(data: &[u8]) -> String {
    data.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn long_value(n: i64) -> Value {
    if (-EXACT..=EXACT).contains(&n) {
        Value::from(n)
    } else {
        Value::String(n.to_string())
    }
}

struct Decoder<'s> {
    schema: &'s Schema,
}

impl Decoder<'_> {
    fn value(&self, ty: &Type, r: &mut Reader, depth: usize) -> Result<Value, CodecError> {
        if depth > MAX_DEPTH {
            return Err(CodecError("the answer nests too deep".into()));
        }
        Ok(match (ty.namespace.is_empty(), ty.name.as_str()) {
            (true, "int") => Value::from(r.u32()? as i32),
            (true, "long") => long_value(r.i64()?),
            (true, "double") => {
                let n = f64::from_le_bytes(r.take(8)?.try_into().expect("8 bytes"));
                serde_json::Number::from_f64(n).map_or(Value::Null, Value::Number)
            }
            (true, "string") => Value::String(String::from_utf8_lossy(&r.bytes()?).into_owned()),
            (true, "bytes") => {
                Value::String(base64::engine::general_purpose::STANDARD.encode(r.bytes()?))
            }
            (true, "int128") => Value::String(hex(r.take(16)?)),
            (true, "int256") => Value::String(hex(r.take(32)?)),
            (true, "Bool") => match r.u32()? {
                BOOL_TRUE_ID => Value::Bool(true),
                BOOL_FALSE_ID => Value::Bool(false),
                other => {
                    return Err(CodecError(format!("expected a Bool, got {other:#010x}")));
                }
            },
            (true, "true") => Value::Bool(true),
            (true, "Vector" | "vector") => {
                let item = ty
                    .generic_arg
                    .as_deref()
                    .ok_or_else(|| CodecError("a vector without item type".into()))?;
                if ty.name == "Vector" {
                    let id = r.u32()?;
                    if id != VECTOR_ID {
                        return Err(CodecError(format!("expected a vector, got {id:#010x}")));
                    }
                }
                let count = r.u32()? as usize;
                // Every item takes at least 4 bytes: a count beyond that is corrupt.
                if count > r.remaining() / 4 + 1 {
                    return Err(CodecError(format!("a vector of {count} items cannot fit")));
                }
                let mut items = Vec::with_capacity(count);
                for _ in 0..count {
                    items.push(self.value(item, r, depth + 1)?);
                }
                Value::Array(items)
            }
            _ if ty.generic_ref => {
                return Err(CodecError(format!("cannot decode a generic !{}", ty.name)));
            }
            _ if ty.bare => {
                let name = type_name(ty);
                let def = self
                    .schema
                    .constructor(&name)
                    .ok_or_else(|| CodecError(format!("unknown bare type {name}")))?;
                self.object(def, r, depth + 1)?
            }
            _ => {
                let id = r.u32()?;
                let def = self.schema.constructor_by_id(id).ok_or_else(|| {
                    CodecError(format!(
                        "unknown constructor {id:#010x} where a {} was expected (a newer layer?)",
                        type_name(ty)
                    ))
                })?;
                self.object(def, r, depth + 1)?
            }
        })
    }

    fn object(&self, def: &Definition, r: &mut Reader, depth: usize) -> Result<Value, CodecError> {
        let mut out = Map::new();
        out.insert("_".into(), Value::String(full_name(def)));
        let mut flags: HashMap<&str, u32> = HashMap::new();
        for p in &def.params {
            match &p.ty {
                ParameterType::Flags => {
                    flags.insert(p.name.as_str(), r.u32()?);
                }
                ParameterType::Normal { ty, flag } => {
                    if let Some(flag) = flag {
                        let bits = flags.get(flag.name.as_str()).copied().unwrap_or(0);
                        if bits & (1 << flag.index) == 0 {
                            continue;
                        }
                    }
                    let v = self.value(ty, r, depth)?;
                    out.insert(p.name.clone(), v);
                }
            }
        }
        Ok(Value::Object(out))
    }
}
