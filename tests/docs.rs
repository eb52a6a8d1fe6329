//! The documentation kept true by the code it describes:
//!
//! - `docs/tools.md` is generated from the tools the library builds (the same definitions
//!   `tools/list` sends) and must match them; `UPDATE_SNAPSHOTS=1 cargo test --test docs`
//!   rewrites it after an intended change.
//! - `ARCHITECTURE.md` names every file under `src/` and every directory of `tests/`,
//!   `examples/`, `scripts/` and `fuzz/`; every path it (or any other document) names in
//!   backticks exists.
//! - Every relative link in `README.md`, `ARCHITECTURE.md`, `CONTRIBUTING.md`, `CHANGELOG.md`
//!   and `docs/*.md` points at a file that exists, and at a heading that exists when it names one.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use fast_mcp_telegram::options::ServerOptions;
use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

// ---------------------------------------------------------------------------------------------
// docs/tools.md

/// The tools `options` offer, as the JSON `tools/list` carries, sorted by name.
fn tools(options: &ServerOptions) -> Vec<Value> {
    fast_mcp_telegram::tools::router(options)
        .list_all()
        .into_iter()
        .map(|tool| serde_json::to_value(tool).expect("a tool serialises"))
        .collect()
}

/// Text for one markdown table cell: one line, no column breaks.
fn cell(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace('|', "\\|")
}

/// A schema's type in words: `string`, `array of integer`, `object or string`, an enum's values.
fn type_of(schema: &Value) -> String {
    if let Some(values) = schema["enum"].as_array() {
        let values: Vec<String> = values.iter().map(|v| format!("`{v}`")).collect();
        return format!("one of {}", values.join(", "));
    }
    if let Some(options) = schema["anyOf"].as_array().or(schema["oneOf"].as_array()) {
        let options: Vec<String> = options.iter().map(type_of).collect();
        return options.join(" or ");
    }
    match schema["type"].as_str() {
        Some("array") if schema["items"].is_object() => {
            format!("array of {}", type_of(&schema["items"]))
        }
        Some(t) => t.to_string(),
        None => "any".to_string(),
    }
}

/// A hint as the protocol reads an absent one: its default (`readOnlyHint` false,
/// `destructiveHint` true, `idempotentHint` false, `openWorldHint` true), except that
/// destruction and repetition mean nothing for a tool that only reads.
fn hint(annotations: &Value, key: &str) -> &'static str {
    match annotations[key].as_bool() {
        Some(true) => "yes",
        Some(false) => "no",
        None if key == "openWorldHint" => "yes",
        None if key == "readOnlyHint" => "no",
        None if annotations["readOnlyHint"] == true => "n/a",
        None if key == "destructiveHint" => "yes",
        None => "no",
    }
}

fn render_tool(out: &mut String, tool: &Value) {
    let name = tool["name"].as_str().expect("a tool has a name");
    let annotations = &tool["annotations"];
    writeln!(out, "### `{name}`\n").unwrap();
    writeln!(out, "**{}**\n", tool["title"].as_str().unwrap_or(name)).unwrap();
    writeln!(
        out,
        "Read-only: {} · destructive: {} · idempotent: {} · open world: {}\n",
        hint(annotations, "readOnlyHint"),
        hint(annotations, "destructiveHint"),
        hint(annotations, "idempotentHint"),
        hint(annotations, "openWorldHint"),
    )
    .unwrap();
    let description = tool["description"].as_str().unwrap_or("");
    writeln!(out, "```text\n{description}\n```\n").unwrap();

    let input = &tool["inputSchema"];
    let required: BTreeSet<&str> = input["required"]
        .as_array()
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    writeln!(out, "Parameters:\n").unwrap();
    writeln!(out, "| name | type | required | default | description |").unwrap();
    writeln!(out, "|---|---|---|---|---|").unwrap();
    if let Some(properties) = input["properties"].as_object() {
        for (param, schema) in properties {
            let default = match &schema["default"] {
                Value::Null => String::new(),
                value => format!("`{value}`"),
            };
            writeln!(
                out,
                "| `{param}` | {} | {} | {} | {} |",
                cell(&type_of(schema)),
                if required.contains(param.as_str()) {
                    "yes"
                } else {
                    ""
                },
                cell(&default),
                cell(schema["description"].as_str().unwrap_or("")),
            )
            .unwrap();
        }
    }
    writeln!(out).unwrap();

    let output = &tool["outputSchema"];
    if let Some(properties) = output["properties"].as_object() {
        let required: BTreeSet<&str> = output["required"]
            .as_array()
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let fields: Vec<String> = properties
            .iter()
            .map(|(field, schema)| {
                let always = if required.contains(field.as_str()) {
                    ", always"
                } else {
                    ""
                };
                format!("`{field}` ({}{always})", type_of(schema))
            })
            .collect();
        writeln!(
            out,
            "Answer (`structuredContent`): {}.\n",
            fields.join("; ")
        )
        .unwrap();
    }
}

