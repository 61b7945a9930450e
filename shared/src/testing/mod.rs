//! The test toolkit (feature `testing`; tests and benches only, never in a function): a fresh
//! tenant on the real local DynamoDB per test, requests through the real handlers with every
//! response checked against the envelope rules, one token maker, one test configuration.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::collections::HashMap;
use std::future::Future;

use aws_sdk_dynamodb::types::AttributeValue;
use jsonwebtoken::{EncodingKey, Header};
use lambda_http::http::Method;
use lambda_http::{Body, Request};
use serde_json::{Value, json};

use crate::App;
use crate::config::{Config, JwtKey, Secret};
use crate::endpoints;
use crate::envelope::Reply;
use crate::error::ApiError;
use crate::store::keys;

mod actions;
mod dispatch;
mod exchange;
mod jwks_server;
mod proxy;
mod reads;
mod runtime_api;

pub use actions::ActionLog;
use exchange::assert_envelope;
pub use exchange::{TestRequest, TestResponse};
pub use jwks_server::{JwksServer, rs256_token, test_jwks, test_jwks_with_kids};
pub use proxy::MotoProxy;
pub use reads::ReadMeter;
pub use runtime_api::{RuntimeApi, function_command, get_contact_event};

pub const SECRET: &str = "test-secret";
pub const READ_WRITE: &str = "contacts:read contacts:write";

/// One test's world: the app as a function builds it, and a tenant no other test uses.
pub struct TestApp {
    pub app: &'static App,
    pub tenant: String,
    client: aws_sdk_dynamodb::Client,
    table: String,
    actions: ActionLog,
    reads: ReadMeter,
}

