//! Groups beyond the generic operations: lookup by name, race-proof deletion of a group no
//! contact is in, and the name guard that changes with a group.

use aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};

use super::StoreError;
use super::retry::{backoff, retrying};
use super::write::{Action, Companions, Condition, Guard, number, owner};
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
            .and_then(|item| item.get(keys::GROUP_ID))
            .and_then(|id| id.as_s().ok())
            .and_then(|id| ResourceId::parse(id)))
    }

    /// Deletes a group that no contact is in (`GroupHasMembers` while one is). Race-proof: the
    /// group is flagged as being deleted under a token of this request (contacts can no longer
    /// join it; the update returns the group, so no separate read), checked for members, then
    /// deleted only if it is at the version the flag saw and still carries this request's fresh
    /// flag. A refusal removes only its own flag. Preconditions are checked before anything is
    /// flagged (one extra read, only when the request has them): a 412 never touches the group.
    pub async fn delete_group(
        &self,
        tenant: &TenantId,
        id: &ResourceId,
        preconditions: &Preconditions,
    ) -> Result<(), StoreError> {
        retrying(|attempt| async move {
            let expected = self.version_to_delete(tenant, id, preconditions).await?;
            let token = AttributeValue::S(ResourceId::new().to_string());
            let Some(current) = self.flag_deleting(tenant, id, expected, &token).await? else {
                // Changed since the precondition held: the next read tells 404, 412 or a retry.
                backoff(attempt).await;
                return Ok(None);
            };
            if self.has_members(tenant, id).await? {
                self.unflag(tenant, id, &token).await?;
                return Err(StoreError::GroupHasMembers);
            }
            let deleted = self
                .delete_flagged(tenant, &current, token, attempt)
                .await?;
            Ok(deleted.then_some(()))
        })
        .await
    }

    /// The version a delete with preconditions must find (they are checked on a read first);
    /// `None` without preconditions.
    async fn version_to_delete(
        &self,
        tenant: &TenantId,
        id: &ResourceId,
        preconditions: &Preconditions,
    ) -> Result<Option<u64>, StoreError> {
        if preconditions.is_empty() {
            return Ok(None);
        }
        let group: Group = self.existing(tenant, id, preconditions).await?;
        Ok(Some(group.version))
    }

    /// Flags the group as being deleted by `token` and returns it as flagged: `NotFound` when it
    /// is gone, `None` when it is no longer at the `expected` version.
    async fn flag_deleting(
        &self,
        tenant: &TenantId,
        id: &ResourceId,
        expected: Option<u64>,
        token: &AttributeValue,
    ) -> Result<Option<Group>, StoreError> {
        let flag = self
            .update_group(tenant, id)
            .update_expression("SET #since = :now, #by = :token")
            .expression_attribute_names("#pk", keys::PK)
            .expression_attribute_names("#since", keys::DELETING_SINCE)
            .expression_attribute_names("#by", keys::DELETING_BY)
            .expression_attribute_values(":now", AttributeValue::S(now()))
            .expression_attribute_values(":token", token.clone())
            .return_values(ReturnValue::AllNew);
        let flag = match expected {
            None => flag.condition_expression("attribute_exists(#pk)"),
            Some(version) => flag
                .condition_expression("attribute_exists(#pk) AND #v = :v")
                .expression_attribute_names("#v", keys::VERSION)
                .expression_attribute_values(":v", number(version)),
        };
        match flag.send().await {
            Ok(output) => Ok(Some(decode(output.attributes.unwrap_or_default())?)),
            Err(err) if is_conditional_failure(&err) && expected.is_some() => Ok(None),
            Err(err) if is_conditional_failure(&err) => Err(StoreError::NotFound(Group::NAME)),
            Err(err) => Err(err.into()),
        }
    }

    /// Whether any contact is in the group (one membership read).
    async fn has_members(&self, tenant: &TenantId, id: &ResourceId) -> Result<bool, StoreError> {
        let members = self
            .query_prefix(tenant, &keys::member_prefix(id), None, Some(1))
            .await?;
        Ok(!members.is_empty())
    }

    /// Deletes the flagged group with its name guard, if it is still at the version the flag saw
    /// and carries this request's flag, younger than what joins respect (with a margin for
    /// clocks: a deletion that stalled past it starts over). `false` when it lost a race.
    async fn delete_flagged(
        &self,
        tenant: &TenantId,
        current: &Group,
        token: AttributeValue,
        attempt: u32,
    ) -> Result<bool, StoreError> {
        let fresh = AttributeValue::S(timestamp(
            time::OffsetDateTime::now_utc() - DELETING_EXPIRES + FLAG_MARGIN,
        ));
        let still_ours = Condition {
            expression: "#by = :token AND #since > :fresh",
            names: vec![("#by", keys::DELETING_BY), ("#since", keys::DELETING_SINCE)],
            values: vec![(":token", token), (":fresh", fresh)],
        };
        let mut actions = vec![(
            self.delete_versioned::<Group>(tenant, current, Some(still_ours))?,
            Guard::Version,
        )];
        actions.extend(self.companions(tenant, Some(current), None)?);
        // A stale delete may only have lost its flag to another deleting request, which is no
        // change of the group: it starts over, and the next read tells 404 or 412 apart.
        self.settle(actions, &Preconditions::default(), attempt)
            .await
    }

    /// An update of the group's item.
    fn update_group(&self, tenant: &TenantId, id: &ResourceId) -> UpdateItemFluentBuilder {
        self.client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(keys::item(
                keys::tenant(tenant),
                keys::of::<Group>(id),
            )))
    }

    /// Removes this request's deletion flag, and only this request's.
    async fn unflag(
        &self,
        tenant: &TenantId,
        id: &ResourceId,
        token: &AttributeValue,
    ) -> Result<(), StoreError> {
        let unflagged = self
            .update_group(tenant, id)
            .update_expression("REMOVE #since, #by")
            .condition_expression("#by = :token")
            .expression_attribute_names("#since", keys::DELETING_SINCE)
            .expression_attribute_names("#by", keys::DELETING_BY)
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
            keys::GROUP_ID,
            &owner,
            Guard::NameFree,
        )
    }
}
