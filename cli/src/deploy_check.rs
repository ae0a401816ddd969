//! Static checks of `deploy/` (no container engine or cluster runs here): every compose
//! and Kubernetes file is valid YAML; every `BAOCAO_*` variable they or the Dockerfile
//! set names a real config key; every `baocao.toml` they carry parses with no unknown key;
//! every baocao command line in them parses with this binary's CLI.

use std::path::{Path, PathBuf};

use clap::Parser;
use serde::Deserialize;
use serde_yaml_ng::Value;

use crate::Cli;
use crate::config::Config;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn files_under(dir: &Path, extensions: &[&str], out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            files_under(&path, extensions, out);
        } else if path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| extensions.contains(&e))
        {
            out.push(path);
        }
    }
}

/// Every YAML document of a file, with `<<` merge keys applied (compose anchors).
fn documents(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_yaml_ng::Deserializer::from_str(&text)
        .map(|doc| {
            let mut value = Value::deserialize(doc)
                .unwrap_or_else(|e| panic!("{} is not valid YAML: {e}", path.display()));
            value
                .apply_merge()
                .unwrap_or_else(|e| panic!("{}: merge keys: {e}", path.display()));
            value
        })
        .collect()
}

#[derive(Default)]
struct Found {
    env_names: Vec<String>,
    command_lines: Vec<Vec<String>>,
    config_files: Vec<String>,
}

fn strings(value: Option<&Value>) -> Vec<String> {
    value
        .and_then(Value::as_sequence)
        .map(|seq| {
            seq.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn walk(value: &Value, found: &mut Found) {
    match value {
        Value::Mapping(map) => {
            for (key, child) in map {
                if let Some(key) = key.as_str() {
                    if key.starts_with("BAOCAO_") {
                        found.env_names.push(key.to_string());
                    }
                    if key.ends_with(".toml")
                        && let Some(text) = child.as_str()
                    {
                        found.config_files.push(text.to_string());
                    }
                }
                walk(child, found);
            }
            if let Some(name) = map.get("name").and_then(Value::as_str)
                && name.starts_with("BAOCAO_")
            {
                found.env_names.push(name.to_string());
            }
            // A container of the baocao image: compose `command` (after an entrypoint that
            // is the binary itself, if any), Kubernetes `args`.
            if map
                .get("image")
                .and_then(Value::as_str)
                .is_some_and(|image| image.starts_with("baocao:"))
            {
                let entrypoint = strings(map.get("entrypoint"));
                if !entrypoint.is_empty() && entrypoint[0] != "/usr/local/bin/baocao" {
                    return;
                }
                let mut argv: Vec<String> = entrypoint.into_iter().skip(1).collect();
                argv.extend(strings(map.get("command")));
                argv.extend(strings(map.get("args")));
                if !argv.is_empty() {
                    found.command_lines.push(argv);
                }
            }
        }
        Value::Sequence(seq) => seq.iter().for_each(|v| walk(v, found)),
        Value::Tagged(tagged) => walk(&tagged.value, found),
        _ => {}
    }
}

/// Whether `BAOCAO_A__B` names a key of the config (or a flag's environment variable).
fn is_known_variable(name: &str, defaults: &toml::Value) -> bool {
    let Some(rest) = name.strip_prefix("BAOCAO_") else {
        return false;
    };
    if matches!(rest, "CONFIG" | "TOKEN") {
        return true;
    }
    let mut node = defaults;
    for part in rest.split("__").map(str::to_lowercase) {
        if node.is_table() && node.get("properties").is_some() && part == "properties" {
            return true; // [kafka.properties]: any librdkafka property
        }
        match node.get(part.as_str()) {
            Some(child) => node = child,
            None => return false,
        }
    }
    true
}

#[test]
fn deploy_files_use_only_known_config_keys_and_valid_command_lines() {
    let mut yaml_files = Vec::new();
    files_under(&repo().join("deploy"), &["yml", "yaml"], &mut yaml_files);
    assert!(yaml_files.len() >= 5, "deploy files found: {yaml_files:?}");
    let mut found = Found::default();
    for file in &yaml_files {
        for document in documents(file) {
            walk(&document, &mut found);
        }
    }
    let dockerfile = std::fs::read_to_string(repo().join("Dockerfile")).expect("Dockerfile");
    for word in dockerfile.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')) {
        if word.starts_with("BAOCAO_") {
            found.env_names.push(word.to_string());
        }
    }
    let mut toml_files = Vec::new();
    files_under(&repo().join("deploy"), &["toml"], &mut toml_files);
    for file in &toml_files {
        found
            .config_files
            .push(std::fs::read_to_string(file).expect("config file"));
    }

    let defaults = toml::Value::try_from(Config::default()).expect("defaults serialize");
    let unknown: Vec<_> = found
        .env_names
        .iter()
        .filter(|name| !is_known_variable(name, &defaults))
        .collect();
    assert!(unknown.is_empty(), "unknown BAOCAO_ variables: {unknown:?}");
    assert!(found.env_names.len() >= 5, "{:?}", found.env_names);

    assert!(found.config_files.len() >= 2, "compose and k8s configs");
    for text in &found.config_files {
        if let Err(err) = toml::from_str::<Config>(text) {
            panic!("a deploy config does not parse: {err}\n{text}");
        }
    }

    assert!(found.command_lines.len() >= 10, "{:?}", found.command_lines);
    for argv in &found.command_lines {
        let full = std::iter::once("baocao".to_string()).chain(argv.iter().cloned());
        if let Err(err) = Cli::try_parse_from(full) {
            panic!("`baocao {}` does not parse:\n{err}", argv.join(" "));
        }
    }
}

#[test]
fn deploy_check_catches_an_unknown_key() {
    let defaults = toml::Value::try_from(Config::default()).expect("defaults serialize");
    assert!(is_known_variable(
        "BAOCAO_GATEWAY__TLS__CERT_FILE",
        &defaults
    ));
    assert!(is_known_variable("BAOCAO_KAFKA__PROPERTIES__X", &defaults));
    assert!(!is_known_variable("BAOCAO_GATEWAY__NO_SUCH", &defaults));
    assert!(!is_known_variable("BAOCAO_LANDIN__DIR", &defaults));
    assert!(Cli::try_parse_from(["baocao", "serve", "--no-such-flag"]).is_err());
}

#[test]
fn dashboard_uses_only_metrics_the_code_records() {
    let path = repo().join("deploy/grafana/baocao-dashboard.json");
    let text = std::fs::read_to_string(&path).expect("dashboard");
    let _: serde_json::Value = serde_json::from_str(&text).expect("the dashboard is JSON");
    let mut sources = Vec::new();
    for dir in ["libs", "services", "pipelines", "cli/src"] {
        files_under(&repo().join(dir), &["rs"], &mut sources);
    }
    let code: String = sources
        .iter()
        .filter_map(|f| std::fs::read_to_string(f).ok())
        .collect();
    let names = |text: &str| -> Vec<String> {
        text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .filter(|w| w.starts_with("baocao_") && w.len() > "baocao_".len())
            .map(|w| {
                ["_bucket", "_count", "_sum"]
                    .iter()
                    .fold(w.to_string(), |n, s| {
                        n.strip_suffix(s).map(str::to_string).unwrap_or(n)
                    })
            })
            .collect()
    };
    let used = names(&text);
    assert!(used.len() >= 6, "{used:?}");
    for name in used {
        assert!(
            code.contains(&format!("\"{name}\"")),
            "the dashboard queries `{name}`, which no code records"
        );
    }
}
