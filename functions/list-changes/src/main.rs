//! `GET /v1/changes`: the tenant's change feed, from a cursor.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    shared::lambda::serve(
        shared::config::Needs::TOKEN_AND_CURSOR_KEYS,
        shared::endpoints::list_changes,
    )
    .await
}
