//! `PUT and POST /v1/contacts/{id}`: replaces a contact's writable fields.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    shared::lambda::serve(
        shared::config::Needs::TOKEN_KEY,
        shared::endpoints::update_contact,
    )
    .await
}
