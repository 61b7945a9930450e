//! Patching: a generic RFC 6902 engine on top of the `json-patch` crate (atomic, and `test`
//! comparing numbers by value), RFC 7396 merge patches, and `ResourcePatch`, which adds the API's
//! rules for a resource: the request's `Content-Type` picks the format, the first path segment
//! (or a merge key) names a field case-insensitively, read-only fields are untouchable. The
//! caller validates the patched fields exactly like a create.

use json_patch::PatchOperation;
use lambda_http::http::HeaderMap;
use serde_json::{Map, Value};

use crate::contact::READ_ONLY_FIELDS;
use crate::error::{ApiError, Problem};
use crate::http::media_type;

/// The media types PATCH accepts, as `Accept-Patch` lists them.
pub const ACCEPT_PATCH: &str =
    "application/json-patch+json, application/merge-patch+json, application/json";

/// Why a JSON Patch could not be applied; the document is then unchanged.
#[derive(Debug, Clone, PartialEq)]
pub enum PatchFailure {
    /// Operation `index` was a `test` that did not hold.
    TestFailed { index: usize },
    /// Operation `index` could not be applied (a missing target, a bad array index, ...).
    Invalid { index: usize, reason: String },
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
    let mut working = doc.clone();
    for (index, operation) in operations.iter().enumerate() {
        match operation {
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
    }
    *doc = working;
    Ok(())
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

/// A patch of one resource, parsed from the request body and its `Content-Type`.
#[derive(Debug, Clone)]
pub struct ResourcePatch {
    document: PatchDocument,
    writable: &'static [&'static str],
}

#[derive(Debug, Clone)]
enum PatchDocument {
    Json(Vec<PatchOperation>),
    Merge(Map<String, Value>),
}

impl ResourcePatch {
    /// Picks the format from the media type, then reads and checks the document against the
    /// resource's `writable` fields. A missing `Content-Type` is taken as `application/json`.
    pub fn parse(
        headers: &HeaderMap,
        body: Value,
        writable: &'static [&'static str],
    ) -> Result<Self, ApiError> {
        let document = Self::document(headers, body, writable)?;
        Ok(Self { document, writable })
    }

