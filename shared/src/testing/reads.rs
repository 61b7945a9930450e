//! What a client's requests read: read requests (gets, query pages, batch gets), the items
//! DynamoDB read for them (a query page's `ScannedCount`, the items a get or batch get returned,
//! a group returned by the update that flags its deletion), their bytes and the consistent read
//! units they cost (4 KB each: per item for gets, per query page for a query). How the cost
//! tests check that a page reads in proportion to its size and takes a bounded number of round
//! trips, and the page tests that it reads a bounded number of bytes.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use aws_sdk_dynamodb::config::interceptors::FinalizerInterceptorContextRef;
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_dynamodb::operation::batch_get_item::BatchGetItemOutput;
use aws_sdk_dynamodb::operation::get_item::GetItemOutput;
use aws_sdk_dynamodb::operation::query::QueryOutput;
use aws_sdk_dynamodb::operation::update_item::UpdateItemOutput;
use aws_smithy_runtime_api::box_error::BoxError;

use crate::store::item_size;

/// Counts the reads of the client it is attached to.
#[derive(Debug, Clone, Default)]
pub struct ReadMeter(Arc<Counts>);

#[derive(Debug, Default)]
struct Counts {
    items: AtomicU64,
    requests: AtomicU64,
    bytes: AtomicU64,
    units: AtomicU64,
}

/// DynamoDB's consistent read units for `bytes` read at once (at least one).
fn units(bytes: usize) -> u64 {
    bytes.div_ceil(4096).max(1) as u64
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

    /// Bytes of items read so far, as DynamoDB counts an item's size.
    pub fn bytes_read(&self) -> u64 {
        self.0.bytes.load(Ordering::Relaxed)
    }

    /// Consistent read units spent so far.
    pub fn read_units(&self) -> u64 {
        self.0.units.load(Ordering::Relaxed)
    }

    fn count(&self, requests: u64, items: u64) {
        self.0.requests.fetch_add(requests, Ordering::Relaxed);
        self.0.items.fetch_add(items, Ordering::Relaxed);
    }

    fn weigh(&self, bytes: usize, units: u64) {
        self.0.bytes.fetch_add(bytes as u64, Ordering::Relaxed);
        self.0.units.fetch_add(units, Ordering::Relaxed);
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
            let bytes = get.item().map_or(0, item_size);
            self.weigh(bytes, units(bytes));
        } else if let Some(query) = output.downcast_ref::<QueryOutput>() {
            self.count(1, u64::try_from(query.scanned_count()).unwrap_or(0));
            let bytes = query.items().iter().map(item_size).sum();
            self.weigh(bytes, units(bytes));
        } else if let Some(batch) = output.downcast_ref::<BatchGetItemOutput>() {
            let items: Vec<_> = batch
                .responses()
                .into_iter()
                .flat_map(|r| r.values())
                .flatten()
                .collect();
            self.count(1, items.len() as u64);
            let bytes = items.iter().map(|item| item_size(item)).sum();
            let cost = items.iter().map(|item| units(item_size(item))).sum();
            self.weigh(bytes, cost);
        } else if let Some(update) = output.downcast_ref::<UpdateItemOutput>() {
            self.count(0, u64::from(update.attributes().is_some()));
        }
        Ok(())
    }
}
