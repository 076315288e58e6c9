//! The SDK crate's modules depend on each other one way, as ARCHITECTURE.md draws them: every
//! module belongs to one layer and names only modules of its own layer or the layers below,
//! no two modules name each other (directly or through others), and nothing below the facade
//! names the facade. This reads the sources as text, so it checks what a reviewer would see.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

/// Bottom up. A module missing here fails the test: a new module takes a place in the layers
/// on purpose.
const LAYERS: &[(&str, &[&str])] = &[
    (
        "vocabulary",
        &[
            "time",
            "stored_text",
            "decision",
            "permissions::os",
            "consent::action",
            "keys",
            "keys::sealing",
            "discovery::transport",
            "error",
            "privacy_error",
            "data_holder",
        ],
    ),
    (
        "facts",
        &[
            "policy",
            "policy::changes",
            "policy::document",
            "policy::countries",
            "policy::tcf",
            "permissions",
            "consent",
            "consent::ledger",
            "age",
        ],
    ),
    (
        "store",
        &[
            "store",
            "policy::db",
            "permissions::db",
            "consent::db",
            "consent::compaction",
            "consent::seal",
            "consent::stored",
            "access_report",
            "vault::db",
            "vault::keys",
            "discovery::cache",
            "install_id",
            "holders",
            "rights::erase",
            "retention",
            "retention_events",
        ],
    ),
    ("state", &["state"]),
    ("guard", &["guard", "guard::access_log", "guard::snapshot"]),
    ("engine", &["engine", "listeners", "signals"]),
    (
        "capabilities",
        &[
            "vault",
            "discovery",
            "data_use",
            "advertising_id",
            "reconsent",
            "rights",
            "rights::export",
        ],
    ),
    ("facade", &["privacy_kit", "lib"]),
];

/// Module path (`consent::db`) to its source, for every file under `src/` but binaries.
fn modules(src: &Path) -> BTreeMap<String, String> {
    let mut found = BTreeMap::new();
    let mut dirs = vec![src.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let relative = path.strip_prefix(src).unwrap().with_extension("");
            let mut parts: Vec<String> = relative
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            if parts.last().is_some_and(|p| p == "mod") {
                parts.pop();
            }
            found.insert(
                parts.join("::"),
                code_of(&fs::read_to_string(&path).unwrap()),
            );
        }
    }
    found
}

/// The code that ships: comments and the unit-test module removed.
fn code_of(source: &str) -> String {
    let shipped = source.split("#[cfg(test)]\nmod tests").next().unwrap();
    shipped
        .lines()
        .map(|line| match line.find("//") {
            Some(at) if !line[..at].contains('"') => &line[..at],
            _ => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The longest module path that `path` starts with.
fn resolve<'a>(modules: &'a BTreeMap<String, String>, path: &[&str]) -> Option<&'a str> {
    (1..=path.len())
        .rev()
        .map(|n| path[..n].join("::"))
        .find_map(|candidate| modules.get_key_value(&candidate).map(|(k, _)| k.as_str()))
}

/// The paths written after `prefix` (`crate::`, `super::`) in `code`.
fn paths_after<'a>(code: &'a str, prefix: &str) -> Vec<Vec<&'a str>> {
    let mut paths = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find(prefix) {
        let before = rest[..at].chars().next_back();
        rest = &rest[at + prefix.len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let end = rest
            .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
            .unwrap_or(rest.len());
        paths.push(rest[..end].split("::").filter(|s| !s.is_empty()).collect());
    }
    paths
}

/// Which modules each module names.
fn dependencies(modules: &BTreeMap<String, String>) -> BTreeMap<&str, BTreeSet<&str>> {
    let mut edges: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for (module, code) in modules {
        let parent: Vec<&str> = module.split("::").filter(|s| !s.is_empty()).collect();
        let parent = &parent[..parent.len().saturating_sub(1)];
        let mut named = BTreeSet::new();
        for path in paths_after(code, "crate::") {
            named.extend(resolve(modules, &path));
        }
        for path in paths_after(code, "super::") {
            let full: Vec<&str> = parent.iter().copied().chain(path).collect();
            named.extend(resolve(modules, &full).or_else(|| resolve(modules, parent)));
        }
        named.remove(module.as_str());
        named.remove("lib");
        edges.insert(module.as_str(), named);
    }
    edges
}

fn src() -> BTreeMap<String, String> {
    let mut found = modules(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
    found.retain(|module, _| !module.starts_with("bin"));
    if let Some(lib) = found.remove("lib") {
        found.insert("lib".into(), lib);
    }
    found
}

#[test]
fn every_module_has_a_layer_and_names_only_its_own_layer_or_below() {
    let modules = src();
    let layer_of: BTreeMap<&str, usize> = LAYERS
        .iter()
        .enumerate()
        .flat_map(|(i, (_, members))| members.iter().map(move |m| (*m, i)))
        .collect();
    let mut wrong = Vec::new();
    for module in modules.keys() {
        if !layer_of.contains_key(module.as_str()) {
            wrong.push(format!("{module} has no layer: add it to LAYERS"));
        }
    }
    for (module, named) in dependencies(&modules) {
        let Some(&layer) = layer_of.get(module) else {
            continue;
        };
        for target in named {
            if layer_of.get(target).is_some_and(|&t| t > layer) {
                wrong.push(format!(
                    "{module} ({}) names {target} ({}), a layer above it",
                    LAYERS[layer].0, LAYERS[layer_of[target]].0
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn no_two_modules_depend_on_each_other() {
    let modules = src();
    let edges = dependencies(&modules);
    let reaches = |from: &str, to: &str| {
        let mut seen = BTreeSet::new();
        let mut stack = vec![from];
        while let Some(next) = stack.pop() {
            for &target in edges.get(next).into_iter().flatten() {
                if target == to {
                    return true;
                }
                if seen.insert(target) {
                    stack.push(target);
                }
            }
        }
        false
    };
    let mut cycles = Vec::new();
    for (module, named) in &edges {
        for target in named {
            if module < target && reaches(target, module) {
                cycles.push(format!("{module} <-> {target}"));
            }
        }
    }
    assert!(
        cycles.is_empty(),
        "modules in a cycle:\n{}",
        cycles.join("\n")
    );
}

#[test]
fn nothing_below_the_facade_names_it() {
    let modules = src();
    let edges = dependencies(&modules);
    let naming: Vec<&str> = edges
        .iter()
        .filter(|(module, named)| **module != "lib" && named.contains("privacy_kit"))
        .map(|(module, _)| *module)
        .collect();
    assert!(
        naming.is_empty(),
        "these modules name the facade: {naming:?}"
    );
}

#[test]
fn the_checker_sees_dependencies() {
    // A check that finds nothing because it reads nothing would pass for the wrong reason.
    let modules = src();
    let edges = dependencies(&modules);
    assert!(edges["engine"].contains("state"));
    assert!(edges["privacy_kit"].contains("engine"));
    assert!(
        edges["consent::db"].contains("consent"),
        "super:: is resolved"
    );
    assert!(!edges["decision"].contains("error"));
}
