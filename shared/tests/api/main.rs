//! The functions' handlers against the real local DynamoDB, one module per function, plus the
//! rules every function shares (authentication, routing).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
// The handlers' futures, wrapped by the request log's tenant slot, nest deeper than the default.
#![recursion_limit = "256"]

mod auth;
mod bulk;
mod changes;
mod compat;
mod create;
mod delete;
mod filters;
mod get;
mod groups;
mod helpers;
mod hostile;
mod idempotency;
mod import;
mod isolation;
mod jwks;
mod keys;
mod list;
mod pages;
mod patch;
mod policies;
mod routing;
mod search;
mod slow;
mod trash;
mod update;
