//! Lists: one page of `limit` items (1–100) in creation order, reached by a signed `cursor` or a
//! `page` number, each list with the filter it was asked for. A filter owns its fingerprint, so
//! a cursor only opens for the tenant and the exact query that made it.

use lambda_http::Request;
use serde_json::json;
use serde_json::value::RawValue;

use crate::App;
use crate::contact::{Contact, Email};
use crate::envelope::Reply;
use crate::error::ApiError;
use crate::group::Group;
use crate::http::Query;
use crate::identity::{Scope, TenantId};
use crate::projection::Projection;
use crate::resource::{MAX_NAME, Resource, ResourceId};
use crate::store::{Store, Stored};

const DEFAULT_LIMIT: usize = 10;
/// `page × limit` may not go past this many items.
const MAX_PAGE_DEPTH: usize = 10_000;
/// How many bytes of items one page may hold: Lambda answers at most 6 MB, and the envelope
/// and API Gateway's event encoding (which escapes every quote of the body) need room.
pub const MAX_PAGE_BYTES: usize = 3 * 1024 * 1024;
/// How many groups one `group=` filter may name.
const MAX_FILTER_GROUPS: usize = 10;

/// The query parameters of `GET /v1/groups`: paging and projection.
pub const GROUP_LIST_PARAMETERS: [&str; 5] = ["limit", "cursor", "page", "fields", "$select"];
/// The query parameters of `GET /v1/contacts`: paging, projection and filters.
pub const CONTACT_LIST_PARAMETERS: [&str; 7] = [
    "limit", "cursor", "page", "fields", "$select", "group", "email",
];

/// Which items a list holds, and how to read a page of them.
#[allow(
    async_fn_in_trait,
    reason = "implemented and awaited only in this crate, on concrete filters whose futures are Send"
)]
pub trait Filter<T> {
    /// What a cursor is bound to, besides the tenant.
    fn fingerprint(&self) -> String;
    /// Up to `limit` items after `after`, and whether more follow.
    async fn fetch(
        &self,
        store: &Store,
        tenant: &TenantId,
        limit: usize,
        after: Option<ResourceId>,
    ) -> Result<(Vec<T>, bool), ApiError>;
    /// The id of the `count`-th item after `after`, `None` when fewer follow; reads keys only.
    async fn skip(
        &self,
        store: &Store,
        tenant: &TenantId,
        count: usize,
        after: Option<ResourceId>,
    ) -> Result<Option<ResourceId>, ApiError>;
}

/// Every group, in creation order.
pub struct AllGroups;

impl Filter<Group> for AllGroups {
    fn fingerprint(&self) -> String {
        "groups".into()
    }

    async fn fetch(
        &self,
        store: &Store,
        tenant: &TenantId,
        limit: usize,
        after: Option<ResourceId>,
    ) -> Result<(Vec<Group>, bool), ApiError> {
        Ok(store.list::<Group>(tenant, limit, after.as_ref()).await?)
    }

    async fn skip(
        &self,
        store: &Store,
        tenant: &TenantId,
        count: usize,
        after: Option<ResourceId>,
    ) -> Result<Option<ResourceId>, ApiError> {
        Ok(store.skip::<Group>(tenant, count, after.as_ref()).await?)
    }
}

/// The contacts of `GET /v1/contacts`: all, those in any of some groups, or the one with an
/// e-mail address (in those groups, when both are given).
#[derive(Debug, Default)]
pub struct ContactFilter {
    /// The lower-cased address of `email=`.
    pub email: Option<String>,
    /// The ids of the groups `group=` named (ids or names); empty when no name matched.
    pub groups: Option<Vec<ResourceId>>,
}

impl ContactFilter {
    /// Reads `email=` and `group=` (repeatable, comma-separated, ids or names; names are looked
    /// up, and names that match no group match no contact).
    pub async fn parse(app: &App, tenant: &TenantId, query: &Query) -> Result<Self, ApiError> {
        let email = match query.single("email")? {
            Some(raw) => Some(
                Email::parse(raw)
                    .map_err(|message| ApiError::malformed("email", message))?
                    .unique_key(),
            ),
            None => None,
        };
        let groups = match group_names(query)? {
            None => None,
            Some(names) => {
                let mut ids = Vec::with_capacity(names.len());
                for name in names {
                    let id = match ResourceId::parse(name) {
                        Some(id) => Some(id),
                        // A name longer than any group's matches none, without a lookup
                        // (nor a sort key over DynamoDB's 1 024 bytes).
                        None if name.chars().count() > MAX_NAME => None,
                        None => app.store.find_group_id_by_name(tenant, name).await?,
                    };
                    ids.extend(id);
                }
                ids.sort_unstable();
                ids.dedup();
                Some(ids)
            }
        };
        Ok(Self { email, groups })
    }
}

