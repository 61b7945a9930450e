//! The table's stream, read: a DynamoDB Streams record of a contact or group write becomes the
//! `Change` its tenant's feed records. The key layout it reads is `keys`'.

use aws_lambda_events::event::dynamodb::EventRecord;
use serde_json::{Map, Value};

use super::keys;
use crate::changes::{Change, Op, ResourceKind};
use crate::clock::timestamp;
use crate::identity::TenantId;

/// The members of a stream image that a change needs.
struct Image {
    pk: String,
    sk: String,
    version: Option<u64>,
    /// The resource's own `updatedAt`.
    updated_at: Option<String>,
}

impl Image {
    fn read(item: &serde_dynamo::Item) -> Option<Self> {
        if item.is_empty() {
            return None;
        }
        let members: Map<String, Value> = serde_dynamo::from_item(item.clone()).ok()?;
        let text = |name: &str| {
            members
                .get(name)
                .and_then(Value::as_str)
                .map(str::to_string)
        };
        Some(Self {
            pk: text(keys::PK)?,
            sk: text(keys::SK)?,
            version: members.get(keys::VERSION).and_then(Value::as_u64),
            updated_at: text("updatedAt"),
        })
    }
}

/// The tenant and change a stream record stands for; `None` for items that are not contacts or
/// groups (guards, memberships, keys, idempotency records, change entries, the trash) and for
/// writes that change no version (a group's deletion flag). An erase mark's insert is the
/// contact's `erased`; a contact inserted above version 1 is `restored`.
pub fn from_record(record: &EventRecord) -> Option<(TenantId, Change)> {
    let new = Image::read(&record.change.new_image);
    let old = Image::read(&record.change.old_image);
    let (op, image) = match (record.event_name.as_str(), new, old) {
        // A create is version 1; a contact back from the trash is one above its deleted version.
        ("INSERT", Some(new), _) if new.version > Some(1) => (Op::Restored, new),
        ("INSERT", Some(new), _) => (Op::Created, new),
        ("MODIFY", Some(new), Some(old)) if new.version == old.version => return None,
        ("MODIFY", Some(new), _) => (Op::Updated, new),
        ("REMOVE", _, Some(old)) => (Op::Deleted, old),
        _ => return None,
    };
    let tenant = keys::tenant_of(&image.pk)?;
    let (op, (resource, id)) = match (op, keys::erased_of(&image.sk)) {
        (Op::Created | Op::Restored, Some(id)) => (Op::Erased, (ResourceKind::Contact, id)),
        (_, Some(_)) => return None,
        (op, None) => (op, keys::resource_of(&image.sk)?),
    };
    let at = match (op, image.updated_at) {
        (Op::Deleted, _) | (_, None) => {
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
            resource,
            id,
            op,
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
            (change.resource, change.op, change.version),
            (ResourceKind::Contact, Op::Created, 1)
        );
        assert_eq!(change.at, "2026-01-01T00:00:01.000Z");
        let updated = record("MODIFY", Some(image(&contact, 2)), Some(image(&contact, 1)));
        assert_eq!(from_record(&updated).unwrap().1.op, Op::Updated);
        let deleted = from_record(&record("REMOVE", None, Some(image(&contact, 2))))
            .unwrap()
            .1;
        assert_eq!((deleted.op, deleted.version), (Op::Deleted, 2));
        // Streams give whole seconds.
        assert_eq!(deleted.at, "2026-05-22T16:11:27.000Z");
        let erased = format!("ERASED#{ID}");
        let erased = from_record(&record("INSERT", Some(image(&erased, 3)), None))
            .unwrap()
            .1;
        assert_eq!(
            (erased.resource, erased.op, erased.version),
            (ResourceKind::Contact, Op::Erased, 3)
        );
        let expired = format!("ERASED#{ID}");
        assert_eq!(
            from_record(&record("REMOVE", None, Some(image(&expired, 3)))),
            None
        );
        let restored = from_record(&record("INSERT", Some(image(&contact, 3)), None))
            .unwrap()
            .1;
        assert_eq!((restored.op, restored.version), (Op::Restored, 3));
        let group = format!("GROUP#{ID}");
        let group = from_record(&record("INSERT", Some(image(&group, 1)), None))
            .unwrap()
            .1;
        assert_eq!(group.resource, ResourceKind::Group);
    }

    #[test]
    fn other_items_and_unversioned_writes_are_not_changes() {
        for sk in [
            "EMAIL#a@example.com".to_string(),
            format!("MEMBER#{ID}#{ID}"),
            "IDEMPOTENCY#k".to_string(),
            format!("CHANGE#{ID}"),
            format!("TRASH#{ID}"),
            format!("TRASHED#2026-01-01T00:00:00.000Z\u{1}{ID}"),
            format!("ANSWER#{ID}#k"),
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
