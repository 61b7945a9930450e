//! The Lambda edge: a function's start-up (`serve`), and one request through its handler
//! (`handle`), always answered with an envelope. Every binary's `main` is one call to `start`
//! with `serve` (or `serve_stream`), naming the function as the route table does.
//!
//! Many invocations per execution environment: where Lambda sets `AWS_LAMBDA_MAX_CONCURRENCY`
//! above 1 (Lambda Managed Instances), `start` runs a multi-threaded runtime and the runtime
//! client polls for that many invocations at once (`run_concurrent`); unset, 1 or not a number,
//! one invocation at a time on one thread, as on classic Lambda. What the requests share is
//! safe to share: the process-wide `App` is read-only but for its caches (API keys, JWKS, phone
//! rules), each behind its own lock; a request's log notes live in its own task (`observe`).

use std::future::Future;
use std::time::Instant;

use aws_lambda_events::event::dynamodb::Event as DynamoDbEvent;
use aws_lambda_events::event::streams::DynamoDbEventResponse;
use lambda_http::request::{LambdaRequest, RequestContext};
use lambda_http::{Body, LambdaEvent, Request, RequestExt, Response, service_fn};

use crate::app::App;
use crate::envelope::{Reply, render};
use crate::error::ApiError;
use crate::observe::{self, RequestRecord};
use crate::resource::ResourceId;
use crate::routes::{self, route_key};
use crate::store::Store;

/// Runs `serve` (or `serve_stream`) to the end on the runtime the concurrency asks for: one
/// thread when Lambda sends one invocation at a time (the cheapest start), else a thread per
/// core for the invocations that run side by side.
pub fn start(
    serve: impl Future<Output = Result<(), lambda_http::Error>>,
) -> Result<(), lambda_http::Error> {
    let mut runtime = if max_concurrency(std::env::var("AWS_LAMBDA_MAX_CONCURRENCY").ok()) > 1 {
        tokio::runtime::Builder::new_multi_thread()
    } else {
        tokio::runtime::Builder::new_current_thread()
    };
    runtime.enable_all().build()?.block_on(serve)
}

/// The invocations Lambda may send at once, as the runtime client reads
/// `AWS_LAMBDA_MAX_CONCURRENCY`: a positive number, else 1.
pub fn max_concurrency(value: Option<String>) -> u32 {
    value
        .and_then(|v| v.parse::<u32>().ok())
        .filter(|&c| c > 0)
        .unwrap_or(1)
}

/// Starts the function the route table names `function`: builds the process-wide state once
/// (with the secrets the table says it needs), then serves `handler` forever.
pub async fn serve<H, F>(function: &str, handler: H) -> Result<(), lambda_http::Error>
where
    H: Fn(&'static App, Request) -> F + Copy + Send + 'static,
    F: Future<Output = Result<Reply, ApiError>> + Send,
{
    let needs = routes::function(function)
        .ok_or_else(|| {
            format!("{function} is not in the route table (shared/src/routes/table.rs)")
        })?
        .needs;
    crate::observe::init(&function_name());
    let app: &'static App = Box::leak(Box::new(App::from_env(needs).await?));
    let adapter = lambda_http::Adapter::from(service_fn(move |request: Request| async move {
        Ok::<_, std::convert::Infallible>(handle(app, request, handler).await)
    }));
    lambda_http::lambda_runtime::run_concurrent(QuerySafe(adapter)).await
}

/// The HTTP event, its raw query string made safe for lambda_http before it becomes a request.
/// API Gateway passes the query as the client sent it, and lambda_http appends it to the
/// request's URI unchecked, panicking ("failed to build request", a bare 502 to the client)
/// when it holds a byte a URI may not: `"`, `<`, `>`, a space, a control byte or any
/// non-ASCII byte (a client that sends `q="ann"` or `q=Zoë` without percent-encoding). Those
/// bytes (and `#`, which would cut the query) are percent-encoded first, so the query decodes
/// to exactly what the client sent and the request is answered like any other.
#[derive(Clone)]
struct QuerySafe<S>(S);

impl<S> lambda_http::Service<LambdaEvent<LambdaRequest>> for QuerySafe<S>
where
    S: lambda_http::Service<LambdaEvent<LambdaRequest>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(
        &mut self,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        self.0.poll_ready(cx)
    }

    fn call(&mut self, mut event: LambdaEvent<LambdaRequest>) -> Self::Future {
        make_query_safe(&mut event.payload);
        self.0.call(event)
    }
}

