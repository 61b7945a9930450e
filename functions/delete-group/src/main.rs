//! `DELETE /v1/groups/{id}`: deletes a group no contact is in.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    shared::lambda::serve(
        shared::config::Needs::TOKEN_KEY,
        shared::endpoints::delete_group,
    )
    .await
}
