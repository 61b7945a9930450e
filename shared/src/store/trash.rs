//! The trash. A deleted contact's last version is kept for the retention period in an entry
//! `TRASHED#<deletedAt>␁<id>` (entries sort by deletion, so the listing reads a page at
//! O(limit)), with `deletedAt`, `deletedBy` and `purgeAt`, and a pointer `TRASH#<id>` that names
//! the entry (a restore or an erase finds it by id). Both carry the TTL `expiresAt`; an entry
//! whose `purgeAt` has passed counts as gone before TTL removes it. Moving to the trash,
//! restoring and erasing are each one transaction with every item that changes with the contact
//! (e-mail guard, memberships, index entries), conditional on what was read.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use aws_sdk_dynamodb::types::{AttributeValue, Delete, TransactWriteItem};
use serde::Serialize;

use super::contacts::MAX_GROUP_CHANGES;
use super::retry::retrying;
use super::write::{Action, Companions, Guard, MAX_TRANSACTION_ITEMS, number};
use super::{ReadBudget, Store, StoreError, decode, keys};
use crate::clock::timestamp;
use crate::contact::Contact;
use crate::group::Group;
use crate::identity::TenantId;
use crate::preconditions::Preconditions;
use crate::resource::{Resource, ResourceId};

type Attributes = HashMap<String, AttributeValue>;

/// When a write happens and who makes it: the app's clock, and the caller's `actor`.
#[derive(Debug, Clone, Copy)]
pub struct Moment<'a> {
    /// Since the Unix epoch.
    pub now: Duration,
    pub by: Option<&'a str>,
}

impl Moment<'_> {
    /// The moment as the API writes timestamps.
    pub fn at(&self) -> String {
        stamp(self.now)
    }
}

/// A timestamp of the API for a time since the epoch.
fn stamp(since_epoch: Duration) -> String {
    let nanos = i128::try_from(since_epoch.as_nanos()).unwrap_or(i128::MAX);
    timestamp(
        time::OffsetDateTime::from_unix_timestamp_nanos(nanos)
            .unwrap_or(time::OffsetDateTime::UNIX_EPOCH),
    )
}

/// A contact in the trash, as the trash lists it: the contact as it was, and when and by whom it
/// was deleted, and when it is purged.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Trashed {
    #[serde(flatten)]
    pub contact: Contact,
    pub deleted_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deleted_by: Option<String>,
    pub purge_at: String,
    /// Its entry's sort key: its place in the listing.
    #[serde(skip)]
    pub entry: String,
}

impl Trashed {
    fn read(item: Attributes) -> Result<Self, StoreError> {
        let text = |name: &str| item.get(name).and_then(|v| v.as_s().ok()).cloned();
        let (Some(entry), Some(deleted_at), Some(purge_at)) =
            (text(keys::SK), text(keys::DELETED_AT), text(keys::PURGE_AT))
        else {
            return Err(StoreError::internal("a trash entry without its deletion"));
        };
        let deleted_by = text(keys::DELETED_BY);
        Ok(Self {
            contact: decode(item)?,
            deleted_at,
            deleted_by,
            purge_at,
            entry,
        })
    }

    /// Whether its retention has passed at `now` (it is gone, whether or not TTL removed it).
    pub fn expired(&self, now: Duration) -> bool {
        self.purge_at <= stamp(now)
    }
}

impl Store {
    /// Moves a contact to the trash for `retention`: the contact, its e-mail guard, memberships
    /// and index entries go; its entry and pointer come; one transaction, conditional on the
    /// version read.
    pub async fn trash(
        &self,
        tenant: &TenantId,
        id: &ResourceId,
        preconditions: &Preconditions,
        moment: Moment<'_>,
        retention: Duration,
    ) -> Result<(), StoreError> {
        retrying(|attempt| async move {
            let current: Contact = self.existing(tenant, id, preconditions).await?;
            let mut actions = vec![(
                self.delete_versioned::<Contact>(tenant, &current, None)?,
                Guard::Version,
            )];
            actions.extend(self.companions(tenant, Some(&current), None)?);
            actions.extend(self.trash_puts(tenant, &current, moment, retention)?);
            let landed = self.settle(actions, preconditions, attempt).await?;
            Ok::<_, StoreError>(landed.then_some(()))
        })
        .await
    }