/// The whole of `docs/tools.md`.
fn tools_markdown() -> String {
    let default = tools(&ServerOptions::default());
    let read_only = tools(&ServerOptions {
        read_only: true,
        ..Default::default()
    });
    let mut out = String::new();
    out.push_str(
        "<!-- Generated by tests/docs.rs from the server's own tool definitions; do not edit.\n     \
         Regenerate: UPDATE_SNAPSHOTS=1 cargo test --test docs -->\n\n",
    );
    out.push_str("# Tools reference\n\n");
    out.push_str(
        "Every tool as `tools/list` offers it with the default options: its title, annotations, \
         the description the model reads, its parameters (from the input schema) and the fields \
         of a successful answer (from the output schema). How the tools behave, with examples, \
         is in [tool-behaviour.md](tool-behaviour.md); the error shape in \
         [tool-behaviour.md#errors](tool-behaviour.md#errors).\n\n",
    );
    out.push_str("| tool | title | read-only |\n|---|---|---|\n");
    for tool in &default {
        let name = tool["name"].as_str().unwrap();
        writeln!(
            out,
            "| [`{name}`](#{name}) | {} | {} |",
            cell(tool["title"].as_str().unwrap_or("")),
            hint(&tool["annotations"], "readOnlyHint"),
        )
        .unwrap();
    }
    out.push_str("\n## Tools\n\n");
    for tool in &default {
        render_tool(&mut out, tool);
    }

    let names: Vec<String> = read_only
        .iter()
        .map(|t| format!("`{}`", t["name"].as_str().unwrap()))
        .collect();
    out.push_str("## Read-only mode\n\n");
    writeln!(
        out,
        "With `READ_ONLY=true` only these tools are listed: {}. The tools below are listed \
         differently there; the others are as above.\n",
        names.join(", ")
    )
    .unwrap();
    let by_name: BTreeMap<&str, &Value> = default
        .iter()
        .map(|t| (t["name"].as_str().unwrap(), t))
        .collect();
    for tool in &read_only {
        let name = tool["name"].as_str().unwrap();
        if by_name.get(name) != Some(&tool) {
            let mut section = String::new();
            render_tool(&mut section, tool);
            // Headings of their own, so the links above keep pointing at the default tools.
            out.push_str(&section.replacen(
                &format!("### `{name}`"),
                &format!("### `{name}` (read-only mode)"),
                1,
            ));
        }
    }
    out.trim_end().to_string() + "\n"
}

#[test]
fn tools_reference_matches_the_server() {
    let path = root().join("docs/tools.md");
    let generated = tools_markdown();
    if std::env::var("UPDATE_SNAPSHOTS").as_deref() == Ok("1") {
        std::fs::write(&path, &generated).unwrap();
        return;
    }
    let written = std::fs::read_to_string(&path).unwrap_or_default();
    if written != generated {
        let first = written
            .lines()
            .zip(generated.lines())
            .position(|(w, g)| w != g)
            .unwrap_or_else(|| written.lines().count().min(generated.lines().count()));
        panic!(
            "docs/tools.md does not match the server's tools (first difference at line {}:\n  \
             file:      {:?}\n  generated: {:?}).\nRegenerate it with \
             `UPDATE_SNAPSHOTS=1 cargo test --test docs` and review the diff.",
            first + 1,
            written.lines().nth(first).unwrap_or("<end of file>"),
            generated.lines().nth(first).unwrap_or("<end of file>"),
        );
    }
}

// ---------------------------------------------------------------------------------------------
// ARCHITECTURE.md

/// Every file under `dir`, as a path relative to the repository root with `/` separators.
fn files_under(dir: &Path, found: &mut Vec<String>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("listing {}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            files_under(&path, found);
        } else {
            found.push(relative(&path));
        }
    }
}

