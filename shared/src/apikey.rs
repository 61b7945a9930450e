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
    ring::digest::digest(&ring::digest::SHA256, secret.as_bytes())
        .as_ref()
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
/// stops working when its entry expires. A key id that does not exist is remembered too, for
/// `UNKNOWN_TTL` at most, so that `Basic` credentials with made-up ids do not cost a consistent
/// read in the named tenant's partition per request. At most `MAX_ENTRIES` ids are held.
pub struct KeyCache {
    ttl: Duration,
    entries: Mutex<HashMap<String, (Option<ApiKey>, Instant)>>,
}

/// How long an unknown key id is remembered as unknown (a key is created before it is handed
/// out, so only made-up ids are).
pub const UNKNOWN_TTL: Duration = Duration::from_secs(10);
/// The most key ids one process remembers.
pub const MAX_ENTRIES: usize = 1024;

impl KeyCache {
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// What is known of the key id: `Some(Some(key))` a key fetched less than the TTL ago,
    /// `Some(None)` an id found not to exist less than `UNKNOWN_TTL` (and the TTL) ago, `None`
    /// nothing: look it up.
    pub fn get(&self, key_id: &str) -> Option<Option<ApiKey>> {
        let entries = self.entries.lock().ok()?;
        let (key, fetched) = entries.get(key_id)?;
        let fresh = fetched.elapsed() < self.ttl_of(key.as_ref());
        fresh.then(|| key.clone())
    }

    /// Remembers what a lookup of `key_id` found (`None`: no such key).
    pub fn put(&self, key_id: &str, key: Option<ApiKey>) {
        if self.ttl.is_zero() {
            return;
        }
        if let Ok(mut entries) = self.entries.lock() {
            entries.retain(|_, (key, fetched)| fetched.elapsed() < self.ttl_of(key.as_ref()));
            if entries.len() >= MAX_ENTRIES {
                // Flooded with ids: start over rather than grow (a lookup costs one read).
                entries.clear();
            }
            entries.insert(key_id.to_string(), (key, Instant::now()));
        }
    }

    fn ttl_of(&self, key: Option<&ApiKey>) -> Duration {
        match key {
            Some(_) => self.ttl,
            None => self.ttl.min(UNKNOWN_TTL),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Stored keys hold this hash: it must never change (a key made before would stop working).
    #[test]
    fn a_secret_is_stored_as_its_sha256_in_lowercase_hex() {
        assert_eq!(
            hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

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
        cache.put(&key.key_id, Some(key.clone()));
        cache.put("acme.unknown", None);
        assert_eq!(cache.get(&key.key_id), Some(Some(key.clone())));
        assert_eq!(cache.get("acme.unknown"), Some(None), "known not to exist");
        std::thread::sleep(Duration::from_millis(40));
        assert_eq!(cache.get(&key.key_id), None);
        assert_eq!(cache.get("acme.unknown"), None);
        let off = KeyCache::new(Duration::ZERO);
        off.put(&key.key_id, Some(key.clone()));
        assert_eq!(off.get(&key.key_id), None);
    }

    #[test]
    fn an_unknown_id_is_remembered_briefly_and_the_cache_stays_bounded() {
        let cache = KeyCache::new(Duration::from_secs(60));
        cache.put("acme.made-up", None);
        let entries = cache.entries.lock().unwrap();
        assert_eq!(
            cache.ttl_of(entries["acme.made-up"].0.as_ref()),
            UNKNOWN_TTL
        );
        drop(entries);
        for i in 0..(MAX_ENTRIES * 3) {
            cache.put(&format!("acme.{i}"), None);
        }
        assert!(cache.entries.lock().unwrap().len() <= MAX_ENTRIES);
    }
}
