//! DynamoDB access: the one table's key layout (module `keys`, and nowhere else), and every read
//! and write the functions make. A write and every item that must change with it (e-mail and
//! name guards, group memberships) are one transaction, and every write of an existing item is
//! conditional on the version that was read, so concurrent writers never lose an update silently.

use std::collections::{BTreeSet, HashMap};
use std::hash::{BuildHasher, RandomState};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    AttributeValue, ConditionCheck, Delete, KeysAndAttributes, Put, PutRequest, ReturnValue,
    TransactWriteItem, WriteRequest,
};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::apikey::ApiKey;
use crate::auth::TenantId;
use crate::contact::{Contact, ResourceId};
use crate::envelope::{now, timestamp};
use crate::error::{ApiError, Problem};
use crate::group::Group;
use crate::http::Preconditions;

/// How often a write that lost a race is retried before the client is told 409.
const MAX_ATTEMPTS: u32 = 30;
/// DynamoDB's limit on the items of one transaction.
const MAX_TRANSACTION_ITEMS: usize = 100;
/// A group flagged for deletion longer ago than this is taken as not being deleted (the
/// deleting function died between its steps).
const DELETING_EXPIRES: time::Duration = time::Duration::seconds(60);

/// The key layout of the table. Every item of a tenant lives under the tenant's partition key,
/// and the tenant comes only from verified credentials, so no request can address another
/// tenant's items. Sort keys carry a type prefix; ids are UUIDv7, so `CONTACT#` and `GROUP#`
/// keys, and each group's `MEMBER#<group>#` keys, sort in creation order.
mod keys {
    use super::*;

    pub const PK: &str = "pk";
    pub const SK: &str = "sk";
    pub const CONTACT_PREFIX: &str = "CONTACT#";
    pub const GROUP_PREFIX: &str = "GROUP#";
    pub const API_KEY_PREFIX: &str = "APIKEY#";

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

    pub fn api_key(key_id: &str) -> AttributeValue {
        AttributeValue::S(format!("{API_KEY_PREFIX}{key_id}"))
    }

    pub fn of<T: Stored>(id: &ResourceId) -> AttributeValue {
        AttributeValue::S(format!("{}{id}", T::PREFIX))
    }

    pub fn item(pk: AttributeValue, sk: AttributeValue) -> HashMap<String, AttributeValue> {
        HashMap::from([(PK.to_string(), pk), (SK.to_string(), sk)])
    }
}

/// A resource the store keeps: contacts and groups.
pub trait Stored: Serialize + DeserializeOwned + Clone + Send + Sync {
    /// The sort-key prefix of its items.
    const PREFIX: &'static str;
    /// Its name in messages ("contact").
    const NAME: &'static str;
    fn id(&self) -> &ResourceId;
    fn version(&self) -> u64;
    fn updated_at(&self) -> &str;
}

impl Stored for Contact {
    const PREFIX: &'static str = keys::CONTACT_PREFIX;
    const NAME: &'static str = "contact";
    fn id(&self) -> &ResourceId {
        &self.id
    }
    fn version(&self) -> u64 {
        self.version
    }
    fn updated_at(&self) -> &str {
        &self.updated_at
    }
}

impl Stored for Group {
    const PREFIX: &'static str = keys::GROUP_PREFIX;
    const NAME: &'static str = "group";
    fn id(&self) -> &ResourceId {
        &self.id
    }
    fn version(&self) -> u64 {
        self.version
    }
    fn updated_at(&self) -> &str {
        &self.updated_at
    }
}

/// What it means when the condition of one action of a write does not hold.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Guard {
    /// The item is not at the version that was read (or is gone): the write is stale.
    Version,
    /// The e-mail address is taken by another contact.
    EmailFree,
    /// The group name is taken by another group.
    NameFree,
    /// A referenced group does not exist (or is being deleted).
    GroupExists(ResourceId),
}

/// One item of a write transaction, with what its failed condition means.
pub type Action = (TransactWriteItem, Guard);

