//! API keys for `Authorization: Basic base64(keyId:secret)`. A key is bound to one tenant and a
//! set of scopes; its secret (256 random bits) is shown once, when the key is made, and only its
//! SHA-256 is stored. The key id carries the tenant (`<tenant>.<random>`), so a key is found with
//! one `GetItem` in the tenant's own partition and can never name another tenant's item.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::identity::{Principal, TenantId};

/// A stored API key, without its secret.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiKey {
    pub key_id: String,
    pub tenant: String,
    pub scopes: Vec<String>,
    pub created_at: String,
    /// Hex SHA-256 of the secret.
    pub secret_hash: String,
}

impl ApiKey {
    /// A new key for `tenant` with `scopes`, and its secret (to be shown once, never stored).
    pub fn generate(
        tenant: &TenantId,
        scopes: Vec<String>,
        now: &str,
    ) -> Result<(Self, String), getrandom::Error> {
        let mut id = [0u8; 12];
        let mut secret = [0u8; 32];
        getrandom::fill(&mut id)?;
        getrandom::fill(&mut secret)?;
        let secret = URL_SAFE_NO_PAD.encode(secret);
        let key = Self {
            key_id: format!("{}.{}", tenant.as_str(), URL_SAFE_NO_PAD.encode(id)),
            tenant: tenant.as_str().to_string(),
            scopes,
            created_at: now.to_string(),
            secret_hash: hash(&secret),
        };
        Ok((key, secret))
    }

    /// Whether `secret` is this key's, compared in constant time.
    pub fn accepts(&self, secret: &str) -> bool {
        hash(secret)
            .as_bytes()
            .ct_eq(self.secret_hash.as_bytes())
            .into()
    }

    pub fn principal(&self) -> Option<Principal> {
        Some(
            Principal::new(TenantId::parse(&self.tenant)?, self.scopes.clone())
                .acting_as(Some(format!("key:{}", self.key_id))),
        )
    }
}

fn hash(secret: &str) -> String {
    Sha256::digest(secret.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The random part of a key id is 16 characters; longer ids are not keys.
const MAX_KEY_RANDOM_CHARS: usize = 16;
/// `keyId:secret` base64-encoded: 64 + 1 + 16 + 1 + 43 characters, with room to spare.
const MAX_BASIC_CHARS: usize = 256;

/// The credentials of a Basic header value (after `Basic `): key id, its tenant, and secret.
pub fn parse_basic(encoded: &str) -> Option<(String, TenantId, String)> {
    // Bounded before decoding: a key id becomes part of a sort key (1 024 bytes at most).
    if encoded.len() > MAX_BASIC_CHARS {
        return None;
    }
    let decoded = STANDARD.decode(encoded.trim()).ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    let (key_id, secret) = decoded.split_once(':')?;
    let (tenant, random) = key_id.split_once('.')?;
    if random.len() > MAX_KEY_RANDOM_CHARS {
        return None;
    }
    Some((
        key_id.to_string(),
        TenantId::parse(tenant)?,
        secret.to_string(),
    ))
}

/// Keys verified recently by this process, so a warm function skips the lookup. A revoked key
/// stops working when its entry expires.
pub struct KeyCache {
    ttl: Duration,
    entries: Mutex<HashMap<String, (ApiKey, Instant)>>,
}

impl KeyCache {
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// The cached key, if it was fetched less than the TTL ago.
    pub fn get(&self, key_id: &str) -> Option<ApiKey> {
        let entries = self.entries.lock().ok()?;
        let (key, fetched) = entries.get(key_id)?;
        (fetched.elapsed() < self.ttl).then(|| key.clone())
    }

    pub fn put(&self, key: ApiKey) {
        if self.ttl.is_zero() {
            return;
        }
        if let Ok(mut entries) = self.entries.lock() {
            entries.retain(|_, (_, fetched)| fetched.elapsed() < self.ttl);
            entries.insert(key.key_id.clone(), (key, Instant::now()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_key_accepts_its_secret_only() {
        let tenant = TenantId::parse("acme").unwrap();
        let (key, secret) = ApiKey::generate(&tenant, vec!["contacts:read".into()], "now").unwrap();
        assert!(key.key_id.starts_with("acme."));
        assert!(key.accepts(&secret));
        assert!(!key.accepts("wrong"));
        assert!(!key.secret_hash.contains(&secret));
        assert_eq!(
            URL_SAFE_NO_PAD.decode(&secret).unwrap().len(),
            32,
            "256 bits"
        );
    }

    #[test]
    fn basic_credentials_name_the_key_and_its_tenant() {
        let encoded = STANDARD.encode("acme.abc:s3cret:with:colons");
        let (id, tenant, secret) = parse_basic(&encoded).unwrap();
        assert_eq!(
            (id.as_str(), tenant.as_str(), secret.as_str()),
            ("acme.abc", "acme", "s3cret:with:colons")
        );
        for bad in [
            "!!!",
            &STANDARD.encode("nocolon"),
            &STANDARD.encode("noperiod:x"),
            &STANDARD.encode("bad#t.x:y"),
        ] {
            assert!(parse_basic(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn the_cache_forgets_after_its_ttl() {
        let tenant = TenantId::parse("acme").unwrap();
        let (key, _) = ApiKey::generate(&tenant, vec![], "now").unwrap();
        let cache = KeyCache::new(Duration::from_millis(30));
        cache.put(key.clone());
        assert_eq!(cache.get(&key.key_id), Some(key.clone()));
        std::thread::sleep(Duration::from_millis(40));
        assert_eq!(cache.get(&key.key_id), None);
        let off = KeyCache::new(Duration::ZERO);
        off.put(key.clone());
        assert_eq!(off.get(&key.key_id), None);
    }
}
