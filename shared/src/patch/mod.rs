//! Patching a resource: `ResourcePatch` adds the API's rules to the generic engine of [`rfc`]:
//! the request's `Content-Type` picks the format, the first path segment (or a merge key) names
//! a field (or an alias of one) case-insensitively, a deeper segment names an existing member
//! case-insensitively when none matches exactly, read-only fields are untouchable. The caller
//! validates the patched fields exactly like a create.

mod bounds;
pub mod rfc;

use json_patch::PatchOperation;
use lambda_http::http::HeaderMap;
use serde_json::{Map, Value};

use crate::error::{ApiError, Problem};
use crate::http::media_type;
use crate::resource::{READ_ONLY_FIELDS, Resource, canonical_field};
use rfc::{Limits, PatchFailure, apply_merge, apply_operations_resolving, parse_operations};

/// How many operations one JSON Patch may hold.
pub const MAX_OPERATIONS: usize = 100;
/// How large a patched resource's JSON text may grow while a patch applies: DynamoDB's item
/// limit, which no valid resource reaches.
pub const MAX_PATCHED_BYTES: usize = 400 * 1024;
/// How deep a patched resource may nest while a patch applies, and how many segments a
/// pointer may have. No resource holds more than 3 levels (a contact's `{"fields": {"k": 1}}`,
/// `{"groups": ["id"]}`); the bound leaves room for a patch that builds and then removes a
/// value, and keeps every recursion over the document shallow.
pub const MAX_PATCHED_DEPTH: usize = 8;

/// A patch of one resource, parsed from the request body and its `Content-Type`.
#[derive(Debug, Clone)]
pub struct ResourcePatch {
    document: PatchDocument,
    writable: &'static [&'static str],
    maps: &'static [&'static str],
}

#[derive(Debug, Clone)]
enum PatchDocument {
    Json(Vec<PatchOperation>),
    Merge(Map<String, Value>),
}

impl ResourcePatch {
    /// Picks the format from the media type, then reads and checks the document against the
    /// fields of a `T`. A missing `Content-Type` is taken as `application/json`.
    pub fn parse<T: Resource>(headers: &HeaderMap, body: Value) -> Result<Self, ApiError> {
        let fields = Fields {
            writable: T::WRITABLE_FIELDS,
            aliases: T::ALIASES,
        };
        Ok(Self {
            document: Self::document(headers, body, &fields)?,
            writable: T::WRITABLE_FIELDS,
            maps: T::MAP_FIELDS,
        })
    }

    fn document(
        headers: &HeaderMap,
        body: Value,
        fields: &Fields,
    ) -> Result<PatchDocument, ApiError> {
        let media = media_type(headers).unwrap_or_else(|| "application/json".into());
        match (media.as_str(), body) {
            ("application/json-patch+json" | "application/json", Value::Array(operations)) => {
                Self::json(operations, fields)
            }
            // One operation on its own (some clients send one, not an array, as `application/json`): `op` and
            // `path` are no resource's fields, so such an object is never a merge patch.
            ("application/json-patch+json", Value::Object(operation)) => {
                Self::json(vec![Value::Object(operation)], fields)
            }
            ("application/json", Value::Object(members)) if is_operation(&members) => {
                Self::json(vec![Value::Object(members)], fields)
            }
            ("application/merge-patch+json" | "application/json", Value::Object(members)) => {
                Self::merge(members, fields)
            }
            ("application/json-patch+json", _) => Err(ApiError::Malformed(vec![Problem::general(
                "a JSON Patch document must be an array of operations (or one operation)",
            )])),
            ("application/merge-patch+json" | "application/json", _) => {
                Err(ApiError::Malformed(vec![Problem::general(
                    "a patch must be a JSON Patch array or a Merge Patch object",
                )]))
            }
            _ => Err(ApiError::UnsupportedPatchType),
        }
    }

