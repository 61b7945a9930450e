//! Lists: one page of `limit` items (1–100), reached by a signed `cursor` or a `page` number,
//! each list with the filter and order it was asked for ([`super::filters`]).

use lambda_http::Request;
use serde_json::json;
use serde_json::value::RawValue;

use super::filters::{ContactFilter, GroupList};
use super::sort::{GROUP_SORTS, Sort};
use crate::App;
use crate::contact::Contact;
use crate::envelope::Reply;
use crate::error::ApiError;
use crate::group::Group;
use crate::http::Query;
use crate::identity::{Scope, TenantId};
use crate::projection::Projection;
use crate::resource::Resource;
use crate::store::{Store, Stored};

pub const DEFAULT_LIMIT: usize = 10;
/// `page × limit` may not go past this many items.
const MAX_PAGE_DEPTH: usize = 10_000;
/// How many bytes of items one page may hold: Lambda answers at most 6 MB, and the envelope
/// and API Gateway's event encoding (which escapes every quote of the body) need room.
pub const MAX_PAGE_BYTES: usize = 3 * 1024 * 1024;
/// The query parameters of `GET /v1/groups`: paging, order and projection.
pub const GROUP_LIST_PARAMETERS: [&str; 6] =
    ["limit", "cursor", "page", "fields", "$select", "sort"];
/// The query parameters of `GET /v1/contacts`: paging, order, projection, filters and search.
pub const CONTACT_LIST_PARAMETERS: [&str; 9] = [
    "limit", "cursor", "page", "fields", "$select", "group", "email", "sort", "q",
];

/// One page a filter read: each item with its position, and where the next page starts when
/// more may follow (after the last item, or after the last index entry a search read).
pub struct Fetched<T> {
    pub items: Vec<(T, String)>,
    pub next: Option<String>,
}

/// Which items a list holds, and how to read a page of them.
#[allow(
    async_fn_in_trait,
    reason = "implemented and awaited only in this crate, on concrete filters whose futures are Send"
)]
pub trait Filter<T> {
    /// What a cursor is bound to, besides the tenant.
    fn fingerprint(&self) -> String;
    /// Up to `limit` items after the position `after`.
    async fn fetch(
        &self,
        store: &Store,
        tenant: &TenantId,
        limit: usize,
        after: Option<&str>,
    ) -> Result<Fetched<T>, ApiError>;
    /// The position of the `count`-th item after `after`, `None` when fewer follow; reads
    /// keys (or index entries) only.
    async fn skip(
        &self,
        store: &Store,
        tenant: &TenantId,
        count: usize,
        after: Option<&str>,
    ) -> Result<Option<String>, ApiError>;
}

/// The paging parameters of a list request, and its projection.
#[derive(Debug)]
pub struct Paging {
    pub limit: usize,
    pub page: usize,
    pub cursor: Option<String>,
    pub projection: Projection,
}

impl Paging {
    /// `limit` (1–100), then either `cursor` or `page` (1-based, `page × limit` ≤ 10 000).
    pub fn parse<T: Resource>(query: &Query) -> Result<Self, ApiError> {
        let limit = query.limit(DEFAULT_LIMIT)?;
        let page = match query.single("page")? {
            None => 1,
            Some(raw) => raw
                .parse::<usize>()
                .ok()
                .filter(|n| *n >= 1 && n.saturating_mul(limit) <= MAX_PAGE_DEPTH)
                .ok_or_else(|| {
                    ApiError::malformed(
                        "page",
                        format!(
                            "must be an integer from 1, with page × limit at most {MAX_PAGE_DEPTH}"
                        ),
                    )
                })?,
        };
        let cursor = query.single("cursor")?.map(str::to_string);
        if cursor.is_some() && page > 1 {
            return Err(ApiError::malformed(
                "page",
                "give either cursor or page, not both",
            ));
        }
        Ok(Self {
            limit,
            page,
            cursor,
            projection: Projection::parse::<T>(query)?,
        })
    }
}