    /// The trash entry and its pointer of a contact deleted at `moment`.
    fn trash_puts(
        &self,
        tenant: &TenantId,
        contact: &Contact,
        moment: Moment<'_>,
        retention: Duration,
    ) -> Result<Vec<Action>, StoreError> {
        let deleted_at = moment.at();
        let purge_at = stamp(moment.now + retention);
        let expires = number((moment.now + retention).as_secs() + 1);
        let entry = keys::trashed(&deleted_at, contact.id());
        let mut item: Attributes = serde_dynamo::to_item(contact).map_err(StoreError::internal)?;
        item.extend(keys::item(
            keys::tenant(tenant),
            AttributeValue::S(entry.clone()),
        ));
        item.insert(keys::DELETED_AT.into(), AttributeValue::S(deleted_at));
        if let Some(by) = moment.by {
            item.insert(keys::DELETED_BY.into(), AttributeValue::S(by.to_string()));
        }
        item.insert(keys::PURGE_AT.into(), AttributeValue::S(purge_at.clone()));
        item.insert(keys::EXPIRES_AT.into(), expires.clone());
        let mut pointer = keys::item(keys::tenant(tenant), keys::trash(contact.id()));
        pointer.insert(keys::ENTRY.into(), AttributeValue::S(entry));
        pointer.insert(keys::PURGE_AT.into(), AttributeValue::S(purge_at));
        pointer.insert(keys::EXPIRES_AT.into(), expires);
        Ok(vec![self.plain_put(item)?, self.plain_put(pointer)?])
    }

    /// The contact with this id in the trash, read consistently, whether or not its retention
    /// has passed.
    pub async fn find_trashed(
        &self,
        tenant: &TenantId,
        id: &ResourceId,
    ) -> Result<Option<Trashed>, StoreError> {
        let Some(pointer) = self.get(tenant, keys::trash(id)).await? else {
            return Ok(None);
        };
        let entry = pointer
            .get(keys::ENTRY)
            .and_then(|v| v.as_s().ok())
            .ok_or_else(|| StoreError::internal("a trash pointer without its entry"))?;
        match self.get(tenant, AttributeValue::S(entry.clone())).await? {
            Some(item) => Trashed::read(item).map(Some),
            None => Ok(None),
        }
    }

    /// Up to `limit` trashed contacts whose retention has not passed at `now`, most recently
    /// deleted first, after the entry `after`; also the entry to go on after when more follow.
    pub async fn list_trash(
        &self,
        tenant: &TenantId,
        limit: usize,
        after: Option<&str>,
        now: Duration,
    ) -> Result<(Vec<Trashed>, Option<String>), StoreError> {
        let mut start = after.map(|sk| AttributeValue::S(sk.to_string()));
        let mut budget = ReadBudget::default();
        let mut found = Vec::new();
        // The last entry read, expired or not: where a page cut short by its bytes goes on.
        let mut last_read = None;
        loop {
            let wanted = limit + 1 - found.len();
            let (page, last) = self
                .query_page(
                    tenant,
                    keys::TRASHED_PREFIX,
                    start,
                    Some(wanted),
                    None,
                    false,
                )
                .await?;
            let mut page = page.into_iter();
            for item in page.by_ref() {
                budget.spend(&item);
                let trashed = Trashed::read(item)?;
                last_read = Some(trashed.entry.clone());
                if !trashed.expired(now) {
                    found.push(trashed);
                }
                if budget.spent() {
                    break;
                }
            }
            if found.len() > limit {
                found.truncate(limit);
                let next = found.last().map(|t| t.entry.clone());
                return Ok((found, next));
            }
            if budget.spent() {
                let more = page.next().is_some() || last.is_some();
                return Ok((found, last_read.filter(|_| more)));
            }
            start = last;
            if start.is_none() {
                return Ok((found, None));
            }
        }
    }

