//! The Lambda edge: a function's start-up (`serve`), and one request through its handler
//! (`handle`), always answered with an envelope. Every binary's `main` is one call to `serve`.

use std::future::Future;

use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt, Response, service_fn};

use crate::app::App;
use crate::envelope::{Reply, render};
use crate::error::ApiError;
use crate::resource::ResourceId;
use crate::store::Store;

/// Starts a function: builds the process-wide state once, then serves `handler` forever.
pub async fn serve<H, F>(handler: H) -> Result<(), lambda_http::Error>
where
    H: Fn(&'static App, Request) -> F + Copy + Send + 'static,
    F: Future<Output = Result<Reply, ApiError>> + Send,
{
    lambda_http::tracing::init_default_subscriber();
    let app: &'static App = Box::leak(Box::new(App::from_env().await?));
    lambda_http::run(service_fn(move |request: Request| async move {
        Ok::<_, std::convert::Infallible>(handle(app, request, handler).await)
    }))
    .await
}

/// Starts the change feed's stream consumer: a store, and every batch of stream records through
/// `endpoints::record_changes`.
pub async fn serve_changes() -> Result<(), lambda_http::Error> {
    use lambda_http::LambdaEvent;
    use lambda_http::lambda_runtime;

    lambda_http::tracing::init_default_subscriber();
    let table =
        std::env::var("TABLE_NAME").map_err(|_| "environment variable TABLE_NAME is required")?;
    let client = aws_sdk_dynamodb::Client::new(&crate::sdk_config().await);
    let store: &'static Store = Box::leak(Box::new(Store::new(client, table)));
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<aws_lambda_events::event::dynamodb::Event>| async move {
            Ok::<_, std::convert::Infallible>(
                crate::endpoints::record_changes(store, event.payload).await,
            )
        },
    ))
    .await
}

/// Runs one request through `handler` and renders the outcome; never fails.
pub async fn handle<H, F>(app: &'static App, request: Request, handler: H) -> Response<Body>
where
    H: Fn(&'static App, Request) -> F,
    F: Future<Output = Result<Reply, ApiError>>,
{
    let request_id = request_id(&request);
    let method = request.method().clone();
    let outcome = handler(app, request).await;
    if let Err(err) = &outcome {
        tracing::info!(%request_id, %method, status = err.status().as_u16(), code = err.code(), "request refused");
    }
    render(outcome, &request_id)
}

/// API Gateway's request id, else the Lambda invocation id, else a fresh one (direct tests).
fn request_id(request: &Request) -> String {
    let gateway = match request.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(context)) => context.request_id.clone(),
        _ => None,
    };
    gateway
        .or_else(|| request.lambda_context_ref().map(|c| c.request_id.clone()))
        .filter(|id| !id.is_empty())
        .unwrap_or_else(|| ResourceId::new().to_string())
}