    fn document(
        headers: &HeaderMap,
        body: Value,
        writable: &'static [&'static str],
    ) -> Result<PatchDocument, ApiError> {
        let media = media_type(headers).unwrap_or_else(|| "application/json".into());
        match (media.as_str(), body) {
            ("application/json-patch+json" | "application/json", Value::Array(operations)) => {
                Self::json(operations, writable)
            }
            ("application/merge-patch+json" | "application/json", Value::Object(members)) => {
                Self::merge(members, writable)
            }
            ("application/json-patch+json", _) => Err(ApiError::NotValid(vec![Problem::general(
                "a JSON Patch document must be an array of operations",
            )])),
            ("application/merge-patch+json" | "application/json", _) => {
                Err(ApiError::NotValid(vec![Problem::general(
                    "a patch must be a JSON Patch array or a Merge Patch object",
                )]))
            }
            _ => Err(ApiError::UnsupportedPatchType),
        }
    }

    fn json(
        operations: Vec<Value>,
        writable: &'static [&'static str],
    ) -> Result<PatchDocument, ApiError> {
        let mut normalized = Vec::with_capacity(operations.len());
        let mut read_only = Vec::new();
        for (index, mut operation) in operations.into_iter().enumerate() {
            if let Value::Object(members) = &mut operation {
                let op = members
                    .get("op")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string();
                for member in ["path", "from"] {
                    let Some(Value::String(pointer)) = members.get_mut(member) else {
                        continue;
                    };
                    let field = normalize_pointer(pointer, writable).map_err(|message| {
                        ApiError::not_valid(format!("/{index}/{member}"), message)
                    })?;
                    let writes =
                        member == "path" && op != "test" || member == "from" && op == "move";
                    if writes && READ_ONLY_FIELDS.contains(&field) {
                        read_only.push(Problem::field(
                            format!("/{index}/{member}"),
                            format!("{field} is read-only"),
                        ));
                    }
                }
            }
            normalized.push(operation);
        }
        let operations = parse_operations(&Value::Array(normalized))
            .map_err(|problem| ApiError::NotValid(vec![problem]))?;
        if read_only.is_empty() {
            Ok(PatchDocument::Json(operations))
        } else {
            Err(ApiError::ValidationFailed(read_only))
        }
    }

    fn merge(
        members: Map<String, Value>,
        writable: &'static [&'static str],
    ) -> Result<PatchDocument, ApiError> {
        let mut normalized = Map::new();
        let mut read_only = Vec::new();
        for (key, value) in members {
            let field = canonical_field(&key, writable).ok_or_else(|| {
                ApiError::not_valid(key.as_str(), "is not a field of this resource")
            })?;
            if READ_ONLY_FIELDS.contains(&field) {
                read_only.push(Problem::field(field, "is read-only"));
            }
            if normalized.insert(field.to_string(), value).is_some() {
                return Err(ApiError::not_valid(field, "is given twice"));
            }
        }
        if read_only.is_empty() {
            Ok(PatchDocument::Merge(normalized))
        } else {
            Err(ApiError::ValidationFailed(read_only))
        }
    }

    /// The writable fields of `current` (the resource as the API returns it) after the patch,
    /// for the caller to validate like a create. A failed `test` is 409; an operation that
    /// cannot apply is 422.
    pub fn apply(&self, current: Value) -> Result<Value, ApiError> {
        let mut doc = current;
        match &self.document {
            PatchDocument::Json(operations) => {
                apply_operations(&mut doc, operations).map_err(|failure| match failure {
                    PatchFailure::TestFailed { index } => ApiError::Conflict(Problem::field(
                        format!("/{index}"),
                        "the test operation did not hold",
                    )),
                    PatchFailure::Invalid { index, reason } => ApiError::invalid(
                        format!("/{index}/path"),
                        format!("cannot be applied: {reason}"),
                    ),
                })?
            }
            PatchDocument::Merge(members) => apply_merge(&mut doc, &Value::Object(members.clone())),
        }
        if let Value::Object(fields) = &mut doc {
            fields.retain(|key, _| self.writable.contains(&key.as_str()));
        }
        Ok(doc)
    }
}

/// The canonical name of a field, matched case-insensitively.
fn canonical_field(name: &str, writable: &'static [&'static str]) -> Option<&'static str> {
    READ_ONLY_FIELDS
        .iter()
        .chain(writable.iter())
        .find(|field| field.eq_ignore_ascii_case(name))
        .copied()
}

/// Makes the leading `/` optional and the first segment case-insensitive; deeper segments stay
/// exact RFC 6901. Returns the field the pointer starts in.
fn normalize_pointer(
    pointer: &mut String,
    writable: &'static [&'static str],
) -> Result<&'static str, String> {
    let trimmed = pointer.strip_prefix('/').unwrap_or(pointer);
    let (first, rest) = match trimmed.find('/') {
        Some(at) => trimmed.split_at(at),
        None => (trimmed, ""),
    };
    if first.is_empty() {
        return Err("must name a field; a patch cannot replace the whole resource".into());
    }
    let field = canonical_field(first, writable)
        .ok_or_else(|| format!("'{first}' is not a field of this resource"))?;
    *pointer = format!("/{field}{rest}");
    Ok(field)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contact::WRITABLE_FIELDS;
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

    #[test]
    fn pointers_get_a_canonical_first_segment() {
        for (raw, normalized) in [
            ("Email", "/email"),
            ("/EMAIL", "/email"),
            ("fields/Phone2", "/fields/Phone2"),
            ("/GROUPS/-", "/groups/-"),
            ("createdat", "/createdAt"),
        ] {
            let mut pointer = raw.to_string();
            normalize_pointer(&mut pointer, &WRITABLE_FIELDS).unwrap();
            assert_eq!(pointer, normalized);
        }
        for bad in ["", "/", "/nickname", "x/y"] {
            assert!(
                normalize_pointer(&mut bad.to_string(), &WRITABLE_FIELDS).is_err(),
                "{bad}"
            );
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
