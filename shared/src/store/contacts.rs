//! Contacts beyond the generic operations: lookup by e-mail, the `group=` filter over
//! membership items, and the items that change with a contact (e-mail guard, memberships).

use std::collections::{BTreeSet, HashMap};

use aws_sdk_dynamodb::types::{
    AttributeValue, ConditionCheck, Delete, KeysAndAttributes, Put, TransactWriteItem,
};

use super::StoreError;
use super::groups::DELETING_EXPIRES;
use super::retry::{MAX_ATTEMPTS, backoff};
use super::write::{Action, Companions, Guard, owner};
use super::{Store, decode, keys};
use crate::clock::timestamp;
use crate::contact::Contact;
use crate::group::Group;
use crate::identity::TenantId;
use crate::resource::ResourceId;

impl Store {
    /// The contact holding this e-mail address (compared case-insensitively), if any.
    pub async fn find_contact_by_email(
        &self,
        tenant: &TenantId,
        email_key: &str,
    ) -> Result<Option<Contact>, StoreError> {
        match self.contact_id_by_email(tenant, email_key).await? {
            Some(id) => self.find(tenant, &id).await,
            None => Ok(None),
        }
    }

    /// The id of the contact holding this e-mail address, read from its guard alone.
    pub async fn contact_id_by_email(
        &self,
        tenant: &TenantId,
        email_key: &str,
    ) -> Result<Option<ResourceId>, StoreError> {
        let Some(guard) = self.get(tenant, keys::email(email_key)).await? else {
            return Ok(None);
        };
        guard
            .get(keys::CONTACT_ID)
            .and_then(|id| id.as_s().ok())
            .and_then(|id| ResourceId::parse(id))
            .map(Some)
            .ok_or_else(|| StoreError::internal("e-mail guard without a contact id"))
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
    ) -> Result<(Vec<Contact>, bool), StoreError> {
        let ids = self.members(tenant, groups, limit + 1, after).await?;
        let more = ids.len() > limit;
        let page: Vec<ResourceId> = ids.into_iter().take(limit).collect();
        Ok((self.get_contacts(tenant, &page).await?, more))
    }

    /// The id of the `count`-th contact after `after` that is in any of `groups`, `None` when
    /// fewer follow: how a `page` number skips earlier pages of a group filter.
    pub async fn skip_in_groups(
        &self,
        tenant: &TenantId,
        groups: &[ResourceId],
        count: usize,
        after: Option<&ResourceId>,
    ) -> Result<Option<ResourceId>, StoreError> {
        let ids = self.members(tenant, groups, count, after).await?;
        Ok(ids.into_iter().nth(count.wrapping_sub(1)))
    }

    /// The first `limit` contacts of each of `groups` after `after`, merged: in creation order,
    /// each once.
    async fn members(
        &self,
        tenant: &TenantId,
        groups: &[ResourceId],
        limit: usize,
        after: Option<&ResourceId>,
    ) -> Result<BTreeSet<ResourceId>, StoreError> {
        let mut ids = BTreeSet::new();
        for group in groups {
            let start = after.map(|id| keys::member(group, id));
            let prefix = keys::member_prefix(group);
            ids.extend(self.ids_after(tenant, &prefix, start, limit).await?);
        }
        Ok(ids)
    }

    /// The contacts with these ids, in the order given, skipping any that no longer exist.
    async fn get_contacts(
        &self,
        tenant: &TenantId,
        ids: &[ResourceId],
    ) -> Result<Vec<Contact>, StoreError> {
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
                .map_err(StoreError::internal)?;
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
                    return Err(StoreError::Unavailable);
                }
            }
        }
        Ok(ids.iter().filter_map(|id| found.remove(id)).collect())
    }
}

impl Companions<Contact> for Store {
    /// The e-mail guard, and one membership item per group (each added group checked to exist).
    fn companions(
        &self,
        tenant: &TenantId,
        before: Option<&Contact>,
        after: Option<&Contact>,
    ) -> Result<Vec<Action>, StoreError> {
        let owner = owner(before, after)?;
        let mut actions = self.guard_change(
            tenant,
            before.and_then(Contact::email_key).map(|k| keys::email(&k)),
            after.and_then(Contact::email_key).map(|k| keys::email(&k)),
            keys::CONTACT_ID,
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
                    "attribute_exists(#pk) AND (attribute_not_exists(#deleting) OR #deleting < :stale)",
                )
                .expression_attribute_names("#pk", keys::PK)
                .expression_attribute_names("#deleting", keys::DELETING_SINCE)
                .expression_attribute_values(":stale", stale_flag.clone())
                .build()
                .map_err(StoreError::internal)?;
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
                .map_err(StoreError::internal)?;
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
                .map_err(StoreError::internal)?;
            actions.push((
                TransactWriteItem::builder().delete(delete).build(),
                Guard::Version,
            ));
        }
        Ok(actions)
    }
}
