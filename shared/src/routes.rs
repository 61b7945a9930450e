//! The route table: which function serves which method and path. `template.yaml` and the local
//! `cargo lambda watch` router in `Cargo.toml` must say the same (a test checks both), and
//! `route-not-found` uses it to tell 405 (known path) from 404.

use std::borrow::Cow;

/// One route: method, path pattern (`{id}` matches one segment), function.
pub type Route = (&'static str, &'static str, &'static str);

/// Every route of the contract, under `/v1`. Each is served under `/api/v1` too (the source
/// APIs' base path), by the same function.
pub const ROUTES: &[Route] = &[
    ("POST", "/v1/contacts", "create-contact"),
    ("GET", "/v1/contacts", "list-contacts"),
    ("GET", "/v1/contacts/{id}", "get-contact"),
    ("PUT", "/v1/contacts/{id}", "update-contact"),
    ("POST", "/v1/contacts/{id}", "update-contact"),
    ("PATCH", "/v1/contacts/{id}", "patch-contact"),
    ("DELETE", "/v1/contacts/{id}", "delete-contact"),
    ("POST", "/v1/contacts/bulk-delete", "bulk-delete-contacts"),
    ("POST", "/v1/contacts/import", "import-contacts"),
    ("GET", "/v1/changes", "list-changes"),
    ("POST", "/v1/groups", "create-group"),
    ("GET", "/v1/groups", "list-groups"),
    ("GET", "/v1/groups/{id}", "get-group"),
    ("PATCH", "/v1/groups/{id}", "patch-group"),
    ("DELETE", "/v1/groups/{id}", "delete-group"),
];

/// The prefix that puts a `/v1` route under the source APIs' `/api/v1`.
pub const COMPAT_PREFIX: &str = "/api";

/// One contact as seed 004 (`/api/v1/Contact/{id}`) and its links (`/api/v1/contact/{id}`)
/// spell it, for the methods that document uses.
pub const SINGULAR_ROUTES: &[Route] = &[
    ("GET", "/api/v1/Contact/{id}", "get-contact"),
    ("PATCH", "/api/v1/Contact/{id}", "patch-contact"),
    ("GET", "/api/v1/contact/{id}", "get-contact"),
    ("PATCH", "/api/v1/contact/{id}", "patch-contact"),
];

/// Every route served: the contract's, the same under `/api/v1`, and the singular spellings.
pub fn every_route() -> impl Iterator<Item = (&'static str, Cow<'static, str>, &'static str)> {
    let contract = ROUTES.iter().map(|(m, p, f)| (*m, Cow::Borrowed(*p), *f));
    let compat = ROUTES
        .iter()
        .map(|(m, p, f)| (*m, Cow::Owned(format!("{COMPAT_PREFIX}{p}")), *f));
    let singular = SINGULAR_ROUTES
        .iter()
        .map(|(m, p, f)| (*m, Cow::Borrowed(*p), *f));
    contract.chain(compat).chain(singular)
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
}
