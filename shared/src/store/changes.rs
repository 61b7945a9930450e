//! The change feed's entries, in their tenant's partition under `CHANGE#<id>`: the id is a
//! UUIDv7 made when the entry is recorded, so entries sort in the order they were recorded.
//! `expiresAt` is the table's TTL attribute.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;

use super::StoreError;
use super::write::number;
use super::{Store, keys};
use crate::changes::{Change, RETENTION};
use crate::clock::since_epoch;
use crate::identity::TenantId;
use crate::resource::ResourceId;

impl Store {
    /// Records one change as a new entry of its tenant's feed.
    pub async fn record_change(
        &self,
        tenant: &TenantId,
        change: &Change,
    ) -> Result<(), StoreError> {
        let mut item: HashMap<String, AttributeValue> =
            serde_dynamo::to_item(change).map_err(StoreError::internal)?;
        item.extend(keys::item(
            keys::tenant(tenant),
            keys::change(&ResourceId::new()),
        ));
        let expires = since_epoch() + RETENTION;
        item.insert(keys::EXPIRES_AT.into(), number(expires.as_secs()));
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await?;
        Ok(())
    }

    /// Up to `limit` entries of the tenant's feed after the entry `after`, in the order they
    /// were recorded, each with its id.
    pub async fn changes_after(
        &self,
        tenant: &TenantId,
        after: Option<&ResourceId>,
        limit: usize,
    ) -> Result<Vec<(ResourceId, Change)>, StoreError> {
        let items = self
            .query_prefix(
                tenant,
                keys::CHANGE_PREFIX,
                after.map(keys::change),
                Some(limit),
            )
            .await?;
        items
            .into_iter()
            .map(|item| {
                let id = item
                    .get(keys::SK)
                    .and_then(|sk| sk.as_s().ok())
                    .and_then(|sk| keys::change_of(sk))
                    .ok_or_else(|| StoreError::internal("a change entry without an id"))?;
                let change: Change = serde_dynamo::from_item(item).map_err(StoreError::internal)?;
                Ok((id, change))
            })
            .collect()
    }
}
