//! DynamoDB access: the one table's key layout (module `keys`, and nowhere else), and every read
//! and write the functions make. Writes that touch more than one item are one transaction, and
//! every write of an existing item is conditional on the version that was read, so concurrent
//! writers never lose an update silently.

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::time::Duration;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    AttributeValue, ConditionCheck, Delete, Put, ReturnValue, TransactWriteItem,
};
use serde::de::DeserializeOwned;

use crate::apikey::ApiKey;
use crate::auth::TenantId;
use crate::contact::{Contact, ResourceId};
use crate::error::{ApiError, Problem};
use crate::http::Preconditions;

/// How often a write that lost a race is retried before the client is told 409.
const MAX_ATTEMPTS: u32 = 30;

/// The key layout of the table. Every item of a tenant lives under the tenant's partition key,
/// and the tenant comes only from verified credentials, so no request can address another
/// tenant's items. Sort keys carry a type prefix; contact ids are UUIDv7, so `CONTACT#` keys
/// sort in creation order.
mod keys {
    use super::*;

    pub const PK: &str = "pk";
    pub const SK: &str = "sk";
    pub const CONTACT_PREFIX: &str = "CONTACT#";

    pub fn tenant(tenant: &TenantId) -> AttributeValue {
        AttributeValue::S(format!("TENANT#{}", tenant.as_str()))
    }

    pub fn contact(id: &ResourceId) -> AttributeValue {
        AttributeValue::S(format!("{CONTACT_PREFIX}{id}"))
    }

    /// The uniqueness guard of a (lower-cased) e-mail address.
    pub fn email(key: &str) -> AttributeValue {
        AttributeValue::S(format!("EMAIL#{key}"))
    }

    pub const API_KEY_PREFIX: &str = "APIKEY#";

    pub fn api_key(key_id: &str) -> AttributeValue {
        AttributeValue::S(format!("{API_KEY_PREFIX}{key_id}"))
    }

    pub fn group(id: &ResourceId) -> AttributeValue {
        AttributeValue::S(format!("GROUP#{id}"))
    }

    pub fn item(pk: AttributeValue, sk: AttributeValue) -> HashMap<String, AttributeValue> {
        HashMap::from([(PK.to_string(), pk), (SK.to_string(), sk)])
    }
}

/// What it means when the condition of one action of a write does not hold.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Guard {
    /// The item is not at the version that was read (or is gone): the write is stale.
    Version,
    /// The e-mail address is taken by another contact.
    EmailFree,
    /// A referenced group does not exist.
    GroupExists(ResourceId),
}

enum WriteError {
    /// The state the write was based on changed; retry from a fresh read, or 412.
    Stale,
    Failed(ApiError),
}

/// The table and the client that reaches it; built once per process.
pub struct Store {
    client: Client,
    table: String,
}

impl Store {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    /// Stores a new contact with its e-mail guard; 409 when the address is taken, 422 when a
    /// group does not exist.
    pub async fn create_contact(
        &self,
        tenant: &TenantId,
        contact: &Contact,
    ) -> Result<(), ApiError> {
        let mut actions = vec![(self.put_contact(tenant, contact, None)?, Guard::Version)];
        actions.extend(self.email_change(tenant, None, contact)?);
        actions.extend(self.group_checks(tenant, None, contact)?);
        for attempt in 0..MAX_ATTEMPTS {
            match self.write(actions.clone()).await {
                Ok(()) => return Ok(()),
                // Only a transaction conflict is transient here: the id is new.
                Err(WriteError::Stale) => backoff(attempt).await,
                Err(WriteError::Failed(err)) => return Err(err),
            }
        }
        Err(contended())
    }

