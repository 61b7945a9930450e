//! Secrets as deployed: the real function binaries (behind `cargo lambda watch`) read the token
//! key and the cursor key from Secrets Manager (the local moto server's) at start-up, given only
//! their ARNs, and verify RS256 tokens with a provider's JWKS fetched over HTTP.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use serde_json::json;
use shared::config::{Config, JwtKey, Secret};
use support::{Emulator, agent, send};

/// moto serves every AWS service on one port: the DynamoDB endpoint is Secrets Manager's too.
fn moto() -> String {
    std::env::var("AWS_ENDPOINT_URL_DYNAMODB").expect("run the tests with `make test`")
}

fn random_secret() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).unwrap();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

async fn secrets_client() -> aws_sdk_secretsmanager::Client {
    let sdk = shared::sdk_config().await;
    let config = aws_sdk_secretsmanager::config::Builder::from(&sdk)
        .endpoint_url(moto())
        .build();
    aws_sdk_secretsmanager::Client::from_conf(config)
}

/// A new secret in Secrets Manager with `value`; its ARN.
async fn stored(client: &aws_sdk_secretsmanager::Client, what: &str, value: &str) -> String {
    let name = format!("contacts-{what}-{}", uuid::Uuid::now_v7());
    let created = client
        .create_secret()
        .name(name)
        .secret_string(value)
        .send()
        .await
        .unwrap();
    created.arn().unwrap().to_string()
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn functions_read_their_secrets_from_secrets_manager_given_only_arns() {
    let (jwt_secret, cursor_secret) = (random_secret(), random_secret());
    let (jwt_arn, cursor_arn) = runtime().block_on(async {
        let client = secrets_client().await;
        (
            stored(&client, "jwt", &jwt_secret).await,
            stored(&client, "cursor", &cursor_secret).await,
        )
    });
    let endpoint = moto();
    let emulator = Emulator::start_with(&[
        ("JWT_SECRET", ""),
        ("CURSOR_SECRET", ""),
        ("JWT_SECRET_ARN", &jwt_arn),
        ("CURSOR_SECRET_ARN", &cursor_arn),
        ("AWS_ENDPOINT_URL_SECRETS_MANAGER", &endpoint),
    ]);
    let agent = agent();
    let base = &emulator.base;
    let tenant = format!("secrets-{}", uuid::Uuid::now_v7().simple());
    let token = shared::testing::signed_token(&jwt_secret, json!({"tenant": tenant}));
    let bearer = format!("Bearer {token}");
    let auth = ("authorization", bearer.as_str());
    let json_type = ("content-type", "application/json");
    for name in ["Ada", "Grace"] {
        let body = json!({"name": name}).to_string();
        let created = send(
            &agent,
            "POST",
            &format!("{base}/v1/contacts"),
            &[auth, json_type],
            Some(&body),
        );
        assert_eq!(
            created.status,
            201,
            "{:#}\n{}",
            created.body,
            emulator.log()
        );
    }
    // The cursor is signed with the stored cursor key, and opens with it.
    let first = send(
        &agent,
        "GET",
        &format!("{base}/v1/contacts?limit=1"),
        &[auth],
        None,
    );
    assert_eq!(first.status, 200, "{:#}", first.body);
    let cursor = first.body["data"]["nextCursor"]
        .as_str()
        .unwrap()
        .to_string();
    let second = send(
        &agent,
        "GET",
        &format!("{base}/v1/contacts?limit=1&cursor={cursor}"),
        &[auth],
        None,
    );
    assert_eq!(second.status, 200, "{:#}", second.body);
    assert_eq!(second.body["data"]["items"][0]["name"], "Grace");
    // A token signed with any other key (the local default's, here) is refused.
    let other = format!("Bearer {}", support::token(&tenant));
    let refused = send(
        &agent,
        "GET",
        &format!("{base}/v1/contacts"),
        &[("authorization", &other)],
        None,
    );
    assert_eq!(refused.status, 401);
    // No secret value reached the log.
    let log = emulator.log();
    assert!(!log.contains(&jwt_secret) && !log.contains(&cursor_secret));
}

#[test]
fn functions_verify_rs256_tokens_with_the_providers_jwks() {
    let provider = shared::testing::JwksServer::start(&shared::testing::test_jwks());
    let emulator = Emulator::start_with(&[
        ("JWT_SECRET", ""),
        ("JWT_JWKS_URL", &provider.url),
        ("JWT_ISSUER", "https://idp.example.com"),
        ("JWT_AUDIENCE", "contacts-api"),
    ]);
    let agent = agent();
    let tenant = format!("jwks-{}", uuid::Uuid::now_v7().simple());
    let now = jsonwebtoken::get_current_timestamp();
    let claims = json!({"sub": "u", "tenant": tenant, "exp": now + 600, "scope": "contacts:read",
                        "iss": "https://idp.example.com", "aud": "contacts-api"});
    let url = format!("{}/v1/contacts", emulator.base);
    let get = |token: &str| {
        let bearer = format!("Bearer {token}");
        send(&agent, "GET", &url, &[("authorization", &bearer)], None)
    };
    let answer = get(&shared::testing::rs256_token(Some("test-key-1"), &claims));
    assert_eq!(answer.status, 200, "{:#}\n{}", answer.body, emulator.log());
    assert_eq!(
        get(&shared::testing::rs256_token(Some("unknown"), &claims)).status,
        401
    );
    assert_eq!(get(&support::token(&tenant)).status, 401);
    // The start-up fetch, and none for the unknown kid (fetches are 30 s apart).
    assert_eq!(provider.fetches(), 1, "{}", emulator.log());
}

/// Start-up refuses a stored secret that is missing or too short, naming the variable.
#[tokio::test]
async fn a_missing_or_short_stored_secret_fails_start_up_with_its_variable() {
    let client = secrets_client().await;
    let short = stored(&client, "short", "too-short").await;
    let sdk = shared::sdk_config()
        .await
        .to_builder()
        .endpoint_url(moto())
        .build();
    for id in [short, "contacts-no-such-secret".to_string()] {
        let mut config = Config::for_tests("unused");
        config.cursor_secret = Some(Secret::Stored {
            variable: "CURSOR_SECRET_ARN",
            id,
        });
        let err = shared::secrets::resolve(&mut config, &sdk)
            .await
            .unwrap_err();
        assert!(err.to_string().contains("CURSOR_SECRET_ARN"), "{err}");
    }
    let value = random_secret();
    let mut config = Config::for_tests("unused");
    config.cursor_secret = Some(Secret::Stored {
        variable: "CURSOR_SECRET_ARN",
        id: stored(&client, "ok", &value).await,
    });
    shared::secrets::resolve(&mut config, &sdk).await.unwrap();
    assert!(config.cursor_secret == Some(Secret::Value(value)));
}

/// A function that pages reads both its keys in one round trip (`BatchGetSecretValue`), not
/// two; a key the batch cannot read fails start-up naming its own variable.
#[tokio::test]
async fn both_stored_keys_are_read_in_one_request_and_a_missing_one_is_named() {
    let client = secrets_client().await;
    let (jwt, cursor) = (random_secret(), random_secret());
    let (jwt_arn, cursor_arn) = (
        stored(&client, "jwt", &jwt).await,
        stored(&client, "cursor", &cursor).await,
    );
    let proxy = shared::testing::MotoProxy::start(std::time::Duration::ZERO);
    let sdk = shared::sdk_config()
        .await
        .to_builder()
        .endpoint_url(&proxy.url)
        .build();
    let both = |jwt_id: &str| {
        let mut config = Config::for_tests("unused");
        config.jwt_key = Some(JwtKey::Hs256(Secret::Stored {
            variable: "JWT_SECRET_ARN",
            id: jwt_id.to_string(),
        }));
        config.cursor_secret = Some(Secret::Stored {
            variable: "CURSOR_SECRET_ARN",
            id: cursor_arn.clone(),
        });
        config
    };
    let mut config = both(&jwt_arn);
    shared::secrets::resolve(&mut config, &sdk).await.unwrap();
    assert_eq!(proxy.requests(), 1, "one round trip for both keys");
    assert!(matches!(&config.jwt_key, Some(JwtKey::Hs256(Secret::Value(v))) if *v == jwt));
    assert!(config.cursor_secret == Some(Secret::Value(cursor)));

    let mut config = both("contacts-no-such-secret");
    let err = shared::secrets::resolve(&mut config, &sdk)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("JWT_SECRET_ARN"), "{err}");
}
