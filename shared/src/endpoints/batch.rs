//! The engine bulk delete and import share: every item on its own, `CONCURRENCY` at a time, each
//! result in the order given; an item answered without DynamoDB (a malformed id, an invalid
//! contact) is answered at once. Every item must be done by the batch's `Deadline` (the
//! invocation's, less `ANSWER_RESERVE` to store and send the answer): an item that would not
//! have the time the items so far took on average (at least `MIN_ITEM_TIME`) is not tried and is
//! `unavailable`, and one still running at the deadline is cut off and `interrupted`, so the
//! function answers before Lambda stops it however many DynamoDB calls an item makes and however
//! slow they are. What became of each item is a typed `Status`, which the answers serialize and
//! count.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures::StreamExt;
use lambda_http::{Request, RequestExt};
use serde::Serialize;

use crate::clock::since_epoch;
use crate::error::ApiError;

/// How many items of one batch run at once.
pub const CONCURRENCY: usize = 8;
/// The functions' timeout (template.yaml), which a batch goes by when there is no Lambda
/// deadline (a direct call).
const FUNCTION_TIMEOUT: Duration = Duration::from_secs(10);
/// What a batch keeps after its items: storing the answer of a keyed batch (one DynamoDB attempt
/// is at most 2 s) and sending it.
pub const ANSWER_RESERVE: Duration = Duration::from_millis(2_500);
/// The longest storing a keyed batch's answer, or freeing its key, may take: within
/// `ANSWER_RESERVE`, with time left to send the answer.
pub const ANSWER_TIME: Duration = Duration::from_millis(2_200);
/// The least time an item is started with.
pub const MIN_ITEM_TIME: Duration = Duration::from_secs(1);

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

/// When every item of a batch must be done: the invocation's deadline less `ANSWER_RESERVE`.
#[derive(Debug, Clone, Copy)]
pub struct Deadline(Instant);

impl Deadline {
    /// The request's: from its Lambda context, or `FUNCTION_TIMEOUT` from now without one.
    pub fn of(request: &Request) -> Self {
        Self::from_invocation(request.lambda_context_ref().map(|c| c.deadline))
    }

    /// From the invocation's deadline in epoch milliseconds. Lambda never runs a handler past
    /// its deadline; an emulator may send one already past (`cargo lambda watch` does), which
    /// is taken as none, so a batch behaves the same there as under API Gateway.
    pub fn from_invocation(invocation_deadline_ms: Option<u64>) -> Self {
        let left = invocation_deadline_ms
            .and_then(|deadline| u128::from(deadline).checked_sub(since_epoch().as_millis()))
            .map_or(FUNCTION_TIMEOUT, |left| {
                Duration::from_millis(u64::try_from(left).unwrap_or(u64::MAX))
            });
        Self::at(Instant::now() + left.saturating_sub(ANSWER_RESERVE))
    }

    /// Items must be done at `instant`.
    pub fn at(instant: Instant) -> Self {
        Self(instant)
    }
}

