//! `Idempotency-Key` on the endpoints that create (POST of a contact or group, bulk delete,
//! import): the first request with a key runs and its answer is stored with the key for 24 h
//! (tenant-scoped; DynamoDB TTL removes it); a retry with the same key and the same request gets
//! that answer again with `Idempotent-Replayed: true`; the same key on a different request is a
//! 422; a retry while the first still runs is a 409. A create stores its answer in the same
//! transaction as the contact, so a create that landed always replays. The store keeps the keys
//! (`store::idempotency`); `endpoints::idempotent` runs a request under one.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use lambda_http::Request;
use lambda_http::http::{HeaderName, StatusCode};
use serde::{Deserialize, Serialize};

use crate::envelope::Reply;
use crate::error::ApiError;
use crate::http::body_bytes;

/// The request header that carries the key.
pub const HEADER: &str = "idempotency-key";
/// The answer header that says an answer is a stored one.
pub const REPLAYED: &str = "idempotent-replayed";
/// How long an answer is kept for retries.
pub const RETENTION: Duration = Duration::from_secs(24 * 60 * 60);
/// How long a request holds its key while it runs: longer than a function may run (10 s), so a
/// key is only taken over from a request that can no longer finish.
pub const LOCK: Duration = Duration::from_secs(15);
/// The longest key taken.
pub const MAX_KEY: usize = 255;

/// The key a request carries and what identifies the request (method, path, query and body).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey {
    pub key: String,
    pub fingerprint: String,
}

impl IdempotencyKey {
    /// The request's key, if it sent one: 1–255 visible ASCII characters, else a 400.
    pub fn from_request(request: &Request) -> Result<Option<Self>, ApiError> {
        let mut values = request.headers().get_all(HEADER).iter();
        let Some(value) = values.next() else {
            return Ok(None);
        };
        let key = value
            .to_str()
            .ok()
            .filter(|key| {
                (1..=MAX_KEY).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_graphic())
            })
            .filter(|_| values.next().is_none())
            .ok_or_else(|| {
                ApiError::malformed(
                    "Idempotency-Key",
                    format!("must be given once, as 1 to {MAX_KEY} visible ASCII characters"),
                )
            })?;
        let mut digest = ring::digest::Context::new(&ring::digest::SHA256);
        for part in [
            request.method().as_str().as_bytes(),
            request.uri().path().as_bytes(),
            request.uri().query().unwrap_or_default().as_bytes(),
            body_bytes(request),
        ] {
            digest.update(&(part.len() as u64).to_be_bytes());
            digest.update(part);
        }
        Ok(Some(Self {
            key: key.to_string(),
            fingerprint: URL_SAFE_NO_PAD.encode(digest.finish()),
        }))
    }
}

/// A key this request holds while it runs.
#[derive(Debug, Clone)]
pub struct Claim {
    pub key: IdempotencyKey,
    /// Tells this request's hold from a later one's after the lock expired.
    pub token: String,
    stored: Arc<AtomicBool>,
}

impl Claim {
    pub fn new(key: IdempotencyKey) -> Self {
        Self {
            key,
            token: crate::resource::ResourceId::new().to_string(),
            stored: Arc::new(AtomicBool::new(false)),
        }
    }

    /// The answer was stored with the write itself (in its transaction).
    pub fn mark_stored(&self) {
        self.stored.store(true, Ordering::Relaxed);
    }

    pub fn is_stored(&self) -> bool {
        self.stored.load(Ordering::Relaxed)
    }
}

/// What the store found for a key.
#[derive(Debug)]
pub enum Admission {
    /// The key is this request's now.
    Proceed(Claim),
    /// The key answered before: its stored answer.
    Replay(StoredReply),
}

/// An answer as it is stored with its key.
#[derive(Debug, Serialize, Deserialize)]
pub struct StoredReply {
    pub status: u16,
    pub data: Option<String>,
    pub headers: Vec<(String, String)>,
}

impl StoredReply {
    pub fn of(reply: &Reply) -> Self {
        Self {
            status: reply.status.as_u16(),
            data: reply.data.as_ref().map(|data| data.get().to_string()),
            headers: reply
                .headers
                .iter()
                .map(|(name, value)| (name.to_string(), value.clone()))
                .collect(),
        }
    }

    /// The stored answer, marked as replayed.
    pub fn into_reply(self) -> Result<Reply, ApiError> {
        let status = StatusCode::from_u16(self.status).map_err(ApiError::internal)?;
        let mut reply = match self.data {
            Some(data) => Reply::raw(
                status,
                serde_json::value::RawValue::from_string(data).map_err(ApiError::internal)?,
            ),
            None => Reply::empty(status),
        };
        for (name, value) in self.headers {
            let name = HeaderName::try_from(name).map_err(ApiError::internal)?;
            reply = reply.header(name, value);
        }
        Ok(reply.header(HeaderName::from_static(REPLAYED), "true"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lambda_http::Body;

    fn request(key: Option<&str>, body: &str) -> Request {
        let mut builder = lambda_http::http::Request::builder()
            .method("POST")
            .uri("/v1/contacts");
        if let Some(key) = key {
            builder = builder.header(HEADER, key);
        }
        builder.body(Body::Text(body.into())).unwrap()
    }

    #[test]
    fn keys_are_visible_ascii_and_the_fingerprint_covers_the_body() {
        assert_eq!(
            IdempotencyKey::from_request(&request(None, "{}")).unwrap(),
            None
        );
        let a = IdempotencyKey::from_request(&request(Some("k-1"), "{}"))
            .unwrap()
            .unwrap();
        let b = IdempotencyKey::from_request(&request(Some("k-1"), "{ }"))
            .unwrap()
            .unwrap();
        let c = IdempotencyKey::from_request(&request(Some("k-1"), "{}"))
            .unwrap()
            .unwrap();
        assert_eq!(a.key, "k-1");
        assert_ne!(a.fingerprint, b.fingerprint);
        assert_eq!(a, c);
        for bad in ["", "with space", &"k".repeat(MAX_KEY + 1)] {
            let err = IdempotencyKey::from_request(&request(Some(bad), "{}")).unwrap_err();
            assert_eq!(err.status().as_u16(), 400, "{bad:?}");
        }
        assert!(IdempotencyKey::from_request(&request(Some(&"k".repeat(MAX_KEY)), "{}")).is_ok());
    }

    #[test]
    fn a_stored_reply_comes_back_as_it_was_and_marked() {
        let reply = Reply::with_status(StatusCode::CREATED, &serde_json::json!({"id": "x"}))
            .unwrap()
            .header(lambda_http::http::header::LOCATION, "/v1/contacts/x");
        let text = serde_json::to_string(&StoredReply::of(&reply)).unwrap();
        let back = serde_json::from_str::<StoredReply>(&text)
            .unwrap()
            .into_reply()
            .unwrap();
        assert_eq!(back.status, StatusCode::CREATED);
        assert_eq!(back.data.unwrap().get(), r#"{"id":"x"}"#);
        assert_eq!(
            back.headers
                .iter()
                .map(|(n, v)| (n.as_str(), v.as_str()))
                .collect::<Vec<_>>(),
            [("location", "/v1/contacts/x"), (REPLAYED, "true")]
        );
    }
}
