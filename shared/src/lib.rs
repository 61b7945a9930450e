//! The contacts API's shared library: every Lambda function is a thin `main` around one handler
//! in [`endpoints`], named in the route table ([`routes`]), and everything two functions need
//! lives here once.
//!
//! The module map, with the layer order a test holds every module to (a module uses only the
//! modules below it), is in docs/architecture.md, "Module map": it is the only one.

pub mod answers;
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
pub mod https;
pub mod idempotency;
pub mod identity;
pub mod json;
pub mod jwks;
pub mod jwt;
pub mod lambda;
pub mod observe;
pub mod patch;
pub mod preconditions;
pub mod projection;
pub mod resource;
pub mod routes;
pub mod search;
pub mod secrets;
pub mod store;
#[cfg(feature = "testing")]
pub mod testing;

pub use app::{App, sdk_config, sdk_config_with_profiles};