    /// Brings a trashed contact back with its id, one version above the deleted one, written at
    /// `moment`: it takes its e-mail address again (`EmailTaken` when another contact has it)
    /// and rejoins the groups that still exist; what `also` makes of the restored contact lands
    /// in the same transaction. Returns the contact as restored. A contact that was in more
    /// groups than one write may add (`MAX_GROUP_CHANGES`) rejoins the others in the next
    /// version, a write of its own.
    pub async fn restore(
        &self,
        tenant: &TenantId,
        id: &ResourceId,
        preconditions: &Preconditions,
        moment: Moment<'_>,
        also: &(dyn Fn(&Contact) -> Result<Vec<Action>, StoreError> + Sync),
    ) -> Result<Contact, StoreError> {
        let gone_groups = &Mutex::new(Vec::<ResourceId>::new());
        let (restored, rest) = retrying(|attempt| async move {
            let trashed = self
                .find_trashed(tenant, id)
                .await?
                .filter(|t| !t.expired(moment.now))
                .ok_or(StoreError::NotFound(Contact::NAME))?;
            let contact = &trashed.contact;
            if !preconditions.hold(contact.version(), contact.updated_at()) {
                return Err(StoreError::PreconditionFailed);
            }
            let groups = self.existing_groups(tenant, contact, gone_groups).await?;
            let (now, rest) = if groups.len() > MAX_GROUP_CHANGES {
                let (now, rest) = groups.split_at(MAX_GROUP_CHANGES);
                (now.to_vec(), rest.to_vec())
            } else {
                (groups, Vec::new())
            };
            let mut restored = contact.clone();
            restored.groups = (contact.groups.is_some()).then_some(now);
            restored.version += 1;
            restored.updated_at = moment.at();
            restored.updated_by = moment.by.map(str::to_string);
            let mut actions = vec![(self.put(tenant, &restored, None)?, Guard::Version)];
            actions.extend(self.companions(tenant, None, Some(&restored))?);
            actions.extend(self.trash_deletes(tenant, &trashed)?);
            let also = also(&restored)?;
            if actions.len() + also.len() > MAX_TRANSACTION_ITEMS {
                return Err(StoreError::TooManyItems);
            }
            actions.extend(also);
            match self.settle(actions, preconditions, attempt).await {
                Ok(landed) => Ok(landed.then_some((restored, rest))),
                Err(StoreError::UnknownGroups(gone)) => {
                    gone_groups
                        .lock()
                        .map_err(StoreError::internal)?
                        .extend(gone);
                    Ok(None)
                }
                Err(err) => Err(err),
            }
        })
        .await?;
        if rest.is_empty() {
            return Ok(restored);
        }
        let unconditional = Preconditions::default();
        let rejoined = self.update(tenant, id, &unconditional, |current: &Contact| {
            let mut next = current.clone();
            let mut groups = current.groups.clone().unwrap_or_default();
            groups.extend(
                rest.iter()
                    .filter(|g| !groups.contains(g))
                    .collect::<Vec<_>>(),
            );
            next.groups = Some(groups);
            next.version += 1;
            next.updated_at = moment.at();
            Ok::<_, StoreError>(next)
        });
        // The restore stands whatever becomes of the rest: its answer says which groups it has.
        if let Err(err) = rejoined.await {
            tracing::warn!(error = %err, "a restored contact did not rejoin all its groups");
        }
        Ok(restored)
    }

    /// The groups of a trashed contact that still exist, without those a restore found gone.
    async fn existing_groups(
        &self,
        tenant: &TenantId,
        contact: &Contact,
        gone: &Mutex<Vec<ResourceId>>,
    ) -> Result<Vec<ResourceId>, StoreError> {
        let gone = gone.lock().map_err(StoreError::internal)?.clone();
        let wanted: Vec<ResourceId> = contact
            .groups
            .iter()
            .flatten()
            .filter(|g| !gone.contains(g))
            .copied()
            .collect();
        let found: Vec<Group> = self.get_many(tenant, &wanted).await?;
        Ok(found.iter().map(|g| *g.id()).collect())
    }

    /// The deletes of a trashed contact's entry and pointer, each conditional on being the one
    /// read (a concurrent restore or erase makes the write stale).
    pub(super) fn trash_deletes(
        &self,
        tenant: &TenantId,
        trashed: &Trashed,
    ) -> Result<Vec<Action>, StoreError> {
        let entry = Delete::builder()
            .table_name(&self.table)
            .set_key(Some(keys::item(
                keys::tenant(tenant),
                AttributeValue::S(trashed.entry.clone()),
            )))
            .condition_expression("#v = :v")
            .expression_attribute_names("#v", keys::VERSION)
            .expression_attribute_values(":v", number(trashed.contact.version()))
            .build()
            .map_err(StoreError::internal)?;
        let pointer = Delete::builder()
            .table_name(&self.table)
            .set_key(Some(keys::item(
                keys::tenant(tenant),
                keys::trash(trashed.contact.id()),
            )))
            .condition_expression("#entry = :entry")
            .expression_attribute_names("#entry", keys::ENTRY)
            .expression_attribute_values(":entry", AttributeValue::S(trashed.entry.clone()))
            .build()
            .map_err(StoreError::internal)?;
        Ok([entry, pointer]
            .into_iter()
            .map(|delete| {
                (
                    TransactWriteItem::builder().delete(delete).build(),
                    Guard::Version,
                )
            })
            .collect())
    }
}
