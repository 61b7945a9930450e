//! `PATCH /v1/groups/{id}`: applies a Merge Patch or JSON Patch to a group.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    shared::lambda::serve(
        shared::config::Needs::TOKEN_KEY,
        shared::endpoints::patch_group,
    )
    .await
}
