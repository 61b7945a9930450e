//! The DynamoDB capacity each request consumes: every operation of the functions' client asks
//! for its consumed capacity (`ReturnConsumedCapacity=TOTAL`, free of charge), and the units it
//! reports are added to the request's notes (`observe::note_capacity`), which the request's log
//! line and its `ConsumedCapacity` metric carry.

use aws_sdk_dynamodb::config::interceptors::{
    BeforeSerializationInterceptorContextMut, FinalizerInterceptorContextRef,
};
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_dynamodb::operation::{
    batch_get_item::{BatchGetItemInput, BatchGetItemOutput},
    batch_write_item::{BatchWriteItemInput, BatchWriteItemOutput},
    delete_item::{DeleteItemInput, DeleteItemOutput},
    get_item::{GetItemInput, GetItemOutput},
    put_item::{PutItemInput, PutItemOutput},
    query::{QueryInput, QueryOutput},
    transact_write_items::{TransactWriteItemsInput, TransactWriteItemsOutput},
    update_item::{UpdateItemInput, UpdateItemOutput},
};
use aws_sdk_dynamodb::types::{ConsumedCapacity, ReturnConsumedCapacity};
use aws_smithy_runtime_api::box_error::BoxError;

/// Attached to the functions' DynamoDB client (`App::from_env`).
#[derive(Debug)]
pub struct CapacityMeter;

/// Runs `$then` on the input (or output) as whichever of the operations it is.
macro_rules! as_operation {
    ($value:expr, $method:ident, |$typed:ident| $then:expr, $($ty:ty),+) => {
        $(if let Some($typed) = $value.$method::<$ty>() { $then; })+
    };
}

fn units(capacity: Option<&ConsumedCapacity>) -> f64 {
    capacity
        .and_then(ConsumedCapacity::capacity_units)
        .unwrap_or(0.0)
}

fn sum(capacities: &[ConsumedCapacity]) -> f64 {
    capacities.iter().map(|c| units(Some(c))).sum()
}

impl Intercept for CapacityMeter {
    fn name(&self) -> &'static str {
        "CapacityMeter"
    }

    fn modify_before_serialization(
        &self,
        context: &mut BeforeSerializationInterceptorContextMut<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let input = context.input_mut();
        as_operation!(
            input,
            downcast_mut,
            |typed| typed.return_consumed_capacity = Some(ReturnConsumedCapacity::Total),
            GetItemInput,
            PutItemInput,
            DeleteItemInput,
            UpdateItemInput,
            QueryInput,
            BatchGetItemInput,
            BatchWriteItemInput,
            TransactWriteItemsInput
        );
        Ok(())
    }

    fn read_after_execution(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Some(Ok(output)) = context.output_or_error() else {
            return Ok(());
        };
        let mut consumed = 0.0;
        as_operation!(
            output,
            downcast_ref,
            |typed| consumed += units(typed.consumed_capacity()),
            GetItemOutput,
            PutItemOutput,
            DeleteItemOutput,
            UpdateItemOutput,
            QueryOutput
        );
        as_operation!(
            output,
            downcast_ref,
            |typed| consumed += sum(typed.consumed_capacity()),
            BatchGetItemOutput,
            BatchWriteItemOutput,
            TransactWriteItemsOutput
        );
        if consumed > 0.0 {
            crate::observe::note_capacity(consumed);
        }
        Ok(())
    }
}
