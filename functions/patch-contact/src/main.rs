//! `PATCH /v1/contacts/{id}`: applies a JSON Patch or a Merge Patch to a contact.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    shared::lambda::serve(
        shared::config::Needs::TOKEN_KEY,
        shared::endpoints::patch_contact,
    )
    .await
}
