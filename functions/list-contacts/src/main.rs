//! `GET /v1/contacts`: one page of the tenant's contacts, in creation order.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    shared::lambda::serve(
        shared::config::Needs::TOKEN_AND_CURSOR_KEYS,
        shared::endpoints::list_contacts,
    )
    .await
}
