//! RS256 keys from a JSON Web Key Set (`JWT_JWKS_URL` or `JWT_JWKS`), chosen by a token's `kid`.
//!
//! A fetched set is read at start-up and again when a token names a key the copy does not have
//! (the provider rotated its keys) or the copy is older than [`FRESH_FOR`]; fetches are at
//! least [`RETRY_AFTER`] apart, so tokens with made-up `kid`s cannot make the function hammer the
//! provider. A failed fetch keeps the keys it had.

use std::sync::RwLock;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Limited};
use jsonwebtoken::DecodingKey;
use jsonwebtoken::jwk::{AlgorithmParameters, Jwk, KeyAlgorithm, PublicKeyUse};
use serde::Deserialize;

use crate::config::{ConfigError, JwksSource};
use crate::error::ApiError;

/// How long a fetched set is used before it is fetched again.
pub const FRESH_FOR: Duration = Duration::from_secs(600);
/// The shortest time between two fetches.
pub const RETRY_AFTER: Duration = Duration::from_secs(30);
/// The largest JWKS document read, and the most keys taken from it.
pub const MAX_DOCUMENT_BYTES: usize = 256 * 1024;
pub const MAX_KEYS: usize = 50;
const FETCH_TIMEOUT: Duration = Duration::from_secs(2);

/// The verification keys of a JWKS.
pub struct KeySet {
    url: Option<String>,
    fresh_for: Duration,
    retry_after: Duration,
    state: RwLock<State>,
    fetching: tokio::sync::Mutex<()>,
}

#[derive(Default)]
struct State {
    keys: Vec<(Option<String>, DecodingKey)>,
    fetched: Option<Instant>,
    attempted: Option<Instant>,
}

impl KeySet {
    /// A set given whole is read now: one that has no RS256 key fails start-up.
    pub fn new(source: &JwksSource) -> Result<Self, ConfigError> {
        let (url, keys) = match source {
            JwksSource::Url(url) => (Some(url.clone()), Vec::new()),
            JwksSource::Document(document) => {
                let keys = parse(document.as_bytes())
                    .map_err(|reason| ConfigError::Invalid("JWT_JWKS", reason))?;
                (None, keys)
            }
        };
        Ok(Self {
            url,
            fresh_for: FRESH_FOR,
            retry_after: RETRY_AFTER,
            state: RwLock::new(State {
                keys,
                ..State::default()
            }),
            fetching: tokio::sync::Mutex::new(()),
        })
    }

    /// The same set with other intervals (tests: rotation and failures without waiting).
    #[cfg(feature = "testing")]
    pub fn with_timing(mut self, fresh_for: Duration, retry_after: Duration) -> Self {
        self.fresh_for = fresh_for;
        self.retry_after = retry_after;
        self
    }

    /// Reads a fetched set for the first time (start-up); a failure is logged, and the first
    /// token tries again.
    pub async fn load(&self) {
        if self.url.is_some() {
            self.refresh().await;
        }
    }

    /// The key that verifies a token whose header names `kid`. 401 when the set has no such
    /// key; 503 when the set could never be fetched.
    pub async fn key(&self, kid: Option<&str>) -> Result<DecodingKey, ApiError> {
        let (mut found, due) = self.lookup(kid);
        if due {
            // A failed fetch keeps the keys there were, so this finds at least what it found.
            self.refresh().await;
            found = self.lookup(kid).0;
        }
        match found {
            Some(key) => Ok(key),
            None if self.url.is_some() && self.read().fetched.is_none() => {
                Err(ApiError::Unavailable)
            }
            None => Err(ApiError::Unauthenticated(
                "the credentials are not valid".into(),
            )),
        }
    }

    /// The key for `kid`, and whether a fetch is due (the key is missing or the copy is old,
    /// and the last attempt is long enough ago).
    fn lookup(&self, kid: Option<&str>) -> (Option<DecodingKey>, bool) {
        let state = self.read();
        let found = match kid {
            Some(kid) => state
                .keys
                .iter()
                .find(|(id, _)| id.as_deref() == Some(kid))
                .map(|(_, key)| key.clone()),
            None if state.keys.len() == 1 => state.keys.first().map(|(_, key)| key.clone()),
            None => None,
        };
        let stale = state
            .fetched
            .is_none_or(|at| at.elapsed() >= self.fresh_for);
        let may_fetch = state
            .attempted
            .is_none_or(|at| at.elapsed() >= self.retry_after);
        let due = self.url.is_some() && (found.is_none() || stale) && may_fetch;
        (found, due)
    }

