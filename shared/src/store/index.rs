//! A contact's index entries: one search entry per token (`search`), its place in the list
//! sorted by name and in the one sorted by last change. They are items of the tenant's
//! partition, written in the same transaction as the contact (so a search or a sorted list read
//! consistently never misses a write, nor finds one that did not land), and read by key range.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;

use super::StoreError;
use super::write::Action;
use super::{Store, keys};
use crate::contact::Contact;
use crate::identity::TenantId;
use crate::resource::ResourceId;
use crate::search::{Namespace, SearchQuery, Tokens, name_key};

/// The most index items a contact has: its search entries and its two sorted places.
pub const MAX_INDEX_ITEMS: usize = crate::search::MAX_TOKENS + 2;
/// A search page reads at most this many entries per item it may answer, and at most
/// `SEARCH_BYTE_BUDGET` bytes of them; where that runs out it answers a shorter page, with a
/// cursor to go on from the last entry read.
const SEARCH_ENTRIES_PER_ITEM: usize = 16;
const SEARCH_BYTE_BUDGET: usize = 256 * 1024;
/// What a sorted list reads of its index keys: the key, and a name guard's group.
const PROJECTION: &str = "#sk, groupId";

/// Which sorted list of contacts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContactOrder {
    Name,
    UpdatedAt,
}

type Attributes = HashMap<String, AttributeValue>;

/// The index items of a contact, by sort key.
pub(super) fn entries(contact: &Contact) -> Vec<(String, Attributes)> {
    let tokens = Tokens::of(contact);
    let name = name_key(contact);
    let list = |values: &[String]| {
        AttributeValue::L(values.iter().cloned().map(AttributeValue::S).collect())
    };
    let copy: Attributes = HashMap::from([
        (keys::WORDS.to_string(), list(&tokens.words)),
        (keys::PHONES.to_string(), list(&tokens.phones)),
    ]);
    let mut entries = Vec::with_capacity(MAX_INDEX_ITEMS);
    for (namespace, values) in [
        (Namespace::Words, &tokens.words),
        (Namespace::Phones, &tokens.phones),
    ] {
        for token in values {
            let sk = keys::search_entry(namespace, token, &name, &contact.id);
            entries.push((sk, copy.clone()));
        }
    }
    entries.push((keys::by_name(&name, &contact.id), Attributes::new()));
    entries.push((
        keys::by_updated(&contact.updated_at, &contact.id),
        Attributes::new(),
    ));
    entries
}

/// The tokens a search entry carries.
fn tokens_of(item: &Attributes) -> Tokens {
    let list = |name: &str| -> Vec<String> {
        item.get(name)
            .and_then(|v| v.as_l().ok())
            .map(|values| {
                values
                    .iter()
                    .filter_map(|v| v.as_s().ok().cloned())
                    .collect()
            })
            .unwrap_or_default()
    };
    Tokens {
        words: list(keys::WORDS),
        phones: list(keys::PHONES),
    }
}

fn sk_of(item: &Attributes) -> Result<&str, StoreError> {
    item.get(keys::SK)
        .and_then(|sk| sk.as_s().ok())
        .map(String::as_str)
        .ok_or_else(|| StoreError::internal("an item without a sort key"))
}

/// Whether `position` is one of the index keys `contact` has as it is now. An entry read from
/// the index is answered only when it is: so a contact is listed once, by its current name and
/// change time, even beside an entry left by a write that did not maintain the index (a
/// function of an earlier release, before the backfill).
pub fn is_current(contact: &Contact, position: &str) -> bool {
    entries(contact).iter().any(|(sk, _)| sk == position)
}

/// Whether a search entry read at `position` lists `contact` as it is now: the entry is
/// current, and it is the one entry the query lists the contact through (so each contact is
/// answered once, and one that no longer matches is not answered).
pub fn search_hit(query: &SearchQuery, contact: &Contact, position: &str) -> bool {
    let (namespace, _) = query.driver();
    let tokens = Tokens::of(contact);
    keys::token_of(namespace, position).is_some_and(|token| query.lists_through(token, &tokens))
        && is_current(contact, position)
}

/// A page of ids from an index, each with its position (the key a cursor goes on after), and
/// the position to go on from when more may follow.
pub struct IdPage {
    pub ids: Vec<(ResourceId, String)>,
    pub next: Option<String>,
}

impl Store {
    /// The index items that change when a contact goes from `before` to `after`: entries only
    /// `before` had are deleted, new or changed ones put; none when nothing searched changed
    /// (but the last-change place, which every write moves).
    pub(super) fn index_changes(
        &self,
        tenant: &TenantId,
        before: Option<&Contact>,
        after: Option<&Contact>,
    ) -> Result<Vec<Action>, StoreError> {
        let old = before.map(entries).unwrap_or_default();
        let new = after.map(entries).unwrap_or_default();
        let mut actions = Vec::new();
        for (sk, _) in old
            .iter()
            .filter(|(sk, _)| !new.iter().any(|(n, _)| n == sk))
        {
            actions.push(self.plain_delete(tenant, AttributeValue::S(sk.clone()))?);
        }
        for (sk, attributes) in new.into_iter().filter(|entry| !old.contains(entry)) {
            actions.push(self.index_put(tenant, sk, attributes)?);
        }
        Ok(actions)
    }

