//! DynamoDB access: every read and write the functions make, on one table whose key layout
//! lives in [`keys`] and nowhere else. A write and every item that must change with it (e-mail
//! and name guards, group memberships) are one transaction ([`write`]), and every write of an
//! existing item is conditional on the version that was read, so concurrent writers never lose
//! an update silently.
//!
//! - this module: the `Store`, and create/find/update/delete of any [`Stored`] resource;
//! - [`pages`]: what one list page reads, bounded by its `limit` and its bytes;
//! - [`contacts`]: lookup by e-mail, the `group=` filter, a contact's guard and memberships;
//! - [`groups`]: lookup by name, race-proof deletion, a group's name guard;
//! - [`api_keys`]: API keys; [`idempotency`]: `Idempotency-Key` records; [`changes`]: the
//!   change feed's entries.

mod api_keys;
mod backfill;
mod capacity;
mod changes;
mod contacts;
mod erase;
mod groups;
mod idempotency;
mod index;
pub mod keys;
mod outcome;
mod pages;
mod retry;
mod stream;
#[cfg(feature = "testing")]
mod testing;
mod trash;
mod write;

pub use backfill::Reindexed;
pub use capacity::CapacityMeter;
pub use contacts::MAX_GROUP_CHANGES;
pub use index::{ContactOrder, IdPage, MAX_INDEX_ITEMS, is_current, search_hit};
pub use outcome::StoreError;
pub use pages::{PAGE_READ_BYTES, ReadBudget, item_size};
pub use stream::from_record;
pub use trash::{Moment, Trashed};

use std::collections::HashMap;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::contact::Contact;
use crate::group::Group;
use crate::identity::TenantId;
use crate::preconditions::Preconditions;
use crate::resource::{Resource, ResourceId};
use retry::retrying;
use write::{Guard, MAX_TRANSACTION_ITEMS};

pub use write::{Action, Companions};

/// A resource the store keeps: contacts and groups.
pub trait Stored: Resource + Serialize + DeserializeOwned + Clone + Send + Sync {
    /// The sort-key prefix of its items.
    const PREFIX: &'static str;
}

impl Stored for Contact {
    const PREFIX: &'static str = keys::CONTACT_PREFIX;
}

impl Stored for Group {
    const PREFIX: &'static str = keys::GROUP_PREFIX;
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

    /// Stores a new resource with the items that go with it; 409 when a unique value is taken,
    /// 422 when a referenced group does not exist.
    pub async fn create<T: Stored>(&self, tenant: &TenantId, resource: &T) -> Result<(), StoreError>
    where
        Self: Companions<T>,
    {
        self.create_with(tenant, resource, Vec::new())
            .await
            .map(|_| ())
    }

    /// `create`, with `also` in the same transaction when all of it fits in one (100 items);
    /// says whether it did.
    pub async fn create_with<T: Stored>(
        &self,
        tenant: &TenantId,
        resource: &T,
        also: Vec<Action>,
    ) -> Result<bool, StoreError>
    where
        Self: Companions<T>,
    {
        let mut actions = vec![(self.put(tenant, resource, None)?, Guard::Version)];
        actions.extend(self.companions(tenant, None, Some(resource))?);
        let carried = !also.is_empty() && actions.len() + also.len() <= MAX_TRANSACTION_ITEMS;
        if carried {
            actions.extend(also);
        }
        // Only a transaction conflict is transient here: the id is new.
        let (actions, unconditional) = (&actions, &Preconditions::default());
        retrying(|attempt| async move {
            let landed = self.settle(actions.clone(), unconditional, attempt).await?;
            Ok::<_, StoreError>(landed.then_some(carried))
        })
        .await
    }

    /// The resource with this id in this tenant, read consistently.
    pub async fn find<T: Stored>(
        &self,
        tenant: &TenantId,
        id: &ResourceId,
    ) -> Result<Option<T>, StoreError> {
        self.get(tenant, keys::of::<T>(id))
            .await?
            .map(decode)
            .transpose()
    }

