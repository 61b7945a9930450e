//! The server clock: the one format every timestamp of the API has (envelope, `createdAt`,
//! `updatedAt`, stored flags).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use time::OffsetDateTime;
use time::macros::format_description;

/// How long since the Unix epoch it is now (zero if the clock is before it).
pub fn since_epoch() -> Duration {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
}

/// The server time now, as the envelope and stored timestamps show it.
pub fn now() -> String {
    timestamp(OffsetDateTime::now_utc())
}

/// The server time as the envelope shows it: RFC 3339, UTC, milliseconds.
pub fn timestamp(at: OffsetDateTime) -> String {
    let format =
        format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");
    at.to_offset(time::UtcOffset::UTC)
        .format(&format)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamp_is_rfc3339_utc_with_milliseconds() {
        let at = OffsetDateTime::from_unix_timestamp_nanos(1_779_466_287_386_123_456)
            .unwrap_or(OffsetDateTime::UNIX_EPOCH);
        assert_eq!(timestamp(at), "2026-05-22T16:11:27.386Z");
    }
}
