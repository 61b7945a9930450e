//! What the store answers when it did not do what it was asked: typed outcomes, never worded
//! for a client. What each means to the client (status, code, message) is decided in one
//! place, `impl From<StoreError> for ApiError` in `crate::error`.

use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};

use crate::resource::ResourceId;

/// Why a store call did not do what it was asked.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    /// No such resource (of the kind named) in the tenant.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The e-mail address is another contact's.
    #[error("the e-mail address is taken")]
    EmailTaken,
    /// The group name is another group's.
    #[error("the group name is taken")]
    NameTaken,
    /// Groups a contact was to join do not exist (or are being deleted).
    #[error("unknown groups {0:?}")]
    UnknownGroups(Vec<ResourceId>),
    /// The request's preconditions (`If-Match`, `If-Unmodified-Since`) do not hold for the
    /// current version.
    #[error("the preconditions do not hold")]
    PreconditionFailed,
    /// The resource changed under a request that named the version it was based on.
    #[error("the resource changed under the request")]
    Stale,
    /// The write lost its race every time it was retried.
    #[error("the resource is contended")]
    Contended,
    /// The write would need more items than one DynamoDB transaction holds.
    #[error("more items than one transaction holds")]
    TooManyItems,
    /// The group still has members, so it is not deleted.
    #[error("the group has members")]
    GroupHasMembers,
    /// The request no longer holds its idempotency key (its lock expired and another took it).
    #[error("the idempotency key was taken over")]
    ClaimLost,
    /// The idempotency key was used on another request.
    #[error("the idempotency key was used on another request")]
    KeyReused,
    /// A request with the idempotency key is still running.
    #[error("a request with the idempotency key is running")]
    KeyInUse,
    /// DynamoDB refused before anything changed (throttling, an outage): a retry is safe.
    #[error("DynamoDB unavailable")]
    Unavailable,
    /// Cut off before DynamoDB answered: a write may or may not have landed.
    #[error("DynamoDB did not answer")]
    Interrupted,
    /// A bug or an unexpected answer; the detail is for the log.
    #[error("{0}")]
    Internal(String),
}

impl StoreError {
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        Self::Internal(detail.to_string())
    }
}

/// DynamoDB failures that no caller handled: throttling and outages are `Unavailable` (the SDK
/// already retried them), a request cut off in flight is `Interrupted`, anything else is a bug
/// or a misconfiguration.
impl<E, R> From<SdkError<E, R>> for StoreError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    fn from(err: SdkError<E, R>) -> Self {
        // Refused before anything changed: safe to retry.
        let refused = match &err {
            SdkError::ServiceError(service) => matches!(
                service.err().code(),
                Some(
                    "ProvisionedThroughputExceededException"
                        | "ThrottlingException"
                        | "RequestLimitExceeded"
                        | "InternalServerError"
                        | "ServiceUnavailable"
                        | "TransactionInProgressException"
                        | "TransactionConflictException"
                )
            ),
            _ => false,
        };
        // Cut off in flight: DynamoDB may have applied the request.
        let interrupted = matches!(
            err,
            SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_)
        );
        let detail = aws_sdk_dynamodb::error::DisplayErrorContext(&err);
        if refused {
            tracing::warn!(error = %detail, "DynamoDB unavailable after retries");
            Self::Unavailable
        } else if interrupted {
            tracing::warn!(error = %detail, "DynamoDB did not answer");
            Self::Interrupted
        } else {
            Self::Internal(detail.to_string())
        }
    }
}

impl From<serde_dynamo::Error> for StoreError {
    fn from(err: serde_dynamo::Error) -> Self {
        Self::internal(err)
    }
}
