//! `GET /v1/contacts/{id}`: reads one contact.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    shared::lambda::serve(
        shared::config::Needs::TOKEN_KEY,
        shared::endpoints::get_contact,
    )
    .await
}
