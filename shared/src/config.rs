//! Configuration, read once at start-up from environment variables. A missing required variable
//! fails start-up with its name, so a misconfigured deployment never serves a request.

use std::env;
use std::time::Duration;

/// What a function needs to know about its deployment.
#[derive(Clone)]
pub struct Config {
    /// The DynamoDB table (`TABLE_NAME`).
    pub table_name: String,
    /// How tokens are verified: RS256 with `JWT_PUBLIC_KEY` when set, else HS256 with `JWT_SECRET`.
    pub jwt_key: JwtKey,
    /// The expected `iss` claim, when set (`JWT_ISSUER`).
    pub jwt_issuer: Option<String>,
    /// The expected `aud` claim, when set (`JWT_AUDIENCE`).
    pub jwt_audience: Option<String>,
    /// The HMAC key that signs list cursors (`CURSOR_SECRET`).
    pub cursor_secret: String,
    /// How long a warm function trusts an API key it verified (`API_KEY_CACHE_SECONDS`, 60).
    pub api_key_cache: Duration,
    /// How old a change entry must be before the feed returns it (`CHANGES_SETTLE_MS`, 10 000):
    /// longer than a recording write can take, so no entry lands before one already returned.
    pub changes_settle: Duration,
    /// Whether start-up opens the DynamoDB connection (`DYNAMODB_PREWARM=true`), so the first
    /// request does not pay for DNS, TCP and TLS.
    pub prewarm: bool,
}

/// The one key, and so the one algorithm, that Bearer tokens are verified with.
#[derive(Clone)]
pub enum JwtKey {
    /// HS256 with a shared secret.
    Hs256(String),
    /// RS256 with a PEM public key.
    Rs256(String),
}

/// A required variable is missing or empty.
#[derive(Debug, thiserror::Error)]
#[error("environment variable {0} is required")]
pub struct MissingVariable(pub &'static str);

/// A variable is present but unusable.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error(transparent)]
    Missing(#[from] MissingVariable),
    #[error("environment variable {0} is not valid: {1}")]
    Invalid(&'static str, String),
}

impl Config {
    /// Reads the configuration from the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        let jwt_key = match (optional("JWT_PUBLIC_KEY"), optional("JWT_SECRET")) {
            (Some(pem), _) => JwtKey::Rs256(pem),
            (None, Some(secret)) => JwtKey::Hs256(secret),
            (None, None) => return Err(MissingVariable("JWT_SECRET (or JWT_PUBLIC_KEY)").into()),
        };
        let api_key_cache = match optional("API_KEY_CACHE_SECONDS") {
            None => Duration::from_secs(60),
            Some(raw) => Duration::from_secs(raw.parse().map_err(|_| {
                ConfigError::Invalid("API_KEY_CACHE_SECONDS", "not a number of seconds".into())
            })?),
        };
        let changes_settle = match optional("CHANGES_SETTLE_MS") {
            None => Duration::from_secs(10),
            Some(raw) => Duration::from_millis(raw.parse().map_err(|_| {
                ConfigError::Invalid("CHANGES_SETTLE_MS", "not a number of milliseconds".into())
            })?),
        };
        let (jwt_issuer, jwt_audience) = (optional("JWT_ISSUER"), optional("JWT_AUDIENCE"));
        require_issuer_and_audience(&jwt_key, &jwt_issuer, &jwt_audience)?;
        Ok(Self {
            changes_settle,
            table_name: required("TABLE_NAME")?,
            jwt_key,
            jwt_issuer,
            jwt_audience,
            cursor_secret: required("CURSOR_SECRET")?,
            api_key_cache,
            prewarm: optional("DYNAMODB_PREWARM").is_some_and(|v| v == "true" || v == "1"),
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
            .field("api_key_cache", &self.api_key_cache)
            .field("prewarm", &self.prewarm)
            .finish_non_exhaustive()
    }
}

/// RS256 keys belong to an identity provider that signs tokens for other applications too: its
/// tokens are only for this API when `iss` and `aud` say so, so both must be configured.
fn require_issuer_and_audience(
    key: &JwtKey,
    issuer: &Option<String>,
    audience: &Option<String>,
) -> Result<(), ConfigError> {
    match (key, issuer, audience) {
        (JwtKey::Rs256(_), None, _) => {
            Err(MissingVariable("JWT_ISSUER (required with JWT_PUBLIC_KEY)").into())
        }
        (JwtKey::Rs256(_), _, None) => {
            Err(MissingVariable("JWT_AUDIENCE (required with JWT_PUBLIC_KEY)").into())
        }
        _ => Ok(()),
    }
}

fn required(name: &'static str) -> Result<String, MissingVariable> {
    optional(name).ok_or(MissingVariable(name))
}

fn optional(name: &str) -> Option<String> {
    env::var(name).ok().filter(|value| !value.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rs256_needs_an_issuer_and_an_audience_hs256_does_not() {
        let rs = JwtKey::Rs256("pem".into());
        let some = |s: &str| Some(s.to_string());
        assert!(require_issuer_and_audience(&rs, &None, &some("api")).is_err());
        assert!(require_issuer_and_audience(&rs, &some("idp"), &None).is_err());
        assert!(require_issuer_and_audience(&rs, &some("idp"), &some("api")).is_ok());
        assert!(require_issuer_and_audience(&JwtKey::Hs256("s".into()), &None, &None).is_ok());
    }
}
