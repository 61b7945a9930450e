//! The contact: its parsed input (`ContactDraft`), its stored and returned form (`Contact`), and
//! every rule of API.md about its fields. Input is parsed once here; code holding a draft never
//! checks it again.

use email_address::{EmailAddress, Options};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::error::{ApiError, Problem};

/// The fields a client may write.
pub const WRITABLE_FIELDS: [&str; 7] = [
    "name",
    "surname",
    "email",
    "phone",
    "description",
    "groups",
    "fields",
];
/// The fields only the server writes.
pub const READ_ONLY_FIELDS: [&str; 4] = ["id", "createdAt", "updatedAt", "version"];

pub(crate) const MAX_NAME: usize = 100;
pub(crate) const MAX_DESCRIPTION: usize = 2000;
const MAX_EMAIL: usize = 254;
const MAX_GROUPS: usize = 50;
const MAX_CUSTOM_FIELDS: usize = 50;
const MAX_CUSTOM_KEY: usize = 64;
const MAX_CUSTOM_TEXT: usize = 1000;

/// A resource id as it appears in paths and bodies: a hyphenated UUID, returned in lower case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ResourceId(Uuid);

impl ResourceId {
    /// A new time-ordered (v7) id, so that ids sort in creation order.
    pub fn new() -> Self {
        Self(Uuid::now_v7())
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

/// An e-mail address that parsed; uniqueness is decided on its lower-cased form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let raw = raw.trim();
        if raw.chars().count() > MAX_EMAIL {
            return Err(format!("must be at most {MAX_EMAIL} characters"));
        }
        EmailAddress::parse_with_options(
            raw,
            Options::default()
                .without_display_text()
                .without_domain_literal()
                .with_required_tld(),
        )
        .map(|_| Self(raw.to_string()))
        .map_err(|_| "must be a valid e-mail address".to_string())
    }

