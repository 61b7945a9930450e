//! `POST /v1/contacts/bulk-delete`: deletes up to 100 contacts, each on its own.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    shared::lambda::serve(
        shared::config::Needs::TOKEN_KEY,
        shared::endpoints::bulk_delete_contacts,
    )
    .await
}