    /// Replaces a resource with what `change` makes of its current state, conditional on the
    /// version read. A lost race is retried on the new version when the request had no
    /// precondition, and is `Stale` when it had one. `change` may refuse with an error of its
    /// own (a patch that does not apply), which is returned as it is.
    pub async fn update<T: Stored, F, E>(
        &self,
        tenant: &TenantId,
        id: &ResourceId,
        preconditions: &Preconditions,
        change: F,
    ) -> Result<T, E>
    where
        Self: Companions<T>,
        F: Fn(&T) -> Result<T, E>,
        E: From<StoreError>,
    {
        let change = &change;
        retrying(|attempt| async move {
            let current: T = self.existing(tenant, id, preconditions).await?;
            let next = change(&current)?;
            let mut actions = vec![(
                self.put(tenant, &next, Some(current.version()))?,
                Guard::Version,
            )];
            actions.extend(self.companions(tenant, Some(&current), Some(&next))?);
            let landed = self.settle(actions, preconditions, attempt).await?;
            Ok(landed.then_some(next))
        })
        .await
    }

    /// Deletes a resource and the items that go with it, conditional on the version read.
    pub async fn delete<T: Stored>(
        &self,
        tenant: &TenantId,
        id: &ResourceId,
        preconditions: &Preconditions,
    ) -> Result<(), StoreError>
    where
        Self: Companions<T>,
    {
        retrying(|attempt| async move {
            let current: T = self.existing(tenant, id, preconditions).await?;
            let mut actions = vec![(
                self.delete_versioned::<T>(tenant, &current, None)?,
                Guard::Version,
            )];
            actions.extend(self.companions(tenant, Some(&current), None)?);
            let landed = self.settle(actions, preconditions, attempt).await?;
            Ok::<_, StoreError>(landed.then_some(()))
        })
        .await
    }

    /// The current resource: `NotFound` when missing, `PreconditionFailed` when the
    /// preconditions do not hold.
    async fn existing<T: Stored>(
        &self,
        tenant: &TenantId,
        id: &ResourceId,
        preconditions: &Preconditions,
    ) -> Result<T, StoreError> {
        let current: T = self
            .find(tenant, id)
            .await?
            .ok_or(StoreError::NotFound(T::NAME))?;
        if !preconditions.hold(current.version(), current.updated_at()) {
            return Err(StoreError::PreconditionFailed);
        }
        Ok(current)
    }

