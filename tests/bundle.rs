//! The MCP Bundle's manifest (`manifest.json`) cannot drift from the crate: its version is
//! Cargo.toml's, its tools are the server's default `tools/list` (names and descriptions), and
//! its `mcp_config` passes only settings the server reads, each from a declared `user_config`.
//! (Packing it and running the packed binary is `scripts/bundle.sh --check`, in CI.)

use std::collections::BTreeSet;

use fast_mcp_telegram::options::ServerOptions;
use serde_json::Value;

fn manifest() -> Value {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/manifest.json"))
        .expect("manifest.json at the repository root");
    serde_json::from_str(&text).expect("manifest.json is JSON")
}

#[test]
fn the_manifest_carries_the_crates_version_and_license() {
    let m = manifest();
    assert_eq!(m["manifest_version"], "0.4");
    assert_eq!(m["name"], env!("CARGO_PKG_NAME"));
    assert_eq!(m["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(m["license"], env!("CARGO_PKG_LICENSE"));
    assert_eq!(m["server"]["type"], "binary");
}

#[test]
fn the_manifest_lists_the_servers_default_tools_with_their_descriptions() {
    let router = fast_mcp_telegram::tools::router(&ServerOptions::default());
    let served: BTreeSet<(String, String)> = router
        .list_all()
        .into_iter()
        .map(|t| {
            (
                t.name.to_string(),
                t.description.unwrap_or_default().to_string(),
            )
        })
        .collect();
    let declared: BTreeSet<(String, String)> = manifest()["tools"]
        .as_array()
        .expect("a tools list")
        .iter()
        .map(|t| {
            (
                t["name"].as_str().unwrap().to_string(),
                t["description"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        declared, served,
        "manifest.json's tools differ from the server's tools/list: copy them from \
         tests/snapshots/tools_list.json (name and description)"
    );
}

/// The `${user_config.…}` names in a string.
fn user_config_names(text: &str) -> Vec<String> {
    text.match_indices("${user_config.")
        .map(|(at, found)| {
            let rest = &text[at + found.len()..];
            rest[..rest.find('}').expect("closed")].to_string()
        })
        .collect()
}

#[test]
fn the_launch_passes_only_settings_the_server_reads_from_declared_user_config() {
    let m = manifest();
    let server = &m["server"];
    let config = &server["mcp_config"];
    let entry = server["entry_point"].as_str().unwrap();
    assert_eq!(config["command"], format!("${{__dirname}}/{entry}"));
    assert!(entry.ends_with("/fast-mcp-telegram"));

    // The environment variables the server's settings are read from, as its --help names them.
    let help = std::process::Command::new(env!("CARGO_BIN_EXE_fast-mcp-telegram"))
        .arg("--help")
        .output()
        .expect("the server runs");
    let help = String::from_utf8(help.stdout).unwrap();
    let known: Vec<&str> = help
        .split("[env: ")
        .skip(1)
        .filter_map(|rest| rest.split(['=', ']']).next())
        .collect();
    assert!(known.contains(&"API_ID"), "{help}");
    let env = config["env"].as_object().unwrap();
    let mut used = Vec::new();
    for (key, value) in env {
        assert!(
            known.contains(&key.as_str()),
            "{key} is not a setting the server reads"
        );
        used.extend(user_config_names(value.as_str().unwrap()));
    }
    // A list of directories can only be passed as arguments (a host expands it there only).
    let args: Vec<&str> = config["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    assert_eq!(
        args,
        ["--allowed-file-roots", "${user_config.allowed_file_roots}"]
    );
    used.extend(args.iter().flat_map(|a| user_config_names(a)));

    let declared = m["user_config"].as_object().unwrap();
    let used: BTreeSet<String> = used.into_iter().collect();
    let names: BTreeSet<String> = declared.keys().cloned().collect();
    assert_eq!(
        used, names,
        "every user_config is passed on, and only those"
    );
    for (name, option) in declared {
        // A host substitutes nothing for an unset optional value: it needs a default.
        assert!(
            option["required"] == true || !option["default"].is_null(),
            "{name} is optional without a default"
        );
    }
    assert_eq!(declared["api_hash"]["sensitive"], true);
    assert_eq!(declared["allowed_file_roots"]["type"], "directory");
    assert_eq!(declared["allowed_file_roots"]["multiple"], true);
}
