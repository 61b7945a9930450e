//! The contact functions: create, read, replace and patch one contact (through the shared
//! steps of `crud`), and bulk delete (to the trash, as `trash::delete_contact` deletes one).

use lambda_http::Request;
use serde::Serialize;
use serde_json::{Value, json};

use super::batch::{self, Status};
use super::crud::{create_one, patch_one, read_one, replace_one};
use super::idempotent::{self, Finished};
use super::trash::remove;
use crate::App;
use crate::contact::Contact;
use crate::envelope::Reply;
use crate::error::ApiError;
use crate::http::json_body;
use crate::idempotency::IdempotencyKey;
use crate::identity::{Principal, Scope};
use crate::preconditions::Preconditions;
use crate::resource::ResourceId;

/// How many ids one bulk delete takes.
const MAX_BULK_IDS: usize = 100;

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

/// `POST /v1/contacts/bulk-delete`: each id on its own, a few at a time; repeated ids once.
pub async fn bulk_delete_contacts(app: &App, request: Request) -> Result<Reply, ApiError> {
    let principal = app.authorize(request.headers(), Scope::Write).await?;
    let key = IdempotencyKey::from_request(&request)?;
    let ids = bulk_ids(&json_body(&request)?)?;
    let deadline = batch::Deadline::of(&request);
    let deleter = &principal;
    idempotent::run_finishing(app, &deleter.tenant, key, |_| async move {
        let results = bulk_delete(app, deleter, ids, deadline).await;
        let deleted = batch::count(&results, Status::Deleted, |r| r.status);
        Ok(Finished {
            reply: Reply::ok(&json!({"results": results, "deleted": deleted}))?,
            last: batch::all_done(&results, |r| r.status),
        })
    })
    .await
}

/// Deletes each id on its own as a DELETE does (to the trash; see `batch::run`): a malformed
/// id is `invalid_id` at once; an id without the time left before `deadline` is `unavailable`
/// and not tried, one still being deleted at `deadline` is `interrupted`.
pub async fn bulk_delete(
    app: &App,
    deleter: &Principal,
    ids: Vec<String>,
    deadline: batch::Deadline,
) -> Vec<BulkResult> {
    let items = ids
        .into_iter()
        .map(|raw| match ResourceId::parse(&raw) {
            Some(id) => Ok((raw, id)),
            None => Err(BulkResult::new(raw, Status::InvalidId)),
        })
        .collect::<Vec<_>>();
    batch::run(
        items,
        deadline,
        |_, (raw, _), status| BulkResult::new(raw.clone(), status),
        |_, (raw, id)| async move {
            let outcome = remove(app, deleter, &id, &Preconditions::default())
                .await
                .map_err(ApiError::from);
            let status = match outcome {
                Ok(()) => Status::Deleted,
                Err(err) => batch::failed(&err, |err| {
                    matches!(err, ApiError::NotFound(_)).then_some(Status::NotFound)
                }),
            };
            BulkResult::new(raw, status)
        },
    )
    .await
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

/// One id's result: the project's `id`, `success` and `status`, and the same as link-style
/// clients read it (`link_id`, `extended_info`: `deleted` or `entity_not_found`, null for what
/// it has no word for).
#[derive(Debug, Clone, Serialize)]
pub struct BulkResult {
    pub id: String,
    pub success: bool,
    pub status: Status,
    pub link_id: String,
    pub extended_info: Option<&'static str>,
}

impl BulkResult {
    /// The result of the id `id` as given (echoed up to `batch::MAX_ECHO` characters: only an
    /// invalid id can be longer).
    fn new(id: String, status: Status) -> Self {
        let id = batch::echo(&id);
        let extended_info = match status {
            Status::Deleted => Some("deleted"),
            Status::NotFound | Status::InvalidId => Some("entity_not_found"),
            _ => None,
        };
        Self {
            link_id: id.clone(),
            id,
            success: status == Status::Deleted,
            status,
            extended_info,
        }
    }
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
            json!(BulkResult::new("x".into(), Status::InvalidId))["extended_info"],
            "entity_not_found"
        );
        assert_eq!(
            json!(BulkResult::new("x".into(), Status::Unavailable))["extended_info"],
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
