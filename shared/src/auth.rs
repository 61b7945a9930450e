//! Authentication and authorization: turns the `Authorization` header (a Bearer JWT or a Basic
//! API key) into a `Principal` (who calls, for which tenant, with which scopes) or a 401/403.
//! The tenant comes only from here.

use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use lambda_http::http::{HeaderMap, header};
use serde::Deserialize;

use crate::apikey::{KeyCache, parse_basic};
use crate::config::{Config, ConfigError, JwtKey};
use crate::error::ApiError;
use crate::identity::{MAX_ACTOR, Principal, Scope, TenantId};
use crate::jwks::KeySet;
use crate::store::Store;

#[derive(Deserialize)]
// `sub` and `exp` are required through the validation's required claims.
struct Claims {
    tenant: Option<String>,
    /// The caller, recorded as the writer of what it writes.
    #[serde(default)]
    sub: Option<String>,
    #[serde(default)]
    scope: Option<String>,
}

/// Verifies credentials; built once per process.
pub struct Authenticator {
    /// None in a function that is given no token key (it never verifies a token).
    keys: Option<Keys>,
    validation: Validation,
    api_keys: KeyCache,
}

/// The one key tokens are verified with, or the set a token's `kid` picks from.
enum Keys {
    One(DecodingKey),
    Set(KeySet),
}

impl Authenticator {
    /// One algorithm: RS256 when a public key or a JWKS is configured, else HS256; `iss`/`aud`
    /// checked when configured.
    pub fn from_config(config: &Config) -> Result<Self, ConfigError> {
        crate::jwt::install();
        let (algorithm, keys) = match &config.jwt_key {
            Some(JwtKey::Hs256(secret)) => (
                Algorithm::HS256,
                Some(Keys::One(DecodingKey::from_secret(
                    secret.value()?.as_bytes(),
                ))),
            ),
            Some(JwtKey::Rs256(pem)) => (
                Algorithm::RS256,
                Some(Keys::One(
                    DecodingKey::from_rsa_pem(pem.as_bytes())
                        .map_err(|err| ConfigError::Invalid("JWT_PUBLIC_KEY", err.to_string()))?,
                )),
            ),
            Some(JwtKey::Jwks(source)) => (Algorithm::RS256, Some(Keys::Set(KeySet::new(source)?))),
            None => (Algorithm::HS256, None),
        };
        // Pinning the one algorithm refuses `none` and every algorithm-confusion attack.
        let mut validation = Validation::new(algorithm);
        let mut required = vec!["exp", "sub"];
        validation.validate_nbf = true;
        validation.leeway = 30;
        if let Some(issuer) = &config.jwt_issuer {
            validation.set_issuer(&[issuer]);
            // Without this, a token that simply omits `iss` would pass.
            required.push("iss");
        }
        match &config.jwt_audience {
            Some(audience) => {
                validation.set_audience(&[audience]);
                required.push("aud");
            }
            None => validation.validate_aud = false,
        }
        validation.set_required_spec_claims(&required);
        Ok(Self {
            keys,
            validation,
            api_keys: KeyCache::new(config.api_key_cache),
        })
    }

    /// Reads a fetched JWKS for the first time (start-up); nothing for the other keys.
    pub async fn load_keys(&self) {
        if let Some(Keys::Set(set)) = &self.keys {
            set.load().await;
        }
    }

    /// Authenticates the request (Bearer token or API key) and checks that it may do what
    /// `needed` names.
    pub async fn authorize(
        &self,
        headers: &HeaderMap,
        needed: Scope,
        store: &Store,
    ) -> Result<Principal, ApiError> {
        let principal = self.authenticate(headers, store).await?;
        if principal.has(needed) {
            Ok(principal)
        } else {
            Err(ApiError::PermissionDenied(format!(
                "this operation needs the {} scope",
                needed.name()
            )))
        }
    }

    async fn authenticate(
        &self,
        headers: &HeaderMap,
        store: &Store,
    ) -> Result<Principal, ApiError> {
        let value = headers
            .get(header::AUTHORIZATION)
            .ok_or_else(|| ApiError::Unauthenticated("credentials are required".into()))?
            .to_str()
            .map_err(|_| unauthenticated())?;
        let (scheme, credentials) = value.trim().split_once(' ').ok_or_else(unauthenticated)?;
        if scheme.eq_ignore_ascii_case("bearer") {
            self.verify_token(credentials.trim()).await
        } else if scheme.eq_ignore_ascii_case("basic") {
            self.verify_api_key(credentials, store).await
        } else {
            Err(ApiError::Unauthenticated(
                "use Authorization: Bearer <token> or Basic <key>".into(),
            ))
        }
    }

    async fn verify_token(&self, token: &str) -> Result<Principal, ApiError> {
        let from_set;
        let keys = self.keys.as_ref().ok_or_else(|| {
            ApiError::Internal("this function was deployed without a token key".into())
        })?;
        let key = match keys {
            Keys::One(key) => key,
            Keys::Set(set) => {
                let header = jsonwebtoken::decode_header(token).map_err(|_| unauthenticated())?;
                from_set = set.key(header.kid.as_deref()).await?;
                &from_set
            }
        };
        let claims = jsonwebtoken::decode::<Claims>(token, key, &self.validation)
            .map_err(|err| {
                tracing::info!(reason = %err, "token refused");
                unauthenticated()
            })?
            .claims;
        let tenant = claims
            .tenant
            .as_deref()
            .and_then(TenantId::parse)
            .ok_or_else(unauthenticated)?;
        let scopes = claims
            .scope
            .unwrap_or_default()
            .split_whitespace()
            .map(str::to_string)
            .collect();
        // A writer's name is stored with every item it writes: a longer `sub` is no identity.
        if claims
            .sub
            .as_ref()
            .is_some_and(|sub| sub.chars().count() > MAX_ACTOR)
        {
            return Err(ApiError::Unauthenticated(format!(
                "the token's sub is longer than {MAX_ACTOR} characters"
            )));
        }
        Ok(Principal::new(tenant, scopes).acting_as(claims.sub))
    }

    async fn verify_api_key(&self, encoded: &str, store: &Store) -> Result<Principal, ApiError> {
        let (key_id, tenant, secret) = parse_basic(encoded).ok_or_else(unauthenticated)?;
        let key = match self.api_keys.get(&key_id) {
            Some(known) => known,
            None => {
                let found = store.find_api_key(&tenant, &key_id).await?;
                self.api_keys.put(&key_id, found.clone());
                found
            }
        }
        .ok_or_else(unauthenticated)?;
        if !key.accepts(&secret) {
            tracing::info!(key_id = %key_id, "API key secret refused");
            return Err(unauthenticated());
        }
        key.principal().ok_or_else(unauthenticated)
    }
}

// One message for every bad credential: the client learns nothing about which check failed.
fn unauthenticated() -> ApiError {
    ApiError::Unauthenticated("the credentials are not valid".into())
}
