//! The route table: every function, once — its routes, the secrets it needs, its handler, its
//! kind and the DynamoDB actions its policy allows. It is the source of everything else that
//! lists functions: `make generate` (the `xtask` crate) writes from it each function's crate,
//! the `cargo lambda watch` router in `Cargo.toml`, the functions' part of `template.yaml`, the
//! test toolkit's dispatch and the bench's list; `make test` fails when one of them is stale.
//! At run time `route-not-found` uses it to tell 405 (known path) from 404, and the log line
//! names the route a request matched. See docs/architecture.md, "Adding an endpoint".

use std::borrow::Cow;

use crate::config::Needs;

mod table;

pub use table::FUNCTIONS;

/// One function of the API.
#[derive(Clone, Copy, Debug)]
pub struct Function {
    /// The crate, binary and log name (`create-contact`): `functions/<name>`.
    pub name: &'static str,
    /// One line for the function's `main.rs`: what it does.
    pub summary: &'static str,
    /// How Lambda calls it.
    pub kind: Kind,
    /// The handler in `shared::endpoints` (a `fn(&App, Request)` for HTTP functions, a
    /// `fn(&Store, Event)` for the stream consumer).
    pub handler: &'static str,
    /// The secrets it does not start without (and is given in `template.yaml`).
    pub needs: Needs,
    /// Its routes. A `/v1` route is served under `/api/v1` too (the source APIs' base path),
    /// its event named with `Api` appended; a route given under `/api/v1` is served as written.
    pub routes: &'static [Route],
    /// The `dynamodb:` actions its policy allows on the table (a transaction needs the action
    /// of each of its items). Empty: no DynamoDB access, and no connection opened at init.
    pub dynamodb: &'static [&'static str],
    /// Environment variables of its own, beside the template's `Globals`.
    pub environment: &'static [(&'static str, &'static str)],
}

/// How Lambda calls a function.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// API Gateway, on the function's routes.
    Http,
    /// API Gateway's `$default` route: every method and path no other route serves.
    Fallback,
    /// The table's DynamoDB stream (the change feed's consumer).
    Stream,
}

/// One route of a function.
#[derive(Clone, Copy, Debug)]
pub struct Route {
    pub method: &'static str,
    /// The path pattern; `{id}` matches one segment.
    pub path: &'static str,
    /// The template's event name (its logical id: keep it when editing a route).
    pub event: &'static str,
    /// The OpenAPI document's `operationId` (routes under `/v1`; none for the spellings that
    /// only clients of the source APIs use).
    pub operation: Option<&'static str>,
}

/// The prefix that puts a `/v1` route under the source APIs' `/api/v1`.
pub const COMPAT_PREFIX: &str = "/api";

/// The function named `name`.
pub fn function(name: &str) -> Option<&'static Function> {
    FUNCTIONS.iter().find(|f| f.name == name)
}

