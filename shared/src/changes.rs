//! The change feed. DynamoDB Streams delivers every write of a contact or group item, in order
//! per item, to the `record-changes` function, which keeps one small change entry per write in
//! the tenant's partition for 7 days; `GET /v1/changes?since=<cursor>` reads them in the order
//! they were recorded. This module reads a stream record into a `Change`; the store keeps the
//! entries (`store::changes`) and `endpoints::changes` serves both functions.

use aws_lambda_events::event::dynamodb::EventRecord;
use serde::{Deserialize, Serialize};
use std::time::Duration;

use crate::clock::timestamp;
use crate::identity::TenantId;
use crate::resource::ResourceId;

/// How long change entries are kept (DynamoDB TTL); a stream keeps records for 24 hours.
pub const RETENTION: Duration = Duration::from_secs(7 * 24 * 60 * 60);

/// One write of one resource, as the feed returns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    /// `contact` or `group`.
    pub resource: String,
    /// The resource's id.
    pub id: ResourceId,
    /// `created`, `updated` or `deleted`.
    pub op: String,
    /// The resource's version after the write (the last version, for a delete): changes of
    /// one resource are in version order.
    pub version: u64,
    /// When it changed (`updatedAt`; for a delete, when the stream recorded it).
    pub at: String,
}

/// The members of a stream image that a change needs.
#[derive(Deserialize)]
struct Image {
    pk: String,
    sk: String,
    #[serde(default)]
    version: Option<u64>,
    #[serde(default, rename = "updatedAt")]
    updated_at: Option<String>,
}

/// The tenant and change a stream record stands for; `None` for items that are not contacts or
/// groups (guards, memberships, keys, idempotency records, change entries) and for writes that
/// change no version (a group's deletion flag).
pub fn from_record(record: &EventRecord) -> Option<(TenantId, Change)> {
    let read = |item: &serde_dynamo::Item| -> Option<Image> {
        (!item.is_empty())
            .then(|| serde_dynamo::from_item(item.clone()).ok())
            .flatten()
    };
    let new = read(&record.change.new_image);
    let old = read(&record.change.old_image);
    let (op, image) = match (record.event_name.as_str(), new, old) {
        ("INSERT", Some(new), _) => ("created", new),
        ("MODIFY", Some(new), Some(old)) if new.version == old.version => return None,
        ("MODIFY", Some(new), _) => ("updated", new),
        ("REMOVE", _, Some(old)) => ("deleted", old),
        _ => return None,
    };
    let tenant = TenantId::parse(image.pk.strip_prefix("TENANT#")?)?;
    let (resource, id) = if let Some(id) = image.sk.strip_prefix("CONTACT#") {
        ("contact", id)
    } else if let Some(id) = image.sk.strip_prefix("GROUP#") {
        ("group", id)
    } else {
        return None;
    };
    let at = match (op, image.updated_at) {
        ("deleted", _) | (_, None) => {
            let when = record.change.approximate_creation_date_time;
            let at = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(
                when.timestamp_nanos_opt().unwrap_or_default(),
            ))
            .ok()?;
            timestamp(at)
        }
        (_, Some(updated_at)) => updated_at,
    };
    Some((
        tenant,
        Change {
            resource: resource.into(),
            id: ResourceId::parse(id)?,
            op: op.into(),
            version: image.version?,
            at,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    const ID: &str = "0192f3c0-7b9e-7cc4-9a4e-2f1c5d8e9a10";

    fn record(name: &str, new: Option<Value>, old: Option<Value>) -> EventRecord {
        let mut change = json!({
            "ApproximateCreationDateTime": 1_779_466_287.386,
            "Keys": {"pk": {"S": "TENANT#acme"}, "sk": {"S": format!("CONTACT#{ID}")}},
            "SequenceNumber": "1", "SizeBytes": 1, "StreamViewType": "NEW_AND_OLD_IMAGES"
        });
        if let Some(new) = new {
            change["NewImage"] = new;
        }
        if let Some(old) = old {
            change["OldImage"] = old;
        }
        serde_json::from_value(json!({
            "eventID": "1", "eventName": name, "eventSource": "aws:dynamodb",
            "awsRegion": "us-east-1", "dynamodb": change
        }))
        .unwrap()
    }

    fn image(sk: &str, version: u64) -> Value {
        json!({
            "pk": {"S": "TENANT#acme"}, "sk": {"S": sk}, "version": {"N": version.to_string()},
            "updatedAt": {"S": format!("2026-01-01T00:00:0{version}.000Z")}, "name": {"S": "A"}
        })
    }

    #[test]
    fn contact_and_group_writes_become_changes() {
        let contact = format!("CONTACT#{ID}");
        let (tenant, change) =
            from_record(&record("INSERT", Some(image(&contact, 1)), None)).unwrap();
        assert_eq!(tenant.as_str(), "acme");
        assert_eq!(
            (change.resource.as_str(), change.op.as_str(), change.version),
            ("contact", "created", 1)
        );
        assert_eq!(change.at, "2026-01-01T00:00:01.000Z");
        let updated = record("MODIFY", Some(image(&contact, 2)), Some(image(&contact, 1)));
        assert_eq!(from_record(&updated).unwrap().1.op, "updated");
        let deleted = from_record(&record("REMOVE", None, Some(image(&contact, 2))))
            .unwrap()
            .1;
        assert_eq!((deleted.op.as_str(), deleted.version), ("deleted", 2));
        // Streams give whole seconds.
        assert_eq!(deleted.at, "2026-05-22T16:11:27.000Z");
        let group = format!("GROUP#{ID}");
        let group = from_record(&record("INSERT", Some(image(&group, 1)), None))
            .unwrap()
            .1;
        assert_eq!(group.resource, "group");
    }

    #[test]
    fn other_items_and_unversioned_writes_are_not_changes() {
        for sk in [
            "EMAIL#a@example.com".to_string(),
            format!("MEMBER#{ID}#{ID}"),
            "IDEMPOTENCY#k".to_string(),
            format!("CHANGE#{ID}"),
        ] {
            assert_eq!(
                from_record(&record("INSERT", Some(image(&sk, 1)), None)),
                None,
                "{sk}"
            );
        }
        let group = format!("GROUP#{ID}");
        let flagged = record("MODIFY", Some(image(&group, 3)), Some(image(&group, 3)));
        assert_eq!(from_record(&flagged), None);
    }
}
