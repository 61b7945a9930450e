//! Properties over arbitrary input, with no DynamoDB: parsing a contact and applying a patch
//! never panic, whatever the body, and what they produce stays within the stored contact's
//! bounds (a patch can never grow a contact past `MAX_PATCHED_BYTES`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use lambda_http::http::{HeaderMap, HeaderValue, header};
use proptest::prelude::*;
use serde_json::{Value, json};
use shared::contact::{Contact, ContactDraft, WRITABLE_FIELDS};
use shared::patch::rfc::json_size;
use shared::patch::{MAX_PATCHED_BYTES, ResourcePatch};
use shared::resource::Resource;

/// Any JSON value, a few levels deep, with strings and keys that look like the contact's own.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| json!(f)),
        prop_oneof![
            "[a-z]{0,12}",
            Just("+4917012345678".to_string()),
            Just("a@example.com".to_string()),
            "\\PC{0,40}",
        ]
        .prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::vec((key(), inner), 0..8)
                .prop_map(|members| Value::Object(members.into_iter().collect())),
        ]
    })
}

fn key() -> impl Strategy<Value = String> {
    let names: Vec<&'static str> = WRITABLE_FIELDS
        .iter()
        .chain(&["id", "version", "crmId", "x"])
        .copied()
        .collect();
    prop_oneof![
        prop::sample::select(names).prop_map(str::to_string),
        "[A-Za-z0-9_]{1,8}",
    ]
}

fn pointer() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "/name",
            "/Name",
            "surname",
            "/email",
            "/phone",
            "/description",
            "/groups",
            "/groups/-",
            "/groups/0",
            "/fields",
            "/fields/crmId",
            "/fields/a",
            "/fields/a/b",
            "/version",
            "/id",
            "",
            "/",
        ])
        .prop_map(str::to_string),
        "(/[a-z~0-9]{0,4}){0,3}",
    ]
}

fn operation() -> impl Strategy<Value = Value> {
    (
        prop::sample::select(vec![
            "add", "remove", "replace", "move", "copy", "test", "nope",
        ]),
        pointer(),
        pointer(),
        json_value(),
    )
        .prop_map(
            |(op, path, from, value)| json!({"op": op, "path": path, "from": from, "value": value}),
        )
}

fn stored_contact() -> Contact {
    let draft = Contact::parse_draft(&json!({
        "name": "John", "email": "john@example.com",
        "fields": {"crmId": "x".repeat(1000), "score": 1}
    }))
    .unwrap();
    Contact::create(draft, "2026-01-01T00:00:00.000Z", None)
}

fn headers(media_type: &'static str) -> HeaderMap {
    let mut map = HeaderMap::new();
    map.insert(header::CONTENT_TYPE, HeaderValue::from_static(media_type));
    map
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn any_body_parses_or_is_refused_without_panicking(body in json_value()) {
        if let Ok(draft) = ContactDraft::parse(&body) {
            let contact = Contact::create(draft, "2026-01-01T00:00:00.000Z", None);
            prop_assert!(json_size(&serde_json::to_value(&contact).unwrap()) < MAX_PATCHED_BYTES);
        }
    }

    #[test]
    fn any_json_patch_applies_or_is_refused_and_never_outgrows_the_bound(
        ops in prop::collection::vec(operation(), 0..40),
        doublings in 0usize..30,
    ) {
        // Some runs end with copies of `/fields` into itself, each doubling the document.
        let mut ops = ops;
        ops.extend((0..doublings).map(|i| {
            json!({"op": "copy", "from": "/fields", "path": format!("/fields/c{i}")})
        }));
        let contact = stored_contact();
        let current = serde_json::to_value(&contact).unwrap();
        if let Ok(patch) = ResourcePatch::parse::<Contact>(
            &headers("application/json-patch+json"),
            Value::Array(ops),
        ) && let Ok(patched) = patch.apply(current)
        {
            prop_assert!(json_size(&patched) <= MAX_PATCHED_BYTES);
            let _ = ContactDraft::parse(&patched);
        }
    }

    #[test]
    fn any_merge_patch_applies_or_is_refused_and_grows_by_at_most_its_own_size(
        patch in prop::collection::vec((key(), json_value()), 0..10),
    ) {
        let patch = Value::Object(patch.into_iter().collect());
        let current = serde_json::to_value(stored_contact()).unwrap();
        let bound = json_size(&current) + json_size(&patch);
        if let Ok(parsed) = ResourcePatch::parse::<Contact>(&headers("application/merge-patch+json"), patch) && let Ok(patched) = parsed.apply(current)
        {
            prop_assert!(json_size(&patched) <= bound);
            let _ = ContactDraft::parse(&patched);
        }
    }
}
