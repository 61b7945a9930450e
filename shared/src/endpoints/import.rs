//! `POST /v1/contacts/import`: up to 100 contacts, each matched by e-mail (case-insensitively)
//! and replaced, or else created. Every item is parsed like a create and written on its own (its
//! own transaction with its guard and memberships), so an item is written whole or not at all
//! and one bad item never stops the others; the answer says what became of each.

use std::time::Instant;

use futures::StreamExt;
use lambda_http::{Request, RequestExt};
use serde_json::{Value, json};

use super::contacts::{BULK_CONCURRENCY, start_deadline};
use super::idempotent;
use crate::App;
use crate::clock::now;
use crate::contact::{Contact, ContactDraft};
use crate::envelope::{Reply, error_entries};
use crate::error::{ApiError, Problem};
use crate::http::json_body;
use crate::idempotency::IdempotencyKey;
use crate::identity::{Scope, TenantId};
use crate::preconditions::Preconditions;
use crate::resource::Resource;
use crate::store::StoreError;

/// How many contacts one import takes.
pub const MAX_IMPORT: usize = 100;
/// How often one item looks its e-mail address up again when another writer moved it meanwhile.
const MATCH_ATTEMPTS: usize = 3;

/// `POST /v1/contacts/import`
pub async fn import_contacts(app: &App, request: Request) -> Result<Reply, ApiError> {
    let principal = app.authorize(request.headers(), Scope::Write).await?;
    let key = IdempotencyKey::from_request(&request)?;
    let items = import_items(json_body(&request)?)?;
    let deadline = start_deadline(request.lambda_context_ref().map(|c| c.deadline));
    let tenant = &principal.tenant;
    idempotent::run(app, tenant, key, |_| async move {
        let results = import(app, tenant, items, deadline).await;
        let count = |status: &str| results.iter().filter(|r| r["status"] == status).count();
        let (created, updated) = (count("created"), count("updated"));
        let failed = results.len() - created - updated;
        Reply::ok(&json!({
            "results": results, "created": created, "updated": updated, "failed": failed
        }))
    })
    .await
}

/// The items of an import body: 400 without a `contacts` array, 422 when it is empty or longer
/// than 100.
pub fn import_items(body: Value) -> Result<Vec<Value>, ApiError> {
    let Value::Object(mut members) = body else {
        return Err(ApiError::malformed(
            "contacts",
            "the body must be {\"contacts\": [...]}",
        ));
    };
    if let Some(unknown) = members.keys().find(|k| *k != "contacts") {
        return Err(ApiError::malformed(
            unknown.as_str(),
            "is not a known field",
        ));
    }
    let Some(Value::Array(items)) = members.remove("contacts") else {
        return Err(ApiError::malformed(
            "contacts",
            "must be an array of contacts",
        ));
    };
    if items.is_empty() || items.len() > MAX_IMPORT {
        return Err(ApiError::unprocessable(
            "contacts",
            format!("must hold 1 to {MAX_IMPORT} contacts"),
        ));
    }
    Ok(items)
}