    async fn refresh(&self) {
        let Some(url) = &self.url else { return };
        let _one_at_a_time = self.fetching.lock().await;
        // Another request may have fetched while this one waited.
        if self
            .read()
            .attempted
            .is_some_and(|at| at.elapsed() < self.retry_after)
        {
            return;
        }
        let outcome = fetch(url).await;
        let mut state = self
            .state
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        state.attempted = Some(Instant::now());
        match outcome {
            Ok(keys) => {
                state.keys = keys;
                state.fetched = state.attempted;
            }
            Err(reason) => tracing::warn!(url = %url, reason = %reason, "JWKS fetch failed"),
        }
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, State> {
        self.state
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The RS256 signing keys of a JWKS document; keys of other types and uses are left out, and so
/// is a key this crate cannot read, so one odd key does not lose the others.
fn parse(document: &[u8]) -> Result<Vec<(Option<String>, DecodingKey)>, String> {
    #[derive(Deserialize)]
    struct Document {
        keys: Vec<serde_json::Value>,
    }
    let document: Document =
        serde_json::from_slice(document).map_err(|err| format!("not a JWKS document ({err})"))?;
    let keys: Vec<_> = document
        .keys
        .into_iter()
        .filter_map(|value| serde_json::from_value::<Jwk>(value).ok())
        .filter(|jwk| matches!(jwk.algorithm, AlgorithmParameters::RSA(_)))
        .filter(|jwk| matches!(jwk.common.key_algorithm, None | Some(KeyAlgorithm::RS256)))
        .filter(|jwk| {
            matches!(
                jwk.common.public_key_use,
                None | Some(PublicKeyUse::Signature)
            )
        })
        .filter_map(|jwk| Some((jwk.common.key_id.clone(), DecodingKey::from_jwk(&jwk).ok()?)))
        .take(MAX_KEYS)
        .collect();
    if keys.is_empty() {
        return Err("the set has no RS256 signing key".into());
    }
    Ok(keys)
}

/// One GET of the set: 200 and at most `MAX_DOCUMENT_BYTES`, within `FETCH_TIMEOUT`.
async fn fetch(url: &str) -> Result<Vec<(Option<String>, DecodingKey)>, String> {
    let client = crate::https::client::<Empty<Bytes>>(None);
    let request = lambda_http::http::Request::get(url)
        .header("accept", "application/json")
        .body(Empty::new())
        .map_err(|err| err.to_string())?;
    let exchange = async {
        let response = client
            .request(request)
            .await
            .map_err(|err| err.to_string())?;
        if response.status() != 200 {
            return Err(format!("status {}", response.status()));
        }
        Limited::new(response.into_body(), MAX_DOCUMENT_BYTES)
            .collect()
            .await
            .map(|body| body.to_bytes())
            .map_err(|err| format!("body: {err}"))
    };
    let body = tokio::time::timeout(FETCH_TIMEOUT, exchange)
        .await
        .map_err(|_| "timed out".to_string())??;
    parse(&body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_rs256_signing_keys_are_taken() {
        let rsa = |kid: &str, extra: serde_json::Value| {
            let mut key = serde_json::json!({"kty": "RSA", "kid": kid, "e": "AQAB",
                "n": "sXchDaQebHnPiGvyDOAT4saGEUetSyo9MKLOoWFsueri23bOdgWp4Dy1WlUzewbgBHod5pcM9H95GQRV3JDXboIRROSBigeC5yjU1hGzHHyXss8UDprecbAYxknTcQkhslANGRUZmdTOQ5qTRsLAt6BTYuyvVRdhS8exSZEy_c4gs_7svlJJQ4H9_NxsiIoLwAEk7-Q3UXERGYw_75IDrGA84-lA_-Ct4eTlXHBIY2EaV7t7LjJaynVJCpkv4LKjTTAumiGUIuQhrNhZLuF_RJLqHpM2kgWFLU7-VTdL1VbC2tejvcI2BlMkEpk1BzBZI0KQB0GaDWFLN-aEAw3vRw"});
            if let (Some(key), Some(extra)) = (key.as_object_mut(), extra.as_object()) {
                key.extend(extra.clone());
            }
            key
        };
        let document = serde_json::json!({"keys": [
            rsa("a", serde_json::json!({})),
            rsa("b", serde_json::json!({"alg": "RS256", "use": "sig"})),
            rsa("enc", serde_json::json!({"use": "enc"})),
            rsa("ps", serde_json::json!({"alg": "PS256"})),
            {"kty": "oct", "kid": "hmac", "k": "c2VjcmV0"},
            {"kty": "RSA", "kid": "broken"},
            {"kty": "weird"},
        ]});
        let keys = parse(document.to_string().as_bytes()).unwrap();
        let ids: Vec<_> = keys.iter().map(|(id, _)| id.as_deref()).collect();
        assert_eq!(ids, [Some("a"), Some("b")]);
        assert!(parse(br#"{"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}"#).is_err());
        assert!(parse(b"[]").is_err());
    }
}
