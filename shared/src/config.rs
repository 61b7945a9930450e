//! Configuration, read once at start-up from environment variables. A missing required variable
//! fails start-up with its name, so a misconfigured deployment never serves a request.

use std::env;
use std::time::Duration;

/// How many days a deleted contact stays in the trash unless `TRASH_RETENTION_DAYS` says.
pub const DEFAULT_TRASH_DAYS: u64 = 30;
/// The longest retention taken (ten years).
pub const MAX_TRASH_DAYS: u64 = 3650;

/// What a function needs to know about its deployment.
#[derive(Clone)]
pub struct Config {
    /// The DynamoDB table (`TABLE_NAME`).
    pub table_name: String,
    /// How tokens are verified: RS256 with a JWKS (`JWT_JWKS_URL`, `JWT_JWKS`) or a PEM key
    /// (`JWT_PUBLIC_KEY`) when one is set, else HS256 with `JWT_SECRET` / `JWT_SECRET_ARN`;
    /// none for a function that never verifies a token (`route-not-found`).
    pub jwt_key: Option<JwtKey>,
    /// The expected `iss` claim, when set (`JWT_ISSUER`).
    pub jwt_issuer: Option<String>,
    /// The expected `aud` claim, when set (`JWT_AUDIENCE`).
    pub jwt_audience: Option<String>,
    /// The HMAC key that signs list cursors (`CURSOR_SECRET` / `CURSOR_SECRET_ARN`): only the
    /// functions that page (the lists and the feed) are given it.
    pub cursor_secret: Option<Secret>,
    /// How long a warm function trusts an API key it verified (`API_KEY_CACHE_SECONDS`, 60).
    pub api_key_cache: Duration,
    /// How old a change entry must be before the feed returns it (`CHANGES_SETTLE_MS`, 10 000):
    /// longer than a recording write can take, so no entry lands before one already returned.
    pub changes_settle: Duration,
    /// The time since the epoch: `clock::since_epoch`; tests move it.
    pub clock: fn() -> Duration,
    /// How long a deleted contact stays in the trash (`TRASH_RETENTION_DAYS`, default 30);
    /// zero: deletes are for good.
    pub trash_retention: Duration,
    /// Whether start-up opens the DynamoDB connection (`DYNAMODB_PREWARM=true`), so the first
    /// request does not pay for DNS, TCP and TLS.
    pub prewarm: bool,
}

/// The one key, and so the one algorithm, that Bearer tokens are verified with.
#[derive(Clone)]
pub enum JwtKey {
    /// HS256 with a shared secret.
    Hs256(Secret),
    /// RS256 with a PEM public key.
    Rs256(String),
    /// RS256 with the keys of a JSON Web Key Set, chosen by the token's `kid`.
    Jwks(JwksSource),
}

/// Where a JSON Web Key Set comes from.
#[derive(Clone, Debug, PartialEq)]
pub enum JwksSource {
    /// Fetched from the identity provider (`JWT_JWKS_URL`), again when a token names a key it
    /// does not have (the provider rotated its keys) and when the copy is old.
    Url(String),
    /// Given whole (`JWT_JWKS`): fixed for the life of the process.
    Document(String),
}

