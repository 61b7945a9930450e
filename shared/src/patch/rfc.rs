//! The generic patch engine: RFC 6902 JSON Patch on top of the `json-patch` crate (atomic, and
//! `test` comparing numbers by value) and RFC 7396 merge patches. It knows nothing of resources.

use json_patch::PatchOperation;
use json_patch::jsonptr::PointerBuf;
use serde_json::Value;

use crate::error::Problem;

pub use super::bounds::{Limits, depth, json_size};
use super::bounds::{pointers_of, segments};

/// Why a JSON Patch could not be applied; the document is then unchanged.
#[derive(Debug, Clone, PartialEq)]
pub enum PatchFailure {
    /// Operation `index` was a `test` that did not hold.
    TestFailed { index: usize },
    /// Operation `index` could not be applied (a missing target, a bad array index, ...).
    Invalid { index: usize, reason: String },
    /// After operation `index` the document was over the size bound.
    TooLarge { index: usize },
    /// Operation `index` named a pointer with more segments than the depth bound, or left the
    /// document nested deeper than it.
    TooDeep { index: usize },
}

/// Reads an RFC 6902 document: an array of operations, each with the members its `op` needs.
/// A problem's field is the pointer into the document (`/0/path`).
pub fn parse_operations(document: &Value) -> Result<Vec<PatchOperation>, Problem> {
    let Value::Array(operations) = document else {
        return Err(Problem::general(
            "a JSON Patch document must be an array of operations",
        ));
    };
    operations
        .iter()
        .enumerate()
        .map(|(index, operation)| parse_operation(index, operation))
        .collect()
}

fn parse_operation(index: usize, operation: &Value) -> Result<PatchOperation, Problem> {
    let Value::Object(members) = operation else {
        return Err(Problem::field(
            format!("/{index}"),
            "an operation must be an object",
        ));
    };
    let op = members.get("op").and_then(Value::as_str).ok_or_else(|| {
        Problem::field(
            format!("/{index}/op"),
            "is required: add, remove, replace, move, copy or test",
        )
    })?;
    let required: &[&str] = match op {
        "add" | "replace" | "test" => &["path", "value"],
        "remove" => &["path"],
        "move" | "copy" => &["from", "path"],
        _ => {
            return Err(Problem::field(
                format!("/{index}/op"),
                format!("'{op}' is not one of add, remove, replace, move, copy, test"),
            ));
        }
    };
    // Checked here because serde would read a missing `value` as null.
    for member in required {
        if !members.contains_key(*member) {
            return Err(Problem::field(
                format!("/{index}/{member}"),
                format!("is required for {op}"),
            ));
        }
    }
    serde_json::from_value(operation.clone()).map_err(|err| {
        let member = ["path", "from"]
            .into_iter()
            .find(|m| err.to_string().contains(m))
            .unwrap_or("path");
        Problem::field(
            format!("/{index}/{member}"),
            "must be a JSON Pointer (a string starting with /)",
        )
    })
}

/// Applies the operations in order, all or nothing.
pub fn apply_operations(
    doc: &mut Value,
    operations: &[PatchOperation],
) -> Result<(), PatchFailure> {
    apply_operations_resolving(doc, operations, Limits::NONE, &|_, _| None)
}

/// A pointer of an operation rewritten against the document as it is when that operation
/// applies; `None` keeps the pointer.
pub type Resolver = dyn Fn(&Value, &str) -> Option<String>;

