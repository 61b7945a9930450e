//! The response envelope of the contract: what a handler answers (`Reply`) and how it, or an
//! `ApiError`, becomes the HTTP response with `isSuccess`, `statusCode`, `data`, `errors` and
//! `timestamp`. This is the only place a response body is built.

use lambda_http::http::{HeaderName, HeaderValue, StatusCode, header};
use lambda_http::{Body, Response};
use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::{Value, json};

use crate::clock::now;
use crate::error::{ACCEPT_PATCH, ApiError};

/// A successful answer: a status, optional data (already serialized, so a response is
/// serialized once), and extra headers.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub data: Option<Box<RawValue>>,
    pub headers: Vec<(HeaderName, String)>,
}

impl Reply {
    /// 200 with data.
    pub fn ok(data: &impl Serialize) -> Result<Self, ApiError> {
        Self::with_status(StatusCode::OK, data)
    }

    /// Any status with data.
    pub fn with_status(status: StatusCode, data: &impl Serialize) -> Result<Self, ApiError> {
        Ok(Self::raw(status, raw(data)?))
    }

    /// Any status with data serialized by the caller.
    pub fn raw(status: StatusCode, data: Box<RawValue>) -> Self {
        Self {
            status,
            data: Some(data),
            headers: Vec::new(),
        }
    }

    /// A status that has no body (204, 304).
    pub fn empty(status: StatusCode) -> Self {
        Self {
            status,
            data: None,
            headers: Vec::new(),
        }
    }

    /// Adds a header.
    pub fn header(mut self, name: HeaderName, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }
}

/// `data` as JSON text.
pub fn raw(data: &impl Serialize) -> Result<Box<RawValue>, ApiError> {
    serde_json::value::to_raw_value(data).map_err(ApiError::internal)
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Envelope<'a> {
    is_success: bool,
    status_code: u16,
    data: Option<&'a RawValue>,
    errors: Vec<Value>,
    timestamp: String,
}

/// Renders a handler's outcome, always as a response (never an `Err`, which API Gateway would
/// turn into a bare 502).
pub fn render(outcome: Result<Reply, ApiError>, request_id: &str) -> Response<Body> {
    let (status, body, headers) = match outcome {
        Ok(reply) => {
            let body = reply.data.map(|data| {
                serde_json::to_string(&Envelope {
                    is_success: true,
                    status_code: reply.status.as_u16(),
                    data: Some(&data),
                    errors: Vec::new(),
                    timestamp: now(),
                })
                .unwrap_or_default()
            });
            (reply.status, body, reply.headers)
        }
        Err(err) => {
            if let ApiError::Internal(detail) = &err {
                tracing::error!(%request_id, error = %detail, "request failed");
            }
            let errors = error_entries(&err);
            let body = serde_json::to_string(&Envelope {
                is_success: false,
                status_code: err.status().as_u16(),
                data: None,
                errors,
                timestamp: now(),
            })
            .unwrap_or_default();
            (err.status(), Some(body), error_headers(&err))
        }
    };

    let has_body = body.is_some();
    let mut response = Response::new(body.map_or(Body::Empty, Body::Text));
    *response.status_mut() = status;
    let map = response.headers_mut();
    if has_body {
        map.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8"),
        );
    }
    if let Ok(value) = HeaderValue::from_str(request_id) {
        map.insert(HeaderName::from_static("x-request-id"), value);
    }
    for (name, value) in headers {
        if let Ok(value) = HeaderValue::from_str(&value) {
            map.append(name, value);
        }
    }
    response
}

/// The `errors` entries of an error: `{code, message, field?}`, one per problem.
pub fn error_entries(err: &ApiError) -> Vec<Value> {
    let code = err.code();
    err.problems()
        .into_iter()
        .map(|p| match p.field {
            Some(field) => json!({"code": code, "message": p.message, "field": field}),
            None => json!({"code": code, "message": p.message}),
        })
        .collect()
}

fn error_headers(err: &ApiError) -> Vec<(HeaderName, String)> {
    match err {
        ApiError::Unauthenticated(_) => vec![(
            header::WWW_AUTHENTICATE,
            r#"Bearer realm="contacts", Basic realm="contacts""#.to_string(),
        )],
        ApiError::MethodNotAllowed { allow } => vec![(header::ALLOW, allow.join(", "))],
        ApiError::UnsupportedPatchType => vec![(
            HeaderName::from_static("accept-patch"),
            ACCEPT_PATCH.to_string(),
        )],
        ApiError::Unavailable | ApiError::Interrupted => {
            vec![(header::RETRY_AFTER, "1".to_string())]
        }
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Problem;

    fn body_json(response: &Response<Body>) -> Value {
        match response.body() {
            Body::Text(text) => serde_json::from_str(text).unwrap_or(Value::Null),
            _ => Value::Null,
        }
    }

    #[test]
    fn success_envelope_has_every_member_and_the_request_id() {
        let response = render(Ok(Reply::ok(&json!({"a": 1})).unwrap()), "req-1");
        let body = body_json(&response);
        assert_eq!(response.status(), 200);
        assert_eq!(body["isSuccess"], true);
        assert_eq!(body["statusCode"], 200);
        assert_eq!(body["data"], json!({"a": 1}));
        assert_eq!(body["errors"], json!([]));
        assert!(body["timestamp"].as_str().is_some_and(|t| t.ends_with('Z')));
        assert_eq!(response.headers()["x-request-id"], "req-1");
        assert_eq!(
            response.headers()["content-type"],
            "application/json; charset=utf-8"
        );
    }

    #[test]
    fn error_envelope_has_null_data_and_one_entry_per_problem() {
        let err = ApiError::Unprocessable(vec![
            Problem::field("name", "required"),
            Problem::field("email", "bad"),
        ]);
        let response = render(Err(err), "req-2");
        let body = body_json(&response);
        assert_eq!(response.status(), 422);
        assert_eq!(body["isSuccess"], false);
        assert_eq!(body["statusCode"], 422);
        assert_eq!(body["data"], Value::Null);
        assert_eq!(body["errors"][0]["code"], "validation_failed");
        assert_eq!(body["errors"][1]["field"], "email");
    }

    #[test]
    fn internal_errors_never_leak_their_detail() {
        let response = render(Err(ApiError::internal("secret table arn")), "r");
        let text = match response.body() {
            Body::Text(text) => text.clone(),
            _ => String::new(),
        };
        assert_eq!(response.status(), 500);
        assert!(!text.contains("secret"));
        assert!(text.contains("system_error"));
    }

    #[test]
    fn empty_replies_have_no_body_and_no_content_type() {
        let response = render(Ok(Reply::empty(StatusCode::NO_CONTENT)), "r");
        assert!(matches!(response.body(), Body::Empty));
        assert!(response.headers().get("content-type").is_none());
    }
}
