//! What every resource (contact, group) has in common, one idea per file: the `Resource` trait
//! and the fields only the server writes (here), its id ([`id`]), the names a client may write
//! or select ([`fields`]), the characters text may not hold ([`text`]), and `Report`, which
//! reads a request body into a draft with the API's 400/422 split ([`report`]).

mod fields;
mod id;
mod report;
mod text;

pub use fields::{canonical_field, field_names, resolve_aliases};
pub use id::ResourceId;
pub(crate) use report::Report;
pub use text::is_hidden;

use serde_json::Value;

use crate::error::ApiError;

/// The fields only the server writes.
pub const READ_ONLY_FIELDS: [&str; 6] = [
    "id",
    "createdAt",
    "updatedAt",
    "createdBy",
    "updatedBy",
    "version",
];

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
    /// Who created it; `None` for what was written before writers were recorded.
    fn created_by(&self) -> Option<&str>;

    /// A new resource, version 1, written by `by` (the caller's `Principal::actor`).
    fn create(draft: Self::Draft, now: &str, by: Option<&str>) -> Self {
        let server = ServerFields {
            id: ResourceId::new(),
            created_at: now.to_string(),
            updated_at: now.to_string(),
            created_by: by.map(str::to_string),
            updated_by: by.map(str::to_string),
            version: 1,
        };
        Self::from_parts(draft, server)
    }

    /// This resource with every writable field replaced by `draft`, one version later, written
    /// by `by`.
    fn replaced_by(&self, draft: Self::Draft, now: &str, by: Option<&str>) -> Self {
        let server = ServerFields {
            id: *self.id(),
            created_at: self.created_at().to_string(),
            updated_at: now.to_string(),
            created_by: self.created_by().map(str::to_string),
            updated_by: by.map(str::to_string),
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
    /// The writer of the first and of the latest version (`None`: not recorded).
    pub created_by: Option<String>,
    pub updated_by: Option<String>,
    pub version: u64,
}

/// The read-only accessors of a `Resource` whose struct has the fields `id`, `created_at`,
/// `updated_at`, `created_by` and `version`.
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
        fn created_by(&self) -> Option<&str> {
            self.created_by.as_deref()
        }
    };
}
pub(crate) use server_field_accessors;
