//! The API layer's schema: `api.tl` (the file grammers-tl-types is generated from), embedded at
//! build time and parsed once into lookup tables.

use std::collections::HashMap;
use std::sync::LazyLock;

use grammers_tl_parser::parse_tl_file;
use grammers_tl_parser::tl::{Category, Definition, ParameterType, Type};

/// The schema text, a copy of grammers-tl-types' `tl/api.tl`.
pub const API_TL: &str = include_str!("api.tl");

/// `vector#1cb5c415`: the constructor of boxed vectors (`Vector<T>`).
pub const VECTOR_ID: u32 = 0x1cb5_c415;
pub const BOOL_TRUE_ID: u32 = 0x9972_75b5;
pub const BOOL_FALSE_ID: u32 = 0xbc79_9737;

/// Every definition of the layer with the indexes the codec needs.
pub struct Schema {
    pub definitions: Vec<Definition>,
    /// Lowercase full name (`messages.gethistory`) → function.
    functions: HashMap<String, usize>,
    /// Lowercase full name (`inputpeeruser`) → constructor.
    constructors: HashMap<String, usize>,
    /// Constructor id → constructor (types only).
    by_id: HashMap<u32, usize>,
    /// Function id → function.
    functions_by_id: HashMap<u32, usize>,
    /// Full type name (`messages.Messages`) → its constructors, in schema order.
    by_type: HashMap<String, Vec<usize>>,
    /// The layer number written at the top of the file.
    pub layer: i32,
}

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| Schema::parse(API_TL));

/// The embedded layer, parsed on first use.
pub fn schema() -> &'static Schema {
    &SCHEMA
}

/// `namespace.name` of a definition.
pub fn full_name(d: &Definition) -> String {
    join(&d.namespace, &d.name)
}

/// `namespace.Name` of a type (without its generic argument).
pub fn type_name(t: &Type) -> String {
    join(&t.namespace, &t.name)
}

fn join(namespace: &[String], name: &str) -> String {
    let mut out = String::new();
    for ns in namespace {
        out.push_str(ns);
        out.push('.');
    }
    out.push_str(name);
    out
}

impl Schema {
    /// Parses a schema; definitions the parser refuses (the built-in `vector` and the like)
    /// are left out, as grammers does.
    pub fn parse(text: &str) -> Schema {
        let layer = text
            .lines()
            .find_map(|l| {
                l.trim()
                    .strip_prefix("//")
                    .and_then(|s| s.split_once("LAYER"))
                    .and_then(|(_, n)| n.trim().parse().ok())
            })
            .unwrap_or(0);
        let definitions: Vec<Definition> = parse_tl_file(text).filter_map(Result::ok).collect();
        let mut schema = Schema {
            definitions: Vec::new(),
            functions: HashMap::new(),
            constructors: HashMap::new(),
            by_id: HashMap::new(),
            functions_by_id: HashMap::new(),
            by_type: HashMap::new(),
            layer,
        };
        for (i, d) in definitions.iter().enumerate() {
            let name = full_name(d).to_ascii_lowercase();
            match d.category {
                Category::Functions => {
                    schema.functions.insert(name, i);
                    schema.functions_by_id.insert(d.id, i);
                }
                Category::Types => {
                    schema.constructors.insert(name, i);
                    schema.by_id.insert(d.id, i);
                    schema.by_type.entry(type_name(&d.ty)).or_default().push(i);
                }
            }
        }
        schema.definitions = definitions;
        schema
    }

    pub fn function(&self, name: &str) -> Option<&Definition> {
        let i = self.functions.get(&name.trim().to_ascii_lowercase())?;
        Some(&self.definitions[*i])
    }

    pub fn constructor(&self, name: &str) -> Option<&Definition> {
        let i = self.constructors.get(&name.trim().to_ascii_lowercase())?;
        Some(&self.definitions[*i])
    }

    /// The constructor with this id.
    pub fn constructor_by_id(&self, id: u32) -> Option<&Definition> {
        self.by_id.get(&id).map(|i| &self.definitions[*i])
    }

    /// The function with this id.
    pub fn function_by_id(&self, id: u32) -> Option<&Definition> {
        self.functions_by_id.get(&id).map(|i| &self.definitions[*i])
    }

    /// The constructors of a boxed type (`InputPeer`, `messages.Messages`).
    pub fn constructors_of(&self, ty: &str) -> Vec<&Definition> {
        self.by_type
            .get(ty)
            .map(|list| list.iter().map(|i| &self.definitions[*i]).collect())
            .unwrap_or_default()
    }

    pub fn functions(&self) -> impl Iterator<Item = &Definition> {
        self.definitions
            .iter()
            .filter(|d| d.category == Category::Functions)
    }

    pub fn types(&self) -> impl Iterator<Item = &Definition> {
        self.definitions
            .iter()
            .filter(|d| d.category == Category::Types)
    }

    /// The three function names closest to `name` (edit distance, ignoring case; a name
    /// without a namespace is compared with the method part too).
    pub fn suggest_functions(&self, name: &str) -> Vec<String> {
        let wanted = name.trim().to_ascii_lowercase();
        let mut scored: Vec<(usize, String)> = self
            .functions()
            .map(|d| {
                let full = full_name(d);
                let lower = full.to_ascii_lowercase();
                let mut score = levenshtein(&wanted, &lower);
                if !wanted.contains('.') {
                    score = score.min(levenshtein(&wanted, &d.name.to_ascii_lowercase()) + 1);
                }
                (score, full)
            })
            .collect();
        scored.sort();
        scored.into_iter().take(3).map(|(_, n)| n).collect()
    }
}

/// Whether a definition takes a generic query (`!X`: `invokeWithLayer` and kin).
pub fn is_generic(d: &Definition) -> bool {
    d.params.iter().any(|p| match &p.ty {
        ParameterType::Normal { ty, .. } => ty.generic_ref,
        ParameterType::Flags => false,
    })
}

/// Edit distance between two strings (by characters).
pub fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitute = previous[j] + usize::from(ca != *cb);
            current[j + 1] = substitute.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_layer_parses_whole() {
        let s = schema();
        assert_eq!(s.layer, grammers_tl_types::LAYER);
        assert!(s.function("messages.gethistory").is_some());
        assert!(s.constructor("INPUTPEERUSER").is_some());
        assert!(s.constructors_of("InputPeer").len() >= 5);
        assert!(s.types().count() > 1000, "{}", s.types().count());
        assert!(s.functions().count() > 500);
    }

    #[test]
    fn close_names_are_suggested() {
        let s = schema();
        let near = s.suggest_functions("messages.getHistroy");
        assert_eq!(near[0], "messages.getHistory");
        let near = s.suggest_functions("getHistory");
        assert!(
            near.contains(&"messages.getHistory".to_string()),
            "{near:?}"
        );
        assert_eq!(levenshtein("kitten", "sitting"), 3);
    }
}
