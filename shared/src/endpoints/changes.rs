//! The change feed's two functions: `GET /v1/changes` (list-changes) reads a tenant's entries,
//! and `record_changes` (record-changes, the DynamoDB Streams consumer) writes them.

use std::time::Duration;

use aws_lambda_events::event::dynamodb::Event;
use aws_lambda_events::event::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use lambda_http::Request;
use serde_json::json;

use crate::App;
use crate::changes::{Change, RETENTION};
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
/// How old a cursor that did not move gets before an answer renews it (milliseconds).
const RENEWAL_MS: u64 = 24 * 60 * 60 * 1000;

/// `GET /v1/changes`: the tenant's changes after `since` (a cursor this endpoint gave), oldest
/// first, only those recorded longer ago than the settle time. `nextCursor` is always given:
/// the position to ask from next time; `hasMore` says whether more are ready now. A cursor
/// older than the feed's retention is 410 `gone`: changes after it may have expired.
pub async fn list_changes(app: &App, request: Request) -> Result<Reply, ApiError> {
    let principal = app.authorize(request.headers(), Scope::Read).await?;
    let tenant = &principal.tenant;
    let query = Query::parse(&request, &CHANGE_PARAMETERS)?;
    let limit = query.limit(DEFAULT_LIMIT)?;
    let now = (app.clock)();
    let since = match query.single("since")? {
        None => Position::default(),
        Some(cursor) => Position::parse(&app.cursors()?.open(tenant, FEED, cursor)?)?,
    };
    if since
        .seen_through()
        .is_some_and(|ms| ms < millis(now.saturating_sub(RETENTION)))
    {
        return Err(ApiError::Gone(
            "the cursor is older than the change feed's 7 days: changes after it may have \
             expired; read the resources again and follow the feed without since"
                .into(),
        ));
    }
    let settled = millis(now.saturating_sub(app.changes_settle));
    let entries = app
        .store
        .changes_after(tenant, since.after.as_ref(), limit + 1)
        .await?;
    let ready: Vec<&(ResourceId, Change)> = entries
        .iter()
        .take_while(|(id, _)| id.unix_millis().is_some_and(|ms| ms < settled))
        .take(limit)
        .collect();
    let has_more = entries.len() > ready.len() && ready.len() == limit;
    // Everything settled has been read unless the page was full. A cursor that moved records
    // that; one that did not stays the same, renewed once it is a day old, so a client that
    // keeps polling never reaches the retention while one that stopped does.
    let stale = since
        .seen_through()
        .is_none_or(|ms| ms.saturating_add(RENEWAL_MS) < settled);
    let checked = if has_more {
        None
    } else if !ready.is_empty() || stale {
        Some(settled)
    } else {
        since.checked
    };
    let next = Position {
        after: ready.last().map(|(id, _)| *id).or(since.after),
        checked,
    };
    let next_cursor = app.cursors()?.seal(tenant, FEED, &next.to_string());
    let items: Vec<&Change> = ready.iter().map(|(_, change)| change).collect();
    Reply::ok(&json!({
        "items": items,
        "nextCursor": next_cursor,
        "hasMore": has_more,
    }))
}

/// Where a feed cursor stands: after an entry (`after`), and read through a moment (`checked`,
/// epoch milliseconds: every entry recorded before it has been returned). Written as
/// `<entry id>@<ms>`, either part empty; a cursor of an earlier version holds the entry id
/// alone (or nothing).
#[derive(Debug, Default, PartialEq)]
struct Position {
    after: Option<ResourceId>,
    checked: Option<u64>,
}

impl Position {
    fn parse(raw: &str) -> Result<Self, ApiError> {
        let bad = || ApiError::malformed("since", "the cursor is not valid for this feed");
        let (after, checked) = match raw.split_once('@') {
            Some((after, checked)) => (after, Some(checked.parse().map_err(|_| bad())?)),
            None => (raw, None),
        };
        let after = match after {
            "" => None,
            id => Some(ResourceId::parse(id).ok_or_else(bad)?),
        };
        Ok(Self { after, checked })
    }

    /// How far the cursor's holder has read, in epoch milliseconds; `None` for the start.
    fn seen_through(&self) -> Option<u64> {
        self.checked
            .or_else(|| self.after.and_then(|id| id.unix_millis()))
    }
}

impl std::fmt::Display for Position {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(after) = self.after {
            write!(f, "{after}")?;
        }
        if let Some(checked) = self.checked {
            write!(f, "@{checked}")?;
        }
        Ok(())
    }
}

fn millis(since_epoch: Duration) -> u64 {
    u64::try_from(since_epoch.as_millis()).unwrap_or(u64::MAX)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_position_reads_back_as_written_and_earlier_cursors_still_read() {
        let id = ResourceId::new();
        for position in [
            Position::default(),
            Position {
                after: Some(id),
                checked: None,
            },
            Position {
                after: None,
                checked: Some(7),
            },
            Position {
                after: Some(id),
                checked: Some(7),
            },
        ] {
            assert_eq!(Position::parse(&position.to_string()).unwrap(), position);
        }
        assert_eq!(Position::parse("").unwrap(), Position::default());
        assert!(Position::parse("x@1").is_err() && Position::parse("@x").is_err());
        let at = Position {
            after: Some(id),
            checked: None,
        };
        assert_eq!(at.seen_through(), id.unix_millis());
    }
}
