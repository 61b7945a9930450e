//! The contact functions: create, read, replace, patch and delete one contact (through the
//! shared steps of `crud`), and bulk delete.

use std::time::{Duration, Instant};

use futures::StreamExt;
use lambda_http::{Request, RequestExt};
use serde_json::{Value, json};

use super::crud::{create_one, delete_one, patch_one, read_one, replace_one};
use super::idempotent;
use crate::App;
use crate::app::OPERATION_TIMEOUT;
use crate::clock::since_epoch;
use crate::contact::Contact;
use crate::envelope::Reply;
use crate::error::ApiError;
use crate::http::json_body;
use crate::idempotency::IdempotencyKey;
use crate::identity::{Scope, TenantId};
use crate::preconditions::Preconditions;
use crate::resource::ResourceId;
use crate::store::StoreError;

/// How many ids one bulk delete takes.
const MAX_BULK_IDS: usize = 100;
/// How long a bulk delete may keep starting deletes when there is no Lambda deadline to go by.
const BULK_BUDGET: Duration = Duration::from_secs(8);
/// How many deletes of one bulk delete run at once.
pub(super) const BULK_CONCURRENCY: usize = 8;

/// `POST /v1/contacts`
pub async fn create_contact(app: &App, request: Request) -> Result<Reply, ApiError> {
    create_one::<Contact>(app, request).await
}

/// `GET /v1/contacts/{id}`
pub async fn get_contact(app: &App, request: Request) -> Result<Reply, ApiError> {
    read_one::<Contact>(app, request).await
}

/// `PUT /v1/contacts/{id}` and `POST /v1/contacts/{id}`: replaces every writable field.
pub async fn update_contact(app: &App, request: Request) -> Result<Reply, ApiError> {
    replace_one::<Contact>(app, request).await
}

/// `PATCH /v1/contacts/{id}`: JSON Patch or Merge Patch, atomic, retried on a lost race.
pub async fn patch_contact(app: &App, request: Request) -> Result<Reply, ApiError> {
    patch_one::<Contact>(app, request).await
}

/// `DELETE /v1/contacts/{id}`
pub async fn delete_contact(app: &App, request: Request) -> Result<Reply, ApiError> {
    delete_one::<Contact>(app, request).await
}

/// `POST /v1/contacts/bulk-delete`: each id on its own, a few at a time; repeated ids once.
pub async fn bulk_delete_contacts(app: &App, request: Request) -> Result<Reply, ApiError> {
    let principal = app.authorize(request.headers(), Scope::Write).await?;
    let key = IdempotencyKey::from_request(&request)?;
    let ids = bulk_ids(&json_body(&request)?)?;
    let deadline = start_deadline(request.lambda_context_ref().map(|c| c.deadline));
    let tenant = &principal.tenant;
    idempotent::run(app, tenant, key, |_| async move {
        let results = bulk_delete(app, tenant, ids, deadline).await;
        let deleted = results.iter().filter(|r| r["success"] == true).count();
        Reply::ok(&json!({"results": results, "deleted": deleted}))
    })
    .await
}

/// Deletes each id on its own, a few at a time; an id whose delete would start after
/// `deadline` is not tried and reported `unavailable`, so the function answers before Lambda
/// stops it.
pub async fn bulk_delete(
    app: &App,
    tenant: &TenantId,
    ids: Vec<String>,
    deadline: Instant,
) -> Vec<Value> {
    futures::stream::iter(ids)
        .map(|raw| async move {
            let Some(id) = ResourceId::parse(&raw) else {
                return bulk_result(raw, "invalid_id");
            };
            if Instant::now() >= deadline {
                return bulk_result(raw, "unavailable");
            }
            let outcome = app
                .store
                .delete::<Contact>(tenant, &id, &Preconditions::default())
                .await;
            let status = match outcome {
                Ok(()) => "deleted",
                Err(StoreError::NotFound(_)) => "not_found",
                Err(StoreError::Unavailable | StoreError::Interrupted) => "unavailable",
                Err(err) => {
                    tracing::error!(error = ?err, "bulk delete of one contact failed");
                    "error"
                }
            };
            bulk_result(raw, status)
        })
        .buffered(BULK_CONCURRENCY)
        .collect()
        .await
}

