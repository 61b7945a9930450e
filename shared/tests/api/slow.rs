//! Batches on a slow DynamoDB (a proxy that holds every call 2 s): however many calls an item
//! makes, a batch answers before its invocation's deadline, each item's status saying what
//! became of it.

use std::time::{Duration, Instant};

use serde_json::json;
use shared::clock::since_epoch;
use shared::endpoints::import_contacts;
use shared::testing::{MotoProxy, spawn_app, spawn_app_with_client};

/// Each call held this long: just under what a batch keeps for its answer (one attempt).
const DELAY: Duration = Duration::from_millis(2_000);

/// A keyed import of 10 contacts that each replace one by its address: the key's claim, then
/// three calls per item (the address, the contact, the transaction) at 2 s each, then the key's
/// answer. With 9.2 s left, an item that started after the claim ran until 8 s and the answer was
/// stored at 10 s: past the deadline (Lambda's bare 500, the key held). Items now stop at the
/// batch's deadline (the invocation's less 2.5 s for the answer) and the answer comes in time.
#[tokio::test]
async fn a_keyed_import_on_a_slow_dynamodb_answers_before_its_deadline() {
    let app = spawn_app().await;
    let contacts: Vec<_> = (0..10)
        .map(|i| json!({"name": format!("Slow {i}"), "email": format!("slow{i}@example.com")}))
        .collect();
    for contact in &contacts {
        app.create(contact.clone()).await;
    }
    let slow = MotoProxy::start(DELAY);
    // Attempts as long as the proxy's delay needs (the functions' 2 s attempt would time out).
    let timeouts = aws_config::timeout::TimeoutConfig::builder()
        .operation_attempt_timeout(Duration::from_secs(10))
        .operation_timeout(Duration::from_secs(30))
        .build();
    let mut slow_app =
        spawn_app_with_client(|client| client.endpoint_url(&slow.url).timeout_config(timeouts))
            .await;
    slow_app.tenant = app.tenant.clone();

    let started = Instant::now();
    let deadline_ms = u64::try_from(since_epoch().as_millis()).unwrap() + 9_200;
    let response = slow_app
        .send(
            import_contacts,
            slow_app
                .request("POST", "/v1/contacts/import")
                .header("idempotency-key", "slow-import")
                .json(json!({"contacts": contacts}))
                .deadline(deadline_ms),
        )
        .await;
    let took = started.elapsed();
    println!("answered in {took:?}: {}", response.body);
    assert!(
        took < Duration::from_millis(9_200),
        "answered after {took:?}, past the invocation's deadline"
    );
    assert_eq!(response.status, 200, "{:#}", response.body);
    for result in response.data()["results"].as_array().unwrap() {
        let status = result["status"].as_str().unwrap();
        assert!(
            ["updated", "unavailable", "interrupted"].contains(&status),
            "{result}"
        );
    }
}
