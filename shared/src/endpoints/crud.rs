//! The steps every resource's handlers share, written once over [`Resource`]: the typed input a
//! request carries (`Creation`, `Target`, `Replacement`, `Edit`), and create, read, patch and
//! delete of one resource with their answers. The benchmark calls the same parsing functions.

use lambda_http::Request;
use lambda_http::http::{StatusCode, header};
use serde_json::Value;

use super::idempotent;
use crate::App;
use crate::clock::now;
use crate::envelope::Reply;
use crate::error::ApiError;
use crate::http::{Query, json_body, path_id};
use crate::idempotency::{IdempotencyKey, StoredReply};
use crate::identity::Scope;
use crate::patch::ResourcePatch;
use crate::preconditions::{Preconditions, etag, http_date, not_modified};
use crate::projection::{PROJECTION_PARAMETERS, Projection};
use crate::resource::{Resource, ResourceId};
use crate::store::{Companions, Store, Stored};

/// The `fields=` / `$select` projection of an endpoint that takes no other query parameter.
pub fn projection<T: Resource>(request: &Request) -> Result<Projection, ApiError> {
    Projection::parse::<T>(&Query::parse(request, &PROJECTION_PARAMETERS)?)
}

/// What a create reads: the draft and the projection of the answer.
pub struct Creation<T: Resource> {
    pub draft: T::Draft,
    pub projection: Projection,
}

impl<T: Resource> Creation<T> {
    pub fn parse(request: &Request) -> Result<Self, ApiError> {
        Ok(Self {
            projection: projection::<T>(request)?,
            draft: T::parse_draft(&json_body(request)?)?,
        })
    }
}

/// The resource a request is about and the preconditions it puts on it.
pub struct Target {
    pub id: ResourceId,
    pub preconditions: Preconditions,
}

impl Target {
    pub fn parse(request: &Request) -> Result<Self, ApiError> {
        Ok(Self {
            id: path_id(request)?,
            preconditions: Preconditions::from_headers(request.headers())?,
        })
    }
}

/// What a full replacement (PUT) reads.
pub struct Replacement<T: Resource> {
    pub target: Target,
    pub draft: T::Draft,
    pub projection: Projection,
}

impl<T: Resource> Replacement<T> {
    pub fn parse(request: &Request) -> Result<Self, ApiError> {
        Ok(Self {
            target: Target::parse(request)?,
            projection: projection::<T>(request)?,
            draft: T::parse_draft(&json_body(request)?)?,
        })
    }
}

/// What a PATCH reads.
pub struct Edit {
    pub target: Target,
    pub patch: ResourcePatch,
    pub projection: Projection,
}

impl Edit {
    pub fn parse<T: Resource>(request: &Request) -> Result<Self, ApiError> {
        Ok(Self {
            target: Target::parse(request)?,
            projection: projection::<T>(request)?,
            patch: ResourcePatch::parse::<T>(request.headers(), patch_body(request)?)?,
        })
    }

    /// The current resource with the patch applied, validated exactly like a create, written
    /// by `by`.
    pub fn apply<T: Resource + serde::Serialize>(
        &self,
        current: &T,
        by: Option<&str>,
    ) -> Result<T, ApiError> {
        let patched = self
            .patch
            .apply(serde_json::to_value(current).map_err(ApiError::internal)?)?;
        Ok(current.replaced_by(T::parse_draft(&patched)?, &now(), by))
    }
}

/// A PATCH body: JSON, with PATCH's own 415 (which names the accepted types).
fn patch_body(request: &Request) -> Result<Value, ApiError> {
    json_body(request).map_err(|err| match err {
        ApiError::UnsupportedMediaType(_) => ApiError::UnsupportedPatchType,
        other => other,
    })
}

/// `POST /v1/<collection>`: 201 with `Location`. Under an `Idempotency-Key`, the answer is
/// stored in the create's own transaction.
pub async fn create_one<T: Stored>(app: &App, request: Request) -> Result<Reply, ApiError>
where
    Store: Companions<T>,
{
    let principal = app.authorize(request.headers(), Scope::Write).await?;
    let key = IdempotencyKey::from_request(&request)?;
    let input = Creation::<T>::parse(&request)?;
    let (tenant, by) = (&principal.tenant, principal.actor());
    idempotent::run(app, tenant, key, |claim| async move {
        let resource = T::create(input.draft, &now(), by);
        let reply = created(&resource, &input.projection)?;
        let completion = match &claim {
            Some(claim) => app.store.completion_about(
                tenant,
                claim,
                &StoredReply::of(&reply),
                resource.id(),
            )?,
            None => Vec::new(),
        };
        if app.store.create_with(tenant, &resource, completion).await?
            && let Some(claim) = &claim
        {
            claim.mark_stored();
        }
        Ok(reply)
    })
    .await
}