/// Writes every valid item, a few at a time; the result of each, in the order given. An item
/// whose write would start after `deadline` is not tried and reported `unavailable`.
pub async fn import(
    app: &App,
    tenant: &TenantId,
    items: Vec<Value>,
    deadline: Instant,
) -> Vec<Value> {
    let drafts: Vec<Result<ContactDraft, ApiError>> =
        items.iter().map(ContactDraft::parse).collect();
    // An address given twice would make two items race for one contact: the first one wins.
    let mut first_with: Vec<(String, usize)> = Vec::new();
    let mut repeats: Vec<Option<usize>> = vec![None; drafts.len()];
    for (index, draft) in drafts.iter().enumerate() {
        if let Ok(ContactDraft {
            email: Some(email), ..
        }) = draft
        {
            let key = email.unique_key();
            match first_with.iter().find(|(k, _)| *k == key) {
                Some((_, first)) => repeats[index] = Some(*first),
                None => first_with.push((key, index)),
            }
        }
    }
    futures::stream::iter(drafts.into_iter().zip(repeats).enumerate())
        .map(|(index, (draft, repeat))| async move {
            let draft = match (draft, repeat) {
                (Err(err), _) => return result(index, None, "invalid", Some(&err)),
                (Ok(_), Some(first)) => {
                    let err = ApiError::Conflict(Problem::field(
                        "email",
                        format!("is the e-mail address of item {first} of this import"),
                    ));
                    return result(index, None, "conflict", Some(&err));
                }
                (Ok(draft), None) => draft,
            };
            if Instant::now() >= deadline {
                return result(index, None, "unavailable", None);
            }
            match upsert(app, tenant, draft).await {
                Ok((contact, created)) => {
                    let status = if created { "created" } else { "updated" };
                    result(index, Some(&contact), status, None)
                }
                Err(err) => {
                    let status = match err {
                        ApiError::Malformed(_) | ApiError::Unprocessable(_) => "invalid",
                        ApiError::Conflict(_) => "conflict",
                        ApiError::Unavailable | ApiError::Interrupted => "unavailable",
                        _ => {
                            tracing::error!(error = ?err, "import of one contact failed");
                            "error"
                        }
                    };
                    result(index, None, status, Some(&err))
                }
            }
        })
        .buffered(BULK_CONCURRENCY)
        .collect()
        .await
}

/// Replaces the contact holding the draft's e-mail address, or creates one; says whether it
/// created. A contact that loses or changes that address meanwhile is looked up again.
async fn upsert(
    app: &App,
    tenant: &TenantId,
    draft: ContactDraft,
) -> Result<(Contact, bool), ApiError> {
    let Some(email) = draft.email.as_ref().map(|email| email.unique_key()) else {
        return create(app, tenant, draft).await;
    };
    for _ in 0..MATCH_ATTEMPTS {
        // The guard names the contact; the update reads it and checks it still holds the address.
        match app.store.contact_id_by_email(tenant, &email).await? {
            Some(id) => {
                let replaced = app
                    .store
                    .update(
                        tenant,
                        &id,
                        &Preconditions::default(),
                        |current: &Contact| {
                            if current.email_key().as_deref() != Some(email.as_str()) {
                                return Err(StoreError::NotFound("contact"));
                            }
                            Ok(current.replaced_by(draft.clone(), &now()))
                        },
                    )
                    .await;
                match replaced {
                    Ok(contact) => return Ok((contact, false)),
                    Err(StoreError::NotFound(_)) => continue,
                    Err(err) => return Err(err.into()),
                }
            }
            None => match create(app, tenant, draft.clone()).await {
                Err(ApiError::Conflict(problem)) if problem.field.as_deref() == Some("email") => {}
                outcome => return outcome,
            },
        }
    }
    Err(ApiError::Conflict(Problem::field(
        "email",
        "the contact with this address kept changing during the import",
    )))
}

async fn create(
    app: &App,
    tenant: &TenantId,
    draft: ContactDraft,
) -> Result<(Contact, bool), ApiError> {
    let contact = Contact::create(draft, &now());
    app.store.create(tenant, &contact).await?;
    Ok((contact, true))
}

/// One item's result: `index`, `status`, the contact's `id` when written, and the errors of an
/// item that was not (as the envelope words them).
fn result(index: usize, contact: Option<&Contact>, status: &str, err: Option<&ApiError>) -> Value {
    let mut result = json!({"index": index, "status": status});
    if let Some(contact) = contact {
        result["id"] = json!(contact.id());
        result["version"] = json!(contact.version());
    }
    if let Some(err) = err {
        result["errors"] = Value::Array(error_entries(err));
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_body_is_a_list_of_1_to_100_contacts() {
        assert_eq!(import_items(json!({"contacts": [{}]})).unwrap().len(), 1);
        for (body, status) in [
            (json!([]), 400),
            (json!({}), 400),
            (json!({"contacts": {}}), 400),
            (json!({"contacts": [], "x": 1}), 400),
            (json!({"contacts": []}), 422),
            (json!({"contacts": vec![json!({}); 101]}), 422),
        ] {
            let got = import_items(body.clone())
                .err()
                .map(|e| e.status().as_u16());
            assert_eq!(got, Some(status), "{body}");
        }
    }
}