    /// The key under which uniqueness is enforced.
    pub fn unique_key(&self) -> String {
        self.0.to_lowercase()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A phone number in E.164, parsed from any international notation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phone(String);

impl Phone {
    pub fn parse(raw: &str) -> Result<Self, String> {
        const HINT: &str =
            "must be an international phone number starting with + and a country code";
        let number = phonenumber::parse(None, raw.trim()).map_err(|_| HINT.to_string())?;
        if !phonenumber::is_valid(&number) {
            return Err(HINT.to_string());
        }
        Ok(Self(
            number.format().mode(phonenumber::Mode::E164).to_string(),
        ))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A contact's writable fields after parsing: what create and replace store.
#[derive(Debug, Clone, PartialEq)]
pub struct ContactDraft {
    pub name: String,
    pub surname: Option<String>,
    pub email: Option<Email>,
    pub phone: Option<Phone>,
    pub description: Option<String>,
    pub groups: Option<Vec<ResourceId>>,
    pub fields: Option<Map<String, Value>>,
}

impl ContactDraft {
    /// Parses a request body. Type errors and unknown fields are 400; broken rules are 422;
    /// either way every bad field is reported, each once.
    pub fn parse(body: &Value) -> Result<Self, ApiError> {
        let (object, mut report) = Report::start(body, &WRITABLE_FIELDS)?;
        let name = report.required_text(object, "name", MAX_NAME);
        let surname = report.text(object, "surname", MAX_NAME);
        let description = report.text(object, "description", MAX_DESCRIPTION);
        let email = report
            .string(object, "email")
            .and_then(|raw| report.check("email", Email::parse(raw)));
        let phone = report
            .string(object, "phone")
            .and_then(|raw| report.check("phone", Phone::parse(raw)));
        let groups = report.groups(object);
        let fields = report.custom_fields(object);
        report.finish()?;
        let name = name.ok_or_else(|| ApiError::internal("name missing after validation"))?;
        Ok(Self {
            name,
            surname,
            email,
            phone,
            description,
            groups,
            fields,
        })
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
            return Err(ApiError::NotValid(vec![Problem::general(
                "the body must be a JSON object",
            )]));
        };
        let mut report = Self::default();
        for key in object.keys() {
            if READ_ONLY_FIELDS.contains(&key.as_str()) {
                report.invalid(key, "is read-only");
            } else if !writable.contains(&key.as_str()) {
                report.not_valid(key, "is not a known field");
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
            self.invalid(field, "is required");
        }
        text
    }

    fn not_valid(&mut self, field: &str, message: &str) {
        self.malformed.push(Problem::field(field, message));
    }

    fn invalid(&mut self, field: &str, message: &str) {
        self.broken.push(Problem::field(field, message));
    }

    fn is_clean_for(&self, field: &str) -> bool {
        !self
            .malformed
            .iter()
            .chain(&self.broken)
            .any(|p| p.field.as_deref() == Some(field))
    }

    fn check<T>(&mut self, field: &str, result: Result<T, String>) -> Option<T> {
        result.map_err(|message| self.invalid(field, &message)).ok()
    }

    /// A string member; absent and `null` are both "not given".
    fn string<'a>(&mut self, object: &'a Map<String, Value>, field: &str) -> Option<&'a str> {
        match object.get(field) {
            None | Some(Value::Null) => None,
            Some(Value::String(text)) => Some(text),
            Some(_) => {
                self.not_valid(field, "must be a string");
                None
            }
        }
    }

    /// A trimmed text of at most `max` characters; empty text counts as not given.
    pub(crate) fn text(
        &mut self,
        object: &Map<String, Value>,
        field: &str,
        max: usize,
    ) -> Option<String> {
        let text = self.string(object, field)?.trim();
        if text.chars().count() > max {
            self.invalid(field, &format!("must be at most {max} characters"));
            return None;
        }
        (!text.is_empty()).then(|| text.to_string())
    }

    fn groups(&mut self, object: &Map<String, Value>) -> Option<Vec<ResourceId>> {
        let items = match object.get("groups") {
            None | Some(Value::Null) => return None,
            Some(Value::Array(items)) => items,
            Some(_) => {
                self.not_valid("groups", "must be an array of group ids");
                return None;
            }
        };
        let mut ids = Vec::with_capacity(items.len());
        for item in items {
            match item.as_str().and_then(ResourceId::parse) {
                Some(id) => ids.push(id),
                None => {
                    self.not_valid("groups", "every entry must be a group id (a UUID)");
                    return None;
                }
            }
        }
        if ids.len() > MAX_GROUPS {
            self.invalid("groups", &format!("must hold at most {MAX_GROUPS} groups"));
        }
        let mut sorted = ids.clone();
        sorted.sort_unstable();
        if sorted.windows(2).any(|pair| pair[0] == pair[1]) {
            self.invalid("groups", "must not repeat a group");
        }
        Some(ids)
    }

    fn custom_fields(&mut self, object: &Map<String, Value>) -> Option<Map<String, Value>> {
        let fields = match object.get("fields") {
            None | Some(Value::Null) => return None,
            Some(Value::Object(fields)) => fields,
            Some(_) => {
                self.not_valid("fields", "must be an object");
                return None;
            }
        };
        if fields.len() > MAX_CUSTOM_FIELDS {
            self.invalid(
                "fields",
                &format!("must hold at most {MAX_CUSTOM_FIELDS} fields"),
            );
        }
        for (key, value) in fields {
            let path = format!("fields.{key}");
            let key_ok = (1..=MAX_CUSTOM_KEY).contains(&key.len())
                && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
            if !key_ok {
                self.invalid(&path, "names must match [A-Za-z0-9_]{1,64}");
            }
            match value {
                Value::String(text) if text.chars().count() > MAX_CUSTOM_TEXT => self.invalid(
                    &path,
                    &format!("text values must be at most {MAX_CUSTOM_TEXT} characters"),
                ),
                Value::Array(_) | Value::Object(_) => {
                    self.not_valid(&path, "must be a string, number, boolean or null")
                }
                _ => {}
            }
        }
        Some(fields.clone())
    }

    pub(crate) fn finish(self) -> Result<(), ApiError> {
        if !self.malformed.is_empty() {
            Err(ApiError::NotValid(self.malformed))
        } else if !self.broken.is_empty() {
            Err(ApiError::ValidationFailed(self.broken))
        } else {
            Ok(())
        }
    }
}

/// A stored contact, exactly as the API returns it (before projection).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Contact {
    pub id: ResourceId,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub surname: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub groups: Option<Vec<ResourceId>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fields: Option<Map<String, Value>>,
    pub created_at: String,
    pub updated_at: String,
    pub version: u64,
}

impl Contact {
    /// A new contact, version 1.
    pub fn create(draft: ContactDraft, now: &str) -> Self {
        Self::from_parts(ResourceId::new(), draft, now.to_string(), now, 1)
    }

    /// This contact with every writable field replaced by `draft`, one version later.
    pub fn replaced_by(&self, draft: ContactDraft, now: &str) -> Self {
        Self::from_parts(
            self.id,
            draft,
            self.created_at.clone(),
            now,
            self.version + 1,
        )
    }

    fn from_parts(
        id: ResourceId,
        draft: ContactDraft,
        created_at: String,
        now: &str,
        version: u64,
    ) -> Self {
        Self {
            id,
            name: draft.name,
            surname: draft.surname,
            email: draft.email.map(|e| e.0),
            phone: draft.phone.map(|p| p.0),
            description: draft.description,
            groups: draft.groups,
            fields: draft.fields,
            created_at,
            updated_at: now.to_string(),
            version,
        }
    }