/// A secret: its value, or the Secrets Manager secret to read it from at start-up.
#[derive(Clone, PartialEq)]
pub enum Secret {
    /// Given in the environment (`JWT_SECRET`, `CURSOR_SECRET`): local runs and tests.
    Value(String),
    /// A Secrets Manager secret (`JWT_SECRET_ARN`, `CURSOR_SECRET_ARN`), read once at start-up
    /// by `secrets::resolve` and kept for the life of the process.
    Stored { variable: &'static str, id: String },
}

impl Secret {
    /// The value, once resolved.
    pub fn value(&self) -> Result<&str, ConfigError> {
        match self {
            Secret::Value(value) => Ok(value),
            Secret::Stored { variable, .. } => Err(ConfigError::Invalid(
                variable,
                "the secret was not read from Secrets Manager".into(),
            )),
        }
    }
}

/// The secrets a function cannot serve without; start-up stops without them.
#[derive(Clone, Copy, Debug)]
pub struct Needs {
    /// It verifies Bearer tokens: `JWT_SECRET(_ARN)`, `JWT_JWKS(_URL)` or `JWT_PUBLIC_KEY`.
    pub token_key: bool,
    /// It pages: `CURSOR_SECRET(_ARN)`.
    pub cursor_key: bool,
}

impl Needs {
    /// Every function that authenticates requests.
    pub const TOKEN_KEY: Needs = Needs {
        token_key: true,
        cursor_key: false,
    };
    /// The lists and the feed.
    pub const TOKEN_AND_CURSOR_KEYS: Needs = Needs {
        token_key: true,
        cursor_key: true,
    };
    /// `route-not-found`.
    pub const NOTHING: Needs = Needs {
        token_key: false,
        cursor_key: false,
    };
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
    /// Reads the configuration from the process environment. Secrets given by ARN are still to
    /// be read (`secrets::resolve`).
    pub fn from_env() -> Result<Self, ConfigError> {
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
        let jwt_key = jwt_key(
            optional("JWT_JWKS_URL"),
            optional("JWT_JWKS"),
            optional("JWT_PUBLIC_KEY"),
            secret("JWT_SECRET", "JWT_SECRET_ARN")?,
        )?;
        let (jwt_issuer, jwt_audience) = (optional("JWT_ISSUER"), optional("JWT_AUDIENCE"));
        crate::https::Roots::from_env()
            .map_err(|err| ConfigError::Invalid(crate::https::TLS_ROOTS_VAR, err))?;
        require_issuer_and_audience(&jwt_key, &jwt_issuer, &jwt_audience)?;
        let trash_days: u64 = match optional("TRASH_RETENTION_DAYS") {
            None => DEFAULT_TRASH_DAYS,
            Some(raw) => raw
                .parse()
                .ok()
                .filter(|days| *days <= MAX_TRASH_DAYS)
                .ok_or_else(|| {
                    ConfigError::Invalid(
                        "TRASH_RETENTION_DAYS",
                        format!("not a number of days from 0 to {MAX_TRASH_DAYS}"),
                    )
                })?,
        };
        Ok(Self {
            changes_settle,
            clock: crate::clock::since_epoch,
            trash_retention: Duration::from_secs(trash_days * 24 * 60 * 60),
            table_name: required("TABLE_NAME")?,
            jwt_key,
            jwt_issuer,
            jwt_audience,
            cursor_secret: secret("CURSOR_SECRET", "CURSOR_SECRET_ARN")?,
            api_key_cache,
            prewarm: optional("DYNAMODB_PREWARM").is_some_and(|v| v == "true" || v == "1"),
        })
    }

    /// Fails, naming the variables, when a secret the function needs is not configured.
    pub fn require(&self, needs: Needs) -> Result<(), MissingVariable> {
        if needs.token_key && self.jwt_key.is_none() {
            return Err(MissingVariable(
                "JWT_SECRET or JWT_SECRET_ARN (or JWT_JWKS_URL, JWT_JWKS, JWT_PUBLIC_KEY)",
            ));
        }
        if needs.cursor_key && self.cursor_secret.is_none() {
            return Err(MissingVariable("CURSOR_SECRET or CURSOR_SECRET_ARN"));
        }
        Ok(())
    }