impl Function {
    /// Every route it serves, as `(event, method, path)`: its own, and each `/v1` route again
    /// under `/api/v1` (its event named with `Api` appended).
    pub fn served(
        &self,
    ) -> impl Iterator<Item = (Cow<'static, str>, &'static str, Cow<'static, str>)> + '_ {
        let own = self
            .routes
            .iter()
            .map(|r| (Cow::Borrowed(r.event), r.method, Cow::Borrowed(r.path)));
        let compat = self
            .routes
            .iter()
            .filter(|r| r.path.starts_with("/v1/"))
            .map(|r| {
                (
                    Cow::Owned(format!("{}Api", r.event)),
                    r.method,
                    Cow::Owned(format!("{COMPAT_PREFIX}{}", r.path)),
                )
            });
        own.chain(compat)
    }
}

/// Every route of the contract (`/v1`): `(method, path, function)`.
pub fn contract_routes() -> impl Iterator<Item = (&'static str, &'static str, &'static str)> {
    FUNCTIONS.iter().flat_map(|f| {
        f.routes
            .iter()
            .filter(|r| r.path.starts_with("/v1/"))
            .map(|r| (r.method, r.path, f.name))
    })
}

/// Every route served: the contract's, the same under `/api/v1`, and the source APIs'
/// spellings, as `(method, path, function)`.
pub fn every_route() -> impl Iterator<Item = (&'static str, Cow<'static, str>, &'static str)> {
    let contract = contract_routes().map(|(m, p, f)| (m, Cow::Borrowed(p), f));
    let compat =
        contract_routes().map(|(m, p, f)| (m, Cow::Owned(format!("{COMPAT_PREFIX}{p}")), f));
    let aliases = FUNCTIONS.iter().flat_map(|f| {
        f.routes
            .iter()
            .filter(|r| !r.path.starts_with("/v1/"))
            .map(|r| (r.method, Cow::Borrowed(r.path), f.name))
    });
    contract.chain(compat).chain(aliases)
}

/// The route a request matched, as API Gateway names it (`GET /v1/contacts/{id}`), or
/// `$default`.
pub fn route_key(method: &str, path: &str) -> String {
    // As API Gateway does, a literal path wins over one with a `{id}` (bulk-delete, import).
    every_route()
        .filter(|(m, pattern, _)| *m == method && matches(pattern, path))
        .min_by_key(|(_, pattern, _)| pattern.contains('{'))
        .map_or_else(
            || "$default".to_string(),
            |(m, pattern, _)| format!("{m} {pattern}"),
        )
}

/// The methods served on a path, empty when no route has that path.
pub fn methods_for(path: &str) -> Vec<&'static str> {
    let mut methods = Vec::new();
    for (method, pattern, _) in every_route() {
        if matches(&pattern, path) && !methods.contains(&method) {
            methods.push(method);
        }
    }
    methods
}

fn matches(pattern: &str, path: &str) -> bool {
    let path = path.trim_end_matches('/');
    let mut actual = path.split('/');
    let mut expected = pattern.split('/');
    loop {
        match (expected.next(), actual.next()) {
            (None, None) => return true,
            (Some(p), Some(a)) if p == a || (p.starts_with('{') && !a.is_empty()) => {}
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_match_their_patterns_only() {
        assert_eq!(methods_for("/v1/contacts"), ["POST", "GET"]);
        assert_eq!(methods_for("/v1/contacts/"), ["POST", "GET"]);
        assert_eq!(
            methods_for("/v1/contacts/abc"),
            ["GET", "PUT", "POST", "PATCH", "DELETE"]
        );
        assert!(methods_for("/v1/contacts/abc/x").is_empty());
        assert!(methods_for("/v1/contact").is_empty());
        assert_eq!(methods_for("/v1/groups/abc"), ["GET", "PATCH", "DELETE"]);
        assert_eq!(
            methods_for("/v1/contacts/bulk-delete"),
            ["GET", "PUT", "POST", "PATCH", "DELETE"],
            "each method once"
        );
        assert!(methods_for("/").is_empty());
        assert_eq!(
            methods_for("/api/v1/groups/abc"),
            ["GET", "PATCH", "DELETE"]
        );
        assert_eq!(methods_for("/api/v1/Contact/abc"), ["GET", "PATCH"]);
        assert!(methods_for("/api/v1/CONTACT/abc").is_empty());
        assert!(methods_for("/api/v2/contacts").is_empty());
    }

    #[test]
    fn a_request_names_the_route_it_matched() {
        assert_eq!(
            route_key("GET", "/v1/contacts/abc"),
            "GET /v1/contacts/{id}"
        );
        assert_eq!(
            route_key("POST", "/v1/contacts/bulk-delete"),
            "POST /v1/contacts/bulk-delete"
        );
        assert_eq!(
            route_key("GET", "/api/v1/Contact/x"),
            "GET /api/v1/Contact/{id}"
        );
        assert_eq!(route_key("DELETE", "/v1/contacts"), "$default");
    }

    #[test]
    fn names_handlers_and_events_are_unique() {
        let mut names: Vec<_> = FUNCTIONS.iter().map(|f| f.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), FUNCTIONS.len());
        for function in FUNCTIONS {
            let mut events: Vec<_> = function.served().map(|(event, _, _)| event).collect();
            events.sort_unstable();
            events.dedup();
            assert_eq!(events.len(), function.served().count(), "{}", function.name);
            assert_eq!(function.kind == Kind::Http, !function.routes.is_empty());
        }
    }
}
