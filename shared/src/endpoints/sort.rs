//! `sort=`: the order of a list, a key of the list's own and a direction.

use crate::error::ApiError;
use crate::http::Query;

/// `sort=`: a key, ascending, or descending with a leading `-`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sort<K> {
    pub key: K,
    pub descending: bool,
}

/// The keys contacts sort by; creation order is the default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ContactKey {
    #[default]
    CreatedAt,
    Name,
    UpdatedAt,
}

/// The keys groups sort by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GroupKey {
    #[default]
    CreatedAt,
    Name,
}

impl<K: Copy + Default + PartialEq> Sort<K> {
    /// Reads `sort=` with the keys this list takes (by their names in the API).
    pub fn parse(query: &Query, keys: &[(&str, K)]) -> Result<Self, ApiError> {
        let Some(raw) = query.single("sort")? else {
            return Ok(Self::default());
        };
        let (name, descending) = match raw.strip_prefix('-') {
            Some(name) => (name, true),
            None => (raw, false),
        };
        let key = keys.iter().find(|(n, _)| *n == name).map(|(_, k)| *k);
        let names: Vec<&str> = keys.iter().map(|(n, _)| *n).collect();
        let key = key.ok_or_else(|| {
            ApiError::malformed(
                "sort",
                format!(
                    "must be one of {}, each optionally with a leading - for descending",
                    names.join(", ")
                ),
            )
        })?;
        Ok(Self { key, descending })
    }

    pub fn is_default(&self) -> bool {
        *self == Self::default()
    }

    /// What a cursor of a list in this order is bound to, besides its filter (nothing for
    /// the default order, so cursors of earlier releases still open).
    pub(super) fn suffix(&self, name: &str) -> String {
        if self.is_default() {
            String::new()
        } else {
            format!("|sort={}{name}", if self.descending { "-" } else { "" })
        }
    }
}

impl<K: Default> Default for Sort<K> {
    fn default() -> Self {
        Self {
            key: K::default(),
            descending: false,
        }
    }
}

pub const CONTACT_SORTS: [(&str, ContactKey); 3] = [
    ("createdAt", ContactKey::CreatedAt),
    ("name", ContactKey::Name),
    ("updatedAt", ContactKey::UpdatedAt),
];
pub const GROUP_SORTS: [(&str, GroupKey); 2] =
    [("createdAt", GroupKey::CreatedAt), ("name", GroupKey::Name)];
