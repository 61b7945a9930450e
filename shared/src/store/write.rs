//! The transaction and guard engine: a write is one `TransactWriteItems` of the resource and
//! every item that must change with it (uniqueness guards, memberships), each action tagged with
//! what its failed condition means, so a cancelled transaction becomes the right typed outcome
//! (a taken value, a missing group, a retry or `Stale` for a stale version).

use std::collections::HashMap;

use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{AttributeValue, Delete, Put, TransactWriteItem};

use super::StoreError;
use super::retry::backoff;
use super::{Store, Stored, keys};
use crate::identity::TenantId;
use crate::preconditions::Preconditions;
use crate::resource::ResourceId;

/// DynamoDB's limit on the items of one transaction.
pub(super) const MAX_TRANSACTION_ITEMS: usize = 100;

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
    /// The request no longer holds its idempotency key (its lock expired and another took it).
    Claim,
}

/// An extra condition of a write: its expression, and the attribute names and values it names.
pub(super) struct Condition<'a> {
    pub expression: &'a str,
    pub names: Vec<(&'a str, &'a str)>,
    pub values: Vec<(&'a str, AttributeValue)>,
}

/// One item of a write transaction, with what its failed condition means.
pub type Action = (TransactWriteItem, Guard);

#[derive(Debug)]
pub(super) enum WriteError {
    /// The state the write was based on changed; retry from a fresh read, or 412.
    Stale,
    /// Another transaction held an item for a moment; nothing the request relies on changed,
    /// so it is retried after a backoff even when it carried preconditions (never a false 412).
    Busy,
    Failed(StoreError),
}

impl Store {
    pub(super) fn put<T: Stored>(
        &self,
        tenant: &TenantId,
        resource: &T,
        expected: Option<u64>,
    ) -> Result<TransactWriteItem, StoreError> {
        let mut item: HashMap<String, AttributeValue> =
            serde_dynamo::to_item(resource).map_err(StoreError::internal)?;
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
                .expression_attribute_names("#v", keys::VERSION)
                .expression_attribute_values(":v", number(version)),
        };
        Ok(TransactWriteItem::builder()
            .put(put.build().map_err(StoreError::internal)?)
            .build())
    }

    /// An unconditional put of `item`, an item that changes with a resource: whether it lands
    /// is decided by the resource's own condition in the same transaction.
    pub(super) fn plain_put(
        &self,
        item: HashMap<String, AttributeValue>,
    ) -> Result<Action, StoreError> {
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .build()
            .map_err(StoreError::internal)?;
        Ok((
            TransactWriteItem::builder().put(put).build(),
            Guard::Version,
        ))
    }

    /// An unconditional delete of the tenant's item with sort key `sk` (see `plain_put`).
    pub(super) fn plain_delete(
        &self,
        tenant: &TenantId,
        sk: AttributeValue,
    ) -> Result<Action, StoreError> {
        let delete = Delete::builder()
            .table_name(&self.table)
            .set_key(Some(keys::item(keys::tenant(tenant), sk)))
            .build()
            .map_err(StoreError::internal)?;
        Ok((
            TransactWriteItem::builder().delete(delete).build(),
            Guard::Version,
        ))
    }

    /// A delete of the resource at its current version, with an extra condition if given.
    pub(super) fn delete_versioned<T: Stored>(
        &self,
        tenant: &TenantId,
        resource: &T,
        also: Option<Condition<'_>>,
    ) -> Result<TransactWriteItem, StoreError> {
        let (condition, names, values) = match also {
            Some(also) => (
                format!("#v = :v AND {}", also.expression),
                also.names,
                also.values,
            ),
            None => ("#v = :v".to_string(), Vec::new(), Vec::new()),
        };
        let mut delete = Delete::builder()
            .table_name(&self.table)
            .set_key(Some(keys::item(
                keys::tenant(tenant),
                keys::of::<T>(resource.id()),
            )))
            .condition_expression(condition)
            .expression_attribute_names("#v", keys::VERSION)
            .expression_attribute_values(":v", number(resource.version()));
        for (placeholder, name) in names {
            delete = delete.expression_attribute_names(placeholder, name);
        }
        for (name, value) in values {
            delete = delete.expression_attribute_values(name, value);
        }
        let delete = delete.build().map_err(StoreError::internal)?;
        Ok(TransactWriteItem::builder().delete(delete).build())
    }

    /// Moves a uniqueness guard (`sk` of the old and new value) owned by `owner` under
    /// `attribute`: deleted only if still the owner's, written only if free.
    pub(super) fn guard_change(
        &self,
        tenant: &TenantId,
        old: Option<AttributeValue>,
        new: Option<AttributeValue>,
        attribute: &str,
        owner: &ResourceId,
        taken: Guard,
    ) -> Result<Vec<Action>, StoreError> {
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
                .map_err(StoreError::internal)?;
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
                .map_err(StoreError::internal)?;
            actions.push((TransactWriteItem::builder().put(put).build(), taken));
        }
        Ok(actions)
    }

    /// One attempt of a write based on what was read: `true` when it landed, `false` when it lost
    /// a race and may be retried (after a backoff), an error when it is refused (412 when the
    /// request had preconditions and the resource changed under it).
    pub(super) async fn settle(
        &self,
        actions: Vec<Action>,
        preconditions: &Preconditions,
        attempt: u32,
    ) -> Result<bool, StoreError> {
        match self.write(actions).await {
            Ok(()) => Ok(true),
            Err(WriteError::Stale) => stale(preconditions, attempt).await.map(|()| false),
            Err(WriteError::Busy) => {
                backoff(attempt).await;
                Ok(false)
            }
            Err(WriteError::Failed(err)) => Err(err),
        }
    }

    /// Runs the actions as one transaction and says which guard failed, if one did.
    pub(super) async fn write(&self, actions: Vec<Action>) -> Result<(), WriteError> {
        if actions.len() > MAX_TRANSACTION_ITEMS {
            return Err(WriteError::Failed(StoreError::TooManyItems));
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
        let codes: Vec<Option<String>> = match err.as_service_error() {
            Some(TransactWriteItemsError::TransactionCanceledException(cancelled)) => cancelled
                .cancellation_reasons()
                .iter()
                .map(|reason| reason.code().map(str::to_string))
                .collect(),
            Some(service) if service.meta().code() == Some("TransactionConflictException") => {
                return Err(WriteError::Busy);
            }
            _ => return Err(WriteError::Failed(err.into())),
        };
        Err(cancelled(&codes, &guards))
    }
}

