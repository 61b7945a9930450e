//! What every resource (contact, group) has in common: its id, the read-only fields the server
//! writes, the names a client may write or select, and `Report`, which reads a request body into
//! a draft with the API's 400/422 split.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::error::{ApiError, Problem};

/// The fields only the server writes.
pub const READ_ONLY_FIELDS: [&str; 4] = ["id", "createdAt", "updatedAt", "version"];

pub const MAX_NAME: usize = 100;
pub const MAX_DESCRIPTION: usize = 2000;

/// A resource of the API, as it is stored and returned, and the draft it is made from.
pub trait Resource: Sized {
    /// Its name in messages ("contact").
    const NAME: &'static str;
    /// Its collection, the path segment after `/v1/` ("contacts").
    const COLLECTION: &'static str;
    /// The fields a client may write.
    const WRITABLE_FIELDS: &'static [&'static str];
    /// Other names of writable fields, as `(alias, field)`, that the source APIs' clients use:
    /// taken on input everywhere, and added to output under `/api/v1`.
    const ALIASES: &'static [(&'static str, &'static str)] = &[];
    /// The writable fields that are maps (a contact's custom `fields`): absent, a patch reads
    /// them as `{}`.
    const MAP_FIELDS: &'static [&'static str] = &[];
    /// Its writable fields after parsing.
    type Draft: Clone;
    /// Parses a request body (or a patched resource) into a draft: 400 or 422 when it is not one.
    fn parse_draft(body: &Value) -> Result<Self::Draft, ApiError>;
    /// The resource made of a draft and the server's fields.
    fn from_parts(draft: Self::Draft, server: ServerFields) -> Self;
    fn id(&self) -> &ResourceId;
    fn created_at(&self) -> &str;
    fn updated_at(&self) -> &str;
    fn version(&self) -> u64;

    /// A new resource, version 1.
    fn create(draft: Self::Draft, now: &str) -> Self {
        let server = ServerFields {
            id: ResourceId::new(),
            created_at: now.to_string(),
            updated_at: now.to_string(),
            version: 1,
        };
        Self::from_parts(draft, server)
    }

    /// This resource with every writable field replaced by `draft`, one version later.
    fn replaced_by(&self, draft: Self::Draft, now: &str) -> Self {
        let server = ServerFields {
            id: *self.id(),
            created_at: self.created_at().to_string(),
            updated_at: now.to_string(),
            version: self.version() + 1,
        };
        Self::from_parts(draft, server)
    }
}

/// The fields only the server writes, as a new version of a resource gets them.
#[derive(Debug, Clone)]
pub struct ServerFields {
    pub id: ResourceId,
    pub created_at: String,
    pub updated_at: String,
    pub version: u64,
}

/// The read-only accessors of a `Resource` whose struct has the fields `id`, `created_at`,
/// `updated_at` and `version`.
macro_rules! server_field_accessors {
    () => {
        fn id(&self) -> &$crate::resource::ResourceId {
            &self.id
        }
        fn created_at(&self) -> &str {
            &self.created_at
        }
        fn updated_at(&self) -> &str {
            &self.updated_at
        }
        fn version(&self) -> u64 {
            self.version
        }
    };
}
pub(crate) use server_field_accessors;

/// Every field name of a resource, as `fields=` selects them: `id`, the writable fields, then
/// the other read-only ones.
pub fn field_names(writable: &'static [&'static str]) -> impl Iterator<Item = &'static str> {
    READ_ONLY_FIELDS[..1]
        .iter()
        .chain(writable)
        .chain(&READ_ONLY_FIELDS[1..])
        .copied()
}

/// The canonical name of a field of a resource (read-only, writable, or an alias of one),
/// matched case-insensitively.
pub fn canonical_field(
    name: &str,
    writable: &'static [&'static str],
    aliases: &'static [(&'static str, &'static str)],
) -> Option<&'static str> {
    field_names(writable)
        .find(|field| field.eq_ignore_ascii_case(name))
        .or_else(|| {
            aliases
                .iter()
                .find(|(alias, _)| alias.eq_ignore_ascii_case(name))
                .map(|(_, field)| *field)
        })
}

/// A body with every alias member renamed to its field; a body that gives both is a 400.
pub fn resolve_aliases<'a>(
    body: &'a Value,
    aliases: &[(&str, &str)],
) -> Result<Cow<'a, Value>, ApiError> {
    let Value::Object(object) = body else {
        return Ok(Cow::Borrowed(body));
    };
    if !aliases.iter().any(|(alias, _)| object.contains_key(*alias)) {
        return Ok(Cow::Borrowed(body));
    }
    let mut renamed = object.clone();
    for (alias, field) in aliases {
        if let Some(value) = renamed.remove(*alias) {
            if renamed.contains_key(*field) {
                return Err(ApiError::malformed(
                    *alias,
                    format!("is another name of {field}; give one of them"),
                ));
            }
            renamed.insert((*field).to_string(), value);
        }
    }
    Ok(Cow::Owned(Value::Object(renamed)))
}

/// A resource id as it appears in paths and bodies: a hyphenated UUID, returned in lower case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ResourceId(Uuid);

impl ResourceId {
    /// A new time-ordered (v7) id, so that ids sort in creation order.
    pub fn new() -> Self {
        Self(Uuid::now_v7())
    }

    /// When a time-ordered id was made, in milliseconds since the epoch.
    pub fn unix_millis(&self) -> Option<u64> {
        let (seconds, nanos) = self.0.get_timestamp()?.to_unix();
        Some(seconds * 1000 + u64::from(nanos) / 1_000_000)
    }

