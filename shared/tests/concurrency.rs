//! Many invocations in one execution environment (issue 22, item 5): a real function binary
//! with `AWS_LAMBDA_MAX_CONCURRENCY` set takes that many invocations at once from the Runtime
//! API, and each request of each tenant is answered, logged and counted as its own; unset, it
//! takes one at a time, as on classic Lambda.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;
use std::time::Duration;

use serde_json::{Value, json};
use shared::testing::{
    MotoProxy, RuntimeApi, SECRET, function_command, get_contact_event, signed_token, spawn_app,
};

const FUNCTION: &str = "get-contact";

/// One request of the run: who sends it, and what it should come back with.
struct Sent {
    tenant: String,
    gateway_id: String,
    id: String,
    name: String,
    /// With an API key (else a token).
    by_key: bool,
}

/// What one process answered and logged for `sent`, run with `max_concurrency` (or unset).
struct Run {
    answers: HashMap<String, Value>,
    most_in_flight: usize,
    log: String,
}

/// Starts the binary on its own Runtime API, DynamoDB behind a proxy that holds each call
/// `delay`, queues every request and collects the answers.
async fn run(max_concurrency: Option<&str>, sent: &[(Sent, String)], delay: Duration) -> Run {
    let proxy = MotoProxy::start(delay);
    let api = RuntimeApi::start();
    let log_path =
        std::env::temp_dir().join(format!("concurrency-{}.log", uuid::Uuid::now_v7().simple()));
    let log = std::fs::File::create(&log_path).unwrap();
    let mut command = function_command(FUNCTION, &api, &proxy.url);
    command
        .env("AWS_LAMBDA_LOG_FORMAT", "JSON")
        .stdout(log.try_clone().unwrap())
        .stderr(log);
    if let Some(value) = max_concurrency {
        command.env("AWS_LAMBDA_MAX_CONCURRENCY", value);
    }
    let mut child = command.spawn().unwrap();
    for (request, authorization) in sent {
        let lambda_id = format!("lambda-{}", request.gateway_id);
        api.invoke(
            &lambda_id,
            get_contact_event(&request.gateway_id, authorization, &request.id),
        );
    }
    // `lambda::handle` writes a request's log line and metrics before the runtime posts its
    // answer, so once every answer is in, so is the log.
    let answers = api.answers(sent.len(), Duration::from_secs(60));
    child.kill().unwrap();
    child.wait().unwrap();
    let log = std::fs::read_to_string(&log_path).unwrap();
    let _ = std::fs::remove_file(&log_path);
    Run {
        answers,
        most_in_flight: api.most_in_flight(),
        log,
    }
}

/// Eight reads of eight tenants' contacts: four authenticated with a token, four with an API
/// key (through the process's one key cache).
async fn requests() -> Vec<(Sent, String)> {
    let mut sent = Vec::new();
    for i in 0..8 {
        let app = spawn_app().await;
        let authorization = if i % 2 == 0 {
            format!(
                "Bearer {}",
                signed_token(SECRET, json!({"tenant": app.tenant}))
            )
        } else {
            let (_, credentials) = app.api_key(&["contacts:read", "contacts:write"]).await;
            format!(
                "Basic {}",
                base64::Engine::encode(&base64::engine::general_purpose::STANDARD, credentials)
            )
        };
        let name = format!("Contact of {}", app.tenant);
        let (id, _) = app.contact(json!({"name": name})).await;
        sent.push((
            Sent {
                id,
                name,
                by_key: i % 2 == 1,
                gateway_id: format!("gw-{i}-{}", uuid::Uuid::now_v7().simple()),
                tenant: app.tenant.clone(),
            },
            authorization,
        ));
    }
    sent
}

/// The log's JSON documents: request lines (`fields.message` = "request") and EMF documents.
fn documents(log: &str) -> (Vec<Value>, Vec<Value>) {
    let parsed: Vec<Value> = log
        .lines()
        .map(|line| {
            serde_json::from_str(line).unwrap_or_else(|_| panic!("not one JSON line: {line}"))
        })
        .collect();
    let requests = parsed
        .iter()
        .filter(|doc| doc["fields"]["message"] == "request")
        .map(|doc| doc["fields"].clone())
        .collect();
    let metrics = parsed
        .into_iter()
        .filter(|doc| doc.get("_aws").is_some())
        .collect();
    (requests, metrics)
}

