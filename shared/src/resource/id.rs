//! A resource's id.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A resource id as it appears in paths and bodies: a hyphenated UUID, returned in lower case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ResourceId(Uuid);

impl ResourceId {
    /// A new time-ordered (v7) id, so that ids sort in creation order.
    pub fn new() -> Self {
        Self(Uuid::now_v7())
    }

    /// When a time-ordered id was made, in milliseconds since the epoch.
    pub fn unix_millis(&self) -> Option<u64> {
        let (seconds, nanos) = self.0.get_timestamp()?.to_unix();
        Some(seconds * 1000 + u64::from(nanos) / 1_000_000)
    }

    /// Accepts the 36-character hyphenated form only.
    pub fn parse(raw: &str) -> Option<Self> {
        (raw.len() == 36)
            .then(|| Uuid::try_parse(raw).ok())
            .flatten()
            .map(Self)
    }
}

impl Default for ResourceId {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Display for ResourceId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.as_hyphenated().fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_ids_must_be_hyphenated_uuids() {
        assert!(ResourceId::parse("0192F3C0-7B9E-7CC4-9A4E-2F1C5D8E9A10").is_some());
        for bad in [
            "",
            "nope",
            "0192f3c07b9e7cc49a4e2f1c5d8e9a10",
            "{0192f3c0-7b9e-7cc4-9a4e-2f1c5d8e9a10}",
        ] {
            assert!(ResourceId::parse(bad).is_none(), "{bad}");
        }
    }
}