/// Percent-encodes the bytes of an HTTP API event's raw query string that a URI may not hold.
pub fn make_query_safe(event: &mut LambdaRequest) {
    if let LambdaRequest::ApiGatewayV2(event) = event
        && let Some(query) = &mut event.raw_query_string
        && let Some(safe) = percent_encode_unsafe(query)
    {
        *query = safe;
    }
}

fn percent_encode_unsafe(query: &str) -> Option<String> {
    let unsafe_byte = |b: u8| !(0x21..=0x7e).contains(&b) || matches!(b, b'"' | b'<' | b'>' | b'#');
    if !query.bytes().any(unsafe_byte) {
        return None;
    }
    let mut safe = String::with_capacity(query.len() + 16);
    for b in query.bytes() {
        if unsafe_byte(b) {
            safe.push_str(&format!("%{b:02X}"));
        } else {
            safe.push(char::from(b));
        }
    }
    Some(safe)
}

/// Starts a stream consumer (the change feed's): a store, and every batch of stream records
/// through `handler`.
pub async fn serve_stream<H, F>(handler: H) -> Result<(), lambda_http::Error>
where
    H: Fn(&'static Store, DynamoDbEvent) -> F + Copy + Send + 'static,
    F: Future<Output = DynamoDbEventResponse> + Send,
{
    use lambda_http::lambda_runtime;

    crate::observe::init(&function_name());
    let table =
        std::env::var("TABLE_NAME").map_err(|_| "environment variable TABLE_NAME is required")?;
    let client = aws_sdk_dynamodb::Client::new(&crate::sdk_config().await);
    let store: &'static Store = Box::leak(Box::new(Store::new(client, table)));
    lambda_runtime::run_concurrent(service_fn(
        move |event: LambdaEvent<DynamoDbEvent>| async move {
            Ok::<_, std::convert::Infallible>(handler(store, event.payload).await)
        },
    ))
    .await
}

/// The function's name: Lambda's `AWS_LAMBDA_FUNCTION_NAME`, else the binary's.
fn function_name() -> String {
    std::env::var("AWS_LAMBDA_FUNCTION_NAME").unwrap_or_else(|_| {
        std::env::args()
            .next()
            .and_then(|path| path.rsplit('/').next().map(str::to_string))
            .unwrap_or_else(|| "unknown".into())
    })
}

/// Runs one request through `handler` and renders the outcome; never fails. Writes the
/// request's log line and metrics (`observe`).
pub async fn handle<H, F>(app: &'static App, request: Request, handler: H) -> Response<Body>
where
    H: Fn(&'static App, Request) -> F,
    F: Future<Output = Result<Reply, ApiError>>,
{
    let started = Instant::now();
    let cold_start = observe::take_cold_start();
    let request_id = request_id(&request);
    let lambda_request_id = request.lambda_context_ref().map(|c| c.request_id.clone());
    let method = request.method().to_string();
    let route = route_key(&method, request.uri().path());
    // Boxed: a handler's future is large, and the slot around it would double it on the stack.
    let (outcome, notes) = observe::with_notes(Box::pin(handler(app, request))).await;
    let (status, code) = match &outcome {
        Ok(reply) => (reply.status.as_u16(), None),
        Err(err) => (err.status().as_u16(), Some(err.code())),
    };
    let response = render(outcome, &request_id);
    observe::record(&RequestRecord {
        route: &route,
        method: &method,
        tenant: notes.tenant.as_deref(),
        status,
        code,
        latency_ms: started.elapsed().as_secs_f64() * 1000.0,
        capacity_units: notes.capacity_units,
        request_id: &request_id,
        lambda_request_id: lambda_request_id.as_deref(),
        cold_start,
    });
    response
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
