//! The group functions: create, list, read, patch (through the steps of `crud`) and delete, which
//! refuses while contacts are in the group.

use lambda_http::Request;
use lambda_http::http::StatusCode;

use super::crud::{Target, create_one, patch_one, read_one};
use crate::App;
use crate::envelope::Reply;
use crate::error::ApiError;
use crate::group::Group;
use crate::identity::Scope;

/// `POST /v1/groups`
pub async fn create_group(app: &App, request: Request) -> Result<Reply, ApiError> {
    create_one::<Group>(app, request).await
}

/// `GET /v1/groups/{id}`
pub async fn get_group(app: &App, request: Request) -> Result<Reply, ApiError> {
    read_one::<Group>(app, request).await
}

/// `PATCH /v1/groups/{id}`: Merge Patch, or JSON Patch on `name` and `description`.
pub async fn patch_group(app: &App, request: Request) -> Result<Reply, ApiError> {
    patch_one::<Group>(app, request).await
}

/// `DELETE /v1/groups/{id}`: 409 while contacts are in it.
pub async fn delete_group(app: &App, request: Request) -> Result<Reply, ApiError> {
    let principal = app.authorize(request.headers(), Scope::Write).await?;
    let Target { id, preconditions } = Target::parse(&request)?;
    app.store
        .delete_group(&principal.tenant, &id, &preconditions)
        .await?;
    Ok(Reply::empty(StatusCode::NO_CONTENT))
}