/// The last moment a delete may start: a DynamoDB call's whole time budget before the
/// invocation's deadline (epoch milliseconds, from the Lambda context), or a budget of its own
/// where there is no context.
pub(super) fn start_deadline(invocation_deadline_ms: Option<u64>) -> Instant {
    let now = Instant::now();
    let remaining = invocation_deadline_ms.and_then(|deadline| {
        let left = u128::from(deadline).checked_sub(since_epoch().as_millis())?;
        Some(Duration::from_millis(
            u64::try_from(left).unwrap_or(u64::MAX),
        ))
    });
    match remaining {
        Some(left) => now + left.saturating_sub(OPERATION_TIMEOUT + Duration::from_millis(500)),
        None => now + BULK_BUDGET,
    }
}

/// The ids of a bulk delete body, each once, in first-seen order: 400 without an `ids` (or, as
/// clients of the link-style bulk API name it, `link_ids`) array, 422 when it is empty or longer than 100.
pub fn bulk_ids(body: &Value) -> Result<Vec<String>, ApiError> {
    let Value::Object(members) = body else {
        return Err(ApiError::malformed(
            "ids",
            "the body must be {\"ids\": [...]}",
        ));
    };
    if let Some(unknown) = members
        .keys()
        .find(|k| !BULK_ID_MEMBERS.contains(&k.as_str()))
    {
        return Err(ApiError::malformed(
            unknown.as_str(),
            "is not a known field",
        ));
    }
    let (name, list) = match (members.get("ids"), members.get("link_ids")) {
        (Some(_), Some(_)) => {
            return Err(ApiError::malformed(
                "link_ids",
                "is another name of ids; give one of them",
            ));
        }
        (Some(list), None) => ("ids", list),
        (None, Some(list)) => ("link_ids", list),
        (None, None) => ("ids", &Value::Null),
    };
    let Value::Array(ids) = list else {
        return Err(ApiError::malformed(name, "must be an array of contact ids"));
    };
    if ids.is_empty() || ids.len() > MAX_BULK_IDS {
        return Err(ApiError::unprocessable(name, "must hold 1 to 100 ids"));
    }
    let mut unique: Vec<String> = Vec::with_capacity(ids.len());
    for id in ids {
        let id = match id {
            Value::String(text) => text.clone(),
            other => other.to_string(),
        };
        if !unique.contains(&id) {
            unique.push(id);
        }
    }
    Ok(unique)
}

/// The members a bulk delete body may have: `ids`, or `link_ids` (its other name).
const BULK_ID_MEMBERS: [&str; 2] = ["ids", "link_ids"];

/// One id's result: the project's `id`, `success` and `status`, and the same as link-style clients read it
/// (`link_id`, `extended_info`: `deleted` or `entity_not_found`, null for what it has no word for).
fn bulk_result(id: String, status: &str) -> Value {
    let extended_info = match status {
        "deleted" => json!("deleted"),
        "not_found" | "invalid_id" => json!("entity_not_found"),
        _ => Value::Null,
    };
    json!({
        "id": id,
        "success": status == "deleted",
        "status": status,
        "link_id": id,
        "extended_info": extended_info,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Problem;

    #[test]
    fn bulk_ids_are_checked_and_reported_once() {
        assert_eq!(
            bulk_ids(&json!({"ids": ["a", "b", "a", 7]})).unwrap(),
            ["a", "b", "7"]
        );
        for (body, status) in [
            (json!({}), 400),
            (json!({"ids": "a"}), 400),
            (json!([]), 400),
            (json!({"ids": ["a"], "more": 1}), 400),
            (json!({"ids": []}), 422),
            (json!({"ids": vec!["a"; 101]}), 422),
        ] {
            let got = bulk_ids(&body).err().map(|e| e.status().as_u16());
            assert_eq!(got, Some(status), "{body}");
        }
        assert!(bulk_ids(&json!({"ids": vec!["a"; 100]})).is_ok());
    }

    #[test]
    fn link_ids_is_another_name_of_ids() {
        assert_eq!(bulk_ids(&json!({"link_ids": ["a", "a"]})).unwrap(), ["a"]);
        for (body, status) in [
            (json!({"link_ids": ["a"], "ids": ["a"]}), 400),
            (json!({"link_ids": "a"}), 400),
            (json!({"link_ids": []}), 422),
        ] {
            let got = bulk_ids(&body).err().map(|e| e.status().as_u16());
            assert_eq!(got, Some(status), "{body}");
        }
        assert_eq!(
            bulk_result("x".into(), "invalid_id")["extended_info"],
            "entity_not_found"
        );
        assert_eq!(
            bulk_result("x".into(), "unavailable")["extended_info"],
            Value::Null
        );
    }

    #[test]
    fn problems_name_their_field() {
        let err = bulk_ids(&json!({"ids": []})).unwrap_err();
        assert_eq!(
            err.problems(),
            vec![Problem::field("ids", "must hold 1 to 100 ids")]
        );
    }
}
