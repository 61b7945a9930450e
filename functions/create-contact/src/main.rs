//! `POST /v1/contacts`: creates a contact.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    shared::lambda::serve(shared::endpoints::create_contact).await
}
