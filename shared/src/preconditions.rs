//! Conditional requests (RFC 9110): the `ETag` and `Last-Modified` of a version, `If-Match` and
//! `If-Unmodified-Since` on writes, `If-None-Match` on reads. Plain header values in, decisions
//! out, so the store can check a precondition against the version it read.

use std::time::{Duration, SystemTime};

use lambda_http::http::{HeaderMap, header};

use crate::error::ApiError;

/// `If-Match` and `If-Unmodified-Since` of a write.
#[derive(Debug, Clone, Default)]
pub struct Preconditions {
    if_match: Option<String>,
    if_unmodified_since: Option<SystemTime>,
}

impl Preconditions {
    /// Reads both headers; an unparseable `If-Unmodified-Since` is ignored, as RFC 9110 says.
    /// An `If-Match` that is not visible ASCII is a 400: ignoring it would let the write through
    /// unconditionally.
    pub fn from_headers(headers: &HeaderMap) -> Result<Self, ApiError> {
        let if_match = match headers.get(header::IF_MATCH) {
            None => None,
            Some(value) => Some(value.to_str().map(str::to_string).map_err(|_| {
                ApiError::malformed("If-Match", "must be a list of entity tags or *")
            })?),
        };
        Ok(Self {
            if_match,
            if_unmodified_since: headers
                .get(header::IF_UNMODIFIED_SINCE)
                .and_then(|v| v.to_str().ok())
                .and_then(|raw| httpdate::parse_http_date(raw).ok()),
        })
    }

    /// Whether the request carried any precondition (then a stale write is a 412, not a retry).
    pub fn is_empty(&self) -> bool {
        self.if_match.is_none() && self.if_unmodified_since.is_none()
    }

    /// Whether the preconditions hold for the current version (a 412 when they do not).
    pub fn hold(&self, version: u64, updated_at: &str) -> bool {
        match (&self.if_match, self.if_unmodified_since) {
            // RFC 9110: when If-Match is present, If-Unmodified-Since is ignored.
            (Some(tags), _) => etag_list_matches(tags, version, false),
            (None, Some(since)) => last_modified(updated_at).is_some_and(|at| at <= since),
            (None, None) => true,
        }
    }
}

/// Whether `If-None-Match` matches the current version (weak comparison), so a GET answers 304.
pub fn not_modified(headers: &HeaderMap, version: u64) -> bool {
    headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|tags| etag_list_matches(tags, version, true))
}

/// The strong entity tag of a version.
pub fn etag(version: u64) -> String {
    format!("\"{version}\"")
}

/// `updatedAt` as an HTTP date, for `Last-Modified`.
pub fn http_date(updated_at: &str) -> Option<String> {
    last_modified(updated_at).map(httpdate::fmt_http_date)
}

fn last_modified(updated_at: &str) -> Option<SystemTime> {
    let at =
        time::OffsetDateTime::parse(updated_at, &time::format_description::well_known::Rfc3339)
            .ok()?;
    // HTTP dates have whole seconds: compare at that precision.
    let seconds = u64::try_from(at.unix_timestamp()).ok()?;
    Some(SystemTime::UNIX_EPOCH + Duration::from_secs(seconds))
}

fn etag_list_matches(list: &str, version: u64, weak: bool) -> bool {
    let current = etag(version);
    list.split(',').map(str::trim).any(|tag| {
        if tag == "*" {
            return true;
        }
        match tag.strip_prefix("W/") {
            Some(opaque) => weak && opaque == current,
            None => tag == current,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use lambda_http::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    const UPDATED: &str = "2026-01-01T10:00:00.500Z";

    #[test]
    fn if_match_compares_strongly_and_accepts_star_and_lists() {
        for (tag, holds) in [
            ("\"3\"", true),
            ("\"2\", \"3\"", true),
            ("*", true),
            ("\"2\"", false),
            ("W/\"3\"", false),
            ("3", false),
        ] {
            let pre = Preconditions::from_headers(&headers(&[("if-match", tag)])).unwrap();
            assert_eq!(pre.hold(3, UPDATED), holds, "{tag}");
        }
    }

    #[test]
    fn if_unmodified_since_holds_at_or_after_the_last_change() {
        for (date, holds) in [
            ("Thu, 01 Jan 2026 10:00:00 GMT", true),
            ("Thu, 01 Jan 2026 11:00:00 GMT", true),
            ("Thu, 01 Jan 2026 09:59:59 GMT", false),
            ("garbage", true),
        ] {
            let pre =
                Preconditions::from_headers(&headers(&[("if-unmodified-since", date)])).unwrap();
            assert_eq!(pre.hold(1, UPDATED), holds, "{date}");
        }
    }

    #[test]
    fn if_match_wins_over_if_unmodified_since() {
        let pre = Preconditions::from_headers(&headers(&[
            ("if-match", "\"1\""),
            ("if-unmodified-since", "Thu, 01 Jan 2020 00:00:00 GMT"),
        ]))
        .unwrap();
        assert!(pre.hold(1, UPDATED));
    }

    #[test]
    fn if_none_match_uses_weak_comparison() {
        assert!(not_modified(&headers(&[("if-none-match", "W/\"4\"")]), 4));
        assert!(not_modified(&headers(&[("if-none-match", "\"4\"")]), 4));
        assert!(not_modified(&headers(&[("if-none-match", "*")]), 4));
        assert!(!not_modified(&headers(&[("if-none-match", "\"3\"")]), 4));
        assert!(!not_modified(&HeaderMap::new(), 4));
    }

    #[test]
    fn http_dates_drop_the_milliseconds() {
        assert_eq!(
            http_date(UPDATED).as_deref(),
            Some("Thu, 01 Jan 2026 10:00:00 GMT")
        );
    }
}