/// Applies the operations in order, all or nothing, each operation's `path` and `from` first
/// passed through `resolve`, refusing at the first operation that breaks `limits`. `copy` can
/// double a document's size, and its depth, per operation (a copy into its own innermost
/// array): both are checked as the document grows, depth first and without recursion, so
/// nothing that serializes, clones or drops the document ever recurses deeper than the bound
/// allows (an unbounded depth overflows the stack and kills the process).
pub fn apply_operations_resolving(
    doc: &mut Value,
    operations: &[PatchOperation],
    limits: Limits,
    resolve: &Resolver,
) -> Result<(), PatchFailure> {
    let mut working = doc.clone();
    for (index, operation) in operations.iter().enumerate() {
        if pointers_of(operation).any(|pointer| segments(pointer) > limits.max_depth) {
            return Err(PatchFailure::TooDeep { index });
        }
        let resolved = resolved(operation, &working, resolve);
        match resolved.as_ref().unwrap_or(operation) {
            // RFC 6902 §4.6: numbers are equal when their values are, so 1 equals 1.0;
            // the crate compares representations, hence this one operation is ours.
            PatchOperation::Test(test) => {
                let holds = working
                    .pointer(test.path.as_str())
                    .is_some_and(|found| same_json(found, &test.value));
                if !holds {
                    return Err(PatchFailure::TestFailed { index });
                }
            }
            other => json_patch::patch_unsafe(&mut working, std::slice::from_ref(other)).map_err(
                |err| PatchFailure::Invalid {
                    index,
                    reason: err.kind.to_string(),
                },
            )?,
        }
        if limits.max_depth < usize::MAX && depth(&working) > limits.max_depth {
            return Err(PatchFailure::TooDeep { index });
        }
        if limits.max_bytes < usize::MAX && json_size(&working) > limits.max_bytes {
            return Err(PatchFailure::TooLarge { index });
        }
    }
    *doc = working;
    Ok(())
}

/// The operation with its pointers resolved, `None` when `resolve` changes none of them.
fn resolved(operation: &PatchOperation, doc: &Value, resolve: &Resolver) -> Option<PatchOperation> {
    let from = match operation {
        PatchOperation::Move(op) => Some(op.from.as_str()),
        PatchOperation::Copy(op) => Some(op.from.as_str()),
        _ => None,
    };
    let new_path = resolve(doc, operation.path().as_str());
    let new_from = from.and_then(|from| resolve(doc, from));
    if new_path.is_none() && new_from.is_none() {
        return None;
    }
    let mut operation = operation.clone();
    let (path, from) = match &mut operation {
        PatchOperation::Add(op) => (&mut op.path, None),
        PatchOperation::Remove(op) => (&mut op.path, None),
        PatchOperation::Replace(op) => (&mut op.path, None),
        PatchOperation::Test(op) => (&mut op.path, None),
        PatchOperation::Move(op) => (&mut op.path, Some(&mut op.from)),
        PatchOperation::Copy(op) => (&mut op.path, Some(&mut op.from)),
    };
    for (pointer, new) in [(Some(path), new_path), (from, new_from)] {
        if let (Some(pointer), Some(new)) = (pointer, new)
            && let Ok(parsed) = PointerBuf::parse(new)
        {
            *pointer = parsed;
        }
    }
    Some(operation)
}

/// Applies an RFC 7396 merge patch.
pub fn apply_merge(doc: &mut Value, patch: &Value) {
    json_patch::merge(doc, patch);
}

