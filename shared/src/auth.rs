//! Authentication and authorization: turns the `Authorization` header into a `Principal` (who
//! calls, for which tenant, with which scopes) or a 401/403. The tenant comes only from here.

use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use lambda_http::http::{HeaderMap, header};
use serde::Deserialize;

use crate::config::Config;
use crate::error::ApiError;

/// A tenant name as tokens carry it: `[A-Za-z0-9_-]{1,64}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TenantId(String);

impl TenantId {
    /// Accepts only the tenant alphabet, so a tenant can never smuggle a key separator.
    pub fn parse(raw: &str) -> Option<Self> {
        let valid = (1..=64).contains(&raw.len())
            && raw
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        valid.then(|| Self(raw.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What an operation needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Read,
    Write,
}

impl Scope {
    fn name(self) -> &'static str {
        match self {
            Self::Read => "contacts:read",
            Self::Write => "contacts:write",
        }
    }
}

/// The authenticated caller.
#[derive(Debug, Clone)]
pub struct Principal {
    pub subject: String,
    pub tenant: TenantId,
    scopes: Vec<String>,
}

impl Principal {
    /// Whether the caller was granted `scope`.
    pub fn has(&self, scope: Scope) -> bool {
        self.scopes.iter().any(|s| s == scope.name())
    }
}

#[derive(Deserialize)]
struct Claims {
    sub: String,
    tenant: Option<String>,
    #[serde(default)]
    scope: Option<String>,
}

/// Verifies credentials; built once per process.
pub struct Authenticator {
    key: DecodingKey,
    validation: Validation,
}

impl Authenticator {
    /// HS256 with `JWT_SECRET`; `iss`/`aud` checked when configured.
    pub fn from_config(config: &Config) -> Self {
        // Pinning the one algorithm refuses `none` and every algorithm-confusion attack.
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_required_spec_claims(&["exp", "sub"]);
        validation.validate_nbf = true;
        validation.leeway = 30;
        if let Some(issuer) = &config.jwt_issuer {
            validation.set_issuer(&[issuer]);
        }
        match &config.jwt_audience {
            Some(audience) => validation.set_audience(&[audience]),
            None => validation.validate_aud = false,
        }
        Self {
            key: DecodingKey::from_secret(config.jwt_secret.as_bytes()),
            validation,
        }
    }

    /// Authenticates the request and checks that it may do what `needed` names.
    pub fn authorize(&self, headers: &HeaderMap, needed: Scope) -> Result<Principal, ApiError> {
        let principal = self.authenticate(headers)?;
        if principal.has(needed) {
            Ok(principal)
        } else {
            Err(ApiError::PermissionDenied(format!(
                "this operation needs the {} scope",
                needed.name()
            )))
        }
    }

    fn authenticate(&self, headers: &HeaderMap) -> Result<Principal, ApiError> {
        let value = headers
            .get(header::AUTHORIZATION)
            .ok_or_else(|| ApiError::Unauthenticated("credentials are required".into()))?
            .to_str()
            .map_err(|_| unauthenticated())?;
        let (scheme, token) = value.split_once(' ').ok_or_else(unauthenticated)?;
        if !scheme.eq_ignore_ascii_case("bearer") {
            return Err(ApiError::Unauthenticated(
                "use Authorization: Bearer <token>".into(),
            ));
        }
        let claims = jsonwebtoken::decode::<Claims>(token.trim(), &self.key, &self.validation)
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
        Ok(Principal {
            subject: claims.sub,
            tenant,
            scopes: claims
                .scope
                .unwrap_or_default()
                .split_whitespace()
                .map(str::to_string)
                .collect(),
        })
    }
}

// One message for every bad credential: the client learns nothing about which check failed.
fn unauthenticated() -> ApiError {
    ApiError::Unauthenticated("the credentials are not valid".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenant_ids_allow_only_their_alphabet() {
        for ok in ["acme", "A_b-9", &"x".repeat(64)] {
            assert!(TenantId::parse(ok).is_some(), "{ok}");
        }
        for bad in ["", "a#b", "a b", "ä", &"x".repeat(65), "a/b"] {
            assert!(TenantId::parse(bad).is_none(), "{bad}");
        }
    }
}
