//! Running a request under its `Idempotency-Key` (see [`crate::idempotency`]).

use std::future::Future;

use super::batch::ANSWER_TIME;
use crate::App;
use crate::envelope::Reply;
use crate::error::ApiError;
use crate::idempotency::{Admission, Claim, IdempotencyKey, StoredReply};
use crate::identity::TenantId;

/// What a request run under a key answered, and whether that answer is final: a batch with
/// items it did not do (`batch::all_done`) is not, so its answer is not stored and a retry with
/// the key does them.
pub struct Finished {
    pub reply: Reply,
    pub last: bool,
}

/// Runs `work` under the request's key, if it sent one (see `run_finishing`).
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
    run_finishing(app, tenant, key, |claim| async move {
        let reply = work(claim).await?;
        Ok(Finished { reply, last: true })
    })
    .await
}

/// Runs `work` under the request's key, if it sent one: a stored answer is replayed instead; a
/// final successful answer is stored (unless `work` stored it with its write) and only then
/// given, so a 2xx always means a retry replays it; an answer that could not be stored is a
/// 503 that frees the key. An answer that is not final, and a refused request, free the key,
/// so that a retry runs. A request cut off with its outcome unknown keeps the key until the
/// lock expires: its write may have landed. Storing the answer, or freeing the key, takes at most
/// `ANSWER_TIME` (what a batch keeps for it before its deadline); one cut off is a 503 (the
/// answer may or may not be stored), or a key left to expire.
pub async fn run_finishing<F, Fut>(
    app: &App,
    tenant: &TenantId,
    key: Option<IdempotencyKey>,
    work: F,
) -> Result<Reply, ApiError>
where
    F: FnOnce(Option<Claim>) -> Fut,
    Fut: Future<Output = Result<Finished, ApiError>>,
{
    let Some(key) = key else {
        return work(None).await.map(|finished| finished.reply);
    };
    let claim = match app.store.claim(tenant, key).await? {
        Admission::Replay(stored) => return stored.into_reply(),
        Admission::Proceed(claim) => claim,
    };
    match work(Some(claim.clone())).await {
        Ok(finished) if claim.is_stored() => Ok(finished.reply),
        Ok(Finished { reply, last: true }) => {
            // Stored, or the key freed, within `ANSWER_TIME` in all.
            let stored = tokio::time::timeout(ANSWER_TIME, async {
                let stored = app
                    .store
                    .complete(tenant, &claim, &StoredReply::of(&reply))
                    .await;
                if let Err(err) = &stored {
                    tracing::warn!(error = ?err, "the answer of an idempotent request was not stored");
                    if let Err(err) = app.store.release(tenant, &claim).await {
                        tracing::warn!(error = ?err, "an idempotency key was not released");
                    }
                }
                stored
            })
            .await;
            match stored {
                Ok(Ok(())) => Ok(reply),
                Ok(Err(_)) | Err(_) => Err(ApiError::Interrupted),
            }
        }
        Ok(Finished { reply, last: false }) => {
            release(app, tenant, &claim).await;
            Ok(reply)
        }
        Err(ApiError::Interrupted) => Err(ApiError::Interrupted),
        Err(err) => {
            release(app, tenant, &claim).await;
            Err(err)
        }
    }
}

/// Frees the key within `ANSWER_TIME`, logging a failure (the lock then expires on its own).
async fn release(app: &App, tenant: &TenantId, claim: &Claim) {
    match tokio::time::timeout(ANSWER_TIME, app.store.release(tenant, claim)).await {
        Ok(Ok(())) => {}
        Ok(Err(err)) => tracing::warn!(error = ?err, "an idempotency key was not released"),
        Err(_) => tracing::warn!("an idempotency key was not released in time"),
    }
}
