//! `GET /v1/groups`: one page of the tenant's groups, in creation order.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    shared::lambda::serve(
        shared::config::Needs::TOKEN_AND_CURSOR_KEYS,
        shared::endpoints::list_groups,
    )
    .await
}
