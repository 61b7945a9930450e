//! The DynamoDB actions a client's requests need, as IAM checks them: an operation's own name,
//! or for `TransactWriteItems` the action of each of its items (`PutItem`, `DeleteItem`,
//! `UpdateItem`, `ConditionCheckItem`). The policy test compares them with template.yaml.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use aws_sdk_dynamodb::config::interceptors::BeforeSerializationInterceptorContextRef;
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_dynamodb::operation::batch_get_item::BatchGetItemInput;
use aws_sdk_dynamodb::operation::delete_item::DeleteItemInput;
use aws_sdk_dynamodb::operation::get_item::GetItemInput;
use aws_sdk_dynamodb::operation::put_item::PutItemInput;
use aws_sdk_dynamodb::operation::query::QueryInput;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsInput;
use aws_sdk_dynamodb::operation::update_item::UpdateItemInput;
use aws_smithy_runtime_api::box_error::BoxError;

/// Records the actions of every request of the client it is attached to.
#[derive(Debug, Clone, Default)]
pub struct ActionLog(Arc<Mutex<BTreeSet<String>>>);

impl ActionLog {
    pub fn actions(&self) -> BTreeSet<String> {
        self.0.lock().map(|a| a.clone()).unwrap_or_default()
    }
}

impl Intercept for ActionLog {
    fn name(&self) -> &'static str {
        "ActionLog"
    }

    fn read_before_serialization(
        &self,
        context: &BeforeSerializationInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let mut actions = self.0.lock().map_err(|_| "action log poisoned")?;
        if let Some(transaction) = context.input().downcast_ref::<TransactWriteItemsInput>() {
            for item in transaction.transact_items() {
                let action = if item.put().is_some() {
                    "PutItem"
                } else if item.delete().is_some() {
                    "DeleteItem"
                } else if item.update().is_some() {
                    "UpdateItem"
                } else {
                    "ConditionCheckItem"
                };
                actions.insert(action.to_string());
            }
        } else {
            let input = context.input();
            let name = [
                (input.downcast_ref::<GetItemInput>().is_some(), "GetItem"),
                (input.downcast_ref::<PutItemInput>().is_some(), "PutItem"),
                (
                    input.downcast_ref::<DeleteItemInput>().is_some(),
                    "DeleteItem",
                ),
                (
                    input.downcast_ref::<UpdateItemInput>().is_some(),
                    "UpdateItem",
                ),
                (input.downcast_ref::<QueryInput>().is_some(), "Query"),
                (
                    input.downcast_ref::<BatchGetItemInput>().is_some(),
                    "BatchGetItem",
                ),
            ]
            .into_iter()
            .find_map(|(is, name)| is.then_some(name));
            // An operation this list does not know is recorded as such, and fails the test.
            actions.insert(
                name.unwrap_or("an operation ActionLog does not know")
                    .to_string(),
            );
        }
        Ok(())
    }
}
