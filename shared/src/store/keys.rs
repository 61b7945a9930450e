//! The key layout of the table and the names of the attributes the store writes beside a
//! resource's own fields, here and nowhere else. Every item of a tenant lives under the tenant's
//! partition key, and the tenant comes only from verified credentials, so no request can
//! address another tenant's items. Sort keys carry a type prefix; ids are UUIDv7, so `CONTACT#`
//! and `GROUP#` keys, and each group's `MEMBER#<group>#` keys, sort in creation order.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;

use super::Stored;
use crate::changes::ResourceKind;
use crate::identity::TenantId;
use crate::resource::ResourceId;
use crate::search::Namespace;

/// The partition and sort key attributes.
pub const PK: &str = "pk";
pub const SK: &str = "sk";

pub const TENANT_PREFIX: &str = "TENANT#";
pub const CONTACT_PREFIX: &str = "CONTACT#";
pub const GROUP_PREFIX: &str = "GROUP#";
pub const EMAIL_PREFIX: &str = "EMAIL#";
pub const GROUP_NAME_PREFIX: &str = "GROUPNAME#";
pub const MEMBER_PREFIX: &str = "MEMBER#";
pub const API_KEY_PREFIX: &str = "APIKEY#";
pub const CHANGE_PREFIX: &str = "CHANGE#";
pub const IDEMPOTENCY_PREFIX: &str = "IDEMPOTENCY#";
/// A contact's search entries (`W#` words, `#P` phones) and its places in the sorted lists.
pub const SEARCH_PREFIX: &str = "SEARCH#";
pub const BY_NAME_PREFIX: &str = "BYNAME#";
pub const BY_UPDATED_PREFIX: &str = "BYUPDATED#";
/// The trash: a deleted contact's entry (`TRASHED#<deletedAt>␁<id>`, so entries sort by
/// deletion) and its pointer by id (`TRASH#<id>`).
pub const TRASHED_PREFIX: &str = "TRASHED#";
pub const TRASH_PREFIX: &str = "TRASH#";
/// The link from a resource to a stored idempotent answer that holds its data
/// (`ANSWER#<id>#<key>`), so that erasing the resource finds the answer without a scan.
pub const ANSWER_PREFIX: &str = "ANSWER#";
/// The mark an erase leaves for the change feed (`ERASED#<id>`: the last version and when), so
/// that the stream carries the erase in order with the contact's other writes.
pub const ERASED_PREFIX: &str = "ERASED#";
/// What separates the parts of an index key: below every character a name, address or
/// timestamp can hold (control characters are refused in text), so keys sort part by part.
pub const SEPARATOR: char = '\u{1}';

/// A resource's version (its own field, and the condition of every write of it).
pub const VERSION: &str = "version";
/// An e-mail guard's contact.
pub const CONTACT_ID: &str = "contactId";
/// A group-name guard's group.
pub const GROUP_ID: &str = "groupId";
/// A group being deleted: since when, and by which request (its token).
pub const DELETING_SINCE: &str = "deletingSince";
pub const DELETING_BY: &str = "deletingBy";
/// The table's TTL attribute (template.yaml): idempotency records and change entries.
pub const EXPIRES_AT: &str = "expiresAt";
/// An idempotency record: `running` or `done`, the request's fingerprint, the holding
/// request's token, when its hold ends, and the stored answer.
pub const STATE: &str = "state";
pub const FINGERPRINT: &str = "fingerprint";
pub const TOKEN: &str = "token";
pub const LOCKED_UNTIL: &str = "lockedUntil";
pub const REPLY: &str = "reply";
/// A trash entry's deletion, its deleter and when it is purged; its pointer's entry.
pub const DELETED_AT: &str = "deletedAt";
pub const DELETED_BY: &str = "deletedBy";
pub const PURGE_AT: &str = "purgeAt";
pub const ENTRY: &str = "entry";
/// An answer link's idempotency key.
pub const KEY: &str = "key";
/// A search entry's copy of its contact's tokens (what a query is filtered by).
pub const WORDS: &str = "words";
pub const PHONES: &str = "phones";

pub fn tenant(tenant: &TenantId) -> AttributeValue {
    AttributeValue::S(format!("{TENANT_PREFIX}{}", tenant.as_str()))
}

/// The tenant whose partition key this is.
pub fn tenant_of(pk: &str) -> Option<TenantId> {
    TenantId::parse(pk.strip_prefix(TENANT_PREFIX)?)
}

/// The contact or group whose sort key this is; `None` for every other item.
pub fn resource_of(sk: &str) -> Option<(ResourceKind, ResourceId)> {
    let (kind, id) = if let Some(id) = sk.strip_prefix(CONTACT_PREFIX) {
        (ResourceKind::Contact, id)
    } else {
        (ResourceKind::Group, sk.strip_prefix(GROUP_PREFIX)?)
    };
    Some((kind, ResourceId::parse(id)?))
}

