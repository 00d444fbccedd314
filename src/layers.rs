//! The layers test: the app's feature folders (and the model crate's modules) must not import
//! each other in a loop. It reads every `crate::<module>` path in the code (in `use` lines,
//! groups like `crate::{a, b::c}` and paths written inline), leaving out comments, strings and
//! `#[cfg(test)]` modules, and fails naming the cycle it finds. `docs/design.md` shows the
//! layers this keeps.

use std::{
    collections::{BTreeMap, BTreeSet},
    path::{Path, PathBuf},
};

/// Modules that are not layers: the crate roots compose everything, and `testing` builds the
/// whole app for tests.
const NOT_LAYERS: &[&str] = &["lib", "main", "testing", "layers"];

/// Which module of `root` each source file belongs to (its first path component).
fn modules(root: &Path) -> BTreeMap<String, Vec<PathBuf>> {
    let mut found: BTreeMap<String, Vec<PathBuf>> = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(folder) = stack.pop() {
        let entries = std::fs::read_dir(&folder).expect("the source folder is readable");
        for entry in entries.map(|entry| entry.expect("a readable entry").path()) {
            if entry.is_dir() {
                stack.push(entry);
                continue;
            }
            // A `tests.rs` is a `#[cfg(test)] mod tests;` kept in its own file: test code,
            // skipped like inline test modules.
            if entry.extension().is_none_or(|extension| extension != "rs")
                || entry.file_name().is_some_and(|name| name == "tests.rs")
            {
                continue;
            }
            let relative = entry.strip_prefix(root).expect("under the root");
            let first = relative
                .components()
                .next()
                .expect("a file has a name")
                .as_os_str()
                .to_string_lossy();
            let module = first.trim_end_matches(".rs").to_owned();
            if !NOT_LAYERS.contains(&module.as_str()) {
                found.entry(module).or_default().push(entry);
            }
        }
    }
    found
}

/// `source` without comments, string and char literals, and `#[cfg(test)]` items.
fn code_only(source: &str) -> String {
    let chars: Vec<char> = source.chars().collect();
    let mut out = String::with_capacity(source.len());
    let mut at = 0;
    while at < chars.len() {
        let peek = |at: usize| chars.get(at).copied().unwrap_or('\0');
        match (chars[at], peek(at + 1)) {
            ('/', '/') => {
                while at < chars.len() && chars[at] != '\n' {
                    at += 1;
                }
            }
            ('/', '*') => {
                let mut depth = 0;
                while at < chars.len() {
                    if chars[at] == '/' && peek(at + 1) == '*' {
                        depth += 1;
                        at += 2;
                    } else if chars[at] == '*' && peek(at + 1) == '/' {
                        depth -= 1;
                        at += 2;
                        if depth == 0 {
                            break;
                        }
                    } else {
                        at += 1;
                    }
                }
            }
            ('r', '"') | ('r', '#') if !is_ident(chars.get(at.wrapping_sub(1)).copied()) => {
                // A raw string: r"..." or r#"..."#.
                let mut hashes = 0;
                let mut probe = at + 1;
                while chars.get(probe) == Some(&'#') {
                    hashes += 1;
                    probe += 1;
                }
                if chars.get(probe) != Some(&'"') {
                    out.push(chars[at]);
                    at += 1;
                    continue;
                }
                at = probe + 1;
                while at < chars.len() {
                    if chars[at] == '"' && (0..hashes).all(|n| chars.get(at + 1 + n) == Some(&'#'))
                    {
                        at += 1 + hashes;
                        break;
                    }
                    at += 1;
                }
                out.push_str("\"\"");
            }
            ('"', _) => {
                at += 1;
                while at < chars.len() && chars[at] != '"' {
                    at += if chars[at] == '\\' { 2 } else { 1 };
                }
                at += 1;
                out.push_str("\"\"");
            }
            ('\'', next) if peek(at + 2) == '\'' || (next == '\\' && peek(at + 3) == '\'') => {
                // A char literal ('a', '\n'); lifetimes ('a) are left alone.
                at += if next == '\\' { 4 } else { 3 };
            }
            (c, _) => {
                out.push(c);
                at += 1;
            }
        }
    }
    strip_test_items(&out)
}

fn is_ident(c: Option<char>) -> bool {
    c.is_some_and(|c| c.is_alphanumeric() || c == '_')
}

/// Removes every item marked `#[cfg(test)]` (a test module with its braces, or a `use`).
fn strip_test_items(code: &str) -> String {
    let mut out = String::with_capacity(code.len());
    let mut rest = code;
    while let Some(start) = rest.find("#[cfg(test)]") {
        out.push_str(&rest[..start]);
        let item = &rest[start..];
        let brace = item.find('{');
        let semicolon = item.find(';');
        let end = match (brace, semicolon) {
            (Some(brace), Some(semicolon)) if semicolon < brace => semicolon + 1,
            (Some(brace), _) => {
                let mut depth = 0;
                let mut end = item.len();
                for (offset, c) in item[brace..].char_indices() {
                    match c {
                        '{' => depth += 1,
                        '}' => {
                            depth -= 1;
                            if depth == 0 {
                                end = brace + offset + 1;
                                break;
                            }
                        }
                        _ => {}
                    }
                }
                end
            }
            (None, Some(semicolon)) => semicolon + 1,
            (None, None) => item.len(),
        };
        rest = &item[end..];
    }
    out.push_str(rest);
    out
}