/// Every directory under `dir` (not `dir` itself), skipping build output and hidden ones.
fn directories_under(dir: &Path, found: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.map(|e| e.unwrap().path()).collect();
    entries.sort();
    for path in entries {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let generated = ["target", "corpus", "artifacts", "coverage", "node_modules"];
        if path.is_dir() && !name.starts_with('.') && !generated.contains(&name.as_str()) {
            found.push(relative(&path) + "/");
            directories_under(&path, found);
        }
    }
}

fn relative(path: &Path) -> String {
    path.strip_prefix(root())
        .unwrap()
        .components()
        .map(|c| c.as_os_str().to_string_lossy().to_string())
        .collect::<Vec<_>>()
        .join("/")
}

/// The code spans of a markdown text (`like this`), in order.
fn code_spans(text: &str) -> Vec<String> {
    let mut spans = Vec::new();
    let mut in_fence = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            in_fence = !in_fence;
            continue;
        }
        if in_fence {
            continue;
        }
        let mut parts = line.split('`');
        parts.next();
        while let (Some(inside), Some(_)) = (parts.next(), parts.next()) {
            spans.push(inside.to_string());
        }
    }
    spans
}

/// Whether a code span is meant as a path in this repository.
fn names_a_path(span: &str) -> bool {
    const TOP: [&str; 7] = [
        "src/",
        "tests/",
        "examples/",
        "scripts/",
        "fuzz/",
        "docs/",
        ".ci/",
    ];
    TOP.iter().any(|top| span.starts_with(top))
        && !span.contains(' ')
        && !span.contains('*')
        && !span.contains('<')
        && !span.contains('…')
}

#[test]
fn architecture_names_every_source_file_and_only_real_paths() {
    let root = root();
    let text = read(&root.join("ARCHITECTURE.md"));
    let named: BTreeSet<String> = code_spans(&text)
        .into_iter()
        .filter(|s| names_a_path(s))
        .collect();

    let mut expected = Vec::new();
    files_under(&root.join("src"), &mut expected);
    for dir in ["tests", "examples", "scripts", "fuzz"] {
        directories_under(&root.join(dir), &mut expected);
    }
    let missing: Vec<&String> = expected.iter().filter(|p| !named.contains(*p)).collect();
    let extra: Vec<&String> = named
        .iter()
        .filter(|p| !root.join(p.trim_end_matches('/')).exists())
        .collect();

    let mut problems = String::new();
    if !missing.is_empty() {
        problems.push_str(
            "ARCHITECTURE.md does not name these paths (add one line each, in backticks, saying \
             why it exists — for a file under src/, from its //! header):\n",
        );
        for path in &missing {
            writeln!(problems, "  `{path}`").unwrap();
        }
    }
    if !extra.is_empty() {
        problems.push_str(
            "ARCHITECTURE.md names these paths, which do not exist (moved or removed? fix or \
             drop the line):\n",
        );
        for path in &extra {
            writeln!(problems, "  `{path}`").unwrap();
        }
    }
    assert!(problems.is_empty(), "{problems}");
}

#[test]
fn every_path_the_docs_name_exists() {
    let root = root();
    let mut missing = Vec::new();
    for document in documents() {
        for span in code_spans(&read(&document)) {
            if names_a_path(&span) && !root.join(span.trim_end_matches('/')).exists() {
                missing.push(format!("{}: `{span}`", relative(&document)));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "the docs name paths that do not exist (moved or removed? fix the text):\n  {}",
        missing.join("\n  ")
    );
}

// ---------------------------------------------------------------------------------------------
// Links

/// The documents whose links are checked.
fn documents() -> Vec<PathBuf> {
    let root = root();
    let mut documents: Vec<PathBuf> = [
        "README.md",
        "ARCHITECTURE.md",
        "CONTRIBUTING.md",
        "CHANGELOG.md",
    ]
    .iter()
    .map(|name| root.join(name))
    .collect();
    let mut docs: Vec<PathBuf> = std::fs::read_dir(root.join("docs"))
        .expect("docs/ exists")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    docs.sort();
    documents.extend(docs);
    documents
}

/// A markdown text without its fenced blocks and code spans, where `[x](y)` is not a link.
fn prose(text: &str) -> String {
    let mut out = String::new();
    let mut in_fence = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            in_fence = !in_fence;
            continue;
        }
        if in_fence {
            continue;
        }
        for (i, part) in line.split('`').enumerate() {
            if i % 2 == 0 {
                out.push_str(part);
            }
        }
        out.push('\n');
    }
    out
}

