//! Permanent erase (the right to erasure): a live or trashed contact, everything that goes with
//! it, and every stored idempotent answer that holds its data (found through its answer links,
//! `ANSWER#<id>#<key>`, without a scan), in one transaction with the mark the change feed
//! records as `erased`.

use std::time::Duration;

use aws_sdk_dynamodb::types::AttributeValue;

use super::retry::retrying;
use super::trash::Moment;
use super::write::{Action, Companions, Guard, MAX_TRANSACTION_ITEMS, number};
use super::{Store, StoreError, keys};
use crate::contact::Contact;
use crate::identity::TenantId;
use crate::preconditions::Preconditions;
use crate::resource::{Resource, ResourceId};

impl Store {
    /// Erases a contact for good, live or in the trash (even past its retention, before TTL
    /// removed it): the contact or its trash entry, everything that goes with it, and every
    /// stored idempotent answer linked to it, in one transaction with the mark the change feed
    /// records as `erased`. `NotFound` when neither exists.
    pub async fn erase(
        &self,
        tenant: &TenantId,
        id: &ResourceId,
        preconditions: &Preconditions,
        moment: Moment<'_>,
    ) -> Result<(), StoreError> {
        retrying(|attempt| async move {
            let (version, updated_at, mut actions) = match self.find::<Contact>(tenant, id).await? {
                Some(live) => {
                    let mut actions = vec![(
                        self.delete_versioned::<Contact>(tenant, &live, None)?,
                        Guard::Version,
                    )];
                    actions.extend(self.companions(tenant, Some(&live), None)?);
                    (live.version(), live.updated_at().to_string(), actions)
                }
                None => {
                    let trashed = self
                        .find_trashed(tenant, id)
                        .await?
                        .ok_or(StoreError::NotFound(Contact::NAME))?;
                    let actions = self.trash_deletes(tenant, &trashed)?;
                    let contact = trashed.contact;
                    (contact.version(), contact.updated_at, actions)
                }
            };
            // `If-Match` and `If-Unmodified-Since` compare the version read, live or trashed.
            if !preconditions.hold(version, &updated_at) {
                return Err(StoreError::PreconditionFailed);
            }
            actions.push(self.erase_mark(tenant, id, version, moment)?);
            let room = MAX_TRANSACTION_ITEMS - actions.len();
            actions.extend(self.erase_answers(tenant, id, room).await?);
            let landed = self.settle(actions, preconditions, attempt).await?;
            Ok::<_, StoreError>(landed.then_some(()))
        })
        .await
    }

    /// The mark an erase leaves for the change feed: the stream delivers its insert in order with
    /// the contact's other writes, and the feed records `erased`. It holds no personal data and
    /// expires with the stream's records (24 h).
    fn erase_mark(
        &self,
        tenant: &TenantId,
        id: &ResourceId,
        version: u64,
        moment: Moment<'_>,
    ) -> Result<Action, StoreError> {
        let mut item = keys::item(keys::tenant(tenant), keys::erased(id));
        item.insert(keys::VERSION.into(), number(version));
        item.insert("updatedAt".into(), AttributeValue::S(moment.at()));
        let expires = moment.now + Duration::from_secs(24 * 60 * 60);
        item.insert(keys::EXPIRES_AT.into(), number(expires.as_secs()));
        self.plain_put(item)
    }

    /// The deletes of every stored answer linked to `id` and of its link: as actions, as many
    /// as fit in `room`; the rest deleted at once, before the erase's transaction.
    async fn erase_answers(
        &self,
        tenant: &TenantId,
        id: &ResourceId,
        room: usize,
    ) -> Result<Vec<Action>, StoreError> {
        let links = self
            .query_prefix(tenant, &keys::answers_of(id), None, None)
            .await?;
        let mut actions = Vec::new();
        for link in links {
            let (Some(sk), Some(key)) = (link.get(keys::SK), link.get(keys::KEY)) else {
                continue;
            };
            let record = keys::idempotency(
                key.as_s()
                    .map_err(|_| StoreError::internal("an answer link without its key"))?,
            );
            let fits = actions.len() + 2 <= room;
            for sk in [record, sk.clone()] {
                if fits {
                    actions.push(self.plain_delete(tenant, sk)?);
                } else {
                    self.client
                        .delete_item()
                        .table_name(&self.table)
                        .set_key(Some(keys::item(keys::tenant(tenant), sk)))
                        .send()
                        .await?;
                }
            }
        }
        Ok(actions)
    }
}
