//! Test harness: every test gets a fresh tenant on the real local DynamoDB (the moto server that
//! `make test` starts), calls the real handlers, and every response is checked against the
//! envelope rules of API.md before the test sees it.

use std::collections::HashMap;
use std::future::Future;

use aws_sdk_dynamodb::types::AttributeValue;
use jsonwebtoken::{EncodingKey, Header};
use lambda_http::http::{HeaderMap, Method};
use lambda_http::{Body, Request};
use serde_json::{Value, json};
use shared::App;
use shared::config::{Config, JwtKey};
use shared::endpoints;
use shared::envelope::Reply;
use shared::error::ApiError;

pub const SECRET: &str = "test-secret";
pub const READ_WRITE: &str = "contacts:read contacts:write";

/// One test's world: the app as a function builds it, and a tenant no other test uses.
pub struct TestApp {
    pub app: &'static App,
    pub tenant: String,
    client: aws_sdk_dynamodb::Client,
    table: String,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// A test app whose configuration `adjust` changes first (another key, a key cache, ...).
pub async fn spawn_app_with(adjust: impl FnOnce(&mut Config)) -> TestApp {
    let table = std::env::var("TABLE_NAME").unwrap_or_else(|_| {
        panic!("TABLE_NAME and AWS_ENDPOINT_URL_DYNAMODB are unset: run the tests with `make test`")
    });
    assert!(
        std::env::var("AWS_ENDPOINT_URL_DYNAMODB").is_ok(),
        "AWS_ENDPOINT_URL_DYNAMODB is unset: run the tests with `make test`"
    );
    let mut config = Config {
        table_name: table.clone(),
        jwt_key: JwtKey::Hs256(SECRET.into()),
        jwt_issuer: None,
        jwt_audience: None,
        cursor_secret: "cursor-secret".into(),
        api_key_cache: std::time::Duration::ZERO,
        prewarm: false,
    };
    adjust(&mut config);
    let sdk = shared::sdk_config().await;
    let client = aws_sdk_dynamodb::Client::new(&sdk);
    TestApp {
        app: Box::leak(Box::new(App::new(&config, client.clone()).unwrap())),
        tenant: new_tenant(),
        client,
        table,
    }
}

pub fn new_tenant() -> String {
    format!("t-{}", uuid::Uuid::now_v7().simple())
}

/// A signed token with the given claims merged over valid defaults.
pub fn token_with(claims: Value) -> String {
    let now = jsonwebtoken::get_current_timestamp();
    let mut all = json!({"sub": "tester", "exp": now + 600, "scope": READ_WRITE});
    if let (Some(all), Some(extra)) = (all.as_object_mut(), claims.as_object()) {
        for (key, value) in extra {
            all.insert(key.clone(), value.clone());
        }
    }
    jsonwebtoken::encode(
        &Header::default(),
        &all,
        &EncodingKey::from_secret(SECRET.as_bytes()),
    )
    .unwrap()
}

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
    method: Method,
    uri: String,
    headers: Vec<(String, String)>,
    body: Body,
}

impl TestRequest {
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
        builder.body(self.body).unwrap()
    }
}

impl TestApp {
    /// A request authenticated for this test's tenant with read and write scopes.
    pub fn request(&self, method: &str, uri: &str) -> TestRequest {
        TestRequest {
            method: Method::from_bytes(method.as_bytes()).unwrap(),
            uri: uri.into(),
            headers: Vec::new(),
            body: Body::Empty,
        }
        .token(&token_with(json!({"tenant": self.tenant})))
    }

