//! The API's one error type: every failure a handler can meet, each with the stable `code` and
//! HTTP status of the contract (docs/api.md, "The contract in short"). Handlers use `?`; only `envelope` turns
//! an `ApiError` into a response. What the store's typed outcomes mean to a client is
//! decided in the `answers` module.

use lambda_http::http::StatusCode;
use serde::Serialize;

/// The media types PATCH accepts, as `Accept-Patch` lists them.
pub const ACCEPT_PATCH: &str =
    "application/json-patch+json, application/merge-patch+json, application/json";

/// One entry of the envelope's `errors` array, without its `code` (the error's variant gives it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl Problem {
    /// A problem with one input field.
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            field: Some(field.into()),
        }
    }

    /// A problem with the request as a whole.
    pub fn general(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            field: None,
        }
    }
}

/// Everything that can go wrong in a request, as the contract names it.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400 `not_valid`: the request cannot be read (syntax, types, unknown names).
    #[error("request malformed")]
    Malformed(Vec<Problem>),
    #[error("authentication required: {0}")]
    Unauthenticated(String),
    #[error("permission denied: {0}")]
    PermissionDenied(String),
    #[error("not found")]
    NotFound(String),
    #[error("method not allowed")]
    MethodNotAllowed { allow: Vec<&'static str> },
    #[error("conflict")]
    Conflict(Problem),
    #[error("precondition failed")]
    PreconditionFailed(String),
    /// 410 `gone`: what the request names is no longer kept (a change-feed cursor older than
    /// the feed's retention).
    #[error("gone")]
    Gone(String),
    #[error("payload too large")]
    PayloadTooLarge,
    #[error("unsupported media type")]
    UnsupportedMediaType(String),
    /// A PATCH in a format it does not take; answered with `Accept-Patch`.
    #[error("unsupported patch media type")]
    UnsupportedPatchType,
    /// 422 `validation_failed`: well-formed input that breaks a rule.
    #[error("validation failed")]
    Unprocessable(Vec<Problem>),
    /// 503 `unavailable`, refused before anything changed (throttling, a conflicting
    /// transaction): a retry is safe.
    #[error("service unavailable")]
    Unavailable,
    /// 503 `unavailable`, cut off before DynamoDB answered (a timeout, a lost connection): a
    /// write may or may not have landed.
    #[error("service unavailable, outcome unknown")]
    Interrupted,
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    /// A 400 about one field.
    pub fn malformed(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Malformed(vec![Problem::field(field, message)])
    }

    /// A 422 about one field.
    pub fn unprocessable(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Unprocessable(vec![Problem::field(field, message)])
    }

    /// A 404 for the kind of resource named.
    pub fn not_found(what: &str) -> Self {
        Self::NotFound(format!("{what} not found"))
    }

    /// A bug or an unexpected backend answer; the detail goes to the log, never to the client.
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        Self::Internal(detail.to_string())
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Self::Malformed(_) => StatusCode::BAD_REQUEST,
            Self::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
            Self::PermissionDenied(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::PreconditionFailed(_) => StatusCode::PRECONDITION_FAILED,
            Self::Gone(_) => StatusCode::GONE,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType(_) | Self::UnsupportedPatchType => {
                StatusCode::UNSUPPORTED_MEDIA_TYPE
            }
            Self::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Unavailable | Self::Interrupted => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The stable code of the contract's error table (docs/api.md).
    pub fn code(&self) -> &'static str {
        match self {
            Self::Malformed(_) => "not_valid",
            Self::Unauthenticated(_) => "invalid_authentication",
            Self::PermissionDenied(_) => "permission_denied",
            Self::NotFound(_) => "not_found",
            Self::MethodNotAllowed { .. } => "method_not_allowed",
            Self::Conflict(_) => "conflict",
            Self::PreconditionFailed(_) => "precondition_failed",
            Self::Gone(_) => "gone",
            Self::PayloadTooLarge => "payload_too_large",
            Self::UnsupportedMediaType(_) | Self::UnsupportedPatchType => "unsupported_media_type",
            Self::Unprocessable(_) => "validation_failed",
            Self::Unavailable | Self::Interrupted => "unavailable",
            Self::Internal(_) => "system_error",
        }
    }

    /// What the client is told: one entry per problem, never internal detail.
    pub fn problems(&self) -> Vec<Problem> {
        match self {
            Self::Malformed(problems) | Self::Unprocessable(problems) => problems.clone(),
            Self::Conflict(problem) => vec![problem.clone()],
            Self::Unauthenticated(message)
            | Self::PermissionDenied(message)
            | Self::NotFound(message)
            | Self::PreconditionFailed(message)
            | Self::Gone(message)
            | Self::UnsupportedMediaType(message) => vec![Problem::general(message.clone())],
            Self::MethodNotAllowed { .. } => {
                vec![Problem::general("this method is not allowed on this path")]
            }
            Self::UnsupportedPatchType => vec![Problem::general(
                "PATCH takes application/json-patch+json, application/merge-patch+json or application/json",
            )],
            Self::PayloadTooLarge => vec![Problem::general("the request body is over 256 KiB")],
            Self::Unavailable => vec![Problem::general(
                "the service is temporarily unavailable; nothing was changed, retry later",
            )],
            Self::Interrupted => vec![Problem::general(
                "the service did not answer in time; a write may or may not have been applied, \
                 read the resource before retrying",
            )],
            Self::Internal(_) => vec![Problem::general("an unexpected error occurred")],
        }
    }
}