/// The targets of the inline links `[text](target)` in a markdown text.
fn link_targets(text: &str) -> Vec<String> {
    let prose = prose(text);
    let mut targets = Vec::new();
    let mut rest = prose.as_str();
    while let Some(at) = rest.find("](") {
        rest = &rest[at + 2..];
        if let Some(end) = rest.find(')') {
            let target = rest[..end].split_whitespace().next().unwrap_or("");
            targets.push(target.to_string());
            rest = &rest[end..];
        }
    }
    targets
}

/// GitHub's anchors for a document's headings: lower case, punctuation dropped, spaces to
/// hyphens, repeats numbered.
fn anchors(text: &str) -> BTreeSet<String> {
    let mut anchors = BTreeSet::new();
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut in_fence = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            in_fence = !in_fence;
            continue;
        }
        if in_fence || !line.starts_with('#') {
            continue;
        }
        let heading = line.trim_start_matches('#').trim();
        let slug: String = heading
            .to_lowercase()
            .chars()
            .filter(|c| c.is_alphanumeric() || *c == ' ' || *c == '-' || *c == '_')
            .map(|c| if c == ' ' { '-' } else { c })
            .collect();
        let count = seen.entry(slug.clone()).or_insert(0);
        anchors.insert(if *count == 0 {
            slug.clone()
        } else {
            format!("{slug}-{count}")
        });
        *count += 1;
    }
    anchors
}

#[test]
fn every_relative_link_in_the_docs_points_at_something_that_exists() {
    let mut broken = Vec::new();
    let mut checked = 0;
    for document in documents() {
        let text = read(&document);
        for target in link_targets(&text) {
            checked += 1;
            if target.contains("://") || target.starts_with("mailto:") || target.is_empty() {
                continue;
            }
            let (file, anchor) = match target.split_once('#') {
                Some((file, anchor)) => (file, Some(anchor)),
                None => (target.as_str(), None),
            };
            let path = if file.is_empty() {
                document.clone()
            } else {
                document.parent().unwrap().join(file)
            };
            let shown = format!("{}: ({target})", relative(&document));
            if !path.exists() {
                broken.push(format!("{shown}: no file {}", path.display()));
                continue;
            }
            if let Some(anchor) = anchor
                && path.extension().is_some_and(|e| e == "md")
                && !anchors(&read(&path)).contains(anchor)
            {
                broken.push(format!(
                    "{shown}: no heading #{anchor} in {}",
                    relative(&path)
                ));
            }
        }
    }
    assert!(
        broken.is_empty(),
        "broken links:\n  {}",
        broken.join("\n  ")
    );
    assert!(
        checked > 40,
        "only {checked} links found: is the link reader broken?"
    );
}

#[test]
fn the_readme_links_every_document_and_stays_short() {
    let root = root();
    let readme = read(&root.join("README.md"));
    assert!(
        readme.len() < 15_000,
        "README.md is {} bytes; keep it under 15 000 and move detail into docs/",
        readme.len()
    );
    let linked: BTreeSet<String> = link_targets(&readme)
        .into_iter()
        .map(|t| t.split('#').next().unwrap().to_string())
        .collect();
    let unlinked: Vec<String> = documents()
        .iter()
        .map(|d| relative(d))
        .filter(|d| d != "README.md" && !linked.contains(d))
        .collect();
    assert!(
        unlinked.is_empty(),
        "README.md does not link these documents (add them to its Documentation list): {unlinked:?}"
    );
    assert!(
        readme.contains("## Tests") && readme.contains("```sh\ncargo test\n```"),
        "README.md keeps a \"Tests\" section giving exactly `cargo test` (.ci/run runs it)"
    );
}

#[test]
fn the_link_reader_skips_code_and_the_anchors_follow_github() {
    let text = "# A `tool` (read-only mode)\n## Files\n## Files\nSee [x](a.md#files) and \
                `[not](a link)`.\n```\n[nor](this)\n# nor this\n```\n";
    assert_eq!(link_targets(text), ["a.md#files"]);
    let anchors = anchors(text);
    assert!(anchors.contains("a-tool-read-only-mode"), "{anchors:?}");
    assert!(
        anchors.contains("files") && anchors.contains("files-1"),
        "{anchors:?}"
    );
    assert!(!anchors.contains("nor-this"), "{anchors:?}");
}