/// `GET` of one resource: 200 with validators, or 304 when `If-None-Match` matches.
pub async fn read_one<T: Stored>(app: &App, request: Request) -> Result<Reply, ApiError> {
    let principal = app.authorize(request.headers(), Scope::Read).await?;
    let id = path_id(&request)?;
    let projection = projection::<T>(&request)?;
    let resource: T = app
        .store
        .find(&principal.tenant, &id)
        .await?
        .ok_or_else(|| ApiError::not_found(T::NAME))?;
    if not_modified(request.headers(), resource.version()) {
        let reply = Reply::empty(StatusCode::NOT_MODIFIED);
        return Ok(validators(reply, &resource));
    }
    resource_reply(StatusCode::OK, &resource, &projection)
}

/// `PUT` of one resource: every writable field replaced, retried on a lost race.
pub async fn replace_one<T: Stored>(app: &App, request: Request) -> Result<Reply, ApiError>
where
    Store: Companions<T>,
{
    let principal = app.authorize(request.headers(), Scope::Write).await?;
    let input = Replacement::<T>::parse(&request)?;
    let Target { id, preconditions } = &input.target;
    let resource = app
        .store
        .update(&principal.tenant, id, preconditions, |current: &T| {
            Ok::<_, ApiError>(current.replaced_by(input.draft.clone(), &now(), principal.actor()))
        })
        .await?;
    resource_reply(StatusCode::OK, &resource, &input.projection)
}

/// `PATCH` of one resource: the patch is re-applied to the current state on every attempt.
pub async fn patch_one<T: Stored>(app: &App, request: Request) -> Result<Reply, ApiError>
where
    Store: Companions<T>,
{
    let principal = app.authorize(request.headers(), Scope::Write).await?;
    let edit = Edit::parse::<T>(&request)?;
    let Target { id, preconditions } = &edit.target;
    let resource = app
        .store
        .update(&principal.tenant, id, preconditions, |current: &T| {
            edit.apply(current, principal.actor())
        })
        .await?;
    resource_reply(StatusCode::OK, &resource, &edit.projection)
}

/// `DELETE` of one resource: 204.
pub async fn delete_one<T: Stored>(app: &App, request: Request) -> Result<Reply, ApiError>
where
    Store: Companions<T>,
{
    let principal = app.authorize(request.headers(), Scope::Write).await?;
    let Target { id, preconditions } = Target::parse(&request)?;
    app.store
        .delete::<T>(&principal.tenant, &id, &preconditions)
        .await?;
    Ok(Reply::empty(StatusCode::NO_CONTENT))
}

/// 201 with `Location: /v1/<collection>/<id>` (`/api/v1/...` when the request came that way).
pub fn created<T: Resource + serde::Serialize>(
    resource: &T,
    projection: &Projection,
) -> Result<Reply, ApiError> {
    Ok(
        resource_reply(StatusCode::CREATED, resource, projection)?.header(
            header::LOCATION,
            format!(
                "{}/{}",
                projection.base().collection(T::COLLECTION),
                resource.id()
            ),
        ),
    )
}

/// One resource, projected, with its validators.
pub fn resource_reply<T: Resource + serde::Serialize>(
    status: StatusCode,
    resource: &T,
    projection: &Projection,
) -> Result<Reply, ApiError> {
    Ok(validators(
        Reply::raw(status, projection.select(resource)?),
        resource,
    ))
}

/// `ETag` and `Last-Modified` of one resource.
fn validators<T: Resource>(reply: Reply, resource: &T) -> Reply {
    let reply = reply.header(header::ETAG, etag(resource.version()));
    match http_date(resource.updated_at()) {
        Some(date) => reply.header(header::LAST_MODIFIED, date),
        None => reply,
    }
}
