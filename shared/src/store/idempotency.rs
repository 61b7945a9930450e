//! Idempotency keys in their tenant's partition (`IDEMPOTENCY#<key>`): claimed with one
//! conditional put, completed with the answer (in the write's own transaction where it fits),
//! released when the request was refused. `expiresAt` is the table's TTL attribute; an expired
//! record that DynamoDB has not removed yet counts as absent.

use std::collections::HashMap;

use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::{
    AttributeValue, Put, ReturnValuesOnConditionCheckFailure, TransactWriteItem,
};

use super::StoreError;
use super::write::{Action, Guard, number};
use super::{Store, keys};
use crate::clock::since_epoch;
use crate::idempotency::{Admission, Claim, IdempotencyKey, LOCK, RETENTION, StoredReply};
use crate::identity::TenantId;
use crate::resource::ResourceId;

use keys::{EXPIRES_AT, FINGERPRINT, LOCKED_UNTIL, REPLY, STATE, TOKEN};

/// The states of a record.
const RUNNING: &str = "running";
const DONE: &str = "done";

fn epoch_seconds() -> u64 {
    since_epoch().as_secs()
}

impl Store {
    /// Takes the key for this request, or says what it answered before: `KeyReused` when it was
    /// used on another request, `KeyInUse` while that request still runs.
    pub async fn claim(
        &self,
        tenant: &TenantId,
        key: IdempotencyKey,
    ) -> Result<Admission, StoreError> {
        let now = epoch_seconds();
        let claim = Claim::new(key);
        let mut item = self.record(tenant, &claim, now);
        item.insert(STATE.into(), AttributeValue::S(RUNNING.into()));
        item.insert(LOCKED_UNTIL.into(), number(now + LOCK.as_secs()));
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression(
                "attribute_not_exists(#pk) OR #exp < :now OR (#state = :running AND #lock < :now)",
            )
            .expression_attribute_names("#pk", keys::PK)
            .expression_attribute_names("#exp", EXPIRES_AT)
            .expression_attribute_names("#state", STATE)
            .expression_attribute_names("#lock", LOCKED_UNTIL)
            .expression_attribute_values(":now", number(now))
            .expression_attribute_values(":running", AttributeValue::S(RUNNING.into()))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        let held = match result {
            Ok(_) => return Ok(Admission::Proceed(claim)),
            Err(err) => match err.as_service_error() {
                Some(PutItemError::ConditionalCheckFailedException(failed)) => {
                    failed.item().cloned().unwrap_or_default()
                }
                _ => return Err(err.into()),
            },
        };
        if text(&held, FINGERPRINT) != Some(claim.key.fingerprint.as_str()) {
            return Err(StoreError::KeyReused);
        }
        match (text(&held, STATE), text(&held, REPLY)) {
            (Some(DONE), Some(reply)) => {
                let stored: StoredReply =
                    serde_json::from_str(reply).map_err(StoreError::internal)?;
                Ok(Admission::Replay(stored))
            }
            _ => Err(StoreError::KeyInUse),
        }
    }

    /// The put that stores `reply` with the key, as an action of the write's own transaction:
    /// it only lands while this request still holds the key.
    pub fn completion(
        &self,
        tenant: &TenantId,
        claim: &Claim,
        reply: &StoredReply,
    ) -> Result<Action, StoreError> {
        let put = self.completed_put(tenant, claim, reply)?;
        Ok((TransactWriteItem::builder().put(put).build(), Guard::Claim))
    }

    /// The link from the resource `about` to the answer stored with this key, written with the
    /// answer: erasing the resource finds and removes that answer (it holds the resource's data)
    /// by reading its links, without a scan. It expires with the answer.
    pub fn answer_link(
        &self,
        tenant: &TenantId,
        claim: &Claim,
        about: &ResourceId,
    ) -> Result<Action, StoreError> {
        let mut item = keys::item(keys::tenant(tenant), keys::answer(about, &claim.key.key));
        item.insert(keys::KEY.into(), AttributeValue::S(claim.key.key.clone()));
        item.insert(
            EXPIRES_AT.into(),
            number(epoch_seconds() + RETENTION.as_secs()),
        );
        self.plain_put(item)
    }

    /// The actions that store `reply` with the key and link it to the resource `about`.
    pub fn completion_about(
        &self,
        tenant: &TenantId,
        claim: &Claim,
        reply: &StoredReply,
        about: &ResourceId,
    ) -> Result<Vec<Action>, StoreError> {
        Ok(vec![
            self.completion(tenant, claim, reply)?,
            self.answer_link(tenant, claim, about)?,
        ])
    }

    /// Stores `reply` with the key after a write that could not carry it.
    pub async fn complete(
        &self,
        tenant: &TenantId,
        claim: &Claim,
        reply: &StoredReply,
    ) -> Result<(), StoreError> {
        let put = self.completed_put(tenant, claim, reply)?;
        self.client
            .put_item()
            .table_name(put.table_name)
            .set_item(Some(put.item))
            .set_condition_expression(put.condition_expression)
            .set_expression_attribute_names(put.expression_attribute_names)
            .set_expression_attribute_values(put.expression_attribute_values)
            .send()
            .await?;
        Ok(())
    }

    /// Frees the key of a refused request, if this request still holds it.
    pub async fn release(&self, tenant: &TenantId, claim: &Claim) -> Result<(), StoreError> {
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(keys::item(
                keys::tenant(tenant),
                keys::idempotency(&claim.key.key),
            )))
            .condition_expression("#token = :token AND #state = :running")
            .expression_attribute_names("#token", TOKEN)
            .expression_attribute_names("#state", STATE)
            .expression_attribute_values(":token", AttributeValue::S(claim.token.clone()))
            .expression_attribute_values(":running", AttributeValue::S(RUNNING.into()))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                Ok(())
            }
            Err(err) => Err(err.into()),
        }
    }

    fn completed_put(
        &self,
        tenant: &TenantId,
        claim: &Claim,
        reply: &StoredReply,
    ) -> Result<Put, StoreError> {
        let mut item = self.record(tenant, claim, epoch_seconds());
        item.insert(STATE.into(), AttributeValue::S(DONE.into()));
        let stored = serde_json::to_string(reply).map_err(StoreError::internal)?;
        item.insert(REPLY.into(), AttributeValue::S(stored));
        Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("#token = :token")
            .expression_attribute_names("#token", TOKEN)
            .expression_attribute_values(":token", AttributeValue::S(claim.token.clone()))
            .build()
            .map_err(StoreError::internal)
    }

    fn record(
        &self,
        tenant: &TenantId,
        claim: &Claim,
        now: u64,
    ) -> HashMap<String, AttributeValue> {
        let mut item = keys::item(keys::tenant(tenant), keys::idempotency(&claim.key.key));
        item.insert(
            FINGERPRINT.into(),
            AttributeValue::S(claim.key.fingerprint.clone()),
        );
        item.insert(TOKEN.into(), AttributeValue::S(claim.token.clone()));
        item.insert(EXPIRES_AT.into(), number(now + RETENTION.as_secs()));
        item
    }
}

fn text<'a>(item: &'a HashMap<String, AttributeValue>, name: &str) -> Option<&'a str> {
    item.get(name)
        .and_then(|value| value.as_s().ok())
        .map(String::as_str)
}
