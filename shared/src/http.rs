//! The HTTP edge: turning a raw Lambda request into typed input — body, path id, query — before
//! a handler runs (the projection is in the `projection` module). Everything
//! here behaves the same under API Gateway (payload 2.0), `cargo lambda watch` and direct tests:
//! it reads only the method, the URI, the headers and the body bytes.

use lambda_http::http::{HeaderMap, header};
use lambda_http::{Body, Request};
use serde_json::Value;

use crate::error::{ApiError, Problem};
use crate::resource::ResourceId;

/// The most items one page of a list or the feed holds.
pub const MAX_LIMIT: usize = 100;

/// Bodies over this size are refused with 413.
pub const MAX_BODY_BYTES: usize = 256 * 1024;

/// The body's bytes, whatever variant the integration delivered it as.
pub fn body_bytes(request: &Request) -> &[u8] {
    match request.body() {
        Body::Empty => &[],
        Body::Text(text) => text.as_bytes(),
        Body::Binary(bytes) => bytes,
        _ => &[],
    }
}

/// The media type of the request, lower-cased and without parameters.
pub fn media_type(headers: &HeaderMap) -> Option<String> {
    let raw = headers.get(header::CONTENT_TYPE)?.to_str().ok()?;
    let essence = raw.split(';').next().unwrap_or_default().trim();
    Some(essence.to_ascii_lowercase())
}

/// Whether a media type is JSON (`application/json` or any `application/*+json`).
pub fn is_json(media_type: &str) -> bool {
    media_type == "application/json"
        || (media_type.starts_with("application/") && media_type.ends_with("+json"))
}

/// A JSON body: 413 when too large, 415 when declared as something else, 400 when malformed.
pub fn json_body(request: &Request) -> Result<Value, ApiError> {
    let bytes = body_bytes(request);
    if bytes.len() > MAX_BODY_BYTES {
        return Err(ApiError::PayloadTooLarge);
    }
    if let Some(media_type) = media_type(request.headers())
        && !is_json(&media_type)
    {
        return Err(ApiError::UnsupportedMediaType(
            "the body must be JSON (Content-Type: application/json)".into(),
        ));
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::Malformed(vec![Problem::general(
            "a JSON body is required",
        )]));
    }
    let value = crate::json::from_slice(bytes).map_err(|err| {
        let reason = if err.is_data() {
            // A repeated member: the message names it.
            err.to_string()
        } else {
            format!(
                "the body is not valid JSON (line {}, column {})",
                err.line(),
                err.column()
            )
        };
        ApiError::Malformed(vec![Problem::general(reason)])
    })?;
    // Never store a number other than the one sent.
    if let Some(number) = crate::json::inexact_number(bytes) {
        let shown: String = number.chars().take(40).collect();
        return Err(ApiError::Unprocessable(vec![Problem::general(format!(
            "the number {shown} has more precision than is kept (a 64-bit integer, or a double's \
             15 to 17 significant digits): send it as a string"
        ))]));
    }
    Ok(value)
}

/// The `{id}` of `/v1/<collection>/{id}`: the last path segment, whatever stage prefix or
/// emulator put something in front of it.
pub fn path_id(request: &Request) -> Result<ResourceId, ApiError> {
    path_id_at(request, 0)
}

/// The id `from_end` segments before the last of the path (`/v1/contacts/{id}/restore`: 1).
pub fn path_id_at(request: &Request, from_end: usize) -> Result<ResourceId, ApiError> {
    let path = request.uri().path().trim_end_matches('/');
    let raw = path.rsplit('/').nth(from_end).unwrap_or_default();
    ResourceId::parse(raw).ok_or_else(|| ApiError::malformed("id", "the id must be a UUID"))
}

/// Where a request was sent: the contract's `/v1`, or `/api/v1`, the base path of the source
/// APIs, whose answers also carry `_id` and each resource's output aliases (`number`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum BasePath {
    #[default]
    V1,
    ApiV1,
}

