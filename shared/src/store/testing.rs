//! Test-only loading of large data sets (feature `testing`): never part of a function.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{AttributeValue, PutRequest, WriteRequest};

use super::StoreError;
use super::retry::backoff;
use super::{Store, keys};
use crate::contact::Contact;
use crate::identity::TenantId;

impl Store {
    /// Loads contacts that are known to be valid and unique, with their e-mail guards,
    /// memberships and index entries, in batches of 25 and without transactions: for seeding
    /// large data sets (the cost test, the benchmark), never for API writes.
    pub async fn seed_contacts(
        &self,
        tenant: &TenantId,
        contacts: &[Contact],
    ) -> Result<(), StoreError> {
        self.seed(tenant, contacts, true).await
    }

    /// Loads contacts as a deployment that predates the index holds them: without their
    /// index entries (what the backfill, `admin reindex`, is tested on).
    pub async fn seed_contacts_without_index(
        &self,
        tenant: &TenantId,
        contacts: &[Contact],
    ) -> Result<(), StoreError> {
        self.seed(tenant, contacts, false).await
    }

    async fn seed(
        &self,
        tenant: &TenantId,
        contacts: &[Contact],
        indexed: bool,
    ) -> Result<(), StoreError> {
        let mut items = Vec::new();
        for contact in contacts {
            let mut item: HashMap<String, AttributeValue> =
                serde_dynamo::to_item(contact).map_err(StoreError::internal)?;
            item.extend(keys::item(
                keys::tenant(tenant),
                keys::of::<Contact>(&contact.id),
            ));
            items.push(item);
            if let Some(email) = contact.email_key() {
                let mut guard = keys::item(keys::tenant(tenant), keys::email(&email));
                guard.insert(
                    keys::CONTACT_ID.into(),
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
            if indexed {
                for (sk, attributes) in super::index::entries(contact) {
                    let mut item = keys::item(keys::tenant(tenant), AttributeValue::S(sk));
                    item.extend(attributes);
                    items.push(item);
                }
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
                .map_err(StoreError::internal)?;
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
}
