//! `POST /v1/contacts/import`: up to 100 contacts, each matched by e-mail (case-insensitively)
//! and replaced, or else created. Every item is parsed like a create and written on its own (its
//! own transaction with its guard and memberships), so an item is written whole or not at all
//! and one bad item never stops the others; the answer says what became of each.

use lambda_http::Request;
use serde::Serialize;
use serde_json::{Value, json};

use super::batch::{self, Status};
use super::idempotent::{self, Finished};
use crate::App;
use crate::clock::now;
use crate::contact::{Contact, ContactDraft};
use crate::envelope::{Reply, error_entries};
use crate::error::{ApiError, Problem};
use crate::http::json_body;
use crate::idempotency::IdempotencyKey;
use crate::identity::{Principal, Scope};
use crate::preconditions::Preconditions;
use crate::resource::{Resource, ResourceId};
use crate::store::StoreError;

/// How many contacts one import takes.
pub const MAX_IMPORT: usize = 100;
/// How many errors one item's result lists (the first ones).
pub const MAX_ITEM_ERRORS: usize = 5;
/// How often one item looks its e-mail address up again when another writer moved it meanwhile.
const MATCH_ATTEMPTS: usize = 3;

/// `POST /v1/contacts/import`
pub async fn import_contacts(app: &App, request: Request) -> Result<Reply, ApiError> {
    let principal = app.authorize(request.headers(), Scope::Write).await?;
    let key = IdempotencyKey::from_request(&request)?;
    let items = import_items(json_body(&request)?)?;
    let deadline = batch::Deadline::of(&request);
    let writer = &principal;
    idempotent::run_finishing(app, &writer.tenant, key, |_| async move {
        let results = import(app, writer, items, deadline).await;
        let count = |status| batch::count(&results, status, |r| r.status);
        let (created, updated) = (count(Status::Created), count(Status::Updated));
        let failed = results.len() - created - updated;
        Ok(Finished {
            reply: Reply::ok(&json!({
                "results": results, "created": created, "updated": updated, "failed": failed
            }))?,
            last: batch::all_done(&results, |r| r.status),
        })
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

/// Writes every valid item (see `batch::run`); the result of each, in the order given. An
/// invalid item, or one whose address an earlier item has, is answered at once; an item without
/// the time left before `deadline` is `unavailable` and not tried, one still being written at
/// `deadline` is `interrupted`.
pub async fn import(
    app: &App,
    writer: &Principal,
    items: Vec<Value>,
    deadline: batch::Deadline,
) -> Vec<ImportResult> {
    let drafts = first_of_each_address(items.iter().map(ContactDraft::parse).collect());
    batch::run(
        drafts,
        deadline,
        |index, _, status| ImportResult::failed(index, status, None),
        |index, draft| async move {
            match upsert(app, writer, draft).await {
                Ok((contact, Written::Created)) => {
                    ImportResult::written(index, &contact, Status::Created)
                }
                Ok((contact, Written::Updated)) => {
                    ImportResult::written(index, &contact, Status::Updated)
                }
                Err(err) => {
                    let status = batch::failed(&err, |err| match err {
                        ApiError::Malformed(_) | ApiError::Unprocessable(_) => {
                            Some(Status::Invalid)
                        }
                        ApiError::Conflict(_) => Some(Status::Conflict),
                        _ => None,
                    });
                    ImportResult::failed(index, status, Some(&err))
                }
            }
        },
    )
    .await
}

/// The drafts to write, each parsed item answered at once when it is invalid or when an earlier
/// item has its address (two items would race for one contact: the first one wins).
fn first_of_each_address(
    drafts: Vec<Result<ContactDraft, ApiError>>,
) -> Vec<Result<ContactDraft, ImportResult>> {
    let mut first_with: Vec<(String, usize)> = Vec::new();
    drafts
        .into_iter()
        .enumerate()
        .map(|(index, draft)| {
            let draft =
                draft.map_err(|err| ImportResult::failed(index, Status::Invalid, Some(&err)))?;
            let Some(key) = draft.email.as_ref().map(|email| email.unique_key()) else {
                return Ok(draft);
            };
            if let Some((_, first)) = first_with.iter().find(|(k, _)| *k == key) {
                let err = ApiError::Conflict(Problem::field(
                    "email",
                    format!("is the e-mail address of item {first} of this import"),
                ));
                return Err(ImportResult::failed(index, Status::Conflict, Some(&err)));
            }
            first_with.push((key, index));
            Ok(draft)
        })
        .collect()
}

/// Whether an item made a contact or replaced one.
enum Written {
    Created,
    Updated,
}

/// Replaces the contact holding the draft's e-mail address, or creates one. A contact that
/// loses or changes that address meanwhile is looked up again.
async fn upsert(
    app: &App,
    writer: &Principal,
    draft: ContactDraft,
) -> Result<(Contact, Written), ApiError> {
    let tenant = &writer.tenant;
    let Some(email) = draft.email.as_ref().map(|email| email.unique_key()) else {
        return create(app, writer, draft).await;
    };
    for _ in 0..MATCH_ATTEMPTS {
        // The guard names the contact; the update reads it and checks it still holds the address.
        let matched = app.store.contact_id_by_email(tenant, &email).await?;
        let outcome = match matched {
            Some(id) => replace_holder(app, writer, &id, &email, &draft).await,
            None => create_unless_taken(app, writer, &draft).await,
        };
        if let Some(done) = outcome? {
            return Ok(done);
        }
    }
    Err(ApiError::Conflict(Problem::field(
        "email",
        "the contact with this address kept changing during the import",
    )))
}

/// Replaces contact `id` if it still holds the address `email`; `None` when it no longer does
/// (or is gone): look the address up again.
async fn replace_holder(
    app: &App,
    writer: &Principal,
    id: &ResourceId,
    email: &str,
    draft: &ContactDraft,
) -> Result<Option<(Contact, Written)>, ApiError> {
    let replaced = app
        .store
        .update(
            &writer.tenant,
            id,
            &Preconditions::default(),
            |current: &Contact| {
                if current.email_key().as_deref() != Some(email) {
                    return Err(StoreError::NotFound(Contact::NAME));
                }
                Ok(current.replaced_by(draft.clone(), &now(), writer.actor()))
            },
        )
        .await;
    match replaced {
        Ok(contact) => Ok(Some((contact, Written::Updated))),
        Err(StoreError::NotFound(_)) => Ok(None),
        Err(err) => Err(err.into()),
    }
}

/// Creates the contact; `None` when another writer took its address meanwhile: look it up again.
async fn create_unless_taken(
    app: &App,
    writer: &Principal,
    draft: &ContactDraft,
) -> Result<Option<(Contact, Written)>, ApiError> {
    let contact = Contact::create(draft.clone(), &now(), writer.actor());
    match app.store.create(&writer.tenant, &contact).await {
        Ok(()) => Ok(Some((contact, Written::Created))),
        Err(StoreError::EmailTaken) => Ok(None),
        Err(err) => Err(err.into()),
    }
}

async fn create(
    app: &App,
    writer: &Principal,
    draft: ContactDraft,
) -> Result<(Contact, Written), ApiError> {
    let contact = Contact::create(draft, &now(), writer.actor());
    app.store.create(&writer.tenant, &contact).await?;
    Ok((contact, Written::Created))
}

/// One item's result: `index`, `status`, the contact's `id` and `version` when written, and the
/// errors of an item that was not (as the envelope words them).
#[derive(Debug, Clone, Serialize)]
pub struct ImportResult {
    pub index: usize,
    pub status: Status,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<ResourceId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<Value>>,
}

impl ImportResult {
    fn written(index: usize, contact: &Contact, status: Status) -> Self {
        Self {
            index,
            status,
            id: Some(*contact.id()),
            version: Some(contact.version()),
            errors: None,
        }
    }

    /// An item not written, with the errors of `err`: at most `MAX_ITEM_ERRORS`, each text
    /// echoed up to `batch::MAX_ECHO` characters (a field name comes from the request), so that
    /// the answer of 100 items always fits one stored answer.
    fn failed(index: usize, status: Status, err: Option<&ApiError>) -> Self {
        let errors = err.map(|err| {
            error_entries(err)
                .into_iter()
                .take(MAX_ITEM_ERRORS)
                .map(|mut entry| {
                    if let Value::Object(members) = &mut entry {
                        for text in members.values_mut() {
                            if let Value::String(s) = text {
                                *s = batch::echo(s);
                            }
                        }
                    }
                    entry
                })
                .collect()
        });
        Self {
            index,
            status,
            id: None,
            version: None,
            errors,
        }
    }
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
