use std::collections::BTreeSet;

use serde_yaml_ng::Value as Yaml;
use shared::endpoints::route_not_found;
use shared::routes::{COMPAT_PREFIX, FUNCTIONS, contract_routes, every_route};

use crate::helpers::spawn_app;

#[tokio::test]
async fn an_unknown_path_is_404_in_the_envelope() {
    let app = spawn_app().await;
    for path in [
        "/",
        "/v1",
        "/v1/contact",
        "/v1/contacts/a/b",
        "/v2/contacts",
    ] {
        app.send(route_not_found, app.request("GET", path))
            .await
            .assert_error(404, "not_found");
    }
}

#[tokio::test]
async fn another_method_on_a_known_path_is_405_with_allow() {
    let app = spawn_app().await;
    let response = app
        .send(
            route_not_found,
            app.request("PATCH", "/v1/contacts").without_auth(),
        )
        .await;
    response.assert_error(405, "method_not_allowed");
    assert_eq!(response.header("allow"), Some("POST, GET"));
    let response = app
        .send(route_not_found, app.request("PATCH", "/v1/contacts/abc"))
        .await;
    response.assert_error(405, "method_not_allowed");
    assert_eq!(
        response.header("allow"),
        Some("GET, PUT, POST, PATCH, DELETE")
    );
}

fn root(file: &str) -> String {
    std::fs::read_to_string(format!("{}/../{file}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

type RouteSet = BTreeSet<(String, String, String)>;

fn shared_routes() -> RouteSet {
    every_route()
        .map(|(m, p, f)| (m.to_string(), p.into_owned(), f.to_string()))
        .collect()
}

/// `(method, path, binary)` of every HttpApi event in template.yaml, without `$default`.
fn template_routes() -> (RouteSet, Option<String>) {
    let (routes, default, _) = template_functions();
    (routes, default)
}

/// The routes of template.yaml, its `$default` function, and every function it builds (the
/// stream consumer has no route).
fn template_functions() -> (RouteSet, Option<String>, BTreeSet<String>) {
    let template: Yaml = serde_yaml_ng::from_str(&root("template.yaml")).unwrap();
    let mut routes = RouteSet::new();
    let mut default = None;
    let mut binaries = BTreeSet::new();
    for (_, resource) in template["Resources"].as_mapping().unwrap() {
        if resource["Type"] != "AWS::Serverless::Function" {
            continue;
        }
        let binary = resource["Metadata"]["BuildProperties"]["Binary"]
            .as_str()
            .unwrap();
        binaries.insert(binary.to_string());
        let events = resource["Properties"]["Events"]
            .as_mapping()
            .cloned()
            .unwrap_or_default();
        for (_, event) in events {
            if event["Type"] == "DynamoDB" {
                assert_eq!(binary, "record-changes", "the only stream consumer");
                continue;
            }
            assert_eq!(event["Type"], "HttpApi");
            let path = event["Properties"]["Path"].as_str().unwrap().to_string();
            let method = event["Properties"]["Method"]
                .as_str()
                .unwrap()
                .to_uppercase();
            if path == "$default" {
                default = Some(binary.to_string());
            } else {
                routes.insert((method, path, binary.to_string()));
            }
        }
    }
    (routes, default, binaries)
}

#[test]
fn the_template_declares_exactly_the_shared_route_table() {
    let (routes, default) = template_routes();
    assert_eq!(routes, shared_routes());
    assert_eq!(default.as_deref(), Some("route-not-found"));
}

#[test]
fn every_function_crate_is_in_the_template_and_the_template_builds_only_existing_crates() {
    let (routes, default, in_template) = template_functions();
    let routed: BTreeSet<String> = routes
        .into_iter()
        .map(|(_, _, f)| f)
        .chain(default)
        .collect();
    assert_eq!(
        in_template.difference(&routed).collect::<Vec<_>>(),
        ["record-changes"],
        "every function but the stream consumer has a route"
    );
    let crates: BTreeSet<String> =
        std::fs::read_dir(format!("{}/../functions", env!("CARGO_MANIFEST_DIR")))
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
    assert_eq!(in_template, crates);
}

#[test]
fn the_local_router_serves_the_template_routes_and_sends_the_rest_to_route_not_found() {
    let manifest: toml::Table = toml::from_str(&root("Cargo.toml")).unwrap();
    let router = manifest["workspace"]["metadata"]["lambda"]["watch"]["router"]
        .as_table()
        .unwrap();
    let mut local = RouteSet::new();
    for (path, routes) in router {
        match routes {
            toml::Value::String(function) => {
                assert_eq!(function, "route-not-found", "{path}");
                assert!(
                    path == "/" || path.contains("{*"),
                    "catch-all expected at {path}"
                );
            }
            toml::Value::Array(routes) => {
                for route in routes {
                    let method = route["method"].as_str().unwrap().to_string();
                    let function = route["function"].as_str().unwrap().to_string();
                    if function != "route-not-found" {
                        local.insert((method, path.clone(), function));
                    }
                }
            }
            other => panic!("unexpected router entry {other:?}"),
        }
    }
    assert_eq!(local, shared_routes());
}

#[test]
fn the_openapi_document_describes_exactly_the_routes() {
    let document: Yaml = serde_yaml_ng::from_str(&root("openapi.yaml")).unwrap();
    let by_operation: std::collections::BTreeMap<&str, &str> = FUNCTIONS
        .iter()
        .flat_map(|f| f.routes.iter().filter_map(|r| Some((r.operation?, f.name))))
        .collect();
    let mut described = RouteSet::new();
    for (path, item) in document["paths"].as_mapping().unwrap() {
        for (method, operation) in item.as_mapping().unwrap() {
            let method = method.as_str().unwrap();
            if method == "parameters" {
                continue;
            }
            let operation_id = operation["operationId"].as_str().unwrap();
            described.insert((
                method.to_uppercase(),
                path.as_str().unwrap().to_string(),
                by_operation[operation_id].to_string(),
            ));
        }
    }
    let contract: RouteSet = contract_routes()
        .map(|(m, p, f)| (m.to_string(), p.to_string(), f.to_string()))
        .collect();
    assert_eq!(described, contract);
    // The aliases: a server under /api, and the singular paths named in the description.
    let servers: Vec<&str> = document["servers"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|server| server["url"].as_str().unwrap())
        .collect();
    assert!(
        servers.iter().any(|url| url.ends_with(COMPAT_PREFIX)),
        "{servers:?}"
    );
    let description = document["info"]["description"].as_str().unwrap();
    let aliases = FUNCTIONS.iter().flat_map(|f| f.routes.iter());
    for route in aliases.filter(|r| r.operation.is_none()) {
        assert!(description.contains(route.path), "{}", route.path);
    }
}
