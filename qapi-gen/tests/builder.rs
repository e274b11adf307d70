//! What a build script prints when the schema is invalid: the error first,
//! the warnings counted in one line unless asked for.

mod common;

use common::TempDir;
use qapi_gen::{BuildError, Builder};

/// A schema of the QEMU 5.2 dialect with 200 house-style warnings and, at
/// its end, one error.
fn fork_schema() -> String {
    let mut text = String::new();
    for i in 0..200 {
        text.push_str(&format!(
            "{{ 'struct': 'Thing{i}', 'data': {{ 'avg_time{i}': 'int' }} }}\n"
        ));
    }
    text.push_str("{ 'command': 'query-things', 'returns': 'NoSuchType' }\n");
    text
}

fn failure(dir: &TempDir, warnings: bool) -> BuildError {
    let schema = dir.write("fork.json", &fork_schema());
    let out = dir.0.join("out");
    std::fs::create_dir_all(&out).unwrap();
    Builder::new()
        .schema(schema)
        .out_dir(out)
        .warnings(warnings)
        .generate()
        .expect_err("the schema is invalid")
}

#[test]
fn a_failing_build_prints_the_error_then_a_count_of_warnings() {
    let dir = TempDir::new("builder-error");
    let e = failure(&dir, false);
    let text = e.to_string();
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[0].ends_with("fork.json: In command 'query-things':"),
        "{text}"
    );
    assert!(
        lines[1].ends_with("fork.json:201: command's 'returns' uses unknown type 'NoSuchType'"),
        "{text}"
    );
    assert!(!text.contains("warning:"), "{text}");
    assert_eq!(
        lines.last(),
        Some(&"qapi-gen: 200 warnings too (name-case: 200); .warnings(true) shows them"),
        "{text}"
    );
    assert!(lines.len() < 10, "{text}");
}

#[test]
fn the_alternate_form_shows_every_warning_after_the_error() {
    let dir = TempDir::new("builder-error-all");
    let e = failure(&dir, true);
    let text = format!("{e:#}");
    let error = text
        .find("uses unknown type 'NoSuchType'")
        .expect("the error");
    let first_warning = text.find("warning:").expect("a warning");
    assert!(error < first_warning, "{text}");
    assert_eq!(text.matches("warning: name of").count(), 200, "{text}");
    assert!(!text.contains("warnings too"), "{text}");
}

#[test]
fn without_warnings_there_is_no_count() {
    let dir = TempDir::new("builder-error-clean");
    let schema = dir.write("bad.json", "{ 'command': 'q', 'returns': 'Nope' }\n");
    let e = Builder::new()
        .schema(schema)
        .out_dir(&dir.0)
        .generate()
        .expect_err("the schema is invalid");
    let text = e.to_string();
    assert!(text.contains("uses unknown type 'Nope'"), "{text}");
    assert!(!text.contains("qapi-gen:"), "{text}");
}
