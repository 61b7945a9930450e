//! Delete, the trash, restore and erase of contacts. A DELETE moves the contact to its tenant's
//! trash for `TRASH_RETENTION_DAYS` (or deletes it for good when that is 0); the trash is listed
//! most recently deleted first; a restore brings a contact back with its id; `?permanent=true`
//! erases a live or trashed contact and every stored answer that holds its data.

use lambda_http::Request;
use lambda_http::http::StatusCode;

use super::crud::{Target, projection, resource_reply};
use super::idempotent;
use super::lists::{DEFAULT_LIMIT, Fetched, sealed_page};
use crate::App;
use crate::contact::Contact;
use crate::envelope::Reply;
use crate::error::ApiError;
use crate::http::{Query, path_id_at};
use crate::idempotency::{IdempotencyKey, StoredReply};
use crate::identity::{Principal, Scope};
use crate::preconditions::Preconditions;
use crate::projection::Projection;
use crate::resource::ResourceId;
use crate::store::{Moment, StoreError};

/// The query parameters of `DELETE /v1/contacts/{id}`.
pub const DELETE_PARAMETERS: [&str; 1] = ["permanent"];
/// The query parameters of `GET /v1/contacts/trash`.
pub const TRASH_LIST_PARAMETERS: [&str; 2] = ["limit", "cursor"];
/// What a trash cursor is bound to, besides the tenant.
const TRASH_FINGERPRINT: &str = "trash";

/// When the request writes and who it is (`createdBy`, `deletedBy`, ...).
fn moment<'a>(app: &App, principal: &'a Principal) -> Moment<'a> {
    Moment {
        now: (app.clock)(),
        by: principal.actor(),
    }
}

/// `DELETE /v1/contacts/{id}`: 204; to the trash, or erased with `?permanent=true`.
pub async fn delete_contact(app: &App, request: Request) -> Result<Reply, ApiError> {
    let principal = app.authorize(request.headers(), Scope::Write).await?;
    let Target { id, preconditions } = Target::parse(&request)?;
    let query = Query::parse(&request, &DELETE_PARAMETERS)?;
    let permanent = match query.single("permanent")? {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => {
            return Err(ApiError::malformed("permanent", "must be true or false"));
        }
    };
    if permanent {
        let moment = moment(app, &principal);
        app.store
            .erase(&principal.tenant, &id, &preconditions, moment)
            .await?;
    } else {
        remove(app, &principal, &id, &preconditions).await?;
    }
    Ok(Reply::empty(StatusCode::NO_CONTENT))
}

/// Deletes a contact as a DELETE does: to the trash, or for good when the trash is off.
pub async fn remove(
    app: &App,
    principal: &Principal,
    id: &ResourceId,
    preconditions: &Preconditions,
) -> Result<(), StoreError> {
    let tenant = &principal.tenant;
    if app.trash_retention.is_zero() {
        app.store.delete::<Contact>(tenant, id, preconditions).await
    } else {
        let moment = moment(app, principal);
        let retention = app.trash_retention;
        app.store
            .trash(tenant, id, preconditions, moment, retention)
            .await
    }
}

/// `GET /v1/contacts/trash`: a page of trashed contacts, most recently deleted first, each with
/// `deletedAt`, `deletedBy` and `purgeAt`.
pub async fn list_trash(app: &App, request: Request) -> Result<Reply, ApiError> {
    let principal = app.authorize(request.headers(), Scope::Read).await?;
    let tenant = &principal.tenant;
    let query = Query::parse(&request, &TRASH_LIST_PARAMETERS)?;
    let limit = query.limit(DEFAULT_LIMIT)?;
    let after = match query.single("cursor")? {
        None => None,
        Some(cursor) => Some(app.cursors()?.open(tenant, TRASH_FINGERPRINT, cursor)?),
    };
    let (items, next) = app
        .store
        .list_trash(tenant, limit, after.as_deref(), (app.clock)())
        .await?;
    let fetched = Fetched {
        items: items
            .into_iter()
            .map(|item| {
                let position = item.entry.clone();
                (item, position)
            })
            .collect(),
        next,
    };
    let projection = Projection::parse::<Contact>(&query)?;
    sealed_page(app, tenant, TRASH_FINGERPRINT, fetched, &projection)
}

/// `POST /v1/contacts/{id}/restore`: 200 with the contact back from the trash, one version
/// above the deleted one; under an `Idempotency-Key` the answer is stored in the restore's own
/// transaction.
pub async fn restore_contact(app: &App, request: Request) -> Result<Reply, ApiError> {
    let principal = app.authorize(request.headers(), Scope::Write).await?;
    let key = IdempotencyKey::from_request(&request)?;
    let id = path_id_at(&request, 1)?;
    let preconditions = Preconditions::from_headers(request.headers())?;
    let projection = projection::<Contact>(&request)?;
    let tenant = &principal.tenant;
    let moment = moment(app, &principal);
    idempotent::run(app, tenant, key, |claim| async move {
        let answer = |contact: &Contact| resource_reply(StatusCode::OK, contact, &projection);
        let also = |contact: &Contact| match &claim {
            Some(claim) => {
                let reply = answer(contact).map_err(StoreError::internal)?;
                app.store
                    .completion_about(tenant, claim, &StoredReply::of(&reply), &contact.id)
            }
            None => Ok(Vec::new()),
        };
        let restored = app
            .store
            .restore(tenant, &id, &preconditions, moment, &also)
            .await?;
        if let Some(claim) = &claim {
            claim.mark_stored();
        }
        answer(&restored)
    })
    .await
}
