//! The public JSON Patch conformance vectors (json-patch/json-patch-tests) against the project's
//! patch engine: every enabled record must pass, and a record with `error` must fail and leave
//! the document unchanged. The vectors are vendored in `tests/fixtures/json-patch-tests`
//! (Apache-2.0, unchanged; SOURCE.md says from where).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

use serde_json::Value;
use shared::patch::rfc::{apply_operations, parse_operations};

fn suite_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/json-patch-tests")
}

fn run(file: &str) -> usize {
    let path = suite_dir().join(file);
    let text =
        std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()));
    let records: Vec<Value> = serde_json::from_str(&text).unwrap();
    let mut ran = 0;
    for record in records.iter().filter(|r| r["disabled"] != true) {
        let comment = record["comment"].as_str().unwrap_or("(no comment)");
        let original = record["doc"].clone();
        let mut doc = original.clone();
        let outcome = parse_operations(&record["patch"])
            .map_err(|problem| problem.message)
            .and_then(|ops| apply_operations(&mut doc, &ops).map_err(|f| format!("{f:?}")));
        match (record.get("error"), record.get("expected")) {
            (Some(error), _) => {
                assert!(
                    outcome.is_err(),
                    "{file}: {comment}: should fail with {error}"
                );
                assert_eq!(
                    doc, original,
                    "{file}: {comment}: a failed patch changes nothing"
                );
            }
            (None, Some(expected)) => {
                assert!(outcome.is_ok(), "{file}: {comment}: {outcome:?}");
                assert_eq!(&doc, expected, "{file}: {comment}");
            }
            (None, None) => assert!(outcome.is_ok(), "{file}: {comment}: {outcome:?}"),
        }
        ran += 1;
    }
    ran
}

#[test]
fn every_enabled_record_of_tests_json_passes() {
    let ran = run("tests.json");
    eprintln!("tests.json: {ran} records passed");
}

#[test]
fn every_enabled_record_of_spec_tests_json_passes() {
    let ran = run("spec_tests.json");
    eprintln!("spec_tests.json: {ran} records passed");
}
