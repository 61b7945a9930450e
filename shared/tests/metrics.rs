//! Metrics of requests that finish at once (issue 22, item 5): with many invocations in one
//! process, each request's EMF documents must hold its own counts and request id only. Its own
//! test binary, so the metrics and logging it sets up are no other test's.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::{Value, json};

/// Requests finishing at the same moment on many threads: each one's metrics documents hold
/// its own request id and its own counts only (`observe::metrics_documents`, which
/// `observe::record` writes).
#[test]
fn metrics_recorded_at_once_on_many_threads_each_stay_with_their_request() {
    use shared::observe::{RequestRecord, init, metrics_documents};
    init("concurrency-test");
    let barrier = std::sync::Barrier::new(8);
    std::thread::scope(|scope| {
        for thread in 0..8 {
            let barrier = &barrier;
            scope.spawn(move || {
                barrier.wait();
                for i in 0..200 {
                    let request_id = format!("req-{thread}-{i}");
                    let record = RequestRecord {
                        route: "GET /v1/contacts/{id}",
                        method: "GET",
                        tenant: Some("acme"),
                        status: if i % 3 == 0 { 404 } else { 200 },
                        code: (i % 3 == 0).then_some("not_found"),
                        latency_ms: f64::from(thread * 1000 + i),
                        capacity_units: 0.5,
                        request_id: &request_id,
                        lambda_request_id: None,
                        cold_start: false,
                    };
                    let documents = metrics_documents(&record).unwrap().unwrap();
                    let documents: Vec<Value> = String::from_utf8(documents)
                        .unwrap()
                        .lines()
                        .map(|line| serde_json::from_str(line).unwrap())
                        .collect();
                    let count = |name: &str| -> u64 {
                        documents.iter().filter_map(|d| d[name].as_u64()).sum()
                    };
                    assert_eq!(count("Requests"), 1, "{documents:#?}");
                    assert_eq!(count("ClientErrors"), u64::from(i % 3 == 0));
                    for document in &documents {
                        assert_eq!(document["RequestId"], request_id.as_str());
                        if let Some(latency) = document["Latency"].as_array() {
                            assert_eq!(latency, &[json!(record.latency_ms)]);
                        }
                    }
                }
            });
        }
    });
}