    fn json(operations: Vec<Value>, fields: &Fields) -> Result<PatchDocument, ApiError> {
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
                    let field = normalize_pointer(pointer, fields).map_err(|message| {
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

    fn merge(members: Map<String, Value>, fields: &Fields) -> Result<PatchDocument, ApiError> {
        let mut normalized = Map::new();
        let mut read_only = Vec::new();
        for (key, value) in members {
            let field = fields.canonical(&key).ok_or_else(|| {
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
        // A map field the resource does not have reads as `{}`, so `add /fields/phone2` works
        // on a contact without custom fields; still empty after the patch, it stays absent.
        let mut absent = Vec::new();
        if let Value::Object(members) = &mut doc {
            for field in self.maps {
                if !members.contains_key(*field) {
                    members.insert((*field).to_string(), Value::Object(Map::new()));
                    absent.push(*field);
                }
            }
        }
        match &self.document {
            PatchDocument::Json(operations) => apply_operations_resolving(
                &mut doc,
                operations,
                Limits {
                    max_bytes: MAX_PATCHED_BYTES,
                    max_depth: MAX_PATCHED_DEPTH,
                },
                &case_insensitive_members,
            )
            .map_err(|failure| match failure {
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
                PatchFailure::TooDeep { index } => ApiError::unprocessable(
                    format!("/{index}"),
                    format!(
                        "nests the resource deeper than {MAX_PATCHED_DEPTH} levels, or names a \
                         pointer of more segments"
                    ),
                ),
            })?,
            PatchDocument::Merge(members) => {
                let mut patch = Value::Object(members.clone());
                match_members(&doc, &mut patch);
                apply_merge(&mut doc, &patch)
            }
        }
        if let Value::Object(fields) = &mut doc {
            fields.retain(|key, value| {
                self.writable.contains(&key.as_str())
                    && !(absent.contains(&key.as_str()) && value == &Value::Object(Map::new()))
            });
        }
        Ok(doc)
    }
}

/// The names a patch may use for a resource's fields.
struct Fields {
    writable: &'static [&'static str],
    aliases: &'static [(&'static str, &'static str)],
}

impl Fields {
    /// The canonical name of a field or alias, matched case-insensitively.
    fn canonical(&self, name: &str) -> Option<&'static str> {
        canonical_field(name, self.writable, self.aliases)
    }
}

/// Whether an `application/json` object is one JSON Patch operation rather than a merge patch.
fn is_operation(members: &Map<String, Value>) -> bool {
    members.get("op").is_some_and(Value::is_string) && members.contains_key("path")
}

/// The pointer with each segment below the first that names no member of an object exactly,
/// but exactly one case-insensitively, replaced by that member (`/fields/CRMID` → `/fields/crmId`),
/// against the document as it is when the operation applies. `None` when nothing changes.
fn case_insensitive_members(doc: &Value, pointer: &str) -> Option<String> {
    let mut segments: Vec<String> = pointer.split('/').skip(1).map(unescape).collect();
    let mut node = doc;
    let mut changed = false;
    for (depth, segment) in segments.iter_mut().enumerate() {
        let Value::Object(members) = node else { break };
        if depth > 0
            && let Some(only) = member_named(members, segment)
            && only != segment
        {
            *segment = only.clone();
            changed = true;
        }
        match members.get(segment.as_str()) {
            Some(child) => node = child,
            None => break,
        }
    }
    changed.then(|| segments.iter().map(|s| format!("/{}", escape(s))).collect())
}

/// The member of `members` that `key` names: itself when it exists, else the one member equal
/// to it ignoring case, if there is exactly one.
fn member_named<'a>(members: &'a Map<String, Value>, key: &str) -> Option<&'a String> {
    if let Some((exact, _)) = members.get_key_value(key) {
        return Some(exact);
    }
    let mut matches = members.keys().filter(|k| k.eq_ignore_ascii_case(key));
    match (matches.next(), matches.next()) {
        (Some(only), None) => Some(only),
        _ => None,
    }
}

/// A merge patch's members below the first level renamed like `case_insensitive_members` does.
fn match_members(doc: &Value, patch: &mut Value) {
    let (Value::Object(doc), Value::Object(patch)) = (doc, patch) else {
        return;
    };
    for (field, nested) in patch.iter_mut() {
        let (Some(Value::Object(current)), Value::Object(members)) = (doc.get(field), nested)
        else {
            continue;
        };
        let renamed: Map<String, Value> = std::mem::take(members)
            .into_iter()
            .map(|(key, value)| match member_named(current, &key) {
                Some(only) => (only.clone(), value),
                None => (key, value),
            })
            .collect();
        *members = renamed;
    }
}

fn unescape(segment: &str) -> String {
    segment.replace("~1", "/").replace("~0", "~")
}

fn escape(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

/// Makes the leading `/` optional and the first segment (a field or an alias of one)
/// case-insensitive. Returns the field the pointer starts in.
fn normalize_pointer(pointer: &mut String, fields: &Fields) -> Result<&'static str, String> {
    let trimmed = pointer.strip_prefix('/').unwrap_or(pointer);
    let (first, rest) = match trimmed.find('/') {
        Some(at) => trimmed.split_at(at),
        None => (trimmed, ""),
    };
    if first.is_empty() {
        return Err("must name a field; a patch cannot replace the whole resource".into());
    }
    let field = fields
        .canonical(first)
        .ok_or_else(|| format!("'{first}' is not a field of this resource"))?;
    *pointer = format!("/{field}{rest}");
    Ok(field)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contact::{ALIASES, WRITABLE_FIELDS};
    use serde_json::json;

    const CONTACT: Fields = Fields {
        writable: &WRITABLE_FIELDS,
        aliases: &ALIASES,
    };

    #[test]
    fn pointers_get_a_canonical_first_segment() {
        for (raw, normalized) in [
            ("Email", "/email"),
            ("/EMAIL", "/email"),
            ("fields/Phone2", "/fields/Phone2"),
            ("/GROUPS/-", "/groups/-"),
            ("createdat", "/createdAt"),
            ("/Number", "/phone"),
        ] {
            let mut pointer = raw.to_string();
            normalize_pointer(&mut pointer, &CONTACT).unwrap();
            assert_eq!(pointer, normalized);
        }
        for bad in ["", "/", "/nickname", "x/y"] {
            assert!(
                normalize_pointer(&mut bad.to_string(), &CONTACT).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn deeper_segments_match_an_existing_member_case_insensitively() {
        let doc = json!({"fields": {"crmId": 1, "a": 1, "A": 2, "x/y": 3}, "groups": ["g"]});
        for (pointer, resolved) in [
            ("/fields/CRMID", Some("/fields/crmId")),
            ("/fields/crmId", None),
            ("/fields/new", None),
            ("/fields/a", None),
            ("/fields/A", None),
            ("/groups/0", None),
            ("/fields/X~1Y", Some("/fields/x~1y")),
        ] {
            assert_eq!(
                case_insensitive_members(&doc, pointer).as_deref(),
                resolved,
                "{pointer}"
            );
        }
        let mut patch = json!({"fields": {"CrmId": null, "other": 1}});
        match_members(&doc, &mut patch);
        assert_eq!(patch, json!({"fields": {"crmId": null, "other": 1}}));
    }
}
