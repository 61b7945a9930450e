//! `POST /v1/contacts/import`: up to 100 contacts, each replaced by e-mail or created.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    shared::lambda::serve(
        shared::config::Needs::TOKEN_KEY,
        shared::endpoints::import_contacts,
    )
    .await
}
