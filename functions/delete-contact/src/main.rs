//! `DELETE /v1/contacts/{id}`: deletes a contact.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    shared::lambda::serve(
        shared::config::Needs::TOKEN_KEY,
        shared::endpoints::delete_contact,
    )
    .await
}