/// The names and ids a `group=` filter gives, `None` without one.
fn group_names(query: &Query) -> Result<Option<Vec<&str>>, ApiError> {
    let names: Vec<&str> = query
        .all("group")
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .filter(|name| !name.is_empty())
        .collect();
    if names.is_empty() {
        return if query.all("group").next().is_some() {
            Err(ApiError::malformed("group", "must name a group id or name"))
        } else {
            Ok(None)
        };
    }
    if names.len() > MAX_FILTER_GROUPS {
        return Err(ApiError::malformed(
            "group",
            format!("may name at most {MAX_FILTER_GROUPS} groups"),
        ));
    }
    Ok(Some(names))
}

impl Filter<Contact> for ContactFilter {
    fn fingerprint(&self) -> String {
        let groups = self
            .groups
            .iter()
            .flatten()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(",");
        format!(
            "contacts|groups={groups}|email={}",
            self.email.as_deref().unwrap_or_default()
        )
    }

    async fn fetch(
        &self,
        store: &Store,
        tenant: &TenantId,
        limit: usize,
        after: Option<ResourceId>,
    ) -> Result<(Vec<Contact>, bool), ApiError> {
        match (&self.email, &self.groups) {
            (Some(email), groups) => {
                let found = store.find_contact_by_email(tenant, email).await?;
                let matches = found.filter(|contact| {
                    after.is_none_or(|after| contact.id > after)
                        && groups.as_ref().is_none_or(|wanted| {
                            contact.groups.iter().flatten().any(|g| wanted.contains(g))
                        })
                });
                Ok((matches.into_iter().collect(), false))
            }
            (None, Some(groups)) if groups.is_empty() => Ok((Vec::new(), false)),
            (None, Some(groups)) => Ok(store
                .list_contacts_in_groups(tenant, groups, limit, after.as_ref())
                .await?),
            (None, None) => Ok(store.list(tenant, limit, after.as_ref()).await?),
        }
    }

    async fn skip(
        &self,
        store: &Store,
        tenant: &TenantId,
        count: usize,
        after: Option<ResourceId>,
    ) -> Result<Option<ResourceId>, ApiError> {
        match (&self.email, &self.groups) {
            // At most one contact has the address: skipping any is the end.
            (Some(_), _) => Ok(None),
            (None, Some(groups)) => Ok(store
                .skip_in_groups(tenant, groups, count, after.as_ref())
                .await?),
            (None, None) => Ok(store.skip::<Contact>(tenant, count, after.as_ref()).await?),
        }
    }
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
    list_reply(app, &principal.tenant, &paging, &AllGroups).await
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
        Some(cursor) => {
            let position = app.cursors()?.open(tenant, &fingerprint, cursor)?;
            Some(ResourceId::parse(&position).ok_or_else(|| {
                ApiError::malformed("cursor", "the cursor is not valid for this query")
            })?)
        }
    };
    if paging.page > 1 {
        // Earlier pages are skipped reading keys only: a few round trips, not one per page.
        let count = (paging.page - 1) * paging.limit;
        match filter.skip(&app.store, tenant, count, after).await? {
            Some(last) => after = Some(last),
            None => return Reply::ok(&json!({"items": [], "nextCursor": null})),
        }
    }
    let (resources, more) = filter
        .fetch(&app.store, tenant, paging.limit, after)
        .await?;
    let items = page_items(&resources, &paging.projection)?;
    // A page cut short by its size goes on after its last item, like one cut by `limit`.
    let next_cursor = match resources[..items.len()].last() {
        Some(last) if more || items.len() < resources.len() => Some(app.cursors()?.seal(
            tenant,
            &fingerprint,
            &last.id().to_string(),
        )),
        _ => None,
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
