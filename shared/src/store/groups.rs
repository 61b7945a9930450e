//! Groups beyond the generic operations: lookup by name, race-proof deletion of a group no
//! contact is in, and the name guard that changes with a group.

use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};

use super::write::{Action, Companions, Guard, MAX_ATTEMPTS, contended, number, owner};
use super::{Store, decode, is_conditional_failure, keys};
use crate::clock::now;
use crate::error::{ApiError, Problem};
use crate::group::Group;
use crate::identity::TenantId;
use crate::preconditions::Preconditions;
use crate::resource::{Resource, ResourceId};

/// A group flagged for deletion longer ago than this is taken as not being deleted (the
/// deleting function died between its steps).
pub(super) const DELETING_EXPIRES: time::Duration = time::Duration::seconds(60);

impl Store {
    /// The id of the group with this name (compared case-insensitively), if any.
    pub async fn find_group_id_by_name(
        &self,
        tenant: &TenantId,
        name: &str,
    ) -> Result<Option<ResourceId>, ApiError> {
        let guard = self
            .get(tenant, keys::group_name(&name.to_lowercase()))
            .await?;
        Ok(guard
            .as_ref()
            .and_then(|item| item.get("groupId"))
            .and_then(|id| id.as_s().ok())
            .and_then(|id| ResourceId::parse(id)))
    }

    /// Deletes a group that no contact is in: 409 while one is. Race-proof in three calls: the
    /// group is flagged as being deleted (contacts can no longer join it; the update returns the
    /// group, so no separate read), checked for members, then deleted only if it is still
    /// flagged at the version the flag saw.
    pub async fn delete_group(
        &self,
        tenant: &TenantId,
        id: &ResourceId,
        preconditions: &Preconditions,
    ) -> Result<(), ApiError> {
        let key = keys::item(keys::tenant(tenant), keys::of::<Group>(id));
        for attempt in 0..MAX_ATTEMPTS {
            let flagged = self
                .client
                .update_item()
                .table_name(&self.table)
                .set_key(Some(key.clone()))
                .update_expression("SET deletingSince = :now")
                .condition_expression("attribute_exists(#pk)")
                .expression_attribute_names("#pk", keys::PK)
                .expression_attribute_values(":now", AttributeValue::S(now()))
                .return_values(ReturnValue::AllNew)
                .send()
                .await;
            let current: Group = match flagged {
                Ok(output) => decode(output.attributes.unwrap_or_default())?,
                Err(err) if is_conditional_failure(&err) => {
                    return Err(ApiError::not_found(Group::NAME));
                }
                Err(err) => return Err(err.into()),
            };
            self.count_reads(1);
            let refusal = match preconditions.check(current.version, &current.updated_at) {
                Err(err) => Some(err),
                Ok(()) => {
                    let members = self
                        .query_prefix(tenant, &keys::member_prefix(id), None, Some(1))
                        .await?;
                    (!members.is_empty()).then(|| {
                        ApiError::Conflict(Problem::general(
                            "the group still has contacts; remove them from it first",
                        ))
                    })
                }
            };
            if let Some(refusal) = refusal {
                // Unflag it; if the group changed meanwhile, the change already dropped the flag.
                let unflagged = self
                    .client
                    .update_item()
                    .table_name(&self.table)
                    .set_key(Some(key))
                    .update_expression("REMOVE deletingSince")
                    .condition_expression("#v = :v")
                    .expression_attribute_names("#v", "version")
                    .expression_attribute_values(":v", number(current.version))
                    .send()
                    .await;
                if let Err(err) = unflagged
                    && !is_conditional_failure(&err)
                {
                    return Err(err.into());
                }
                return Err(refusal);
            }
            let mut actions = vec![(
                self.delete_versioned::<Group>(
                    tenant,
                    &current,
                    Some("attribute_exists(deletingSince)"),
                )?,
                Guard::Version,
            )];
            actions.extend(self.companions(tenant, Some(&current), None)?);
            if self.settle(actions, preconditions, attempt).await? {
                return Ok(());
            }
        }
        Err(contended())
    }
}

impl Companions<Group> for Store {
    /// The name guard.
    fn companions(
        &self,
        tenant: &TenantId,
        before: Option<&Group>,
        after: Option<&Group>,
    ) -> Result<Vec<Action>, ApiError> {
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
