//! What one list page reads: at most `limit` items, and at most `PAGE_READ_BYTES` of them as
//! DynamoDB counts an item's size (plus what one read brings past it). A page of large contacts
//! ends where its bytes run out, with a cursor after its last item, instead of reading and
//! decoding megabytes the answer cannot hold (it is cut at `MAX_PAGE_BYTES` of JSON anyway):
//! the read units, the memory and the time of a page stay bounded whatever its items hold.

use std::collections::{HashMap, HashSet};

use aws_sdk_dynamodb::types::{AttributeValue, KeysAndAttributes};

use super::retry::{MAX_ATTEMPTS, backoff};
use super::{Store, StoreError, Stored, decode, keys};
use crate::identity::TenantId;
use crate::resource::ResourceId;

type Attributes = HashMap<String, AttributeValue>;

/// How many bytes of stored items one page reads before it ends: as many as the largest answer
/// may hold (`MAX_PAGE_BYTES` of JSON), as DynamoDB counts them (about 768 consistent read units).
pub const PAGE_READ_BYTES: usize = 3 * 1024 * 1024;
/// DynamoDB's largest item.
const MAX_ITEM_BYTES: usize = 400 * 1024;
/// One `Query` answers at most 1 MB, so a query reads at most this much past the budget.
const QUERY_PAGE_BYTES: usize = 1024 * 1024;
/// Later batches are sized for items twice the largest seen so far, and never for less than
/// this: a page of small contacts takes two round trips at most.
const MIN_ITEM_ESTIMATE: usize = 16 * 1024;
/// DynamoDB's limit on the keys of one `BatchGetItem`.
const MAX_BATCH_KEYS: usize = 100;

/// The size DynamoDB counts for an item: each attribute's name and value, in bytes (strings as
/// UTF-8, numbers about one byte per two digits, maps and lists 3 bytes plus one per element).
pub fn item_size(item: &Attributes) -> usize {
    item.iter()
        .map(|(name, value)| name.len() + value_size(value))
        .sum()
}

fn value_size(value: &AttributeValue) -> usize {
    match value {
        AttributeValue::S(s) => s.len(),
        AttributeValue::N(n) => n.len().div_ceil(2) + 1,
        AttributeValue::B(b) => b.as_ref().len(),
        AttributeValue::Ss(set) => set.iter().map(String::len).sum(),
        AttributeValue::Ns(set) => set.iter().map(|n| n.len().div_ceil(2) + 1).sum(),
        AttributeValue::Bs(set) => set.iter().map(|b| b.as_ref().len()).sum(),
        AttributeValue::L(list) => 3 + list.iter().map(|v| 1 + value_size(v)).sum::<usize>(),
        AttributeValue::M(map) => {
            3 + map
                .iter()
                .map(|(name, v)| 1 + name.len() + value_size(v))
                .sum::<usize>()
        }
        _ => 1,
    }
}

/// What is left of a page's `PAGE_READ_BYTES`.
#[derive(Debug)]
pub struct ReadBudget {
    left: usize,
    largest: usize,
}

impl Default for ReadBudget {
    fn default() -> Self {
        Self::of(PAGE_READ_BYTES)
    }
}

impl ReadBudget {
    pub fn of(bytes: usize) -> Self {
        Self {
            left: bytes,
            largest: 0,
        }
    }

    /// Counts an item read.
    pub fn spend(&mut self, item: &Attributes) {
        let size = item_size(item);
        self.left = self.left.saturating_sub(size);
        self.largest = self.largest.max(size);
    }

    /// Whether the page has read all it may.
    pub fn spent(&self) -> bool {
        self.left == 0
    }

    /// How many of `remaining` keys the next `BatchGetItem` asks for. The first asks for as
    /// many as, even at the largest item size, overrun the budget by no more than one query page
    /// does (10 of a page's budget: a page of the default size is one round trip).
    fn batch(&self, remaining: usize) -> usize {
        let wanted = if self.largest == 0 {
            self.left.saturating_add(QUERY_PAGE_BYTES) / MAX_ITEM_BYTES
        } else {
            self.left / (2 * self.largest).max(MIN_ITEM_ESTIMATE)
        };
        wanted.clamp(1, MAX_BATCH_KEYS).min(remaining)
    }
}

