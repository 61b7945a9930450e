//! The deploy rehearsal's IAM check: every DynamoDB action a function's requests need (a
//! transaction needs the action of each of its items, as IAM checks them) is allowed by that
//! function's policy in template.yaml. moto does not enforce IAM, so a missing action would only
//! show on AWS, as a 500 of the function that lacks it.

use std::collections::{BTreeMap, BTreeSet};

use aws_lambda_events::event::dynamodb::Event;
use serde_json::json;
use serde_yaml_ng::Value as Yaml;
use shared::endpoints::record_changes;

use crate::helpers::{TestApp, TestRequest, spawn_app, spawn_app_with};

/// What template.yaml gives a function: its `dynamodb:` actions, its environment (Globals
/// merged under its own) and its policies as written.
struct Deployed {
    dynamodb: BTreeSet<String>,
    environment: serde_yaml_ng::Mapping,
    policies: Vec<Yaml>,
}

impl Deployed {
    /// Whether the function is given `variable` (a value, or an intrinsic that yields one).
    fn given(&self, variable: &str) -> bool {
        match self.environment.get(variable) {
            None => false,
            Some(Yaml::String(value)) => !value.is_empty(),
            Some(_) => true,
        }
    }

    /// Whether one of its policies names the managed policy `name`.
    fn attaches(&self, name: &str) -> bool {
        self.policies
            .iter()
            .any(|policy| serde_yaml_ng::to_string(policy).unwrap().contains(name))
    }
}

/// Every function of template.yaml, by binary name.
fn deployed() -> BTreeMap<String, Deployed> {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../template.yaml")).unwrap();
    let template: Yaml = serde_yaml_ng::from_str(&text).unwrap();
    let globals = template["Globals"]["Function"]["Environment"]["Variables"]
        .as_mapping()
        .cloned()
        .unwrap_or_default();
    let mut functions = BTreeMap::new();
    for (_, resource) in template["Resources"].as_mapping().unwrap() {
        if resource["Type"] != "AWS::Serverless::Function" {
            continue;
        }
        let binary = resource["Metadata"]["BuildProperties"]["Binary"]
            .as_str()
            .unwrap()
            .to_string();
        let policies = resource["Properties"]["Policies"]
            .as_sequence()
            .cloned()
            .unwrap_or_default();
        let mut dynamodb = BTreeSet::new();
        for policy in &policies {
            for statement in policy["Statement"]
                .as_sequence()
                .cloned()
                .unwrap_or_default()
            {
                let listed = match &statement["Action"] {
                    Yaml::String(one) => vec![one.clone()],
                    Yaml::Sequence(many) => many
                        .iter()
                        .map(|a| a.as_str().unwrap().to_string())
                        .collect(),
                    other => panic!("unexpected Action {other:?}"),
                };
                dynamodb.extend(
                    listed
                        .into_iter()
                        .filter_map(|a| a.strip_prefix("dynamodb:").map(str::to_string)),
                );
            }
        }
        let mut environment = globals.clone();
        for (name, value) in resource["Properties"]["Environment"]["Variables"]
            .as_mapping()
            .cloned()
            .unwrap_or_default()
        {
            environment.insert(name, value);
        }
        functions.insert(
            binary,
            Deployed {
                dynamodb,
                environment,
                policies,
            },
        );
    }
    functions
}

/// A second app on the same tenant whose client records the actions of its requests, with the
/// secrets the template gives the function (a token key, a cursor key) and no others.
async fn probe(setup: &TestApp, deployed: &Deployed, cursors: bool) -> TestApp {
    let token_key = deployed.given("JWT_SECRET_ARN");
    let mut probe = spawn_app_with(|config| {
        if !token_key {
            config.jwt_key = None;
        }
        if !cursors {
            config.cursor_secret = None;
        }
    })
    .await;
    probe.tenant = setup.tenant.clone();
    probe
}

fn keyed(request: TestRequest) -> TestRequest {
    request.header("idempotency-key", &format!("k-{}", uuid::Uuid::now_v7()))
}

