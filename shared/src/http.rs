//! The HTTP edge: turning a raw Lambda request into typed input — body, path id, query,
//! projection — before a handler runs. Everything
//! here behaves the same under API Gateway (payload 2.0), `cargo lambda watch` and direct tests:
//! it reads only the method, the URI, the headers and the body bytes.

use lambda_http::http::{HeaderMap, header};
use lambda_http::{Body, Request};
use serde_json::Value;

use crate::error::{ApiError, Problem};
use crate::resource::{Resource, ResourceId, canonical_field, field_names};

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
    crate::json::from_slice(bytes).map_err(|err| {
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
    })
}

/// The `{id}` of `/v1/<collection>/{id}`: the last path segment, whatever stage prefix or
/// emulator put something in front of it.
pub fn path_id(request: &Request) -> Result<ResourceId, ApiError> {
    let path = request.uri().path().trim_end_matches('/');
    let raw = path.rsplit('/').next().unwrap_or_default();
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

    /// The one value of `name`; given twice is a 400.
    pub fn single(&self, name: &str) -> Result<Option<&str>, ApiError> {
        let mut values = self.pairs.iter().filter(|(n, _)| n == name).map(|(_, v)| v);
        match (values.next(), values.next()) {
            (value, None) => Ok(value.map(String::as_str)),
            _ => Err(ApiError::malformed(name, "must be given once")),
        }
    }
}

/// Query parameters every endpoint that returns contacts takes.
pub const PROJECTION_PARAMETERS: [&str; 2] = ["fields", "$select"];

/// The member every resource also carries under `/api/v1`: its id, under the name (`_id`) that
/// clients of that base path read.
pub const ID_ALIAS: &str = "_id";

/// How a resource is returned: the `fields=` / `$select=` projection (which members), and under
/// `/api/v1` the aliases added to it.
#[derive(Debug, Clone, Default)]
pub struct Projection {
    selected: Option<Vec<&'static str>>,
    base: BasePath,
    aliases: &'static [(&'static str, &'static str)],
}

impl Projection {
    /// Reads the projection of a `T`; names (and aliases) match case-insensitively, unknown
    /// names are a 400.
    pub fn parse<T: Resource>(query: &Query) -> Result<Self, ApiError> {
        let selected = Self::selected(query, T::WRITABLE_FIELDS, T::ALIASES)?;
        Ok(Self {
            selected,
            base: query.base,
            aliases: T::ALIASES,
        })
    }

    /// The base path the request came in on.
    pub fn base(&self) -> BasePath {
        self.base
    }

    fn selected(
        query: &Query,
        writable: &'static [&'static str],
        aliases: &'static [(&'static str, &'static str)],
    ) -> Result<Option<Vec<&'static str>>, ApiError> {
        let (param, raw) = match (query.single("fields")?, query.single("$select")?) {
            (Some(_), Some(_)) => {
                return Err(ApiError::malformed(
                    "fields",
                    "give either fields or $select, not both",
                ));
            }
            (Some(raw), None) => ("fields", raw),
            (None, Some(raw)) => ("$select", raw),
            (None, None) => return Ok(None),
        };
        let mut selected = vec!["id"];
        for name in raw.split(',').map(str::trim) {
            let Some(canonical) = canonical_field(name, writable, aliases) else {
                let known: Vec<&str> = field_names(writable)
                    .chain(aliases.iter().map(|(alias, _)| *alias))
                    .collect();
                return Err(ApiError::malformed(
                    param,
                    format!("unknown field '{name}'; known: {}", known.join(", ")),
                ));
            };
            if !selected.contains(&canonical) {
                selected.push(canonical);
            }
        }
        Ok(Some(selected))
    }

    /// A resource as JSON text with only the selected members: serialized once when there is
    /// nothing to select or add, through a `Value` otherwise.
    pub fn select(
        &self,
        resource: &impl serde::Serialize,
    ) -> Result<Box<serde_json::value::RawValue>, ApiError> {
        if self.selected.is_none() && self.base == BasePath::V1 {
            return crate::envelope::raw(resource);
        }
        let value = serde_json::to_value(resource).map_err(ApiError::internal)?;
        crate::envelope::raw(&self.apply(value))
    }

    /// Keeps only the selected members of an object; under `/api/v1` adds `_id` and the
    /// aliases of the members it kept.
    pub fn apply(&self, value: Value) -> Value {
        let Value::Object(mut object) = value else {
            return value;
        };
        if let Some(selected) = &self.selected {
            object.retain(|key, _| selected.contains(&key.as_str()));
        }
        if self.base == BasePath::ApiV1 {
            let id_alias = [(ID_ALIAS, "id")];
            for (alias, field) in id_alias.iter().chain(self.aliases) {
                if let Some(value) = object.get(*field).cloned() {
                    object.insert((*alias).to_string(), value);
                }
            }
        }
        Value::Object(object)
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
