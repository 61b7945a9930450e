//! What each typed outcome of the store means to the client: its status, code and words, in
//! one place. The store never words an answer (`store::StoreError`); `ApiError` carries the
//! contract's codes; this is where one becomes the other, so a handler's `?` on a store call
//! answers the contract's error.

use crate::error::{ApiError, Problem};
use crate::store::StoreError;

/// What each outcome of the store means to the client: the one place its words are chosen.
impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::NotFound(what) => Self::not_found(what),
            StoreError::EmailTaken => Self::Conflict(Problem::field(
                "email",
                "is already used by another contact",
            )),
            StoreError::NameTaken => {
                Self::Conflict(Problem::field("name", "is already used by another group"))
            }
            StoreError::UnknownGroups(ids) => Self::Unprocessable(
                ids.iter()
                    .map(|id| Problem::field("groups", format!("group {id} does not exist")))
                    .collect(),
            ),
            StoreError::PreconditionFailed => Self::PreconditionFailed(
                "the resource has changed since the version the request is based on".into(),
            ),
            StoreError::Stale => Self::PreconditionFailed(
                "the resource changed while the request was processed".into(),
            ),
            StoreError::Contended => Self::Conflict(Problem::general(
                "the resource is being changed by other requests; retry",
            )),
            StoreError::TooManyItems => Self::unprocessable(
                "groups",
                format!(
                    "one request can add or remove at most {} groups of a contact",
                    crate::store::MAX_GROUP_CHANGES
                ),
            ),
            StoreError::GroupHasMembers => Self::Conflict(Problem::general(
                "the group still has contacts; remove them from it first",
            )),
            StoreError::ClaimLost => Self::Conflict(Problem::field(
                "Idempotency-Key",
                "another request with this key took it over; nothing was changed",
            )),
            StoreError::KeyReused => Self::unprocessable(
                "Idempotency-Key",
                "was used on a different request (method, path, query or body) in the last 24 hours",
            ),
            StoreError::KeyInUse => Self::Conflict(Problem::field(
                "Idempotency-Key",
                "a request with this key is still running; retry later",
            )),
            StoreError::Unavailable => Self::Unavailable,
            StoreError::Interrupted => Self::Interrupted,
            StoreError::Internal(detail) => Self::Internal(detail),
        }
    }
}
