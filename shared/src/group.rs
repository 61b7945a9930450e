//! The group: its parsed input (`GroupDraft`) and its stored and returned form (`Group`). A
//! group's name is unique per tenant, case-insensitively.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::ApiError;
use crate::resource::{
    MAX_NAME, Report, Resource, ResourceId, ServerFields, server_field_accessors,
};

/// The fields a client may write on a group.
pub const GROUP_WRITABLE_FIELDS: [&str; 2] = ["name", "description"];

/// A group's writable fields after parsing.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupDraft {
    pub name: String,
    pub description: Option<String>,
}

impl GroupDraft {
    /// Parses a request body with the same rules, and the same 400/422 split, as a contact.
    pub fn parse(body: &Value) -> Result<Self, ApiError> {
        let (object, mut report) = Report::start(body, &GROUP_WRITABLE_FIELDS)?;
        let name = report.required_text(object, "name", MAX_NAME);
        let description = report.description(object);
        report.finish()?;
        let name = name.ok_or_else(|| ApiError::internal("name missing after validation"))?;
        Ok(Self { name, description })
    }
}

/// A stored group, exactly as the API returns it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Group {
    pub id: ResourceId,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_by: Option<String>,
    pub version: u64,
}

impl Group {
    /// The key under which the name is unique.
    pub fn name_key(&self) -> String {
        self.name.to_lowercase()
    }
}

impl Resource for Group {
    const NAME: &'static str = "group";
    const COLLECTION: &'static str = "groups";
    const WRITABLE_FIELDS: &'static [&'static str] = &GROUP_WRITABLE_FIELDS;
    type Draft = GroupDraft;

    fn parse_draft(body: &Value) -> Result<GroupDraft, ApiError> {
        GroupDraft::parse(body)
    }

    fn from_parts(draft: GroupDraft, server: ServerFields) -> Self {
        Self {
            id: server.id,
            name: draft.name,
            description: draft.description,
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

    #[test]
    fn group_bodies_follow_the_contact_rules() {
        let draft =
            GroupDraft::parse(&json!({"name": " Friends ", "description": "close"})).unwrap();
        assert_eq!(draft.name, "Friends");
        for (body, status) in [
            (json!({}), 422),
            (json!({"name": ""}), 422),
            (json!({"name": "x".repeat(101)}), 422),
            (json!({"name": "a", "description": "d".repeat(2001)}), 422),
            (json!({"name": "a", "version": 2}), 422),
            (json!({"name": 1}), 400),
            (json!({"name": "a", "color": "red"}), 400),
            (json!("a"), 400),
        ] {
            let status_of = GroupDraft::parse(&body).err().map(|e| e.status().as_u16());
            assert_eq!(status_of, Some(status), "{body}");
        }
    }
}
