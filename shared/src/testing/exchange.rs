//! A test's request under construction, and what a handler answered, checked against the
//! envelope rules of the contract before the test sees it.

use lambda_http::http::{HeaderMap, Method};
use lambda_http::{Body, Request};
use serde_json::Value;

/// What a handler answered, with its body parsed.
#[derive(Debug)]
pub struct TestResponse {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Value,
}

impl TestResponse {
    pub fn data(&self) -> &Value {
        &self.body["data"]
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The `(code, field)` of every error entry.
    pub fn errors(&self) -> Vec<(String, Option<String>)> {
        self.body["errors"]
            .as_array()
            .map(|errors| {
                errors
                    .iter()
                    .map(|e| {
                        (
                            e["code"].as_str().unwrap_or_default().to_string(),
                            e["field"].as_str().map(str::to_string),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Asserts a failure with this status and code.
    pub fn assert_error(&self, status: u16, code: &str) {
        assert_eq!(self.status, status, "{:#}", self.body);
        assert!(
            self.errors().iter().all(|(c, _)| c == code) && !self.errors().is_empty(),
            "expected {code}: {:#}",
            self.body
        );
    }
}

/// A request under construction.
pub struct TestRequest {
    pub(super) method: Method,
    pub(super) uri: String,
    pub(super) headers: Vec<(String, String)>,
    pub(super) body: Body,
    /// The invocation's deadline (epoch milliseconds), as Lambda's context gives it.
    pub(super) deadline_ms: Option<u64>,
}

impl TestRequest {
    /// Runs as an invocation whose deadline (epoch milliseconds) is `deadline_ms`.
    pub fn deadline(mut self, deadline_ms: u64) -> Self {
        self.deadline_ms = Some(deadline_ms);
        self
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    pub fn without_auth(mut self) -> Self {
        self.headers.retain(|(name, _)| name != "authorization");
        self
    }

    pub fn token(self, token: &str) -> Self {
        self.without_auth()
            .header("authorization", &format!("Bearer {token}"))
    }

    pub fn json(mut self, body: Value) -> Self {
        self.body = Body::Text(body.to_string());
        self.header("content-type", "application/json")
    }

    pub fn raw(mut self, content_type: &str, body: Body) -> Self {
        self.body = body;
        self.header("content-type", content_type)
    }

    pub fn build(self) -> Request {
        let mut builder = lambda_http::http::Request::builder()
            .method(self.method)
            .uri(format!("https://api.test{}", self.uri));
        for (name, value) in &self.headers {
            builder = builder.header(name, value);
        }
        let request = builder.body(self.body).unwrap();
        match self.deadline_ms {
            None => request,
            Some(deadline) => {
                use lambda_http::RequestExt;
                let mut context = lambda_http::Context::default();
                context.deadline = deadline;
                request.with_lambda_context(context)
            }
        }
    }
}

/// Asserts the envelope rules of the contract on a response with a body.
pub(super) fn assert_envelope(status: u16, headers: &HeaderMap, body: &Value) {
    assert_eq!(
        headers.get("content-type").and_then(|v| v.to_str().ok()),
        Some("application/json; charset=utf-8")
    );
    assert_eq!(
        body["statusCode"], status,
        "statusCode equals the HTTP status"
    );
    let success = (200..300).contains(&status);
    assert_eq!(body["isSuccess"], success);
    let timestamp = body["timestamp"].as_str().unwrap_or_default();
    assert!(
        timestamp.len() == 24 && timestamp.ends_with('Z'),
        "timestamp is RFC 3339 UTC with milliseconds: {timestamp}"
    );
    let errors = body["errors"].as_array().expect("errors is an array");
    if success {
        assert!(errors.is_empty());
    } else {
        assert_eq!(body["data"], Value::Null, "failures have null data");
        assert!(!errors.is_empty(), "failures have at least one error");
        for error in errors {
            assert!(error["code"].is_string() && error["message"].is_string());
        }
    }
}