/// Runs `work` on every item that needs it (`Ok`), `CONCURRENCY` at a time; an item already
/// answered (`Err`) keeps its answer. An item is started only when the time the items so far
/// took on average (at least `MIN_ITEM_TIME`) is left before `deadline`, else `answer` says it is
/// `Unavailable`; an item still running at `deadline` is dropped where it stands, and `answer`
/// says it is `Interrupted` (its write may have landed). The results are in the order of the
/// items.
pub async fn run<W, R, Fut>(
    items: Vec<Result<W, R>>,
    deadline: Deadline,
    answer: impl Fn(usize, &W, Status) -> R,
    work: impl Fn(usize, W) -> Fut,
) -> Vec<R>
where
    Fut: Future<Output = R>,
{
    // How long the items done so far took, in all (milliseconds), and how many they are.
    let (spent, done) = (&AtomicU64::new(0), &AtomicU64::new(0));
    let (answer, work) = (&answer, &work);
    futures::stream::iter(items.into_iter().enumerate())
        .map(|(index, item)| async move {
            let item = match item {
                Err(answered) => return answered,
                Ok(item) => item,
            };
            let started = Instant::now();
            let average = spent.load(Ordering::Relaxed) / done.load(Ordering::Relaxed).max(1);
            let needs = Duration::from_millis(average).max(MIN_ITEM_TIME);
            if started + needs > deadline.0 {
                return answer(index, &item, Status::Unavailable);
            }
            let cut = answer(index, &item, Status::Interrupted);
            let until = tokio::time::Instant::from_std(deadline.0);
            match tokio::time::timeout_at(until, work(index, item)).await {
                Ok(result) => {
                    let took = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
                    spent.fetch_add(took, Ordering::Relaxed);
                    done.fetch_add(1, Ordering::Relaxed);
                    result
                }
                Err(_) => cut,
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
    fn the_answer_keeps_its_reserve_and_an_emulators_past_deadline_is_none() {
        let now_ms = u64::try_from(since_epoch().as_millis()).unwrap_or(u64::MAX);
        assert!(Deadline::from_invocation(Some(now_ms + 2_000)).0 <= Instant::now());
        let past = Deadline::from_invocation(Some(now_ms - 5_000)).0;
        assert!(past > Instant::now() + FUNCTION_TIMEOUT - ANSWER_RESERVE - Duration::from_secs(1));
        let direct = Deadline::from_invocation(None).0;
        assert!(
            direct > Instant::now() + FUNCTION_TIMEOUT - ANSWER_RESERVE - Duration::from_secs(1)
        );
        let lambda = Deadline::from_invocation(Some(now_ms + 10_000)).0;
        assert!(lambda <= Instant::now() + FUNCTION_TIMEOUT - ANSWER_RESERVE);
    }

    /// Items that take longer than the time left are cut off at the deadline (`interrupted`),
    /// and an item with less than `MIN_ITEM_TIME` left is not started (`unavailable`): the batch
    /// ends by its deadline however slow each item is.
    #[tokio::test]
    async fn slow_items_are_cut_off_at_the_deadline_and_later_ones_not_started() {
        let started = Instant::now();
        let deadline = Deadline::at(started + Duration::from_millis(1_500));
        let items: Vec<Result<u64, Status>> = (0..20).map(Ok).collect();
        let results = run(
            items,
            deadline,
            |_, _, status| status,
            |_, i| async move {
                // The first wave is quick, the rest hang.
                let wait = if i < 8 { 10 } else { 60_000 };
                tokio::time::sleep(Duration::from_millis(wait)).await;
                Status::Deleted
            },
        )
        .await;
        assert!(
            started.elapsed() < Duration::from_millis(1_700),
            "{:?}",
            started.elapsed()
        );
        assert!(
            results[..8].iter().all(|s| *s == Status::Deleted),
            "{results:?}"
        );
        // The second wave started with time left and was cut off; the third had none left.
        assert!(
            results[8..16].iter().all(|s| *s == Status::Interrupted),
            "{results:?}"
        );
        assert!(
            results[16..].iter().all(|s| *s == Status::Unavailable),
            "{results:?}"
        );
        let late = Deadline::at(Instant::now() + Duration::from_millis(500));
        let results = run(
            vec![Ok::<u64, Status>(1)],
            late,
            |_, _, s| s,
            |_, _| async { Status::Deleted },
        )
        .await;
        assert_eq!(
            results,
            [Status::Unavailable],
            "under MIN_ITEM_TIME left: not started"
        );
    }

    #[test]
    fn echoes_are_cut_at_100_characters() {
        assert_eq!(echo("short"), "short");
        let cut = echo(&"é".repeat(150));
        assert_eq!(cut.chars().count(), MAX_ECHO + 1);
        assert!(cut.ends_with('…'));
    }
}