impl BasePath {
    /// The base path of a request path, after any stage prefix.
    pub fn of(path: &str) -> Self {
        let mut segments = path.split('/');
        while let Some(segment) = segments.next() {
            if segment == "api" {
                return match segments.next() {
                    Some("v1") => Self::ApiV1,
                    _ => Self::V1,
                };
            }
            if segment == "v1" {
                return Self::V1;
            }
        }
        Self::V1
    }

    /// The path a collection has under this base (`/api/v1/contacts`).
    pub fn collection(self, collection: &str) -> String {
        match self {
            Self::V1 => format!("/v1/{collection}"),
            Self::ApiV1 => format!("/api/v1/{collection}"),
        }
    }
}

/// The query string as name/value pairs, checked against the names an endpoint takes, and the
/// base path the request was sent to.
#[derive(Debug, Default)]
pub struct Query {
    pairs: Vec<(String, String)>,
    base: BasePath,
}

impl Query {
    /// Parses the query; a parameter the endpoint does not take is a 400.
    pub fn parse(request: &Request, accepted: &[&str]) -> Result<Self, ApiError> {
        let pairs: Vec<(String, String)> =
            form_urlencoded::parse(request.uri().query().unwrap_or_default().as_bytes())
                .map(|(name, value)| (name.into_owned(), value.into_owned()))
                .collect();
        let unknown: Vec<Problem> = pairs
            .iter()
            .filter(|(name, _)| !accepted.contains(&name.as_str()))
            .map(|(name, _)| Problem::field(name.as_str(), "is not a parameter of this endpoint"))
            .collect();
        if unknown.is_empty() {
            Ok(Self {
                pairs,
                base: BasePath::of(request.uri().path()),
            })
        } else {
            Err(ApiError::Malformed(unknown))
        }
    }

    /// Every value of `name`, for parameters that may repeat.
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.pairs
            .iter()
            .filter(move |(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// `limit`: an integer from 1 to 100, `default` when not given; anything else is a 400.
    pub fn limit(&self, default: usize) -> Result<usize, ApiError> {
        match self.single("limit")? {
            None => Ok(default),
            Some(raw) => raw
                .parse::<usize>()
                .ok()
                .filter(|n| (1..=MAX_LIMIT).contains(n))
                .ok_or_else(|| ApiError::malformed("limit", "must be an integer from 1 to 100")),
        }
    }

    /// The base path the request came in on.
    pub fn base(&self) -> BasePath {
        self.base
    }

    /// The one value of `name`; given twice is a 400.
    pub fn single(&self, name: &str) -> Result<Option<&str>, ApiError> {
        let mut values = self.pairs.iter().filter(|(n, _)| n == name).map(|(_, v)| v);
        match (values.next(), values.next()) {
            (value, None) => Ok(value.map(String::as_str)),
            _ => Err(ApiError::malformed(name, "must be given once")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lambda_http::http::HeaderValue;

    #[test]
    fn the_base_path_is_found_after_any_stage_prefix() {
        for (path, base) in [
            ("/v1/contacts", BasePath::V1),
            ("/api/v1/contacts/x", BasePath::ApiV1),
            ("/prod/api/v1/contacts", BasePath::ApiV1),
            ("/prod/v1/contacts", BasePath::V1),
            ("/api/v2/contacts", BasePath::V1),
            ("/v1/api/v1", BasePath::V1),
        ] {
            assert_eq!(BasePath::of(path), base, "{path}");
        }
    }

    #[test]
    fn json_media_types() {
        for ok in [
            "application/json",
            "application/merge-patch+json",
            "application/json-patch+json",
        ] {
            assert!(is_json(ok), "{ok}");
        }
        for bad in [
            "text/plain",
            "application/xml",
            "application/x-www-form-urlencoded",
        ] {
            assert!(!is_json(bad), "{bad}");
        }
        let mut map = HeaderMap::new();
        map.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("Application/JSON; charset=utf-8"),
        );
        assert_eq!(media_type(&map).as_deref(), Some("application/json"));
    }
}
