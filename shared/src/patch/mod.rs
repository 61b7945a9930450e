//! Patching a resource: `ResourcePatch` adds the API's rules to the generic engine of [`rfc`]:
//! the request's `Content-Type` picks the format, the first path segment (or a merge key) names
//! a field case-insensitively, read-only fields are untouchable. The caller validates the
//! patched fields exactly like a create.

pub mod rfc;

use json_patch::PatchOperation;
use lambda_http::http::HeaderMap;
use serde_json::{Map, Value};

use crate::error::{ApiError, Problem};
use crate::http::media_type;
use crate::resource::READ_ONLY_FIELDS;
use rfc::{PatchFailure, apply_merge, apply_operations_within, parse_operations};

/// How many operations one JSON Patch may hold.
pub const MAX_OPERATIONS: usize = 100;
/// How large a patched resource's JSON text may grow while a patch applies: DynamoDB's item
/// limit, which no valid resource reaches.
pub const MAX_PATCHED_BYTES: usize = 400 * 1024;

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
            ("application/json-patch+json", _) => Err(ApiError::Malformed(vec![Problem::general(
                "a JSON Patch document must be an array of operations",
            )])),
            ("application/merge-patch+json" | "application/json", _) => {
                Err(ApiError::Malformed(vec![Problem::general(
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
        if operations.len() > MAX_OPERATIONS {
            return Err(ApiError::unprocessable(
                format!("/{MAX_OPERATIONS}"),
                format!("a JSON Patch may hold at most {MAX_OPERATIONS} operations"),
            ));
        }
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
                        ApiError::malformed(format!("/{index}/{member}"), message)
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
            .map_err(|problem| ApiError::Malformed(vec![problem]))?;
        if read_only.is_empty() {
            Ok(PatchDocument::Json(operations))
        } else {
            Err(ApiError::Unprocessable(read_only))
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
                ApiError::malformed(key.as_str(), "is not a field of this resource")
            })?;
            if READ_ONLY_FIELDS.contains(&field) {
                read_only.push(Problem::field(field, "is read-only"));
            }
            if normalized.insert(field.to_string(), value).is_some() {
                return Err(ApiError::malformed(field, "is given twice"));
            }
        }
        if read_only.is_empty() {
            Ok(PatchDocument::Merge(normalized))
        } else {
            Err(ApiError::Unprocessable(read_only))
        }
    }

    /// The writable fields of `current` (the resource as the API returns it) after the patch,
    /// for the caller to validate like a create. A failed `test` is 409; an operation that
    /// cannot apply is 422.
    pub fn apply(&self, current: Value) -> Result<Value, ApiError> {
        let mut doc = current;
        match &self.document {
            PatchDocument::Json(operations) => {
                apply_operations_within(&mut doc, operations, MAX_PATCHED_BYTES).map_err(
                    |failure| match failure {
                        PatchFailure::TestFailed { index } => ApiError::Conflict(Problem::field(
                            format!("/{index}"),
                            "the test operation did not hold",
                        )),
                        PatchFailure::Invalid { index, reason } => ApiError::unprocessable(
                            format!("/{index}/path"),
                            format!("cannot be applied: {reason}"),
                        ),
                        PatchFailure::TooLarge { index } => ApiError::unprocessable(
                            format!("/{index}"),
                            format!("makes the resource larger than {MAX_PATCHED_BYTES} bytes"),
                        ),
                    },
                )?
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
