//! What a list holds and in which order: all contacts or groups (by creation, name or last
//! change, either way), the contacts of some groups, the one with an address, or a search. A
//! filter reads one page from a position (the id of the last item, or the index key it was
//! listed through) and owns its fingerprint, so a cursor opens only for the query that made it.

use super::lists::{Fetched, Filter};
use super::sort::{CONTACT_SORTS, ContactKey, GroupKey, Sort};
use crate::App;
use crate::contact::{Contact, Email};
use crate::error::ApiError;
use crate::group::Group;
use crate::http::Query;
use crate::identity::TenantId;
use crate::resource::{MAX_NAME, ResourceId};
use crate::search::SearchQuery;
use crate::store::{ContactOrder, IdPage, ReadBudget, Store, is_current, search_hit};

/// How many groups one `group=` filter may name.
const MAX_FILTER_GROUPS: usize = 10;

/// Every group, in the order asked for.
pub struct GroupList(pub Sort<GroupKey>);

impl Filter<Group> for GroupList {
    fn fingerprint(&self) -> String {
        let name = match self.0.key {
            GroupKey::CreatedAt => "createdAt",
            GroupKey::Name => "name",
        };
        format!("groups{}", self.0.suffix(name))
    }

    async fn fetch(
        &self,
        store: &Store,
        tenant: &TenantId,
        limit: usize,
        after: Option<&str>,
    ) -> Result<Fetched<Group>, ApiError> {
        let Sort { key, descending } = self.0;
        match key {
            GroupKey::CreatedAt => {
                let after = id_position(after)?;
                let (groups, more) = store
                    .list::<Group>(tenant, limit, after.as_ref(), descending)
                    .await?;
                let next = after_last(&groups, more);
                Ok(by_id(groups, next))
            }
            GroupKey::Name => {
                let page = store
                    .groups_by_name(tenant, descending, limit, after)
                    .await?;
                fetch_page(store, tenant, page).await
            }
        }
    }

    async fn skip(
        &self,
        store: &Store,
        tenant: &TenantId,
        count: usize,
        after: Option<&str>,
    ) -> Result<Option<String>, ApiError> {
        let Sort { key, descending } = self.0;
        match key {
            GroupKey::CreatedAt => {
                let after = id_position(after)?;
                let last = store
                    .skip::<Group>(tenant, count, after.as_ref(), descending)
                    .await?;
                Ok(last.map(|id| id.to_string()))
            }
            GroupKey::Name => {
                let page = store
                    .groups_by_name(tenant, descending, count, after)
                    .await?;
                Ok(nth_position(page, count))
            }
        }
    }
}

/// The contacts of `GET /v1/contacts`: all (in an order), those in any of some groups, the one
/// with an e-mail address (in those groups, when both are given), or those a search finds.
#[derive(Debug, Default)]
pub struct ContactFilter {
    /// The lower-cased address of `email=`.
    pub email: Option<String>,
    /// The ids of the groups `group=` named (ids or names); empty when no name matched.
    pub groups: Option<Vec<ResourceId>>,
    pub sort: Sort<ContactKey>,
    /// `q=`: the search, which keeps its own order and takes no other filter.
    pub search: Option<SearchQuery>,
}

impl ContactFilter {
    /// Reads `q=`, `sort=`, `email=` and `group=` (repeatable, comma-separated, ids or names;
    /// names are looked up, and names that match no group match no contact).
    pub async fn parse(app: &App, tenant: &TenantId, query: &Query) -> Result<Self, ApiError> {
        let sort = Sort::parse(query, &CONTACT_SORTS)?;
        let search = match query.single("q")? {
            None => None,
            Some(raw) => Some(SearchQuery::parse(raw).map_err(|m| ApiError::malformed("q", m))?),
        };
        let filtered = query.single("email")?.is_some() || query.all("group").next().is_some();
        if search.is_some() && (filtered || query.single("sort")?.is_some()) {
            return Err(ApiError::malformed(
                "q",
                "a search keeps its own order and takes no group=, email= or sort=",
            ));
        }
        if filtered && !sort.is_default() {
            return Err(ApiError::malformed(
                "sort",
                "group= and email= list in creation order only",
            ));
        }
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
        Ok(Self {
            email,
            groups,
            sort,
            search,
        })
    }

    fn order(&self) -> Option<ContactOrder> {
        match self.sort.key {
            ContactKey::CreatedAt => None,
            ContactKey::Name => Some(ContactOrder::Name),
            ContactKey::UpdatedAt => Some(ContactOrder::UpdatedAt),
        }
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
        if let Some(search) = &self.search {
            return format!("contacts|q={}", search.fingerprint());
        }
        let groups = self
            .groups
            .iter()
            .flatten()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(",");
        let key = match self.sort.key {
            ContactKey::CreatedAt => "createdAt",
            ContactKey::Name => "name",
            ContactKey::UpdatedAt => "updatedAt",
        };
        format!(
            "contacts|groups={groups}|email={}{}",
            self.email.as_deref().unwrap_or_default(),
            self.sort.suffix(key)
        )
    }