enum WriteError {
    /// The state the write was based on changed; retry from a fresh read, or 412.
    Stale,
    Failed(ApiError),
}

/// The table and the client that reaches it; built once per process.
pub struct Store {
    client: Client,
    table: String,
    items_read: AtomicU64,
}

impl Store {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
            items_read: AtomicU64::new(0),
        }
    }

    /// Items DynamoDB read for this process so far (its `ScannedCount`s and the items of its
    /// gets): how tests and the benchmark check that a page costs reads in proportion to its size.
    pub fn items_read(&self) -> u64 {
        self.items_read.load(Ordering::Relaxed)
    }

    /// Opens the connection to DynamoDB (DNS, TCP, TLS) with a read of a key that never exists,
    /// so the connection pool holds it for the first request. Failure only costs that request
    /// the connection it would have opened anyway.
    pub async fn prewarm(&self) {
        let key = keys::item(
            AttributeValue::S("PREWARM".into()),
            AttributeValue::S("PREWARM".into()),
        );
        let outcome = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key))
            .send()
            .await;
        if let Err(err) = outcome {
            tracing::warn!(error = %aws_sdk_dynamodb::error::DisplayErrorContext(&err), "DynamoDB prewarm failed");
        }
    }

    fn count_reads(&self, items: usize) {
        self.items_read.fetch_add(items as u64, Ordering::Relaxed);
    }

    // ---- generic resource operations ------------------------------------------------------

    /// Stores a new resource with the items that go with it; 409 when a unique value is taken,
    /// 422 when a referenced group does not exist.
    pub async fn create<T: Stored>(&self, tenant: &TenantId, resource: &T) -> Result<(), ApiError>
    where
        Self: Companions<T>,
    {
        let mut actions = vec![(self.put(tenant, resource, None)?, Guard::Version)];
        actions.extend(self.companions(tenant, None, Some(resource))?);
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

    /// The resource with this id in this tenant, read consistently.
    pub async fn find<T: Stored>(
        &self,
        tenant: &TenantId,
        id: &ResourceId,
    ) -> Result<Option<T>, ApiError> {
        self.get(tenant, keys::of::<T>(id))
            .await?
            .map(decode)
            .transpose()
    }

    /// Up to `limit` resources in creation order, after the one with id `after`; also says
    /// whether more follow. Reads `limit + 1` items at most, whatever the size of the tenant.
    pub async fn list<T: Stored>(
        &self,
        tenant: &TenantId,
        limit: usize,
        after: Option<&ResourceId>,
    ) -> Result<(Vec<T>, bool), ApiError> {
        let start = after.map(|id| keys::of::<T>(id));
        let items = self
            .query_prefix(tenant, T::PREFIX, start, limit + 1)
            .await?;
        let mut resources = items
            .into_iter()
            .map(decode)
            .collect::<Result<Vec<T>, _>>()?;
        let more = resources.len() > limit;
        resources.truncate(limit);
        Ok((resources, more))
    }

    /// Replaces a resource with what `change` makes of its current state, conditional on the
    /// version read. A lost race is retried on the new version when the request had no
    /// precondition, and is a 412 when it had one.
    pub async fn update<T: Stored, F>(
        &self,
        tenant: &TenantId,
        id: &ResourceId,
        preconditions: &Preconditions,
        mut change: F,
    ) -> Result<T, ApiError>
    where
        Self: Companions<T>,
        F: FnMut(&T) -> Result<T, ApiError>,
    {
        for attempt in 0..MAX_ATTEMPTS {
            let current: T = self.existing(tenant, id, preconditions).await?;
            let next = change(&current)?;
            let mut actions = vec![(
                self.put(tenant, &next, Some(current.version()))?,
                Guard::Version,
            )];
            actions.extend(self.companions(tenant, Some(&current), Some(&next))?);
            match self.write(actions).await {
                Ok(()) => return Ok(next),
                Err(WriteError::Stale) => stale(preconditions, attempt).await?,
                Err(WriteError::Failed(err)) => return Err(err),
            }
        }
        Err(contended())
    }

    /// Deletes a resource and the items that go with it, conditional on the version read.
    pub async fn delete<T: Stored>(
        &self,
        tenant: &TenantId,
        id: &ResourceId,
        preconditions: &Preconditions,
    ) -> Result<(), ApiError>
    where
        Self: Companions<T>,
    {
        for attempt in 0..MAX_ATTEMPTS {
            let current: T = self.existing(tenant, id, preconditions).await?;
            let mut actions = vec![(
                self.delete_versioned::<T>(tenant, &current, None)?,
                Guard::Version,
            )];
            actions.extend(self.companions(tenant, Some(&current), None)?);
            match self.write(actions).await {
                Ok(()) => return Ok(()),
                Err(WriteError::Stale) => stale(preconditions, attempt).await?,
                Err(WriteError::Failed(err)) => return Err(err),
            }
        }
        Err(contended())
    }

    /// The current resource, 404 when missing, 412 when the preconditions do not hold.
    async fn existing<T: Stored>(
        &self,
        tenant: &TenantId,
        id: &ResourceId,
        preconditions: &Preconditions,
    ) -> Result<T, ApiError> {
        let current: T = self
            .find(tenant, id)
            .await?
            .ok_or_else(|| ApiError::not_found(T::NAME))?;
        preconditions.check(current.version(), current.updated_at())?;
        Ok(current)
    }

    // ---- contacts ---------------------------------------------------------------------

    /// The contact holding this e-mail address (compared case-insensitively), if any.
    pub async fn find_contact_by_email(
        &self,
        tenant: &TenantId,
        email_key: &str,
    ) -> Result<Option<Contact>, ApiError> {
        let Some(guard) = self.get(tenant, keys::email(email_key)).await? else {
            return Ok(None);
        };
        match guard
            .get("contactId")
            .and_then(|id| id.as_s().ok())
            .and_then(|id| ResourceId::parse(id))
        {
            Some(id) => self.find(tenant, &id).await,
            None => Err(ApiError::internal("e-mail guard without a contact id")),
        }
    }

    /// Up to `limit` contacts that are in any of `groups`, in creation order, each once, after
    /// the contact `after`; also says whether more follow. Reads at most `limit + 1` memberships
    /// per group and `limit` contacts.
    pub async fn list_contacts_in_groups(
        &self,
        tenant: &TenantId,
        groups: &[ResourceId],
        limit: usize,
        after: Option<&ResourceId>,
    ) -> Result<(Vec<Contact>, bool), ApiError> {
        let mut ids = BTreeSet::new();
        for group in groups {
            let prefix = keys::member_prefix(group);
            let start = after.map(|id| keys::member(group, id));
            for item in self.query_prefix(tenant, &prefix, start, limit + 1).await? {
                let contact = item
                    .get(keys::SK)
                    .and_then(|sk| sk.as_s().ok())
                    .and_then(|sk| sk.strip_prefix(&prefix))
                    .and_then(ResourceId::parse)
                    .ok_or_else(|| ApiError::internal("malformed membership item"))?;
                ids.insert(contact);
            }
        }
        let more = ids.len() > limit;
        let page: Vec<ResourceId> = ids.into_iter().take(limit).collect();
        Ok((self.get_contacts(tenant, &page).await?, more))
    }

    /// The contacts with these ids, in the order given, skipping any that no longer exist.
    async fn get_contacts(
        &self,
        tenant: &TenantId,
        ids: &[ResourceId],
    ) -> Result<Vec<Contact>, ApiError> {
        let mut found: HashMap<ResourceId, Contact> = HashMap::new();
        let mut pending: Vec<HashMap<String, AttributeValue>> = ids
            .iter()
            .map(|id| keys::item(keys::tenant(tenant), keys::of::<Contact>(id)))
            .collect();
        let mut attempt = 0;
        while !pending.is_empty() {
            let request = KeysAndAttributes::builder()
                .set_keys(Some(std::mem::take(&mut pending)))
                .consistent_read(true)
                .build()
                .map_err(ApiError::internal)?;
            let output = self
                .client
                .batch_get_item()
                .request_items(&self.table, request)
                .send()
                .await?;
            for item in output
                .responses
                .unwrap_or_default()
                .remove(&self.table)
                .unwrap_or_default()
            {
                self.count_reads(1);
                let contact: Contact = decode(item)?;
                found.insert(contact.id, contact);
            }
            if let Some(mut unprocessed) = output.unprocessed_keys
                && let Some(rest) = unprocessed.remove(&self.table)
            {
                pending = rest.keys;
                backoff(attempt).await;
                attempt += 1;
                if attempt > MAX_ATTEMPTS {
                    return Err(ApiError::Unavailable);
                }
            }
        }
        Ok(ids.iter().filter_map(|id| found.remove(id)).collect())
    }

    /// Loads contacts that are known to be valid and unique, with their e-mail guards and
    /// memberships, in batches of 25 and without transactions: for seeding large data sets
    /// (the cost test, the benchmark), never for API writes.
    pub async fn seed_contacts(
        &self,
        tenant: &TenantId,
        contacts: &[Contact],
    ) -> Result<(), ApiError> {
        let mut items = Vec::new();
        for contact in contacts {
            let mut item: HashMap<String, AttributeValue> =
                serde_dynamo::to_item(contact).map_err(ApiError::internal)?;
            item.extend(keys::item(
                keys::tenant(tenant),
                keys::of::<Contact>(&contact.id),
            ));
            items.push(item);
            if let Some(email) = contact.email_key() {
                let mut guard = keys::item(keys::tenant(tenant), keys::email(&email));
                guard.insert(
                    "contactId".into(),
                    AttributeValue::S(contact.id.to_string()),
                );
                items.push(guard);
            }
            for group in contact.groups.iter().flatten() {
                items.push(keys::item(
                    keys::tenant(tenant),
                    keys::member(group, &contact.id),
                ));
            }
        }
        for chunk in items.chunks(25) {
            let mut pending: Vec<WriteRequest> = chunk
                .iter()
                .map(|item| {
                    let put = PutRequest::builder().set_item(Some(item.clone())).build()?;
                    Ok(WriteRequest::builder().put_request(put).build())
                })
                .collect::<Result<_, aws_sdk_dynamodb::error::BuildError>>()
                .map_err(ApiError::internal)?;
            let mut attempt = 0;
            while !pending.is_empty() {
                let output = self
                    .client
                    .batch_write_item()
                    .request_items(&self.table, pending)
                    .send()
                    .await?;
                pending = output
                    .unprocessed_items
                    .and_then(|mut rest| rest.remove(&self.table))
                    .unwrap_or_default();
                if !pending.is_empty() {
                    backoff(attempt).await;
                    attempt += 1;
                }
            }
        }
        Ok(())
    }

    // ---- groups -------------------------------------------------------------------------

    /// The id of the group with this name (compared case-insensitively), if any.
    pub async fn find_group_id_by_name(
        &self,
        tenant: &TenantId,
        name: &str,
    ) -> Result<Option<ResourceId>, ApiError> {
        let guard = self
            .get(tenant, keys::group_name(&name.to_lowercase()))
            .await?;
        Ok(guard
            .as_ref()
            .and_then(|item| item.get("groupId"))
            .and_then(|id| id.as_s().ok())
            .and_then(|id| ResourceId::parse(id)))
    }

    /// Deletes a group that no contact is in: 409 while one is. Race-proof in three calls: the
    /// group is flagged as being deleted (contacts can no longer join it; the update returns the
    /// group, so no separate read), checked for members, then deleted only if it is still
    /// flagged at the version the flag saw.
    pub async fn delete_group(
        &self,
        tenant: &TenantId,
        id: &ResourceId,
        preconditions: &Preconditions,
    ) -> Result<(), ApiError> {
        let key = keys::item(keys::tenant(tenant), keys::of::<Group>(id));
        for attempt in 0..MAX_ATTEMPTS {
            let flagged = self
                .client
                .update_item()
                .table_name(&self.table)
                .set_key(Some(key.clone()))
                .update_expression("SET deletingSince = :now")
                .condition_expression("attribute_exists(#pk)")
                .expression_attribute_names("#pk", keys::PK)
                .expression_attribute_values(":now", AttributeValue::S(now()))
                .return_values(ReturnValue::AllNew)
                .send()
                .await;
            let current: Group = match flagged {
                Ok(output) => decode(output.attributes.unwrap_or_default())?,
                Err(err) if is_conditional_failure(&err) => {
                    return Err(ApiError::not_found(Group::NAME));
                }
                Err(err) => return Err(err.into()),
            };
            self.count_reads(1);
            let refusal = match preconditions.check(current.version, &current.updated_at) {
                Err(err) => Some(err),
                Ok(()) => {
                    let members = self
                        .query_prefix(tenant, &keys::member_prefix(id), None, 1)
                        .await?;
                    (!members.is_empty()).then(|| {
                        ApiError::Conflict(Problem::general(
                            "the group still has contacts; remove them from it first",
                        ))
                    })
                }
            };
            if let Some(refusal) = refusal {
                // Unflag it; if the group changed meanwhile, the change already dropped the flag.
                let unflagged = self
                    .client
                    .update_item()
                    .table_name(&self.table)
                    .set_key(Some(key))
                    .update_expression("REMOVE deletingSince")
                    .condition_expression("#v = :v")
                    .expression_attribute_names("#v", "version")
                    .expression_attribute_values(":v", number(current.version))
                    .send()
                    .await;
                if let Err(err) = unflagged
                    && !is_conditional_failure(&err)
                {
                    return Err(err.into());
                }
                return Err(refusal);
            }
            let mut actions = vec![(
                self.delete_versioned::<Group>(
                    tenant,
                    &current,
                    Some("attribute_exists(deletingSince)"),
                )?,
                Guard::Version,
            )];
            actions.extend(self.companions(tenant, Some(&current), None)?);
            match self.write(actions).await {
                Ok(()) => return Ok(()),
                Err(WriteError::Stale) => stale(preconditions, attempt).await?,
                Err(WriteError::Failed(err)) => return Err(err),
            }
        }
        Err(contended())
    }

    // ---- API keys -----------------------------------------------------------------------

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

    // ---- building blocks ------------------------------------------------------------------

    async fn get(
        &self,
        tenant: &TenantId,
        sk: AttributeValue,
    ) -> Result<Option<HashMap<String, AttributeValue>>, ApiError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(keys::item(keys::tenant(tenant), sk)))
            .consistent_read(true)
            .send()
            .await?;
        self.count_reads(usize::from(output.item.is_some()));
        Ok(output.item)
    }

    /// Up to `limit` items of the tenant whose sort key starts with `prefix`, after `start`.
    async fn query_prefix(
        &self,
        tenant: &TenantId,
        prefix: &str,
        start: Option<AttributeValue>,
        limit: usize,
    ) -> Result<Vec<HashMap<String, AttributeValue>>, ApiError> {
        let start = start.map(|sk| keys::item(keys::tenant(tenant), sk));
        let output = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("#pk = :pk AND begins_with(#sk, :prefix)")
            .expression_attribute_names("#pk", keys::PK)
            .expression_attribute_names("#sk", keys::SK)
            .expression_attribute_values(":pk", keys::tenant(tenant))
            .expression_attribute_values(":prefix", AttributeValue::S(prefix.to_string()))
            .set_exclusive_start_key(start)
            .limit(i32::try_from(limit).unwrap_or(i32::MAX))
            .consistent_read(true)
            .send()
            .await?;
        self.count_reads(usize::try_from(output.scanned_count).unwrap_or(0));
        Ok(output.items.unwrap_or_default())
    }

    /// A put of the resource: new (`expected` = None) or replacing version `expected`.
    fn put<T: Stored>(
        &self,
        tenant: &TenantId,
        resource: &T,
        expected: Option<u64>,
    ) -> Result<TransactWriteItem, ApiError> {
        let mut item: HashMap<String, AttributeValue> =
            serde_dynamo::to_item(resource).map_err(ApiError::internal)?;
        item.extend(keys::item(
            keys::tenant(tenant),
            keys::of::<T>(resource.id()),
        ));
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

    /// A delete of the resource at its current version, with an extra condition if given.
    fn delete_versioned<T: Stored>(
        &self,
        tenant: &TenantId,
        resource: &T,
        also: Option<&str>,
    ) -> Result<TransactWriteItem, ApiError> {
        let condition = match also {
            Some(extra) => format!("#v = :v AND {extra}"),
            None => "#v = :v".to_string(),
        };
        let delete = Delete::builder()
            .table_name(&self.table)
            .set_key(Some(keys::item(
                keys::tenant(tenant),
                keys::of::<T>(resource.id()),
            )))
            .condition_expression(condition)
            .expression_attribute_names("#v", "version")
            .expression_attribute_values(":v", number(resource.version()))
            .build()
            .map_err(ApiError::internal)?;
        Ok(TransactWriteItem::builder().delete(delete).build())
    }

    /// Moves a uniqueness guard (`sk` of the old and new value) owned by `owner` under
    /// `attribute`: deleted only if still the owner's, written only if free.
    fn guard_change(
        &self,
        tenant: &TenantId,
        old: Option<AttributeValue>,
        new: Option<AttributeValue>,
        attribute: &str,
        owner: &ResourceId,
        taken: Guard,
    ) -> Result<Vec<Action>, ApiError> {
        if old == new {
            return Ok(Vec::new());
        }
        let mut actions = Vec::new();
        if let Some(sk) = old {
            let delete = Delete::builder()
                .table_name(&self.table)
                .set_key(Some(keys::item(keys::tenant(tenant), sk)))
                .condition_expression("#owner = :owner")
                .expression_attribute_names("#owner", attribute)
                .expression_attribute_values(":owner", AttributeValue::S(owner.to_string()))
                .build()
                .map_err(ApiError::internal)?;
            actions.push((
                TransactWriteItem::builder().delete(delete).build(),
                Guard::Version,
            ));
        }
        if let Some(sk) = new {
            let mut item = keys::item(keys::tenant(tenant), sk);
            item.insert(attribute.to_string(), AttributeValue::S(owner.to_string()));
            let put = Put::builder()
                .table_name(&self.table)
                .set_item(Some(item))
                .condition_expression("attribute_not_exists(#pk)")
                .expression_attribute_names("#pk", keys::PK)
                .build()
                .map_err(ApiError::internal)?;
            actions.push((TransactWriteItem::builder().put(put).build(), taken));
        }
        Ok(actions)
    }

    /// Runs the actions as one transaction and says which guard failed, if one did.
    async fn write(&self, actions: Vec<Action>) -> Result<(), WriteError> {
        if actions.len() > MAX_TRANSACTION_ITEMS {
            return Err(WriteError::Failed(ApiError::invalid(
                "groups",
                "one request can add or remove at most 49 groups of a contact",
            )));
        }
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
                (Some("ConditionalCheckFailed"), Guard::NameFree) => {
                    return Err(WriteError::Failed(ApiError::Conflict(Problem::field(
                        "name",
                        "is already used by another group",
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

/// The items that change together with a resource: given its state before and after a write
/// (`None` when it does not exist), the actions that keep them consistent.
pub trait Companions<T> {
    #[doc(hidden)]
    fn companions(
        &self,
        tenant: &TenantId,
        before: Option<&T>,
        after: Option<&T>,
    ) -> Result<Vec<Action>, ApiError>;
}

impl Companions<Contact> for Store {
    /// The e-mail guard, and one membership item per group (each added group checked to exist).
    fn companions(
        &self,
        tenant: &TenantId,
        before: Option<&Contact>,
        after: Option<&Contact>,
    ) -> Result<Vec<Action>, ApiError> {
        let owner = owner(before, after)?;
        let mut actions = self.guard_change(
            tenant,
            before.and_then(Contact::email_key).map(|k| keys::email(&k)),
            after.and_then(Contact::email_key).map(|k| keys::email(&k)),
            "contactId",
            &owner,
            Guard::EmailFree,
        )?;
        let groups_of = |c: Option<&Contact>| -> Vec<ResourceId> {
            c.and_then(|c| c.groups.clone()).unwrap_or_default()
        };
        let (had, has) = (groups_of(before), groups_of(after));
        let stale_flag = AttributeValue::S(timestamp(
            time::OffsetDateTime::now_utc() - DELETING_EXPIRES,
        ));
        for group in has.iter().filter(|g| !had.contains(g)) {
            let check = ConditionCheck::builder()
                .table_name(&self.table)
                .set_key(Some(keys::item(keys::tenant(tenant), keys::of::<Group>(group))))
                .condition_expression(
                    "attribute_exists(#pk) AND (attribute_not_exists(deletingSince) OR deletingSince < :stale)",
                )
                .expression_attribute_names("#pk", keys::PK)
                .expression_attribute_values(":stale", stale_flag.clone())
                .build()
                .map_err(ApiError::internal)?;
            actions.push((
                TransactWriteItem::builder().condition_check(check).build(),
                Guard::GroupExists(*group),
            ));
            let put = Put::builder()
                .table_name(&self.table)
                .set_item(Some(keys::item(
                    keys::tenant(tenant),
                    keys::member(group, &owner),
                )))
                .build()
                .map_err(ApiError::internal)?;
            actions.push((
                TransactWriteItem::builder().put(put).build(),
                Guard::Version,
            ));
        }
        for group in had.iter().filter(|g| !has.contains(g)) {
            let delete = Delete::builder()
                .table_name(&self.table)
                .set_key(Some(keys::item(
                    keys::tenant(tenant),
                    keys::member(group, &owner),
                )))
                .build()
                .map_err(ApiError::internal)?;
            actions.push((
                TransactWriteItem::builder().delete(delete).build(),
                Guard::Version,
            ));
        }
        Ok(actions)
    }
}

impl Companions<Group> for Store {
    /// The name guard.
    fn companions(
        &self,
        tenant: &TenantId,
        before: Option<&Group>,
        after: Option<&Group>,
    ) -> Result<Vec<Action>, ApiError> {
        let owner = owner(before, after)?;
        self.guard_change(
            tenant,
            before.map(|g| keys::group_name(&g.name_key())),
            after.map(|g| keys::group_name(&g.name_key())),
            "groupId",
            &owner,
            Guard::NameFree,
        )
    }
}

/// The id of the resource a write is about (it exists before, after, or both).
fn owner<T: Stored>(before: Option<&T>, after: Option<&T>) -> Result<ResourceId, ApiError> {
    before
        .or(after)
        .map(|resource| *resource.id())
        .ok_or_else(|| ApiError::internal("a write about no resource"))
}

fn decode<T: DeserializeOwned>(item: HashMap<String, AttributeValue>) -> Result<T, ApiError> {
    serde_dynamo::from_item(item)
        .map_err(|err| ApiError::internal(format!("bad stored item: {err}")))
}

fn number(value: u64) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

fn is_conditional_failure<E: aws_sdk_dynamodb::error::ProvideErrorMetadata, R>(
    err: &aws_sdk_dynamodb::error::SdkError<E, R>,
) -> bool {
    err.as_service_error()
        .and_then(|e| e.code())
        .is_some_and(|code| code == "ConditionalCheckFailedException")
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
