//! The change feed. DynamoDB Streams delivers every write of a contact or group item, in order
//! per item, to the `record-changes` function, which keeps one small change entry per write in
//! the tenant's partition for 7 days; `GET /v1/changes?since=<cursor>` reads them in the order
//! they were recorded. This module is the `Change` a client reads; the store reads a stream
//! record into one (`store::stream`) and keeps the entries (`store::changes`), and
//! `endpoints::changes` serves both functions.

use serde::{Deserialize, Serialize};
use std::time::Duration;

use crate::resource::ResourceId;

/// How long change entries are kept (DynamoDB TTL); a stream keeps records for 24 hours.
pub const RETENTION: Duration = Duration::from_secs(7 * 24 * 60 * 60);

/// One write of one resource, as the feed returns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    /// `contact` or `group`.
    pub resource: ResourceKind,
    /// The resource's id.
    pub id: ResourceId,
    /// `created`, `updated`, `deleted` (to the trash, or for good when the trash is off),
    /// `restored` (from the trash) or `erased` (for good).
    pub op: Op,
    /// The resource's version after the write (the last version, for a delete): changes of
    /// one resource are in version order.
    pub version: u64,
    /// When it changed (`updatedAt`; for a delete, when the stream recorded it).
    pub at: String,
}

/// The kind of resource a change is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ResourceKind {
    Contact,
    Group,
}

/// What a write did to its resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Op {
    Created,
    Updated,
    Deleted,
    Restored,
    Erased,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_and_ops_are_written_as_the_feed_names_them() {
        assert_eq!(serde_json::json!(ResourceKind::Contact), "contact");
        assert_eq!(serde_json::json!(ResourceKind::Group), "group");
        assert_eq!(serde_json::json!(Op::Created), "created");
        assert_eq!(serde_json::json!(Op::Updated), "updated");
        assert_eq!(serde_json::json!(Op::Deleted), "deleted");
        assert_eq!(serde_json::json!(Op::Restored), "restored");
        assert_eq!(serde_json::json!(Op::Erased), "erased");
    }
}
