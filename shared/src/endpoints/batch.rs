//! The engine bulk delete and import share: every item on its own, `CONCURRENCY` at a time, each
//! result in the order given; an item answered without DynamoDB (a malformed id, an invalid
//! contact) is answered at once, and an item whose work would start after the deadline is not
//! tried but reported `unavailable`, so the function answers before Lambda stops it. What became
//! of each item is a typed `Status`, which the answers serialize and count.

use std::future::Future;
use std::time::{Duration, Instant};

use futures::StreamExt;
use lambda_http::{Request, RequestExt};
use serde::Serialize;

use crate::app::OPERATION_TIMEOUT;
use crate::clock::since_epoch;
use crate::error::ApiError;

/// How many items of one batch run at once.
pub const CONCURRENCY: usize = 8;
/// How long a batch may keep starting items when there is no Lambda deadline to go by.
const BUDGET: Duration = Duration::from_secs(8);

/// What became of one item of a batch, as the answer names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Bulk delete: deleted.
    Deleted,
    /// Bulk delete: no such contact.
    NotFound,
    /// Bulk delete: not a contact id.
    InvalidId,
    /// Import: a new contact.
    Created,
    /// Import: the contact with the address, replaced.
    Updated,
    /// Import: the item is not a valid contact.
    Invalid,
    /// Import: the address is taken, or given twice in the import.
    Conflict,
    /// Not tried (the deadline), or DynamoDB was unavailable: nothing was written.
    Unavailable,
    /// Cut off while DynamoDB was writing it (no answer in time): it may or may not have been
    /// written; read it back before sending it again.
    Interrupted,
    /// An unexpected failure (logged).
    Error,
}

/// The last moment an item may start: a DynamoDB call's whole time budget before the
/// invocation's deadline (from the Lambda context), or a budget of its own where there is no
/// context.
pub fn deadline(request: &Request) -> Instant {
    start_deadline(request.lambda_context_ref().map(|c| c.deadline))
}

/// `deadline`, from the invocation's deadline in epoch milliseconds.
pub fn start_deadline(invocation_deadline_ms: Option<u64>) -> Instant {
    let now = Instant::now();
    // A deadline already past leaves no time (not the budget of a request without one).
    let remaining = invocation_deadline_ms.map(|deadline| {
        let left = u128::from(deadline).saturating_sub(since_epoch().as_millis());
        Duration::from_millis(u64::try_from(left).unwrap_or(u64::MAX))
    });
    match remaining {
        Some(left) => now + left.saturating_sub(OPERATION_TIMEOUT + Duration::from_millis(500)),
        None => now + BUDGET,
    }
}

/// Runs `work` on every item that needs it (`Ok`), `CONCURRENCY` at a time; an item already
/// answered (`Err`) keeps its answer, and one reached after `deadline` is answered by
/// `skipped` instead. The results are in the order of the items.
pub async fn run<W, R, Fut>(
    items: Vec<Result<W, R>>,
    deadline: Instant,
    skipped: impl Fn(usize, W) -> R,
    work: impl Fn(usize, W) -> Fut,
) -> Vec<R>
where
    Fut: Future<Output = R>,
{
    let (skipped, work) = (&skipped, &work);
    futures::stream::iter(items.into_iter().enumerate())
        .map(|(index, item)| async move {
            match item {
                Err(answered) => answered,
                Ok(item) if Instant::now() >= deadline => skipped(index, item),
                Ok(item) => work(index, item).await,
            }
        })
        .buffered(CONCURRENCY)
        .collect()
        .await
}

/// The status of an item whose work failed with `err`: what `expected` says for the failures
/// that are the item's own, `Unavailable` when DynamoDB was, anything else `Error` (logged).
pub fn failed(err: &ApiError, expected: impl Fn(&ApiError) -> Option<Status>) -> Status {
    if let Some(status) = expected(err) {
        return status;
    }
    match err {
        ApiError::Unavailable => Status::Unavailable,
        ApiError::Interrupted => Status::Interrupted,
        _ => {
            tracing::error!(error = ?err, "one item of a batch failed");
            Status::Error
        }
    }
}

/// Whether every item was done (well or not): none was left untried (`Unavailable`) or cut off
/// (`Interrupted`). Only such an answer is stored under an `Idempotency-Key`, so that a retry
/// does the items that were not done instead of replaying that they were not.
pub fn all_done<R>(results: &[R], of: impl Fn(&R) -> Status) -> bool {
    results
        .iter()
        .all(|r| !matches!(of(r), Status::Unavailable | Status::Interrupted))
}

/// The most characters of a request's own text (an invalid id, a field name, a message that
/// quotes one) an answer echoes, so that a stored answer of 100 items always fits one DynamoDB
/// item (400 KB).
pub const MAX_ECHO: usize = 100;

/// `text` cut to `MAX_ECHO` characters, with `…` when it was cut.
pub fn echo(text: &str) -> String {
    match text.char_indices().nth(MAX_ECHO) {
        None => text.to_string(),
        Some((end, _)) => format!("{}…", &text[..end]),
    }
}

/// How many of `results` have `status`.
pub fn count<R>(results: &[R], status: Status, of: impl Fn(&R) -> Status) -> usize {
    results.iter().filter(|r| of(r) == status).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An item cut off in flight may have been written: it is `interrupted`, not `unavailable`
    /// ("nothing was written"); either keeps a batch's answer from being stored.
    #[test]
    fn an_item_cut_off_is_interrupted_and_neither_counts_as_done() {
        let none = |_: &ApiError| None;
        assert_eq!(failed(&ApiError::Interrupted, none), Status::Interrupted);
        assert_eq!(failed(&ApiError::Unavailable, none), Status::Unavailable);
        assert_eq!(serde_json::json!(Status::Interrupted), "interrupted");
        let status = |s: &Status| *s;
        assert!(all_done(&[Status::Deleted, Status::NotFound], status));
        assert!(!all_done(&[Status::Deleted, Status::Interrupted], status));
        assert!(!all_done(&[Status::Unavailable], status));
    }

    #[test]
    fn a_deadline_already_past_leaves_no_time() {
        let now_ms = u64::try_from(since_epoch().as_millis()).unwrap_or(u64::MAX);
        assert!(start_deadline(Some(now_ms - 5_000)) <= Instant::now());
        assert!(start_deadline(None) > Instant::now() + Duration::from_secs(7));
    }

    #[test]
    fn echoes_are_cut_at_100_characters() {
        assert_eq!(echo("short"), "short");
        let cut = echo(&"é".repeat(150));
        assert_eq!(cut.chars().count(), MAX_ECHO + 1);
        assert!(cut.ends_with('…'));
    }
}
