//! The contacts API's shared library: every Lambda function is a thin `main` around one handler
//! in [`endpoints`], and everything two functions need lives here once.
//!
//! A request flows top to bottom through this map; a module only uses modules below it.
//!
//! - [`lambda`]: start-up of a function and one request through its handler, always answered;
//!   [`observe`]: its log line and metrics.
//! - [`endpoints`]: one handler per function, by resource (`contacts`, `groups`), with the list
//!   machinery (`lists`) and what every handler shares (`common`).
//! - [`app`]: what a process builds once (`App`) and the SDK configuration.
//! - [`auth`]: `Authorization` (Bearer JWT or Basic API key) to a `Principal`, or 401/403;
//!   [`apikey`]: API keys and their cache; [`jwks`]: RS256 keys of a JSON Web Key Set.
//! - [`store`]: every DynamoDB read and write; the key layout lives in `store::keys` only.
//! - [`http`]: request body, path id, query and projection, parsed into typed input ([`json`]:
//!   strict JSON, no repeated members);
//!   [`preconditions`]: `ETag`, `If-Match`, `If-Unmodified-Since`, `If-None-Match`.
//! - [`patch`]: JSON Patch and Merge Patch with the API's rules for a resource.
//! - [`contact`], [`group`]: the resources, their parsed input (drafts) and their rules;
//!   [`resource`]: what both have in common (id, version, field names).
//! - [`changes`]: the change feed (a stream record to a `Change`).
//! - [`cursor`]: signed list cursors. [`routes`]: the route table.
//! - [`envelope`]: the one place a response body is built; [`error`]: the one error type.
//! - [`idempotency`]: `Idempotency-Key` (keys, claims, stored answers).
//! - [`identity`]: tenant, scope, principal. [`clock`]: timestamps. [`config`]: environment;
//!   [`secrets`]: the secrets it names in Secrets Manager, read at start-up.
//! - `testing` (feature `testing`, tests and benches only): the test toolkit.

pub mod apikey;
pub mod app;
pub mod auth;
pub mod changes;
pub mod clock;
pub mod config;
pub mod contact;
pub mod cursor;
pub mod endpoints;
pub mod envelope;
pub mod error;
pub mod group;
pub mod http;
pub mod idempotency;
pub mod identity;
pub mod json;
pub mod jwks;
pub mod lambda;
pub mod observe;
pub mod patch;
pub mod preconditions;
pub mod resource;
pub mod routes;
pub mod secrets;
pub mod store;
#[cfg(feature = "testing")]
pub mod testing;

pub use app::{App, sdk_config};
