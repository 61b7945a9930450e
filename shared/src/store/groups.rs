//! Groups beyond the generic operations: lookup by name, race-proof deletion of a group no
//! contact is in, and the name guard that changes with a group.

use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};

use super::StoreError;
use super::write::{Action, Companions, Guard, MAX_ATTEMPTS, backoff, number, owner};
use super::{Store, decode, is_conditional_failure, keys};
use crate::clock::{now, timestamp};
use crate::group::Group;
use crate::identity::TenantId;
use crate::preconditions::Preconditions;
use crate::resource::{Resource, ResourceId};

/// A group flagged for deletion longer ago than this is taken as not being deleted (the
/// deleting function died between its steps).
pub(super) const DELETING_EXPIRES: time::Duration = time::Duration::seconds(60);
/// How much sooner than `DELETING_EXPIRES` a deleting request gives up its own flag.
const FLAG_MARGIN: time::Duration = time::Duration::seconds(15);

impl Store {
    /// The id of the group with this name (compared case-insensitively), if any.
    pub async fn find_group_id_by_name(
        &self,
        tenant: &TenantId,
        name: &str,
    ) -> Result<Option<ResourceId>, StoreError> {
        let guard = self
            .get(tenant, keys::group_name(&name.to_lowercase()))
            .await?;
        Ok(guard
            .as_ref()
            .and_then(|item| item.get("groupId"))
            .and_then(|id| id.as_s().ok())
            .and_then(|id| ResourceId::parse(id)))
    }

    /// Deletes a group that no contact is in: 409 while one is. Race-proof: the group is
    /// flagged as being deleted under a token of this request (contacts can no longer join it;
    /// the update returns the group, so no separate read), checked for members, then deleted
    /// only if it is at the version the flag saw and still carries this request's fresh flag.
    /// A refusal removes only its own flag. Preconditions are checked before anything is
    /// flagged (one extra read, only when the request has them): a 412 never touches the group.
    pub async fn delete_group(
        &self,
        tenant: &TenantId,
        id: &ResourceId,
        preconditions: &Preconditions,
    ) -> Result<(), StoreError> {
        let key = keys::item(keys::tenant(tenant), keys::of::<Group>(id));
        for attempt in 0..MAX_ATTEMPTS {
            let expected = if preconditions.is_empty() {
                None
            } else {
                Some(
                    self.existing::<Group>(tenant, id, preconditions)
                        .await?
                        .version,
                )
            };
            let token = AttributeValue::S(ResourceId::new().to_string());
            let flag = self
                .client
                .update_item()
                .table_name(&self.table)
                .set_key(Some(key.clone()))
                .update_expression("SET deletingSince = :now, deletingBy = :token")
                .expression_attribute_names("#pk", keys::PK)
                .expression_attribute_values(":now", AttributeValue::S(now()))
                .expression_attribute_values(":token", token.clone())
                .return_values(ReturnValue::AllNew);
            let flag = match expected {
                None => flag.condition_expression("attribute_exists(#pk)"),
                Some(version) => flag
                    .condition_expression("attribute_exists(#pk) AND #v = :v")
                    .expression_attribute_names("#v", "version")
                    .expression_attribute_values(":v", number(version)),
            };
            let current: Group = match flag.send().await {
                Ok(output) => decode(output.attributes.unwrap_or_default())?,
                // Gone (404 on the next read, or now), or changed since the precondition held
                // (412 or a retry on the next read).
                Err(err) if is_conditional_failure(&err) && expected.is_some() => {
                    backoff(attempt).await;
                    continue;
                }
                Err(err) if is_conditional_failure(&err) => {
                    return Err(StoreError::NotFound(Group::NAME));
                }
                Err(err) => return Err(err.into()),
            };
            self.count_reads(1);
            let members = self
                .query_prefix(tenant, &keys::member_prefix(id), None, Some(1))
                .await?;
            if !members.is_empty() {
                self.unflag(&key, &token).await?;
                return Err(StoreError::GroupHasMembers);
            }
            // The flag must still be this request's, and younger than what joins respect, with
            // a margin for clocks: a deletion that stalled past it starts over.
            let fresh = AttributeValue::S(timestamp(
                time::OffsetDateTime::now_utc() - DELETING_EXPIRES + FLAG_MARGIN,
            ));
            let mut actions = vec![(
                self.delete_versioned::<Group>(
                    tenant,
                    &current,
                    Some((
                        "deletingBy = :token AND deletingSince > :fresh",
                        vec![(":token", token), (":fresh", fresh)],
                    )),
                )?,
                Guard::Version,
            )];
            actions.extend(self.companions(tenant, Some(&current), None)?);
            // A stale delete may only have lost its flag to another deleting request, which is
            // no change of the group: it starts over, and the next read tells 404 or 412 apart.
            if self
                .settle(actions, &Preconditions::default(), attempt)
                .await?
            {
                return Ok(());
            }
        }
        Err(StoreError::Contended)
    }

    /// Removes this request's deletion flag, and only this request's.
    async fn unflag(
        &self,
        key: &std::collections::HashMap<String, AttributeValue>,
        token: &AttributeValue,
    ) -> Result<(), StoreError> {
        let unflagged = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key.clone()))
            .update_expression("REMOVE deletingSince, deletingBy")
            .condition_expression("deletingBy = :token")
            .expression_attribute_values(":token", token.clone())
            .send()
            .await;
        match unflagged {
            // Another request flagged it since, or a change dropped the flag: not ours to remove.
            Err(err) if !is_conditional_failure(&err) => Err(err.into()),
            _ => Ok(()),
        }
    }
}

impl Companions<Group> for Store {
    /// The name guard.
    fn companions(
        &self,
        tenant: &TenantId,
        before: Option<&Group>,
        after: Option<&Group>,
    ) -> Result<Vec<Action>, StoreError> {
        let owner = owner(before, after)?;
        self.guard_change(
            tenant,
            before.map(|g| keys::group_name(&g.name_key())),
            after.map(|g| keys::group_name(&g.name_key())),
            "groupId",
            &owner,
            Guard::NameFree,
        )
    }
}