/// The uniqueness guard of a contact's (lower-cased) e-mail address.
pub fn email(key: &str) -> AttributeValue {
    AttributeValue::S(format!("{EMAIL_PREFIX}{key}"))
}

/// The uniqueness guard of a group's (lower-cased) name.
pub fn group_name(key: &str) -> AttributeValue {
    AttributeValue::S(format!("{GROUP_NAME_PREFIX}{key}"))
}

pub fn member_prefix(group: &ResourceId) -> String {
    format!("{MEMBER_PREFIX}{group}#")
}

/// That `contact` is in `group`: what the `group=` filter reads.
pub fn member(group: &ResourceId, contact: &ResourceId) -> AttributeValue {
    AttributeValue::S(format!("{}{contact}", member_prefix(group)))
}

/// An entry of the change feed.
pub fn change(id: &ResourceId) -> AttributeValue {
    AttributeValue::S(format!("{CHANGE_PREFIX}{id}"))
}

/// The id of the change entry whose sort key this is.
pub fn change_of(sk: &str) -> Option<ResourceId> {
    ResourceId::parse(sk.strip_prefix(CHANGE_PREFIX)?)
}

/// The start of every search key for tokens that begin with `prefix`.
pub fn search_prefix(namespace: Namespace, prefix: &str) -> String {
    let space = match namespace {
        Namespace::Words => "W#",
        Namespace::Phones => "P#",
    };
    format!("{SEARCH_PREFIX}{space}{prefix}")
}

/// A search entry: the token, then the contact's name key and id, so that the entries of one
/// prefix sort by the matching token, then name, then id.
pub fn search_entry(namespace: Namespace, token: &str, name_key: &str, id: &ResourceId) -> String {
    format!(
        "{}{SEPARATOR}{name_key}{SEPARATOR}{id}",
        search_prefix(namespace, token)
    )
}

/// The token of a search entry's key.
pub fn token_of(namespace: Namespace, sk: &str) -> Option<&str> {
    let rest = sk.strip_prefix(search_prefix(namespace, "").as_str())?;
    rest.split(SEPARATOR).next()
}

/// A contact's place in the list sorted by name.
pub fn by_name(name_key: &str, id: &ResourceId) -> String {
    format!("{BY_NAME_PREFIX}{name_key}{SEPARATOR}{id}")
}

/// A contact's place in the list sorted by last change.
pub fn by_updated(updated_at: &str, id: &ResourceId) -> String {
    format!("{BY_UPDATED_PREFIX}{updated_at}{SEPARATOR}{id}")
}

/// Whether a sort key is a contact's search or sort index entry.
pub fn is_index(sk: &str) -> bool {
    [SEARCH_PREFIX, BY_NAME_PREFIX, BY_UPDATED_PREFIX]
        .iter()
        .any(|prefix| sk.starts_with(prefix))
}

/// The id an index key ends with.
pub fn id_at_end(sk: &str) -> Option<ResourceId> {
    ResourceId::parse(sk.rsplit(SEPARATOR).next()?)
}

/// A contact's entry in the trash, deleted at `deleted_at`.
pub fn trashed(deleted_at: &str, id: &ResourceId) -> String {
    format!("{TRASHED_PREFIX}{deleted_at}{SEPARATOR}{id}")
}

/// The pointer to a trashed contact's entry.
pub fn trash(id: &ResourceId) -> AttributeValue {
    AttributeValue::S(format!("{TRASH_PREFIX}{id}"))
}

/// The mark of an erased contact.
pub fn erased(id: &ResourceId) -> AttributeValue {
    AttributeValue::S(format!("{ERASED_PREFIX}{id}"))
}

/// The contact whose erase mark this sort key is.
pub fn erased_of(sk: &str) -> Option<ResourceId> {
    ResourceId::parse(sk.strip_prefix(ERASED_PREFIX)?)
}

/// The start of every answer link of a resource.
pub fn answers_of(id: &ResourceId) -> String {
    format!("{ANSWER_PREFIX}{id}#")
}

/// The link from a resource to the answer stored with an idempotency key.
pub fn answer(id: &ResourceId, key: &str) -> AttributeValue {
    AttributeValue::S(format!("{}{key}", answers_of(id)))
}

/// The record of an `Idempotency-Key`.
pub fn idempotency(key: &str) -> AttributeValue {
    AttributeValue::S(format!("{IDEMPOTENCY_PREFIX}{key}"))
}

pub fn api_key(key_id: &str) -> AttributeValue {
    AttributeValue::S(format!("{API_KEY_PREFIX}{key_id}"))
}

pub fn of<T: Stored>(id: &ResourceId) -> AttributeValue {
    AttributeValue::S(format!("{}{id}", T::PREFIX))
}

pub fn item(pk: AttributeValue, sk: AttributeValue) -> HashMap<String, AttributeValue> {
    HashMap::from([(PK.to_string(), pk), (SK.to_string(), sk)])
}