    pub(super) fn index_put(
        &self,
        tenant: &TenantId,
        sk: String,
        attributes: Attributes,
    ) -> Result<Action, StoreError> {
        let mut item = keys::item(keys::tenant(tenant), AttributeValue::S(sk));
        item.extend(attributes);
        self.plain_put(item)
    }

    /// Up to `limit` contacts matching `query`, each once, in the order of their entries (the
    /// matching token, then name, then id), after the entry `after`. Reads at most
    /// `16 × (limit + 1)` entries and 256 KB of them; when that runs out first the page is
    /// shorter and `next` goes on from the last entry read.
    pub async fn search(
        &self,
        tenant: &TenantId,
        query: &SearchQuery,
        limit: usize,
        after: Option<&str>,
    ) -> Result<IdPage, StoreError> {
        let (namespace, driver) = query.driver();
        let prefix = keys::search_prefix(namespace, driver);
        let mut budget = SEARCH_ENTRIES_PER_ITEM * (limit + 1);
        let mut bytes = 0;
        let mut start = after.map(str::to_string);
        let mut ids: Vec<(ResourceId, String)> = Vec::new();
        loop {
            let wanted = (2 * (limit + 1 - ids.len())).max(32).min(budget).max(1);
            let (items, last) = self
                .query_page(
                    tenant,
                    &prefix,
                    start.clone().map(AttributeValue::S),
                    Some(wanted),
                    None,
                    true,
                )
                .await?;
            let last = last.and_then(|sk| sk.as_s().ok().cloned());
            budget = budget.saturating_sub(items.len());
            let mut read_to = last.clone();
            for item in &items {
                let sk = sk_of(item)?;
                bytes += sk.len() + item_bytes(item);
                let tokens = tokens_of(item);
                let token = keys::token_of(namespace, sk).unwrap_or_default();
                if query.lists_through(token, &tokens) {
                    let id = keys::id_at_end(sk)
                        .ok_or_else(|| StoreError::internal("an index key without an id"))?;
                    ids.push((id, sk.to_string()));
                    if ids.len() > limit {
                        ids.truncate(limit);
                        let next = ids.last().map(|(_, sk)| sk.clone());
                        return Ok(IdPage { ids, next });
                    }
                }
                read_to = Some(sk.to_string());
            }
            match last {
                None => return Ok(IdPage { ids, next: None }),
                Some(_) if budget == 0 || bytes >= SEARCH_BYTE_BUDGET => {
                    return Ok(IdPage { ids, next: read_to });
                }
                Some(_) => start = read_to,
            }
        }
    }

    /// Up to `limit` contact ids in a sorted order, after the position `after`, reading keys
    /// only: `limit + 1` keys at most.
    pub async fn sorted_contacts(
        &self,
        tenant: &TenantId,
        order: ContactOrder,
        descending: bool,
        limit: usize,
        after: Option<&str>,
    ) -> Result<IdPage, StoreError> {
        let prefix = match order {
            ContactOrder::Name => keys::BY_NAME_PREFIX,
            ContactOrder::UpdatedAt => keys::BY_UPDATED_PREFIX,
        };
        self.sorted_ids(tenant, prefix, descending, limit, after, |item| {
            keys::id_at_end(sk_of(item)?).ok_or_else(|| StoreError::internal("a key without an id"))
        })
        .await
    }

    /// Up to `limit` group ids by (lower-cased) name, read from the name guards.
    pub async fn groups_by_name(
        &self,
        tenant: &TenantId,
        descending: bool,
        limit: usize,
        after: Option<&str>,
    ) -> Result<IdPage, StoreError> {
        self.sorted_ids(
            tenant,
            keys::GROUP_NAME_PREFIX,
            descending,
            limit,
            after,
            |item| {
                item.get(keys::GROUP_ID)
                    .and_then(|id| id.as_s().ok())
                    .and_then(|id| ResourceId::parse(id))
                    .ok_or_else(|| StoreError::internal("a name guard without a group id"))
            },
        )
        .await
    }

    async fn sorted_ids(
        &self,
        tenant: &TenantId,
        prefix: &str,
        descending: bool,
        limit: usize,
        after: Option<&str>,
        id_of: impl Fn(&Attributes) -> Result<ResourceId, StoreError>,
    ) -> Result<IdPage, StoreError> {
        let start = after.map(|sk| AttributeValue::S(sk.to_string()));
        let items = self
            .query(
                tenant,
                prefix,
                start,
                Some(limit + 1),
                Some(PROJECTION),
                !descending,
            )
            .await?;
        let mut ids = items
            .iter()
            .map(|item| Ok((id_of(item)?, sk_of(item)?.to_string())))
            .collect::<Result<Vec<_>, StoreError>>()?;
        let next = (ids.len() > limit).then(|| {
            ids.truncate(limit);
            ids.last().map(|(_, sk)| sk.clone())
        });
        Ok(IdPage {
            ids,
            next: next.flatten(),
        })
    }
}

/// About how many bytes an index entry's token copy holds.
fn item_bytes(item: &Attributes) -> usize {
    [keys::WORDS, keys::PHONES]
        .iter()
        .filter_map(|name| item.get(*name).and_then(|v| v.as_l().ok()))
        .flatten()
        .filter_map(|v| v.as_s().ok())
        .map(|s| s.len() + 3)
        .sum()
}
