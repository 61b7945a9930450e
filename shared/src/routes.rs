//! The route table: which function serves which method and path. `template.yaml` and the local
//! `cargo lambda watch` router in `Cargo.toml` must say the same (a test checks both), and
//! `route-not-found` uses it to tell 405 (known path) from 404.

/// One route: method, path pattern (`{id}` matches one segment), function.
pub type Route = (&'static str, &'static str, &'static str);

/// Every route of the API.
pub const ROUTES: &[Route] = &[
    ("POST", "/v1/contacts", "create-contact"),
    ("GET", "/v1/contacts", "list-contacts"),
    ("GET", "/v1/contacts/{id}", "get-contact"),
    ("PUT", "/v1/contacts/{id}", "update-contact"),
    ("POST", "/v1/contacts/{id}", "update-contact"),
    ("PATCH", "/v1/contacts/{id}", "patch-contact"),
    ("DELETE", "/v1/contacts/{id}", "delete-contact"),
    ("POST", "/v1/contacts/bulk-delete", "bulk-delete-contacts"),
    ("POST", "/v1/groups", "create-group"),
    ("GET", "/v1/groups", "list-groups"),
    ("GET", "/v1/groups/{id}", "get-group"),
    ("PATCH", "/v1/groups/{id}", "patch-group"),
    ("DELETE", "/v1/groups/{id}", "delete-group"),
];

/// The methods served on a path, empty when no route has that path.
pub fn methods_for(path: &str) -> Vec<&'static str> {
    let mut methods = Vec::new();
    for (method, pattern, _) in ROUTES {
        if matches(pattern, path) && !methods.contains(method) {
            methods.push(*method);
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
    }
}