    async fn fetch(
        &self,
        store: &Store,
        tenant: &TenantId,
        limit: usize,
        after: Option<&str>,
    ) -> Result<Fetched<Contact>, ApiError> {
        if let Some(search) = &self.search {
            let page = store.search(tenant, search, limit, after).await?;
            let mut fetched = fetch_page(store, tenant, page).await?;
            // A contact that changed between reading its entry and reading it is answered
            // only if it still matches, through this entry.
            fetched
                .items
                .retain(|(contact, position)| search_hit(search, contact, position));
            return Ok(fetched);
        }
        if let Some(order) = self.order() {
            let page = store
                .sorted_contacts(tenant, order, self.sort.descending, limit, after)
                .await?;
            let mut fetched = fetch_page(store, tenant, page).await?;
            // Moved between reading its place and reading it: it is listed at its new place.
            fetched
                .items
                .retain(|(contact, position)| is_current(contact, position));
            return Ok(fetched);
        }
        let after = id_position(after)?;
        let (contacts, next) = match (&self.email, &self.groups) {
            (Some(email), groups) => {
                let found = store.find_contact_by_email(tenant, email).await?;
                let matches = found.filter(|contact| {
                    after.is_none_or(|after| contact.id > after)
                        && groups.as_ref().is_none_or(|wanted| {
                            contact.groups.iter().flatten().any(|g| wanted.contains(g))
                        })
                });
                (matches.into_iter().collect(), None)
            }
            (None, Some(groups)) if groups.is_empty() => (Vec::new(), None),
            // Goes on after the last membership read, not the last contact answered: a page
            // whose contacts were all deleted since their memberships were read is empty, and
            // still has a cursor when more follow.
            (None, Some(groups)) => {
                store
                    .list_contacts_in_groups(tenant, groups, limit, after.as_ref())
                    .await?
            }
            (None, None) => {
                let (contacts, more) = store
                    .list(tenant, limit, after.as_ref(), self.sort.descending)
                    .await?;
                let next = after_last(&contacts, more);
                (contacts, next)
            }
        };
        Ok(by_id(contacts, next))
    }

    async fn skip(
        &self,
        store: &Store,
        tenant: &TenantId,
        count: usize,
        after: Option<&str>,
    ) -> Result<Option<String>, ApiError> {
        if let Some(search) = &self.search {
            // Search pages may be cut short by their read budget: skip page by page.
            let (mut left, mut after) = (count, after.map(str::to_string));
            loop {
                let page = store
                    .search(tenant, search, left.min(100), after.as_deref())
                    .await?;
                if page.ids.len() >= left {
                    return Ok(page.ids.get(left - 1).map(|(_, sk)| sk.clone()));
                }
                left -= page.ids.len();
                match page.next {
                    None => return Ok(None),
                    next => after = next,
                }
            }
        }
        if let Some(order) = self.order() {
            let page = store
                .sorted_contacts(tenant, order, self.sort.descending, count, after)
                .await?;
            return Ok(nth_position(page, count));
        }
        let after = id_position(after)?;
        let last = match (&self.email, &self.groups) {
            // At most one contact has the address: skipping any is the end.
            (Some(_), _) => None,
            (None, Some(groups)) => {
                store
                    .skip_in_groups(tenant, groups, count, after.as_ref())
                    .await?
            }
            (None, None) => {
                store
                    .skip::<Contact>(tenant, count, after.as_ref(), self.sort.descending)
                    .await?
            }
        };
        Ok(last.map(|id| id.to_string()))
    }
}

/// The id a creation-order position names.
fn id_position(after: Option<&str>) -> Result<Option<ResourceId>, ApiError> {
    after
        .map(|position| {
            ResourceId::parse(position).ok_or_else(|| {
                ApiError::malformed("cursor", "the cursor is not valid for this query")
            })
        })
        .transpose()
}

/// Where a creation-order page that read `items` goes on: after its last, when `more` follow.
fn after_last<T: crate::resource::Resource>(items: &[T], more: bool) -> Option<ResourceId> {
    if more {
        items.last().map(|last| *last.id())
    } else {
        None
    }
}

/// A creation-order page: each item's position is its id; `next` is where the next page starts.
fn by_id<T: crate::resource::Resource>(items: Vec<T>, next: Option<ResourceId>) -> Fetched<T> {
    let items = items
        .into_iter()
        .map(|item| {
            let position = item.id().to_string();
            (item, position)
        })
        .collect();
    Fetched {
        items,
        next: next.map(|id| id.to_string()),
    }
}

/// The resources of an index page, each with its entry's position.
async fn fetch_page<T: crate::store::Stored>(
    store: &Store,
    tenant: &TenantId,
    page: IdPage,
) -> Result<Fetched<T>, ApiError> {
    let ids: Vec<ResourceId> = page.ids.iter().map(|(id, _)| *id).collect();
    let (found, read) = store
        .get_within::<T>(tenant, &ids, &mut ReadBudget::default())
        .await?;
    let mut found = found.into_iter().peekable();
    // A page whose bytes ran out before its last id goes on after the last id it read.
    let next = if read < ids.len() {
        page.ids.get(read.wrapping_sub(1)).map(|(_, p)| p.clone())
    } else {
        page.next
    };
    let mut items = Vec::with_capacity(read);
    for (id, position) in page.ids.into_iter().take(read) {
        if found.peek().is_some_and(|r| *r.id() == id) {
            items.extend(found.next().map(|r| (r, position)));
        }
    }
    Ok(Fetched { items, next })
}

/// The position of the `count`-th id of a page, `None` when it holds fewer.
fn nth_position(page: IdPage, count: usize) -> Option<String> {
    page.ids
        .into_iter()
        .nth(count.wrapping_sub(1))
        .map(|(_, sk)| sk)
}
