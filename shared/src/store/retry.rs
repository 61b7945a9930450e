//! The one retry loop of the store: a write that lost a race is tried again on fresh state, at
//! most `MAX_ATTEMPTS` times, with a jittered backoff; after that it is `Contended`.

use std::future::Future;
use std::hash::{BuildHasher, RandomState};
use std::time::Duration;

use super::StoreError;

/// How often a write that lost a race is tried before the client is told 409.
pub(super) const MAX_ATTEMPTS: u32 = 30;

/// Runs `attempt` (given its number, from 0) until it lands (`Some`), at most `MAX_ATTEMPTS`
/// times. An attempt that returns `None` lost a race and has waited its backoff; an error ends
/// the loop at once.
pub(super) async fn retrying<T, E, F, Fut>(mut attempt: F) -> Result<T, E>
where
    E: From<StoreError>,
    F: FnMut(u32) -> Fut,
    Fut: Future<Output = Result<Option<T>, E>>,
{
    for n in 0..MAX_ATTEMPTS {
        if let Some(done) = attempt(n).await? {
            return Ok(done);
        }
    }
    Err(StoreError::Contended.into())
}

/// Full-jitter exponential backoff, 2 ms doubling to at most 64 ms, so racing writers spread out.
pub(super) async fn backoff(attempt: u32) {
    let ceiling_ms = 2u64 << attempt.min(5);
    let jitter = RandomState::new().hash_one(attempt) % ceiling_ms;
    tokio::time::sleep(Duration::from_millis(jitter + 1)).await;
}
