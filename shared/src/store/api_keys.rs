//! API keys in their tenant's partition: stored, found, listed and revoked.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};

use super::StoreError;
use super::{Store, decode, keys};
use crate::apikey::ApiKey;
use crate::identity::TenantId;

impl Store {
    /// Stores a new API key in its tenant's partition.
    pub async fn put_api_key(&self, key: &ApiKey) -> Result<(), StoreError> {
        let tenant = TenantId::parse(&key.tenant)
            .ok_or_else(|| StoreError::internal("API key with a malformed tenant"))?;
        let mut item: HashMap<String, AttributeValue> =
            serde_dynamo::to_item(key).map_err(StoreError::internal)?;
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
    ) -> Result<Option<ApiKey>, StoreError> {
        self.get(tenant, keys::api_key(key_id))
            .await?
            .map(decode)
            .transpose()
    }

    /// Every API key of a tenant (an admin operation: it pages through all of them).
    pub async fn list_api_keys(&self, tenant: &TenantId) -> Result<Vec<ApiKey>, StoreError> {
        self.query_prefix(tenant, keys::API_KEY_PREFIX, None, None)
            .await?
            .into_iter()
            .map(decode)
            .collect()
    }

    /// Deletes an API key; false when there was none.
    pub async fn delete_api_key(
        &self,
        tenant: &TenantId,
        key_id: &str,
    ) -> Result<bool, StoreError> {
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
}
