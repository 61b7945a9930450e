//! The DynamoDB Streams consumer of the change feed: one entry per contact or group write.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    shared::lambda::serve_changes().await
}