/// `GET /v1/contacts`
pub async fn list_contacts(app: &App, request: Request) -> Result<Reply, ApiError> {
    let principal = app.authorize(request.headers(), Scope::Read).await?;
    let query = Query::parse(&request, &CONTACT_LIST_PARAMETERS)?;
    let paging = Paging::parse::<Contact>(&query)?;
    let filter = ContactFilter::parse(app, &principal.tenant, &query).await?;
    list_reply(app, &principal.tenant, &paging, &filter).await
}

/// `GET /v1/groups`
pub async fn list_groups(app: &App, request: Request) -> Result<Reply, ApiError> {
    let principal = app.authorize(request.headers(), Scope::Read).await?;
    let query = Query::parse(&request, &GROUP_LIST_PARAMETERS)?;
    let paging = Paging::parse::<Group>(&query)?;
    let filter = GroupList(Sort::parse(&query, &GROUP_SORTS)?);
    list_reply(app, &principal.tenant, &paging, &filter).await
}

/// One page of a list; a `page` number skips the earlier pages reading their keys only.
async fn list_reply<T: Stored>(
    app: &App,
    tenant: &TenantId,
    paging: &Paging,
    filter: &impl Filter<T>,
) -> Result<Reply, ApiError> {
    let fingerprint = filter.fingerprint();
    let mut after = match &paging.cursor {
        None => None,
        Some(cursor) => Some(app.cursors()?.open(tenant, &fingerprint, cursor)?),
    };
    if paging.page > 1 {
        // Earlier pages are skipped reading keys only: a few round trips, not one per page.
        let count = (paging.page - 1) * paging.limit;
        match filter
            .skip(&app.store, tenant, count, after.as_deref())
            .await?
        {
            Some(last) => after = Some(last),
            None => return Reply::ok(&json!({"items": [], "nextCursor": null})),
        }
    }
    let fetched = filter
        .fetch(&app.store, tenant, paging.limit, after.as_deref())
        .await?;
    sealed_page(app, tenant, &fingerprint, fetched, &paging.projection)
}

/// A page of what a list fetched, as many items as fit (`page_items`), with the cursor of the
/// next page, signed for this tenant and list.
pub fn sealed_page<T: serde::Serialize>(
    app: &App,
    tenant: &TenantId,
    fingerprint: &str,
    fetched: Fetched<T>,
    projection: &Projection,
) -> Result<Reply, ApiError> {
    let resources: Vec<&T> = fetched.items.iter().map(|(item, _)| item).collect();
    let items = page_items(&resources, projection)?;
    // A page cut short by its size goes on after its last item, like one cut by `limit`.
    let position = if items.len() < fetched.items.len() {
        fetched
            .items
            .get(items.len().wrapping_sub(1))
            .map(|(_, p)| p.clone())
    } else {
        fetched.next
    };
    let next_cursor = match position {
        Some(position) => Some(app.cursors()?.seal(tenant, fingerprint, &position)),
        None => None,
    };
    Reply::ok(&Page { items, next_cursor })
}

/// A page's items, each projected and serialized once, as many as fit in `MAX_PAGE_BYTES`
/// (always at least one): a page of large contacts never reaches Lambda's 6 MB response limit.
pub fn page_items<T: serde::Serialize>(
    resources: &[T],
    projection: &Projection,
) -> Result<Vec<Box<RawValue>>, ApiError> {
    let mut items = Vec::with_capacity(resources.len());
    let mut bytes = 0;
    for resource in resources {
        let item = projection.select(resource)?;
        bytes += item.get().len() + 1;
        if bytes > MAX_PAGE_BYTES && !items.is_empty() {
            break;
        }
        items.push(item);
    }
    Ok(items)
}

/// The `data` of a list: its items, already serialized, and the cursor of the next page.
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Page {
    pub items: Vec<Box<RawValue>>,
    pub next_cursor: Option<String>,
}