/// Each function's requests, on every path that reaches DynamoDB differently: Basic (an API
/// key lookup) and Bearer, idempotency keys, filters, page numbers, replacements that move
/// guards and memberships.
/// The statuses of the function's answers.
async fn exercise(function: &str, setup: &TestApp, probe: &TestApp) -> Vec<u16> {
    let group = setup.group(&format!("G {}", uuid::Uuid::now_v7())).await;
    let (id, _) = setup
        .contact(json!({"name": "A", "email": format!("{}@example.com", uuid::Uuid::now_v7()), "groups": [group]}))
        .await;
    let (_, basic) = setup.api_key(&["contacts:read", "contacts:write"]).await;
    let basic = format!(
        "Basic {}",
        base64::Engine::encode(&base64::engine::general_purpose::STANDARD, basic)
    );
    let call = |method: &str, path: &str| probe.request(method, path);
    let with_basic = |request: TestRequest| request.without_auth().header("authorization", &basic);
    let requests: Vec<TestRequest> = match function {
        "create-contact" => vec![
            keyed(
                call("POST", "/v1/contacts")
                    .json(json!({"name": "B", "email": "b@example.com", "groups": [group]})),
            ),
            with_basic(call("POST", "/v1/contacts").json(json!({"name": "C"}))),
            // Refused (an unknown group): its idempotency key is released.
            keyed(
                call("POST", "/v1/contacts")
                    .json(json!({"name": "D", "groups": ["0192f3c0-7b9e-7cc4-9a4e-2f1c5d8e9a10"]})),
            ),
        ],
        "list-contacts" => {
            setup.contact(json!({"name": "Second"})).await;
            vec![
                // A second page: a cursor sealed.
                call("GET", "/v1/contacts?limit=1"),
                call("GET", "/v1/contacts?limit=1&page=2"),
                call("GET", &format!("/v1/contacts?group={group}")),
                call("GET", "/v1/contacts?group=nope"),
                call("GET", "/v1/contacts?email=a@example.com"),
                with_basic(call("GET", "/v1/contacts")),
            ]
        }
        "get-contact" => vec![with_basic(call("GET", &format!("/v1/contacts/{id}")))],
        "update-contact" => vec![
            call("PUT", &format!("/v1/contacts/{id}"))
                .json(json!({"name": "A2", "email": "moved@example.com"})),
            with_basic(call("POST", &format!("/v1/contacts/{id}")))
                .json(json!({"name": "A3", "groups": [group]})),
        ],
        "patch-contact" => vec![
            call("PATCH", &format!("/v1/contacts/{id}"))
                .json(json!({"email": "patched@example.com", "groups": null})),
            with_basic(call("PATCH", &format!("/v1/contacts/{id}")))
                .json(json!({"groups": [group]})),
        ],
        "delete-contact" => {
            // Created under a key: erasing it removes the stored answer too.
            let erased = setup
                .send(
                    shared::endpoints::create_contact,
                    keyed(setup.request("POST", "/v1/contacts")).json(json!({"name": "E"})),
                )
                .await;
            let erased = erased.data()["id"].as_str().unwrap().to_string();
            vec![
                with_basic(call("DELETE", &format!("/v1/contacts/{id}"))),
                call("DELETE", &format!("/v1/contacts/{id}?permanent=true")),
                call("DELETE", &format!("/v1/contacts/{erased}?permanent=true")),
            ]
        }
        "list-trash" => {
            for name in ["T1", "T2"] {
                let (trashed, _) = setup.contact(json!({"name": name})).await;
                setup.delete(&trashed).await;
            }
            vec![
                // A second page: a cursor sealed.
                call("GET", "/v1/contacts/trash?limit=1"),
                with_basic(call("GET", "/v1/contacts/trash")),
            ]
        }
        "restore-contact" => {
            setup.delete(&id).await;
            let (other, _) = setup.contact(json!({"name": "R"})).await;
            setup.delete(&other).await;
            vec![
                keyed(with_basic(call(
                    "POST",
                    &format!("/v1/contacts/{id}/restore"),
                ))),
                call("POST", &format!("/v1/contacts/{other}/restore")),
            ]
        }
        "bulk-delete-contacts" => vec![keyed(
            with_basic(call("POST", "/v1/contacts/bulk-delete")).json(json!({"ids": [id, "nope"]})),
        )],
        "import-contacts" => vec![keyed(with_basic(call("POST", "/v1/contacts/import")).json(
            json!({"contacts": [
                {"name": "Again", "email": "a@example.com"},
                {"name": "New", "email": "new-import@example.com", "groups": [group]},
            ]}),
        ))],
        "list-changes" => vec![with_basic(call("GET", "/v1/changes"))],
        "create-group" => vec![keyed(
            with_basic(call("POST", "/v1/groups")).json(json!({"name": "New group"})),
        )],
        "list-groups" => {
            setup.group("Second").await;
            vec![
                // A second page: a cursor sealed.
                call("GET", "/v1/groups?limit=1"),
                with_basic(call("GET", "/v1/groups?limit=1&page=2")),
            ]
        }
        "get-group" => vec![with_basic(call("GET", &format!("/v1/groups/{group}")))],
        "patch-group" => vec![
            with_basic(call("PATCH", &format!("/v1/groups/{group}")))
                .json(json!({"name": "Renamed"})),
        ],
        "delete-group" => {
            let empty = setup.group("Empty").await;
            vec![
                with_basic(call("DELETE", &format!("/v1/groups/{group}")))
                    .header("if-match", "\"1\""),
                with_basic(call("DELETE", &format!("/v1/groups/{empty}"))),
            ]
        }
        "route-not-found" => vec![call("GET", "/v1/nowhere")],
        "record-changes" => {
            let event: Event = serde_json::from_value(json!({"Records": [{
                "eventID": "1", "eventName": "INSERT", "eventSource": "aws:dynamodb",
                "awsRegion": "us-east-1",
                "dynamodb": {
                    "ApproximateCreationDateTime": 1_779_466_287, "SequenceNumber": "1",
                    "SizeBytes": 1, "StreamViewType": "NEW_AND_OLD_IMAGES",
                    "Keys": {"pk": {"S": format!("TENANT#{}", probe.tenant)}, "sk": {"S": format!("CONTACT#{id}")}},
                    "NewImage": {
                        "pk": {"S": format!("TENANT#{}", probe.tenant)}, "sk": {"S": format!("CONTACT#{id}")},
                        "version": {"N": "1"}, "updatedAt": {"S": "2026-01-01T00:00:00.000Z"}
                    }
                }
            }]}))
            .unwrap();
            let response = record_changes(&probe.app.store, event).await;
            assert!(response.batch_item_failures.is_empty());
            Vec::new()
        }
        other => panic!("no scenario for {other}: add one"),
    };
    let mut statuses = Vec::new();
    for request in requests {
        statuses.push(probe.call(function, request).await.status);
    }
    statuses
}