/// JSON equality with numbers compared by value.
fn same_json(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_i128(), y.as_i128()) {
            (Some(x), Some(y)) => x == y,
            _ => x.as_f64() == y.as_f64(),
        },
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same_json(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(key, x)| y.get(key).is_some_and(|y| same_json(x, y)))
        }
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ops(value: Value) -> Vec<PatchOperation> {
        parse_operations(&value).unwrap()
    }

    #[test]
    fn test_compares_numbers_by_value() {
        let mut doc = json!({"a": 1, "b": [1.0, {"c": 2}]});
        let patch = ops(json!([
            {"op": "test", "path": "/a", "value": 1.0},
            {"op": "test", "path": "/b", "value": [1, {"c": 2.0}]}
        ]));
        assert_eq!(apply_operations(&mut doc, &patch), Ok(()));
        let failing = ops(json!([{"op": "test", "path": "/a", "value": 1.5}]));
        assert_eq!(
            apply_operations(&mut doc, &failing),
            Err(PatchFailure::TestFailed { index: 0 })
        );
    }

    #[test]
    fn a_failing_operation_leaves_the_document_unchanged() {
        let mut doc = json!({"a": 1});
        let patch = ops(json!([
            {"op": "add", "path": "/b", "value": 2},
            {"op": "remove", "path": "/missing"}
        ]));
        assert!(matches!(
            apply_operations(&mut doc, &patch),
            Err(PatchFailure::Invalid { index: 1, .. })
        ));
        assert_eq!(doc, json!({"a": 1}));
    }

    #[test]
    fn copying_a_value_into_itself_stops_at_the_depth_bound() {
        let limits = Limits {
            max_bytes: usize::MAX,
            max_depth: 8,
        };
        let mut doc = json!({"fields": {}});
        let patch = ops(json!([
            {"op": "add", "path": "/fields/a", "value": [[[]]]},
            {"op": "copy", "from": "/fields/a", "path": "/fields/a/0/0/-"},
            {"op": "copy", "from": "/fields/a", "path": "/fields/a/0/0/0/0/0/-"},
        ]));
        let outcome = apply_operations_resolving(&mut doc, &patch, limits, &|_, _| None);
        assert_eq!(outcome, Err(PatchFailure::TooDeep { index: 2 }));
        assert_eq!(doc, json!({"fields": {}}), "nothing applied");
        let too_long = ops(json!([{"op": "remove", "path": "/a/b/c/d/e/f/g/h/i"}]));
        let outcome = apply_operations_resolving(&mut doc, &too_long, limits, &|_, _| None);
        assert_eq!(outcome, Err(PatchFailure::TooDeep { index: 0 }));
        assert_eq!(depth(&json!(1)), 1);
        assert_eq!(depth(&json!({"a": [1, {"b": {}}]})), 4);
    }

    #[test]
    fn malformed_operations_name_the_member_at_fault() {
        for (document, field) in [
            (json!([{"op": "add", "path": "/a"}]), Some("/0/value")),
            (
                json!([{"op": "test", "path": "/a", "value": 1}, {"op": "spam", "path": "/a"}]),
                Some("/1/op"),
            ),
            (json!([{"path": "/a"}]), Some("/0/op")),
            (json!([{"op": "move", "path": "/a"}]), Some("/0/from")),
            (
                json!([{"op": "add", "path": "a", "value": 1}]),
                Some("/0/path"),
            ),
            (
                json!([{"op": "add", "path": null, "value": 1}]),
                Some("/0/path"),
            ),
            (json!([7]), Some("/0")),
            (json!({"op": "add"}), None),
        ] {
            let problem = parse_operations(&document).unwrap_err();
            assert_eq!(problem.field.as_deref(), field, "{document}");
        }
    }
}

#[cfg(test)]
mod merge_patch_rfc7396 {
    use super::apply_merge;
    use serde_json::{Value, json};

    /// RFC 7396, Appendix A: every example, in order.
    #[test]
    fn appendix_a_examples() {
        let examples: [(Value, Value, Value); 15] = [
            (json!({"a": "b"}), json!({"a": "c"}), json!({"a": "c"})),
            (
                json!({"a": "b"}),
                json!({"b": "c"}),
                json!({"a": "b", "b": "c"}),
            ),
            (json!({"a": "b"}), json!({"a": null}), json!({})),
            (
                json!({"a": "b", "b": "c"}),
                json!({"a": null}),
                json!({"b": "c"}),
            ),
            (json!({"a": ["b"]}), json!({"a": "c"}), json!({"a": "c"})),
            (json!({"a": "c"}), json!({"a": ["b"]}), json!({"a": ["b"]})),
            (
                json!({"a": {"b": "c"}}),
                json!({"a": {"b": "d", "c": null}}),
                json!({"a": {"b": "d"}}),
            ),
            (
                json!({"a": [{"b": "c"}]}),
                json!({"a": [1]}),
                json!({"a": [1]}),
            ),
            (json!(["a", "b"]), json!(["c", "d"]), json!(["c", "d"])),
            (json!({"a": "b"}), json!(["c"]), json!(["c"])),
            (json!({"a": "foo"}), json!(null), json!(null)),
            (json!({"a": "foo"}), json!("bar"), json!("bar")),
            (
                json!({"e": null}),
                json!({"a": 1}),
                json!({"e": null, "a": 1}),
            ),
            (
                json!([1, 2]),
                json!({"a": "b", "c": null}),
                json!({"a": "b"}),
            ),
            (
                json!({}),
                json!({"a": {"bb": {"ccc": null}}}),
                json!({"a": {"bb": {}}}),
            ),
        ];
        for (original, patch, result) in examples {
            let mut doc = original.clone();
            apply_merge(&mut doc, &patch);
            assert_eq!(doc, result, "{original} + {patch}");
        }
    }
}
