//! What a client's requests read: read requests (gets, query pages, batch gets) and the items
//! DynamoDB read for them (a query page's `ScannedCount`, the items a get or batch get returned,
//! a group returned by the update that flags its deletion). How the cost tests check that a
//! page reads in proportion to its size and takes a bounded number of round trips.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use aws_sdk_dynamodb::config::interceptors::FinalizerInterceptorContextRef;
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_dynamodb::operation::batch_get_item::BatchGetItemOutput;
use aws_sdk_dynamodb::operation::get_item::GetItemOutput;
use aws_sdk_dynamodb::operation::query::QueryOutput;
use aws_sdk_dynamodb::operation::update_item::UpdateItemOutput;
use aws_smithy_runtime_api::box_error::BoxError;

/// Counts the reads of the client it is attached to.
#[derive(Debug, Clone, Default)]
pub struct ReadMeter(Arc<Counts>);

#[derive(Debug, Default)]
struct Counts {
    items: AtomicU64,
    requests: AtomicU64,
}

impl ReadMeter {
    /// Items DynamoDB read so far.
    pub fn items_read(&self) -> u64 {
        self.0.items.load(Ordering::Relaxed)
    }

    /// Read requests sent so far.
    pub fn read_requests(&self) -> u64 {
        self.0.requests.load(Ordering::Relaxed)
    }

    fn count(&self, requests: u64, items: u64) {
        self.0.requests.fetch_add(requests, Ordering::Relaxed);
        self.0.items.fetch_add(items, Ordering::Relaxed);
    }
}

impl Intercept for ReadMeter {
    fn name(&self) -> &'static str {
        "ReadMeter"
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
        if let Some(get) = output.downcast_ref::<GetItemOutput>() {
            self.count(1, u64::from(get.item().is_some()));
        } else if let Some(query) = output.downcast_ref::<QueryOutput>() {
            self.count(1, u64::try_from(query.scanned_count()).unwrap_or(0));
        } else if let Some(batch) = output.downcast_ref::<BatchGetItemOutput>() {
            let items = batch
                .responses()
                .map_or(0, |r| r.values().map(Vec::len).sum());
            self.count(1, items as u64);
        } else if let Some(update) = output.downcast_ref::<UpdateItemOutput>() {
            self.count(0, u64::from(update.attributes().is_some()));
        }
        Ok(())
    }
}