    /// The lower-cased e-mail that this contact holds the uniqueness guard for.
    pub fn email_key(&self) -> Option<String> {
        self.email.as_deref().map(str::to_lowercase)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(body: Value) -> Result<ContactDraft, ApiError> {
        ContactDraft::parse(&body)
    }

    fn fields_of(err: &ApiError) -> Vec<String> {
        err.problems().into_iter().filter_map(|p| p.field).collect()
    }

    #[test]
    fn a_full_contact_parses_and_normalises() {
        let draft = parse(json!({
            "name": "  John ", "surname": "Doe", "email": "John.Doe@Example.com",
            "phone": "+49 (170) 123-45.678", "description": "dev",
            "groups": ["0192f3c1-0000-7000-8000-000000000000"],
            "fields": {"crmId": "A-17", "score": 1.5, "vip": true, "none": null}
        }))
        .unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(draft.name, "John");
        assert_eq!(
            draft.phone.as_ref().map(Phone::as_str),
            Some("+4917012345678")
        );
        assert_eq!(
            draft.email.as_ref().map(Email::unique_key).as_deref(),
            Some("john.doe@example.com")
        );
    }

    #[test]
    fn phones_in_many_international_notations_become_e164() {
        for (raw, e164) in [
            ("+4917012345678", "+4917012345678"),
            ("+44 20 7946 0958", "+442079460958"),
            ("+1 (415) 555-2671", "+14155552671"),
            ("+33.1.23.45.67.89", "+33123456789"),
        ] {
            assert_eq!(
                Phone::parse(raw).map(|p| p.0),
                Ok(e164.to_string()),
                "{raw}"
            );
        }
        for bad in ["12345", "+1", "call me", "+999 123", "0170 1234567"] {
            assert!(Phone::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn bad_emails_are_refused() {
        for bad in [
            "plain",
            "a@",
            "@b.com",
            "John <j@x.com>",
            "a@b",
            "a b@c.com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
        assert!(Email::parse("a.b+tag@sub.example.org").is_ok());
    }

    #[test]
    fn rule_breaks_are_422_with_one_entry_per_field() {
        let err = parse(json!({
            "name": " ", "email": "nope", "phone": "123", "description": "x".repeat(2001),
            "surname": "y".repeat(101)
        }))
        .err()
        .unwrap_or_else(|| ApiError::internal("accepted"));
        assert_eq!(err.status(), 422);
        let mut fields = fields_of(&err);
        fields.sort();
        assert_eq!(fields, ["description", "email", "name", "phone", "surname"]);
    }

    #[test]
    fn type_errors_and_unknown_fields_are_400() {
        for (body, field) in [
            (json!({"name": 5}), "name"),
            (json!({"name": "a", "nickname": "b"}), "nickname"),
            (json!({"name": "a", "groups": "g"}), "groups"),
            (json!({"name": "a", "groups": ["not-a-uuid"]}), "groups"),
            (json!({"name": "a", "fields": []}), "fields"),
            (
                json!({"name": "a", "fields": {"k": {"deep": 1}}}),
                "fields.k",
            ),
            (json!({"name": "a", "email": ["x"]}), "email"),
        ] {
            let err = parse(body.clone()).err();
            let err = err.unwrap_or_else(|| ApiError::internal("accepted"));
            assert_eq!(err.status(), 400, "{body}");
            assert_eq!(fields_of(&err), [field], "{body}");
        }
        assert_eq!(
            parse(json!([1])).err().map(|e| e.status().as_u16()),
            Some(400)
        );
    }

    #[test]
    fn name_is_required_and_limited() {
        for body in [json!({}), json!({"name": null}), json!({"name": ""})] {
            let err = parse(body)
                .err()
                .map(|e| (e.status().as_u16(), fields_of(&e)));
            assert_eq!(err, Some((422, vec!["name".to_string()])));
        }
        assert!(parse(json!({"name": "x".repeat(100)})).is_ok());
        assert!(parse(json!({"name": "é".repeat(100)})).is_ok());
        assert!(parse(json!({"name": "x".repeat(101)})).is_err());
    }

    #[test]
    fn read_only_fields_are_422() {
        let err = parse(json!({"name": "a", "id": "x", "version": 3})).err();
        let err = err.unwrap_or_else(|| ApiError::internal("accepted"));
        assert_eq!(err.status(), 422);
        assert_eq!(fields_of(&err).len(), 2);
    }

    #[test]
    fn groups_and_custom_fields_have_limits() {
        let id = "0192f3c1-0000-7000-8000-000000000000";
        let too_many: Vec<String> = (0..51)
            .map(|i| format!("0192f3c1-0000-7000-8000-{i:012}"))
            .collect();
        let many_fields: Map<String, Value> =
            (0..51).map(|i| (format!("k{i}"), json!(i))).collect();
        for body in [
            json!({"name": "a", "groups": [id, id]}),
            json!({"name": "a", "groups": too_many}),
            json!({"name": "a", "fields": many_fields}),
            json!({"name": "a", "fields": {"bad-key": 1}}),
            json!({"name": "a", "fields": {"k": "x".repeat(1001)}}),
            json!({"name": "a", "fields": {"x".repeat(65): 1}}),
        ] {
            let status = parse(body.clone()).err().map(|e| e.status().as_u16());
            assert_eq!(status, Some(422), "{body}");
        }
    }

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
