//! The mapping of a cancelled transaction's reasons to outcomes (`write::cancelled`).

use super::*;

fn codes(raw: &[Option<&str>]) -> Vec<Option<String>> {
    raw.iter().map(|c| c.map(str::to_string)).collect()
}

#[test]
fn a_transaction_conflict_is_busy_not_stale_so_it_never_becomes_a_false_412() {
    let guards = [Guard::Version, Guard::EmailFree];
    let outcome = cancelled(
        &codes(&[Some("TransactionConflict"), Some("None")]),
        &guards,
    );
    assert!(matches!(outcome, WriteError::Busy), "{outcome:?}");
    let outcome = cancelled(
        &codes(&[Some("None"), Some("TransactionConflict")]),
        &guards,
    );
    assert!(matches!(outcome, WriteError::Busy), "{outcome:?}");
}

#[test]
fn a_failed_version_condition_is_stale_and_a_taken_value_is_409() {
    let guards = [Guard::Version, Guard::EmailFree];
    let stale = cancelled(&codes(&[Some("ConditionalCheckFailed"), None]), &guards);
    assert!(matches!(stale, WriteError::Stale), "{stale:?}");
    let taken = cancelled(
        &codes(&[Some("TransactionConflict"), Some("ConditionalCheckFailed")]),
        &guards,
    );
    assert!(
        matches!(&taken, WriteError::Failed(err) if crate::error::ApiError::from(err.clone()).status() == 409),
        "{taken:?}"
    );
}

/// What DynamoDB reports when two writers set one new address on one contact at once: the
/// loser's version, its old guard (moved by the winner) and its new guard (now the same
/// contact's) all failed. It is stale, not 409: on the re-read the address is its own.
#[test]
fn a_stale_write_whose_new_value_is_taken_is_stale_not_409() {
    let all_failed = codes(&[
        Some("ConditionalCheckFailed"),
        Some("ConditionalCheckFailed"),
        Some("ConditionalCheckFailed"),
    ]);
    for guards in [
        [Guard::Version, Guard::Version, Guard::EmailFree],
        [Guard::Version, Guard::Version, Guard::NameFree],
    ] {
        let outcome = cancelled(&all_failed, &guards);
        assert!(matches!(outcome, WriteError::Stale), "{outcome:?}");
    }
    let missing_group = cancelled(
        &codes(&[
            Some("ConditionalCheckFailed"),
            Some("ConditionalCheckFailed"),
        ]),
        &[Guard::Version, Guard::GroupExists(ResourceId::new())],
    );
    assert!(
        matches!(missing_group, WriteError::Stale),
        "{missing_group:?}"
    );
    // Not stale: the value is another resource's.
    let taken = cancelled(
        &codes(&[Some("None"), Some("None"), Some("ConditionalCheckFailed")]),
        &[Guard::Version, Guard::Version, Guard::EmailFree],
    );
    assert!(
        matches!(&taken, WriteError::Failed(StoreError::EmailTaken)),
        "{taken:?}"
    );
}

#[test]
fn a_throttled_cancellation_is_503_never_500() {
    let outcome = cancelled(&codes(&[Some("ThrottlingError")]), &[Guard::Version]);
    assert!(
        matches!(&outcome, WriteError::Failed(err) if crate::error::ApiError::from(err.clone()).status() == 503),
        "{outcome:?}"
    );
}
