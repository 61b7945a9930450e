//! `POST /v1/groups`: creates a group.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    shared::lambda::serve(shared::endpoints::create_group).await
}