    /// Runs a handler as its function would, and checks the envelope rules on the way out.
    pub async fn send<H, F>(&self, handler: H, request: TestRequest) -> TestResponse
    where
        H: Fn(&'static App, Request) -> F,
        F: Future<Output = Result<Reply, ApiError>>,
    {
        let response = shared::http::handle(self.app, request.build(), handler).await;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        assert!(
            headers.get("x-request-id").is_some(),
            "every response carries X-Request-Id"
        );
        let body = match response.body() {
            Body::Empty => Value::Null,
            Body::Text(text) => serde_json::from_str(text).unwrap(),
            Body::Binary(bytes) => serde_json::from_slice(bytes).unwrap(),
            _ => Value::Null,
        };
        if status == 204 || status == 304 {
            assert_eq!(body, Value::Null, "{status} has no body");
        } else {
            assert_envelope(status, &headers, &body);
        }
        TestResponse {
            status,
            headers,
            body,
        }
    }

    /// Makes an API key for this tenant and returns `keyId:secret`, as `admin create-key` does.
    pub async fn api_key(&self, scopes: &[&str]) -> (String, String) {
        let tenant = shared::auth::TenantId::parse(&self.tenant).unwrap();
        let scopes = scopes.iter().map(|s| s.to_string()).collect();
        let (key, secret) =
            shared::apikey::ApiKey::generate(&tenant, scopes, "2026-01-01T00:00:00.000Z").unwrap();
        self.app.store.put_api_key(&key).await.unwrap();
        (key.key_id.clone(), format!("{}:{secret}", key.key_id))
    }

    /// Runs the handler of the function named as in template.yaml.
    pub async fn call(&self, function: &str, request: TestRequest) -> TestResponse {
        match function {
            "create-contact" => self.send(endpoints::create_contact, request).await,
            "list-contacts" => self.send(endpoints::list_contacts, request).await,
            "get-contact" => self.send(endpoints::get_contact, request).await,
            "update-contact" => self.send(endpoints::update_contact, request).await,
            "patch-contact" => self.send(endpoints::patch_contact, request).await,
            "delete-contact" => self.send(endpoints::delete_contact, request).await,
            "bulk-delete-contacts" => self.send(endpoints::bulk_delete_contacts, request).await,
            "create-group" => self.send(endpoints::create_group, request).await,
            "list-groups" => self.send(endpoints::list_groups, request).await,
            "get-group" => self.send(endpoints::get_group, request).await,
            "patch-group" => self.send(endpoints::patch_group, request).await,
            "delete-group" => self.send(endpoints::delete_group, request).await,
            "route-not-found" => self.send(endpoints::route_not_found, request).await,
            other => panic!("no handler for {other}: add it to TestApp::call"),
        }
    }

    /// Creates a contact and returns its data.
    pub async fn create(&self, body: Value) -> Value {
        let response = self
            .send(
                endpoints::create_contact,
                self.request("POST", "/v1/contacts").json(body),
            )
            .await;
        assert_eq!(response.status, 201, "{:#}", response.body);
        response.data().clone()
    }

    /// Reads a contact as the API returns it (`None` when 404).
    pub async fn get(&self, id: &str) -> Option<Value> {
        let response = self
            .send(
                endpoints::get_contact,
                self.request("GET", &format!("/v1/contacts/{id}")),
            )
            .await;
        match response.status {
            200 => Some(response.data().clone()),
            404 => None,
            other => panic!("unexpected {other}: {:#}", response.body),
        }
    }

    /// The sort keys of every item stored for this test's tenant, read straight from DynamoDB.
    pub async fn stored_keys(&self) -> Vec<String> {
        let output = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk")
            .expression_attribute_values(
                ":pk",
                AttributeValue::S(format!("TENANT#{}", self.tenant)),
            )
            .consistent_read(true)
            .send()
            .await
            .unwrap();
        let mut keys: Vec<String> = output
            .items()
            .iter()
            .filter_map(|item: &HashMap<String, AttributeValue>| item.get("sk"))
            .filter_map(|sk| sk.as_s().ok().cloned())
            .collect();
        keys.sort();
        keys
    }
}

fn assert_envelope(status: u16, headers: &HeaderMap, body: &Value) {
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