    /// Accepts the 36-character hyphenated form only.
    pub fn parse(raw: &str) -> Option<Self> {
        (raw.len() == 36)
            .then(|| Uuid::try_parse(raw).ok())
            .flatten()
            .map(Self)
    }
}

impl Default for ResourceId {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Display for ResourceId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.as_hyphenated().fmt(f)
    }
}

/// Characters that are invisible or change how text around them reads: controls (line breaks
/// and tabs allowed in multi-line text), bidirectional controls, zero-width characters.
pub fn is_hidden(c: char, multiline: bool) -> bool {
    match c {
        // The zero-width joiner builds emoji sequences, which descriptions may hold.
        '\n' | '\r' | '\t' | '\u{200D}' => !multiline,
        '\u{200B}'..='\u{200F}'
        | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{2064}'
        | '\u{2066}'..='\u{2069}'
        | '\u{061C}'
        | '\u{FEFF}'
        | '\u{00AD}' => true,
        c => c.is_control(),
    }
}

/// Collects problems while a body is read, so every bad field is reported in one answer.
#[derive(Default)]
pub(crate) struct Report {
    malformed: Vec<Problem>,
    broken: Vec<Problem>,
}

impl Report {
    /// The body's members, after refusing a non-object (400), unknown members (400) and
    /// read-only members (422).
    pub(crate) fn start<'a>(
        body: &'a Value,
        writable: &[&str],
    ) -> Result<(&'a Map<String, Value>, Self), ApiError> {
        let Value::Object(object) = body else {
            return Err(ApiError::Malformed(vec![Problem::general(
                "the body must be a JSON object",
            )]));
        };
        let mut report = Self::default();
        for key in object.keys() {
            if READ_ONLY_FIELDS.contains(&key.as_str()) {
                report.unprocessable(key, "is read-only");
            } else if !writable.contains(&key.as_str()) {
                report.malformed(key, "is not a known field");
            }
        }
        Ok((object, report))
    }

    /// A trimmed text that must be given and not blank.
    pub(crate) fn required_text(
        &mut self,
        object: &Map<String, Value>,
        field: &str,
        max: usize,
    ) -> Option<String> {
        let text = self.text(object, field, max);
        if text.is_none() && self.is_clean_for(field) {
            self.unprocessable(field, "is required");
        }
        text
    }

    pub(crate) fn malformed(&mut self, field: &str, message: &str) {
        self.malformed.push(Problem::field(field, message));
    }

    pub(crate) fn unprocessable(&mut self, field: &str, message: &str) {
        self.broken.push(Problem::field(field, message));
    }

    fn is_clean_for(&self, field: &str) -> bool {
        !self
            .malformed
            .iter()
            .chain(&self.broken)
            .any(|p| p.field.as_deref() == Some(field))
    }

    pub(crate) fn check<T>(&mut self, field: &str, result: Result<T, String>) -> Option<T> {
        result
            .map_err(|message| self.unprocessable(field, &message))
            .ok()
    }

    /// A string member; absent and `null` are both "not given".
    pub(crate) fn string<'a>(
        &mut self,
        object: &'a Map<String, Value>,
        field: &str,
    ) -> Option<&'a str> {
        match object.get(field) {
            None | Some(Value::Null) => None,
            Some(Value::String(text)) => Some(text),
            Some(_) => {
                self.malformed(field, "must be a string");
                None
            }
        }
    }

    /// A trimmed single-line text of at most `max` characters; empty text counts as not given.
    pub(crate) fn text(
        &mut self,
        object: &Map<String, Value>,
        field: &str,
        max: usize,
    ) -> Option<String> {
        self.checked_text(object, field, max, false)
    }

    /// A description: like `text`, up to `MAX_DESCRIPTION` characters, line breaks and tabs
    /// allowed.
    pub(crate) fn description(&mut self, object: &Map<String, Value>) -> Option<String> {
        self.checked_text(object, "description", MAX_DESCRIPTION, true)
    }

    /// No text may hold control (but a description's line breaks), bidirectional or zero-width
    /// characters, so a name cannot look like another one it is not (`Friends` and
    /// `Friends\u{200B}` would be two "unique" group names).
    fn checked_text(
        &mut self,
        object: &Map<String, Value>,
        field: &str,
        max: usize,
        multiline: bool,
    ) -> Option<String> {
        let text = self.string(object, field)?.trim();
        if text.chars().count() > max {
            self.unprocessable(field, &format!("must be at most {max} characters"));
            return None;
        }
        if text.chars().any(|c| is_hidden(c, multiline)) {
            self.unprocessable(
                field,
                "must not contain control, bidirectional or zero-width characters",
            );
            return None;
        }
        (!text.is_empty()).then(|| text.to_string())
    }

    pub(crate) fn finish(self) -> Result<(), ApiError> {
        if !self.malformed.is_empty() {
            Err(ApiError::Malformed(self.malformed))
        } else if !self.broken.is_empty() {
            Err(ApiError::Unprocessable(self.broken))
        } else {
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_ids_must_be_hyphenated_uuids() {
        assert!(ResourceId::parse("0192F3C0-7B9E-7CC4-9A4E-2F1C5D8E9A10").is_some());
        for bad in [
            "",
            "nope",
            "0192f3c07b9e7cc49a4e2f1c5d8e9a10",
            "{0192f3c0-7b9e-7cc4-9a4e-2f1c5d8e9a10}",
        ] {
            assert!(ResourceId::parse(bad).is_none(), "{bad}");
        }
    }
}
