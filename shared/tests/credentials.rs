//! Where a function's AWS credentials come from (`shared::sdk_config`): the environment, as
//! Lambda sets them for the execution role, else the container credentials endpoint
//! (`AWS_CONTAINER_CREDENTIALS_FULL_URI` with its authorization token), as Lambda provides them
//! where it refreshes them in a long-lived environment. A real function binary on a Runtime API
//! emulator; DynamoDB behind a proxy that reads which access key signed each call.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use shared::testing::{
    MotoProxy, RuntimeApi, SECRET, function_command, get_contact_event, signed_token, spawn_app,
};

const CONTAINER_KEY: &str = "ASIACONTAINERTEST";
const CONTAINER_TOKEN: &str = "container-authorization-token";

/// The container credentials endpoint on loopback: answers every GET with a set of credentials
/// valid for an hour and records each request's `Authorization` header.
struct CredentialsEndpoint {
    url: String,
    authorizations: Arc<Mutex<Vec<String>>>,
}

impl CredentialsEndpoint {
    fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!(
            "http://{}/2018-06-01/credentials",
            listener.local_addr().unwrap()
        );
        let authorizations = Arc::new(Mutex::new(Vec::new()));
        let seen = authorizations.clone();
        std::thread::spawn(move || {
            for mut stream in listener.incoming().flatten() {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut authorization = String::new();
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                    if let Some((name, value)) = line.split_once(':')
                        && name.eq_ignore_ascii_case("authorization")
                    {
                        authorization = value.trim().to_string();
                    }
                }
                seen.lock().unwrap().push(authorization);
                let expires = time::OffsetDateTime::now_utc() + time::Duration::hours(1);
                let body = json!({
                    "AccessKeyId": CONTAINER_KEY,
                    "SecretAccessKey": "container-secret",
                    "Token": "container-session-token",
                    "Expiration": expires
                        .format(&time::format_description::well_known::Rfc3339)
                        .unwrap(),
                })
                .to_string();
                let _ = write!(
                    stream,
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
            }
        });
        Self {
            url,
            authorizations,
        }
    }

    fn authorizations(&self) -> Vec<String> {
        self.authorizations.lock().unwrap().clone()
    }
}

/// One read of a contact through a fresh `get-contact` process whose environment is the test
/// configuration less every credential variable, plus `env`: its answer and the access keys
/// that signed its DynamoDB calls.
async fn read_with(env: &[(&str, &str)]) -> (Value, Vec<String>) {
    let app = spawn_app().await;
    let (id, _) = app.contact(json!({"name": "Ada"})).await;
    let proxy = MotoProxy::start(Duration::ZERO);
    let api = RuntimeApi::start();
    let mut command = function_command("get-contact", &api, &proxy.url);
    command.stdout(Stdio::piped()).stderr(Stdio::piped());
    for variable in [
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_AUTHORIZATION_TOKEN",
    ] {
        command.env_remove(variable);
    }
    command.envs(env.iter().copied());
    let mut child = command.spawn().unwrap();
    let token = signed_token(SECRET, json!({"tenant": app.tenant}));
    api.invoke(
        "credentials-1",
        get_contact_event("gw-credentials", &format!("Bearer {token}"), &id),
    );
    let mut answers = api.answers(1, Duration::from_secs(30));
    child.kill().unwrap();
    let output = child.wait_with_output().unwrap();
    let answer = answers.remove("credentials-1").unwrap_or_else(|| {
        panic!(
            "no answer; the function wrote:\n{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    });
    (answer, proxy.access_keys())
}

fn status(answer: &Value) -> u64 {
    answer["statusCode"].as_u64().unwrap()
}

#[tokio::test]
async fn without_credentials_in_the_environment_the_container_endpoint_gives_them() {
    let endpoint = CredentialsEndpoint::start();
    let (answer, keys) = read_with(&[
        ("AWS_CONTAINER_CREDENTIALS_FULL_URI", &endpoint.url),
        ("AWS_CONTAINER_AUTHORIZATION_TOKEN", CONTAINER_TOKEN),
    ])
    .await;
    assert_eq!(status(&answer), 200, "{answer:#}");
    assert!(!keys.is_empty(), "no signed DynamoDB call");
    assert!(keys.iter().all(|key| key == CONTAINER_KEY), "{keys:?}");
    let asked = endpoint.authorizations();
    assert!(!asked.is_empty(), "the endpoint was not asked");
    assert!(asked.iter().all(|a| a == CONTAINER_TOKEN), "{asked:?}");
}

#[tokio::test]
async fn credentials_in_the_environment_come_first() {
    let endpoint = CredentialsEndpoint::start();
    let (answer, keys) = read_with(&[
        ("AWS_ACCESS_KEY_ID", "AKIAENVIRONMENTTEST"),
        ("AWS_SECRET_ACCESS_KEY", "environment-secret"),
        ("AWS_CONTAINER_CREDENTIALS_FULL_URI", &endpoint.url),
        ("AWS_CONTAINER_AUTHORIZATION_TOKEN", CONTAINER_TOKEN),
    ])
    .await;
    assert_eq!(status(&answer), 200, "{answer:#}");
    assert!(!keys.is_empty(), "no signed DynamoDB call");
    assert!(
        keys.iter().all(|key| key == "AKIAENVIRONMENTTEST"),
        "{keys:?}"
    );
    assert!(
        endpoint.authorizations().is_empty(),
        "the endpoint was asked"
    );
}

#[tokio::test]
async fn without_any_credentials_a_request_answers_503_in_the_envelope() {
    let (answer, keys) = read_with(&[]).await;
    assert_eq!(status(&answer), 503, "{answer:#}");
    let body: Value = serde_json::from_str(answer["body"].as_str().unwrap()).unwrap();
    assert!(body["errors"].is_array(), "{body:#}");
    assert!(keys.is_empty(), "a call was signed: {keys:?}");
}