    /// The secrets this function uses: the HS256 key (when tokens are HS256), the cursor key.
    pub fn secrets_mut(&mut self) -> impl Iterator<Item = &mut Secret> {
        let jwt = match &mut self.jwt_key {
            Some(JwtKey::Hs256(secret)) => Some(secret),
            _ => None,
        };
        jwt.into_iter().chain(self.cursor_secret.as_mut())
    }
}

/// A secret given by value (`value_var`) or by Secrets Manager id (`arn_var`), not both.
fn secret(value_var: &'static str, arn_var: &'static str) -> Result<Option<Secret>, ConfigError> {
    match (optional(value_var), optional(arn_var)) {
        (Some(_), Some(_)) => Err(ConfigError::Invalid(
            arn_var,
            format!("set {value_var} or {arn_var}, not both"),
        )),
        (Some(value), None) => Ok(Some(Secret::Value(value))),
        (None, Some(id)) => Ok(Some(Secret::Stored {
            variable: arn_var,
            id,
        })),
        (None, None) => Ok(None),
    }
}

/// At most one RS256 key source; HS256 only when none is set; none at all for a function that
/// verifies no token.
fn jwt_key(
    jwks_url: Option<String>,
    jwks: Option<String>,
    pem: Option<String>,
    hs256: Option<Secret>,
) -> Result<Option<JwtKey>, ConfigError> {
    match (jwks_url, jwks, pem) {
        (Some(url), None, None) => Ok(Some(JwtKey::Jwks(JwksSource::Url(jwks_url_checked(url)?)))),
        (None, Some(document), None) => Ok(Some(JwtKey::Jwks(JwksSource::Document(document)))),
        (None, None, Some(pem)) => Ok(Some(JwtKey::Rs256(pem))),
        (None, None, None) => Ok(hs256.map(JwtKey::Hs256)),
        _ => Err(ConfigError::Invalid(
            "JWT_JWKS_URL",
            "set one of JWT_JWKS_URL, JWT_JWKS and JWT_PUBLIC_KEY".into(),
        )),
    }
}

/// Keys come over HTTPS; plain HTTP only from this machine (local runs and tests).
fn jwks_url_checked(url: String) -> Result<String, ConfigError> {
    let local = [
        "http://127.0.0.1:",
        "http://127.0.0.1/",
        "http://localhost:",
        "http://localhost/",
        "http://[::1]:",
        "http://[::1]/",
    ];
    if url.starts_with("https://") || local.iter().any(|prefix| url.starts_with(prefix)) {
        Ok(url)
    } else {
        Err(ConfigError::Invalid(
            "JWT_JWKS_URL",
            "an https:// URL (http:// only on loopback)".into(),
        ))
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
    key: &Option<JwtKey>,
    issuer: &Option<String>,
    audience: &Option<String>,
) -> Result<(), ConfigError> {
    match (key, issuer, audience) {
        (None | Some(JwtKey::Hs256(_)), _, _) | (_, Some(_), Some(_)) => Ok(()),
        (_, None, _) => Err(MissingVariable("JWT_ISSUER (required with RS256 keys)").into()),
        (_, _, None) => Err(MissingVariable("JWT_AUDIENCE (required with RS256 keys)").into()),
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
        let some = |s: &str| Some(s.to_string());
        let jwks = JwtKey::Jwks(JwksSource::Document("{}".into()));
        for rs in [Some(JwtKey::Rs256("pem".into())), Some(jwks)] {
            assert!(require_issuer_and_audience(&rs, &None, &some("api")).is_err());
            assert!(require_issuer_and_audience(&rs, &some("idp"), &None).is_err());
            assert!(require_issuer_and_audience(&rs, &some("idp"), &some("api")).is_ok());
        }
        let hs = Some(JwtKey::Hs256(Secret::Value("s".into())));
        assert!(require_issuer_and_audience(&hs, &None, &None).is_ok());
        assert!(require_issuer_and_audience(&None, &None, &None).is_ok());
    }

    #[test]
    fn a_function_does_not_start_without_the_secrets_it_needs() {
        let mut config = Config::for_tests_unit();
        assert!(config.require(Needs::TOKEN_AND_CURSOR_KEYS).is_ok());
        config.cursor_secret = None;
        assert!(config.require(Needs::TOKEN_KEY).is_ok());
        let missing = config.require(Needs::TOKEN_AND_CURSOR_KEYS).unwrap_err();
        assert!(missing.to_string().contains("CURSOR_SECRET_ARN"));
        config.jwt_key = None;
        let missing = config.require(Needs::TOKEN_KEY).unwrap_err();
        assert!(missing.to_string().contains("JWT_SECRET_ARN"));
        assert!(config.require(Needs::NOTHING).is_ok());
    }

    impl Config {
        fn for_tests_unit() -> Self {
            Config {
                table_name: "t".into(),
                jwt_key: Some(JwtKey::Hs256(Secret::Value("s".into()))),
                jwt_issuer: None,
                jwt_audience: None,
                cursor_secret: Some(Secret::Value("c".into())),
                api_key_cache: Duration::ZERO,
                changes_settle: Duration::ZERO,
                clock: crate::clock::since_epoch,
                trash_retention: Duration::ZERO,
                prewarm: false,
            }
        }
    }

    #[test]
    fn one_key_source_and_jwks_urls_over_https_or_loopback() {
        let s = |v: &str| Some(v.to_string());
        let hs = || Some(Secret::Value("secret".into()));
        assert!(matches!(
            jwt_key(None, None, None, hs()),
            Ok(Some(JwtKey::Hs256(_)))
        ));
        assert!(matches!(
            jwt_key(None, None, s("pem"), hs()),
            Ok(Some(JwtKey::Rs256(_)))
        ));
        assert!(matches!(
            jwt_key(
                s("https://idp.example.com/.well-known/jwks.json"),
                None,
                None,
                None
            ),
            Ok(Some(JwtKey::Jwks(JwksSource::Url(_))))
        ));
        assert!(jwt_key(s("https://idp/jwks"), None, s("pem"), None).is_err());
        assert!(jwt_key(None, s("{}"), s("pem"), None).is_err());
        assert!(matches!(jwt_key(None, None, None, None), Ok(None)));
        for url in [
            "http://idp.example.com/jwks",
            "http://127.0.0.1.evil.example/jwks",
            "ftp://x",
        ] {
            assert!(jwks_url_checked(url.into()).is_err(), "{url}");
        }
        for url in [
            "http://127.0.0.1:9000/jwks",
            "http://localhost/jwks",
            "https://idp/jwks",
        ] {
            assert!(jwks_url_checked(url.into()).is_ok(), "{url}");
        }
    }
}
