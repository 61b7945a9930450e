//! The shape of `shared/src`: the layer order of the module map in docs/architecture.md (a
//! module uses only modules on lines below its own; every module is on the map), no import
//! cycle between its top-level modules, and no source file over 400 lines.
//! `cargo test -p shared --test modules` checks them and prints the module graph when asked
//! (`-- --nocapture`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const MAX_LINES: usize = 400;

fn sources(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
}

/// The top-level module a file belongs to (`store/keys.rs` → `store`), `None` for `lib.rs`.
fn module_of(src: &Path, file: &Path) -> Option<String> {
    let relative = file.strip_prefix(src).unwrap();
    let first = relative.components().next()?.as_os_str().to_str()?;
    let name = first.trim_end_matches(".rs");
    (name != "lib").then(|| name.to_string())
}

/// The top-level modules a file names through `crate::`, outside its `#[cfg(test)]` modules.
fn uses(
    text: &str,
    modules: &BTreeSet<String>,
    reexports: &BTreeMap<&str, &str>,
) -> BTreeSet<String> {
    let code = match text.find("#[cfg(test)]\nmod tests") {
        Some(at) => &text[..at],
        None => text,
    };
    let mut found = BTreeSet::new();
    for (at, _) in code.match_indices("crate::") {
        let rest = &code[at + "crate::".len()..];
        let names: Vec<&str> = if let Some(group) = rest.strip_prefix('{') {
            group[..group.find('}').unwrap()]
                .split(',')
                .map(|item| item.trim().split("::").next().unwrap_or_default())
                .collect()
        } else {
            vec![
                rest.split(|c: char| !c.is_alphanumeric() && c != '_')
                    .next()
                    .unwrap_or_default(),
            ]
        };
        for name in names {
            let module = reexports.get(name).copied().unwrap_or(name);
            if modules.contains(module) {
                found.insert(module.to_string());
            }
        }
    }
    found
}

fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    let modules: BTreeSet<String> = files.iter().filter_map(|f| module_of(&src, f)).collect();
    // What lib.rs re-exports at the crate root, by the module that defines it.
    let reexports = BTreeMap::from([("App", "app"), ("sdk_config", "app")]);
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in &files {
        let Some(module) = module_of(&src, file) else {
            continue;
        };
        let text = std::fs::read_to_string(file).unwrap();
        let edges = graph.entry(module.clone()).or_default();
        edges.extend(uses(&text, &modules, &reexports));
        edges.remove(&module);
    }
    graph
}

fn find_cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(start) = path.iter().position(|n| n == node) {
            let mut cycle = path[start..].to_vec();
            cycle.push(node.to_string());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|node| visit(node, graph, &mut Vec::new(), &mut done))
}

#[test]
fn no_module_of_shared_imports_a_module_that_imports_it_back() {
    let graph = graph();
    for (module, edges) in &graph {
        println!(
            "{module} -> {}",
            edges.iter().cloned().collect::<Vec<_>>().join(", ")
        );
    }
    assert!(graph.contains_key("store") && graph["store"].contains("identity"));
    if let Some(cycle) = find_cycle(&graph) {
        panic!("import cycle: {}", cycle.join(" -> "));
    }
}

/// The layers of the module map in docs/architecture.md, top to bottom: each line under
/// `shared/src/` names the modules of one layer (`lambda.rs`, `store/, jwks.rs`).
fn layers() -> Vec<Vec<String>> {
    let doc = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/architecture.md"),
    )
    .unwrap();
    let map = &doc[doc
        .find("\nshared/src/ ")
        .expect("the module map of shared/src")
        + 1..];
    let mut layers = Vec::new();
    for line in map.lines().skip(1) {
        let Some(entry) = line.strip_prefix("  ") else {
            break;
        };
        if entry.starts_with(' ') {
            continue; // a description's continuation
        }
        let names = entry.split("  ").next().unwrap();
        layers.push(
            names
                .split(',')
                .map(|name| name.trim().trim_end_matches('/').trim_end_matches(".rs"))
                .map(str::to_string)
                .collect(),
        );
    }
    layers
}

#[test]
fn every_module_uses_only_modules_below_it_on_the_map() {
    let layers = layers();
    let layer_of = |module: &str| layers.iter().position(|l| l.iter().any(|m| m == module));
    let graph = graph();
    for module in graph.keys() {
        assert!(
            layer_of(module).is_some(),
            "{module} is not on the module map of docs/architecture.md"
        );
    }
    for (module, edges) in &graph {
        let own = layer_of(module).unwrap();
        for used in edges {
            assert!(
                layer_of(used).is_some_and(|below| below > own),
                "{module} uses {used}, which the module map puts on its own line or above it"
            );
        }
    }
    for module in layers.iter().flatten() {
        assert!(
            graph.contains_key(module),
            "the map names {module}, which is no module"
        );
    }
}

#[test]
fn the_cycle_finder_finds_a_cycle() {
    let graph = BTreeMap::from([
        ("a".to_string(), BTreeSet::from(["b".to_string()])),
        ("b".to_string(), BTreeSet::from(["c".to_string()])),
        ("c".to_string(), BTreeSet::from(["a".to_string()])),
    ]);
    assert_eq!(find_cycle(&graph).unwrap(), ["a", "b", "c", "a"]);
}

#[test]
fn no_source_file_is_over_400_lines() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    for file in files {
        let lines = std::fs::read_to_string(&file).unwrap().lines().count();
        assert!(lines <= MAX_LINES, "{} has {lines} lines", file.display());
    }
}
