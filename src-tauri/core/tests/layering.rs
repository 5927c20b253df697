//! Core and br-model each read top-down: no module imports one that imports it back, directly or through
//! others. The circle that once ran through nearly every module of core (errors, accounts and the audit log,
//! the registry and programs, replay and the writers) cannot come back unnoticed.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// `a::b` for `a/b.rs` and `a/b/mod.rs`.
fn module_of(root: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(root).unwrap().with_extension("");
    let parts: Vec<String> = rel.iter().map(|p| p.to_string_lossy().into_owned()).collect();
    let parts: Vec<&str> = parts.iter().map(String::as_str).filter(|p| *p != "mod" && *p != "lib").collect();
    parts.join("::")
}

/// The paths after `prefix` in `text`: `crate::a::b::C` gives `a::b::C`.
fn paths_after<'t>(text: &'t str, prefix: &str) -> Vec<&'t str> {
    text.match_indices(prefix)
        .map(|(at, _)| {
            let rest = &text[at + prefix.len()..];
            let end = rest.find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':')).unwrap_or(rest.len());
            rest[..end].trim_end_matches(':')
        })
        .collect()
}

/// Module → the modules it names, at file granularity. A module's own children are not counted (a
/// parent declares and re-exports them), nor are tests.
fn graph(root: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let mut files = Vec::new();
    common::rust_sources(root, &mut files);
    let modules: BTreeSet<String> = files.iter().map(|f| module_of(root, f)).collect();
    let longest = |path: &str| -> Option<String> {
        let parts: Vec<&str> = path.split("::").collect();
        (1..=parts.len()).rev().map(|k| parts[..k].join("::")).find(|m| modules.contains(m))
    };
    let mut g = BTreeMap::new();
    for f in &files {
        let me = module_of(root, f);
        let text = std::fs::read_to_string(f).unwrap();
        let text = text.split("#[cfg(test)]").next().unwrap_or("");
        // `super::` names the parent module, from `a/b.rs` and from `a/b/mod.rs` alike.
        let parent = me.rsplit_once("::").map(|p| p.0.to_string()).unwrap_or_default();
        let mut deps = BTreeSet::new();
        for p in paths_after(text, "crate::") {
            deps.extend(longest(p));
        }
        for p in paths_after(text, "super::") {
            let full = if parent.is_empty() { p.to_string() } else { format!("{parent}::{p}") };
            deps.extend(longest(&full));
        }
        deps.retain(|d| d != &me && !d.starts_with(&format!("{me}::")) && !d.is_empty());
        g.insert(me, deps);
    }
    g
}

/// Modules on a circle, if any.
fn circle(g: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        m: &str,
        g: &BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<String, u8>,
        path: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        state.insert(m.to_string(), 1);
        path.push(m.to_string());
        for d in g.get(m).into_iter().flatten() {
            match state.get(d.as_str()) {
                Some(1) => {
                    let start = path.iter().position(|p| p == d).unwrap();
                    return Some(path[start..].to_vec());
                }
                Some(_) => {}
                None => {
                    if let Some(c) = visit(d, g, state, path) {
                        return Some(c);
                    }
                }
            }
        }
        path.pop();
        state.insert(m.to_string(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for m in g.keys() {
        if !state.contains_key(m.as_str()) {
            if let Some(c) = visit(m, g, &mut state, &mut Vec::new()) {
                return Some(c);
            }
        }
    }
    None
}

#[test]
fn core_and_the_model_read_top_down() {
    let core = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let model = Path::new(env!("CARGO_MANIFEST_DIR")).join("../model/src");
    for root in [core, model] {
        let g = graph(&root);
        assert!(g.len() > 10, "the scan read the modules of {}", root.display());
        assert_eq!(circle(&g), None, "modules of {} import each other in a circle", root.display());
    }
}

#[test]
fn the_scan_finds_a_circle() {
    let mut g = BTreeMap::new();
    g.insert("a".to_string(), BTreeSet::from(["b".to_string()]));
    g.insert("b".to_string(), BTreeSet::from(["c".to_string()]));
    g.insert("c".to_string(), BTreeSet::from(["a".to_string()]));
    assert_eq!(circle(&g), Some(vec!["a".to_string(), "b".to_string(), "c".to_string()]));
    assert_eq!(paths_after("use crate::registry::write::{self, X};", "crate::"), ["registry::write"]);
}