impl Config {
    /// The configuration of tests and benches: `table`, HS256 with `testing::SECRET`, no key
    /// cache (so revocation shows at once), no prewarm.
    pub fn for_tests(table: &str) -> Self {
        Self {
            table_name: table.to_string(),
            jwt_key: Some(JwtKey::Hs256(Secret::Value(SECRET.into()))),
            jwt_issuer: None,
            jwt_audience: None,
            cursor_secret: Some(Secret::Value("cursor-secret".into())),
            api_key_cache: std::time::Duration::ZERO,
            changes_settle: std::time::Duration::ZERO,
            clock: crate::clock::since_epoch,
            trash_retention: std::time::Duration::from_secs(
                crate::config::DEFAULT_TRASH_DAYS * 24 * 60 * 60,
            ),
            prewarm: false,
        }
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// A test app whose configuration `adjust` changes first (another key, a key cache, ...).
pub async fn spawn_app_with(adjust: impl FnOnce(&mut Config)) -> TestApp {
    spawn(adjust, |builder| builder).await
}

/// A test app whose DynamoDB client `configure` changes (another endpoint, other timeouts).
pub async fn spawn_app_with_client(
    configure: impl FnOnce(aws_sdk_dynamodb::config::Builder) -> aws_sdk_dynamodb::config::Builder,
) -> TestApp {
    spawn(|_| {}, configure).await
}

async fn spawn(
    adjust: impl FnOnce(&mut Config),
    configure: impl FnOnce(aws_sdk_dynamodb::config::Builder) -> aws_sdk_dynamodb::config::Builder,
) -> TestApp {
    let table = std::env::var("TABLE_NAME").unwrap_or_else(|_| {
        panic!("TABLE_NAME and AWS_ENDPOINT_URL_DYNAMODB are unset: run the tests with `make test`")
    });
    assert!(
        std::env::var("AWS_ENDPOINT_URL_DYNAMODB").is_ok(),
        "AWS_ENDPOINT_URL_DYNAMODB is unset: run the tests with `make test`"
    );
    let mut config = Config::for_tests(&table);
    adjust(&mut config);
    let table = config.table_name.clone();
    let sdk = crate::sdk_config().await;
    let actions = ActionLog::default();
    let reads = ReadMeter::default();
    let recorded = configure(
        aws_sdk_dynamodb::config::Builder::from(&sdk)
            .interceptor(actions.clone())
            .interceptor(reads.clone()),
    )
    .build();
    let client = aws_sdk_dynamodb::Client::new(&sdk);
    TestApp {
        app: Box::leak(Box::new(
            App::new(&config, aws_sdk_dynamodb::Client::from_conf(recorded)).unwrap(),
        )),
        tenant: new_tenant(),
        client,
        table,
        actions,
        reads,
    }
}

pub fn new_tenant() -> String {
    format!("t-{}", uuid::Uuid::now_v7().simple())
}

/// An HS256 token signed with `SECRET` (what `Config::for_tests` verifies), with the given
/// claims merged over valid defaults.
pub fn token_with(claims: Value) -> String {
    signed_token(SECRET, claims)
}

/// An HS256 token signed with `secret`, with the given claims merged over valid defaults
/// (`sub`, `exp` ten minutes ahead, both scopes): the one token maker of tests and benches.
pub fn signed_token(secret: &str, claims: Value) -> String {
    crate::jwt::install();
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
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

impl TestApp {
    /// A request authenticated for this test's tenant with read and write scopes.
    pub fn request(&self, method: &str, uri: &str) -> TestRequest {
        TestRequest {
            method: Method::from_bytes(method.as_bytes()).unwrap(),
            uri: uri.into(),
            headers: Vec::new(),
            body: Body::Empty,
            deadline_ms: None,
        }
        .token(&token_with(json!({"tenant": self.tenant})))
    }

    /// Runs a handler as its function would, and checks the envelope rules on the way out.
    pub async fn send<H, F>(&self, handler: H, request: TestRequest) -> TestResponse
    where
        H: Fn(&'static App, Request) -> F,
        F: Future<Output = Result<Reply, ApiError>>,
    {
        let response = crate::lambda::handle(self.app, request.build(), handler).await;
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
        let tenant = crate::identity::TenantId::parse(&self.tenant).unwrap();
        let scopes = scopes.iter().map(|s| s.to_string()).collect();
        let (key, secret) =
            crate::apikey::ApiKey::generate(&tenant, scopes, "2026-01-01T00:00:00.000Z").unwrap();
        self.app.store.put_api_key(&key).await.unwrap();
        (key.key_id.clone(), format!("{}:{secret}", key.key_id))
    }

    /// What this app's requests read so far.
    pub fn reads(&self) -> &ReadMeter {
        &self.reads
    }

    /// The DynamoDB actions this app's requests needed so far, as IAM names them.
    pub fn actions(&self) -> std::collections::BTreeSet<String> {
        self.actions.actions()
    }

    /// Creates a contact and returns its id and data.
    pub async fn contact(&self, body: Value) -> (String, Value) {
        let created = self.create(body).await;
        (created["id"].as_str().unwrap().to_string(), created)
    }

    /// Creates a group named `name` and returns its id.
    pub async fn group(&self, name: &str) -> String {
        let response = self
            .send(
                endpoints::create_group,
                self.request("POST", "/v1/groups")
                    .json(json!({"name": name})),
            )
            .await;
        assert_eq!(response.status, 201, "{:#}", response.body);
        response.data()["id"].as_str().unwrap().to_string()
    }

    /// `GET /v1/contacts<query>` (the query with its `?`).
    pub async fn list(&self, query: &str) -> TestResponse {
        self.send(
            endpoints::list_contacts,
            self.request("GET", &format!("/v1/contacts{query}")),
        )
        .await
    }

    /// `PUT /v1/contacts/{id}` with a JSON body.
    pub async fn update(&self, id: &str, body: Value) -> TestResponse {
        self.send(
            endpoints::update_contact,
            self.request("PUT", &format!("/v1/contacts/{id}"))
                .json(body),
        )
        .await
    }

    /// `PATCH /v1/contacts/{id}` with a body of the given media type.
    pub async fn patch(&self, id: &str, content_type: &str, body: Value) -> TestResponse {
        self.send(
            endpoints::patch_contact,
            self.request("PATCH", &format!("/v1/contacts/{id}"))
                .raw(content_type, Body::Text(body.to_string())),
        )
        .await
    }

    /// `DELETE /v1/contacts/{id}`.
    pub async fn delete(&self, id: &str) -> TestResponse {
        self.send(
            endpoints::delete_contact,
            self.request("DELETE", &format!("/v1/contacts/{id}")),
        )
        .await
    }

    /// `POST /v1/contacts` with a JSON body, whatever it answers.
    pub async fn try_create(&self, body: Value) -> TestResponse {
        self.send(
            endpoints::create_contact,
            self.request("POST", "/v1/contacts").json(body),
        )
        .await
    }

    /// Creates a contact and returns its data.
    pub async fn create(&self, body: Value) -> Value {
        let response = self.try_create(body).await;
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

    /// The sort keys of the items stored for this test's tenant, read straight from DynamoDB:
    /// resources, guards, memberships and records, but not the search and sort index entries
    /// (`index_keys`), which every contact write moves.
    pub async fn stored_keys(&self) -> Vec<String> {
        let mut keys = self.all_keys().await;
        keys.retain(|sk| !keys::is_index(sk));
        keys
    }

    /// The sort keys of this test's tenant's search and sort index entries.
    pub async fn index_keys(&self) -> Vec<String> {
        let mut keys = self.all_keys().await;
        keys.retain(|sk| keys::is_index(sk));
        keys
    }

    /// Stores a bare item of this test's tenant under `sk`: a state another request could
    /// leave between two reads (a membership whose contact was deleted right after it was read).
    pub async fn put_bare_item(&self, sk: &str) {
        let tenant = crate::identity::TenantId::parse(&self.tenant).unwrap();
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(keys::item(
                keys::tenant(&tenant),
                AttributeValue::S(sk.to_string()),
            )))
            .send()
            .await
            .unwrap();
    }

    async fn all_keys(&self) -> Vec<String> {
        let output = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("#pk = :pk")
            .expression_attribute_names("#pk", keys::PK)
            .expression_attribute_values(
                ":pk",
                keys::tenant(&crate::identity::TenantId::parse(&self.tenant).unwrap()),
            )
            .consistent_read(true)
            .send()
            .await
            .unwrap();
        let mut keys: Vec<String> = output
            .items()
            .iter()
            .filter_map(|item: &HashMap<String, AttributeValue>| item.get(keys::SK))
            .filter_map(|sk| sk.as_s().ok().cloned())
            .collect();
        keys.sort();
        keys
    }
}