impl Store {
    /// Up to `limit` resources in creation order (newest first when `descending`), after the one
    /// with id `after`, and within the page's read budget; also says whether more follow. Reads
    /// `limit + 1` items at most, whatever the size of the tenant.
    pub async fn list<T: Stored>(
        &self,
        tenant: &TenantId,
        limit: usize,
        after: Option<&ResourceId>,
        descending: bool,
    ) -> Result<(Vec<T>, bool), StoreError> {
        let mut start = after.map(|id| keys::of::<T>(id));
        let mut budget = ReadBudget::default();
        let mut items = Vec::new();
        let more = loop {
            let wanted = limit + 1 - items.len();
            let (page, last) = self
                .query_page(tenant, T::PREFIX, start, Some(wanted), None, !descending)
                .await?;
            let mut page = page.into_iter();
            for item in page.by_ref() {
                budget.spend(&item);
                items.push(item);
                if budget.spent() {
                    break;
                }
            }
            if items.len() > limit {
                items.truncate(limit);
                break true;
            }
            if budget.spent() {
                break page.next().is_some() || last.is_some();
            }
            start = last;
            if start.is_none() {
                break false;
            }
        };
        let resources = items.into_iter().map(decode).collect::<Result<_, _>>()?;
        Ok((resources, more))
    }

    /// The resources with these ids, in the order given, skipping any that no longer exist.
    pub async fn get_many<T: Stored>(
        &self,
        tenant: &TenantId,
        ids: &[ResourceId],
    ) -> Result<Vec<T>, StoreError> {
        let (found, _) = self
            .get_within(tenant, ids, &mut ReadBudget::of(usize::MAX))
            .await?;
        Ok(found)
    }

    /// The resources with the first ids of `ids`, in the order given, skipping any that no longer
    /// exist, read until `budget` is spent (always at least one id); also how many ids were
    /// read, so that a page ends after the last of them.
    pub async fn get_within<T: Stored>(
        &self,
        tenant: &TenantId,
        ids: &[ResourceId],
        budget: &mut ReadBudget,
    ) -> Result<(Vec<T>, usize), StoreError> {
        let mut found: HashMap<ResourceId, T> = HashMap::new();
        let mut covered = 0;
        while covered < ids.len() && !(budget.spent() && covered > 0) {
            let batch = &ids[covered..covered + budget.batch(ids.len() - covered)];
            let unread = self.batch_get(tenant, batch, budget, &mut found).await?;
            // Where the budget ran out before DynamoDB answered every key, the page ends before
            // the first key it did not answer.
            covered += batch
                .iter()
                .position(|id| unread.contains(id))
                .unwrap_or(batch.len());
        }
        let resources = ids[..covered]
            .iter()
            .filter_map(|id| found.remove(id))
            .collect();
        Ok((resources, covered))
    }

    /// One batch of keys read, the keys DynamoDB leaves unprocessed asked again (with backoff)
    /// until none remain or the budget is spent; returns the ids still unread.
    async fn batch_get<T: Stored>(
        &self,
        tenant: &TenantId,
        ids: &[ResourceId],
        budget: &mut ReadBudget,
        found: &mut HashMap<ResourceId, T>,
    ) -> Result<HashSet<ResourceId>, StoreError> {
        let mut pending: Vec<Attributes> = ids
            .iter()
            .map(|id| keys::item(keys::tenant(tenant), keys::of::<T>(id)))
            .collect();
        let mut attempt = 0;
        while !pending.is_empty() {
            let request = KeysAndAttributes::builder()
                .set_keys(Some(std::mem::take(&mut pending)))
                .consistent_read(true)
                .build()
                .map_err(StoreError::internal)?;
            let output = self
                .client
                .batch_get_item()
                .request_items(&self.table, request)
                .send()
                .await?;
            for item in output
                .responses
                .unwrap_or_default()
                .remove(&self.table)
                .unwrap_or_default()
            {
                budget.spend(&item);
                let resource: T = decode(item)?;
                found.insert(*resource.id(), resource);
            }
            if let Some(mut unprocessed) = output.unprocessed_keys
                && let Some(rest) = unprocessed.remove(&self.table)
            {
                pending = rest.keys;
                let read_some = ids.iter().any(|id| found.contains_key(id));
                if budget.spent() && read_some {
                    break;
                }
                backoff(attempt).await;
                attempt += 1;
                if attempt > MAX_ATTEMPTS {
                    return Err(StoreError::Unavailable);
                }
            }
        }
        Ok(pending
            .iter()
            .filter_map(|key| key.get(keys::SK)?.as_s().ok())
            .filter_map(|sk| ResourceId::parse(sk.strip_prefix(T::PREFIX)?))
            .collect())
    }
}
