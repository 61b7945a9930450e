//! The change feed's two functions: `GET /v1/changes` (list-changes) reads a tenant's entries,
//! and `record_changes` (record-changes, the DynamoDB Streams consumer) writes them.

use std::time::Duration;

use aws_lambda_events::event::dynamodb::Event;
use aws_lambda_events::event::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use lambda_http::Request;
use serde_json::json;

use crate::App;
use crate::changes::Change;
use crate::clock::since_epoch;
use crate::envelope::Reply;
use crate::error::ApiError;
use crate::http::Query;
use crate::identity::Scope;
use crate::resource::ResourceId;
use crate::store::{Store, from_record};

/// The query parameters of `GET /v1/changes`.
pub const CHANGE_PARAMETERS: [&str; 2] = ["since", "limit"];
const DEFAULT_LIMIT: usize = 100;
/// What feed cursors are bound to, besides the tenant.
const FEED: &str = "changes";

/// `GET /v1/changes`: the tenant's changes after `since` (a cursor this endpoint gave), oldest
/// first, only those recorded longer ago than the settle time. `nextCursor` is always given:
/// the position to ask from next time; `hasMore` says whether more are ready now.
pub async fn list_changes(app: &App, request: Request) -> Result<Reply, ApiError> {
    let principal = app.authorize(request.headers(), Scope::Read).await?;
    let tenant = &principal.tenant;
    let query = Query::parse(&request, &CHANGE_PARAMETERS)?;
    let limit = query.limit(DEFAULT_LIMIT)?;
    let after = match query.single("since")? {
        None => None,
        Some(cursor) => {
            let position = app.cursors()?.open(tenant, FEED, cursor)?;
            match position.as_str() {
                "" => None,
                id => Some(ResourceId::parse(id).ok_or_else(|| {
                    ApiError::malformed("since", "the cursor is not valid for this feed")
                })?),
            }
        }
    };
    let settled = settled_before(app.changes_settle);
    let entries = app
        .store
        .changes_after(tenant, after.as_ref(), limit + 1)
        .await?;
    let ready: Vec<&(ResourceId, Change)> = entries
        .iter()
        .take_while(|(id, _)| id.unix_millis().is_some_and(|ms| ms < settled))
        .take(limit)
        .collect();
    let last = ready.last().map(|(id, _)| *id).or(after);
    let next_cursor = app.cursors()?.seal(
        tenant,
        FEED,
        &last.map(|id| id.to_string()).unwrap_or_default(),
    );
    let items: Vec<&Change> = ready.iter().map(|(_, change)| change).collect();
    Reply::ok(&json!({
        "items": items,
        "nextCursor": next_cursor,
        "hasMore": entries.len() > ready.len() && ready.len() == limit,
    }))
}

/// Epoch milliseconds before which an entry is settled.
fn settled_before(settle: Duration) -> u64 {
    u64::try_from(since_epoch().saturating_sub(settle).as_millis()).unwrap_or(u64::MAX)
}

/// The stream consumer: records a change entry for every contact or group write, in the order
/// of the batch. At the first entry that cannot be written it stops and reports that record, so
/// Lambda retries from there and an item's changes are never recorded out of order.
pub async fn record_changes(store: &Store, event: Event) -> DynamoDbEventResponse {
    let mut response = DynamoDbEventResponse::default();
    for record in &event.records {
        let Some((tenant, change)) = from_record(record) else {
            continue;
        };
        if let Err(err) = store.record_change(&tenant, &change).await {
            tracing::error!(error = ?err, "a change was not recorded; the batch resumes here");
            let mut failure = DynamoDbBatchItemFailure::default();
            failure.item_identifier = record.change.sequence_number.clone();
            response.batch_item_failures.push(failure);
            break;
        }
    }
    response
}