#[tokio::test]
async fn every_dynamodb_action_of_every_function_is_allowed_by_its_policy() {
    let mut missing: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut used: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (function, deployed) in deployed() {
        let setup = spawn_app().await;
        let probe = probe(&setup, &deployed, deployed.given("CURSOR_SECRET_ARN")).await;
        // With only the secrets the template gives it, the function still answers: a 5xx
        // here is a secret it needs and is not given.
        let statuses = exercise(&function, &setup, &probe).await;
        assert!(
            statuses.iter().all(|s| *s < 500),
            "{function}: {statuses:?}"
        );
        let actions = probe.actions();
        let denied: BTreeSet<String> = actions.difference(&deployed.dynamodb).cloned().collect();
        if !denied.is_empty() {
            missing.insert(function.clone(), denied);
        }
        used.insert(function, actions);
    }
    assert!(
        missing.is_empty(),
        "actions the template does not allow: {missing:?}"
    );
    // The recorder sees what it should: a create is a transaction of puts and checks.
    assert!(used["create-contact"].is_superset(&BTreeSet::from([
        "PutItem".to_string(),
        "ConditionCheckItem".to_string(),
        "GetItem".to_string(),
    ])));
    assert_eq!(used["route-not-found"], BTreeSet::new());
}

/// Only the functions that page are given the cursor key, and each of them needs it; every
/// function given a secret's ARN may read that secret, and no other function may.
#[tokio::test]
async fn each_function_is_given_the_secrets_it_uses_and_may_read_them() {
    let functions = deployed();
    for (function, deployed) in &functions {
        for (variable, policy) in [
            ("JWT_SECRET_ARN", "JwtSecretReadPolicy"),
            ("CURSOR_SECRET_ARN", "CursorSecretReadPolicy"),
        ] {
            assert_eq!(
                deployed.given(variable),
                deployed.attaches(policy),
                "{function}: {variable} and {policy} go together"
            );
        }
        // Secret values are never in the environment.
        for variable in ["JWT_SECRET", "CURSOR_SECRET"] {
            assert!(!deployed.given(variable), "{function} has {variable}");
        }
    }
    let paging: Vec<&str> = functions
        .iter()
        .filter(|(_, d)| d.given("CURSOR_SECRET_ARN"))
        .map(|(name, _)| name.as_str())
        .collect();
    assert_eq!(
        paging,
        ["list-changes", "list-contacts", "list-groups", "list-trash"]
    );
    for function in paging {
        let setup = spawn_app().await;
        let probe = probe(&setup, &functions[function], false).await;
        let statuses = exercise(function, &setup, &probe).await;
        assert!(
            statuses.contains(&500),
            "{function} pages without its cursor key: {statuses:?}"
        );
    }
    let verifying = functions
        .values()
        .filter(|d| d.given("JWT_SECRET_ARN"))
        .count();
    assert_eq!(
        verifying,
        functions.len() - 2,
        "all but route-not-found and record-changes"
    );
}