    async fn get(
        &self,
        tenant: &TenantId,
        sk: AttributeValue,
    ) -> Result<Option<HashMap<String, AttributeValue>>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(keys::item(keys::tenant(tenant), sk)))
            .consistent_read(true)
            .send()
            .await?;
        Ok(output.item)
    }

    /// Up to `limit` items (all of them when `None`) of the tenant whose sort key starts with
    /// `prefix`, after `start`, in key order: a page is never cut short by the size of its items.
    async fn query_prefix(
        &self,
        tenant: &TenantId,
        prefix: &str,
        start: Option<AttributeValue>,
        limit: Option<usize>,
    ) -> Result<Vec<HashMap<String, AttributeValue>>, StoreError> {
        self.query(tenant, prefix, start, limit, None, true).await
    }

    /// The ids in the sort keys of up to `limit` items whose sort key is `prefix` and an id,
    /// after `start`, in key order; reads only the keys (a 1 MB page holds thousands).
    async fn ids_after(
        &self,
        tenant: &TenantId,
        prefix: &str,
        start: Option<AttributeValue>,
        limit: usize,
        forward: bool,
    ) -> Result<Vec<ResourceId>, StoreError> {
        self.query(tenant, prefix, start, Some(limit), Some("#sk"), forward)
            .await?
            .iter()
            .map(|item| {
                item.get(keys::SK)
                    .and_then(|sk| sk.as_s().ok())
                    .and_then(|sk| sk.strip_prefix(prefix))
                    .and_then(ResourceId::parse)
                    .ok_or_else(|| StoreError::internal("a sort key without an id"))
            })
            .collect()
    }

    /// The id of the `count`-th resource after `after` in creation order (or reversed), `None`
    /// when fewer follow: how a `page` number skips earlier pages reading keys only.
    pub async fn skip<T: Stored>(
        &self,
        tenant: &TenantId,
        count: usize,
        after: Option<&ResourceId>,
        descending: bool,
    ) -> Result<Option<ResourceId>, StoreError> {
        let start = after.map(|id| keys::of::<T>(id));
        let ids = self
            .ids_after(tenant, T::PREFIX, start, count, !descending)
            .await?;
        Ok(ids.get(count.wrapping_sub(1)).copied())
    }

    /// Up to `limit` items (all of them when `None`) of the tenant whose sort key starts with
    /// `prefix`, after `start`, in key order or reversed, with only the attributes of
    /// `projection` when given. DynamoDB stops a query at 1 MB, so a short answer with a
    /// `LastEvaluatedKey` is followed until `limit` items or the end.
    async fn query(
        &self,
        tenant: &TenantId,
        prefix: &str,
        mut start: Option<AttributeValue>,
        limit: Option<usize>,
        projection: Option<&str>,
        forward: bool,
    ) -> Result<Vec<HashMap<String, AttributeValue>>, StoreError> {
        let mut items = Vec::new();
        loop {
            let wanted = limit.map(|limit| limit - items.len());
            let (page, last) = self
                .query_page(tenant, prefix, start, wanted, projection, forward)
                .await?;
            items.extend(page);
            start = last;
            if start.is_none() || limit.is_some_and(|limit| items.len() >= limit) {
                return Ok(items);
            }
        }
    }

    /// One `Query` of the tenant's items whose sort key starts with `prefix`, after the sort key
    /// `start`, at most `limit` of them (DynamoDB also stops at 1 MB); also the sort key it
    /// stopped at when it stopped early.
    async fn query_page(
        &self,
        tenant: &TenantId,
        prefix: &str,
        start: Option<AttributeValue>,
        limit: Option<usize>,
        projection: Option<&str>,
        forward: bool,
    ) -> Result<(Vec<HashMap<String, AttributeValue>>, Option<AttributeValue>), StoreError> {
        let output = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("#pk = :pk AND begins_with(#sk, :prefix)")
            .expression_attribute_names("#pk", keys::PK)
            .expression_attribute_names("#sk", keys::SK)
            .expression_attribute_values(":pk", keys::tenant(tenant))
            .expression_attribute_values(":prefix", AttributeValue::S(prefix.to_string()))
            .set_projection_expression(projection.map(str::to_string))
            .set_exclusive_start_key(start.map(|sk| keys::item(keys::tenant(tenant), sk)))
            .set_limit(limit.map(|n| i32::try_from(n).unwrap_or(i32::MAX)))
            .scan_index_forward(forward)
            .consistent_read(true)
            .send()
            .await?;
        let last = output
            .last_evaluated_key
            .and_then(|mut key| key.remove(keys::SK));
        Ok((output.items.unwrap_or_default(), last))
    }
}

fn decode<T: DeserializeOwned>(item: HashMap<String, AttributeValue>) -> Result<T, StoreError> {
    serde_dynamo::from_item(item)
        .map_err(|err| StoreError::internal(format!("bad stored item: {err}")))
}

fn is_conditional_failure<E: aws_sdk_dynamodb::error::ProvideErrorMetadata, R>(
    err: &aws_sdk_dynamodb::error::SdkError<E, R>,
) -> bool {
    err.as_service_error()
        .and_then(|e| e.code())
        .is_some_and(|code| code == "ConditionalCheckFailedException")
}
