//! The `$default` route: answers 404, or 405 on a known path, in the envelope.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    shared::lambda::serve(
        shared::config::Needs::NOTHING,
        shared::endpoints::route_not_found,
    )
    .await
}
