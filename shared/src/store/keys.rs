//! The key layout of the table, and nowhere else. Every item of a tenant lives under the
//! tenant's partition key, and the tenant comes only from verified credentials, so no request can
//! address another tenant's items. Sort keys carry a type prefix; ids are UUIDv7, so `CONTACT#`
//! and `GROUP#` keys, and each group's `MEMBER#<group>#` keys, sort in creation order.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;

use super::Stored;
use crate::identity::TenantId;
use crate::resource::ResourceId;

pub const PK: &str = "pk";
pub const SK: &str = "sk";
pub const CONTACT_PREFIX: &str = "CONTACT#";
pub const GROUP_PREFIX: &str = "GROUP#";
pub const API_KEY_PREFIX: &str = "APIKEY#";
pub const CHANGE_PREFIX: &str = "CHANGE#";

pub fn tenant(tenant: &TenantId) -> AttributeValue {
    AttributeValue::S(format!("TENANT#{}", tenant.as_str()))
}

/// The uniqueness guard of a contact's (lower-cased) e-mail address.
pub fn email(key: &str) -> AttributeValue {
    AttributeValue::S(format!("EMAIL#{key}"))
}

/// The uniqueness guard of a group's (lower-cased) name.
pub fn group_name(key: &str) -> AttributeValue {
    AttributeValue::S(format!("GROUPNAME#{key}"))
}

pub fn member_prefix(group: &ResourceId) -> String {
    format!("MEMBER#{group}#")
}

/// That `contact` is in `group`: what the `group=` filter reads.
pub fn member(group: &ResourceId, contact: &ResourceId) -> AttributeValue {
    AttributeValue::S(format!("{}{contact}", member_prefix(group)))
}

/// An entry of the change feed.
pub fn change(id: &ResourceId) -> AttributeValue {
    AttributeValue::S(format!("{CHANGE_PREFIX}{id}"))
}

/// The record of an `Idempotency-Key`.
pub fn idempotency(key: &str) -> AttributeValue {
    AttributeValue::S(format!("IDEMPOTENCY#{key}"))
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
