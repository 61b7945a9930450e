//! The backfill of the search and sort index (`admin reindex`): contacts stored before the
//! index existed get their entries, each in one transaction conditional on its version.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{AttributeValue, ConditionCheck, TransactWriteItem};

use super::StoreError;
use super::index::entries;
use super::write::{Guard, number};
use super::{Store, decode, keys};
use crate::contact::Contact;
use crate::identity::TenantId;

type Attributes = HashMap<String, AttributeValue>;

/// What a backfill did: contacts indexed, and contacts that changed while it ran (their own
/// write kept their index).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Reindexed {
    pub indexed: u64,
    pub changed_meanwhile: u64,
}

impl Store {
    /// Writes the index items of a contact stored before the index existed (or whose items
    /// are incomplete), in one transaction conditional on the contact still being at the
    /// version read: what the backfill runs per contact. Idempotent; `false` when the contact
    /// changed or went meanwhile (its own write then kept its index).
    async fn reindex(&self, tenant: &TenantId, contact: &Contact) -> Result<bool, StoreError> {
        let check = ConditionCheck::builder()
            .table_name(&self.table)
            .set_key(Some(keys::item(
                keys::tenant(tenant),
                keys::of::<Contact>(&contact.id),
            )))
            .condition_expression("#v = :v")
            .expression_attribute_names("#v", keys::VERSION)
            .expression_attribute_values(":v", number(contact.version))
            .build()
            .map_err(StoreError::internal)?;
        let mut actions = vec![(
            TransactWriteItem::builder().condition_check(check).build(),
            Guard::Version,
        )];
        for (sk, attributes) in entries(contact) {
            actions.push(self.index_put(tenant, sk, attributes)?);
        }
        match self.write(actions).await {
            Ok(()) => Ok(true),
            Err(super::write::WriteError::Failed(err)) => Err(err),
            Err(_) => Ok(false),
        }
    }

    /// The backfill: writes the index entries of every contact of every tenant (what a
    /// deployment that held contacts before the index needs once, after upgrading). Reads the
    /// table with `Scan` a page at a time and indexes up to `concurrency` contacts at once, each
    /// in one transaction conditional on its version. Idempotent: run it again at any time.
    pub async fn reindex_all(&self, concurrency: usize) -> Result<Reindexed, StoreError> {
        use futures::StreamExt;
        let mut done = Reindexed::default();
        let mut start = None;
        loop {
            let (contacts, next) = self.scan_contacts(start).await?;
            let mut results = futures::stream::iter(contacts)
                .map(|(tenant, contact)| async move { self.reindex(&tenant, &contact).await })
                .buffer_unordered(concurrency.max(1));
            while let Some(result) = results.next().await {
                if result? {
                    done.indexed += 1;
                } else {
                    done.changed_meanwhile += 1;
                }
            }
            match next {
                None => return Ok(done),
                next => start = next,
            }
        }
    }

    /// Every stored contact of every tenant, a page at a time (the backfill's `Scan`: the one
    /// read that is not of one tenant's partition, run by an operator, never by a request).
    async fn scan_contacts(
        &self,
        start: Option<Attributes>,
    ) -> Result<(Vec<(TenantId, Contact)>, Option<Attributes>), StoreError> {
        let output = self
            .client
            .scan()
            .table_name(&self.table)
            .filter_expression("begins_with(#sk, :prefix)")
            .expression_attribute_names("#sk", keys::SK)
            .expression_attribute_values(
                ":prefix",
                AttributeValue::S(keys::CONTACT_PREFIX.to_string()),
            )
            .set_exclusive_start_key(start)
            .consistent_read(true)
            .send()
            .await?;
        let mut contacts = Vec::new();
        for item in output.items.unwrap_or_default() {
            let tenant = item
                .get(keys::PK)
                .and_then(|pk| pk.as_s().ok())
                .and_then(|pk| keys::tenant_of(pk))
                .ok_or_else(|| StoreError::internal("a contact outside a tenant"))?;
            contacts.push((tenant, decode(item)?));
        }
        Ok((contacts, output.last_evaluated_key))
    }
}
