//! Contacts beyond the generic operations: lookup by e-mail, the `group=` filter over
//! membership items, and the items that change with a contact (e-mail guard, memberships).

use std::collections::BTreeSet;

use aws_sdk_dynamodb::types::{AttributeValue, ConditionCheck, TransactWriteItem};

use super::StoreError;
use super::groups::DELETING_EXPIRES;
use super::index::MAX_INDEX_ITEMS;
use super::write::{Action, Companions, Guard, MAX_TRANSACTION_ITEMS, owner};
use super::{ReadBudget, Store, keys};
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
    /// the contact `after`; also the id to go on after when more follow: the last membership of
    /// the page, which stands even when its contact was deleted since it was read. Reads at
    /// most `limit + 1` memberships per group and `limit` contacts.
    pub async fn list_contacts_in_groups(
        &self,
        tenant: &TenantId,
        groups: &[ResourceId],
        limit: usize,
        after: Option<&ResourceId>,
    ) -> Result<(Vec<Contact>, Option<ResourceId>), StoreError> {
        let ids = self.members(tenant, groups, limit + 1, after).await?;
        let more = ids.len() > limit;
        let page: Vec<ResourceId> = ids.into_iter().take(limit).collect();
        let (contacts, read) = self
            .get_within(tenant, &page, &mut ReadBudget::default())
            .await?;
        // A page whose bytes ran out before its last member goes on after the last one it read.
        let next = if more || read < page.len() {
            page.get(read.wrapping_sub(1)).copied()
        } else {
            None
        };
        Ok((contacts, next))
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
            ids.extend(self.ids_after(tenant, &prefix, start, limit, true).await?);
        }
        Ok(ids)
    }
}

/// How many groups one write of a contact may add or remove: a transaction holds 100 items, and
/// besides two per group it holds the contact, its e-mail guard's move (two) and the index
/// entries that change (each deleted and put at worst).
pub const MAX_GROUP_CHANGES: usize = (MAX_TRANSACTION_ITEMS - 3 - 2 * MAX_INDEX_ITEMS) / 2;

impl Companions<Contact> for Store {
    /// The e-mail guard, one membership item per group (each added group checked to exist), and
    /// the contact's index entries. A write that keeps the contact may add or remove at most
    /// `MAX_GROUP_CHANGES` groups, so that it always fits one transaction.
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
        let changed = has.iter().filter(|g| !had.contains(g)).count()
            + had.iter().filter(|g| !has.contains(g)).count();
        if after.is_some() && changed > MAX_GROUP_CHANGES {
            return Err(StoreError::TooManyItems);
        }
        actions.extend(self.index_changes(tenant, before, after)?);
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
            let membership = keys::item(keys::tenant(tenant), keys::member(group, &owner));
            actions.push(self.plain_put(membership)?);
        }
        for group in had.iter().filter(|g| !has.contains(g)) {
            actions.push(self.plain_delete(tenant, keys::member(group, &owner))?);
        }
        Ok(actions)
    }
}
