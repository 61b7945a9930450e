//! The contact: its parsed input (`ContactDraft`), its stored and returned form (`Contact`), and
//! every rule of the contract about its fields. Input is parsed once here; code holding a draft never
//! checks it again.

mod address;
pub mod phone;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::ApiError;
use crate::resource::{
    MAX_NAME, Report, Resource, ResourceId, ServerFields, resolve_aliases, server_field_accessors,
};

pub use address::{Email, Phone};

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
/// Clients of the group-aware contacts API send the phone as `number`: both names are accepted.
pub const ALIASES: [(&str, &str); 1] = [("number", "phone")];
const MAX_GROUPS: usize = 50;
const MAX_CUSTOM_FIELDS: usize = 50;
const MAX_CUSTOM_KEY: usize = 64;
const MAX_CUSTOM_TEXT: usize = 1000;

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
        let body = resolve_aliases(body, &ALIASES)?;
        let (object, mut report) = Report::start(&body, &WRITABLE_FIELDS)?;
        let name = report.required_text(object, "name", MAX_NAME);
        let surname = report.text(object, "surname", MAX_NAME);
        let description = report.description(object);
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

/// The contact's own members of a body.
impl Report {
    fn groups(&mut self, object: &Map<String, Value>) -> Option<Vec<ResourceId>> {
        let items = match object.get("groups") {
            None | Some(Value::Null) => return None,
            Some(Value::Array(items)) => items,
            Some(_) => {
                self.malformed("groups", "must be an array of group ids");
                return None;
            }
        };
        let mut ids = Vec::with_capacity(items.len());
        for item in items {
            match item.as_str().and_then(ResourceId::parse) {
                Some(id) => ids.push(id),
                None => {
                    self.malformed("groups", "every entry must be a group id (a UUID)");
                    return None;
                }
            }
        }
        if ids.len() > MAX_GROUPS {
            self.unprocessable("groups", &format!("must hold at most {MAX_GROUPS} groups"));
        }
        let mut sorted = ids.clone();
        sorted.sort_unstable();
        if sorted.windows(2).any(|pair| pair[0] == pair[1]) {
            self.unprocessable("groups", "must not repeat a group");
        }
        Some(ids)
    }

    fn custom_fields(&mut self, object: &Map<String, Value>) -> Option<Map<String, Value>> {
        let fields = match object.get("fields") {
            None | Some(Value::Null) => return None,
            Some(Value::Object(fields)) => fields,
            Some(_) => {
                self.malformed("fields", "must be an object");
                return None;
            }
        };
        if fields.len() > MAX_CUSTOM_FIELDS {
            self.unprocessable(
                "fields",
                &format!("must hold at most {MAX_CUSTOM_FIELDS} fields"),
            );
        }
        for (key, value) in fields {
            let path = format!("fields.{key}");
            let key_ok = (1..=MAX_CUSTOM_KEY).contains(&key.len())
                && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
            if !key_ok {
                self.unprocessable(&path, "names must match [A-Za-z0-9_]{1,64}");
            }
            match value {
                Value::String(text) if text.chars().count() > MAX_CUSTOM_TEXT => self
                    .unprocessable(
                        &path,
                        &format!("text values must be at most {MAX_CUSTOM_TEXT} characters"),
                    ),
                Value::Array(_) | Value::Object(_) => {
                    self.malformed(&path, "must be a string, number, boolean or null")
                }
                Value::Number(number) if !storable(number) => self.unprocessable(
                    &path,
                    "numbers must be 0 or between 1e-130 and 9.99e125 in magnitude (DynamoDB's range)",
                ),
                _ => {}
            }
        }
        Some(fields.clone())
    }
}

/// Whether DynamoDB can store a number: integers always (at most 20 digits), floats (at most 17
/// significant digits) when 0 or of magnitude in [1e-130, 1e126).
fn storable(number: &serde_json::Number) -> bool {
    if number.is_i64() || number.is_u64() {
        return true;
    }
    number
        .as_f64()
        .is_some_and(|f| f == 0.0 || (1e-130..1e126).contains(&f.abs()))
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
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_by: Option<String>,
    pub version: u64,
}

impl Contact {
    /// The lower-cased e-mail that this contact holds the uniqueness guard for.
    pub fn email_key(&self) -> Option<String> {
        self.email.as_deref().map(str::to_lowercase)
    }
}

impl Resource for Contact {
    const NAME: &'static str = "contact";
    const COLLECTION: &'static str = "contacts";
    const WRITABLE_FIELDS: &'static [&'static str] = &WRITABLE_FIELDS;
    const ALIASES: &'static [(&'static str, &'static str)] = &ALIASES;
    const MAP_FIELDS: &'static [&'static str] = &["fields"];
    type Draft = ContactDraft;

    fn parse_draft(body: &Value) -> Result<ContactDraft, ApiError> {
        ContactDraft::parse(body)
    }

    fn from_parts(draft: ContactDraft, server: ServerFields) -> Self {
        Self {
            id: server.id,
            name: draft.name,
            surname: draft.surname,
            email: draft.email.map(Email::into_string),
            phone: draft.phone.map(Phone::into_string),
            description: draft.description,
            groups: draft.groups,
            fields: draft.fields,
            created_at: server.created_at,
            updated_at: server.updated_at,
            created_by: server.created_by,
            updated_by: server.updated_by,
            version: server.version,
        }
    }

    server_field_accessors!();
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
    fn number_is_another_name_of_phone() {
        let draft = parse(json!({"name": "a", "number": "+49 170 1234567"})).unwrap();
        assert_eq!(
            draft.phone.map(Phone::into_string).as_deref(),
            Some("+491701234567")
        );
        let both = parse(json!({"name": "a", "number": "+491701234567", "phone": "+491701234567"}));
        assert_eq!(both.err().map(|e| e.status().as_u16()), Some(400));
        let bad = parse(json!({"name": "a", "number": "12"})).unwrap_err();
        assert_eq!(fields_of(&bad), ["phone"]);
    }
}
