//! Configuration, read once at start-up from environment variables. A missing required variable
//! fails start-up with its name, so a misconfigured deployment never serves a request.

use std::env;

/// What a function needs to know about its deployment.
#[derive(Clone)]
pub struct Config {
    /// The DynamoDB table (`TABLE_NAME`).
    pub table_name: String,
    /// The HS256 secret for Bearer tokens (`JWT_SECRET`).
    pub jwt_secret: String,
    /// The expected `iss` claim, when set (`JWT_ISSUER`).
    pub jwt_issuer: Option<String>,
    /// The expected `aud` claim, when set (`JWT_AUDIENCE`).
    pub jwt_audience: Option<String>,
    /// The HMAC key that signs list cursors (`CURSOR_SECRET`).
    pub cursor_secret: String,
}

/// A required variable is missing or empty.
#[derive(Debug, thiserror::Error)]
#[error("environment variable {0} is required")]
pub struct MissingVariable(pub &'static str);

impl Config {
    /// Reads the configuration from the process environment.
    pub fn from_env() -> Result<Self, MissingVariable> {
        Ok(Self {
            table_name: required("TABLE_NAME")?,
            jwt_secret: required("JWT_SECRET")?,
            jwt_issuer: optional("JWT_ISSUER"),
            jwt_audience: optional("JWT_AUDIENCE"),
            cursor_secret: required("CURSOR_SECRET")?,
        })
    }
}

impl std::fmt::Debug for Config {
    // Secrets stay out of logs even when someone prints the whole config.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("table_name", &self.table_name)
            .field("jwt_issuer", &self.jwt_issuer)
            .field("jwt_audience", &self.jwt_audience)
            .finish_non_exhaustive()
    }
}

fn required(name: &'static str) -> Result<String, MissingVariable> {
    optional(name).ok_or(MissingVariable(name))
}

fn optional(name: &str) -> Option<String> {
    env::var(name).ok().filter(|value| !value.is_empty())
}
