//! Running a request under its `Idempotency-Key` (see [`crate::idempotency`]).

use std::future::Future;

use crate::App;
use crate::envelope::Reply;
use crate::error::ApiError;
use crate::idempotency::{Admission, Claim, IdempotencyKey, StoredReply};
use crate::identity::TenantId;

/// Runs `work` under the request's key, if it sent one: a stored answer is replayed instead,
/// a successful answer is stored (unless `work` stored it with its write), and a refused request
/// frees its key so that a corrected retry runs. A request cut off with its outcome unknown keeps
/// the key until the lock expires: its write may have landed.
pub async fn run<F, Fut>(
    app: &App,
    tenant: &TenantId,
    key: Option<IdempotencyKey>,
    work: F,
) -> Result<Reply, ApiError>
where
    F: FnOnce(Option<Claim>) -> Fut,
    Fut: Future<Output = Result<Reply, ApiError>>,
{
    let Some(key) = key else {
        return work(None).await;
    };
    let claim = match app.store.claim(tenant, key).await? {
        Admission::Replay(stored) => return stored.into_reply(),
        Admission::Proceed(claim) => claim,
    };
    let outcome = work(Some(claim.clone())).await;
    match &outcome {
        Ok(_) if claim.is_stored() => {}
        Ok(reply) => {
            if let Err(err) = app
                .store
                .complete(tenant, &claim, &StoredReply::of(reply))
                .await
            {
                tracing::warn!(error = ?err, "the answer of an idempotent request was not stored");
            }
        }
        Err(ApiError::Interrupted) => {}
        Err(_) => {
            if let Err(err) = app.store.release(tenant, &claim).await {
                tracing::warn!(error = ?err, "an idempotency key was not released");
            }
        }
    }
    outcome
}
