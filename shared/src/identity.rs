//! Who a request acts for: the tenant (`TenantId`), the scopes an operation needs (`Scope`), and
//! the authenticated caller (`Principal`). `auth` makes principals; `store` and `cursor` only need
//! the tenant, so they depend on this module and not on authentication.

/// A tenant name as credentials carry it: `[A-Za-z0-9_-]{1,64}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TenantId(String);

impl TenantId {
    /// Accepts only the tenant alphabet, so a tenant can never smuggle a key separator.
    pub fn parse(raw: &str) -> Option<Self> {
        let valid = (1..=64).contains(&raw.len())
            && raw
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        valid.then(|| Self(raw.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What an operation needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Read,
    Write,
}

impl Scope {
    /// The scope's name in tokens and API keys.
    pub fn name(self) -> &'static str {
        match self {
            Self::Read => "contacts:read",
            Self::Write => "contacts:write",
        }
    }
}

/// The authenticated caller: its tenant, the scopes it was granted, and who it is.
#[derive(Debug, Clone)]
pub struct Principal {
    pub tenant: TenantId,
    scopes: Vec<String>,
    actor: Option<String>,
}

/// The longest writer name kept (`createdBy`, `updatedBy`): a token's `sub` may be no longer.
pub const MAX_ACTOR: usize = 256;

impl Principal {
    pub fn new(tenant: TenantId, scopes: Vec<String>) -> Self {
        Self {
            tenant,
            scopes,
            actor: None,
        }
    }

    /// The same caller, known as `actor`: a token's `sub`, or `key:<keyId>` for an API key.
    pub fn acting_as(mut self, actor: Option<String>) -> Self {
        self.actor = actor;
        self
    }

    /// Who writes what this caller writes (`createdBy`, `updatedBy`); `None` for a token
    /// without a `sub`.
    pub fn actor(&self) -> Option<&str> {
        self.actor.as_deref()
    }

    /// Whether the caller was granted `scope`.
    pub fn has(&self, scope: Scope) -> bool {
        self.scopes.iter().any(|s| s == scope.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenant_ids_allow_only_their_alphabet() {
        for ok in ["acme", "A_b-9", &"x".repeat(64)] {
            assert!(TenantId::parse(ok).is_some(), "{ok}");
        }
        for bad in ["", "a#b", "a b", "ä", &"x".repeat(65), "a/b"] {
            assert!(TenantId::parse(bad).is_none(), "{bad}");
        }
    }
}
