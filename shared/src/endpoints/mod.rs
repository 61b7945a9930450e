//! One handler per Lambda function, by resource. Each reads like its route: authorize, parse
//! typed input, make one store call, answer. A function's `main.rs` only hands its handler to
//! `lambda::serve`.
//!
//! - [`crud`]: the typed input of a request and the create/read/replace/patch/delete steps
//!   every resource shares;
//! - [`contacts`], [`groups`]: the handlers of each resource;
//! - [`lists`]: paging and cursors of the two lists; [`filters`]: what a list holds and in which
//!   order (filters, search), [`sort`]: `sort=`;
//! - [`batch`]: the engine of bulk delete and [`import`] (bulk upsert): concurrency, deadline,
//!   typed outcomes; [`idempotent`]: a request run under its `Idempotency-Key`;
//! - [`changes`]: the change feed and its stream consumer;
//! - [`trash`]: delete (to the trash), the trash's list, restore and erase of contacts.

pub mod batch;
pub mod changes;
pub mod contacts;
pub mod crud;
pub mod filters;
pub mod groups;
pub mod idempotent;
pub mod import;
pub mod lists;
pub mod sort;
pub mod trash;

use lambda_http::Request;

use crate::App;
use crate::envelope::Reply;
use crate::error::ApiError;
use crate::routes::methods_for;

pub use changes::{list_changes, record_changes};
pub use contacts::{
    bulk_delete_contacts, create_contact, get_contact, patch_contact, update_contact,
};
pub use groups::{create_group, delete_group, get_group, patch_group};
pub use import::import_contacts;
pub use lists::{list_contacts, list_groups};
pub use trash::{delete_contact, list_trash, restore_contact};

/// The `$default` route: 405 with `Allow` on a known path, else 404.
pub async fn route_not_found(_app: &App, request: Request) -> Result<Reply, ApiError> {
    let allow = methods_for(request.uri().path());
    if allow.is_empty() {
        Err(ApiError::NotFound("no route matches this path".into()))
    } else {
        Err(ApiError::MethodNotAllowed { allow })
    }
}