    /// The contact with this id in this tenant, read consistently.
    pub async fn find_contact(
        &self,
        tenant: &TenantId,
        id: &ResourceId,
    ) -> Result<Option<Contact>, ApiError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(keys::item(keys::tenant(tenant), keys::contact(id))))
            .consistent_read(true)
            .send()
            .await?;
        output.item.map(decode).transpose()
    }

    /// Up to `limit` contacts in creation order, after the contact `after`; also says whether
    /// more follow. Reads `limit + 1` items at most, whatever the size of the tenant.
    pub async fn list_contacts(
        &self,
        tenant: &TenantId,
        limit: usize,
        after: Option<&ResourceId>,
    ) -> Result<(Vec<Contact>, bool), ApiError> {
        let start = after.map(|id| keys::item(keys::tenant(tenant), keys::contact(id)));
        let output = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("#pk = :pk AND begins_with(#sk, :prefix)")
            .expression_attribute_names("#pk", keys::PK)
            .expression_attribute_names("#sk", keys::SK)
            .expression_attribute_values(":pk", keys::tenant(tenant))
            .expression_attribute_values(
                ":prefix",
                AttributeValue::S(keys::CONTACT_PREFIX.to_string()),
            )
            .set_exclusive_start_key(start)
            .limit(i32::try_from(limit + 1).unwrap_or(i32::MAX))
            .consistent_read(true)
            .send()
            .await?;
        let mut contacts = output
            .items
            .unwrap_or_default()
            .into_iter()
            .map(decode)
            .collect::<Result<Vec<Contact>, _>>()?;
        let more = contacts.len() > limit;
        contacts.truncate(limit);
        Ok((contacts, more))
    }

    /// Replaces a contact with what `change` makes of its current state, conditional on the
    /// version read. A lost race is retried on the new version when the request had no
    /// precondition, and is a 412 when it had one.
    pub async fn update_contact<F>(
        &self,
        tenant: &TenantId,
        id: &ResourceId,
        preconditions: &Preconditions,
        mut change: F,
    ) -> Result<Contact, ApiError>
    where
        F: FnMut(&Contact) -> Result<Contact, ApiError>,
    {
        for attempt in 0..MAX_ATTEMPTS {
            let current = self.existing_contact(tenant, id, preconditions).await?;
            let next = change(&current)?;
            let mut actions = vec![(
                self.put_contact(tenant, &next, Some(current.version))?,
                Guard::Version,
            )];
            actions.extend(self.email_change(tenant, Some(&current), &next)?);
            actions.extend(self.group_checks(tenant, Some(&current), &next)?);
            match self.write(actions).await {
                Ok(()) => return Ok(next),
                Err(WriteError::Stale) => stale(preconditions, attempt).await?,
                Err(WriteError::Failed(err)) => return Err(err),
            }
        }
        Err(contended())
    }

    /// Deletes a contact and its e-mail guard, conditional on the version read.
    pub async fn delete_contact(
        &self,
        tenant: &TenantId,
        id: &ResourceId,
        preconditions: &Preconditions,
    ) -> Result<(), ApiError> {
        for attempt in 0..MAX_ATTEMPTS {
            let current = self.existing_contact(tenant, id, preconditions).await?;
            let delete = Delete::builder()
                .table_name(&self.table)
                .set_key(Some(keys::item(keys::tenant(tenant), keys::contact(id))))
                .condition_expression("#v = :v")
                .expression_attribute_names("#v", "version")
                .expression_attribute_values(":v", number(current.version))
                .build()
                .map_err(ApiError::internal)?;
            let mut actions = vec![(
                TransactWriteItem::builder().delete(delete).build(),
                Guard::Version,
            )];
            if let Some(key) = current.email_key() {
                actions.push((
                    self.delete_email_guard(tenant, &key, &current.id)?,
                    Guard::Version,
                ));
            }
            match self.write(actions).await {
                Ok(()) => return Ok(()),
                Err(WriteError::Stale) => stale(preconditions, attempt).await?,
                Err(WriteError::Failed(err)) => return Err(err),
            }
        }
        Err(contended())
    }

    /// Stores a new API key in its tenant's partition.
    pub async fn put_api_key(&self, key: &ApiKey) -> Result<(), ApiError> {
        let tenant = TenantId::parse(&key.tenant)
            .ok_or_else(|| ApiError::internal("API key with a malformed tenant"))?;
        let mut item: HashMap<String, AttributeValue> =
            serde_dynamo::to_item(key).map_err(ApiError::internal)?;
        item.extend(keys::item(
            keys::tenant(&tenant),
            keys::api_key(&key.key_id),
        ));
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(#pk)")
            .expression_attribute_names("#pk", keys::PK)
            .send()
            .await?;
        Ok(())
    }

    /// The API key with this id in this tenant.
    pub async fn find_api_key(
        &self,
        tenant: &TenantId,
        key_id: &str,
    ) -> Result<Option<ApiKey>, ApiError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(keys::item(
                keys::tenant(tenant),
                keys::api_key(key_id),
            )))
            .consistent_read(true)
            .send()
            .await?;
        output.item.map(decode).transpose()
    }

    /// Every API key of a tenant (an admin operation: it pages through all of them).
    pub async fn list_api_keys(&self, tenant: &TenantId) -> Result<Vec<ApiKey>, ApiError> {
        let mut keys_found = Vec::new();
        let mut start = None;
        loop {
            let output = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("#pk = :pk AND begins_with(#sk, :prefix)")
                .expression_attribute_names("#pk", keys::PK)
                .expression_attribute_names("#sk", keys::SK)
                .expression_attribute_values(":pk", keys::tenant(tenant))
                .expression_attribute_values(
                    ":prefix",
                    AttributeValue::S(keys::API_KEY_PREFIX.to_string()),
                )
                .set_exclusive_start_key(start)
                .send()
                .await?;
            for item in output.items.unwrap_or_default() {
                keys_found.push(decode(item)?);
            }
            start = output.last_evaluated_key;
            if start.is_none() {
                return Ok(keys_found);
            }
        }
    }

    /// Deletes an API key; false when there was none.
    pub async fn delete_api_key(&self, tenant: &TenantId, key_id: &str) -> Result<bool, ApiError> {
        let output = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(keys::item(
                keys::tenant(tenant),
                keys::api_key(key_id),
            )))
            .return_values(ReturnValue::AllOld)
            .send()
            .await?;
        Ok(output.attributes.is_some())
    }

    /// The current contact, 404 when missing, 412 when the preconditions do not hold.
    async fn existing_contact(
        &self,
        tenant: &TenantId,
        id: &ResourceId,
        preconditions: &Preconditions,
    ) -> Result<Contact, ApiError> {
        let current = self
            .find_contact(tenant, id)
            .await?
            .ok_or_else(|| ApiError::not_found("contact"))?;
        preconditions.check(current.version, &current.updated_at)?;
        Ok(current)
    }

    /// A put of the contact: new (`expected` = None) or replacing version `expected`.
    fn put_contact(
        &self,
        tenant: &TenantId,
        contact: &Contact,
        expected: Option<u64>,
    ) -> Result<TransactWriteItem, ApiError> {
        let mut item: HashMap<String, AttributeValue> =
            serde_dynamo::to_item(contact).map_err(ApiError::internal)?;
        item.extend(keys::item(keys::tenant(tenant), keys::contact(&contact.id)));
        let put = Put::builder().table_name(&self.table).set_item(Some(item));
        let put = match expected {
            None => put
                .condition_expression("attribute_not_exists(#pk)")
                .expression_attribute_names("#pk", keys::PK),
            Some(version) => put
                .condition_expression("#v = :v")
                .expression_attribute_names("#v", "version")
                .expression_attribute_values(":v", number(version)),
        };
        Ok(TransactWriteItem::builder()
            .put(put.build().map_err(ApiError::internal)?)
            .build())
    }

    /// Moves the e-mail guard when the (case-insensitive) address changes.
    fn email_change(
        &self,
        tenant: &TenantId,
        before: Option<&Contact>,
        after: &Contact,
    ) -> Result<Vec<(TransactWriteItem, Guard)>, ApiError> {
        let old = before.and_then(Contact::email_key);
        let new = after.email_key();
        if old == new {
            return Ok(Vec::new());
        }
        let mut actions = Vec::new();
        if let Some(key) = old {
            actions.push((
                self.delete_email_guard(tenant, &key, &after.id)?,
                Guard::Version,
            ));
        }
        if let Some(key) = new {
            let mut item = keys::item(keys::tenant(tenant), keys::email(&key));
            item.insert("contactId".into(), AttributeValue::S(after.id.to_string()));
            let put = Put::builder()
                .table_name(&self.table)
                .set_item(Some(item))
                .condition_expression("attribute_not_exists(#pk)")
                .expression_attribute_names("#pk", keys::PK)
                .build()
                .map_err(ApiError::internal)?;
            actions.push((
                TransactWriteItem::builder().put(put).build(),
                Guard::EmailFree,
            ));
        }
        Ok(actions)
    }

    fn delete_email_guard(
        &self,
        tenant: &TenantId,
        key: &str,
        owner: &ResourceId,
    ) -> Result<TransactWriteItem, ApiError> {
        let delete = Delete::builder()
            .table_name(&self.table)
            .set_key(Some(keys::item(keys::tenant(tenant), keys::email(key))))
            .condition_expression("contactId = :owner")
            .expression_attribute_values(":owner", AttributeValue::S(owner.to_string()))
            .build()
            .map_err(ApiError::internal)?;
        Ok(TransactWriteItem::builder().delete(delete).build())
    }

    /// A check that every group the contact newly references exists in the tenant.
    fn group_checks(
        &self,
        tenant: &TenantId,
        before: Option<&Contact>,
        after: &Contact,
    ) -> Result<Vec<(TransactWriteItem, Guard)>, ApiError> {
        let had = before.and_then(|c| c.groups.as_deref()).unwrap_or_default();
        after
            .groups
            .as_deref()
            .unwrap_or_default()
            .iter()
            .filter(|id| !had.contains(id))
            .map(|id| {
                let check = ConditionCheck::builder()
                    .table_name(&self.table)
                    .set_key(Some(keys::item(keys::tenant(tenant), keys::group(id))))
                    .condition_expression("attribute_exists(#pk)")
                    .expression_attribute_names("#pk", keys::PK)
                    .build()
                    .map_err(ApiError::internal)?;
                Ok((
                    TransactWriteItem::builder().condition_check(check).build(),
                    Guard::GroupExists(*id),
                ))
            })
            .collect()
    }

    /// Runs the actions as one transaction and says which guard failed, if one did.
    async fn write(&self, actions: Vec<(TransactWriteItem, Guard)>) -> Result<(), WriteError> {
        let (items, guards): (Vec<_>, Vec<_>) = actions.into_iter().unzip();
        let result = self
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await;
        let err = match result {
            Ok(_) => return Ok(()),
            Err(err) => err,
        };
        let reasons = match err.as_service_error() {
            Some(TransactWriteItemsError::TransactionCanceledException(cancelled)) => {
                cancelled.cancellation_reasons().to_vec()
            }
            _ => return Err(WriteError::Failed(err.into())),
        };
        let mut stale = false;
        let mut problems = Vec::new();
        for (reason, guard) in reasons.iter().zip(&guards) {
            match (reason.code(), guard) {
                (Some("ConditionalCheckFailed"), Guard::EmailFree) => {
                    return Err(WriteError::Failed(ApiError::Conflict(Problem::field(
                        "email",
                        "is already used by another contact",
                    ))));
                }
                (Some("ConditionalCheckFailed"), Guard::GroupExists(id)) => {
                    problems.push(Problem::field(
                        "groups",
                        format!("group {id} does not exist"),
                    ));
                }
                (Some("ConditionalCheckFailed" | "TransactionConflict"), _) => stale = true,
                (Some("None") | None, _) => {}
                (Some("ThrottlingError" | "ProvisionedThroughputExceeded"), _) => {
                    return Err(WriteError::Failed(ApiError::Unavailable));
                }
                (Some(other), _) => {
                    return Err(WriteError::Failed(ApiError::internal(format!(
                        "transaction cancelled: {other}"
                    ))));
                }
            }
        }
        if !problems.is_empty() {
            Err(WriteError::Failed(ApiError::ValidationFailed(problems)))
        } else if stale {
            Err(WriteError::Stale)
        } else {
            Err(WriteError::Failed(ApiError::internal(
                "transaction cancelled without a reason",
            )))
        }
    }
}

fn decode<T: DeserializeOwned>(item: HashMap<String, AttributeValue>) -> Result<T, ApiError> {
    serde_dynamo::from_item(item)
        .map_err(|err| ApiError::internal(format!("bad stored item: {err}")))
}

fn number(value: u64) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

/// A stale write: 412 when the request named the version it was based on, else wait and retry.
async fn stale(preconditions: &Preconditions, attempt: u32) -> Result<(), ApiError> {
    if preconditions.is_empty() {
        backoff(attempt).await;
        Ok(())
    } else {
        Err(ApiError::PreconditionFailed(
            "the resource changed while the request was processed".into(),
        ))
    }
}

fn contended() -> ApiError {
    ApiError::Conflict(Problem::general(
        "the resource is being changed by other requests; retry",
    ))
}

/// Full-jitter exponential backoff, 2 ms doubling to at most 64 ms, so racing writers spread out.
async fn backoff(attempt: u32) {
    let ceiling_ms = 2u64 << attempt.min(5);
    let jitter = RandomState::new().hash_one(attempt) % ceiling_ms;
    tokio::time::sleep(Duration::from_millis(jitter + 1)).await;
}