/// The first segment of every path after `crate::` in `code`, groups included.
fn crate_paths(code: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut rest = code;
    while let Some(start) = rest.find("crate::") {
        let before = rest[..start].chars().next_back();
        rest = &rest[start + "crate::".len()..];
        if is_ident(before) {
            // `encore_crate::` or similar: not this crate.
            continue;
        }
        let trimmed = rest.trim_start();
        if let Some(group) = trimmed.strip_prefix('{') {
            let mut depth = 1;
            let mut segment_start = true;
            let mut ident = String::new();
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    ',' if depth == 1 => {
                        if !ident.is_empty() {
                            found.insert(std::mem::take(&mut ident));
                        }
                        segment_start = true;
                        continue;
                    }
                    _ => {}
                }
                if depth == 1 && segment_start {
                    if is_ident(Some(c)) {
                        ident.push(c);
                        continue;
                    }
                    if !ident.is_empty() {
                        found.insert(std::mem::take(&mut ident));
                        segment_start = false;
                    }
                }
            }
            if !ident.is_empty() {
                found.insert(ident);
            }
        } else {
            let ident: String = trimmed.chars().take_while(|c| is_ident(Some(*c))).collect();
            if !ident.is_empty() {
                found.insert(ident);
            }
        }
    }
    found
}

/// Module → the other modules of the same crate it names.
fn graph(root: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let modules = modules(root);
    modules
        .iter()
        .map(|(module, files)| {
            let mut uses = BTreeSet::new();
            for file in files {
                let source = std::fs::read_to_string(file).expect("a readable source file");
                for used in crate_paths(&code_only(&source)) {
                    if used != *module && modules.contains_key(&used) {
                        uses.insert(used);
                    }
                }
            }
            (module.clone(), uses)
        })
        .collect()
}

/// A cycle in `graph` as `a -> b -> a`, if there is one.
fn cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        Open,
        Done,
    }
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        marks: &mut BTreeMap<String, Mark>,
        path: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        match marks.get(node) {
            Some(Mark::Done) => return None,
            Some(Mark::Open) => {
                let from = path.iter().position(|step| step == node).unwrap_or(0);
                let mut found = path[from..].to_vec();
                found.push(node.to_owned());
                return Some(found);
            }
            None => {}
        }
        marks.insert(node.to_owned(), Mark::Open);
        path.push(node.to_owned());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(found) = visit(next, graph, marks, path) {
                return Some(found);
            }
        }
        path.pop();
        marks.insert(node.to_owned(), Mark::Done);
        None
    }
    let mut marks = BTreeMap::new();
    graph
        .keys()
        .find_map(|node| visit(node, graph, &mut marks, &mut Vec::new()))
}

fn describe(graph: &BTreeMap<String, BTreeSet<String>>) -> String {
    graph
        .iter()
        .map(|(module, uses)| {
            let uses: Vec<&str> = uses.iter().map(String::as_str).collect();
            format!("  {module} -> {}", uses.join(", "))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn assert_no_cycle(root: &Path) {
    let graph = graph(root);
    // `ENCORE_PRINT_LAYERS=1 cargo test --lib layers -- --nocapture` prints the graphs.
    if std::env::var_os("ENCORE_PRINT_LAYERS").is_some() {
        println!("{}:\n{}", root.display(), describe(&graph));
    }
    assert!(graph.len() > 5, "{} has its modules", root.display());
    if let Some(found) = cycle(&graph) {
        panic!(
            "{} has an import cycle: {}\nevery module's imports:\n{}",
            root.display(),
            found.join(" -> "),
            describe(&graph)
        );
    }
}

#[test]
fn the_apps_feature_folders_import_each_other_without_cycles() {
    assert_no_cycle(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
}

#[test]
fn the_models_modules_import_each_other_without_cycles() {
    assert_no_cycle(&Path::new(env!("CARGO_MANIFEST_DIR")).join("crates/encore-show/src"));
}

#[test]
fn the_reader_finds_inline_and_grouped_paths_and_skips_the_rest() {
    let source = r##"
        use crate::{AppSystems, clock::{A, B}, setlist::ShowSetlist};
        use crate::{ui};
        // crate::commented
        /* crate::blocked */
        fn f() { let _ = crate::stage::thing(); let s = "crate::quoted"; let c = 'x'; }
        fn g<'a>(x: &'a str) -> &'a str { crate::music::mix(x) }
        let raw = r#"crate::raw"#;
        #[cfg(test)]
        mod tests { use crate::testing_only; fn t() { crate::camera::x(); } }
        pub use encore_crate::ignored;
    "##;
    let found = crate_paths(&code_only(source));
    let expected: BTreeSet<String> = ["AppSystems", "clock", "setlist", "ui", "stage", "music"]
        .into_iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(found, expected);
    let looped: BTreeMap<String, BTreeSet<String>> = [
        ("a", vec!["b"]),
        ("b", vec!["c"]),
        ("c", vec!["a"]),
        ("d", vec![]),
    ]
    .into_iter()
    .map(|(node, next)| {
        (
            node.to_owned(),
            next.into_iter().map(str::to_owned).collect(),
        )
    })
    .collect();
    assert_eq!(
        cycle(&looped).map(|found| found.join(" -> ")),
        Some("a -> b -> c -> a".to_owned())
    );
}
