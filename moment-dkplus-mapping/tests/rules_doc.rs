//! `docs/integration-rules.md` goes rule → code → test: every rule names at least one test in its
//! "Test" column, and every test it names exists and is a test.

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the crate lives in the workspace")
        .to_path_buf()
}

/// The rules tables: (row, the cells), for every table whose header ends in `Test`.
fn rule_rows(page: &str) -> Vec<(String, Vec<String>)> {
    let mut rows = Vec::new();
    let mut in_rules = false;
    for line in page.lines() {
        if !line.starts_with('|') {
            in_rules = false;
            continue;
        }
        let cells: Vec<String> = line
            .trim()
            .trim_matches('|')
            .split(" | ")
            .map(|c| c.trim().to_owned())
            .collect();
        if cells.first().is_some_and(|c| c == "Rule") {
            in_rules = cells.last().is_some_and(|c| c == "Test");
            assert!(in_rules, "a rules table without a Test column: {line}");
            continue;
        }
        if in_rules && !line.starts_with("|---") {
            rows.push((line.to_owned(), cells));
        }
    }
    rows
}

/// `path::name` references in a cell.
fn references(cell: &str) -> Vec<(String, String)> {
    cell.split('`')
        .skip(1)
        .step_by(2)
        .filter_map(|r| r.rsplit_once("::"))
        .map(|(path, name)| (path.to_owned(), name.to_owned()))
        .collect()
}

/// True when `name` is a test function in `source`: `fn name(` under a `#[test]` or
/// `#[tokio::test]` attribute (inside `proptest!` blocks too).
fn is_test(source: &str, name: &str) -> bool {
    let lines: Vec<&str> = source.lines().collect();
    lines.iter().enumerate().any(|(i, line)| {
        let declares = line.trim_start().starts_with(&format!("fn {name}("))
            || line.trim_start().starts_with(&format!("async fn {name}("));
        // Its attributes: the lines right above it that are attributes or doc comments.
        let attributes = lines[..i].iter().rev().take_while(|l| {
            let l = l.trim_start();
            l.starts_with("#[") || l.starts_with("///") || l.starts_with(')')
        });
        declares && {
            let mut attributes = attributes;
            attributes.any(|l| l.contains("#[test]") || l.contains("#[tokio::test"))
        }
    })
}

#[test]
fn every_rule_names_tests_that_exist() {
    let root = root();
    let page = std::fs::read_to_string(root.join("docs/integration-rules.md")).unwrap();
    let rows = rule_rows(&page);
    assert!(rows.len() > 50, "the rules tables were not found");
    let mut problems = Vec::new();
    for (row, cells) in &rows {
        let tests = references(cells.last().map(String::as_str).unwrap_or_default());
        if tests.is_empty() {
            problems.push(format!("no test named for: {}", &row[..row.len().min(120)]));
        }
        for (path, name) in tests {
            match std::fs::read_to_string(root.join(&path)) {
                Ok(source) if is_test(&source, &name) => {}
                Ok(_) => problems.push(format!("{path}::{name} is not a test in that file")),
                Err(e) => problems.push(format!("{path}: {e}")),
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_checker_tells_a_test_from_a_helper() {
    let source = "#[test]\nfn a_rule() {}\n\nfn helper() {}\n\n#[tokio::test(flavor = \"multi_thread\")]\nasync fn an_async_rule() {}\n\nproptest! {\n    #[test]\n    fn a_property(x in 0..1) {}\n}\n";
    assert!(is_test(source, "a_rule"));
    assert!(is_test(source, "an_async_rule"));
    assert!(is_test(source, "a_property"));
    assert!(!is_test(source, "helper"));
    assert!(!is_test(source, "missing"));
}
