//! make bench's reference row (infra/bench): the Lambda runtime and an HTTP answer, nothing
//! else. A function's start-up over this one's is what the project adds to a cold start.

use lambda_http::{Body, Error, Request, Response, run, service_fn};

async fn hello(_: Request) -> Result<Response<Body>, Error> {
    Ok(Response::builder()
        .status(200)
        .header("content-type", "application/json")
        .body(Body::from("{}"))?)
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    run(service_fn(hello)).await
}
