//! The HTTP edge: start-up of a function (`serve`), and turning a raw Lambda request into typed
//! input — body, path id, query, projection, preconditions — before a handler runs. Everything
//! here behaves the same under API Gateway (payload 2.0), `cargo lambda watch` and direct tests:
//! it reads only the method, the URI, the headers and the body bytes.

use std::future::Future;
use std::time::{Duration, SystemTime};

use lambda_http::http::{HeaderMap, header};
use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt, Response, service_fn};
use serde_json::Value;

use crate::App;
use crate::contact::ResourceId;
use crate::envelope::{Reply, render};
use crate::error::{ApiError, Problem};

/// Bodies over this size are refused with 413.
pub const MAX_BODY_BYTES: usize = 256 * 1024;

/// Starts a function: builds the process-wide state once, then serves `handler` forever.
pub async fn serve<H, F>(handler: H) -> Result<(), lambda_http::Error>
where
    H: Fn(&'static App, Request) -> F + Copy + Send + 'static,
    F: Future<Output = Result<Reply, ApiError>> + Send,
{
    lambda_http::tracing::init_default_subscriber();
    let app: &'static App = Box::leak(Box::new(App::from_env().await?));
    lambda_http::run(service_fn(move |request: Request| async move {
        Ok::<_, std::convert::Infallible>(handle(app, request, handler).await)
    }))
    .await
}

/// Runs one request through `handler` and renders the outcome; never fails.
pub async fn handle<H, F>(app: &'static App, request: Request, handler: H) -> Response<Body>
where
    H: Fn(&'static App, Request) -> F,
    F: Future<Output = Result<Reply, ApiError>>,
{
    let request_id = request_id(&request);
    let method = request.method().clone();
    let outcome = handler(app, request).await;
    if let Err(err) = &outcome {
        tracing::info!(%request_id, %method, status = err.status().as_u16(), code = err.code(), "request refused");
    }
    render(outcome, &request_id)
}

/// API Gateway's request id, else the Lambda invocation id, else a fresh one (direct tests).
fn request_id(request: &Request) -> String {
    let gateway = match request.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(context)) => context.request_id.clone(),
        _ => None,
    };
    gateway
        .or_else(|| request.lambda_context_ref().map(|c| c.request_id.clone()))
        .filter(|id| !id.is_empty())
        .unwrap_or_else(|| ResourceId::new().to_string())
}

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
        return Err(ApiError::NotValid(vec![Problem::general(
            "a JSON body is required",
        )]));
    }
    serde_json::from_slice(bytes).map_err(|err| {
        ApiError::NotValid(vec![Problem::general(format!(
            "the body is not valid JSON (line {}, column {})",
            err.line(),
            err.column()
        ))])
    })
}

/// The `{id}` of `/v1/<collection>/{id}`: the last path segment, whatever stage prefix or
/// emulator put something in front of it.
pub fn path_id(request: &Request) -> Result<ResourceId, ApiError> {
    let path = request.uri().path().trim_end_matches('/');
    let raw = path.rsplit('/').next().unwrap_or_default();
    ResourceId::parse(raw).ok_or_else(|| ApiError::not_valid("id", "the id must be a UUID"))
}

