//! Opaque list cursors. A cursor names where the previous page stopped and is signed (HMAC-SHA256)
//! over the tenant and the query it belongs to, so an altered cursor, or one from another tenant
//! or another query, is refused with 400 instead of leaking or skipping data.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::hmac;

use crate::error::ApiError;
use crate::identity::TenantId;

/// The key cursors are signed with; from `CURSOR_SECRET`.
#[derive(Clone)]
pub struct CursorKey(Vec<u8>);

impl CursorKey {
    pub fn new(secret: &str) -> Self {
        Self(secret.as_bytes().to_vec())
    }

    /// What the tag covers: each part preceded by its length, so no two inputs run together.
    fn signed(tenant: &TenantId, query: &str, position: &str) -> Vec<u8> {
        let mut message =
            Vec::with_capacity(24 + tenant.as_str().len() + query.len() + position.len());
        for part in [tenant.as_str(), query, position] {
            message.extend_from_slice(&(part.len() as u64).to_be_bytes());
            message.extend_from_slice(part.as_bytes());
        }
        message
    }

    fn key(&self) -> hmac::Key {
        hmac::Key::new(hmac::HMAC_SHA256, &self.0)
    }

    /// A cursor for `position` in `query` of `tenant`.
    pub fn seal(&self, tenant: &TenantId, query: &str, position: &str) -> String {
        let tag = hmac::sign(&self.key(), &Self::signed(tenant, query, position));
        format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(position),
            URL_SAFE_NO_PAD.encode(tag)
        )
    }

    /// The position a cursor names, if it was made by `seal` for this tenant and query.
    pub fn open(&self, tenant: &TenantId, query: &str, cursor: &str) -> Result<String, ApiError> {
        let bad = || ApiError::malformed("cursor", "the cursor is not valid for this query");
        let (position, tag) = cursor.split_once('.').ok_or_else(bad)?;
        let position = URL_SAFE_NO_PAD.decode(position).map_err(|_| bad())?;
        let position = String::from_utf8(position).map_err(|_| bad())?;
        let tag = URL_SAFE_NO_PAD.decode(tag).map_err(|_| bad())?;
        // Constant time, as ring compares it.
        hmac::verify(&self.key(), &Self::signed(tenant, query, &position), &tag)
            .map_err(|_| bad())?;
        Ok(position)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tenant(name: &str) -> TenantId {
        TenantId::parse(name).unwrap()
    }

    /// Cursors handed out before a release must still open after it: the tag is HMAC-SHA256 over
    /// each part's length (8 bytes, big-endian) and bytes.
    #[test]
    fn a_cursor_is_the_same_for_the_same_key_and_input() {
        let key = CursorKey::new("k");
        assert_eq!(
            key.seal(&tenant("acme"), "contacts", "PK#1"),
            "UEsjMQ.U2KrBnbEQXaG-ffUZaxM6oZaayNQ3xylEFXbROFZdPA"
        );
    }

    #[test]
    fn a_cursor_opens_only_for_its_tenant_and_query() {
        let key = CursorKey::new("k");
        let cursor = key.seal(&tenant("a"), "contacts", "pos-1");
        assert_eq!(
            key.open(&tenant("a"), "contacts", &cursor).unwrap(),
            "pos-1"
        );
        assert!(key.open(&tenant("b"), "contacts", &cursor).is_err());
        assert!(key.open(&tenant("a"), "contacts?email=x", &cursor).is_err());
        assert!(
            CursorKey::new("other")
                .open(&tenant("a"), "contacts", &cursor)
                .is_err()
        );
    }

    #[test]
    fn altered_cursors_are_refused() {
        let key = CursorKey::new("k");
        let cursor = key.seal(&tenant("a"), "q", "pos-1");
        let forged = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode("pos-2"),
            cursor.split_once('.').unwrap().1
        );
        for bad in [
            forged.as_str(),
            "",
            "x",
            "x.y",
            &cursor[1..],
            &format!("{cursor}A"),
        ] {
            let err = key.open(&tenant("a"), "q", bad).unwrap_err();
            assert_eq!(err.status(), 400, "{bad}");
        }
    }
}