/// What a cancelled transaction means, from each action's cancellation reason and guard.
/// DynamoDB evaluates every condition and reports each that failed, so a write that lost a race
/// to a writer of the same resource may also see the value it sets already taken, by that very
/// resource: a failed version condition is weighed first (re-read and re-apply, or `Stale`),
/// and only a write that was not stale is told a value is taken or a group is missing.
pub(super) fn cancelled(codes: &[Option<String>], guards: &[Guard]) -> WriteError {
    let mut stale = false;
    let mut busy = false;
    let mut taken = None;
    let mut unknown = Vec::new();
    for (code, guard) in codes.iter().zip(guards) {
        match (code.as_deref(), guard) {
            (Some("ConditionalCheckFailed"), Guard::EmailFree) => {
                taken.get_or_insert(StoreError::EmailTaken);
            }
            (Some("ConditionalCheckFailed"), Guard::NameFree) => {
                taken.get_or_insert(StoreError::NameTaken);
            }
            (Some("ConditionalCheckFailed"), Guard::GroupExists(id)) => unknown.push(*id),
            (Some("ConditionalCheckFailed"), Guard::Version) => stale = true,
            (Some("ConditionalCheckFailed"), Guard::Claim) => {
                return WriteError::Failed(StoreError::ClaimLost);
            }
            (Some("TransactionConflict"), _) => busy = true,
            (Some("None") | None, _) => {}
            (Some("ThrottlingError" | "ProvisionedThroughputExceeded"), _) => {
                return WriteError::Failed(StoreError::Unavailable);
            }
            (Some(other), _) => {
                return WriteError::Failed(StoreError::internal(format!(
                    "transaction cancelled: {other}"
                )));
            }
        }
    }
    if stale {
        WriteError::Stale
    } else if let Some(taken) = taken {
        WriteError::Failed(taken)
    } else if !unknown.is_empty() {
        WriteError::Failed(StoreError::UnknownGroups(unknown))
    } else if busy {
        WriteError::Busy
    } else {
        WriteError::Failed(StoreError::internal(
            "transaction cancelled without a reason",
        ))
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
    ) -> Result<Vec<Action>, StoreError>;
}

/// The id of the resource a write is about (it exists before, after, or both).
pub(super) fn owner<T: Stored>(
    before: Option<&T>,
    after: Option<&T>,
) -> Result<ResourceId, StoreError> {
    before
        .or(after)
        .map(|resource| *resource.id())
        .ok_or_else(|| StoreError::internal("a write about no resource"))
}

pub(super) fn number(value: u64) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

/// A stale write: `Stale` when the request named the version it was based on (the client
/// decides what to do), else wait and retry.
pub(super) async fn stale(preconditions: &Preconditions, attempt: u32) -> Result<(), StoreError> {
    if preconditions.is_empty() {
        backoff(attempt).await;
        Ok(())
    } else {
        Err(StoreError::Stale)
    }
}

#[cfg(test)]
#[path = "write_tests.rs"]
mod tests;