/// Each request answered with its own contact, and logged and counted once, as its own; the
/// capacity a request with a token and one with an API key consumed.
fn check_each_is_its_own(run: &Run, sent: &[(Sent, String)]) -> [f64; 2] {
    assert_eq!(run.answers.len(), sent.len(), "answers:\n{}", run.log);
    let (lines, metrics) = documents(&run.log);
    assert_eq!(lines.len(), sent.len(), "{}", run.log);
    let cold: Vec<_> = lines.iter().filter(|l| l["cold_start"] == true).collect();
    assert_eq!(cold.len(), 1, "one cold start per process:\n{}", run.log);
    let mut capacity = [None, None];
    for (request, _) in sent {
        let lambda_id = format!("lambda-{}", request.gateway_id);
        let answer = &run.answers[&lambda_id];
        assert_eq!(answer["statusCode"], 200, "{answer:#}");
        let body: Value = serde_json::from_str(answer["body"].as_str().unwrap()).unwrap();
        assert_eq!(body["data"]["name"], request.name.as_str(), "{body:#}");
        assert_eq!(
            answer["headers"]["x-request-id"],
            request.gateway_id.as_str(),
            "{answer:#}"
        );

        let mine: Vec<_> = lines
            .iter()
            .filter(|l| l["lambda_request_id"] == lambda_id.as_str())
            .collect();
        assert_eq!(mine.len(), 1, "one log line for {lambda_id}:\n{}", run.log);
        let line = mine[0];
        assert_eq!(line["tenant"], request.tenant.as_str(), "{line:#}");
        assert_eq!(line["request_id"], request.gateway_id.as_str());
        assert_eq!(line["route"], "GET /v1/contacts/{id}");
        assert_eq!(line["status"], 200);
        // A read's capacity is the same for every tenant authenticated alike (an API key is
        // read once, into the cache): never another request's added in.
        let units = line["capacity_units"].as_f64().unwrap();
        assert!(units > 0.0, "{line:#}");
        let alike = &mut capacity[usize::from(request.by_key)];
        assert_eq!(*alike.get_or_insert(units), units, "{}", run.log);

        let documents: Vec<_> = metrics
            .iter()
            .filter(|m| m["RequestId"] == request.gateway_id.as_str())
            .collect();
        let requests: u64 = documents
            .iter()
            .filter_map(|m| m["Requests"].as_u64())
            .sum();
        assert_eq!(requests, 1, "{lambda_id}'s metrics: {documents:#?}");
        let latencies: usize = documents
            .iter()
            .filter_map(|m| m["Latency"].as_array().map(Vec::len))
            .sum();
        assert_eq!(latencies, 1, "{lambda_id}'s metrics: {documents:#?}");
    }
    let requests: u64 = metrics.iter().filter_map(|m| m["Requests"].as_u64()).sum();
    assert_eq!(
        requests,
        sent.len() as u64,
        "every metric names its request"
    );
    capacity.map(Option::unwrap)
}

#[tokio::test]
async fn with_a_max_concurrency_one_process_serves_many_tenants_at_once_each_as_its_own() {
    let delay = Duration::from_millis(50);
    let sent = requests().await;
    let concurrent = run(Some("8"), &sent, delay).await;
    assert_eq!(
        concurrent.most_in_flight, 8,
        "all eight in the process at once:\n{}",
        concurrent.log
    );
    let concurrent_units = check_each_is_its_own(&concurrent, &sent);

    // Unset: one invocation at a time, each as its own, as on classic Lambda; the same
    // capacity per request.
    let sent = requests().await;
    let serial = run(None, &sent, delay).await;
    assert_eq!(serial.most_in_flight, 1, "{}", serial.log);
    assert_eq!(check_each_is_its_own(&serial, &sent), concurrent_units);
}

#[tokio::test]
async fn a_max_concurrency_of_one_or_not_a_number_is_one_at_a_time() {
    let sent: Vec<_> = requests().await.into_iter().take(3).collect();
    for value in ["1", "0", "eight"] {
        let run = run(Some(value), &sent, Duration::from_millis(20)).await;
        assert_eq!(run.most_in_flight, 1, "AWS_LAMBDA_MAX_CONCURRENCY={value}");
        assert_eq!(run.answers.len(), 3, "{}", run.log);
    }
}

#[test]
fn max_concurrency_is_read_as_the_runtime_client_reads_it() {
    use shared::lambda::max_concurrency;
    assert_eq!(max_concurrency(None), 1);
    assert_eq!(max_concurrency(Some("8".into())), 8);
    for value in ["", "0", "-2", "eight", "1.5"] {
        assert_eq!(max_concurrency(Some(value.into())), 1, "{value:?}");
    }
}