/// The query string as name/value pairs, checked against the names an endpoint takes.
#[derive(Debug, Default)]
pub struct Query(Vec<(String, String)>);

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
            Ok(Self(pairs))
        } else {
            Err(ApiError::NotValid(unknown))
        }
    }

    /// Every value of `name`, for parameters that may repeat.
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0
            .iter()
            .filter(move |(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The one value of `name`; given twice is a 400.
    pub fn single(&self, name: &str) -> Result<Option<&str>, ApiError> {
        let mut values = self.0.iter().filter(|(n, _)| n == name).map(|(_, v)| v);
        match (values.next(), values.next()) {
            (value, None) => Ok(value.map(String::as_str)),
            _ => Err(ApiError::not_valid(name, "must be given once")),
        }
    }
}

/// Query parameters every endpoint that returns contacts takes.
pub const PROJECTION_PARAMETERS: [&str; 2] = ["fields", "$select"];

/// The `fields=` / `$select=` projection: which members of a resource to return.
#[derive(Debug, Clone, Default)]
pub struct Projection(Option<Vec<&'static str>>);

impl Projection {
    /// Reads the projection; names match `known` case-insensitively, unknown names are a 400.
    pub fn parse(query: &Query, known: &'static [&'static str]) -> Result<Self, ApiError> {
        let (param, raw) = match (query.single("fields")?, query.single("$select")?) {
            (Some(_), Some(_)) => {
                return Err(ApiError::not_valid(
                    "fields",
                    "give either fields or $select, not both",
                ));
            }
            (Some(raw), None) => ("fields", raw),
            (None, Some(raw)) => ("$select", raw),
            (None, None) => return Ok(Self(None)),
        };
        let mut selected = vec!["id"];
        for name in raw.split(',').map(str::trim) {
            let Some(canonical) = known.iter().find(|k| k.eq_ignore_ascii_case(name)) else {
                return Err(ApiError::not_valid(
                    param,
                    format!("unknown field '{name}'; known: {}", known.join(", ")),
                ));
            };
            if !selected.contains(canonical) {
                selected.push(canonical);
            }
        }
        Ok(Self(Some(selected)))
    }

    /// A resource as JSON text with only the selected members: serialized once when nothing is
    /// selected, through a `Value` when something is.
    pub fn select(
        &self,
        resource: &impl serde::Serialize,
    ) -> Result<Box<serde_json::value::RawValue>, ApiError> {
        match &self.0 {
            None => crate::envelope::raw(resource),
            Some(_) => {
                let value = serde_json::to_value(resource).map_err(ApiError::internal)?;
                crate::envelope::raw(&self.apply(value))
            }
        }
    }

    /// Keeps only the selected members of an object.
    pub fn apply(&self, value: Value) -> Value {
        match (&self.0, value) {
            (Some(selected), Value::Object(mut object)) => {
                object.retain(|key, _| selected.contains(&key.as_str()));
                Value::Object(object)
            }
            (_, value) => value,
        }
    }
}

/// `If-Match` and `If-Unmodified-Since` of a write.
#[derive(Debug, Clone, Default)]
pub struct Preconditions {
    if_match: Option<String>,
    if_unmodified_since: Option<SystemTime>,
}

impl Preconditions {
    /// Reads both headers; an unparseable `If-Unmodified-Since` is ignored, as RFC 9110 says.
    pub fn from_headers(headers: &HeaderMap) -> Self {
        let text = |name| headers.get(name).and_then(|v| v.to_str().ok());
        Self {
            if_match: text(header::IF_MATCH).map(str::to_string),
            if_unmodified_since: text(header::IF_UNMODIFIED_SINCE)
                .and_then(|raw| httpdate::parse_http_date(raw).ok()),
        }
    }

    /// Whether the request carried any precondition (then a stale write is a 412, not a retry).
    pub fn is_empty(&self) -> bool {
        self.if_match.is_none() && self.if_unmodified_since.is_none()
    }

    /// Checks the preconditions against the current version; 412 when they do not hold.
    pub fn check(&self, version: u64, updated_at: &str) -> Result<(), ApiError> {
        let holds = match (&self.if_match, self.if_unmodified_since) {
            // RFC 9110: when If-Match is present, If-Unmodified-Since is ignored.
            (Some(tags), _) => etag_list_matches(tags, version, false),
            (None, Some(since)) => last_modified(updated_at).is_some_and(|at| at <= since),
            (None, None) => true,
        };
        if holds {
            Ok(())
        } else {
            Err(ApiError::PreconditionFailed(
                "the resource has changed since the version the request is based on".into(),
            ))
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
            let pre = Preconditions::from_headers(&headers(&[("if-match", tag)]));
            assert_eq!(pre.check(3, UPDATED).is_ok(), holds, "{tag}");
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
            let pre = Preconditions::from_headers(&headers(&[("if-unmodified-since", date)]));
            assert_eq!(pre.check(1, UPDATED).is_ok(), holds, "{date}");
        }
    }

    #[test]
    fn if_match_wins_over_if_unmodified_since() {
        let pre = Preconditions::from_headers(&headers(&[
            ("if-match", "\"1\""),
            ("if-unmodified-since", "Thu, 01 Jan 2020 00:00:00 GMT"),
        ]));
        assert!(pre.check(1, UPDATED).is_ok());
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
        let map = headers(&[("content-type", "Application/JSON; charset=utf-8")]);
        assert_eq!(media_type(&map).as_deref(), Some("application/json"));
    }

    #[test]
    fn http_dates_drop_the_milliseconds() {
        assert_eq!(
            http_date(UPDATED).as_deref(),
            Some("Thu, 01 Jan 2026 10:00:00 GMT")
        );
    }
}
